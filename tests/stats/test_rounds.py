"""Rounds: admins create and enrol, progress per volunteer per week, volunteers see their own."""

from __future__ import annotations

from datetime import date, timedelta

from app.models import Role, utcnow
from app.services import rounds
from tests.conftest import post_form
from tests.factories import auth_headers, make_user, web_login
from tests.stats.factories import at, make_listing, make_report


def _reports(db, user, moments: list[str]) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        for moment in moments:
            listing = make_listing(session, first_reported_at=at(moment))
            make_report(session, listing=listing, reporter=user, created_at=at(moment))


def test_round_progress_per_volunteer_and_week(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.admin)
    ana = make_user(db, certified=True, display_name="Ana", email="ana@example.org")
    ben = make_user(db, certified=True, display_name="Ben", email="ben@example.org")
    headers = auth_headers(client, admin)
    created = client.post("/api/v1/admin/rounds", headers=headers,
                          json={"name": "Spring watch", "starts_on": "2026-03-04", "weeks": 3, "weekly_minimum": 2})
    assert created.status_code == 201, created.text
    round_id = created.json()["id"]
    assert created.json()["ends_on"] == "2026-03-25" and created.json()["state"] == "ended"
    enrolled = client.post(f"/api/v1/admin/rounds/{round_id}/enrolments", headers=headers,
                           json={"emails": ["ANA@example.org "], "user_ids": [ben.id]})
    assert enrolled.status_code == 200 and sorted(enrolled.json()["enrolled"]) == sorted([ana.id, ben.id])
    again = client.post(f"/api/v1/admin/rounds/{round_id}/enrolments", headers=headers, json={"user_ids": [ana.id]})
    assert again.json() == {"enrolled": [], "already_enrolled": [ana.id]}

    # Week 1 = 4-10 Mar, week 2 = 11-17 Mar, week 3 = 18-24 Mar (a Wednesday start).
    _reports(db, ana, ["2026-03-04 00:00", "2026-03-10 23:59", "2026-03-11 09:00", "2026-03-24 12:00",
                       "2026-03-24 13:00", "2026-03-25 00:00", "2026-03-03 23:00"])
    _reports(db, ben, ["2026-03-12 10:00", "2026-03-13 10:00", "2026-03-14 10:00"])
    body = client.get(f"/api/v1/admin/rounds/{round_id}", headers=headers).json()
    progress = {row["display_name"]: row for row in body["volunteers"]}
    assert [w["reports"] for w in progress["Ana"]["weeks"]] == [2, 1, 2]
    assert [w["outcome"] for w in progress["Ana"]["weeks"]] == ["met", "missed", "met"]
    assert [w["reports"] for w in progress["Ben"]["weeks"]] == [0, 3, 0]
    assert (progress["Ana"]["weeks_met"], progress["Ben"]["weeks_met"]) == (2, 1)
    assert progress["Ana"]["email"] == "ana@example.org"

    mine = client.get("/api/v1/rounds/mine", headers=auth_headers(client, ana)).json()["items"]
    assert [(r["round"]["name"], [w["reports"] for w in r["weeks"]]) for r in mine] == [("Spring watch", [2, 1, 2])]
    assert "email" not in str(mine)

    assert client.delete(f"/api/v1/admin/rounds/{round_id}/enrolments/{ben.id}", headers=headers).status_code == 204
    assert [r["display_name"] for r in client.get(f"/api/v1/admin/rounds/{round_id}", headers=headers).json()[
        "volunteers"]] == ["Ana"]
    assert client.delete(f"/api/v1/admin/rounds/{round_id}", headers=headers).status_code == 409  # it has run


def test_current_week_is_in_progress() -> None:
    today = date(2026, 3, 12)
    week = rounds.Week(number=2, starts_on=date(2026, 3, 11), ends_on=date(2026, 3, 18))
    assert week.state(today) == "current"
    assert rounds._outcome(1, 2, week.state(today)) == "in_progress"
    assert rounds._outcome(2, 2, week.state(today)) == "met"
    assert rounds._outcome(0, 2, "upcoming") == "upcoming"


