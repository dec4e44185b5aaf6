"""The report library in a real browser: no CSP violation, keyboard-usable form, drill-down link."""
from __future__ import annotations

from pathlib import Path

import pytest

from hmis.access.accounts import create_account
from hmis.definitions.sync import sync_folder
from hmis.extensions import db

from ..web.conftest import browser, serving  # noqa: F401 - the shared chromium fixture
from .builders import World

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live_server(sqlite_app):
    create_account("lead@example.org", "Lee Lead", "correct horse battery", "hmis_lead")
    sync_folder(ROOT / "report_definitions")
    world = World()
    shelter = world.project(0, project_id="ES1", name="Harbor Shelter")
    world.enroll(world.client("1980-01-01"), shelter, "2026-01-01", exit="2026-02-01", destination=410)
    world.enroll(world.client("2016-01-01"), shelter, "2026-01-01")
    db.session.commit()
    with serving(sqlite_app) as base:
        yield base


def test_run_a_report_and_drill_down(live_server, browser):  # noqa: F811
    from playwright.sync_api import expect

    problems: list[str] = []
    page = browser.new_page(viewport={"width": 390, "height": 844})  # phone width
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" or "Content Security" in m.text
            else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server + "/reports/")
    page.get_by_label("Email").fill("lead@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server + "/reports/")
    page.get_by_label("Search reports").fill("performance report")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="CoC Annual Performance Report (APR)").click()
    page.get_by_label("Start date").fill("2025-10-01")
    page.get_by_label("End date").fill("2026-09-30")
    page.get_by_role("button", name="Run the report").click()
    expect(page.get_by_role("heading", name="Q7a. Number of Persons Served")).to_be_visible()
    page.get_by_role("link", name="1: Children, Total (show the clients)").first.click()
    expect(page.get_by_role("heading", name="Q7a: Children · Total")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)
    assert not problems, problems
