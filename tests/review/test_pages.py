"""The review pages: without JavaScript (forms, 303, 422 with what was typed), with htmx (fragments),
escaping everywhere, blurred evidence, links that leave the app."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.models import CodeWordProposal, Listing
from tests.conftest import post_form
from tests.factories import make_user, web_login
from tests.review.factories import add_evidence, claim_for, get_listing, make_listing, report_ids, set_fields

PARROT = "psittacus-erithacus"
SCRIPT = "<script>alert('x')</script>"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


def _page_is_safe(html: str) -> None:
    assert "<script>alert(" not in html
    assert not INLINE_SCRIPT.search(html), "an inline script"
    assert not re.search(r"\sstyle=", html), "a style attribute"
    assert not re.search(r"\son[a-z]+=", html), "an event handler attribute"


def test_queue_rows_show_what_an_expert_triages_by(client, db, training_content, expert, other_expert, reporter,  # type: ignore[no-untyped-def]
                                                   second_reporter) -> None:
    disputed = make_listing(db, training_content, reporters=[reporter, second_reporter],
                            species_ids=[PARROT, "psittacus-timneh"], live_animal=True,
                            listing_title="Hand-reared grey parrot chicks")
    add_evidence(db, report_ids(db, disputed.id)[0])
    held = make_listing(db, training_content, reporters=[reporter], species_id="loxodonta-africana")
    claim_for(db, held.id, other_expert)
    web_login(client, expert)
    page = client.get("/review")
    assert page.status_code == 200
    html = page.text
    row = html[html.index(f'id="listing-{disputed.id}"'):html.index(f'id="listing-{held.id}"')]
    assert "eBay" in row and "Hand-reared grey parrot chicks" in row
    assert "Grey Parrot" in row and "Timneh Parrot" in row and "reporters disagree" in row
    assert "CITES Appendix I species" in row and "live animal" in row
    assert 'class="evidence-link blurred" data-unblur' in row
    assert f'/evidence/{report_ids(db, disputed.id)[0]}' not in row or "?size=thumb" in row
    assert "Olu Otherexpert" in html[html.index(f'id="listing-{held.id}"'):]
    assert 'name="listing_ids"' in html and 'form="bulk-reject"' in html
    assert '/static/review.js' in html and 'id="shortcut-help"' in html
    _page_is_safe(html)
    # The next-page link keeps the filters.
    for _ in range(55):
        make_listing(db, training_content, reporters=[reporter], platform_id="etsy")
    filtered = client.get("/review?platform=etsy").text
    link = re.search(r'href="(/review\?[^"]*cursor=[^"]+)"', filtered)
    assert link and "platform=etsy" in link.group(1)
    second = client.get(link.group(1).replace("&amp;", "&"))
    assert second.status_code == 200 and second.text.count('data-queue-row') == 5


def test_the_blur_preference_is_the_experts(client, db, training_content, expert, reporter) -> None:  # type: ignore[no-untyped-def]
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    add_evidence(db, report_ids(db, listing.id)[0])
    web_login(client, expert)
    account = client.get("/account")
    assert 'action="/review/preferences"' in account.text
    response = post_form(client, "/review/preferences", {"next": "/account?saved=review"}, from_path="/account")
    assert response.status_code == 303 and response.headers["location"] == "/account?saved=review"
    assert "blurred" not in client.get(f"/review/listings/{listing.id}").text.split('id="reports"')[1]
    post_form(client, "/review/preferences", {"blur_evidence": "1"}, from_path="/account")
    assert 'evidence-link blurred' in client.get(f"/review/listings/{listing.id}").text
    volunteer_client_page = client.get("/account")
    assert "Blur evidence pictures" in volunteer_client_page.text


def test_the_listing_page_has_everything_to_decide_on(client, db, training_content, expert, reporter,  # type: ignore[no-untyped-def]
                                                      second_reporter) -> None:
    listing = make_listing(db, training_content, reporters=[reporter, second_reporter], species_id="loxodonta-africana",
                           seller_handle="@IvoryKing", price=1250, currency="EUR", country="FR",
                           listing_text="Antique netsuke, bovine bone, 19th century", notes="Seller says 'white plastic'")
    other = make_listing(db, training_content, reporters=[reporter], seller_handle="ivoryking")
    elsewhere = make_listing(db, training_content, reporters=[reporter], seller_handle="IvoryKing", platform_id="etsy")
    web_login(client, expert)
    html = client.get(f"/review/listings/{listing.id}").text
    assert f'href="{listing.canonical_url}" target="_blank" rel="noopener noreferrer"' in html
    assert f'href="{listing.canonical_url}?utm_source=app" target="_blank" rel="noopener noreferrer"' in html
    assert "you leave Cyber Spotter" in html
    assert "€1,250.00" in html and "France" in html and "@IvoryKing" in html
    assert '<mark class="code-word">bovine bone</mark>' in html
    assert '<mark class="code-word">white plastic</mark>' in html
    repeat = html[html.index('id="repeat-sellers"'):html.index('id="history"')]
    assert f"/review/listings/{other.id}" in repeat and f"/review/listings/{elsewhere.id}" not in repeat
    assert 'id="decide-confirm"' in html and 'id="decide-reject"' in html and 'id="decide-needs-info"' in html
    assert f'name="version" value="{listing.version}"' in html
    _page_is_safe(html)
    # In French, the price is formatted the French way.
    client.cookies.set("cs_lang", "fr")
    french = client.get(f"/review/listings/{listing.id}", headers={"Accept-Language": "fr"}).text
    assert "1\u202f250,00\xa0€" in french or "1 250,00 €" in french


def test_claim_and_decide_without_javascript(client, db, training_content, expert, reporter) -> None:  # type: ignore[no-untyped-def]
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    web_login(client, expert)
    page = f"/review/listings/{listing.id}"
    claimed = post_form(client, f"{page}/claim", from_path=page)
    assert claimed.status_code == 303 and claimed.headers["location"] == f"{page}?claimed=1"
    assert "You hold this listing until" in client.get(claimed.headers["location"]).text
    version = get_listing(db, listing.id).version
    invalid = post_form(client, f"{page}/decision", {"decision": "reject", "reason": "other",
                                                      "note": "", "version": str(version)}, from_path=page)
    assert invalid.status_code == 422
    assert "Say in the note why the listing is rejected." in invalid.text
    assert '<details id="decide-reject" class="decision decision-reject" open>' in invalid.text
    assert 'value="other" checked' in invalid.text
    typed = post_form(client, f"{page}/decision", {"decision": "confirm", "species_id": "",
                                                    "finding_template": "other", "note": "Kept <b>text</b>",
                                                    "version": str(version)}, from_path=page)
    assert typed.status_code == 422
    assert "Kept &lt;b&gt;text&lt;/b&gt;</textarea>" in typed.text
    done = post_form(client, f"{page}/decision", {"decision": "reject", "reason": "replica",
                                                   "version": str(version)}, from_path=page)
    assert done.status_code == 303 and done.headers["location"] == f"/review?done={listing.id}"
    assert f"Listing #{listing.id}: Rejected." in client.get(done.headers["location"]).text


def test_claim_and_decide_with_htmx_swap_the_action_panel(client, db, training_content, expert, other_expert,  # type: ignore[no-untyped-def]
                                                          reporter) -> None:
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    following = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    web_login(client, expert)
    page = f"/review/listings/{listing.id}"
    htmx = {"HX-Request": "true"}
    claimed = post_form(client, f"{page}/claim", from_path=page, headers=htmx)
    assert claimed.status_code == 200
    assert claimed.text.lstrip().startswith('<section class="panel review-actions" id="review-actions"')
    assert "<html" not in claimed.text and "You hold this listing now." in claimed.text
    assert "HX-Request" in claimed.headers["vary"]
    decided = post_form(client, f"{page}/decision", {"decision": "needs_info", "question": "Rings?"},
                        from_path=page, headers=htmx)
    assert decided.status_code == 200 and "Needs information" in decided.text
    assert f"/review/listings/{following.id}" in decided.text  # the next listing, one click away
    # Someone else's claim: a 409 fragment naming them.
    claim_for(db, following.id, other_expert)
    refused = post_form(client, f"/review/listings/{following.id}/claim", from_path=page, headers=htmx)
    assert refused.status_code == 409 and "Olu Otherexpert" in refused.text and "<html" not in refused.text


def test_a_claim_conflict_without_javascript_names_the_holder(client, db, training_content, expert, other_expert,  # type: ignore[no-untyped-def]
                                                              reporter) -> None:
    listing = make_listing(db, training_content, reporters=[reporter], species_id=PARROT)
    claim_for(db, listing.id, other_expert)
    web_login(client, expert)
    page = f"/review/listings/{listing.id}"
    html = client.get(page).text
    assert "Olu Otherexpert is reviewing this listing" in html and 'id="decide-confirm"' not in html
    response = post_form(client, f"{page}/decision", {"decision": "reject", "reason": "replica"}, from_path=page)
    assert response.status_code == 409 and "Olu Otherexpert" in response.text


def test_bulk_reject_from_the_queue(client, db, training_content, expert, other_expert, reporter) -> None:  # type: ignore[no-untyped-def]
    free = [make_listing(db, training_content, reporters=[reporter]).id for _ in range(2)]
    held = make_listing(db, training_content, reporters=[reporter]).id
    claim_for(db, held, other_expert)
    web_login(client, expert)
    token_page = "/review?platform=ebay"
    missing = post_form(client, "/review/bulk-reject", {"listing_ids": [str(free[0])], "reason": "",
                                                        "back": "platform=ebay"}, from_path=token_page)
    assert missing.status_code == 422 and "Choose a reason." in missing.text
    assert re.search(rf'value="{free[0]}" id="select-{free[0]}" checked', missing.text)  # the selection is kept
    response = post_form(client, "/review/bulk-reject", {"listing_ids": [str(i) for i in [*free, held]],
                                                         "reason": "not_wildlife", "back": "platform=ebay"},
                         from_path=token_page)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/review?platform=ebay&")
    shown = client.get(location).text
    assert f"Rejected: #{free[0]}, #{free[1]}." in shown
    assert f"Skipped #{held}: Olu Otherexpert is reviewing it." in shown


def test_code_words_from_proposal_to_flag(client, db, training_content, expert, admin, reporter) -> None:  # type: ignore[no-untyped-def]
    listing = make_listing(db, training_content, reporters=[reporter], species_id="manis-javanica",
                           listing_text="Fresh armour flakes, 1kg, ships worldwide")
    assert not get_listing(db, listing.id).code_word_hit
    web_login(client, expert)
    page = f"/review/listings/{listing.id}"
    bad = post_form(client, "/review/code-words", {"term": "armour flakes", "language": "english", "meaning": "x",
                                                   "listing_id": str(listing.id)}, from_path=page)
    assert bad.status_code == 422 and "two- or three-letter code" in bad.text and 'value="armour flakes"' in bad.text
    proposed = post_form(client, "/review/code-words", {"term": "armour flakes", "language": "en",
                                                        "meaning": "pangolin scales", "listing_id": str(listing.id)},
                         from_path=page)
    assert proposed.status_code == 303
    twice = post_form(client, "/review/code-words", {"term": "Armour  Flakes", "language": "en",
                                                     "meaning": "pangolin scales", "listing_id": str(listing.id)},
                      from_path=page)
    assert twice.status_code == 409 and "already been proposed" in twice.text
    known = post_form(client, "/review/code-words", {"term": "white plastic", "language": "en", "meaning": "ivory",
                                                     "listing_id": str(listing.id)}, from_path=page)
    assert known.status_code == 409
    with db.session() as session:
        proposal = session.execute(select(CodeWordProposal)).scalars().one()
    client.cookies.clear()
    web_login(client, admin)
    admin_page = client.get("/admin/code-words")
    assert "armour flakes" in admin_page.text and "pangolin scales" in admin_page.text
    approved = post_form(client, f"/admin/code-words/{proposal.id}/approve", from_path="/admin/code-words")
    assert approved.status_code == 303
    assert "1 waiting listing is now flagged." in client.get(approved.headers["location"]).text
    flagged = get_listing(db, listing.id)
    assert flagged.code_word_hit and "code_word" in flagged.priority_reasons
    assert '<mark class="code-word">armour flakes</mark>' in client.get(page).text


def test_markup_is_text_on_every_expert_page(client, db, training_content, expert, admin) -> None:  # type: ignore[no-untyped-def]
    evil = make_user(db, certified=True, display_name=SCRIPT)
    listing = make_listing(db, training_content, reporters=[evil], species_id=None, seller_handle=SCRIPT,
                           listing_title=SCRIPT, listing_text=f"white plastic {SCRIPT}", notes=SCRIPT,
                           currency="EUR", price=10)
    with db.transaction() as session:
        from app.models import Report

        report = session.execute(select(Report).where(Report.listing_id == listing.id)).scalars().one()
        report.species_guess = SCRIPT
        report.original_url = f"https://www.ebay.co.uk/itm/1?q={SCRIPT}"
    web_login(client, admin)
    page = f"/review/listings/{listing.id}"
    post_form(client, "/review/code-words", {"term": SCRIPT, "language": "en", "meaning": SCRIPT,
                                             "species_group": SCRIPT, "listing_id": str(listing.id)}, from_path=page)
    post_form(client, f"{page}/decision", {"decision": "needs_info", "question": SCRIPT}, from_path=page)
    post_form(client, f"{page}/reopen", {"reason": SCRIPT}, from_path=page)
    post_form(client, f"{page}/decision", {"decision": "reject", "reason": "other", "note": SCRIPT}, from_path=page)
    set_fields(db, listing.id, finding=SCRIPT)
    for url in ("/review", "/review?status=all", page, "/admin/audit", "/admin/code-words", "/account",
                f"/review?country={SCRIPT}"):
        response = client.get(url)
        assert response.status_code in (200, 422), url
        _page_is_safe(response.text)
        if url not in ("/review", "/account"):  # the listing is decided: not in the default queue
            assert "&lt;script&gt;" in response.text, url
    with db.session() as session:
        assert session.get(Listing, listing.id).decision_note == SCRIPT  # type: ignore[union-attr]
