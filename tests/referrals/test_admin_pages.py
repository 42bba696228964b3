"""The admin pages: register a company, see the secret once, test the endpoint, read the log."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app.models import Company, OutboxMessage, Referral
from tests.conftest import post_form
from tests.factories import make_user, web_login
from tests.referrals.factories import Receiver, make_company, make_confirmed_listing


@pytest.fixture
def signed_in(client, admin):  # type: ignore[no-untyped-def]
    web_login(client, admin)
    return client


def test_only_admins_see_the_pages(client, db) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/admin/companies", follow_redirects=False).status_code == 303  # to the login
    web_login(client, make_user(db, certified=True))
    assert client.get("/admin/companies").status_code == 403
    assert client.get("/admin/referrals").status_code == 403


def test_registering_shows_the_credentials_once(signed_in, db) -> None:  # type: ignore[no-untyped-def]
    page = signed_in.get("/admin/companies/new")
    assert page.status_code == 200 and 'name="platforms" value="ebay"' in page.text
    answer = post_form(signed_in, "/admin/companies", {
        "name": "<b>eBay</b>", "platforms": ["ebay", "etsy"], "domains": "ebay.ie\nEBAY.pl", "active": "on",
        "contact_email": "takedowns@example.com", "webhook_url": "",
    }, from_path="/admin/companies/new")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert "whsec_" in answer.text and "csk_" in answer.text and "shown this once" in answer.text
    assert "&lt;b&gt;eBay&lt;/b&gt;" in answer.text and "<b>eBay</b>" not in answer.text
    with db.session() as session:
        company = session.query(Company).one()
    detail = signed_in.get(f"/admin/companies/{company.id}")
    assert detail.status_code == 200
    assert "whsec_" not in detail.text and company.api_key_prefix in detail.text
    assert "ebay.ie, ebay.pl" in detail.text
    listing = signed_in.get("/admin/companies")
    assert "&lt;b&gt;eBay&lt;/b&gt;" in listing.text and "No webhook URL" in listing.text


def test_a_refused_url_keeps_what_was_typed(signed_in, settings) -> None:  # type: ignore[no-untyped-def]
    signed_in.app.state.settings = settings.model_copy(update={"webhook_allow_private_targets": False})
    answer = post_form(signed_in, "/admin/companies", {
        "name": "Etsy", "platforms": ["etsy"], "domains": "etsy.ie", "webhook_url": "https://192.168.1.10/hook",
    }, from_path="/admin/companies/new")
    assert answer.status_code == 422
    assert "private network" in answer.text
    assert 'value="https://192.168.1.10/hook"' in answer.text and 'value="Etsy"' in answer.text
    assert 'value="etsy" checked' in answer.text and "etsy.ie" in answer.text


def test_editing_and_conflicts(signed_in, db, settings, training_content) -> None:  # type: ignore[no-untyped-def]
    make_company(db, settings, training_content, name="eBay", platforms=("ebay",))
    other = make_company(db, settings, training_content, name="Etsy", platforms=("etsy",))
    edit = f"/admin/companies/{other.company.id}/edit"
    assert 'value="etsy" checked' in signed_in.get(edit).text
    answer = post_form(signed_in, edit, {"name": "Etsy", "platforms": ["etsy", "ebay"], "active": "on"}, from_path=edit)
    assert answer.status_code == 422 and "already belongs to eBay" in answer.text
    answer = post_form(signed_in, edit, {"name": "Etsy Inc.", "platforms": ["etsy"], "domains": "etsy.ie"},
                       from_path=edit)
    assert answer.status_code == 303 and answer.headers["location"].endswith("?saved=saved")
    with db.session() as session:
        company = session.get(Company, other.company.id)
        assert company.name == "Etsy Inc." and company.active is False  # the box was left unticked


def test_send_a_test_event_from_the_page(signed_in, db, settings, training_content) -> None:  # type: ignore[no-untyped-def]
    with Receiver(answers=[(202, {}, b"accepted <script>"), (503, {}, b"")]) as receiver:
        credentials = make_company(db, settings, training_content, webhook_url=receiver.url())
        page = f"/admin/companies/{credentials.company.id}"
        answer = post_form(signed_in, f"{page}/ping", from_path=page)
        assert answer.status_code == 200
        assert "accepted the test event" in answer.text and "accepted &lt;script&gt;" in answer.text
        fragment = post_form(signed_in, f"{page}/ping", from_path=page, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text
        assert 'id="ping-result"' in fragment.text and "test event failed" in fragment.text
    log = signed_in.get(f"{page}/deliveries")
    assert log.text.count("ping") >= 2


def test_rotating_shows_the_new_secret(signed_in, db, settings, training_content) -> None:  # type: ignore[no-untyped-def]
    credentials = make_company(db, settings, training_content)
    page = f"/admin/companies/{credentials.company.id}"
    answer = post_form(signed_in, f"{page}/rotate-secret", from_path=page)
    assert answer.status_code == 200 and "whsec_" in answer.text and credentials.webhook_secret not in answer.text
    assert "previous secret signs beside it" in answer.text
    answer = post_form(signed_in, f"{page}/rotate-api-key", from_path=page)
    assert answer.status_code == 200 and "csk_" in answer.text and "whsec_" not in answer.text


def test_the_delivery_log_retry_and_recover(signed_in, db, settings, training_content, reporters) -> None:  # type: ignore[no-untyped-def]
    credentials = make_company(db, settings, training_content)
    _listing, referral = make_confirmed_listing(db, settings, training_content, reporters=reporters)
    make_confirmed_listing(db, settings, training_content, reporters=reporters)
    with db.transaction() as session:
        session.execute(update(OutboxMessage).values(status="failed", last_error="HTTP 500", next_attempt_at=None))
        session.execute(update(Referral).values(status="failed"))
    page = f"/admin/companies/{credentials.company.id}/deliveries"
    log = signed_in.get(page)
    assert log.status_code == 200 and log.text.count("Send again") >= 2 and "HTTP 500" in log.text

    with db.session() as session:
        message = session.query(OutboxMessage).filter_by(referral_id=referral.id).one()
    answer = post_form(signed_in, f"/admin/deliveries/{message.id}/retry", {"next": page}, from_path=page)
    assert answer.status_code == 303 and answer.headers["location"] == page + "?saved=retried"
    assert "sent again in a moment" in signed_in.get(answer.headers["location"]).text

    answer = post_form(signed_in, f"/admin/companies/{credentials.company.id}/recover", {"since": "yesterday"},
                       from_path=page)
    assert answer.status_code == 422 and "2026-11-24" in answer.text and 'value="yesterday"' in answer.text
    answer = post_form(signed_in, f"/admin/companies/{credentials.company.id}/recover", {"since": "2000-01-01"},
                       from_path=page)
    assert answer.status_code == 303
    assert "1 failed message will be sent again" in signed_in.get(answer.headers["location"]).text


def test_referral_pages(signed_in, db, settings, training_content, reporters) -> None:  # type: ignore[no-untyped-def]
    _listing, waiting = make_confirmed_listing(db, settings, training_content, reporters=reporters,
                                               domain="etsy.com", platform_id="etsy")
    listing = signed_in.get("/admin/referrals?status=no_recipient")
    assert listing.status_code == 200 and f"#{waiting.id}" in listing.text and "No recipient" in listing.text
    detail = signed_in.get(f"/admin/referrals/{waiting.id}")
    assert detail.status_code == 200 and "no active company answers for etsy" in detail.text
    assert signed_in.get("/admin/referrals/9999").status_code == 404
    assert "Companies and webhooks" in signed_in.get("/admin").text
