"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.deps import DatabaseDep
from app.i18n import _

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Alive: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The database does not answer"}})
def readyz(database: DatabaseDep) -> JSONResponse:
    """Ready: the database answers a query."""
    try:
        database.ping()
    except Exception:
        return JSONResponse({"status": "unavailable", "detail": _("The database does not answer.")}, status_code=503)
    return JSONResponse({"status": "ok"})
