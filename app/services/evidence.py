"""Evidence: screenshots, cleaned down to their pixels and stored outside the web root.

A volunteer's photo can carry the place it was taken (EXIF GPS), the phone's owner,
comments, or anything appended after the image data. So an upload is never stored as
sent: it is read with a hard byte cap, opened by Pillow restricted to JPEG, PNG and
WebP, its size in pixels checked from the header before anything is decoded (a
decompression bomb is refused, not decoded), verified, decoded, turned upright, and
re-encoded from the pixels alone into a new file of the same format. The SHA-256 of the
stored bytes is recorded; a 320-pixel thumbnail is stored beside it for the queue.

Files are written atomically (temporary file, then rename) under
`settings.evidence_dir`, with random names; if the transaction that recorded them rolls
back, they are deleted again.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy import event, func, select
from sqlmodel import Session

from app.config import Settings
from app.errors import Invalid, NotFound, TooLarge
from app.i18n import _, ngettext
from app.models import Evidence, Report, User, utcnow
from app.services import audit


@dataclass(frozen=True, slots=True)
class ImageFormat:
    content_type: str
    extension: str


FORMATS = {
    "JPEG": ImageFormat("image/jpeg", "jpg"),
    "PNG": ImageFormat("image/png", "png"),
    "WEBP": ImageFormat("image/webp", "webp"),
}
ACCEPT = ",".join(f.content_type for f in FORMATS.values())  # for <input type="file" accept=...>
THUMBNAIL_SIZE = 320
JPEG_QUALITY = 85
WEBP_QUALITY = 85
READ_CHUNK = 256 * 1024
# Output modes each format stores as is; anything else is converted.
_KEEP_MODES = {"JPEG": {"L", "RGB"}, "PNG": {"L", "LA", "RGB", "RGBA"}, "WEBP": {"RGB", "RGBA"}}


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file as the routes hand it over: its name as sent and a binary stream."""

    filename: str | None
    stream: BinaryIO


@dataclass(frozen=True, slots=True)
class CleanImage:
    """A re-encoded image, ready to store."""

    data: bytes
    thumbnail: bytes
    format: str
    width: int
    height: int
    sha256: str

    @property
    def content_type(self) -> str:
        return FORMATS[self.format].content_type

    @property
    def extension(self) -> str:
        return FORMATS[self.format].extension


# --- Reading and cleaning ------------------------------------------------------------------


def _name(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:80] or _("the file")


