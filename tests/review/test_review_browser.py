"""The review pages in a real browser: keyboard shortcuts, blurred evidence, htmx claims and decisions,
accessibility (axe), no CSP violations, usable at phone width."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import LAPTOP, PHONE, Steps, assert_accessible
from tests.factories import PASSWORD, make_user
from tests.review.factories import add_evidence, make_listing, report_ids

pytestmark = pytest.mark.e2e


def _login(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")


def test_an_expert_works_the_queue_from_the_keyboard(live_server, browser, db, training_content) -> None:  # type: ignore[no-untyped-def]
    expert = make_user(db, role="expert", display_name="Emeka Expert")
    reporter = make_user(db, certified=True)
    first = make_listing(db, training_content, reporters=[reporter], species_id="psittacus-erithacus", live_animal=True,
                         listing_title="Hand-reared grey chicks", listing_text="Two chicks, white plastic rings")
    second = make_listing(db, training_content, reporters=[reporter], species_id="hippopotamus-amphibius")
    add_evidence(db, report_ids(db, first.id)[0])
    steps = Steps("review")
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    steps.watch(page)
    _login(page, live_server.url, expert.email)

    page.goto(live_server.url + "/review")
    steps.shot(page, "queue")
    assert_accessible(page, "the queue")
    page.keyboard.press("j")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == f"/review/listings/{first.id}"
    page.keyboard.press("j")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == f"/review/listings/{second.id}"
    page.keyboard.press("k")
    page.keyboard.press("?")
    assert page.is_visible("#shortcut-help")
    steps.shot(page, "shortcut-help")
    page.keyboard.press("Escape")
    assert not page.is_visible("#shortcut-help")
    # Blurred until clicked; the first click only reveals.
    thumb = page.locator(".evidence-link").first
    assert "blurred" in (thumb.get_attribute("class") or "")
    page.keyboard.press("j")  # focus goes back to a row; Enter opens it
    page.keyboard.press("k")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/review/listings/{first.id}")

    # On the listing: claim with htmx (the panel is swapped, the page stays).
    page.click("#review-actions form[action$='/claim'] button")
    page.wait_for_selector("text=You hold this listing now.")
    assert page.url.endswith(f"/review/listings/{first.id}")
    steps.shot(page, "claimed")
    assert_accessible(page, "the listing page")
    # r opens the reject form and focuses it; typing "n" there does not trigger a shortcut.
    page.keyboard.press("r")
    assert page.evaluate("() => document.getElementById('decide-reject').open")
    page.keyboard.press("c")
    assert page.evaluate("() => document.getElementById('decide-confirm').open")
    assert page.evaluate("() => document.activeElement.id") == "confirm-species"
    page.keyboard.press("n")  # a letter in a select picks an option: no shortcut
    assert not page.evaluate("() => document.getElementById('decide-needs-info').open")
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("n")
    assert page.evaluate("() => document.activeElement.id") == "needs-info-question"
    page.fill("#needs-info-question", "Are the rings closed? n r c")
    assert page.evaluate("() => document.activeElement.id") == "needs-info-question"
    # Confirm with an error first (no finding): the form comes back in place with the message.
    page.select_option("#confirm-species", "psittacus-erithacus")
    page.click("#decide-confirm button[type=submit]")
    page.wait_for_selector("text=Choose the kind of finding, or explain it in your own words.")
    page.check("#decide-confirm input[value=live_appendix_i]")
    page.click("#decide-confirm button[type=submit]")
    page.wait_for_selector("text=Finding sent to the company")
    steps.shot(page, "confirmed")
    assert page.is_visible(f"a[href='/review/listings/{second.id}']")
    assert not steps.problems, steps.problems
    context.close()


def test_the_review_pages_fit_a_phone(live_server, browser, db, training_content) -> None:  # type: ignore[no-untyped-def]
    expert = make_user(db, role="admin")
    reporter = make_user(db, certified=True)
    listing = make_listing(db, training_content, reporters=[reporter], species_id="loxodonta-africana",
                           listing_text="Antique netsuke " * 40, seller_handle="orient_treasures_uk")
    steps = Steps("review-phone")
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    steps.watch(page)
    _login(page, live_server.url, expert.email)
    for path, label in ((f"/review/listings/{listing.id}", "listing"), ("/admin/audit", "audit"),
                        ("/admin/code-words", "code-words")):
        page.goto(live_server.url + path)
        steps.shot(page, label)
        assert_accessible(page, path)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], path
    page.goto(live_server.url + "/review")
    steps.shot(page, "queue")
    assert_accessible(page, "/review")
    assert not steps.problems, steps.problems
    context.close()
