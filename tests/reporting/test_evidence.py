"""Evidence: only clean pixels are stored, bombs and lies are refused, and only the right people see it."""

from __future__ import annotations

import hashlib
import io
import time

import pytest
from PIL import Image

from app.errors import TooLarge
from app.models import Evidence, Role
from app.services import evidence as evidence_service
from tests.conftest import post_form
from tests.factories import auth_headers, make_user, web_login
from tests.reporting.factories import (
    GPS_IFD,
    HTML_FILE,
    MAKE,
    ORIENTATION,
    create_report,
    gif_picture,
    gradient,
    jpeg_with_gps,
    plain_jpeg,
    png_bomb,
    png_with_text,
    upload,
    webp_picture,
    zip_file,
)


@pytest.fixture
def volunteer(db):  # type: ignore[no-untyped-def]
    return make_user(db, certified=True)


@pytest.fixture
def headers(client, volunteer):  # type: ignore[no-untyped-def]
    return auth_headers(client, volunteer)


@pytest.fixture
def report(client, headers):  # type: ignore[no-untyped-def]
    return create_report(client, headers)


def fetch(client, headers, evidence_id: int, size: str = "full") -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/evidence/{evidence_id}?size={size}", headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def test_exif_gps_and_comments_are_gone_from_a_jpeg(client, headers, report):
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as sent:  # the test picture does carry them
        assert sent.getexif().get_ifd(GPS_IFD) and "comment" in sent.info
    response = upload(client, headers, report["id"], original)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == "image/jpeg" and (body["width"], body["height"]) == (64, 48)
    stored = fetch(client, headers, body["id"])
    assert hashlib.sha256(stored).hexdigest() == body["sha256"]
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        exif = image.getexif()
        assert len(exif) == 0 and not exif.get_ifd(GPS_IFD) and MAKE not in exif
        assert "exif" not in image.info and "comment" not in image.info and "icc_profile" not in image.info
    assert b"SpyPhone" not in stored and b"Acacia" not in stored


def test_the_exif_orientation_is_applied_before_it_is_dropped(client, headers, report):
    # Orientation 6: the camera was turned; viewers rotate 90° clockwise. Red is on the left of the sensor.
    body = upload(client, headers, report["id"], jpeg_with_gps(orientation=6)).json()
    assert (body["width"], body["height"]) == (48, 64)
    with Image.open(io.BytesIO(fetch(client, headers, body["id"]))) as image:
        assert ORIENTATION not in image.getexif()
        top = image.convert("RGB").getpixel((24, 4))
        bottom = image.convert("RGB").getpixel((24, 60))
        assert top[0] > 200 and top[2] < 60, top  # the left (red) half is now on top
        assert bottom[2] > 200 and bottom[0] < 60, bottom


def test_a_png_loses_its_text_chunks(client, headers, report):
    body = upload(client, headers, report["id"], png_with_text(), "shot.png", "image/png").json()
    assert body["content_type"] == "image/png"
    stored = fetch(client, headers, body["id"])
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG"
        assert image.info.get("Comment") is None and image.info.get("Author") is None
        assert not getattr(image, "text", {})
    assert b"Acacia" not in stored and b"tEXt" not in stored


def test_a_webp_stays_a_webp(client, headers, report):
    body = upload(client, headers, report["id"], webp_picture(), "shot.webp", "image/webp").json()
    assert body["content_type"] == "image/webp"
    with Image.open(io.BytesIO(fetch(client, headers, body["id"]))) as image:
        assert image.format == "WEBP"


def test_bytes_after_the_end_of_the_image_are_gone(client, headers, report):
    smuggled = plain_jpeg() + b"PK\x03\x04" + b"<script>alert(1)</script>" * 20
    body = upload(client, headers, report["id"], smuggled).json()
    stored = fetch(client, headers, body["id"])
    assert stored.endswith(b"\xff\xd9") and b"<script>" not in stored and b"PK\x03\x04" not in stored