def test_enrolling_unknown_people_changes_nothing(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.admin)
    ana = make_user(db, certified=True, email="ana@example.org")
    expert = make_user(db, role=Role.expert, email="expert@example.org")
    headers = auth_headers(client, admin)
    round_id = client.post("/api/v1/admin/rounds", headers=headers,
                           json={"name": "R", "starts_on": "2030-01-07"}).json()["id"]
    response = client.post(f"/api/v1/admin/rounds/{round_id}/enrolments", headers=headers,
                           json={"emails": ["ana@example.org", "nobody@example.org", "expert@example.org"]})
    assert response.status_code == 422
    assert response.json()["unknown"] == ["nobody@example.org", "expert@example.org"]
    assert "nobody@example.org" in response.json()["detail"]
    assert client.get(f"/api/v1/admin/rounds/{round_id}", headers=headers).json()["volunteers"] == []
    assert ana.id and expert.id
    assert client.delete(f"/api/v1/admin/rounds/{round_id}", headers=headers).status_code == 204  # not started


def test_round_validation(client, db) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers(client, make_user(db, role=Role.admin))
    for body, field in (({"name": " ", "starts_on": "2026-03-04"}, "name"),
                        ({"name": "R", "starts_on": "2026-03-04", "weeks": 0}, "weeks"),
                        ({"name": "R", "starts_on": "2026-03-04", "weekly_minimum": 0}, "weekly_minimum")):
        response = client.post("/api/v1/admin/rounds", headers=headers, json=body)
        assert response.status_code == 422 and response.json()["field"] == field
    volunteer_headers = auth_headers(client, make_user(db, certified=True))
    assert client.get("/api/v1/admin/rounds", headers=volunteer_headers).status_code == 403


def test_round_pages_without_javascript(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.admin)
    cleo = make_user(db, certified=True, display_name="Cleo <b>", email="cleo@example.org")
    dan = make_user(db, certified=True, display_name="Dan", email="dan@example.org")
    web_login(client, admin)
    assert "/admin/rounds" in client.get("/admin").text
    bad = post_form(client, "/admin/rounds", {"name": "Autumn", "starts_on": "", "weeks": "4", "weekly_minimum": "3"},
                    from_path="/admin/rounds")
    assert bad.status_code == 422 and 'value="Autumn"' in bad.text and "first day" in bad.text.lower()
    start = utcnow().date() - timedelta(days=2)
    created = post_form(client, "/admin/rounds", {"name": "Autumn", "starts_on": start.isoformat(), "weeks": "4",
                                                  "weekly_minimum": "3"}, from_path="/admin/rounds")
    assert created.status_code == 303
    page_url = created.headers["location"].split("?")[0]
    unknown = post_form(client, f"{page_url}/enrol", {"emails": "cleo@example.org\nzed@example.org"},
                        from_path=page_url)
    assert unknown.status_code == 422 and "zed@example.org" in unknown.text
    assert "cleo@example.org\nzed@example.org</textarea>" in unknown.text  # what was typed is kept
    done = post_form(client, f"{page_url}/enrol", {"emails": "cleo@example.org", "user_ids": [str(dan.id)]},
                     from_path=page_url)
    assert done.status_code == 303 and "enrolled=2" in done.headers["location"]
    _reports(db, cleo, [f"{utcnow().date().isoformat()} 00:00"])
    page = client.get(page_url)
    assert "Cleo &lt;b&gt;" in page.text and "1 of 3 so far" in page.text

    client.cookies.clear()
    web_login(client, cleo)
    mine = client.get("/rounds/mine")
    assert mine.status_code == 200 and "Autumn" in mine.text and "1 of 3 so far" in mine.text
    assert client.get(page_url).status_code == 403


def test_round_lists_are_paged(client, db) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers(client, make_user(db, role=Role.admin))
    for name, start in (("A", "2026-01-05"), ("B", "2026-02-02"), ("C", "2026-02-02"), ("D", "2026-03-02")):
        client.post("/api/v1/admin/rounds", headers=headers, json={"name": name, "starts_on": start})
    first = client.get("/api/v1/admin/rounds?limit=3", headers=headers).json()
    assert [r["name"] for r in first["items"]] == ["D", "C", "B"] and first["next_cursor"]
    second = client.get(f"/api/v1/admin/rounds?limit=3&cursor={first['next_cursor']}", headers=headers).json()
    assert [r["name"] for r in second["items"]] == ["A"] and second["next_cursor"] is None
    bad = client.get("/api/v1/admin/rounds?cursor=nonsense", headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"
