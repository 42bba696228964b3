"""Recording who changed what: one call per state change, inside the same transaction."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.models import AuditEntry, User


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
) -> AuditEntry:
    label = actor_label or (actor.role if actor is not None else "system")
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_company_id=actor_company_id,
        actor_label=label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason,
    )
    session.add(entry)
    return entry


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