def test_served_with_its_type_nosniff_a_file_name_and_private_caching(client, headers, report):
    body = upload(client, headers, report["id"], plain_jpeg()).json()
    response = client.get(f"/api/v1/evidence/{body['id']}", headers=headers)
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == f'inline; filename="evidence-{body["id"]}.jpg"'
    assert response.headers["cache-control"].startswith("private")


def test_a_thumbnail_of_at_most_320_pixels(client, headers, report):
    body = upload(client, headers, report["id"], plain_jpeg(1280, 640)).json()
    with Image.open(io.BytesIO(fetch(client, headers, body["id"], "thumb"))) as thumb:
        assert thumb.size == (320, 160)
    response = client.get(f"/api/v1/evidence/{body['id']}?size=thumb", headers=headers)
    assert response.headers["content-disposition"] == f'inline; filename="evidence-{body["id"]}-thumb.jpg"'


def test_files_live_under_the_data_dir_with_random_names(client, db, settings, headers, report):
    upload(client, headers, report["id"], plain_jpeg(), "IMG_2024_home.jpg")
    with db.session() as session:
        row = session.query(Evidence).one()
    path = settings.evidence_dir / row.storage_key
    assert path.is_file() and path.resolve().is_relative_to(settings.data_dir.resolve())
    assert "IMG" not in row.storage_key and len(path.stem) >= 32


def test_a_decompression_bomb_is_refused_quickly(client, headers, report):
    started = time.perf_counter()
    response = upload(client, headers, report["id"], png_bomb(), "bomb.png", "image/png")
    assert response.status_code in (413, 422)
    assert "pixels" in response.json()["detail"]
    assert time.perf_counter() - started < 2


REFUSED_FILES = [
    (HTML_FILE, "listing.jpg", "not a JPEG, PNG or WebP"),
    (zip_file(), "photos.jpg", "ZIP"),
    (gif_picture(), "parrot.gif", "GIF"),
    (b"%PDF-1.7\n" + b"0" * 100, "scan.png", "PDF"),
    (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64, "IMG_0001.HEIC", "HEIC"),
    (plain_jpeg()[:200], "cut.jpg", "damaged"),
    (b"", "empty.jpg", "empty"),
]


def test_files_that_are_not_allowed_pictures_are_refused(client, db, headers, report):
    for data, name, words in REFUSED_FILES:
        response = upload(client, headers, report["id"], data, name, "image/jpeg")
        assert response.status_code == 422, (name, response.text)
        assert words in response.json()["detail"], name
        assert response.json()["field"] == "evidence"
    with db.session() as session:
        assert session.query(Evidence).count() == 0


def test_an_oversize_file_is_refused_with_413(client, settings, headers, report):
    settings.evidence_max_bytes = 50_000
    big = plain_jpeg() + b"\x00" * 60_000
    response = upload(client, headers, report["id"], big)
    assert response.status_code == 413
    assert "MB" in response.json()["detail"]


def test_an_oversize_request_is_refused_before_its_body_is_read(client, settings, headers, report):
    settings.evidence_max_bytes = 50_000

    def body():  # type: ignore[no-untyped-def]
        yield b"x" * 1000
        raise AssertionError("the body was read")

    response = client.post(
        f"/api/v1/reports/{report['id']}/evidence", content=body(), headers={
            **headers, "content-type": "multipart/form-data; boundary=abc", "content-length": "5000000"},
    )
    assert response.status_code == 413


def test_reading_stops_one_byte_past_the_limit():
    class Stream:
        served = 0

        def read(self, size: int = -1) -> bytes:
            assert size > 0, "must never read without a limit"
            self.served += size
            return b"\xff" * size

    stream = Stream()
    with pytest.raises(TooLarge):
        evidence_service.read_capped(stream, limit=1_000_000)  # type: ignore[arg-type]
    assert stream.served == 1_000_001


