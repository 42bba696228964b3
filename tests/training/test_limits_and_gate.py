"""Retake limits (cooldown, daily limit, lessons first) and the certification gate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import APIRouter

from app.deps import CertifiedVolunteer
from app.models import Role, User, utcnow
from tests.factories import auth_headers, make_user
from tests.training.factories import (
    answers_with,
    read_all_lessons,
    right_answers,
    shift_attempts,
    start,
    submit,
)


def _fail(client, headers, content) -> dict:  # type: ignore[no-untyped-def]
    attempt = start(client, headers)
    result = submit(client, headers, attempt["id"], answers_with(content, attempt, wrong=len(attempt["questions"])))
    assert result.json()["passed"] is False
    return attempt


def test_lessons_come_before_the_quiz(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user = make_user(db)
    headers = auth_headers(client, user)
    first_slug = content.lesson_slugs[0]
    assert client.post(f"/api/v1/training/modules/{first_slug}/read", headers=headers).status_code == 200
    response = client.post("/api/v1/training/attempts", headers=headers)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "lessons_unread"
    assert body["unread_lessons"] == list(content.lesson_slugs[1:])
    assert content.lesson(content.lesson_slugs[1]).item.title in body["detail"]


def test_cooldown_after_a_failed_attempt(client, db, app, settings) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user = make_user(db)
    read_all_lessons(db, user, content)
    headers = auth_headers(client, user)
    _fail(client, headers, content)
    response = client.post("/api/v1/training/attempts", headers=headers)
    assert response.status_code == 429
    assert response.json()["code"] == "quiz_cooldown"
    retry_after = int(response.headers["Retry-After"])
    assert settings.quiz_cooldown_minutes * 60 - 5 <= retry_after <= settings.quiz_cooldown_minutes * 60
    assert "wait" in response.json()["detail"]
    status = client.get("/api/v1/training/status", headers=headers).json()
    assert status["can_start_attempt"] is False and status["blocked_by"] == "cooldown"
    # After the cooldown the retake may start.
    shift_attempts(db, user, by=timedelta(minutes=settings.quiz_cooldown_minutes, seconds=1))
    start(client, headers)


def test_no_cooldown_after_passing(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user = make_user(db)
    read_all_lessons(db, user, content)
    headers = auth_headers(client, user)
    attempt = start(client, headers)
    submit(client, headers, attempt["id"], right_answers(content, attempt))
    start(client, headers)  # renewing early is allowed


def test_daily_limit(client, db, app, settings) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user = make_user(db)
    read_all_lessons(db, user, content)
    headers = auth_headers(client, user)
    for _ in range(settings.quiz_attempts_per_day):
        _fail(client, headers, content)
        shift_attempts(db, user, by=timedelta(minutes=settings.quiz_cooldown_minutes + 1))
    # 5 attempts, the first (5 x 11) = 55 minutes ago: the next slot opens 24 h after it.
    response = client.post("/api/v1/training/attempts", headers=headers)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "quiz_daily_limit"
    assert f"your {settings.quiz_attempts_per_day} attempts for today" in body["detail"]
    expected = 24 * 3600 - settings.quiz_attempts_per_day * (settings.quiz_cooldown_minutes + 1) * 60
    assert expected - 10 <= int(response.headers["Retry-After"]) <= expected
    assert body["retry_after"] == int(response.headers["Retry-After"])
    # A day later the oldest attempt has left the window.
    shift_attempts(db, user, by=timedelta(hours=23, minutes=10))
    start(client, headers)


def test_expired_attempts_count_towards_the_daily_limit(client, db, app, settings) -> None:  # type: ignore[no-untyped-def]
    """Starting an attempt shows questions, so abandoning attempts cannot get round the limit."""
    content = app.state.content
    user = make_user(db)
    read_all_lessons(db, user, content)
    headers = auth_headers(client, user)
    for _ in range(settings.quiz_attempts_per_day):
        start(client, headers)
        shift_attempts(db, user, by=timedelta(minutes=settings.quiz_attempt_minutes + 5))
    assert client.post("/api/v1/training/attempts", headers=headers).status_code == 429


# The gate -------------------------------------------------------------------------------


@pytest.fixture
def gated_client(app, client):  # type: ignore[no-untyped-def]
    """The app with a probe route behind CertifiedVolunteer, as the report routes use it."""
    probe = APIRouter()

    @probe.get("/api/v1/_probe/certified")
    def certified_probe(user: CertifiedVolunteer) -> dict[str, int]:
        return {"user_id": user.id}  # type: ignore[dict-item]

    app.include_router(probe)
    return client


def _set_certified_until(db, user: User, value) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        row = session.get(User, user.id)
        row.certified_until = value
        session.add(row)


def test_gate_refuses_an_uncertified_volunteer(gated_client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    headers = auth_headers(gated_client, user)
    response = gated_client.get("/api/v1/_probe/certified", headers=headers)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "certification_required" and body["training_url"] == "/training"
    assert "/training" in body["detail"] and "quiz" in body["detail"]
    me = gated_client.get("/api/v1/me", headers=headers).json()
    assert me["certified"] is False and me["certified_until"] is None


def test_gate_lets_a_certified_volunteer_through(gated_client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db, certified=True)
    headers = auth_headers(gated_client, user)
    assert gated_client.get("/api/v1/_probe/certified", headers=headers).status_code == 200
    assert gated_client.get("/api/v1/me", headers=headers).json()["certified"] is True


def test_gate_refuses_an_expired_certification(gated_client, db) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db)
    _set_certified_until(db, user, utcnow() - timedelta(minutes=1))
    headers = auth_headers(gated_client, user)
    response = gated_client.get("/api/v1/_probe/certified", headers=headers)
    assert response.status_code == 403
    assert "ended on" in response.json()["detail"] and response.json()["certified_until"]
    assert gated_client.get("/api/v1/me", headers=headers).json()["certified"] is False


@pytest.mark.parametrize("role", [Role.expert, Role.admin])
def test_gate_does_not_apply_to_staff(gated_client, db, role) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db, role=role)
    headers = auth_headers(gated_client, user)
    assert gated_client.get("/api/v1/_probe/certified", headers=headers).status_code == 200


def test_passing_the_quiz_opens_the_gate(gated_client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    user = make_user(db)
    read_all_lessons(db, user, content)
    headers = auth_headers(gated_client, user)
    assert gated_client.get("/api/v1/_probe/certified", headers=headers).status_code == 403
    attempt = start(gated_client, headers)
    submit(gated_client, headers, attempt["id"], right_answers(content, attempt))
    assert gated_client.get("/api/v1/_probe/certified", headers=headers).status_code == 200
