"""Programme figures against the hand-counted scenario (tests/stats/scenario.py)."""

from __future__ import annotations

from datetime import date

import pytest

from app.models import Role
from app.services import stats
from app.services.stats_period import resolve_period
from tests.factories import auth_headers, make_user
from tests.stats.factories import at
from tests.stats.scenario import SINCE, UNTIL, seed

HOUR = 3600.0


def _rows(rows: list[dict], *fields: str) -> dict:
    return {row["key"]: tuple(row[field] for field in fields) for row in rows}


def test_stats_api_matches_hand_counts(client, db) -> None:  # type: ignore[no-untyped-def]
    seed(db)
    expert = make_user(db, role=Role.expert)
    response = client.get(f"/api/v1/stats?since={SINCE}&until={UNTIL}", headers=auth_headers(client, expert))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["since"].startswith("2026-03-02T00:00:00") and body["until"].startswith("2026-03-16T00:00:00")
    assert body["totals"] == {"reports": 7, "listings": 5, "confirmed": 3, "rejected": 1, "referred": 2,
                              "removed": 2, "open": 1, "no_recipient": 1}
    assert body["confirmation_rate"] == pytest.approx(0.75)

    assert [(p["start"], p["reports"], p["listings"], p["confirmed"], p["rejected"], p["referred"], p["removed"])
            for p in body["series"]] == [("2026-03-02", 4, 2, 1, 1, 1, 1), ("2026-03-09", 3, 3, 2, 0, 1, 1)]

    fields = ("reports", "listings", "confirmed", "rejected", "referred", "removed")
    assert _rows(body["by_platform"], *fields) == {
        "ebay": (4, 3, 1, 1, 1, 2), "facebook": (2, 2, 1, 0, 1, 0), None: (1, 0, 1, 0, 0, 0)}
    assert _rows(body["by_group"], *fields) == {
        "bird": (4, 2, 2, 0, 1, 2), "mammal": (1, 1, 0, 1, 0, 0), "reptile": (1, 1, 1, 0, 1, 0), None: (1, 1, 0, 0, 0, 0)}
    assert [row["key"] for row in body["by_appendix"]] == ["I", "II", "none"]
    assert _rows(body["by_appendix"], *fields) == {
        "I": (4, 3, 2, 0, 2, 2), "II": (2, 1, 1, 1, 0, 0), "none": (1, 1, 0, 0, 0, 0)}
    assert _rows(body["by_country"], *fields) == {
        "FR": (5, 3, 3, 0, 2, 2), "DE": (1, 1, 0, 1, 0, 0), None: (1, 1, 0, 0, 0, 0)}
    by_platform = {row["key"]: row["label"] for row in body["by_platform"]}
    assert by_platform["ebay"] == "eBay"

    companies = {row["name"]: row for row in body["by_company"]}
    assert (companies["Acme Market"]["referred"], companies["Acme Market"]["removed"]) == (1, 1)
    assert (companies["Birdbook"]["referred"], companies["Birdbook"]["unanswered"]) == (1, 1)

    durations = body["durations"]
    assert durations["report_to_decision"] == {"count": 4, "median_seconds": 36 * HOUR, "p90_seconds": 300 * HOUR}
    assert durations["confirmation_to_removal"] == {"count": 2, "median_seconds": 126 * HOUR,
                                                    "p90_seconds": pytest.approx(207.6 * HOUR)}
    assert body["unanswered_after_days"] == 7
    assert [(row["name"], row["count"], row["not_delivered"]) for row in body["unanswered_referrals"]] == [
        ("Birdbook", 1, 0)]


def test_monthly_series_keeps_to_the_period(client, db) -> None:  # type: ignore[no-untyped-def]
    seed(db)
    admin = make_user(db, role=Role.admin)
    body = client.get(f"/api/v1/stats?since={SINCE}&until={UNTIL}&interval=month",
                      headers=auth_headers(client, admin)).json()
    # L7's confirmation on 1 March is in the month but before the period: not counted.
    assert [(p["start"], p["reports"], p["confirmed"], p["removed"]) for p in body["series"]] == [
        ("2026-03-01", 7, 3, 2)]


def test_unanswered_needs_the_days_to_pass(db) -> None:  # type: ignore[no-untyped-def]
    seed(db)
    period = resolve_period(since=date(2026, 3, 2), until=date(2026, 3, 15), interval="week", now=at("2026-03-20 00:00"))
    with db.session() as session:
        assert [r.count for r in stats.unanswered_referrals(session, period=period, now=at("2026-03-20 00:00"))] == [1]
        # Three days after the referral it is not yet "unanswered after 7 days".
        assert stats.unanswered_referrals(session, period=period, now=at("2026-03-13 08:00")) == []


def test_stats_are_for_staff_only(client, db) -> None:  # type: ignore[no-untyped-def]
    volunteer = make_user(db, certified=True)
    assert client.get("/api/v1/stats").status_code == 401
    response = client.get("/api/v1/stats", headers=auth_headers(client, volunteer))
    assert response.status_code == 403 and response.json()["detail"]


@pytest.mark.parametrize(("query", "field"), [("since=yesterday", "since"), ("since=2026-03-10&until=2026-03-01", "since"),
                                              ("since=1990-01-01&until=2026-01-01", "interval")])
def test_bad_periods_are_explained(client, db, query, field) -> None:  # type: ignore[no-untyped-def]
    expert = make_user(db, role=Role.expert)
    response = client.get(f"/api/v1/stats?{query}", headers=auth_headers(client, expert))
    assert response.status_code == 422
    assert response.json()["field"] == field and response.json()["detail"]


def test_empty_programme_has_zero_figures(client, db) -> None:  # type: ignore[no-untyped-def]
    expert = make_user(db, role=Role.expert)
    body = client.get("/api/v1/stats", headers=auth_headers(client, expert)).json()
    assert set(body["totals"].values()) == {0}
    assert len(body["series"]) == 12 and body["confirmation_rate"] is None
    assert body["durations"]["report_to_decision"] == {"count": 0, "median_seconds": None, "p90_seconds": None}
