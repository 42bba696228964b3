"""The schema comes only from migrations: they run from empty, and the models agree with them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from app.db import make_database


def test_migrations_build_every_table(database_url: str) -> None:
    database = make_database(database_url)
    try:
        tables = set(inspect(database.engine).get_table_names())
    finally:
        database.dispose()
    expected = {table.name for table in SQLModel.metadata.sorted_tables}
    assert expected <= tables
    assert "alembic_version" in tables


def test_models_and_migrations_agree(database_url: str) -> None:
    database = make_database(database_url)
    try:
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        database.dispose()
    assert differences == [], f"models differ from migrations: {differences}"


def test_sqlite_pragmas(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        return
    database = make_database(database_url)
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        database.dispose()
