"""The ASGI entry point for uvicorn: `uvicorn app.asgi:app`."""

from app.main import create_app, freeze_startup_heap

app = create_app()
freeze_startup_heap()