def read_capped(stream: BinaryIO, *, limit: int, filename: str | None = None) -> bytes:
    """The stream's bytes; TooLarge as soon as more than `limit` bytes arrive (reads at most limit + 1)."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise TooLarge(
            _("“%(name)s” is larger than %(size)s MB. Send a screenshot or a smaller picture.",
              name=_name(filename), size=_megabytes(limit)),
            code="evidence_too_large",
            extra={"field": "evidence"},
        )
    return b"".join(chunks)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _unsupported_kind(head: bytes) -> str | None:
    """A name for well-known formats we refuse, for a helpful message."""
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"heim", b"heis"):
        return "HEIC"
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "AVIF"
    if head.startswith(b"%PDF"):
        return "PDF"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "ZIP"
    if head.startswith(b"BM"):
        return "BMP"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    return None


def _not_an_image(filename: str | None, data: bytes) -> Invalid:
    kind = _unsupported_kind(data[:16])
    if kind == "HEIC":
        message = _(
            "“%(name)s” is a HEIC photo, which cannot be used yet. Take a screenshot of it instead, or set "
            "your camera to “Most compatible”.", name=_name(filename))
    elif kind:
        message = _("“%(name)s” is a %(kind)s file. Only JPEG, PNG and WebP pictures can be added.",
                    name=_name(filename), kind=kind)
    else:
        message = _("“%(name)s” is not a JPEG, PNG or WebP picture. Only pictures (such as screenshots) "
                    "can be added.", name=_name(filename))
    return Invalid(message, field="evidence", code="evidence_not_image")


def _too_many_pixels(filename: str | None, width: int, height: int, max_pixels: int) -> TooLarge:
    return TooLarge(
        _("“%(name)s” is %(width)s × %(height)s pixels; pictures may have at most %(max)s million pixels.",
          name=_name(filename), width=width, height=height, max=f"{max_pixels / 1_000_000:g}"),
        code="evidence_too_many_pixels",
        extra={"field": "evidence"},
    )


def _damaged(filename: str | None) -> Invalid:
    return Invalid(
        _("“%(name)s” could not be read: the picture seems damaged or incomplete. Try another copy.",
          name=_name(filename)),
        field="evidence",
        code="evidence_damaged",
    )


def clean_image(data: bytes, *, max_pixels: int, filename: str | None = None) -> CleanImage:
    """Re-encode an uploaded image from its pixels; Invalid or TooLarge when it cannot be one."""
    with warnings.catch_warnings():
        # Pillow warns (and later fails) on huge images; our own limit is checked first anyway.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _clean(data, max_pixels=max_pixels, filename=filename)
        except (Invalid, TooLarge):
            raise
        except UnidentifiedImageError:
            raise _not_an_image(filename, data) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(filename, 0, 0, max_pixels) from None
        except (OSError, SyntaxError, ValueError, TypeError, IndexError, EOFError, MemoryError):
            # Pillow reports broken files with any of these, depending on the decoder.
            raise _damaged(filename) from None


def _clean(data: bytes, *, max_pixels: int, filename: str | None) -> CleanImage:
    with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
        image_format = probe.format or ""
        width, height = probe.size
        if width * height > max_pixels:
            raise _too_many_pixels(filename, width, height, max_pixels)
        probe.verify()
    if image_format not in FORMATS:
        raise _not_an_image(filename, data)
    with Image.open(io.BytesIO(data), formats=[image_format]) as image:
        if image.size[0] * image.size[1] > max_pixels:
            raise _too_many_pixels(filename, *image.size, max_pixels)
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        clean = _pixels_only(image, image_format)
    encoded = _encode(clean, image_format, thumbnail=False)
    thumbnail = _encode(_thumbnail(clean), image_format, thumbnail=True)
    return CleanImage(
        data=encoded,
        thumbnail=thumbnail,
        format=image_format,
        width=clean.width,
        height=clean.height,
        sha256=hashlib.sha256(encoded).hexdigest(),
    )


_SRGB = None


def _srgb_profile() -> ImageCms.ImageCmsProfile:
    global _SRGB
    if _SRGB is None:
        _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return _SRGB


def _pixels_only(image: Image.Image, image_format: str) -> Image.Image:
    """A new image holding only the pixels: no EXIF, ICC, comments or text chunks."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    target = "RGBA" if has_alpha and image_format != "JPEG" else "RGB"
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        # The colour profile goes with the metadata; convert to sRGB first so colours stay right.
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out_mode = "RGBA" if image.mode == "RGBA" and target == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, source, _srgb_profile(), outputMode=out_mode)
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: keep the pixels as they are
    if image.mode not in _KEEP_MODES[image_format]:
        image = image.convert(target)
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def thumbnail_dimensions(width: int, height: int) -> tuple[int, int]:
    """Width and height of the thumbnail of a picture: at most THUMBNAIL_SIZE on the longer side."""
    scale = THUMBNAIL_SIZE / max(width, height, 1)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _thumbnail(image: Image.Image) -> Image.Image:
    size = thumbnail_dimensions(*image.size)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(image: Image.Image, image_format: str, *, thumbnail: bool) -> bytes:
    buffer = io.BytesIO()
    if image_format == "JPEG":
        image.save(buffer, "JPEG", quality=80 if thumbnail else JPEG_QUALITY, optimize=True)
    elif image_format == "PNG":
        image.save(buffer, "PNG", compress_level=3)  # 3-4x faster than 6 on noisy pictures, ~20% larger
    else:
        image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4)
    return buffer.getvalue()


def prepare(uploads: Sequence[Upload], *, settings: Settings) -> list[CleanImage]:
    """Read and clean every upload; the first problem raises (nothing is stored)."""
    images = []
    for upload in uploads:
        data = read_capped(upload.stream, limit=settings.evidence_max_bytes, filename=upload.filename)
        if not data:
            raise Invalid(_("“%(name)s” is empty.", name=_name(upload.filename)), field="evidence",
                          code="evidence_empty")
        images.append(clean_image(data, max_pixels=settings.evidence_max_pixels, filename=upload.filename))
    return images


def check_count(*, existing: int, adding: int, settings: Settings) -> None:
    limit = settings.evidence_per_report
    if existing + adding > limit:
        if existing:
            message = ngettext(
                "A report can have at most %(num)s picture; this one has %(existing)s already.",
                "A report can have at most %(num)s pictures; this one has %(existing)s already.",
                limit, existing=existing)
        else:
            message = ngettext("You can add at most %(num)s picture to a report.",
                               "You can add at most %(num)s pictures to a report.", limit)
        raise Invalid(message, field="evidence", code="evidence_too_many")


# --- Storing ------------------------------------------------------------------------------


def thumbnail_key(storage_key: str) -> str:
    stem, dot, extension = storage_key.rpartition(".")
    return f"{stem}.thumb{dot}{extension}"


