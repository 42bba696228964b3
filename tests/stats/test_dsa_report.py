"""The trusted-flagger yearly report: notices by provider, content type and action; no personal data."""

from __future__ import annotations

import csv
import io

from app.models import Role
from tests.factories import make_user, web_login
from tests.stats.factories import at, make_listing, make_referral, make_report
from tests.stats.scenario import seed


def _seed_other_years(db, scenario) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        old = make_listing(session, first_reported_at=at("2025-12-30 10:00"), status="confirmed", species_group="mammal",
                           confirmed_at=at("2025-12-31 10:00"))
        make_report(session, listing=old, reporter=scenario.reporters[0], created_at=at("2025-12-30 10:00"))
        make_referral(session, listing=old, company=scenario.birdbook, created_at=at("2025-12-31 23:59"),
                      outcome="not_removed", acted_at=at("2026-01-02 10:00"))


def test_yearly_report_counts_by_provider_type_and_action(client, db) -> None:  # type: ignore[no-untyped-def]
    scenario = seed(db)
    _seed_other_years(db, scenario)
    web_login(client, make_user(db, role=Role.expert))
    page = client.get("/dsa-report/2026")
    assert page.status_code == 200
    text = page.text
    assert "Trusted-flagger report 2026" in text and 'href="/dsa-report/2025"' in text
    rows = list(csv.reader(io.StringIO(client.get("/dsa-report/2026.csv").content.decode("utf-8-sig"))))
    assert rows[0][:10] == ["year", "breakdown", "hosting_provider", "species_group", "product_form", "notices",
                            "removed", "not_removed", "already_gone", "no_answer"]
    table = {(r[1], r[2], r[3], r[4]): r[5:] for r in rows[1:]}
    # L1 and L7 to Acme (removed after 24 h and 228 h), L3 to Birdbook (no answer); L5 had no recipient.
    assert table[("total", "", "", "")] == ["3", "2", "0", "0", "1", "126.0"]
    assert table[("hosting_provider", "Acme Market", "", "")] == ["2", "2", "0", "0", "0", "126.0"]
    assert table[("hosting_provider", "Birdbook", "", "")] == ["1", "0", "0", "0", "1", ""]
    assert table[("content_type", "", "bird", "live")] == ["1", "1", "0", "0", "0", ""]
    assert table[("content_type", "", "bird", "product")] == ["1", "1", "0", "0", "0", ""]
    assert table[("content_type", "", "reptile", "product")] == ["1", "0", "0", "0", "1", ""]
    assert len(rows) == 1 + 1 + 2 + 3
    assert "5 days, 6 hours" in text  # 126 hours, the median time to action

    previous = list(csv.reader(io.StringIO(client.get("/dsa-report/2025.csv").content.decode("utf-8-sig"))))
    assert previous[1][5:10] == ["1", "0", "1", "0", "0"]  # the New Year's Eve notice, not removed


def test_yearly_report_has_no_personal_data(client, db) -> None:  # type: ignore[no-untyped-def]
    reporters = [make_user(db, certified=True, display_name="Quentin Vole", email="quentin@example.org"),
                 make_user(db, certified=True, display_name="Rhea Marten", email="rhea@example.org")]
    seed(db, reporters)
    expert = make_user(db, role=Role.expert, display_name="Esther Expert", email="esther@example.org")
    web_login(client, expert)
    for path in ("/dsa-report/2026", "/dsa-report/2026.csv"):
        body = client.get(path).text
        for secret in ("Quentin", "quentin@", "Rhea", "rhea@", "parrot_king", "hand reared", "esther@",
                       "https://www.example.com/item"):
            assert secret not in body, (path, secret)


def test_yearly_report_is_for_staff_and_checks_the_year(client, db) -> None:  # type: ignore[no-untyped-def]
    web_login(client, make_user(db, certified=True))
    assert client.get("/dsa-report/2026").status_code == 403
    assert client.get("/dsa-report/2026.csv").status_code == 403
    client.cookies.clear()
    web_login(client, make_user(db, role=Role.admin))
    assert client.get("/dsa-report", follow_redirects=False).headers["location"].startswith("/dsa-report/20")
    response = client.get("/dsa-report/1066")
    assert response.status_code == 422 and "1066" in response.text
    empty = client.get("/dsa-report/2024")
    assert empty.status_code == 200 and "No notices were sent this year." in empty.text
