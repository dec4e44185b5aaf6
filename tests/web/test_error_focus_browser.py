"""In a real browser: after a refused submit, focus lands on the error summary (a full page
and an htmx swap), each summary link takes focus to its field, and search-as-you-type
never pulls focus out of the box being typed in."""
from __future__ import annotations

from pathlib import Path

import pytest

from hmis.access.accounts import create_account
from hmis.definitions import service
from hmis.extensions import db

from .conftest import PASSWORD, serving, sign_in

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
P = "hud-client-profile-"


@pytest.fixture
def server(sqlite_app):
    create_account("staff@example.org", "Sam Staff", PASSWORD, "hmis_lead")
    text = (ROOT / "form_definitions" / "hud-client-profile.yaml").read_text(encoding="utf-8")
    service.publish(service.save_draft("form", "hud-client-profile", text).id)
    db.session.commit()
    with serving(sqlite_app) as base:
        yield base


def _watch(page) -> list[str]:
    """Script errors and CSP refusals on ``page`` (a refused submit's own 422 is expected)."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "status of 422" not in m.text
            else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _focused(page) -> dict:
    return page.evaluate("""() => {
        const e = document.activeElement;
        return {id: e.id, summary: e.hasAttribute('data-error-summary'), text: e.textContent.slice(0, 300)};
    }""")


def test_a_refused_new_client_focuses_the_summary_and_its_links_reach_the_fields(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    problems = _watch(page)
    sign_in(page, server)
    page.goto(server + "/records/clients/new")
    assert not _focused(page)["summary"]  # a fresh form: nothing to announce
    page.locator(f"[id='{P}name.first']").fill("")
    page.get_by_role("button", name="Create client").click()
    page.wait_for_selector("[data-error-summary]")

    focused = _focused(page)
    assert focused["summary"] and "Name: This question is required." in focused["text"], focused
    field = page.locator(f"[id='{P}name.first']")
    assert field.get_attribute("aria-invalid") == "true"
    assert f"{P}name-error" in field.get_attribute("aria-describedby")

    page.get_by_role("link", name="Date of birth: This question is required.").click()
    assert _focused(page)["id"] == f"{P}dob.dob"
    page.get_by_role("link", name="Name: This question is required.").click()
    assert _focused(page)["id"] == f"{P}name.first"
    assert problems == []


def test_a_search_refused_after_an_htmx_submit_focuses_the_summary_but_typing_keeps_focus(server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = _watch(page)
    sign_in(page, server)
    page.goto(server + "/records/find")
    dob = page.get_by_label("Date of birth")
    dob.fill("1850-01-01")  # search-as-you-type: the refusal shows, focus stays where the person is
    page.wait_for_selector("#matches [data-error-summary]")
    page.wait_for_timeout(300)
    assert _focused(page)["id"] == "f-dob"

    page.get_by_role("button", name="Search").click()  # a submit: now the summary takes focus
    expect(page.locator("#matches [data-error-summary]")).to_be_focused()
    assert "1900 or later" in _focused(page)["text"]
    page.get_by_role("link", name="Enter a date in 1900 or later.").click()
    assert _focused(page)["id"] == "f-dob"
    assert problems == []


def test_a_refused_new_client_in_a_workflow_step_opens_the_panel_and_focuses_its_summary(server, browser):
    from playwright.sync_api import expect

    text = (ROOT / "workflows" / "project-intake.yaml").read_text(encoding="utf-8")
    service.publish(service.save_draft("workflow", "project-intake", text).id)
    db.session.commit()
    page = browser.new_page(viewport={"width": 390, "height": 844})
    problems = _watch(page)
    sign_in(page, server)
    page.goto(server + "/workflows/")
    page.locator("form[action$='/workflows/start/project-intake'] button[type=submit]").click()
    page.wait_for_url("**/workflows/instances/*")
    page.get_by_text("No match is right? Create a new client").click()
    page.locator(f"[id='{P}name.first']").fill("Solo")
    page.get_by_role("button", name="Check for matches and create").click()

    summary = page.locator("#new-client [data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Date of birth: This question is required.")
    assert page.locator("#new-client").get_attribute("open") is not None
    page.get_by_role("link", name="Date of birth: This question is required.").click()
    assert _focused(page)["id"] == f"{P}dob.dob"
    assert page.locator(f"[id='{P}name.first']").input_value() == "Solo"  # what was typed stays
    assert problems == []
