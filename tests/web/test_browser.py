"""A real browser (Debian's chromium through Playwright) against a live server.

Checks what the test client cannot: htmx really loads under the CSP, search-as-you-type
swaps the rows without a page reload, and the browser reports no CSP violation.
Set HMIS_SCREENSHOTS=/some/dir to also save phone- and desktop-width screenshots.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from hmis.access.accounts import create_account
from hmis.extensions import db

from . import factories
from .conftest import serving, sign_in

pytestmark = pytest.mark.browser

@pytest.fixture
def live_server(sqlite_app):
    create_account("staff@example.org", "Sam Staff", "correct horse battery", "hmis_lead")
    factories.small_world()
    for n in range(30):  # enough clients for a second page
        factories.client(db.session.get(factories.DataSource, 1), f"Z{n}", f"Person{n}", "Zimmerman")
    db.session.commit()
    sqlite_app.config["PAGE_SIZE"] = 20
    with serving(sqlite_app) as base:
        yield base


def _watch(page, problems: list[str]) -> None:
    def on_console(message):
        text = message.text
        if message.type == "error" or "Content Security Policy" in text or "Content-Security-Policy" in text:
            problems.append(f"console {message.type}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))


def test_search_updates_the_list_without_reloading(live_server, browser):
    from playwright.sync_api import expect

    problems: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _watch(page, problems)
    sign_in(page, live_server, start="/clients")
    assert page.evaluate("typeof window.htmx") == "object"

    page.evaluate("window.__sameDocument = true")  # lost if the page reloads
    page.get_by_label("Search clients").press_sequentially("hopp", delay=40)
    expect(page.locator("#client-results tbody tr")).to_have_count(1)
    expect(page.locator("#client-results")).to_contain_text("Hopper, Grace")
    assert page.evaluate("window.__sameDocument") is True
    assert page.url.endswith("/clients?q=hopp")  # hx-push-url

    # paging is swapped in place as well
    page.get_by_label("Search clients").fill("zimmerman")
    expect(page.locator(".result-count")).to_contain_text("30 clients")
    page.get_by_role("link", name="Next ›").click()
    expect(page.locator(".pager [aria-current=page]")).to_have_text("2")
    assert page.evaluate("window.__sameDocument") is True

    # the sign-out form posts with its CSRF token
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server + "/sign-in")
    assert not problems, problems

    shots = os.environ.get("HMIS_SCREENSHOTS")
    if shots:
        _screenshots(browser, live_server, Path(shots))


def _screenshots(browser, base: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, width in (("phone", 390), ("desktop", 1280)):
        context = browser.new_context(viewport={"width": width, "height": 844 if width < 500 else 900},
                                      device_scale_factor=2 if width < 500 else 1)
        page = context.new_page()
        page.goto(base + "/sign-in")
        page.screenshot(path=str(folder / f"sign-in-{name}.png"), full_page=True)
        sign_in(page, base, start="/clients")
        for path, label in (("/", "home"), ("/clients", "clients"), ("/projects/1", "project"),
                            ("/clients/2", "client")):
            page.goto(base + path)
            page.screenshot(path=str(folder / f"{label}-{name}.png"), full_page=True)
        context.close()
