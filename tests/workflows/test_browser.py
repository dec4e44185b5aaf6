"""The check-in roster in a real browser: filter, select everyone, count, submit; no CSP violation."""
from __future__ import annotations

from datetime import date

import pytest

from hmis.access.accounts import create_account
from hmis.extensions import db

from ..web.conftest import browser, serving, sign_in  # noqa: F401 - the browser fixture
from .conftest import World

pytestmark = pytest.mark.browser


def test_check_in_roster_in_the_browser(sqlite_app, browser):  # noqa: F811
    from playwright.sync_api import expect

    create_account("staff@example.org", "Sam Staff", "correct horse battery", "hmis_lead")
    world = World(beds=12)
    world.many(5, date(2026, 11, 1))
    db.session.commit()
    project_id = world.project.id
    problems: list[str] = []
    with serving(sqlite_app) as base:
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        sign_in(page, base)
        page.goto(f"{base}/workflows/check-in/{project_id}?night=2026-11-20")
        expect(page.locator("#occupied")).to_have_text("0 of 12")

        page.get_by_label("Find a name").fill("guest0003")
        expect(page.locator("[data-roster-row]:visible")).to_have_count(1)
        page.get_by_label("Find a name").fill("")
        page.get_by_role("button", name="Select everyone not yet checked in").click()
        expect(page.locator("#selected-count")).to_have_text("5")
        page.get_by_label("Guest0002 Sample").uncheck()
        expect(page.locator("#selected-count")).to_have_text("4")
        page.get_by_role("button", name="Check in selected").click()
        expect(page.locator(".flash--success")).to_contain_text("Checked in 4 for the night of 2026-11-20")
        expect(page.locator("#occupied")).to_have_text("4 of 12")
    assert problems == []
