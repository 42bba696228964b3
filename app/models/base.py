"""The metadata every table hangs on, with a constraint naming convention.

Named constraints keep migrations identical on SQLite and PostgreSQL and make
`alembic revision --autogenerate` produce reviewable, droppable constraints.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Field, Session, SQLModel

from app.models.types import UTCDateTime, utcnow

T = TypeVar("T", bound=SQLModel)

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def created_at_field() -> datetime:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)  # type: ignore[return-value]


def optional_time_field(*, index: bool = False) -> datetime | None:
    return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)  # type: ignore[return-value]


def time_field(*, index: bool = False) -> datetime:
    return Field(sa_type=UTCDateTime, nullable=False, index=index)  # type: ignore[return-value]


def column_values(row: SQLModel) -> dict[str, Any]:
    """A table model's column values but its id (the database's to make), as a Core INSERT takes them."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns  # type: ignore[attr-defined]
            if column.key != "id"}


def attach_written(session: Session, row: T) -> T:
    """Put a row written by a Core INSERT (its id set) in the session, as if it had been
    read back: later changes to it are flushed as UPDATEs, and no SELECT is spent on it."""
    make_transient_to_detached(row)
    session.add(row)
    return row
