"""The queue: which listings, in what order, filtered, a page at a time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.models import Listing, ListingStatus, Report, ReviewAnswer, ReviewQuestion, utcnow
from app.services import review_queue
from tests.factories import make_user
from tests.review.factories import claim_for, make_listing, set_fields

PARROT = "psittacus-erithacus"  # Appendix I, live trade
ELEPHANT = "loxodonta-africana"  # Appendix I/II
PYTHON = "malayopython-reticulatus"  # Appendix II
HIPPO = "hippopotamus-amphibius"  # Appendix II


def _ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_appendix_i_live_animal_with_three_reports_comes_before_appendix_ii_product_with_one(  # type: ignore[no-untyped-def]
    client, db, training_content, reporter, second_reporter, expert_headers
) -> None:
    third = make_user(db, certified=True)
    # The Appendix II listing is older and has the lower id: order must come from priority.
    product = make_listing(db, training_content, reporters=[reporter], species_id=HIPPO,
                           reported_at=utcnow() - timedelta(hours=2))
    parrots = make_listing(db, training_content, reporters=[reporter, second_reporter, third], species_id=PARROT,
                           live_animal=True)
    items = client.get("/api/v1/review/queue", headers=expert_headers).json()["items"]
    assert [item["id"] for item in items] == [parrots.id, product.id]
    top = items[0]
    assert top["priority"] > items[1]["priority"]
    assert "CITES Appendix I species" in top["priority_reasons"]
    assert "live animal" in top["priority_reasons"]
    assert "3 independent reports" in top["priority_reasons"]
    assert top["report_count"] == 3 and len(top["reports"]) == 3
    assert top["agreement"] == "agree"


def test_age_adds_a_point_a_day_so_nothing_waits_for_ever(client, db, training_content, reporter,  # type: ignore[no-untyped-def]
                                                          expert_headers) -> None:
    fresh_i = make_listing(db, training_content, reporters=[reporter], species_id=ELEPHANT)  # 40 points
    old_ii = make_listing(db, training_content, reporters=[reporter], species_id=HIPPO,  # 20 + 25 days
                          reported_at=utcnow() - timedelta(days=25, hours=1))
    items = client.get("/api/v1/review/queue", headers=expert_headers).json()["items"]
    assert [item["id"] for item in items] == [old_ii.id, fresh_i.id]
    assert items[0]["priority"] == 45
    assert "waiting 25 days" in items[0]["priority_reasons"]
    # Equal priority: the older first.
    older = make_listing(db, training_content, reporters=[reporter], species_id=ELEPHANT,
                         reported_at=utcnow() - timedelta(minutes=5))
    ids = _ids(client.get("/api/v1/review/queue", headers=expert_headers))
    assert ids.index(older.id) < ids.index(fresh_i.id)


def test_the_default_queue_holds_what_is_left_to_decide(client, db, training_content, expert, reporter,  # type: ignore[no-untyped-def]
                                                        expert_headers) -> None:
    pending = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    in_review = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    claim_for(db, in_review.id, expert)
    asked = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    answered = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    decided = {make_listing(db, training_content, reporters=[reporter], species_id=PARROT).id: status
               for status in (ListingStatus.confirmed, ListingStatus.rejected, ListingStatus.removed)}
    for listing_id, status in decided.items():
        set_fields(db, listing_id, status=status)
    for listing in (asked, answered):
        set_fields(db, listing.id, status=ListingStatus.needs_info)
    with db.transaction() as session:
        for listing in (asked, answered):
            question = ReviewQuestion(listing_id=listing.id, text="Ringed?")  # type: ignore[arg-type]
            session.add(question)
            session.flush()
            if listing is answered:
                report_id = session.execute(select(Report.id).where(Report.listing_id == listing.id)).scalar()
                session.add(ReviewAnswer(question_id=question.id, report_id=report_id, text="Yes, closed rings."))  # type: ignore[arg-type]
    default = set(_ids(client.get("/api/v1/review/queue", headers=expert_headers)))
    assert default == {pending.id, in_review.id, answered.id}
    asking = set(_ids(client.get("/api/v1/review/queue?status=needs_info", headers=expert_headers)))
    assert asking == {asked.id, answered.id}
    closed = set(_ids(client.get("/api/v1/review/queue?status=confirmed,rejected,removed", headers=expert_headers)))
    assert closed == set(decided)
    everything = _ids(client.get("/api/v1/review/queue?status=all", headers=expert_headers))
    assert len(everything) == 7
    mine = _ids(client.get("/api/v1/review/queue?claimed_by_me=true", headers=expert_headers))
    assert mine == [in_review.id]


def test_filters(client, db, training_content, reporter, expert_headers) -> None:  # type: ignore[no-untyped-def]
    parrot = make_listing(db, training_content, reporters=[reporter], species_id=PARROT, country="CM",
                          live_animal=True, listing_text="Baby african grey, hand tame")
    python = make_listing(db, training_content, reporters=[reporter], species_id=PYTHON, country="GB",
                          platform_id="etsy", reported_at=utcnow() - timedelta(days=3))
    ivory = make_listing(db, training_content, reporters=[reporter], species_id=ELEPHANT, country="GB",
                         listing_text="Antique netsuke in white plastic, old")
    headers = expert_headers

    def ids(query: str) -> set[int]:
        return set(_ids(client.get(f"/api/v1/review/queue?{query}", headers=headers)))

    assert ids("platform=etsy") == {python.id}
    assert ids(f"species_id={PARROT}") == {parrot.id}
    assert ids("group=reptile") == {python.id}
    assert ids("appendix=1") == ids("appendix=I") == {parrot.id, ivory.id}
    assert ids("appendix=2") == {python.id}
    assert ids("country=gb") == {python.id, ivory.id}
    assert ids("code_word=true") == {ivory.id}
    since = (utcnow() - timedelta(days=1)).isoformat()
    assert ids(f"since={since.replace('+00:00', 'Z')}") == {parrot.id, ivory.id}
    assert ids(f"until={since.replace('+00:00', 'Z')}") == {python.id}
    assert ids("platform=ebay&country=GB") == {ivory.id}
    for bad in ("appendix=4", "country=GBR1", "status=sold", "cursor=nonsense"):
        response = client.get(f"/api/v1/review/queue?{bad}", headers=headers)
        assert response.status_code == 422, bad
        assert response.json()["detail"], bad


def test_keyset_pages_never_repeat_or_skip_while_listings_arrive(client, db, training_content, reporter,  # type: ignore[no-untyped-def]
                                                                 second_reporter, expert_headers) -> None:
    species = [PARROT, ELEPHANT, PYTHON, HIPPO, None]
    original = []
    for index in range(23):
        listing = make_listing(
            db, training_content, reporters=[reporter] if index % 3 else [reporter, second_reporter],
            species_id=species[index % len(species)], live_animal=index % 2 == 0,
            reported_at=utcnow() - timedelta(hours=index % 7),
        )
        original.append(listing.id)
    seen: list[int] = []
    cursor = None
    arrivals = 0
    while True:
        url = "/api/v1/review/queue?limit=6" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=expert_headers).json()
        seen.extend(item["id"] for item in body["items"])
        # New listings keep arriving: the most urgent kind and the least urgent kind.
        make_listing(db, training_content, reporters=[reporter, second_reporter], species_id=PARROT, live_animal=True)
        make_listing(db, training_content, reporters=[reporter], species_id=None)
        arrivals += 2
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)), "a listing appeared twice"
    assert set(original) <= set(seen), "a listing was skipped"
    with db.session() as session:
        ranks = {row.id: (row.queue_rank, row.id) for row in session.execute(select(Listing)).scalars()}
    assert [ranks[i] for i in seen] == sorted(ranks[i] for i in seen), "pages are not in queue order"
    assert arrivals >= 8


def test_the_cursor_is_opaque_and_checked() -> None:
    listing = Listing(queue_rank=-123, id=7)
    cursor = review_queue.encode_cursor(listing)
    assert "123" not in cursor
    assert review_queue.decode_cursor(cursor) == (-123, 7)


def test_the_headline_count_is_capped(db, training_content, reporter) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        make_listing(db, training_content, reporters=[reporter])
    with db.session() as session:
        assert review_queue.count_open(session) == 3
        assert review_queue.count_open(session, cap=2) == 2
