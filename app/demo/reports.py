"""Demo reports: a dozen listings of the kinds volunteers really find, some seen by both demo
volunteers, each with a screenshot drawn here (no image is downloaded)."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from app.demo.accounts import DEMO_PASSWORD
from app.models import Report, User, utcnow
from app.schemas.reports import ReportCreate
from app.services import accounts, listings, reports
from app.services.evidence import Upload
from app.services.urls import InvalidListingURL

if TYPE_CHECKING:
    from app.demo import DemoContext

SECOND_VOLUNTEER = ("kofi@demo.cyberspotter.org", "Kofi (volunteer)")


@dataclass(frozen=True)
class DemoReport:
    who: str  # "volunteer" (Vera) or "second" (Kofi)
    hours_ago: int
    url: str
    title: str
    species_id: str | None = None
    guess: str | None = None
    live: bool | None = None
    price: str | None = None
    currency: str | None = None
    country: str | None = None
    seller: str | None = None
    text: str | None = None
    notes: str | None = None
    confidence: str = "medium"
    colour: str = "#8a5a2b"
    pictures: int = 1


DEMO_REPORTS = [
    DemoReport("volunteer", 40, "https://www.ebay.co.uk/itm/Antique-Japanese-netsuke-carved-bovine-bone/256789012345"
               "?hash=item3bc1&_trksid=p2047675.c100011", "Antique Japanese netsuke, carved bovine bone, signed",
               species_id="loxodonta-africana", live=False, price="145.00", currency="GBP", country="GB",
               seller="orient_treasures_uk", confidence="high", colour="#e8dcc0",
               text="Beautiful old netsuke of a rat, bovine bone, yellowed with age. Pre-1947 so legal to sell.",
               notes="The grain looks like ivory (Schreger lines visible in photo 3)."),
    DemoReport("second", 30, "https://m.ebay.co.uk/itm/256789012345?mkevt=1&mkcid=16", "Antique netsuke rat",
               species_id="loxodonta-africana", live=False, price="145", currency="GBP", country="GB",
               seller="orient_treasures_uk", colour="#e8dcc0"),
    DemoReport("volunteer", 38, "https://www.gumtree.com/p/birds/hand-reared-african-grey-chicks/1456789012"
               "?utm_source=whatsapp", "Hand-reared African grey chicks, ready now", species_id="psittacus-erithacus",
               live=True, price="900", currency="GBP", country="GB", seller="birdlover_jay", confidence="high",
               colour="#7d8a94", text="Two baby greys, eating on their own. No papers. Cash on collection.", pictures=2),
    DemoReport("second", 12, "https://gumtree.com/p/birds/hand-reared-african-grey-chicks/1456789012",
               "African grey chicks", species_id="psittacus-erithacus", live=True, colour="#7d8a94",
               notes="Same seller posted parrots last month under another name."),
    DemoReport("second", 35, "https://www.facebook.com/marketplace/item/1234567890123456/?ref=search&referral_code=x",
               "Scales for medicine, 1 kg", guess="pangolin scales, species unknown", live=False, price="250000",
               currency="NGN", country="NG", seller="Traditional Remedies Lagos", colour="#6b5b45",
               text="Original scales, good for medicine. Bulk available. Inbox."),
    DemoReport("volunteer", 33, "https://www.preloved.co.uk/adverts/show/123456789/radiated-tortoise-hatchlings",
               "Radiated tortoise hatchlings, captive bred", species_id="astrochelys-radiata", live=True,
               price="350", currency="GBP", country="GB", seller="shellshock_reptiles", colour="#c9a227",
               text="Captive bred radiated tortoise hatchlings. No paperwork required for these."),
    DemoReport("second", 28, "https://www.etsy.com/listing/1122334455/vintage-tiger-claw-pendant-silver?ref=share",
               "Vintage tiger claw pendant, silver mount", species_id="panthera-tigris", live=False, price="280",
               currency="USD", country="US", seller="TribalVintageCo", confidence="high", colour="#b5651d"),
    DemoReport("volunteer", 26, "https://www.ebay.de/itm/Elfenbein-Armreif-antik/334455667788?_trkparms=x",
               "Elfenbein Armreif antik, 1920er", species_id="loxodonta-africana", live=False, price="220",
               currency="EUR", country="DE", seller="antik-haus-berlin", colour="#f3ead3"),
    DemoReport("second", 20, "https://www.instagram.com/p/C1aBcDeFgHi/?igshid=abc123",
               "cute pet slow loris for sale DM", species_id="nycticebus-coucang", live=True, price="3500000",
               currency="IDR", country="ID", seller="@exotic.pets.jkt", confidence="high", colour="#8b6f47",
               notes="Teeth look clipped in the video."),
    DemoReport("volunteer", 18, "https://item.taobao.com/item.htm?id=612345678901&spm=a21bo.x",
               "犀牛角杯 老料 / antique rhino horn cup", guess="rhino horn libation cup", live=False, price="68000", currency="CNY",
               country="CN", colour="#3a3a3a"),
    DemoReport("second", 16, "https://www.etsy.com/uk/listing/998877665/tortoiseshell-hair-comb-victorian",
               "Victorian tortoiseshell hair comb", species_id="eretmochelys-imbricata", live=False, price="95",
               currency="GBP", country="GB", colour="#7a4b1e"),
    DemoReport("volunteer", 6, "https://www.etsy.com/listing/998877665", "Tortoiseshell comb",
               species_id="eretmochelys-imbricata", live=False, colour="#7a4b1e"),
    DemoReport("volunteer", 10, "https://www.facebook.com/marketplace/item/9876543210987654/",
               "Hyacinth macaw, tame, talks", species_id="anodorhynchus-hyacinthinus", live=True, price="12000",
               currency="EUR", country="ES", confidence="high", colour="#2c4a9a"),
    DemoReport("second", 8, "https://www.terrarium-kleinanzeigen.example.de/anzeige/electric-blue-gecko-0-1/4711",
               "Electric blue gecko 0.1, Nachzucht", species_id="lygodactylus-williamsi", live=True, price="150",
               currency="EUR", country="DE", colour="#1f7fb8", text="Nachzucht, ohne Papiere."),
    DemoReport("volunteer", 3, "https://www.ebay.com/itm/Red-ivory-carving-hornbill-casque/145566778899",
               "Carved red ivory pendant, hornbill", species_id="rhinoplax-vigil", live=False, price="480",
               currency="USD", country="MY", colour="#b22222"),
]


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):
        return ImageFont.load_default()


def screenshot(item: DemoReport, platform: str, number: int) -> bytes:
    """A phone-sized "screenshot" of the listing: the platform's bar, a picture area, title and price."""
    width, height = 540, 960
    image = Image.new("RGB", (width, height), "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 40), fill="#222222")
    draw.text((16, 10), "9:41", fill="#ffffff", font=_font(18))
    draw.rectangle((0, 40, width, 110), fill="#f2f2f2")
    draw.text((20, 58), platform, fill="#333333", font=_font(30))
    draw.rectangle((0, 110, width, 560), fill=item.colour)
    draw.ellipse((150 - number * 10, 220, 390 + number * 10, 460), outline="#ffffff", width=6)
    draw.text((24, 520), f"{number} / 3", fill="#ffffff", font=_font(22))
    y = 585
    # The bundled font has no Chinese glyphs: draw the Latin part of a title.
    title = "".join(ch for ch in item.title if ord(ch) < 0x2E80).strip(" /") or item.guess or ""
    for line in textwrap.wrap(title, width=30)[:3]:
        draw.text((20, y), line, fill="#111111", font=_font(30))
        y += 40
    if item.price:
        draw.text((20, y + 10), f"{item.price} {item.currency or ''}", fill="#0b6b2b", font=_font(34))
    if item.seller:
        draw.text((20, y + 70), item.seller, fill="#555555", font=_font(22))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _second_volunteer(context: DemoContext) -> User:
    email, name = SECOND_VOLUNTEER
    user = accounts.get_by_email(context.session, email)
    if user is None:
        user = accounts.register(context.session, email=email, password=DEMO_PASSWORD, display_name=name)
        context.notes.append(f"{'volunteer':<10} {email}  password: {DEMO_PASSWORD}  (certified, reports too)")
    if user.certified_until is None or user.certified_until < utcnow() + timedelta(days=30):
        # Kofi passed the quiz long ago; the demo keeps his certification current.
        user.certified_until = utcnow() + timedelta(days=300)
        context.session.add(user)
    return user


def load(context: DemoContext) -> None:
    session, content = context.session, context.content
    people = {"volunteer": context.users.get("volunteer"), "second": _second_volunteer(context)}
    context.users["second_volunteer"] = people["second"]
    now = utcnow()
    created = 0
    # Oldest first, so that "duplicate" means what it says.
    for item in sorted(DEMO_REPORTS, key=lambda demo: -demo.hours_ago):
        reporter = people.get(item.who)
        if not isinstance(reporter, User):
            continue
        try:
            canonical = listings.recognise(session, url=item.url, content=content)
        except InvalidListingURL:
            continue
        known = listings.find_by_url(session, canonical.canonical_url)
        if known is not None and session.execute(
            select(Report.id).where(Report.listing_id == known.id, Report.reporter_id == reporter.id)
        ).first():
            continue  # loaded before
        data = ReportCreate(
            listing_url=item.url, species_id=item.species_id, species_guess=item.guess, confidence=item.confidence,
            live_animal=item.live, price=Decimal(item.price) if item.price else None, currency=item.currency,
            country=item.country, seller_handle=item.seller, listing_title=item.title, listing_text=item.text,
            notes=item.notes,
        )
        platform = canonical.platform_name or canonical.host
        uploads = [Upload(f"Screenshot_{n}.png", io.BytesIO(screenshot(item, platform, n)))
                   for n in range(1, item.pictures + 1)]
        reports.submit(session, reporter=reporter, data=data, uploads=uploads, content=content,
                       settings=context.settings, now=now - timedelta(hours=item.hours_ago))
        created += 1
    if created:
        context.notes.append(f"reports    {created} demo reports by Vera and Kofi (see /reports)")
