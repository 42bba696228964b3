"""Deleting an account: the person disappears from everywhere, their contributions stay."""

from __future__ import annotations

import json

from sqlalchemy import JSON, String, Text, func, select

from app.models import (
    AuditEntry,
    LessonProgress,
    Listing,
    LoginFailure,
    QuizAttempt,
    Report,
    Role,
    RoundEnrolment,
    User,
    UserSession,
    utcnow,
)
from app.models.base import SQLModel
from app.services import privacy
from tests.conftest import post_form
from tests.factories import PASSWORD, auth_headers, make_user, web_login
from tests.reporting.factories import EBAY_URL, GREY_PARROT, png_with_text

EMAIL = "ottilie.nightjar@example.org"
NAME = "Ottilie Nightjar"


def _volunteer_with_a_history(client, db):  # type: ignore[no-untyped-def]
    """A volunteer who trained, reported (with a screenshot), answered a question, joined a round,
    mistyped her password once and changed her display name; her report was confirmed and referred."""
    volunteer = make_user(db, certified=True, email=EMAIL, display_name="Ottilie N.")
    admin = make_user(db, role=Role.admin)
    expert = make_user(db, role=Role.expert)
    admin_headers, expert_headers = auth_headers(client, admin), auth_headers(client, expert)
    company = client.post("/api/v1/admin/companies", headers=admin_headers,
                          json={"name": "eBay", "domains": ["ebay.co.uk"], "webhook_url": "http://127.0.0.1:9/hook"})
    assert company.status_code == 201, company.text
    headers = auth_headers(client, volunteer)
    assert client.patch("/api/v1/me", headers=headers, json={"display_name": NAME}).status_code == 200
    client.post("/api/v1/auth/token", data={"username": EMAIL, "password": "not my password at all"})
    report = client.post("/api/v1/reports", headers=headers, json={
        "listing_url": EBAY_URL, "species_id": GREY_PARROT, "confidence": "high", "seller_handle": "feathers4u",
        "notes": f"Spotted by {NAME} ({EMAIL}); the seller says they ship at night."})
    assert report.status_code == 201, report.text
    report_id, listing_id = report.json()["id"], report.json()["listing_id"]
    upload = client.post(f"/api/v1/reports/{report_id}/evidence", headers=headers,
                         files={"file": ("shot.png", png_with_text(), "image/png")})
    assert upload.status_code == 201, upload.text
    asked = client.post(f"/api/v1/review/listings/{listing_id}/decision", headers=expert_headers,
                        json={"decision": "needs_info", "question": f"{NAME}, is the bird alive in the photos?"})
    assert asked.status_code == 200, asked.text
    question_id = client.get(f"/api/v1/reports/{report_id}", headers=headers).json()["questions"][-1]["id"]
    answer = client.post(f"/api/v1/reports/{report_id}/answers", headers=headers,
                         json={"question_id": question_id, "text": f"Yes, alive. {NAME}"})
    assert answer.status_code == 201, answer.text
    confirmed = client.post(f"/api/v1/review/listings/{listing_id}/decision", headers=expert_headers,
                            json={"decision": "confirm", "species_id": GREY_PARROT, "finding_template": "live_appendix_i",
                                  "note": "Live grey parrot."})
    assert confirmed.status_code == 200, confirmed.text
    round_id = client.post("/api/v1/admin/rounds", headers=admin_headers,
                           json={"name": "Watch", "starts_on": utcnow().date().isoformat()}).json()["id"]
    client.post(f"/api/v1/admin/rounds/{round_id}/enrolments", headers=admin_headers, json={"emails": [EMAIL]})
    with db.transaction() as session:
        session.add(LessonProgress(user_id=volunteer.id, lesson_slug="species-identification"))
        session.add(QuizAttempt(user_id=volunteer.id, content_version="v1", question_ids=["q1"],
                                choice_order={"q1": ["a", "b"]}, expires_at=utcnow(), score=0.9, passed=True))
    return volunteer, admin, expert, listing_id, round_id


def _texts_in_database(db) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """Every text and JSON value of every table, as (table, column, text)."""
    found = []
    with db.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON) or
                       isinstance(getattr(c.type, "impl", None), String | Text)]
            if not columns:
                continue
            for row in session.execute(select(*columns)).mappings():
                for column in columns:
                    value = row[column.name]
                    if value is not None:
                        found.append((table.name, column.name, value if isinstance(value, str) else json.dumps(value)))
    return found


def _mentions(texts, *needles: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(table, column) for table, column, text in texts for needle in needles if needle.lower() in text.lower()]


