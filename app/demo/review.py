"""Demo review work on the reports demo's listings: one confirmed, one rejected, one waiting for
an answer, one held by the demo expert, and a proposed code word, so that the queue, the
listing pages and their history look alive.

Everything goes through the review services (claims, decisions, code words), so the audit
log reads as it would after a real morning in the queue. Idempotent: a listing that is no
longer waiting is left alone, and the code word is proposed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.errors import DomainError
from app.models import CodeWordProposal, Listing, ListingStatus, User
from app.services import claims, code_words, decisions, listings
from app.services.urls import InvalidListingURL

if TYPE_CHECKING:
    from app.demo import DemoContext


@dataclass(frozen=True)
class DemoDecision:
    url: str  # as the reports demo reported it
    decision: decisions.DecisionInput | None  # None: the expert claims it and is still looking


DEMO_DECISIONS = [
    DemoDecision(
        "https://www.gumtree.com/p/birds/hand-reared-african-grey-chicks/1456789012",
        decisions.DecisionInput(
            decision="confirm", species_id="psittacus-erithacus", finding_template="live_appendix_i",
            note="Two chicks offered for cash on collection, explicitly without papers; the second report "
                 "says the seller advertised parrots last month under another name.",
        ),
    ),
    DemoDecision(
        "https://item.taobao.com/item.htm?id=612345678901",
        decisions.DecisionInput(
            decision="reject", reason="replica",
            note="The seller's other photos show a resin casting seam; it is sold elsewhere as a replica.",
        ),
    ),
    DemoDecision(
        "https://www.etsy.com/listing/1122334455/vintage-tiger-claw-pendant-silver",
        decisions.DecisionInput(
            decision="needs_info",
            question="Does any photo show the base of the claw, where it meets the silver mount? "
                     "A real claw is hollow there.",
        ),
    ),
    DemoDecision("https://www.ebay.de/itm/Elfenbein-Armreif-antik/334455667788", None),
]
DEMO_CODE_WORD = ("ox bone carving", "en", "elephant ivory sold as bone carving", "elephant (ivory)")


def _find(context: DemoContext, url: str) -> Listing | None:
    try:
        canonical = listings.recognise(context.session, url=url, content=context.content)
    except InvalidListingURL:
        return None
    return listings.find_by_url(context.session, canonical.canonical_url)


def load(context: DemoContext) -> None:
    expert = context.users.get("expert")
    if not isinstance(expert, User):
        return
    done = 0
    for item in DEMO_DECISIONS:
        listing = _find(context, item.url)
        if listing is None or listing.status != ListingStatus.pending:
            continue
        try:
            if item.decision is None:
                claims.claim(context.session, listing_id=listing.id, expert=expert, settings=context.settings)  # type: ignore[arg-type]
            else:
                decisions.decide(context.session, listing_id=listing.id, expert=expert, data=item.decision,  # type: ignore[arg-type]
                                 settings=context.settings, content=context.content)
            done += 1
        except DomainError as error:  # demo content out of step with the catalogue: say so, carry on
            context.notes.append(f"review demo: skipped {item.url}: {error.message}")
    term, language, meaning, group = DEMO_CODE_WORD
    proposed = context.session.execute(
        select(CodeWordProposal.id).where(CodeWordProposal.term == term)
    ).first()
    if proposed is None:
        try:
            code_words.propose(context.session, expert=expert, term=term, language=language, meaning=meaning,
                               species_group=group, content=context.content)
        except DomainError as error:
            context.notes.append(f"review demo: code word not proposed: {error.message}")
    if done:
        context.notes.append(f"review demo: {done} listings decided or claimed by the demo expert")
