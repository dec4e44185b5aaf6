"""A case manager's check of the form-driven screens in a real browser, at phone width:
every control has a name, nothing runs off the side, a refused answer is marked at its
item with what was typed still there, and a CLS follow-up appears without a reload."""
from __future__ import annotations

from datetime import date

import pytest

from hmis.access.accounts import create_account
from hmis.access.operations import system_actor
from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.forms.fragments import shipped_folder
from hmis.forms.rules import rules_file
from hmis.models.privacy import AccountOrganization
from hmis.records.clients import create_client
from hmis.records.households import enroll_household

from ..web.conftest import browser, serving, sign_in  # noqa: F401 - the shared chromium fixture
from .conftest import make_organization, make_project

pytestmark = pytest.mark.browser

#: Every visible control without an accessible name (a label, a wrapping label, aria-label).
UNNAMED = """() => Array.from(document.querySelectorAll('main input, main select, main textarea'))
  .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map(e => e.name)"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def live(sqlite_app):
    assert sync_folder(shipped_folder()).ok
    sync_folder(rules_file().parent)
    org = make_organization()
    project = make_project(org)
    account = create_account("cm@example.org", "Casey Manager", "correct horse battery", "case_manager")
    db.session.add(AccountOrganization(account_id=account.id, organization_id=org.id))
    mom = create_client(system_actor(), {"first_name": "Rosa", "last_name": "Diaz", "dob": "1985-04-01"},
                        organization_id=org.id)
    [household] = enroll_household(system_actor(), project, [(mom, 1)], date(2026, 1, 5).isoformat())
    db.session.commit()
    with serving(sqlite_app) as base:
        yield base, household.id


def test_the_form_screens_work_for_a_case_manager_on_a_phone(live, browser):  # noqa: F811
    from playwright.sync_api import expect

    base, household_id = live
    problems: list[str] = []
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, base, "cm@example.org", start="/records/clients/new")
    assert page.evaluate(UNNAMED) == [] and page.evaluate(OVERFLOW) <= 0

    # Keyboard only: type a first name, tab on, and submit with Enter; the last name is missing
    # while the data quality says "full name".
    page.get_by_label("First name").focus()
    page.keyboard.type("Ana")
    page.locator('select[name="hud-client-profile-name.quality"]').select_option("1")
    page.get_by_label("Date of birth", exact=True).fill("1990-02-03")
    page.get_by_label("Date of birth", exact=True).press("Enter")
    name_item = page.locator('[data-item="name"]')
    expect(name_item.locator(".form-item__error")).to_contain_text("A full name needs a first and a last name")
    expect(page.get_by_label("First name")).to_have_value("Ana")  # what was typed is still there
    expect(page.get_by_role("alert").filter(has_text="Nothing was saved")).to_be_visible()
    assert page.evaluate(OVERFLOW) <= 0

    # The household page's CLS panel: a follow-up question appears when its answer needs it.
    page.goto(f"{base}/records/enrollments/{household_id}")
    wide = page.evaluate("""() => Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + (e.name || e.id || '') + ' w=' + Math.round(e.getBoundingClientRect().width))""")
    assert page.evaluate(UNNAMED) == [] and page.evaluate(OVERFLOW) <= 0, wide
    subsidy = page.locator('[data-item="cls_subsidy_type"]')
    expect(subsidy).to_be_hidden()
    page.locator('select[name="cls-hud-current-living-situation-current_living_situation"]').select_option("435")
    expect(subsidy).to_be_visible()
    assert not problems, problems