def file_path(settings: Settings, storage_key: str) -> Path:
    root = settings.evidence_dir.resolve()
    path = (root / storage_key).resolve()
    if not path.is_relative_to(root):
        raise NotFound(_("There is no such picture."))
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _delete_on_rollback(session: Session, paths: list[Path]) -> None:
    """Files written for this transaction go again if it does not commit."""
    state = {"committed": False}

    def committed(_session: Session) -> None:
        state["committed"] = True

    def rolled_back(_session: Session, previous) -> None:  # type: ignore[no-untyped-def]
        if previous.parent is None and not state["committed"]:
            for path in paths:
                path.unlink(missing_ok=True)
            paths.clear()

    # Not `once`: a savepoint rolled back later must not use up the listener.
    event.listen(session, "after_commit", committed)
    event.listen(session, "after_soft_rollback", rolled_back)


def store(session: Session, *, report: Report, images: Sequence[CleanImage], settings: Settings,
          now: datetime | None = None) -> list[Evidence]:
    """Write the images to disk and record them on the report (flushed, not committed)."""
    now = now or utcnow()
    written: list[Path] = []
    _delete_on_rollback(session, written)
    rows = []
    for image in images:
        storage_key = f"{now:%Y/%m}/{secrets.token_hex(16)}.{image.extension}"
        for key, data in ((storage_key, image.data), (thumbnail_key(storage_key), image.thumbnail)):
            path = file_path(settings, key)
            _write_atomically(path, data)
            written.append(path)
        evidence = Evidence(
            report_id=report.id,  # type: ignore[arg-type]
            sha256=image.sha256,
            content_type=image.content_type,
            width=image.width,
            height=image.height,
            size_bytes=len(image.data),
            storage_key=storage_key,
            created_at=now,
        )
        session.add(evidence)
        rows.append(evidence)
    session.flush()
    return rows


def count_for(session: Session, report_id: int) -> int:
    statement = select(func.count()).select_from(Evidence).where(
        Evidence.report_id == report_id, Evidence.deleted_at.is_(None)  # type: ignore[union-attr]
    )
    return int(session.execute(statement).scalar_one())


def list_for(session: Session, report_id: int) -> list[Evidence]:
    statement = (
        select(Evidence)
        .where(Evidence.report_id == report_id, Evidence.deleted_at.is_(None))  # type: ignore[union-attr]
        .order_by(Evidence.id)
    )
    return list(session.execute(statement).scalars())


def add_to_report(session: Session, *, report: Report, uploads: Sequence[Upload], actor: User,
                  settings: Settings) -> list[Evidence]:
    """More pictures for an existing report; only its reporter may add them."""
    if report.reporter_id != actor.id:
        raise NotFound(_("There is no such report, or it is not yours."))
    if not uploads:
        raise Invalid(_("Choose at least one picture to add."), field="evidence", code="evidence_missing")
    check_count(existing=count_for(session, report.id), adding=len(uploads), settings=settings)  # type: ignore[arg-type]
    images = prepare(uploads, settings=settings)
    rows = store(session, report=report, images=images, settings=settings)
    for row in rows:
        audit.record(session, action="evidence.added", entity_type="report", entity_id=report.id,  # type: ignore[arg-type]
                     actor=actor, after={"evidence_id": row.id, "sha256": row.sha256})
    return rows


# --- Serving -------------------------------------------------------------------------------


def for_viewer(session: Session, *, evidence_id: int, viewer: User) -> Evidence:
    """The evidence if `viewer` may see it (its reporter, experts, admins); NotFound otherwise."""
    row = session.execute(
        select(Evidence, Report.reporter_id)
        .join(Report, Report.id == Evidence.report_id)
        .where(Evidence.id == evidence_id, Evidence.deleted_at.is_(None))  # type: ignore[union-attr]
    ).first()
    if row is None:
        raise NotFound(_("There is no such picture, or it is not yours to see."))
    evidence, reporter_id = row
    if not (viewer.is_staff or (reporter_id is not None and reporter_id == viewer.id)):
        raise NotFound(_("There is no such picture, or it is not yours to see."))
    return evidence


def served_file(settings: Settings, evidence: Evidence, *, thumbnail: bool = False) -> tuple[Path, str]:
    """Path and download name of the stored file (or its thumbnail); NotFound if it is gone."""
    key = thumbnail_key(evidence.storage_key) if thumbnail else evidence.storage_key
    path = file_path(settings, key)
    if not path.is_file():
        raise NotFound(_("This picture is no longer stored."))
    extension = evidence.storage_key.rpartition(".")[2]
    name = f"evidence-{evidence.id}{'-thumb' if thumbnail else ''}.{extension}"
    return path, name
