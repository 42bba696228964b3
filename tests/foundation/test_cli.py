"""The command line: migrate, create-user, demo (idempotent)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from app.db import make_database
from app.models import User


def run_cli(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CYBERSPOTTER_DATABASE_URL": database_url, "CYBERSPOTTER_DATA_DIR": str(data_dir),
           "CYBERSPOTTER_ENV": "test", "CYBERSPOTTER_SECRET_KEY": "x" * 48}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_migrate_create_user_and_demo(database_url: str, tmp_path: Path) -> None:
    assert run_cli("migrate", database_url=database_url, data_dir=tmp_path).returncode == 0
    created = run_cli("create-user", "--email", "Boss@Example.org", "--password", "a long admin pass phrase",
                      "--role", "admin", "--name", "Boss", database_url=database_url, data_dir=tmp_path)
    assert created.returncode == 0, created.stderr
    duplicate = run_cli("create-user", "--email", "boss@example.org", "--password", "a long admin pass phrase",
                        database_url=database_url, data_dir=tmp_path)
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr

    first = run_cli("demo", database_url=database_url, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "admin@demo.cyberspotter.org" in first.stdout and "password:" in first.stdout
    users_after_first = count_users(database_url)
    second = run_cli("demo", database_url=database_url, data_dir=tmp_path)
    assert second.returncode == 0, second.stderr
    assert count_users(database_url) == users_after_first  # idempotent: nobody twice

    database = make_database(database_url)
    try:
        with database.session() as session:
            boss = session.execute(select(User).where(User.email == "boss@example.org")).scalars().one()
            emails = set(session.execute(select(User.email)).scalars())
    finally:
        database.dispose()
    assert boss.role == "admin"
    assert {"admin@demo.cyberspotter.org", "expert@demo.cyberspotter.org", "volunteer@demo.cyberspotter.org"} <= emails


def count_users(database_url: str) -> int:
    database = make_database(database_url)
    try:
        with database.session() as session:
            return session.execute(select(func.count()).select_from(User)).scalar_one()
    finally:
        database.dispose()
