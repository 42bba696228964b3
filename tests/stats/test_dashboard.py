"""The dashboard page: figures as SVG charts with tables, a period form that works without JavaScript."""

from __future__ import annotations

import re

from app.models import Role
from tests.factories import make_user, web_login
from tests.stats.scenario import SINCE, UNTIL, seed


def test_dashboard_shows_charts_and_tables(client, db) -> None:  # type: ignore[no-untyped-def]
    seed(db)
    web_login(client, make_user(db, role=Role.expert))
    response = client.get(f"/dashboard?since={SINCE}&until={UNTIL}")
    assert response.status_code == 200
    page = response.text
    assert "<script>" not in page and "style=" not in page and " onclick" not in page
    assert page.count('<svg class="chart') == 6  # series, 4 breakdowns, companies
    assert '/static/dashboard.css' in page
    # The period is shown back in the form, and the totals are there in words and numbers.
    assert 'value="2026-03-02"' in page and 'value="2026-03-15"' in page
    totals = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert totals["Reports"] == "7" and totals["Confirmed"] == "3" and totals["Removed"] == "2"
    assert totals["Confirmation rate"] == "75%"
    assert "eBay" in page and "Birdbook" in page and "Appendix I" in page and "France" in page
    assert "1 day, 12 hours" in page and "12 days, 12 hours" in page  # report -> decision: median, p90


def test_dashboard_htmx_answers_the_figures_block(client, db) -> None:  # type: ignore[no-untyped-def]
    web_login(client, make_user(db, role=Role.admin))
    response = client.get("/dashboard?interval=month", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="figures">') and "<html" not in response.text
    assert "HX-Request" in response.headers["vary"]


def test_dashboard_bad_dates_keep_the_input(client, db) -> None:  # type: ignore[no-untyped-def]
    web_login(client, make_user(db, role=Role.expert))
    response = client.get("/dashboard?since=2026-13-40&until=2026-03-01")
    assert response.status_code == 422
    assert 'value="2026-13-40"' in response.text and "is not a date" in response.text


def test_dashboard_is_for_staff(client, db) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/dashboard", follow_redirects=False).status_code == 303  # to the login page
    web_login(client, make_user(db, certified=True))
    assert client.get("/dashboard").status_code == 403
