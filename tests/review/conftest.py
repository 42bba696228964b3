"""People and helpers for the review tests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.db import Database
from app.models import Role, User
from tests.e2e.conftest import browser, chromium_executable, live_server, live_settings  # noqa: F401 - browser fixtures
from tests.factories import auth_headers, make_user


@pytest.fixture
def expert(db: Database) -> User:
    return make_user(db, role=Role.expert, display_name="Emeka Expert")


@pytest.fixture
def other_expert(db: Database) -> User:
    return make_user(db, role=Role.expert, display_name="Olu Otherexpert")


@pytest.fixture
def admin(db: Database) -> User:
    return make_user(db, role=Role.admin, display_name="Ada Admin")


@pytest.fixture
def reporter(db: Database) -> User:
    return make_user(db, certified=True, display_name="Vera Volunteer")


@pytest.fixture
def second_reporter(db: Database) -> User:
    return make_user(db, certified=True, display_name="Sami Secondreporter")


@pytest.fixture
def expert_headers(client: TestClient, expert: User) -> dict[str, str]:
    return auth_headers(client, expert)


@pytest.fixture
def other_headers(client: TestClient, other_expert: User) -> dict[str, str]:
    return auth_headers(client, other_expert)


@pytest.fixture
def admin_headers(client: TestClient, admin: User) -> dict[str, str]:
    return auth_headers(client, admin)
