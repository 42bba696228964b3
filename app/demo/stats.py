"""Demo history for the figures: ten weeks of reports, decisions, referrals and answers, and a round.

Generated from a fixed seed, so every run plans the same listings; a listing whose URL is
already known is skipped, which makes the step idempotent. The history is written straight
into the tables (with past timestamps) rather than replayed through the services, which
would stamp everything "now". No outbox message is written: nothing here is for the
webhook dispatcher to send.

Companies are the ones the referrals demo registered (by their platforms), plus two for
platforms nobody answers for yet; a listing on a platform still without a company gets a
"no recipient" referral.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.demo.accounts import DEMO_PASSWORD
from app.models import (
    Company,
    CompanyPlatform,
    Listing,
    ListingStatus,
    Referral,
    Report,
    Role,
    Round,
    RoundEnrolment,
    User,
    utcnow,
)
from app.services import accounts, companies, listings
from app.services.urls import InvalidListingURL

if TYPE_CHECKING:
    from app.demo import DemoContext

SEED = 20261124
WEEKS = 10
LISTINGS_PER_WEEK = (9, 16)
ROUND_NAME = "Autumn watch"
SPOTTERS = [
    ("Amara Okafor", True), ("Bruno Ferreira", False), ("Chen Jing", True), ("Dilnoza Yusupova", False),
    ("Émile Laurent", True), ("Farah Haddad", False), ("Greta Lindqvist", False), ("Hiro Tanaka", True),
]
URLS = {
    "ebay": "https://www.ebay.co.uk/itm/{n}",
    "etsy": "https://www.etsy.com/listing/{n}/demo-item",
    "facebook": "https://www.facebook.com/marketplace/item/{n}/",
    "instagram": "https://www.instagram.com/p/Cx{n}/",
    "taobao": "https://item.taobao.com/item.htm?id={n}",
    "leboncoin": "https://www.leboncoin.fr/ad/animaux/{n}",
    "aliexpress": "https://www.aliexpress.com/item/{n}.html",
}
PLATFORM_WEIGHTS = {"ebay": 5, "etsy": 3, "facebook": 4, "instagram": 2, "taobao": 2, "leboncoin": 2, "aliexpress": 1}
# Companies for the platforms the referrals demo leaves without one; Leboncoin stays "no recipient".
EXTRA_COMPANIES = [("Meta", ("facebook", "instagram"), "wildlife-reports@meta.example"),
                   ("Alibaba Group", ("taobao", "aliexpress"), "ipp@alibaba.example")]
COUNTRIES = ["GB", "FR", "DE", "CN", "US", "NG", "VN", "ZA"]
REJECT_REASONS = ["legal_with_papers", "replica", "not_wildlife", "not_enough_information"]  # app.services.decisions


@dataclass(frozen=True)
class Plan:
    url: str
    species_id: str
    live: bool
    country: str
    reported_at: datetime
    reporters: tuple[int, ...]  # indexes into the spotters
    fate: str  # pending, rejected, confirmed
    decide_after: timedelta
    outcome: str | None  # removed, not_removed, not_found, or None (no answer yet)
    answer_after: timedelta


def _spotters(context: DemoContext) -> list[User]:
    session = context.session
    people: list[User] = []
    volunteer = context.users.get("volunteer")
    if isinstance(volunteer, User):
        people.append(volunteer)
    for index, (name, opted_in) in enumerate(SPOTTERS, 1):
        email = f"spotter{index}@demo.cyberspotter.org"
        user = accounts.get_by_email(session, email)
        if user is None:
            user = accounts.register(session, email=email, password=DEMO_PASSWORD, display_name=name)
            user.certified_until = utcnow() + timedelta(days=300)
            user.leaderboard_opt_in = opted_in
            session.add(user)
        people.append(user)
    session.flush()
    return people


def _plans(species_ids: list[str], live_trade: dict[str, bool], spotters: int, now: datetime) -> list[Plan]:
    """The whole history, drawn from a fixed seed (so a second run draws the same)."""
    rng = random.Random(SEED)
    platforms = [p for p, weight in PLATFORM_WEIGHTS.items() for _ in range(weight)]
    plans: list[Plan] = []
    number = 0
    for week in range(WEEKS):
        for _ in range(rng.randint(*LISTINGS_PER_WEEK)):
            number += 1
            age = timedelta(days=7 * week + rng.uniform(0, 7), minutes=rng.randint(0, 600))
            reported_at = now - age
            species_id = rng.choice(species_ids)
            recent = age < timedelta(days=4)
            fate = "pending" if recent else rng.choices(["confirmed", "rejected", "pending"], [11, 5, 1])[0]
            decide_after = timedelta(hours=rng.lognormvariate(3.2, 0.9))
            if reported_at + decide_after > now:
                decide_after = (now - reported_at) * 0.8
            platform = rng.choice(platforms)
            plans.append(Plan(
                url=URLS[platform].format(n=4_700_000_000 + number * 7919),
                species_id=species_id,
                live=live_trade.get(species_id, False) and rng.random() < 0.7,
                country=rng.choice(COUNTRIES),
                reported_at=reported_at,
                reporters=tuple(rng.sample(range(spotters), k=rng.choices([1, 2, 3], [6, 3, 1])[0])),
                fate=fate,
                decide_after=decide_after,
                outcome=rng.choices(["removed", "not_removed", "not_found", None], [13, 2, 1, 4])[0],
                answer_after=timedelta(hours=rng.lognormvariate(3.6, 1.0)),
            ))
    return plans


def _companies(context: DemoContext) -> None:
    session = context.session
    for name, platforms, email in EXTRA_COMPANIES:
        if session.execute(select(Company.id).where(Company.name == name)).first():
            continue
        claimed = set(session.execute(select(CompanyPlatform.platform_id).where(
            CompanyPlatform.platform_id.in_(platforms))).scalars())
        free = tuple(platform for platform in platforms if platform not in claimed)
        if free:
            companies.create_company(session, name=name, platforms=free, contact_email=email, webhook_url=None,
                                     active=True, actor=context.users.get("admin"),  # type: ignore[arg-type]
                                     settings=context.settings, content=context.content)


def _company_for(context: DemoContext, platform_id: str | None) -> int | None:
    if platform_id is None:
        return None
    return context.session.execute(
        select(CompanyPlatform.company_id).where(CompanyPlatform.platform_id == platform_id)).scalar()


def _create(context: DemoContext, plan: Plan, spotters: list[User], now: datetime) -> bool:
    session, content = context.session, context.content
    try:
        canonical = listings.recognise(session, url=plan.url, content=content)
    except InvalidListingURL:
        return False
    if listings.find_by_url(session, canonical.canonical_url) is not None:
        return False
    listing = Listing(
        url_hash=listings.url_hash(canonical.canonical_url), canonical_url=canonical.canonical_url,
        host=canonical.host, registrable_domain=canonical.registrable_domain, platform_id=canonical.platform_id,
        external_id=canonical.listing_id, status=ListingStatus.pending, first_reported_at=plan.reported_at,
        last_reported_at=plan.reported_at, updated_at=plan.reported_at,
    )
    session.add(listing)
    session.flush()
    for offset, index in enumerate(plan.reporters):
        session.add(Report(
            listing_id=listing.id, reporter_id=spotters[index].id, original_url=plan.url,  # type: ignore[arg-type]
            species_id=plan.species_id, confidence="high" if offset == 0 else "medium", live_animal=plan.live,
            country=plan.country, created_at=plan.reported_at + timedelta(hours=9 * offset),
        ))
    session.flush()
    listings.refresh_aggregates(session, listing=listing, content=content, now=now)
    _decide(context, listing, plan, now)
    session.add(listing)
    return True


def _decide(context: DemoContext, listing: Listing, plan: Plan, now: datetime) -> None:
    if plan.fate == "pending":
        return
    decided_at = plan.reported_at + plan.decide_after
    listing.decided_at = decided_at
    listing.closed_at = decided_at
    listing.updated_at = decided_at
    if plan.fate == "rejected":
        listing.status = ListingStatus.rejected
        listing.reject_reason = REJECT_REASONS[listing.id % len(REJECT_REASONS)]  # type: ignore[operator]
        return
    listing.status = ListingStatus.confirmed
    listing.confirmed_at = decided_at
    listing.finding = "Demo history: offered without CITES documents."
    company_id = _company_for(context, listing.platform_id)
    referral = Referral(listing_id=listing.id, company_id=company_id, created_at=decided_at,  # type: ignore[arg-type]
                        status="no_recipient" if company_id is None else "delivered")
    if company_id is not None:
        referral.sent_at = referral.delivered_at = decided_at + timedelta(seconds=2)
        acted_at = decided_at + plan.answer_after
        if plan.outcome and acted_at < now:
            referral.status = "answered"
            referral.outcome = plan.outcome
            referral.acted_at = acted_at
            referral.outcome_received_at = acted_at + timedelta(minutes=5)
            if plan.outcome == "removed":
                listing.status = ListingStatus.removed
                listing.removed_at = acted_at
    context.session.add(referral)


def _round(context: DemoContext, spotters: list[User], today: date) -> None:
    session = context.session
    round_ = session.execute(select(Round).where(Round.name == ROUND_NAME)).scalars().first()
    if round_ is None:
        starts_on = today - timedelta(days=today.weekday() + 14)  # a Monday two weeks back: week 3 is running
        admin = context.users.get("admin")
        round_ = Round(name=ROUND_NAME, starts_on=starts_on, weeks=4, weekly_minimum=3,
                       created_by_id=admin.id if isinstance(admin, User) else None)
        session.add(round_)
        session.flush()
    enrolled = set(session.execute(select(RoundEnrolment.user_id).where(
        RoundEnrolment.round_id == round_.id)).scalars())
    for user in spotters[:7]:
        if user.id not in enrolled and user.role == Role.volunteer:
            session.add(RoundEnrolment(round_id=round_.id, user_id=user.id))  # type: ignore[arg-type]


def load(context: DemoContext) -> None:
    content = context.content
    species = [item for item in getattr(content, "species", ()) if item.appendix_rank]
    if not species:
        return
    now = utcnow().replace(microsecond=0)
    spotters = _spotters(context)
    _companies(context)
    spread = species[:: max(1, len(species) // 60)]  # every group, not just the first rows of the catalogue
    plans = _plans([item.id for item in spread], {item.id: item.live_trade for item in species}, len(spotters), now)
    created = sum(_create(context, plan, spotters, now) for plan in plans)
    _round(context, spotters, now.astimezone(UTC).date())
    context.session.flush()
    if created:
        context.notes.append(f"figures    {created} listings of the last {WEEKS} weeks for /dashboard; "
                             f"round “{ROUND_NAME}” at /admin/rounds")