def test_deleted_volunteer_appears_nowhere_and_the_counts_stay(client, db) -> None:  # type: ignore[no-untyped-def]
    volunteer, admin, expert, listing_id, round_id = _volunteer_with_a_history(client, db)
    assert _mentions(_texts_in_database(db), EMAIL, NAME)  # the scan does find her before
    expert_headers = auth_headers(client, expert)
    stats_before = client.get("/api/v1/stats", headers=expert_headers).json()["totals"]
    with db.session() as session:
        before = session.get(Listing, listing_id)
        reports_before = session.execute(select(func.count(Report.id))).scalar_one()

    headers = auth_headers(client, volunteer)
    assert client.request("DELETE", "/api/v1/me", headers=headers, json={"password": PASSWORD}).status_code == 204

    leaks = _mentions(_texts_in_database(db), EMAIL, NAME, "Ottilie")
    assert leaks == [], leaks
    with db.session() as session:
        user = session.get(User, volunteer.id)
        assert (user.email, user.display_name, user.locale, user.certified_until) == (
            f"deleted-{volunteer.id}@invalid", "Deleted volunteer", None, None)
        assert user.deleted_at is not None and user.password_hash == privacy.UNUSABLE_PASSWORD_HASH
        assert session.execute(select(func.count(Report.id))).scalar_one() == reports_before
        report = session.execute(select(Report).where(Report.listing_id == listing_id)).scalars().one()
        assert report.reporter_id is None and report.seller_handle == "feathers4u"
        assert report.notes == "Spotted by [removed] ([removed]); the seller says they ship at night."
        after = session.get(Listing, listing_id)
        assert (after.status, after.report_count) == (before.status, before.report_count)
        for model in (UserSession, LessonProgress, QuizAttempt, RoundEnrolment):
            assert session.execute(select(func.count()).select_from(model).where(
                model.user_id == volunteer.id)).scalar_one() == 0, model
        # Failed logins keyed by her e-mail are gone (those keyed by the client address are not hers).
        assert session.execute(select(func.count(LoginFailure.id)).where(
            LoginFailure.key.startswith("account:"))).scalar_one() == 0
        deleted = session.execute(select(AuditEntry).where(AuditEntry.action == "user.deleted")).scalars().one()
        assert deleted.actor_id == volunteer.id and deleted.entity_id == str(volunteer.id)
    assert client.get("/api/v1/stats", headers=expert_headers).json()["totals"] == stats_before

    # The expert and admin pages and the exports show nothing of her either.
    web_login(client, admin)
    for path in ("/review", f"/review/listings/{listing_id}", "/admin/users", "/admin/audit", "/dashboard",
                 f"/admin/rounds/{round_id}", "/leaderboard", "/exports/listings.csv", "/exports/referrals.csv",
                 f"/dsa-report/{utcnow().year}", f"/dsa-report/{utcnow().year}.csv"):
        response = client.get(path)
        assert response.status_code == 200, path
        for needle in (EMAIL, NAME, "Ottilie"):
            assert needle.lower() not in response.text.lower(), (path, needle)


def test_every_session_ends(client, db) -> None:  # type: ignore[no-untyped-def]
    volunteer = make_user(db, certified=True)
    phone = auth_headers(client, volunteer)
    laptop = auth_headers(client, volunteer)
    web_login(client, volunteer)
    assert client.get("/api/v1/me", headers=laptop).status_code == 200
    assert client.request("DELETE", "/api/v1/me", headers=phone, json={"password": PASSWORD}).status_code == 204
    assert client.get("/api/v1/me", headers=laptop).status_code == 401
    assert client.get("/api/v1/me", headers=phone).status_code == 401
    assert client.get("/account", follow_redirects=False).status_code == 303  # the browser is logged out too
    login = client.post("/api/v1/auth/token", data={"username": volunteer.email, "password": PASSWORD})
    assert login.status_code == 401


def test_wrong_password_keeps_the_account(client, db) -> None:  # type: ignore[no-untyped-def]
    volunteer = make_user(db, certified=True)
    headers = auth_headers(client, volunteer)
    response = client.request("DELETE", "/api/v1/me", headers=headers, json={"password": "wrong wrong wrong"})
    assert response.status_code == 422
    assert response.json()["field"] == "password" and "not been deleted" in response.json()["detail"]
    assert client.get("/api/v1/me", headers=headers).json()["email"] == volunteer.email
    with db.session() as session:
        assert session.get(User, volunteer.id).deleted_at is None
        # The attempt counts towards the login throttle: a stolen session cannot guess the password here.
        assert session.execute(select(func.count(LoginFailure.id))).scalar_one() == 1
    for _ in range(4):
        client.request("DELETE", "/api/v1/me", headers=headers, json={"password": "still wrong, sorry"})
    throttled = client.request("DELETE", "/api/v1/me", headers=headers, json={"password": PASSWORD})
    assert throttled.status_code == 429 and throttled.headers["retry-after"]
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_delete_page_without_javascript(client, db) -> None:  # type: ignore[no-untyped-def]
    volunteer = make_user(db, certified=True)
    web_login(client, volunteer)
    page = client.get("/account/delete")
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.text
    wrong = post_form(client, "/account/delete", {"password": "nope nope nope"}, from_path="/account/delete")
    assert wrong.status_code == 422 and "not been deleted" in wrong.text
    done = post_form(client, "/account/delete", {"password": PASSWORD}, from_path="/account/delete")
    assert done.status_code == 303 and done.headers["location"] == "/account/deleted"
    assert 'cs_session=""' in done.headers["set-cookie"] or "Max-Age=0" in done.headers["set-cookie"]
    assert "has been deleted" in client.get("/account/deleted").text
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_the_last_admin_cannot_leave(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.admin)
    headers = auth_headers(client, admin)
    response = client.request("DELETE", "/api/v1/me", headers=headers, json={"password": PASSWORD})
    assert response.status_code == 409 and "only admin" in response.json()["detail"]
    make_user(db, role=Role.admin)
    assert client.request("DELETE", "/api/v1/me", headers=headers, json={"password": PASSWORD}).status_code == 204


def test_names_are_scrubbed_as_whole_words_and_exact_in_others_texts() -> None:
    robin = User(email="robin@example.org", display_name="Robin", password_hash="x")
    own, others = privacy._needles(robin), privacy._needles(robin, exact_case=True)
    assert privacy.scrub_text("robin here (ROBIN@example.org)", own) == "[removed] here ([removed])"
    assert privacy.scrub_text("A robin in a cage; thanks Robin. Robinson is the seller.", others) == (
        "A robin in a cage; thanks [removed]. Robinson is the seller.")
    short = User(email="al@example.org", display_name="Al", password_hash="x")
    assert privacy.scrub_text("Al sold alpaca wool", privacy._needles(short)) == "Al sold alpaca wool"
