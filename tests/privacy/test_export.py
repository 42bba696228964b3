"""Downloading one's own data: everything about the caller, nothing about anyone else."""

from __future__ import annotations

import json

from app.models import LessonProgress, QuizAttempt, Role, utcnow
from tests.factories import auth_headers, make_user, web_login
from tests.stats.factories import at, make_evidence, make_listing, make_report


def test_export_holds_all_my_data_and_only_mine(client, db) -> None:  # type: ignore[no-untyped-def]
    me = make_user(db, certified=True, display_name="Mira Kestrel", email="mira@example.org")
    other = make_user(db, certified=True, display_name="Otto Other", email="otto@example.org")
    admin = make_user(db, role=Role.admin)
    with db.transaction() as session:
        listing = make_listing(session, first_reported_at=at("2026-03-02 10:00"), status="confirmed")
        mine = make_report(session, listing=listing, reporter=me, notes="cage in the back", seller_handle="birdman")
        make_report(session, listing=listing, reporter=other, notes="Otto's secret note")
        make_evidence(session, report=mine, storage_key="ab/cd.jpg")
        session.add(LessonProgress(user_id=me.id, lesson_slug="code-words"))
        session.add(QuizAttempt(user_id=me.id, content_version="v1", question_ids=["q1"], choice_order={"q1": ["a"]},
                                expires_at=utcnow(), score=0.8, passed=True))
    admin_headers = auth_headers(client, admin)
    round_id = client.post("/api/v1/admin/rounds", headers=admin_headers,
                           json={"name": "March", "starts_on": "2026-03-02"}).json()["id"]
    client.post(f"/api/v1/admin/rounds/{round_id}/enrolments", headers=admin_headers, json={"user_ids": [me.id]})
    headers = auth_headers(client, me)
    client.post("/api/v1/auth/token", data={"username": me.email, "password": "a wrong password here"})

    response = client.get("/api/v1/me/export", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith(f'attachment; filename="cyberspotter-my-data-{me.id}-')
    data = response.json()
    assert set(data) >= {"user", "reports", "evidence", "quiz_attempts", "lesson_progress", "rounds", "sessions",
                         "audit", "review_answers", "login_failures"}
    assert (data["user"]["email"], data["user"]["display_name"]) == ("mira@example.org", "Mira Kestrel")
    assert [(r["notes"], r["seller_handle"], r["listing_status"]) for r in data["reports"]] == [
        ("cage in the back", "birdman", "confirmed")]
    assert data["evidence"][0]["download_url"].endswith(f"/api/v1/evidence/{data['evidence'][0]['id']}")
    assert [p["lesson_slug"] for p in data["lesson_progress"]] == ["code-words"]
    assert data["quiz_attempts"][0]["passed"] is True
    assert [r["name"] for r in data["rounds"]] == ["March"]
    assert len(data["sessions"]) >= 1 and "id" not in data["sessions"][0]
    assert len(data["login_failures"]) == 1
    assert any(entry["action"] == "user.registered" for entry in data["audit"])
    text = json.dumps(data)
    assert "Otto" not in text and "otto@example.org" not in text and "password_hash" not in text


def test_export_page_and_download(client, db) -> None:  # type: ignore[no-untyped-def]
    expert = make_user(db, role=Role.expert, email="ezra@example.org")
    assert client.get("/api/v1/me/export").status_code == 401
    web_login(client, expert)
    page = client.get("/account/data")
    assert page.status_code == 200 and 'href="/account/data/export.json"' in page.text
    download = client.get("/account/data/export.json")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    assert download.json()["user"]["email"] == "ezra@example.org" and download.json()["reports"] == []
