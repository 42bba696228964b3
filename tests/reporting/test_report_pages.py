"""The report form and my reports in a browser: without JavaScript first, htmx as a bonus."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest

from app.models import AuditEntry, Listing, Report, utcnow
from tests.conftest import post_form
from tests.factories import auth_headers, make_user, web_login
from tests.reporting.factories import (
    ELEPHANT,
    GREY_PARROT,
    HTML_FILE,
    ask_question,
    create_report,
    make_referral,
    plain_jpeg,
    set_status,
)

HTMX = {"HX-Request": "true"}
FORM = {
    "listing_url": "https://www.gumtree.com/p/birds/african-grey-parrot-chicks/1456789012?utm_source=whatsapp",
    "species_id": GREY_PARROT,
    "confidence": "high",
    "live_animal": "live",
    "price": "850",
    "currency": "GBP",
    "country": "GB",
    "seller_handle": "parrot_palace_77",
    "listing_title": "Hand-reared African grey chicks",
    "listing_text": "Two chicks, eating on their own, no papers needed",
    "notes": "Seller says more arrive every month",
}


@pytest.fixture
def volunteer(db, client):  # type: ignore[no-untyped-def]
    user = make_user(db, certified=True)
    web_login(client, user)
    return user


def send(client, data, files=None, **kwargs):  # type: ignore[no-untyped-def]
    return post_form(client, "/report", data, files=files, from_path="/report", **kwargs)


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html)
    return match.group(1) if match else None


# --- The form ----------------------------------------------------------------------------------


def test_the_share_sheet_prefills_the_url_from_shared_text(client, volunteer):
    shared = "Check this out! https://www.ebay.co.uk/itm/Ivory-netsuke/2567890123?_trksid=p1 via the eBay app"
    page = client.get(f"/report?text={quote(shared)}&title={quote('Old carved netsuke')}")
    assert page.status_code == 200
    assert input_value(page.text, "listing_url") == "https://www.ebay.co.uk/itm/Ivory-netsuke/2567890123?_trksid=p1"
    assert input_value(page.text, "listing_title") == "Old carved netsuke"
    assert "eBay" in re.search(r'<p id="platform-info".*?</p>', page.text, re.S).group(0)


def test_the_share_sheet_url_parameter_wins(client, volunteer):
    page = client.get("/report?url=https%3A%2F%2Fwww.etsy.com%2Flisting%2F123456%2Fclaw&text=nothing")
    assert input_value(page.text, "listing_url") == "https://www.etsy.com/listing/123456/claw"


def test_sharing_before_logging_in_comes_back_to_the_filled_form(client, db):
    response = client.get("/report?text=https://www.etsy.com/listing/123456", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/report")
    assert "etsy" in response.headers["location"]


def test_the_form_is_for_certified_volunteers(client, db):
    web_login(client, make_user(db, certified=False))
    page = client.get("/report")
    assert page.status_code == 403
    assert "/training" in page.text


def test_the_form_page_is_small_accessible_and_script_free(client, volunteer):
    page = client.get("/report")
    assert page.status_code == 200
    html = page.text
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    assert 'type="file"' in html and 'accept="image/jpeg,image/png,image/webp"' in html and "multiple" in html
    assert "<script>" not in html and "style=" not in html and " onclick=" not in html
    for control in ("listing_url", "species_q", "species_guess", "price", "currency", "country", "seller_handle",
                    "listing_title", "listing_text", "notes", "evidence"):
        assert f'<label for="{control}"' in html, control
    assert 'name="confidence" value="medium" checked' in html
    assert '<option value="GB"' in html and '<option value="EUR"' in html


def test_countries_are_named_in_the_readers_language(client, volunteer):
    client.cookies.set("cs_lang", "de")
    page = client.get("/report")
    assert re.search(r'<option value="DE"\s*>Deutschland</option>', page.text)


def test_a_report_without_javascript(client, db, volunteer):
    response = send(client, FORM, files=[("evidence", ("chicks.jpg", plain_jpeg(), "image/jpeg"))])
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/reports/\d+\?new=1", location)
    page = client.get(location)
    assert page.status_code == 200
    assert "Thank you" in page.text and "What happens next" in page.text
    assert "Others reported this listing too" not in page.text
    assert 'href="https://gumtree.com/p/birds/african-grey-parrot-chicks/1456789012"' in page.text
    assert 'target="_blank" rel="noopener noreferrer"' in page.text
    assert "parrot_palace_77" in page.text and "£850.00" in page.text
    assert re.search(r'<img src="/evidence/\d+\?size=thumb"', page.text)
    with db.session() as session:
        report = session.query(Report).one()
        assert report.live_animal is True and report.reporter_id == volunteer.id


def test_an_invalid_form_comes_back_filled_in(client, volunteer):
    data = {**FORM, "listing_url": "javascript:alert(1)", "price": "about ten", "country": "QQ",
            "confidence": "low", "live_animal": "product"}
    response = send(client, data, files=[("evidence", ("chicks.jpg", plain_jpeg(), "image/jpeg"))])
    assert response.status_code == 422
    html = response.text
    assert 'id="listing_url-error"' in html and "http" in html
    assert 'id="price-error"' in html and "as a number" in html
    assert 'id="country-error"' in html
    assert input_value(html, "listing_url") == "javascript:alert(1)"
    assert input_value(html, "price") == "about ten"
    assert input_value(html, "seller_handle") == "parrot_palace_77"
    assert input_value(html, "listing_title") == "Hand-reared African grey chicks"
    assert ">Two chicks, eating on their own, no papers needed</textarea>" in html
    assert ">Seller says more arrive every month</textarea>" in html
    assert 'name="confidence" value="low" checked' in html
    assert 'name="live_animal" value="product" checked' in html
    assert f'value="{GREY_PARROT}" checked' in html
    assert '<option value="GBP" selected>' in html
    assert "choose them again" in html
    assert 'aria-invalid="true"' in html


def test_prices_are_read_the_way_the_reader_writes_them(client, db, volunteer):
    client.cookies.set("cs_lang", "fr")
    assert send(client, {**FORM, "price": "1 250,50"}).status_code == 303
    with db.session() as session:
        assert str(session.query(Report).one().price) == "1250.50"


def test_species_search_without_javascript(client, volunteer):
    data = {"listing_url": FORM["listing_url"], "species_q": "grey parrot", "notes": "keep me", "action": "find_species"}
    response = send(client, data)
    assert response.status_code == 200
    assert f'name="species_id" value="{GREY_PARROT}"' in response.text
    assert ">keep me</textarea>" in response.text
    assert "field-error" not in response.text


def test_a_file_that_is_not_a_picture_is_refused_on_the_form(client, db, volunteer):
    response = send(client, FORM, files=[("evidence", ("chicks.jpg", HTML_FILE, "image/jpeg"))])
    assert response.status_code == 422
    assert 'id="evidence-error"' in response.text and "not a JPEG, PNG or WebP" in response.text
    with db.session() as session:
        assert session.query(Report).count() == 0


def test_six_files_on_the_form_are_refused(client, volunteer):
    files = [("evidence", (f"{n}.jpg", plain_jpeg(), "image/jpeg")) for n in range(6)]
    response = send(client, FORM, files=files)
    assert response.status_code == 422
    assert "at most 5" in response.text


def test_another_volunteer_is_told_others_saw_it_too(client, db, volunteer):
    other = make_user(db, certified=True)
    create_report(client, auth_headers(client, other), listing_url="https://gumtree.com/p/birds/african-grey-parrot-chicks/1456789012",
                  species_id=GREY_PARROT)
    response = send(client, FORM)
    assert response.status_code == 303
    assert "Others reported this listing too" in client.get(response.headers["location"]).text


def test_reporting_the_same_listing_twice_links_to_the_first_report(client, volunteer):
    first = send(client, FORM).headers["location"].split("?")[0]
    again = send(client, {**FORM, "listing_url": "http://m.gumtree.com/p/birds/african-grey-parrot-chicks/1456789012?featured=1"})
    assert again.status_code == 409
    assert f'href="{first}"' in again.text
    assert input_value(again.text, "seller_handle") == "parrot_palace_77"


def test_the_hourly_limit_on_the_form(client, settings, volunteer):
    settings.reports_per_hour = 1
    send(client, FORM)
    response = send(client, {**FORM, "listing_url": "https://www.etsy.com/listing/123456"})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 3000
    assert "last hour" in response.text


# --- htmx ------------------------------------------------------------------------------------------


def test_species_suggestions_as_you_type(client, volunteer):
    response = client.get("/report/species-suggestions?species_q=pangolin&species_id=" + ELEPHANT, headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="species-choices"')
    assert "<html" not in response.text
    assert 'value="manis-' in response.text
    assert f'value="{ELEPHANT}" checked' in response.text  # the chosen one stays chosen


def test_the_platform_shows_as_soon_as_the_url_is_recognised(client, volunteer):
    known = client.get("/report/platform?listing_url=https://www.etsy.com/listing/987654321/x", headers=HTMX)
    assert known.text.lstrip().startswith('<p id="platform-info"') and "Etsy" in known.text
    assert "987654321" in known.text
    unknown = client.get("/report/platform?listing_url=https://reptile-classifieds.example.net/ad/5", headers=HTMX)
    assert "still report it" in unknown.text
    refused = client.get("/report/platform?listing_url=javascript:alert(1)", headers=HTMX)
    assert "http" in refused.text


def test_htmx_errors_replace_the_form_and_success_redirects(client, volunteer):
    invalid = post_form(client, "/report", {**FORM, "country": "QQ"}, from_path="/report", headers=HTMX)
    assert invalid.status_code == 422
    assert invalid.text.lstrip().startswith('<form id="report-form"') and "<html" not in invalid.text
    assert 'id="country-error"' in invalid.text
    assert "choose them again" not in invalid.text  # htmx keeps the chosen files (hx-preserve)
    done = post_form(client, "/report", FORM, from_path="/report", headers=HTMX)
    assert done.status_code == 204
    assert re.fullmatch(r"/reports/\d+\?new=1", done.headers["hx-redirect"])


# --- Escaping ----------------------------------------------------------------------------------------

SCRIPT = "<script>alert('x')</script>"


def test_markup_typed_anywhere_shows_as_text_on_every_page(client, db, volunteer):
    data = {**FORM, "species_id": "", "species_guess": SCRIPT, "seller_handle": SCRIPT, "listing_title": SCRIPT,
            "listing_text": SCRIPT, "notes": SCRIPT,
            "listing_url": "https://www.gumtree.com/p/birds/<script>alert(1)</script>/1456789012"}
    failed = send(client, {**data, "country": "QQ"})
    assert failed.status_code == 422
    location = send(client, data).headers["location"]
    report_id = int(location.split("/")[2].split("?")[0])
    with db.session() as session:
        listing_id = session.get(Report, report_id).listing_id
    ask_question(db, listing_id, "Is it " + SCRIPT + "?")
    post_form(client, f"/reports/{report_id}/answers", {"question_id": "1", "text": SCRIPT}, from_path="/reports")
    pages = [failed.text, client.get(location).text, client.get("/reports").text,
             client.get(f"/report?title={quote(SCRIPT)}").text]
    for html in pages:
        assert SCRIPT not in html
        assert "<script>alert" not in html
    detail = pages[1]
    assert detail.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") >= 7  # guess, seller, title, text, notes, question, answer
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in pages[2]


# --- My reports ------------------------------------------------------------------------------------


def test_my_reports_lists_newest_first_with_figures_and_pages(client, db, volunteer):
    headers = auth_headers(client, volunteer)
    ids = [create_report(client, headers, listing_url=f"https://www.etsy.com/listing/{n}12345/x",
                         listing_title=f"Item number {n}")["id"] for n in range(22)]
    with db.session() as session:
        confirmed_listing = session.get(Report, ids[0]).listing_id
    set_status(db, confirmed_listing, "confirmed")
    page = client.get("/reports")
    assert page.status_code == 200
    titles = re.findall(r'<span class="report-title">Item number (\d+)</span>', page.text)
    assert titles == [str(n) for n in range(21, 1, -1)]
    assert re.search(r"Reports sent</dt><dd>22<", page.text)
    assert re.search(r"Confirmed by experts</dt><dd>1<", page.text)
    older = re.search(r'href="(/reports\?cursor=[^"]+)"', page.text).group(1)
    rest = client.get(older.replace("&amp;", "&"))
    assert re.findall(r'<span class="report-title">Item number (\d+)</span>', rest.text) == ["1", "0"]
    assert "Confirmed" in rest.text  # the badge of the confirmed one


def test_someone_elses_report_page_is_not_found(client, db, volunteer):
    other = make_user(db, certified=True)
    report = create_report(client, auth_headers(client, other))
    assert client.get(f"/reports/{report['id']}").status_code == 404


def test_answering_a_question_sends_the_listing_back_to_the_queue(client, db, volunteer):
    report_id = int(send(client, FORM).headers["location"].split("/")[2].split("?")[0])
    with db.session() as session:
        listing_id = session.get(Report, report_id).listing_id
    expert = make_user(db, role="expert")
    question_id = ask_question(db, listing_id, "Is there a ring on the bird's leg?", expert)
    page = client.get(f"/reports/{report_id}")
    assert "Question for you" in page.text and "ring on the bird" in page.text
    assert "The expert asked reporters a question" in page.text
    empty = post_form(client, f"/reports/{report_id}/answers", {"question_id": str(question_id), "text": "  "},
                      from_path=f"/reports/{report_id}")
    assert empty.status_code == 422 and "Write your answer" in empty.text
    done = post_form(client, f"/reports/{report_id}/answers",
                     {"question_id": str(question_id), "text": "No ring, and the seller says no papers"},
                     from_path=f"/reports/{report_id}")
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert "No ring, and the seller says no papers" in after.text
    assert "Back in the queue with the answers" in after.text
    with db.session() as session:
        assert session.get(Listing, listing_id).status == "pending"
        actions = [entry.action for entry in session.query(AuditEntry).filter_by(entity_type="listing")]
        assert "listing.info_answered" in actions
    # Another reporter of the listing sees the question, not this answer.
    other = make_user(db, certified=True)
    other_report = create_report(client, auth_headers(client, other), listing_url=FORM["listing_url"])
    detail = client.get(f"/api/v1/reports/{other_report['id']}", headers=auth_headers(client, other)).json()
    assert detail["questions"][0]["text"] == "Is there a ring on the bird's leg?"
    assert detail["questions"][0]["answers"] == []


def test_answering_over_the_api(client, db):
    user = make_user(db, certified=True)
    headers = auth_headers(client, user)
    report = create_report(client, headers)
    question_id = ask_question(db, report["listing_id"], "Which country does the seller ship from?")
    response = client.post(f"/api/v1/reports/{report['id']}/answers",
                           json={"question_id": question_id, "text": "Poland"}, headers=headers)
    assert response.status_code == 201 and response.json()["text"] == "Poland"
    assert client.get(f"/api/v1/reports/{report['id']}", headers=headers).json()["status"] == "pending"
    wrong = client.post(f"/api/v1/reports/{report['id']}/answers", json={"question_id": 9999, "text": "x"},
                        headers=headers)
    assert wrong.status_code == 404
    set_status(db, report["listing_id"], "rejected", reject_reason="legal_with_papers")
    closed = client.post(f"/api/v1/reports/{report['id']}/answers", json={"question_id": question_id, "text": "more"},
                         headers=headers)
    assert closed.status_code == 409


def test_the_story_of_a_confirmed_listing_and_its_takedown(client, db, volunteer):
    report_id = int(send(client, FORM).headers["location"].split("/")[2].split("?")[0])
    with db.session() as session:
        listing_id = session.get(Report, report_id).listing_id
    set_status(db, listing_id, "in_review")
    set_status(db, listing_id, "confirmed")
    now = utcnow()
    make_referral(db, listing_id, status="answered", sent_at=now, delivered_at=now + timedelta(seconds=2),
                  outcome="removed", acted_at=now + timedelta(hours=3))
    set_status(db, listing_id, "removed")
    html = client.get(f"/reports/{report_id}").text
    for label in ("You reported it", "An expert started reviewing it", "Confirmed by an expert",
                  "Sent to the company that hosts it", "Received by the company", "Removed from the platform"):
        assert label in html, label
    assert html.index("Confirmed by an expert") < html.index("Sent to the company that hosts it")
    api = client.get(f"/api/v1/reports/{report_id}", headers=auth_headers(client, volunteer)).json()
    assert api["status"] == "removed" and api["outcome"]["outcome"] == "removed"
    assert [event["event"] for event in api["history"]][0] == "submitted"


def test_a_rejected_report_says_why(client, db, volunteer):
    report_id = int(send(client, FORM).headers["location"].split("/")[2].split("?")[0])
    with db.session() as session:
        listing_id = session.get(Report, report_id).listing_id
    set_status(db, listing_id, "rejected", reject_reason="legal_with_papers",
               decision_note="The seller showed <b>CITES</b> papers.")
    html = client.get(f"/reports/{report_id}").text
    assert "Not confirmed: Legal, or captive-bred with papers" in html
    assert "The experts found the offer legal" in html
    assert "The seller showed &lt;b&gt;CITES&lt;/b&gt; papers." in html
    api = client.get(f"/api/v1/reports/{report_id}", headers=auth_headers(client, volunteer)).json()
    assert api["reject_reason"] == "legal_with_papers" and api["message"].startswith("The experts found the offer legal")


def test_adding_pictures_to_a_report_from_its_page(client, db, volunteer):
    location = send(client, FORM).headers["location"].split("?")[0]
    report_id = int(location.split("/")[2])
    added = post_form(client, f"{location}/evidence", {}, files=[("evidence", ("a.jpg", plain_jpeg(), "image/jpeg"))],
                      from_path=location)
    assert added.status_code == 303 and added.headers["location"].startswith(f"{location}?added=1")
    page = client.get(location)
    picture = re.search(r'<img src="(/evidence/(\d+))\?size=thumb"', page.text)
    assert picture
    assert client.get(picture.group(1)).headers["content-type"] == "image/jpeg"
    refused = post_form(client, f"{location}/evidence", {}, files=[("evidence", ("a.jpg", HTML_FILE, "image/jpeg"))],
                        from_path=location)
    assert refused.status_code == 422 and "not a JPEG, PNG or WebP" in refused.text
    # Pictures on the pages are for the reporter (and staff) only.
    client.cookies.clear()
    web_login(client, make_user(db, certified=True))
    assert client.get(picture.group(1)).status_code == 404
    assert report_id


def test_an_answer_after_the_decision_is_refused_with_a_reason(client, db, volunteer):
    report_id = int(send(client, FORM).headers["location"].split("/")[2].split("?")[0])
    with db.session() as session:
        listing_id = session.get(Report, report_id).listing_id
    question_id = ask_question(db, listing_id, "Any papers?")
    set_status(db, listing_id, "confirmed")
    late = post_form(client, f"/reports/{report_id}/answers", {"question_id": str(question_id), "text": "None"},
                     from_path=f"/reports/{report_id}")
    assert late.status_code == 409
    assert "already decided" in late.text
    assert 'action="/reports/' + str(report_id) + '/answers"' not in late.text
