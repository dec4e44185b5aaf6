"""The proof of issue 3's staff screens: a real browser (Debian's chromium through Playwright)
signs in, searches, creates a family of three, enrolls them, completes the intake, exits
them, and the HMIS CSV export (``hmis.interchange``) then holds exactly what was entered.
"""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest

from hmis.access.accounts import create_account
from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.forms.fragments import shipped_folder
from hmis.forms.rules import rules_file
from hmis.interchange.exporter import export_csv
from hmis.models import Enrollment, Organization, Project, ProjectCoC
from hmis.models.privacy import AccountOrganization
from hmis.records.ids import local_source

from .conftest import serving, sign_in

pytestmark = pytest.mark.browser

FAMILY = [("Rosa", "Diaz", "1985-04-01", "Self (head of household)"),
          ("Luis", "Diaz", "2012-09-12", "Child"),
          ("Ana", "Diaz", "2016-02-28", "Child")]


@pytest.fixture
def live_server(sqlite_app):
    assert sync_folder(shipped_folder()).ok
    sync_folder(rules_file().parent)
    source = local_source()
    org = Organization(data_source_id=source.id, organization_id="O1", organization_name="Harbor Services",
                       victim_service_provider=0)
    db.session.add_all([org, Project(data_source_id=source.id, project_id="P1", organization_id="O1",
                                     project_name="Harbor Night Shelter", project_type=1, continuum_project=1,
                                     operating_start_date=date(2020, 1, 1)),
                        ProjectCoC(data_source_id=source.id, project_coc_id="PC1", project_id="P1",
                                   coc_code="XX-500", geocode="119999")])
    db.session.flush()
    account = create_account("cm@example.org", "Casey Manager", "correct horse battery", "case_manager")
    db.session.add(AccountOrganization(account_id=account.id, organization_id=org.id))
    db.session.commit()
    with serving(sqlite_app) as base:
        yield base


def _answer(page, name: str, value: str) -> None:
    """Answer a form item whatever its control: a select, radio buttons or a text box."""
    control = page.locator(f'[name="{name}"]').first
    control.wait_for(state="visible")
    kind = control.evaluate("e => e.tagName === 'SELECT' ? 'select' : e.type")
    if kind == "select":
        control.select_option(value)
    elif kind == "radio":
        page.locator(f'[name="{name}"][value="{value}"]').check()
    else:
        control.fill(value)


def _create(page, base: str, first: str, last: str, dob: str) -> None:
    page.goto(base + "/records/clients/new")
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Date of birth", exact=True).fill(dob)
    page.get_by_role("button", name="Create client").click()
    page.wait_for_url("**/clients/*")


def test_a_family_from_search_to_export(live_server, browser, tmp_path):
    from playwright.sync_api import expect

    base = live_server
    problems: list[str] = []
    page = browser.new_page(viewport={"width": 390, "height": 844})  # phone width
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    # Sign in and search before creating.
    sign_in(page, base, "cm@example.org", start="/records/find")
    page.get_by_label("Name").fill("Rosa Diaz")
    expect(page.locator("#matches")).to_contain_text("0 possible matches")  # swapped in by htmx, no reload
    page.get_by_role("link", name="None of these: create a new client").click()
    expect(page.get_by_label("First name")).to_have_value("Rosa")
    page.get_by_label("Date of birth", exact=True).fill(FAMILY[0][2])
    page.get_by_role("button", name="Create client").click()
    page.wait_for_url("**/clients/*")
    head_url = page.url
    for first, last, dob, _ in FAMILY[1:]:
        _create(page, base, first, last, dob)

    # Household builder: the head, then each child found by search and added with htmx.
    page.goto(head_url)
    page.get_by_role("link", name="Enroll").click()
    page.get_by_label("Project", exact=True).select_option(label="Harbor Night Shelter")
    page.get_by_label("Project start date").fill("2026-01-05")
    for first, last, _, relationship in FAMILY[1:]:
        page.locator("#f-member-name").fill(f"{first} {last}")
        add = page.locator("#member-matches tr", has_text=first).get_by_role("button", name="Add to household")
        add.click()
        row = page.locator("#household-members li", has_text=first)
        row.get_by_label("Relationship to head of household").select_option(label=relationship)
    page.get_by_role("button", name="Enroll household").click()
    expect(page.get_by_role("heading", name="Household at Harbor Night Shelter")).to_be_visible()
    household_url = page.url

    # The intake for all three on one page.
    page.get_by_role("link", name="Intake").click()
    ids = [int(e.id) for e in db.session.query(Enrollment).order_by(Enrollment.relationship_to_hoh, Enrollment.id)]
    head, *children = ids
    prefix = f"m{head}-hud-intake-"
    _answer(page, prefix + "living_situation", "116")
    _answer(page, prefix + "length_of_stay", "5")       # items that depend on it appear without a reload
    _answer(page, prefix + "date_to_street", "2025-06-01")
    _answer(page, prefix + "times_homeless", "2")
    _answer(page, prefix + "months_homeless", "104")
    _answer(page, prefix + "disabling_condition", "1")
    for child in children:
        _answer(page, f"m{child}-hud-intake-disabling_condition", "0")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(household_url)
    expect(page.locator(".flash--success")).to_contain_text("Intake submitted")

    # Exit everyone to a rental with no subsidy (Destination 410).
    page.get_by_label("Project exit date").fill("2026-02-01")
    for select in page.locator("select[name^='destination-']").all():
        select.select_option("410")
    page.get_by_role("button", name="Exit", exact=True).click()
    expect(page.locator(".flash--success")).to_contain_text("Exited 3 people")
    assert not problems, problems

    # The HMIS CSV export holds exactly what was typed.
    result = export_csv(tmp_path / "export.zip")
    with zipfile.ZipFile(result.path) as archive:
        def rows(name):
            return list(csv.DictReader(io.TextIOWrapper(archive.open(f"{name}.csv"), encoding="utf-8-sig")))

        clients = {r["PersonalID"]: r for r in rows("Client")}
        enrollments = rows("Enrollment")
        exits = rows("Exit")
    assert sorted((c["FirstName"], c["LastName"], c["DOB"], c["NameDataQuality"], c["DOBDataQuality"])
                  for c in clients.values()) == sorted((f, la, d, "1", "1") for f, la, d, _ in FAMILY)
    assert len(enrollments) == 3 and len({e["HouseholdID"] for e in enrollments}) == 1
    by_name = {clients[e["PersonalID"]]["FirstName"]: e for e in enrollments}
    assert {n: e["RelationshipToHoH"] for n, e in by_name.items()} == {"Rosa": "1", "Luis": "2", "Ana": "2"}
    assert {e["EntryDate"] for e in enrollments} == {"2026-01-05"}
    rosa = by_name["Rosa"]
    assert (rosa["LivingSituation"], rosa["LengthOfStay"], rosa["DateToStreetESSH"],
            rosa["TimesHomelessPastThreeYears"], rosa["MonthsHomelessPastThreeYears"], rosa["DisablingCondition"],
            rosa["EnrollmentCoC"]) == ("116", "5", "2025-06-01", "2", "104", "1", "XX-500")
    assert (by_name["Luis"]["DisablingCondition"], by_name["Ana"]["DisablingCondition"]) == ("0", "0")
    assert sorted((x["EnrollmentID"], x["ExitDate"], x["Destination"]) for x in exits) == sorted(
        (e["EnrollmentID"], "2026-02-01", "410") for e in enrollments)
