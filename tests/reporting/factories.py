"""Pictures with things that must not survive an upload, and reports made through the API."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image, PngImagePlugin

EBAY_URL = "https://www.ebay.co.uk/itm/Carved-bovine-bone-netsuke/2567890123?hash=item1&_trksid=p2047675"
ELEPHANT = "loxodonta-africana"
GREY_PARROT = "psittacus-erithacus"

# EXIF tags
ORIENTATION = 0x0112
MAKE = 0x010F
GPS_IFD = 0x8825


def gradient(width: int = 64, height: int = 48, mode: str = "RGB") -> Image.Image:
    """A picture whose orientation can be told from its pixels: red on the left, blue on the right."""
    image = Image.new("RGB", (width, height))
    for x in range(width):
        colour = (255, 0, 0) if x < width // 2 else (0, 0, 255)
        for y in range(height):
            image.putpixel((x, y), colour)
    return image.convert(mode)


def jpeg_with_gps(*, orientation: int | None = None, image: Image.Image | None = None) -> bytes:
    """A JPEG with a camera make, GPS coordinates, a comment and (optionally) an EXIF orientation."""
    picture = image or gradient()
    exif = Image.Exif()
    exif[MAKE] = "SpyPhone"
    if orientation:
        exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 0.0)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 0.0)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif, comment=b"shot at home, 12 Acacia Avenue")
    return buffer.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "my home address is 12 Acacia Avenue")
    info.add_text("Author", "Vera Volunteer")
    buffer = io.BytesIO()
    gradient().save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def webp_picture() -> bytes:
    buffer = io.BytesIO()
    gradient().save(buffer, "WEBP", quality=90)
    return buffer.getvalue()


def plain_jpeg(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    gradient(width, height).save(buffer, "JPEG")
    return buffer.getvalue()


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header claims 900 million pixels (its data would inflate to gigabytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    row = b"\x00" + b"\x00" * width
    compressor = zlib.compressobj(9)
    data = compressor.compress(row * 100) + compressor.flush()  # a start of the data is enough
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def gif_picture() -> bytes:
    buffer = io.BytesIO()
    gradient().save(buffer, "GIF")
    return buffer.getvalue()


def zip_file() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return buffer.getvalue()


HTML_FILE = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def report_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "listing_url": EBAY_URL,
        "species_id": ELEPHANT,
        "confidence": "high",
        "live_animal": False,
        "price": "120.50",
        "currency": "GBP",
        "country": "GB",
        "listing_title": "Antique carved bovine bone netsuke",
    }
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not None}


def create_report(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/reports", json=report_payload(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def upload(client: TestClient, headers: dict[str, str], report_id: int, data: bytes, name: str = "shot.jpg",
           content_type: str = "image/jpeg"):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/reports/{report_id}/evidence", files={"file": (name, data, content_type)},
                       headers=headers)


def ask_question(db, listing_id: int, text: str, expert=None):  # type: ignore[no-untyped-def]
    """An expert's question, with the listing moved to needs_info as the review service would."""
    from app.models import Listing, ListingStatus, ReviewQuestion
    from app.services import listing_states

    with db.transaction() as session:
        listing = session.get(Listing, listing_id)
        question = ReviewQuestion(listing_id=listing_id, asked_by_id=expert.id if expert else None, text=text)
        session.add(question)
        if listing.status != ListingStatus.needs_info:
            listing_states.transition(session, listing=listing, to=ListingStatus.needs_info, actor=expert,
                                      action="listing.needs_info")
        session.flush()
        return question.id


def set_status(db, listing_id: int, status: str, **changes):  # type: ignore[no-untyped-def]
    from app.models import Listing
    from app.services import listing_states

    with db.transaction() as session:
        listing = session.get(Listing, listing_id)
        listing_states.transition(session, listing=listing, to=status, action=f"test.{status}", changes=changes)


def make_referral(db, listing_id: int, **fields):  # type: ignore[no-untyped-def]
    from app.models import Referral

    with db.transaction() as session:
        referral = Referral(listing_id=listing_id, **fields)
        session.add(referral)
        session.flush()
        return referral.id
