"""A number past what the database can hold is the caller's mistake: 422, never 500.

Found by the API fuzzer: ids like 9223372036854775808 in a path crashed both engines
(SQLite cannot bind past 64 bits, PostgreSQL casts to a 32-bit INTEGER). app/db_ranges.py
turns exactly that failure into a clear 422 for every route, page and cursor.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError

from app.db_ranges import NumberOutOfRange
from app.models import Role
from tests.databases import ENGINE
from tests.factories import auth_headers, make_user, web_login

PAST_64_BITS = "9223372036854775808"


@pytest.fixture
def expert_headers(client, db):  # type: ignore[no-untyped-def]
    return auth_headers(client, make_user(db, role=Role.expert))


def test_an_id_past_64_bits_is_a_clear_422(client, expert_headers) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/review/listings/{PAST_64_BITS}", headers=expert_headers)
    assert response.status_code == 422
    assert response.json()["code"] == "number_out_of_range"
    assert "too large" in response.json()["detail"]


def test_a_write_with_a_huge_id_is_refused_and_leaves_the_session_usable(client, expert_headers) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"/api/v1/review/listings/{PAST_64_BITS}/claim", headers=expert_headers)
    assert response.status_code == 422
    assert client.get("/api/v1/review/listings/1", headers=expert_headers).status_code == 404


def test_an_ordinary_missing_id_is_still_404(client, expert_headers) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/review/listings/2147483647", headers=expert_headers).status_code == 404


def test_pages_answer_422_too(client, db) -> None:  # type: ignore[no-untyped-def]
    web_login(client, make_user(db, role=Role.expert))
    response = client.get(f"/review/listings/{PAST_64_BITS}")
    assert response.status_code == 422
    assert "too large" in response.text


@pytest.mark.skipif(ENGINE != "postgres", reason="SQLite turns an overflowing sum into a float")
def test_our_own_overflow_inside_sql_stays_an_error(db) -> None:  # type: ignore[no-untyped-def]
    """With ordinary parameters the overflow is our bug: it must not pass for the caller's mistake."""
    with db.session() as session, pytest.raises(DataError) as raised:
        session.execute(text("SELECT CAST(:a AS INTEGER) + 1"), {"a": 2**31 - 1})
    assert not isinstance(raised.value, NumberOutOfRange)
