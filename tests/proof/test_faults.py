"""When the database is unavailable: /readyz says so, pages and the API answer 503 clearly."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import TEST_SECRET, post_form


@pytest.fixture
def unreachable_client(tmp_path, training_content):  # type: ignore[no-untyped-def]
    settings = Settings(
        env="test",
        database_url="postgresql://postgres@127.0.0.1:9/nowhere",  # the discard port: nothing listens
        secret_key=TEST_SECRET,
        data_dir=tmp_path,
        run_dispatcher=False,
    )
    app = create_app(settings, content=training_content)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_readyz_reports_the_database(unreachable_client) -> None:  # type: ignore[no-untyped-def]
    assert unreachable_client.get("/healthz").status_code == 200
    response = unreachable_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_api_and_pages_answer_503_with_a_clear_message(unreachable_client) -> None:  # type: ignore[no-untyped-def]
    api = unreachable_client.post("/api/v1/auth/token", data={"username": "a@example.org", "password": "x" * 12})
    assert api.status_code == 503
    assert api.headers["Retry-After"]
    assert "not available" in api.json()["detail"]
    page = post_form(unreachable_client, "/login", {"email": "a@example.org", "password": "x" * 12})
    assert page.status_code == 503
    assert "not available" in page.text
