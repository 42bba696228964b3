"""A small programme history with hand-counted figures for the two weeks 2–15 March 2026.

    L1 ebay/bird/I/FR live   reported 2 Mar 10:00 (+ a 2nd report 3 Mar), confirmed 4 Mar 10:00,
                             referred to Acme 4 Mar, removed 5 Mar 10:00
    L2 ebay/mammal/II/DE     reported 3 Mar 12:00, rejected 3 Mar 18:00
    L3 facebook/reptile/I/FR reported 9 Mar 08:00, confirmed 10 Mar 08:00, referred to Birdbook
                             10 Mar, never answered
    L4 facebook/-/-/-        reported 10 Mar, still pending
    L5 (no platform)/bird/II/FR reported 20 Feb 12:00 (+ a report 8 Mar), confirmed 9 Mar 12:00,
                             no company to send it to
    L6 ebay/bird/I/FR        reported 14 Mar, rejected 16 Mar (after the period)
    L7 ebay/bird/I/FR        reported 27 Feb, confirmed and referred 1 Mar (before), removed 10 Mar 12:00

In the period [2 Mar, 16 Mar): reports 7, listings 5, confirmed 3, rejected 1, referred 2,
removed 2, open 1, no recipient 1; confirmation rate 3/4.
Report -> decision (L1 48 h, L2 6 h, L3 24 h, L5 408 h): median 36 h, p90 300 h.
Confirmation -> removal (L1 24 h, L7 228 h): median 126 h, p90 207.6 h.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.db import Database
from app.models import Company, Listing, User
from tests.factories import make_user
from tests.stats.factories import at, make_company, make_listing, make_referral, make_report

SINCE, UNTIL = "2026-03-02", "2026-03-15"  # until is inclusive as a date


@dataclass
class Scenario:
    listings: dict[str, Listing]
    acme: Company
    birdbook: Company
    reporters: list[User]


def seed(db: Database, reporters: list[User] | None = None) -> Scenario:
    reporters = reporters or [make_user(db, certified=True), make_user(db, certified=True)]
    first, second = reporters[0], reporters[1]
    with db.transaction() as session:
        acme, birdbook = make_company(session, "Acme Market"), make_company(session, "Birdbook")
        l1 = make_listing(session, first_reported_at=at("2026-03-02 10:00"), status="removed", species_group="bird",
                          appendix_rank=1, country="FR", live_animal=True, decided_at=at("2026-03-04 10:00"),
                          confirmed_at=at("2026-03-04 10:00"), removed_at=at("2026-03-05 10:00"),
                          closed_at=at("2026-03-04 10:00"), species_id="psittacus-erithacus")
        make_report(session, listing=l1, reporter=first, created_at=at("2026-03-02 10:00"),
                    seller_handle="parrot_king", listing_text="Baby grey parrots, hand reared")
        make_report(session, listing=l1, reporter=second, created_at=at("2026-03-03 10:00"))
        make_referral(session, listing=l1, company=acme, created_at=at("2026-03-04 10:00"), outcome="removed",
                      acted_at=at("2026-03-05 10:00"))
        l2 = make_listing(session, first_reported_at=at("2026-03-03 12:00"), status="rejected", species_group="mammal",
                          appendix_rank=2, country="DE", decided_at=at("2026-03-03 18:00"),
                          closed_at=at("2026-03-03 18:00"), reject_reason="legal")
        make_report(session, listing=l2, reporter=first, created_at=at("2026-03-03 12:00"))
        l3 = make_listing(session, first_reported_at=at("2026-03-09 08:00"), status="confirmed",
                          platform_id="facebook", species_group="reptile", appendix_rank=1, country="FR",
                          decided_at=at("2026-03-10 08:00"), confirmed_at=at("2026-03-10 08:00"),
                          closed_at=at("2026-03-10 08:00"))
        make_report(session, listing=l3, reporter=first, created_at=at("2026-03-09 08:00"))
        make_referral(session, listing=l3, company=birdbook, created_at=at("2026-03-10 08:00"))
        l4 = make_listing(session, first_reported_at=at("2026-03-10 09:00"), platform_id="facebook")
        make_report(session, listing=l4, reporter=second, created_at=at("2026-03-10 09:00"))
        l5 = make_listing(session, first_reported_at=at("2026-02-20 12:00"), status="confirmed", platform_id=None,
                          species_group="bird", appendix_rank=2, country="FR", decided_at=at("2026-03-09 12:00"),
                          confirmed_at=at("2026-03-09 12:00"), closed_at=at("2026-03-09 12:00"))
        make_report(session, listing=l5, reporter=second, created_at=at("2026-02-20 12:00"))
        make_report(session, listing=l5, reporter=first, created_at=at("2026-03-08 12:00"))
        make_referral(session, listing=l5, company=None, created_at=at("2026-03-09 12:00"))
        l6 = make_listing(session, first_reported_at=at("2026-03-14 09:00"), status="rejected", species_group="bird",
                          appendix_rank=1, country="FR", decided_at=at("2026-03-16 09:00"),
                          closed_at=at("2026-03-16 09:00"))
        make_report(session, listing=l6, reporter=second, created_at=at("2026-03-14 09:00"))
        l7 = make_listing(session, first_reported_at=at("2026-02-27 08:00"), status="removed", species_group="bird",
                          appendix_rank=1, country="FR", decided_at=at("2026-03-01 00:00"),
                          confirmed_at=at("2026-03-01 00:00"), removed_at=at("2026-03-10 12:00"),
                          closed_at=at("2026-03-01 00:00"))
        make_report(session, listing=l7, reporter=first, created_at=at("2026-02-27 08:00"))
        make_referral(session, listing=l7, company=acme, created_at=at("2026-03-01 00:00"), outcome="removed",
                      acted_at=at("2026-03-10 12:00"))
        listings = {"L1": l1, "L2": l2, "L3": l3, "L4": l4, "L5": l5, "L6": l6, "L7": l7}
        session.expunge_all()
    return Scenario(listings=listings, acme=acme, birdbook=birdbook, reporters=reporters)
