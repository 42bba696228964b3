"""Fixtures: a migrated database per test, the app, clients and small factories."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

os.environ.setdefault("CYBERSPOTTER_ENV", "test")

from app.config import Settings  # noqa: E402
from app.db import Database, make_database  # noqa: E402
from app.main import create_app, load_training_content  # noqa: E402
from tests.databases import ENGINE, TemplateDatabase, make_template  # noqa: E402

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
CSRF_RE = re.compile(r'"X-CSRF-Token": "([0-9a-f]+)"')


def pytest_report_header(config: pytest.Config) -> str:
    return f"cyberspotter database engine: {ENGINE}"


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemplateDatabase]:
    template = make_template(tmp_path_factory.mktemp("template"))
    yield template
    template.drop()


@pytest.fixture(scope="session")
def training_content():  # type: ignore[no-untyped-def]
    return load_training_content(Settings(env="test", secret_key=TEST_SECRET))


@pytest.fixture
def database_url(template_database: TemplateDatabase, tmp_path: Path) -> str:
    return template_database.fresh(tmp_path)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        data_dir=tmp_path / "data",
        base_url="http://testserver",
        run_dispatcher=False,
        webhook_allow_private_targets=True,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = make_database(settings.database_url)
    yield database
    database.dispose()


@pytest.fixture
def app(settings: Settings, training_content):  # type: ignore[no-untyped-def]
    return create_app(settings, content=training_content)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def csrf_token(client: TestClient, path: str = "/") -> str:
    """The CSRF token the page at `path` carries for this client's session or visitor cookie."""
    response = client.get(path)
    match = CSRF_RE.search(response.text)
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


def post_form(client: TestClient, url: str, data: dict | None = None, *, files=None, from_path: str = "/", **kwargs):  # type: ignore[no-untyped-def]
    """POST a form the way a browser on our own pages does: with the page's CSRF token."""
    payload = {"csrf_token": csrf_token(client, from_path), **(data or {})}
    kwargs.setdefault("follow_redirects", False)
    return client.post(url, data=payload, files=files, **kwargs)
