"""Listings under concurrency, their aggregates, code words, priority and form parsing."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.i18n import use_locale
from app.models import Listing, Report, utcnow
from app.schemas.reports import ReportCreate
from app.services import listings, priority, report_fields, reports
from tests.databases import ENGINE
from tests.factories import make_user

URL = "https://www.etsy.com/listing/777777777/tiger-claw-pendant"


def submit(db, settings, content, reporter, **fields):  # type: ignore[no-untyped-def]
    data = ReportCreate(listing_url=fields.pop("listing_url", URL), species_id=fields.pop("species_id", "panthera-tigris"),
                        **fields)
    with db.transaction() as session:
        return reports.submit(session, reporter=reporter, data=data, content=content, settings=settings)


def test_a_listing_reported_before_is_joined_not_written_again(db, settings, training_content):
    first, second = make_user(db, certified=True), make_user(db, certified=True)
    created = submit(db, settings, training_content, first)
    # The second report's INSERT finds the URL taken, does nothing, and the listing is read instead.
    joined = submit(db, settings, training_content, second)
    assert created.duplicate is False and joined.duplicate is True
    assert joined.view.listing.id == created.view.listing.id
    with db.session() as session:
        assert session.query(Listing).count() == 1
        assert session.query(Listing).one().report_count == 2


@pytest.mark.skipif(ENGINE != "postgres", reason="a real race needs concurrent writers (SQLite serialises them)")
def test_two_volunteers_creating_one_listing_at_the_same_moment(db, settings, training_content, monkeypatch):
    volunteers = [make_user(db, certified=True) for _ in range(2)]
    barrier = threading.Barrier(2, timeout=10)
    real = listings.queue_rank

    def both_insert_at_once(*args):  # type: ignore[no-untyped-def]
        barrier.wait()  # both have built their listing, and now both insert it
        return real(*args)

    monkeypatch.setattr(listings, "queue_rank", both_insert_at_once)
    results, errors = [], []

    def run(volunteer):  # type: ignore[no-untyped-def]
        try:
            results.append(submit(db, settings, training_content, volunteer))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(v,)) for v in volunteers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sorted(result.duplicate for result in results) == [False, True]
    with db.session() as session:
        listing = session.query(Listing).one()
        assert listing.report_count == 2 and session.query(Report).count() == 2


def test_the_leading_species_is_the_most_reported_then_the_strictest(db, settings, training_content):
    people = [make_user(db, certified=True) for _ in range(4)]
    submit(db, settings, training_content, people[0], species_id="psittacus-timneh")
    submit(db, settings, training_content, people[1], species_id="psittacus-erithacus")
    with db.session() as session:
        listing = session.query(Listing).one()
        # One guess each: the strictest appendix wins the tie (both are Appendix I here: the first reported).
        assert listing.species_id == "psittacus-timneh"
    submit(db, settings, training_content, people[2], species_id="psittacus-erithacus")
    submit(db, settings, training_content, people[3], species_id=None, species_guess="some grey parrot")
    with db.session() as session:
        listing = session.query(Listing).one()
        assert listing.species_id == "psittacus-erithacus" and listing.report_count == 4
        assert listing.species_group == "bird" and listing.appendix_rank == 1


def test_a_decided_listing_keeps_the_experts_species(db, settings, training_content):
    first, second = make_user(db, certified=True), make_user(db, certified=True)
    result = submit(db, settings, training_content, first, species_id="panthera-tigris")
    with db.transaction() as session:
        listing = session.get(Listing, result.view.listing.id)
        listing.status, listing.species_id = "confirmed", "panthera-pardus"
    submit(db, settings, training_content, second, species_id="panthera-tigris")
    with db.session() as session:
        assert session.query(Listing).one().species_id == "panthera-pardus"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Antique BOVINE-BONE netsuke, pre 1990", ["bovine bone"]),
        ("genuine cow bone, not ivory", ["cow bone"]),
        ("Carved from ivorine", ["ivorine"]),
        ("出售穿山甲鳞片", ["穿山甲鳞片"]),
        ("Backbone of the collection", []),  # "bone" only as a whole word
        ("A lovely wooden carving", []),
    ],
)
def test_code_words_match_whole_words_ignoring_case_and_accents(text, found):
    matcher = listings.CodeWordMatcher(["bovine bone", "cow bone ; ox bone", "ivorine", "穿山甲鱗片 / 穿山甲鳞片",
                                        "bone (most common)"])
    hits = matcher.find(text)
    for term in found:
        assert term in hits
    if not found:
        assert hits == []


def test_catalogue_terms_are_split_into_their_alternatives():
    assert listings.term_variants('Bakelite / resin / "simulated ivory"') == ["Bakelite", "resin", "simulated ivory"]
    assert listings.term_variants("鹤顶红 (hedinghong)") == ["鹤顶红"]
    assert listings.term_variants("(no material stated)") == []


def subject(**values):  # type: ignore[no-untyped-def]
    base = {"appendix_rank": None, "live_animal": False, "report_count": 1, "code_word_hit": False}
    return SimpleNamespace(**{**base, **values})


def test_priority_weighs_appendix_life_reports_code_words_and_track_record():
    now = utcnow()
    assert priority.compute_priority(subject(), reporter_track_records=[], now=now) == (0, [])
    score, reasons = priority.compute_priority(
        subject(appendix_rank=1, live_animal=True, report_count=3, code_word_hit=True),
        reporter_track_records=[priority.TrackRecord(decided=10, confirmed=9)], now=now,
    )
    assert reasons == ["appendix:I", "live_animal", "reports:3", "code_word", "track_record:83"]
    assert score == 40 + 20 + 20 + 10 + 12
    # Extra reports are capped; a reporter with few decisions does not count yet.
    assert priority.compute_priority(subject(report_count=50), reporter_track_records=[], now=now)[0] == 30
    assert priority.compute_priority(subject(), reporter_track_records=[priority.TrackRecord(2, 2)], now=now)[0] == 0


def test_priority_reasons_read_as_words():
    words = priority.describe_reasons("appendix:I,live_animal,reports:3,code_word,track_record:83,age_days:2")
    assert words == ["CITES Appendix I species", "live animal", "3 independent reports", "trader's code word in the text",
                     "reporter's reports usually confirmed (83%)", "waiting 2 days"]


def test_track_records_count_decided_listings_only(db, settings, training_content):
    volunteer = make_user(db, certified=True)
    results = [submit(db, settings, training_content, volunteer, listing_url=f"https://www.etsy.com/listing/{n}11111")
               for n in range(1, 5)]
    with db.transaction() as session:
        for result, status in zip(results, ["confirmed", "removed", "rejected", "pending"], strict=True):
            session.get(Listing, result.view.listing.id).status = status
    with db.session() as session:
        assert listings.track_records(session, reporter_ids=[volunteer.id]) == [priority.TrackRecord(3, 2)]
        # What a new report reads of its reporter, in one query: the same record, and the hour's reports.
        standing = listings.reporter_standing(session, reporter_id=volunteer.id, since=utcnow() - timedelta(hours=1))
        assert standing.records == [priority.TrackRecord(3, 2)] and standing.recent == 4
        assert standing.oldest_recent == min(result.report.created_at for result in results)
        nobody = listings.reporter_standing(session, reporter_id=make_user(db).id, since=utcnow())
        assert nobody.records == [] and nobody.recent == 0 and nobody.oldest_recent is None
    # A new listing of this volunteer's counts that record in its priority.
    fifth = submit(db, settings, training_content, volunteer, listing_url="https://www.etsy.com/listing/511111")
    assert "track_record:" in fifth.view.listing.priority_reasons


@pytest.mark.parametrize(
    ("locale", "text", "value"),
    [("en", "1,250.50", "1250.50"), ("en", "12,50", "12.50"), ("fr", "1 250,50", "1250.50"),
     ("de", "1.250,50", "1250.50"), ("de", "12.5", "12.5"), ("en", "€ 30", "30"), ("en", "", None)],
)
def test_prices_typed_on_the_form(locale, text, value):
    with use_locale(locale):
        parsed = report_fields.parse_price(text)
    assert parsed == (Decimal(value) if value else None)


def test_a_price_that_is_not_a_number_says_so():
    with pytest.raises(ValueError, match="as a number"):
        report_fields.parse_price("ten pounds")


def test_old_reports_do_not_count_towards_the_hourly_limit(db, settings, training_content):
    settings.reports_per_hour = 1
    volunteer = make_user(db, certified=True)
    old = submit(db, settings, training_content, volunteer, listing_url="https://www.etsy.com/listing/5550001")
    with db.transaction() as session:
        session.get(Report, old.report.id).created_at = utcnow() - timedelta(hours=2)
    submit(db, settings, training_content, volunteer, listing_url="https://www.etsy.com/listing/5550002")


def test_a_double_tap_on_a_new_listing_keeps_the_first_report(db, settings, training_content):
    volunteer = make_user(db, certified=True)
    first = submit(db, settings, training_content, volunteer)
    from app.errors import Conflict

    # The second tap's INSERT finds the listing the first one wrote; the volunteer's report on it is refused.
    with pytest.raises(Conflict) as refused:
        submit(db, settings, training_content, volunteer)
    assert refused.value.extra["report_id"] == first.report.id
    with db.session() as session:
        assert session.query(Report).count() == 1 and session.query(Listing).one().report_count == 1
