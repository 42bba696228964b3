"""The application factory: settings, database, content, routers, errors, static files."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app import __version__, error_handlers, openapi_errors
from app.config import Settings, get_settings
from app.db import make_database
from app.middleware import RequestContextMiddleware
from app.routes import include_routers
from app.webhooks import dispatcher as webhook_dispatcher

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger("cyberspotter")

API_DESCRIPTION = """
The Cyber Spotter JSON API. People authenticate with `Authorization: Bearer <token>` from
`POST /api/v1/auth/token`; companies with `Authorization: Bearer <api key>` on `/api/v1/company/...`.
Errors answer `{"detail": ...}` in the language of `Accept-Language` (en, fr, de, zh).
"""


def freeze_startup_heap() -> None:
    """Take what start-up built out of the garbage collector's sight.

    The content, catalogues, routes and compiled templates live as long as the process;
    every full collection would scan them again (some 250,000 objects). Called once by the
    server and worker entry points after the app is built, never by tests, which build
    many apps in one process.
    """
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, *, content: object | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = make_database(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in app.state.startup_hooks:
            await hook(app)
        try:
            yield
        finally:
            for hook in reversed(app.state.shutdown_hooks):
                await hook(app)
            database.dispose()

    app = FastAPI(
        title="Cyber Spotter",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []
    app.state.content = content if content is not None else load_training_content(settings)

    app.add_middleware(RequestContextMiddleware, secure_cookies=settings.secure_cookies)
    error_handlers.install(app)
    include_routers(app)
    openapi_errors.install(app)
    webhook_dispatcher.install(app)  # the background delivery loop, when settings.run_dispatcher
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Cyber Spotter API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/icon.svg",
        )

    return app


def load_training_content(settings: Settings):  # type: ignore[no-untyped-def]
    """Training content is loaded and validated once: broken content stops the start-up."""
    try:
        from app.content import load_content
    except ImportError:  # the content package arrives with onboarding
        return None
    return load_content(settings.content_dir)
