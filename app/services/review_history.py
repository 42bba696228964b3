"""Reading the audit log: one listing's history, and the filterable log admins browse.

The log itself is append-only (`app.services.audit.record`, one row per change, written
in the change's transaction); nothing here writes to it. The admin list pages by keyset
on the entry id, newest first: the cursor is the last id shown, base64-encoded.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from app.errors import Invalid
from app.i18n import _
from app.models import AuditEntry, Referral, Report, User
from app.services.review_queue import DEFAULT_LIMIT, MAX_LIMIT

CURSOR_PREFIX = "a1."


@dataclass
class HistoryEntry:
    entry: AuditEntry
    actor: User | None
    names: dict[int, str] | None = None  # people the entry's fields refer to (claimed_by_id, ...)

    @property
    def changes(self) -> list[tuple[str, str, str]]:
        return changes(self.entry, self.names)

    @property
    def actor_name(self) -> str:
        if self.actor is not None:
            return self.actor.display_name
        return self.entry.actor_label or "system"


def changes(entry: AuditEntry, names: dict[int, str] | None = None, *, limit: int = 160) -> list[tuple[str, str, str]]:
    """(field, before, after) for every field the entry changed, as short text; people by name."""

    def shown(key: str, value: object) -> str:
        if value is None or value == "":
            return "—"
        if key.endswith("_by_id") and isinstance(value, int) and names and value in names:
            return names[value]
        text = str(value)
        return text if len(text) <= limit else text[: limit - 1] + "…"

    before, after = entry.before or {}, entry.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(key, shown(key, before.get(key)), shown(key, after.get(key)))
            for key in keys if before.get(key) != after.get(key)]


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None  # exact, or a prefix ending in "*" ("listing.*")
    entity_type: str | None = None
    entity_id: str | None = None
    actor_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class AuditPage:
    items: list[HistoryEntry]
    next_cursor: str | None


def _with_actors(session: Session, entries: list[AuditEntry]) -> list[HistoryEntry]:
    ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    for entry in entries:
        for values in (entry.before or {}, entry.after or {}):
            ids.update(value for key, value in values.items() if key.endswith("_by_id") and isinstance(value, int))
    people = (
        {user.id: user for user in session.execute(select(User).where(User.id.in_(sorted(ids)))).scalars()}  # type: ignore[union-attr]
        if ids else {}
    )
    names = {person_id: user.display_name for person_id, user in people.items()}  # type: ignore[misc]
    return [HistoryEntry(entry, people.get(entry.actor_id) if entry.actor_id else None, names) for entry in entries]


def listing_history(session: Session, listing_id: int) -> list[HistoryEntry]:
    """Everything recorded about a listing, its reports and its referral, oldest first."""
    report_ids = [str(i) for i in session.execute(select(Report.id).where(Report.listing_id == listing_id)).scalars()]
    referral_ids = [
        str(i) for i in session.execute(select(Referral.id).where(Referral.listing_id == listing_id)).scalars()
    ]
    about = [and_(AuditEntry.entity_type == "listing", AuditEntry.entity_id == str(listing_id))]
    if report_ids:
        about.append(and_(AuditEntry.entity_type == "report", AuditEntry.entity_id.in_(report_ids)))  # type: ignore[attr-defined]
    if referral_ids:
        about.append(and_(AuditEntry.entity_type == "referral", AuditEntry.entity_id.in_(referral_ids)))  # type: ignore[attr-defined]
    entries = list(session.execute(select(AuditEntry).where(or_(*about)).order_by(AuditEntry.id)).scalars())
    return _with_actors(session, entries)


def encode_cursor(entry_id: int) -> str:
    return CURSOR_PREFIX + base64.urlsafe_b64encode(str(entry_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        if not cursor.startswith(CURSOR_PREFIX):
            raise ValueError(cursor)
        body = cursor[len(CURSOR_PREFIX):]
        return int(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid(_("This page link is not valid any more; start again from the first page."),
                      field="cursor") from None


def audit_page(session: Session, *, filters: AuditFilters, limit: int = DEFAULT_LIMIT,
               cursor: str | None = None) -> AuditPage:
    """A page of the audit log, newest first."""
    limit = max(1, min(MAX_LIMIT, limit))
    statement = select(AuditEntry).order_by(AuditEntry.id.desc())  # type: ignore[union-attr]
    if filters.action:
        action = filters.action.strip()
        if action.endswith("*"):
            statement = statement.where(AuditEntry.action.startswith(action[:-1], autoescape=True))  # type: ignore[attr-defined]
        else:
            statement = statement.where(AuditEntry.action == action)
    if filters.entity_type:
        statement = statement.where(AuditEntry.entity_type == filters.entity_type.strip())
    if filters.entity_id:
        statement = statement.where(AuditEntry.entity_id == filters.entity_id.strip())
    if filters.actor_id is not None:
        statement = statement.where(AuditEntry.actor_id == filters.actor_id)
    if filters.since:
        statement = statement.where(AuditEntry.at >= filters.since)
    if filters.until:
        statement = statement.where(AuditEntry.at < filters.until)
    if cursor:
        statement = statement.where(AuditEntry.id < decode_cursor(cursor))  # type: ignore[operator]
    rows = list(session.execute(statement.limit(limit + 1)).scalars())
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None  # type: ignore[arg-type]
    return AuditPage(items=_with_actors(session, items), next_cursor=next_cursor)


def action_names() -> dict[str, str]:
    """What the log's actions mean, in the reader's words (unknown ones are shown as recorded)."""
    return {
        "listing.claimed": _("claimed the listing"),
        "listing.claim_extended": _("extended the claim"),
        "listing.released": _("released the listing"),
        "listing.claim_expired": _("the claim ran out"),
        "listing.claim_broken": _("broke the claim"),
        "listing.confirmed": _("confirmed"),
        "listing.rejected": _("rejected"),
        "listing.needs_info": _("asked the reporters for information"),
        "listing.info_answered": _("a reporter answered"),
        "listing.reopened": _("re-opened the listing"),
        "listing.removed": _("the company removed the listing"),
        "report.submitted": _("reported the listing"),
        "report.answered": _("answered a question"),
        "evidence.added": _("added evidence"),
        "referral.created": _("referred to the company"),
        "referral.routed": _("sent to the company"),
        "referral.outcome": _("the company answered"),
        "code_word.proposed": _("proposed a code word"),
        "code_word.approved": _("approved a code word"),
        "code_word.rejected": _("rejected a code word"),
        "user.role_changed": _("changed a role"),
        "user.certified": _("passed the quiz"),
        "user.certification_granted": _("granted certification"),
        "user.certification_revoked": _("revoked certification"),
    }


# Suggestions for the admin filter (the log may hold others; any action can be typed).
COMMON_ACTIONS = (
    "listing.*", "listing.claimed", "listing.claim_extended", "listing.released", "listing.claim_expired",
    "listing.claim_broken", "listing.confirmed", "listing.rejected", "listing.needs_info", "listing.reopened",
    "listing.bulk_rejected", "listing.info_answered", "report.*", "referral.*", "code_word.*", "user.*",
)
