"""The first report of a listing nobody reported before, written in one statement on PostgreSQL.

Most reports are of a new listing. Written one by one, the listing, the report and the
report's audit line are three round trips to the server, and each costs the web process
about as much CPU as a small request does. PostgreSQL runs INSERTs inside WITH, so the
three go as one statement:

    WITH new_listing AS (INSERT INTO listings ... ON CONFLICT (url_hash) DO NOTHING RETURNING id),
         new_report AS (INSERT INTO reports ... SELECT new_listing.id, ... RETURNING id, listing_id),
         new_audit_line AS (INSERT INTO audit_entries ... SELECT ... FROM new_report)
    SELECT id, listing_id FROM new_report

When the URL has a listing already (or gets one meanwhile), the first INSERT does nothing,
so neither do the others: no row comes back, nothing was written, and the caller goes on
as for any report of a known listing. SQLite has no INSERT inside WITH; there the caller
writes the three itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.sql.schema import Column
from sqlmodel import Session

from app.models import AuditEntry, Listing, Report, User, attach_written, column_values
from app.services import audit

ACTION = "report.submitted"


def supported(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def write(session: Session, *, listing: Listing, report: Report, reporter: User, evidence_count: int) -> bool:
    """Write a drafted listing, its first report and the report's audit line; False (nothing
    written) when the listing's URL has a listing already. PostgreSQL only (`supported`)."""
    values: dict[str, Any] = {f"listing_{key}": value for key, value in column_values(listing).items()}
    values |= {f"report_{key}": value for key, value in column_values(report).items() if key != "listing_id"}
    values["audit_actor_label"] = audit.actor_label_of(reporter)
    values["evidence_count"] = evidence_count
    row = session.connection().execute(_STATEMENT, values).first()
    if row is None:
        return False
    report.id, listing.id = row
    report.listing_id = listing.id  # type: ignore[assignment]
    attach_written(session, listing)
    attach_written(session, report)
    return True


def _value(prefix: str, column: Column[Any]) -> Any:
    # In a SELECT list a parameter has no column to take its type from: the CAST gives it one.
    return cast(bindparam(f"{prefix}{column.key}", type_=column.type), column.type)


def _build() -> Any:
    listings, reports, audit_lines = Listing.__table__, Report.__table__, AuditEntry.__table__  # type: ignore[attr-defined]
    listing_columns = [column for column in listings.columns if column.key != "id"]
    new_listing = (
        postgresql_insert(listings)
        .values({column.key: bindparam(f"listing_{column.key}", type_=column.type) for column in listing_columns})
        .on_conflict_do_nothing(index_elements=["url_hash"])
        .returning(listings.c.id)
        .cte("new_listing")
    )
    report_columns = [column for column in reports.columns if column.key not in ("id", "listing_id")]

    def report_value(key: str) -> Any:
        return _value("report_", reports.c[key])

    new_report = (
        insert(reports)
        .from_select(["listing_id", *(column.key for column in report_columns)],
                     select(new_listing.c.id, *(report_value(column.key) for column in report_columns)))
        .returning(reports.c.id, reports.c.listing_id)
        .cte("new_report")
    )
    # As audit.record writes it: {"listing_id": ..., "new_listing": true, "evidence": n}.
    after = func.json_build_object(
        literal_column("'listing_id'"), new_report.c.listing_id,
        literal_column("'new_listing'"), literal_column("true"),
        literal_column("'evidence'"), cast(bindparam("evidence_count"), Integer),
    )
    # The line is the reporter's, at the report's time: those come from the report's own values.
    new_audit_line = (
        insert(audit_lines)
        .from_select(["at", "actor_id", "actor_label", "action", "entity_type", "entity_id", "after"],
                     select(report_value("created_at"), report_value("reporter_id"),
                            _value("audit_", audit_lines.c.actor_label), literal_column(f"'{ACTION}'"),
                            literal_column("'report'"),
                            cast(new_report.c.id, String), after))
        .cte("new_audit_line")
    )
    return select(new_report.c.id, new_report.c.listing_id).add_cte(new_audit_line)


_STATEMENT = _build()
