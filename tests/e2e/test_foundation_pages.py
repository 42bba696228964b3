"""The public pages and the account page at phone size: usable, accessible, CSP-clean."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE, Steps, assert_accessible
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_register_and_account_at_phone_size(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    steps = Steps("foundation")
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    steps.watch(page)

    page.goto(live_server.url + "/")
    steps.shot(page, "home")
    assert_accessible(page, "home")
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto(live_server.url + "/register")
    page.fill("#display_name", "Mina")
    page.fill("#email", "mina@example.org")
    page.fill("#password", "short")
    page.click("button[type=submit]")
    assert "at least 12 characters" in page.content()
    assert page.input_value("#email") == "mina@example.org"
    steps.shot(page, "register-error")
    assert_accessible(page, "register with an error")

    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(live_server.url + "/account")
    assert "mina@example.org" in page.content()
    steps.shot(page, "account")
    assert_accessible(page, "account")

    page.select_option("#language-select", "fr")
    page.click(".language-switch button")
    assert page.get_attribute("html", "lang") == "fr"
    steps.shot(page, "account-fr")
    assert not steps.problems, steps.problems
    context.close()
