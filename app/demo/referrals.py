"""Demo companies and referrals: what the Companies and Referrals admin pages show.

Two companies answer for their platforms (eBay, Etsy). Neither has a webhook URL yet:
there is no endpoint to reach from a demo, and pretending otherwise would fill the
delivery log with failures. Their referrals wait in the outbox ("waiting"), and the
companies can fetch them from the API with the demo key printed by `cyberspotter demo`.
eBay has answered two referrals (one removed, one not); a listing on Preloved waits as
"no recipient", since no company answers for that platform.

Idempotent: companies are found by name, listings by URL. The eBay API key is kept in
DATA_DIR/demo_company_api_key so a re-run prints the same key; a new one is made only
when that file is missing or no longer matches.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.models import Company, ListingStatus, Report, utcnow
from app.security import hash_api_key
from app.services import companies, evidence, listing_states, listings, outcomes, referrals

if TYPE_CHECKING:
    from app.demo import DemoContext

KEY_FILE = "demo_company_api_key"
COMPANIES = [
    ("eBay", ("ebay",), "takedowns@ebay.example"),
    ("Etsy", ("etsy",), "integrity@etsy.example"),
]
# (URL as shared, species, finding, the company's answer or None)
LISTINGS = [
    ("https://www.ebay.co.uk/itm/Antique-carved-bone-figurine/2049571180?hash=item2f", "loxodonta-africana",
     "Carved elephant ivory sold as 'ox bone': Schreger lines visible in photo 2. Ivory trade banned on eBay.",
     ("removed", "Listing removed and seller account restricted.")),
    ("https://www.ebay.de/itm/3127740551", "psittacus-erithacus",
     "Live African grey parrot offered without CITES Appendix I papers; the seller mentions 'no papers, cash only'.",
     ("not_removed", "Seller provided an Article 10 certificate; we keep the listing under watch.")),
    ("https://www.etsy.com/listing/1538820001/vintage-tortoiseshell-comb", "eretmochelys-imbricata",
     "Hawksbill turtle shell (tortoiseshell) comb, Appendix I; 'vintage' is a usual cover for new stock.",
     None),
    ("https://www.preloved.co.uk/adverts/show/118845220", "manis-tricuspis",
     "Pangolin scales offered as 'traditional medicine'; all pangolins are Appendix I.",
     None),
]


def _demo_image(text: str) -> bytes:
    """A small stand-in screenshot (the demo has no real ones)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 300), (236, 233, 222))
    draw = ImageDraw.Draw(image)
    draw.rectangle((16, 16, 464, 284), outline=(31, 95, 74), width=4)
    draw.text((36, 40), "Demo screenshot", fill=(29, 36, 32))
    draw.text((36, 80), text[:60], fill=(86, 96, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _companies(context: DemoContext) -> dict[str, Company]:
    session = context.session
    found: dict[str, Company] = {}
    for name, platforms, email in COMPANIES:
        company = session.execute(select(Company).where(Company.name == name)).scalars().first()
        if company is None:
            company = companies.create_company(
                session, name=name, platforms=platforms, contact_email=email, webhook_url=None, active=True,
                actor=context.users.get("admin"), settings=context.settings, content=context.content,  # type: ignore[arg-type]
            ).company
        found[name] = company
    return found


def _api_key(context: DemoContext, company: Company) -> str:
    """The demo company's key: the one on file, or a new one when that is missing."""
    path: Path = context.settings.data_dir / KEY_FILE
    key = path.read_text().strip() if path.exists() else ""
    if not key or hash_api_key(key) != company.api_key_hash:
        key = companies.rotate_api_key(context.session, company=company, actor=context.users.get("admin"))  # type: ignore[arg-type]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(key + "\n")
        path.chmod(0o600)
    return key


def _listing(context: DemoContext, url: str, species_id: str, finding: str, days_ago: int) -> tuple[object, bool]:
    session = context.session
    volunteer, expert = context.users.get("volunteer"), context.users.get("expert")
    canonical = listings.recognise(session, url=url, content=context.content)
    existing = listings.find_by_url(session, canonical.canonical_url)
    if existing is not None:
        return existing, False
    reported_at = utcnow() - timedelta(days=days_ago)
    report = Report(reporter_id=getattr(volunteer, "id", None), original_url=url, species_id=species_id,
                    confidence="high", created_at=reported_at, notes="Found while searching for 'bone carving'.")
    listing = listings.draft(session, canonical=canonical, now=reported_at, first_report=report, content=context.content)
    if not listings.insert_new(session, listing):
        listing = listings.existing_locked(session, canonical)
    report.listing_id = listing.id  # type: ignore[assignment]
    session.add(report)
    session.flush()
    image = evidence.clean_image(_demo_image(canonical.canonical_url), max_pixels=context.settings.evidence_max_pixels)
    evidence.store(session, report=report, images=[image], settings=context.settings, now=reported_at)
    decided_at = reported_at + timedelta(hours=20)
    listing_states.transition(
        session, listing=listing, to=ListingStatus.confirmed, actor=expert, action="listing.confirmed",  # type: ignore[arg-type]
        changes={"finding": finding, "decided_by_id": getattr(expert, "id", None), "decided_at": decided_at,
                 "confirmed_at": decided_at},
    )
    return listing, True


def load(context: DemoContext) -> None:
    session = context.session
    by_name = _companies(context)
    for index, (url, species_id, finding, answer) in enumerate(LISTINGS):
        listing, created = _listing(context, url, species_id, finding, days_ago=12 - 3 * index)
        if not created:
            continue
        referral = referrals.create_referral(session, listing=listing, actor=context.users.get("expert"),  # type: ignore[arg-type]
                                             settings=context.settings, content=context.content)
        if answer is not None and referral.company_id is not None:
            company = session.get(Company, referral.company_id)
            outcome, note = answer
            outcomes.record_outcome(session, company=company, referral_id=referral.id, outcome=outcome,  # type: ignore[arg-type]
                                    note=note, acted_at=utcnow() - timedelta(days=2))
    key = _api_key(context, by_name["eBay"])
    context.notes.append(f"company    eBay's API key (outcomes, /api/v1/company/...): {key}")

