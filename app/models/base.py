"""The metadata every table hangs on, with a constraint naming convention.

Named constraints keep migrations identical on SQLite and PostgreSQL and make
`alembic revision --autogenerate` produce reviewable, droppable constraints.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.types import UTCDateTime, utcnow

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