def test_at_most_five_pictures_per_report(client, headers, report):
    for _ in range(5):
        assert upload(client, headers, report["id"], plain_jpeg()).status_code == 201
    sixth = upload(client, headers, report["id"], plain_jpeg())
    assert sixth.status_code == 422
    assert "at most 5" in sixth.json()["detail"]


def test_only_the_reporter_adds_pictures(client, db, report):
    other = make_user(db, certified=True)
    response = upload(client, auth_headers(client, other), report["id"], plain_jpeg())
    assert response.status_code == 404


@pytest.mark.parametrize(("role", "status"), [("reporter", 200), (Role.expert, 200), (Role.admin, 200),
                                              (Role.volunteer, 404), ("anonymous", 401)])
def test_who_may_see_a_picture(client, db, headers, report, role, status):
    evidence_id = upload(client, headers, report["id"], plain_jpeg()).json()["id"]
    if role == "reporter":
        viewer_headers = headers
    elif role == "anonymous":
        viewer_headers = {}
    else:
        viewer_headers = auth_headers(client, make_user(db, role=role, certified=True))
    for size in ("full", "thumb"):
        response = client.get(f"/api/v1/evidence/{evidence_id}?size={size}", headers=viewer_headers)
        assert response.status_code == status
        if status != 200:
            assert not response.headers["content-type"].startswith("image/")


def test_pictures_of_a_report_that_fails_after_storing_are_deleted_again(client, db, settings, monkeypatch):
    store = evidence_service.store

    def failing_after_storing(*args, **kwargs):  # type: ignore[no-untyped-def]
        store(*args, **kwargs)
        raise RuntimeError("database went away")

    web_login(client, make_user(db, certified=True))
    monkeypatch.setattr(evidence_service, "store", failing_after_storing)
    with pytest.raises(RuntimeError):
        post_form(client, "/report", {"listing_url": "https://www.etsy.com/listing/424242424/x",
                                      "species_id": "panthera-tigris"},
                  files=[("evidence", ("claw.jpg", plain_jpeg(), "image/jpeg"))], from_path="/report")
    assert not [path for path in settings.evidence_dir.rglob("*") if path.is_file()]
    with db.session() as session:
        assert session.query(Evidence).count() == 0


def test_a_report_sent_with_pictures_counts_them_in_its_audit_line(client, db):
    from app.models import AuditEntry

    web_login(client, make_user(db, certified=True))
    response = post_form(client, "/report", {"listing_url": "https://www.etsy.com/listing/434343434/x",
                                             "species_id": "panthera-tigris"},
                         files=[("evidence", ("a.jpg", plain_jpeg(), "image/jpeg")),
                                ("evidence", ("b.jpg", plain_jpeg(), "image/jpeg"))], from_path="/report")
    assert response.status_code in (200, 303)
    with db.session() as session:
        line = session.query(AuditEntry).filter_by(action="report.submitted").one()
        assert session.query(Evidence).count() == 2
    assert line.after["evidence"] == 2 and line.after["new_listing"] is True


def test_a_tall_picture_is_cleaned_the_same_way():
    image = gradient(40, 400, "RGBA")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    clean = evidence_service.clean_image(buffer.getvalue(), max_pixels=1_000_000)
    assert clean.format == "PNG" and (clean.width, clean.height) == (40, 400)
    with Image.open(io.BytesIO(clean.thumbnail)) as thumb:
        assert thumb.size == (32, 320)


def test_an_oversize_body_without_a_length_is_cut_off(client, settings, headers, report):
    settings.evidence_max_bytes = 50_000
    boundary = "cut"

    def body():  # type: ignore[no-untyped-def]
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
               "Content-Type: image/jpeg\r\n\r\n").encode()
        for _ in range(200):
            yield b"\xff" * 10_000

    response = client.post(f"/api/v1/reports/{report['id']}/evidence", content=body(),
                           headers={**headers, "content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
