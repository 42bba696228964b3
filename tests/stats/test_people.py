"""Volunteers' own figures, the opt-in leaderboard, and small counts suppressed for volunteers."""

from __future__ import annotations

import re

from app.models import Role, User
from app.services import stats_people
from tests.conftest import post_form
from tests.factories import make_user, web_login
from tests.stats.factories import at, make_listing, make_report


def _record(db, user, statuses: list[str]) -> None:  # type: ignore[no-untyped-def]
    """One report by `user` per listing, each listing in the given status."""
    with db.transaction() as session:
        for index, status in enumerate(statuses):
            listing = make_listing(session, first_reported_at=at("2026-03-02 10:00"), status=status)
            make_report(session, listing=listing, reporter=user, created_at=at(f"2026-03-02 1{index % 10}:00"))


def test_own_figures_on_the_account_page(client, db) -> None:  # type: ignore[no-untyped-def]
    vera = make_user(db, certified=True)
    _record(db, vera, ["confirmed", "removed", "removed", "rejected", "pending", "in_review"])
    with db.session() as session:
        figures = stats_people.volunteer_figures(session, user=session.get(User, vera.id))
    assert (figures.reports, figures.decided, figures.confirmed, figures.removed) == (6, 4, 3, 2)
    assert figures.accuracy == 0.75
    web_login(client, vera)
    page = client.get("/account").text
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)", page))
    # Their own figures are theirs: shown exactly, even below 5.
    assert (facts["Reports"], facts["Confirmed by the experts"], facts["Taken down by the company"]) == ("6", "3", "2")
    assert "75%" in page and "(3 of 4 decided reports confirmed)" in page
    assert 'href="/account/data"' in page and 'href="/account/delete"' in page


def test_no_decision_yet_means_no_accuracy(client, db) -> None:  # type: ignore[no-untyped-def]
    newcomer = make_user(db, certified=True)
    web_login(client, newcomer)
    assert "Not yet: no report of yours has been decided." in client.get("/account").text


def test_experts_see_no_volunteer_figures(client, db) -> None:  # type: ignore[no-untyped-def]
    web_login(client, make_user(db, role=Role.expert))
    page = client.get("/account").text
    assert "Your figures" not in page and "Download your data" in page


def test_leaderboard_shows_names_only_of_those_who_opted_in(client, db) -> None:  # type: ignore[no-untyped-def]
    shy = make_user(db, certified=True, display_name="Shy Sparrow")
    proud = make_user(db, certified=True, display_name="Proud Peacock")
    few = make_user(db, certified=True, display_name="Few Finch")
    _record(db, shy, ["confirmed"] * 7 + ["rejected"])
    _record(db, proud, ["confirmed"] * 5 + ["pending"] * 2)
    _record(db, few, ["confirmed"] * 2)
    web_login(client, proud)
    response = post_form(client, "/leaderboard/opt-in", {"opt_in": "1", "next": "/account"}, from_path="/leaderboard")
    assert response.status_code == 303 and response.headers["location"] == "/account"
    page = client.get("/leaderboard").text
    rows = re.findall(r"<tr[^>]*>\s*<td>(\d+)</td>\s*<th scope=\"row\">(.*?)</th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>",
                      page, re.S)
    cleaned = [(rank, re.sub(r"<[^>]+>", "", name).strip(), re.sub(r"<[^>]+>", "", c), re.sub(r"<[^>]+>", "", r))
               for rank, name, c, r in rows]
    assert cleaned == [("1", "Anonymous spotter", "7", "8"), ("2", "Proud Peacock you", "5", "7"),
                       ("3", "Anonymous spotter", "fewer than 5", "fewer than 5")]
    assert "Shy Sparrow" not in page and "Few Finch" not in page

    # And back to anonymous.
    post_form(client, "/leaderboard/opt-in", {"opt_in": "0"}, from_path="/leaderboard")
    assert "Proud Peacock" not in client.get("/leaderboard").text


def test_programme_figures_shown_to_volunteers_suppress_small_counts(client, db) -> None:  # type: ignore[no-untyped-def]
    one = make_user(db, certified=True)
    _record(db, one, ["confirmed"] * 3 + ["removed"] * 2 + ["pending"])
    web_login(client, one)
    page = client.get("/leaderboard").text
    section = page.split("The programme so far")[1]
    totals = dict(re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", section))
    assert totals["Reports"] == "6" and totals["Listings confirmed"] == "5"
    assert "fewer than 5" in totals["Listings taken down"] and "fewer than 5" in totals["Spotters who reported"]


def test_suppress_threshold() -> None:
    assert stats_people.suppress(4, min_count=5).suppressed
    assert stats_people.suppress(5, min_count=5).value == 5
    assert stats_people.suppress(0, min_count=5).value is None
