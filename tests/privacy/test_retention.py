"""Evidence retention: files go a configurable time after their listing closed; the rows stay, marked."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import anyio
from sqlalchemy import select

from app.models import AuditEntry, Evidence
from app.services import retention
from app.services.evidence import thumbnail_key
from app.worker_jobs import daily_jobs_loop, run_daily_jobs
from tests.stats.factories import at, make_evidence, make_listing, make_report

NOW = at("2026-11-24 12:00")


def run_cli(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CYBERSPOTTER_DATABASE_URL": database_url, "CYBERSPOTTER_DATA_DIR": str(data_dir),
           "CYBERSPOTTER_ENV": "test", "CYBERSPOTTER_SECRET_KEY": "x" * 48}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def _evidence(db, settings, *, closed_days_ago: int | None, key: str, deleted: bool = False) -> int:  # type: ignore[no-untyped-def]
    closed_at = NOW - timedelta(days=closed_days_ago) if closed_days_ago is not None else None
    with db.transaction() as session:
        listing = make_listing(session, first_reported_at=at("2024-01-01 00:00"),
                               status="rejected" if closed_at else "pending", closed_at=closed_at)
        report = make_report(session, listing=listing)
        row = make_evidence(session, report=report, storage_key=key)
        if deleted:
            row.deleted_at = NOW - timedelta(days=1)
        evidence_id = row.id
    for name in (key, thumbnail_key(key)):
        path = settings.evidence_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"picture")
    return evidence_id


def _files(settings, key: str) -> list[bool]:  # type: ignore[no-untyped-def]
    return [(settings.evidence_dir / name).exists() for name in (key, thumbnail_key(key))]


def test_purge_after_the_retention_period(db, settings) -> None:  # type: ignore[no-untyped-def]
    expired = _evidence(db, settings, closed_days_ago=731, key="2024/01/old.jpg")
    recent = _evidence(db, settings, closed_days_ago=100, key="2026/08/recent.jpg")
    still_open = _evidence(db, settings, closed_days_ago=None, key="2024/01/open.jpg")
    _evidence(db, settings, closed_days_ago=900, key="2023/06/gone.jpg", deleted=True)
    with db.transaction() as session:
        assert retention.count_expired_evidence(session, settings=settings, now=NOW) == 1
        assert retention.purge_expired_evidence(session, settings=settings, now=NOW) == 1
    assert _files(settings, "2024/01/old.jpg") == [False, False]
    assert _files(settings, "2026/08/recent.jpg") == [True, True]
    assert _files(settings, "2024/01/open.jpg") == [True, True]
    with db.session() as session:
        rows = {row.id: row for row in session.execute(select(Evidence)).scalars()}
        assert rows[expired].deleted_at == NOW and rows[expired].sha256  # the record stays, without the picture
        assert rows[recent].deleted_at is None and rows[still_open].deleted_at is None
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "evidence.purged")).scalars().one()
        assert entry.after["evidence"] == 1 and entry.after["files"] == 2
    with db.transaction() as session:  # idempotent
        assert retention.purge_expired_evidence(session, settings=settings, now=NOW) == 0


def test_retention_is_configurable_and_runs_in_batches(db, settings) -> None:  # type: ignore[no-untyped-def]
    for number in range(5):
        _evidence(db, settings, closed_days_ago=100, key=f"2026/08/{number}.jpg")
    short = settings.model_copy(update={"evidence_retention_days": 90})
    with db.transaction() as session:
        assert retention.purge(session, settings=short, now=NOW, batch_size=2).evidence == 5
    assert not any(any(_files(settings, f"2026/08/{number}.jpg")) for number in range(5))


def test_a_file_already_missing_still_counts(db, settings) -> None:  # type: ignore[no-untyped-def]
    _evidence(db, settings, closed_days_ago=800, key="2024/02/lost.jpg")
    (settings.evidence_dir / "2024/02/lost.jpg").unlink()
    results = run_daily_jobs(db, settings, now=NOW)
    assert results == {"evidence_purged": 1, "evidence_files_deleted": 1}


def test_a_key_outside_the_evidence_directory_is_never_deleted(db, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    with db.transaction() as session:
        listing = make_listing(session, first_reported_at=at("2024-01-01 00:00"), status="rejected",
                               closed_at=NOW - timedelta(days=1000))
        make_evidence(session, report=make_report(session, listing=listing), storage_key="../../precious.txt")
    with db.transaction() as session:
        assert retention.purge_expired_evidence(session, settings=settings, now=NOW) == 1
    assert outside.read_text() == "keep me"


def test_the_worker_loop_runs_the_daily_jobs(db, settings) -> None:  # type: ignore[no-untyped-def]
    _evidence(db, settings, closed_days_ago=800, key="2024/03/loop.jpg")

    async def main() -> None:
        with anyio.move_on_after(5):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(lambda: daily_jobs_loop(db, settings, first_delay=0, every=timedelta(seconds=30)))
                while any(_files(settings, "2024/03/loop.jpg")):
                    await anyio.sleep(0.02)
                tasks.cancel_scope.cancel()

    anyio.run(main)
    assert _files(settings, "2024/03/loop.jpg") == [False, False]


def test_cli_purge_evidence(db, settings) -> None:  # type: ignore[no-untyped-def]
    _evidence(db, settings, closed_days_ago=800, key="2024/04/cli.jpg")
    dry = run_cli("purge-evidence", "--dry-run", database_url=settings.database_url, data_dir=settings.data_dir)
    assert dry.returncode == 0 and "1 evidence item(s) would be deleted" in dry.stdout
    assert _files(settings, "2024/04/cli.jpg") == [True, True]
    done = run_cli("purge-evidence", database_url=settings.database_url, data_dir=settings.data_dir)
    assert done.returncode == 0, done.stderr
    assert "Deleted 1 evidence item(s) (2 file(s))" in done.stdout
    assert _files(settings, "2024/04/cli.jpg") == [False, False]
