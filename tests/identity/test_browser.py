"""The duplicate review in a real browser: find, compare, pick values, merge, undo (SQLite)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hmis.access.accounts import create_account
from hmis.extensions import db
from hmis.models import Client
from hmis.models.identity import ClientMerge

from ..web.conftest import browser, serving  # noqa: F401, F811 - browser is a fixture
from .helpers import enroll, person, project, source

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(sqlite_app):
    create_account("lead@example.org", "Lee Lead", "correct horse battery", "hmis_lead")
    ds = source()
    a = person(ds, "1", "Ada", "Lovelace", ssn="301224455", veteran_status=0)
    b = person(ds, "2", "Ada", "Lovelace", ssn="301224455", veteran_status=1, middle_name="King")
    enroll(ds, project(ds), b, "E2", date(2025, 1, 1))
    db.session.commit()
    with serving(sqlite_app) as base:
        yield base, a.id, b.id


def test_the_hmis_lead_merges_a_pair_and_undoes_it(live_server, browser):  # noqa: F811
    from playwright.sync_api import expect

    base, a_id, b_id = live_server
    problems: list[str] = []
    page = browser.new_page(viewport={"width": 390, "height": 900})  # phone width
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())  # the merge and undo confirmations

    page.goto(base + "/duplicates/")
    page.get_by_label("Email").fill("lead@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/duplicates/")
    page.get_by_role("button", name="Find duplicates").click()
    expect(page.locator(".flash--success")).to_contain_text("Found 1 candidate pair among 2 clients")

    page.get_by_role("link", name="Compare").click()
    expect(page.get_by_role("heading", name="Compare two client records")).to_be_visible()
    page.get_by_role("button", name="Use all values of B").click()  # duplicates.js, under the CSP
    assert page.locator('input[name="field_middle_name"][value="b"]').is_checked()
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator(".flash--success")).to_contain_text(f"Client {b_id} was merged into client {a_id}")
    expect(page.locator(".dup-undo-plan")).to_contain_text("move its 1 enrollment row back")

    db.session.expire_all()
    kept = db.session.get(Client, a_id)
    assert (kept.middle_name, kept.veteran_status) == ("King", 1)
    page.get_by_role("button", name="Undo merge").click()
    expect(page.locator(".flash--success")).to_contain_text("was undone")
    db.session.expire_all()
    assert db.session.scalar(select(ClientMerge.status)) == "undone"
    assert db.session.get(Client, b_id).date_deleted is None
    assert not problems, problems
