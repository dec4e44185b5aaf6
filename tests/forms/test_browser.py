"""A real browser: the preview hides and shows a question as answers change, without a
reload, under the strict CSP."""
from __future__ import annotations

import pytest

from hmis.access.accounts import create_account
from hmis.definitions import service
from hmis.extensions import db

from ..web.conftest import serving
from .sample import FORM, INCOME_FRAGMENT

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(sqlite_app):
    create_account("lead@example.org", "Lee Lead", "correct horse battery", "hmis_lead")
    for text in (INCOME_FRAGMENT, FORM):
        import yaml

        version = service.save_draft("form", yaml.safe_load(text)["id"], text)
        service.publish(version.id)
    db.session.commit()
    with serving(sqlite_app) as base:
        yield base


def test_preview_toggles_an_item_without_reloading(live_server, browser):
    from playwright.sync_api import expect

    problems: list[str] = []
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server + "/forms/preview/test-intake")
    page.get_by_label("Email").fill("lead@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server + "/forms/preview/test-intake")

    page.evaluate("window.__sameDocument = true")
    sources = page.locator('[data-item="incomes"]')
    expect(sources).to_be_hidden()
    page.locator('input[name="preview-income_any"][value="1"]').check()
    expect(sources).to_be_visible()
    amount = page.locator('[data-item="earned_amount"]')
    expect(amount).to_be_hidden()
    page.locator('input[name="preview-earned"][value="1"]').check()
    expect(amount).to_be_visible()
    page.locator('input[name="preview-income_any"][value="0"]').check()
    expect(sources).to_be_hidden()
    assert page.evaluate("window.__sameDocument") is True
    assert not problems, problems
