"""Test databases: migrated once per test process, handed out fresh to every test.

SQLite: the migrated file is copied for each test (a copy takes a millisecond and every
connection, thread and CLI call in the test sees a real, separate database).
PostgreSQL (CYBERSPOTTER_TEST_ENGINE=postgres): one database per test process, created and
migrated at start, emptied between tests, dropped at the end.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import text
from sqlmodel import SQLModel

from app.db import make_database, normalize_database_url
from app.migrate import upgrade

ENGINE = os.environ.get("CYBERSPOTTER_TEST_ENGINE", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get("CYBERSPOTTER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin_connection() -> psycopg.Connection:
    return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True)


def postgres_url(database: str) -> str:
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


def create_postgres_database(prefix: str = "cs_test") -> tuple[str, str]:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name, postgres_url(name)


def drop_postgres_database(name: str) -> None:
    with _admin_connection() as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@dataclass
class TemplateDatabase:
    engine: str
    url: str
    path: Path | None = None
    name: str | None = None

    def fresh(self, workdir: Path) -> str:
        """A URL to an empty, migrated database for one test."""
        if self.engine == "sqlite":
            target = workdir / "test.db"
            shutil.copyfile(self.path, target)  # type: ignore[arg-type]
            return f"sqlite:///{target}"
        self._truncate()
        return self.url

    def _truncate(self) -> None:
        tables = [t.name for t in SQLModel.metadata.sorted_tables]
        database = make_database(self.url)
        with database.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        database.dispose()

    def drop(self) -> None:
        if self.engine == "postgres" and self.name:
            drop_postgres_database(self.name)


def make_template(tmp_dir: Path) -> TemplateDatabase:
    if ENGINE == "postgres":
        name, url = create_postgres_database()
        upgrade(url)
        return TemplateDatabase(engine="postgres", url=normalize_database_url(url), name=name)
    path = tmp_dir / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    database = make_database(url)
    with database.engine.connect() as connection:  # fold the WAL into the file before copying it
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return TemplateDatabase(engine="sqlite", url=url, path=path)
