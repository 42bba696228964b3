"""CSV exports: filters, no volunteer data, formula-safe cells, and streaming in bounded chunks."""

from __future__ import annotations

import csv
import hashlib
import io
import tracemalloc
from datetime import timedelta

from app.models import AuditEntry, Listing, Role
from app.models.listings import queue_rank
from app.services import exports
from tests.conftest import csrf_token
from tests.factories import auth_headers, make_user, web_login
from tests.stats.factories import at, make_listing, make_report
from tests.stats.scenario import seed


def _csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_listings_export_with_filters_and_no_volunteer_data(client, db) -> None:  # type: ignore[no-untyped-def]
    scenario = seed(db)
    expert = make_user(db, role=Role.expert)
    headers = auth_headers(client, expert)
    response = client.get("/api/v1/exports/listings.csv", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="cyberspotter-listings-')
    assert response.headers["cache-control"] == "no-store"
    rows = _csv(response)
    assert len(rows) == 7
    l1 = next(row for row in rows if row["listing_id"] == str(scenario.listings["L1"].id))
    assert (l1["platform"], l1["status"], l1["cites_appendix"], l1["company"], l1["outcome"]) == (
        "eBay", "removed", "I", "Acme Market", "removed")
    assert l1["confirmed_at"] == "2026-03-04T10:00:00Z" and l1["live_animal"] == "true"
    text = response.text
    for reporter in scenario.reporters:
        assert reporter.email not in text and reporter.display_name not in text
    assert "reporter" not in response.text.splitlines()[0]

    filtered = _csv(client.get("/api/v1/exports/listings.csv?status=confirmed,removed&country=fr&appendix=I"
                               "&since=2026-03-01&until=2026-03-31", headers=headers))
    assert sorted(row["listing_id"] for row in filtered) == sorted(
        str(scenario.listings[key].id) for key in ("L1", "L3"))
    assert _csv(client.get("/api/v1/exports/listings.csv?platform=facebook&group=reptile", headers=headers))[0][
        "listing_id"] == str(scenario.listings["L3"].id)


def test_referrals_export(client, db) -> None:  # type: ignore[no-untyped-def]
    seed(db)
    headers = auth_headers(client, make_user(db, role=Role.admin))
    rows = _csv(client.get("/api/v1/exports/referrals.csv?since=2026-03-02&until=2026-03-15", headers=headers))
    assert sorted((row["company"], row["referral_status"], row["outcome"], row["hours_to_outcome"]) for row in rows) == [
        ("", "no_recipient", "", ""), ("Acme Market", "answered", "removed", "24.0"), ("Birdbook", "delivered", "", "")]


def test_exports_are_for_staff_and_explain_bad_filters(client, db) -> None:  # type: ignore[no-untyped-def]
    volunteer = make_user(db, certified=True)
    assert client.get("/api/v1/exports/listings.csv").status_code == 401
    assert client.get("/api/v1/exports/referrals.csv", headers=auth_headers(client, volunteer)).status_code == 403
    expert_headers = auth_headers(client, make_user(db, role=Role.expert))
    for query, field in (("status=done", "status"), ("appendix=IV", "appendix"), ("country=France", "country"),
                         ("since=March", "since"), ("group=dragons", "group")):
        response = client.get(f"/api/v1/exports/listings.csv?{query}", headers=expert_headers)
        assert response.status_code == 422, query
        assert response.json()["field"] == field and response.json()["detail"]


def test_formula_cells_are_neutralised(client, db) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        make_listing(session, first_reported_at=at("2026-03-02 10:00"), status="confirmed",
                     finding='=HYPERLINK("http://evil.example","click")', reject_reason="@SUM(A1)")
        make_listing(session, first_reported_at=at("2026-03-02 11:00"), finding="-2+3", reject_reason="\tx")
    rows = _csv(client.get("/api/v1/exports/listings.csv", headers=auth_headers(client, make_user(db, role=Role.expert))))
    assert [row["finding"] for row in rows] == ["'=HYPERLINK(\"http://evil.example\",\"click\")", "'-2+3"]
    assert [row["reject_reason"] for row in rows] == ["'@SUM(A1)", "'\tx"]
    assert exports.cell(-3) == -3 and exports.cell("+33 6 12") == "'+33 6 12" and exports.cell("ok=1") == "ok=1"


def test_page_export_from_the_form_is_audited(client, db) -> None:  # type: ignore[no-untyped-def]
    seed(db)
    expert = make_user(db, role=Role.expert)
    web_login(client, expert)
    page = client.get("/exports")
    assert page.status_code == 200 and 'formaction="/exports/referrals.csv"' in page.text
    response = client.get("/exports/listings.csv?status=&platform=ebay&since=&until=")
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())  # spreadsheets recognise UTF-8
    assert len(_csv(response)) == 4  # L1, L2, L6, L7
    assert client.get("/exports/referrals.csv?status=nope").status_code == 422
    with db.session() as session:
        entries = session.query(AuditEntry).filter(AuditEntry.action == "export.listings").all()
    assert [(e.actor_id, e.after) for e in entries] == [(expert.id, {"platform": "ebay"})]
    assert csrf_token(client, "/exports")


