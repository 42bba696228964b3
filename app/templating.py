"""Jinja2 with gettext and Babel filters; whole pages or one named block for htmx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2_fragments import render_block

from app import __version__, i18n
from app.csrf import csrf_token_for

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _gettext(message: str) -> str:
    return i18n.translations(i18n.get_locale()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translations(i18n.get_locale()).ngettext(singular, plural, n)


def _pgettext(context: str, message: str) -> str:
    return i18n.translations(i18n.get_locale()).pgettext(context, message)


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # newstyle: `_("Hello %(name)s", name=x)` escapes x and never breaks on a stray %.
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True, pgettext=_pgettext)  # type: ignore[attr-defined]
    env.filters.update(
        datetime=i18n.format_datetime,
        date=i18n.format_date,
        number=i18n.format_number,
        percent=i18n.format_percent,
        currency=lambda value, code=None: i18n.format_currency(value, code),
        timedelta=i18n.format_timedelta,
    )
    env.globals.update(
        app_version=__version__,
        languages=i18n.SUPPORTED_LOCALES,
        language_names=i18n.LANGUAGE_NAMES,
    )
    return env


environment = build_environment()


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def page_context(request: Request, context: dict[str, Any]) -> dict[str, Any]:
    locale = i18n.get_locale()
    return {
        "request": request,
        "current_user": getattr(request.state, "user", None),
        "csrf_token": csrf_token_for(request),
        "locale": locale,
        "html_lang": i18n.HTML_LANG[locale],
        "url_for": request.url_for,
        "current_path": request.url.path,
        **context,
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page, or only `block` of it (for htmx); answers vary on HX-Request."""
    full_context = page_context(request, context or {})
    if block is not None:
        html = render_block(environment, template, block, full_context)
    else:
        html = environment.get_template(template).render(full_context)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request, Cookie, Accept-Language"
    return response


def render_page_or_block(
    request: Request, template: str, block: str, context: dict[str, Any] | None = None, **kwargs: Any
) -> HTMLResponse:
    """The whole page for a plain request, only `block` when htmx asks."""
    return render(request, template, context, block=block if is_htmx(request) else None, **kwargs)
