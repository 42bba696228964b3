"""Recording who changed what: one call per state change, inside the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from app.models import AuditEntry, User, utcnow


def record(
    session: Session,
    *,
    action: str,
    entity_type: str,
    entity_id: int | str,
    actor: User | None = None,
    actor_company_id: int | None = None,
    actor_label: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> None:
    """Write one audit line now, in the session's transaction (it goes if the transaction does).

    One prebuilt INSERT rather than an object for the unit of work: every change writes a
    line, and a flush of its own cost several times the statement."""
    session.connection().execute(_INSERT, {
        "at": at or utcnow(),
        "actor_id": actor.id if actor is not None else None,
        "actor_company_id": actor_company_id,
        "actor_label": actor_label_of(actor, actor_label),
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "before": _jsonable(before),
        "after": _jsonable(after),
        "reason": reason,
    })


def actor_label_of(actor: User | None, actor_label: str | None = None) -> str:
    """What a line says of who acted: the label given, or the person's role, or "system"."""
    return actor_label or (actor.role if actor is not None else "system")


_INSERT = insert(AuditEntry.__table__)  # type: ignore[attr-defined]


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    out: dict[str, Any] = {}
    for key, value in values.items():
        if hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        elif isinstance(value, int | float | str | bool | list | dict) or value is None:
            out[key] = value
        else:
            out[key] = str(value)
    return out
