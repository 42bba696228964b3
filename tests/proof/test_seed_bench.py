"""The benchmark seeder writes data the app reads like its own, on both engines.

`cyberspotter seed-bench` bypasses the services for speed (executemany / COPY), so these
tests read what it wrote through the app: the queue API pages through every open
listing once, in queue order, and a second run adds to the first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from app.benchseed import BENCH_EXPERT_EMAIL, BENCH_PASSWORD, seed
from app.models import Listing, ListingStatus, Report, User
from app.services.review_queue import OPEN_STATUSES


def test_seeded_listings_page_through_the_queue_api_in_order(client, db, training_content) -> None:  # type: ignore[no-untyped-def]
    result = seed(db, training_content, listings=600, reports_per_listing=1.5)
    assert result.listings == 600 and result.reports >= 600
    assert set(result.by_status) <= {status.value for status in ListingStatus}

    token = client.post("/api/v1/auth/token", data={"username": BENCH_EXPERT_EMAIL, "password": BENCH_PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    seen: list[dict] = []
    cursor = None
    while True:
        response = client.get("/api/v1/review/queue", params={"status": "pending", "limit": 200,
                                                              **({"cursor": cursor} if cursor else {})},
                              headers=headers)
        assert response.status_code == 200, response.text
        seen += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == result.by_status.get("pending", 0) > 0
    assert len({item["id"] for item in seen}) == len(seen)
    with db.session() as session:
        ranks = dict(session.execute(select(Listing.id, Listing.queue_rank)).all())
        assert [ranks[item["id"]] for item in seen] == sorted(ranks[item["id"]] for item in seen)
        reports = session.execute(select(func.count()).select_from(Report)).scalar_one()
        assert reports == result.reports
        open_count = session.execute(select(func.count()).select_from(Listing)
                                     .where(Listing.status.in_(OPEN_STATUSES))).scalar_one()
    assert open_count == sum(result.by_status.get(status, 0) for status in OPEN_STATUSES)


def test_the_command_adds_to_what_is_there(database_url: str, tmp_path: Path, db) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "CYBERSPOTTER_DATABASE_URL": database_url, "CYBERSPOTTER_DATA_DIR": str(tmp_path),
           "CYBERSPOTTER_ENV": "test", "CYBERSPOTTER_SECRET_KEY": "x" * 48}
    for _ in range(2):
        run = subprocess.run([sys.executable, "-m", "app.cli", "seed-bench", "--listings", "250"], env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert "Added 250 listings" in run.stdout
    with db.session() as session:
        assert session.execute(select(func.count()).select_from(Listing)).scalar_one() == 500
        experts = session.execute(select(func.count()).select_from(User)
                                  .where(User.email == BENCH_EXPERT_EMAIL)).scalar_one()
    assert experts == 1