def _bulk_listings(db, count: int) -> None:  # type: ignore[no-untyped-def]
    start = at("2026-01-01 00:00")
    rows = []
    for number in range(count):
        url = f"https://www.example.com/item/bulk-{number}"
        moment = start + timedelta(minutes=number)
        rows.append({"url_hash": hashlib.sha256(url.encode()).hexdigest(), "canonical_url": url,
                     "host": "example.com", "registrable_domain": "example.com", "platform_id": "ebay",
                     "status": "pending", "first_reported_at": moment, "last_reported_at": moment,
                     "updated_at": moment, "finding": "x" * 200, "queue_rank": queue_rank(0, moment)})
    with db.transaction() as session:
        session.execute(Listing.__table__.insert(), rows)  # Core executemany: no RETURNING round trips


def _consume(stream, *, trace: bool = False) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    """Read a CSV stream: (chunks, lines, largest chunk, peak bytes allocated when traced)."""
    if trace:
        tracemalloc.start()
    chunks = lines = largest = 0
    for chunk in stream:
        chunks += 1
        lines += chunk.count(b"\r\n")
        largest = max(largest, len(chunk))
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    return chunks, lines, largest, peak


def _first(count: int) -> exports.CsvExport:
    until = at("2026-01-01 00:00") + timedelta(minutes=count)
    return exports.listings_export(exports.ExportFilters(until=until), platform_names={}, species_names={})


def test_exports_stream_in_bounded_chunks(client, db) -> None:  # type: ignore[no-untyped-def]
    count = 20_000
    _bulk_listings(db, count)
    everything = exports.listings_export(exports.ExportFilters(), platform_names={}, species_names={})
    stream = exports.stream_csv(db, everything, batch_rows=1000)
    assert iter(stream) is stream  # a generator: nothing is read before the first chunk is asked for
    chunks, lines, largest, _ = _consume(stream)
    assert lines == count + 1 and chunks == 1 + count // 1000
    assert largest < 1000 * 1000  # one batch of rows per chunk

    # Memory does not grow with the number of rows: four times as many need no more.
    _, small_lines, _, peak_small = _consume(exports.stream_csv(db, _first(1500), batch_rows=500), trace=True)
    _, large_lines, _, peak_large = _consume(exports.stream_csv(db, _first(6000), batch_rows=500), trace=True)
    assert (small_lines, large_lines) == (1501, 6001)
    assert peak_large < peak_small * 1.5, (peak_large, peak_small)

    # Over HTTP (the first 3,000 rows: one a minute from 1 Jan 2026): streamed, without a Content-Length.
    response = client.get("/api/v1/exports/listings.csv?until=2026-01-03T02:00:00Z",
                          headers=auth_headers(client, make_user(db, role=Role.expert)))
    assert response.status_code == 200 and "content-length" not in response.headers
    assert response.text.count("\r\n") == 3001


def test_report_fields_are_not_exported(client, db) -> None:  # type: ignore[no-untyped-def]
    volunteer = make_user(db, certified=True, display_name="Zelda Quill", email="zelda@example.org")
    with db.transaction() as session:
        listing = make_listing(session, first_reported_at=at("2026-03-02 10:00"))
        make_report(session, listing=listing, reporter=volunteer, notes="found by Zelda Quill")
    headers = auth_headers(client, make_user(db, role=Role.expert))
    for path in ("/api/v1/exports/listings.csv", "/api/v1/exports/referrals.csv"):
        text = client.get(path, headers=headers).text
        assert "Zelda" not in text and "zelda@example.org" not in text
