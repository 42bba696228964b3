"""Fixtures for referrals and webhooks: people, a receiver, and async tests on asyncio."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.models import Role, User
from tests.factories import make_user
from tests.referrals.factories import Receiver


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    # Local receivers speak plain http on 127.0.0.1; short polls keep the loop tests quick.
    return settings.model_copy(update={"webhook_allow_http": True, "webhook_poll_seconds": 0.05,
                                       "webhook_shutdown_seconds": 5.0})


@pytest.fixture
def reporters(db) -> list[User]:  # type: ignore[no-untyped-def]
    return [
        make_user(db, certified=True, email="vera.reporter@example.org", display_name="Vera Reporter"),
        make_user(db, certified=True, email="sam.spotter@example.org", display_name="Sam Spotter"),
    ]


@pytest.fixture
def expert(db) -> User:  # type: ignore[no-untyped-def]
    return make_user(db, role=Role.expert, display_name="Erin Expert")


@pytest.fixture
def admin(db) -> User:  # type: ignore[no-untyped-def]
    return make_user(db, role=Role.admin, display_name="Ada Admin")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
