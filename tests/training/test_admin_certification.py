"""Admins see a volunteer's training and grant or revoke certification, with a reason, audited."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.models import AuditEntry, Role, User
from tests.conftest import post_form
from tests.factories import auth_headers, make_user, web_login
from tests.training.factories import answers_with, read_all_lessons, start, submit


def _audit(db, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def test_grant_and_revoke_over_the_api(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.admin)
    volunteer = make_user(db)
    headers = auth_headers(client, admin)
    url = f"/api/v1/admin/users/{volunteer.id}/certification"
    granted = client.post(url, headers=headers, json={"action": "grant", "reason": "Trained at the March workshop"})
    assert granted.status_code == 200, granted.text
    assert granted.json()["certified"] is True and granted.json()["certified_until"]
    [entry] = _audit(db, "user.certification_granted")
    assert entry.actor_id == admin.id and entry.entity_id == str(volunteer.id)
    assert entry.reason == "Trained at the March workshop" and entry.before == {"certified_until": None}
    assert entry.after["certified_until"]

    revoked = client.post(url, headers=headers, json={"action": "revoke", "reason": "Contacted a seller"})
    assert revoked.status_code == 200 and revoked.json()["certified"] is False
    [entry] = _audit(db, "user.certification_revoked")
    assert entry.reason == "Contacted a seller" and entry.after == {"certified_until": None}
    assert entry.before["certified_until"] == granted.json()["certified_until"].replace("Z", "+00:00")


def test_grant_until_a_given_date(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.admin)
    volunteer = make_user(db)
    headers = auth_headers(client, admin)
    url = f"/api/v1/admin/users/{volunteer.id}/certification"
    response = client.post(url, headers=headers, json={"action": "grant", "reason": "pilot",
                                                       "until": "2099-03-31T00:00:00Z"})
    assert response.json()["certified_until"].startswith("2099-03-31")
    past = client.post(url, headers=headers, json={"action": "grant", "reason": "x", "until": "2001-01-01T00:00:00Z"})
    assert past.status_code == 422 and "future" in past.json()["detail"]


def test_a_reason_is_required(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.admin)
    volunteer = make_user(db)
    headers = auth_headers(client, admin)
    url = f"/api/v1/admin/users/{volunteer.id}/certification"
    assert client.post(url, headers=headers, json={"action": "grant", "reason": ""}).status_code == 422
    blank = client.post(url, headers=headers, json={"action": "grant", "reason": "   "})
    assert blank.status_code == 422 and "reason" in blank.json()["detail"]
    assert client.post(url, headers=headers, json={"action": "promote", "reason": "x"}).status_code == 422
    assert _audit(db, "user.certification_granted") == []


def test_only_admins_change_certification(client, db) -> None:  # type: ignore[no-untyped-def]
    volunteer = make_user(db)
    for role in (Role.volunteer, Role.expert):
        headers = auth_headers(client, make_user(db, role=role))
        response = client.post(f"/api/v1/admin/users/{volunteer.id}/certification", headers=headers,
                               json={"action": "grant", "reason": "please"})
        assert response.status_code == 403
    admin_headers = auth_headers(client, make_user(db, role=Role.admin))
    missing = client.post("/api/v1/admin/users/999999/certification", headers=admin_headers,
                          json={"action": "grant", "reason": "x"})
    assert missing.status_code == 404


def test_admin_sees_training_status_over_the_api(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    volunteer = make_user(db)
    read_all_lessons(db, volunteer, content)
    volunteer_headers = auth_headers(client, volunteer)
    attempt = start(client, volunteer_headers)
    submit(client, volunteer_headers, attempt["id"], answers_with(content, attempt, wrong=4))
    admin_headers = auth_headers(client, make_user(db, role=Role.admin))
    status = client.get(f"/api/v1/admin/users/{volunteer.id}/training", headers=admin_headers).json()
    assert all(lesson["read"] for lesson in status["lessons"]) and len(status["lessons"]) == len(content.lesson_slugs)
    [summary] = status["attempts"]
    assert summary["state"] == "graded" and summary["passed"] is False
    assert summary["correct_count"] == len(attempt["questions"]) - 4
    assert status["certified"] is False


def test_admin_page_shows_training_and_grants_with_a_reason(client, db, app) -> None:  # type: ignore[no-untyped-def]
    content = app.state.content
    admin = make_user(db, role=Role.admin, display_name="Ada Admin")
    volunteer = make_user(db, display_name="Vera <b>Volunteer</b>")
    read_all_lessons(db, volunteer, content)
    web_login(client, admin)
    page = client.get(f"/admin/users/{volunteer.id}")
    assert page.status_code == 200
    assert "Vera &lt;b&gt;Volunteer&lt;/b&gt;" in page.text
    assert f"{len(content.lesson_slugs)} of {len(content.lesson_slugs)}" in page.text
    assert "No attempts yet." in page.text and "Not certified" in page.text

    path = f"/admin/users/{volunteer.id}"
    missing_reason = post_form(client, f"{path}/certification", {"action": "grant", "reason": " ", "until": ""},
                               from_path=path)
    assert missing_reason.status_code == 422
    assert "Please give a reason" in missing_reason.text
    bad_date = post_form(client, f"{path}/certification",
                         {"action": "grant", "reason": "Workshop <em>March</em>", "until": "31/03/2099"},
                         from_path=path)
    assert bad_date.status_code == 422
    assert "Workshop &lt;em&gt;March&lt;/em&gt;" in bad_date.text  # what was typed is kept, as text
    granted = post_form(client, f"{path}/certification",
                        {"action": "grant", "reason": "Workshop <em>March</em>", "until": "2099-03-31"}, from_path=path)
    assert granted.status_code == 303 and granted.headers["location"] == f"{path}?saved=granted"
    shown = client.get(granted.headers["location"])
    assert "Certification granted." in shown.text and "Ada Admin" in shown.text
    assert "Workshop &lt;em&gt;March&lt;/em&gt;" in shown.text
    with db.transaction() as session:
        until = session.get(User, volunteer.id).certified_until
    assert until == datetime(2099, 3, 31, 23, 59, 59, tzinfo=UTC)

    revoked = post_form(client, f"{path}/certification", {"action": "revoke", "reason": "Shared a seller's address"},
                        from_path=path)
    assert revoked.status_code == 303
    assert "Certification revoked." in client.get(revoked.headers["location"]).text
    [entry] = _audit(db, "user.certification_revoked")
    assert entry.actor_id == admin.id and entry.reason == "Shared a seller's address"


def test_admin_person_page_is_for_admins_only(client, db) -> None:  # type: ignore[no-untyped-def]
    volunteer = make_user(db)
    web_login(client, make_user(db, role=Role.expert))
    assert client.get(f"/admin/users/{volunteer.id}").status_code == 403
    client.cookies.clear()
    web_login(client, make_user(db, role=Role.admin))
    assert client.get("/admin/users/999999").status_code == 404
