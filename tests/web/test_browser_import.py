"""Importing an HMIS CSV export in a real browser (Debian's chromium through Playwright).

An HMIS lead uploads a zip, reads the checks (a warning and a rejected row), downloads
the issues as CSV, confirms, and finds the clients; a file that is not a zip and an
export without Client.csv are refused with a clear message. Jobs run inline (no Redis).
Set HMIS_SCREENSHOTS=/some/dir to also save phone- and desktop-width screenshots.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hmis.access.accounts import create_account
from hmis.extensions import db
from hmis.models import Client, Enrollment, Exit, ImportRun

from ..interchange.builders import base_records, write_export
from .conftest import serving, sign_in
from .test_browser import _watch

pytestmark = pytest.mark.browser

NOT_A_ZIP = "Only .zip files can be uploaded"


@pytest.fixture
def import_server(sqlite_app):
    """A live server on an empty database with one HMIS lead; jobs run inline in the request."""
    assert not sqlite_app.config["REDIS_URL"]
    create_account("staff@example.org", "Sam Staff", "correct horse battery", "hmis_lead")
    db.session.commit()
    with serving(sqlite_app) as base:
        yield base


def _count(model) -> int:
    db.session.rollback()  # see what the server's requests committed
    return db.session.scalar(select(func.count()).select_from(model))


def _export_with_a_warning_and_an_orphan(path: Path) -> Path:
    records = base_records()
    records["Exit"][0]["Destination"] = "999"  # not a code of list 3.12: a warning, kept as given
    records["Enrollment"].append({**records["Enrollment"][0], "EnrollmentID": "N9", "PersonalID": "NOBODY",
                                  "HouseholdID": "H9"})  # no such client: the row is rejected
    return write_export(path, records)


def _upload(page, base: str, path: Path) -> None:
    page.goto(base + "/imports/")
    page.get_by_role("link", name="Upload an HMIS CSV export").click()
    page.wait_for_url(base + "/imports/new")
    page.get_by_label("HMIS CSV export (.zip)").set_input_files(str(path))
    with page.expect_navigation():  # the POST's response: the run page, or the form with its error
        page.get_by_role("button", name="Upload and check").click()


def _row_cells(page, table, header: str) -> list[str]:
    return [text.strip() for text in table.locator("tr", has=page.locator(f"th:text-is('{header}')"))
            .first.locator("td").all_text_contents()]


def test_upload_review_download_confirm_and_find_the_clients(import_server, browser, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    base = import_server
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    _watch(page, problems)
    sign_in(page, base, start="/clients")

    # the clients list starts empty
    expect(page.locator("#client-results")).to_contain_text("There are no clients yet")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.wait_for_url(base + "/imports/")
    expect(page.get_by_text("Nothing has been uploaded yet.")).to_be_visible()

    _upload(page, base, _export_with_a_warning_and_an_orphan(tmp_path / "agency-export.zip"))
    db.session.rollback()
    run = db.session.scalar(select(ImportRun))
    assert run is not None and run.status == "validated", run and run.status
    page.wait_for_url(f"{base}/imports/{run.id}")
    assert _count(Client) == 0  # checking writes nothing

    # the validation summary
    expect(page.locator("h1")).to_have_text("agency-export.zip")
    expect(page.locator(".page-head__meta .badge")).to_have_text("Ready to import")
    expect(page.locator("#messages")).to_contain_text("agency-export.zip was uploaded")
    outcome = page.locator(".outcome")
    expect(outcome.locator("h2")).to_have_text("Ready to import")
    expect(outcome).to_contain_text("There is 1 warning")
    expect(outcome).to_contain_text("1 row cannot be stored and will be skipped")
    expect(outcome).to_contain_text("Nothing has been written yet.")
    assert page.locator(".job").count() == 0  # the inline job is already done: nothing polls

    files = page.locator("section[aria-labelledby=summary-heading] table")
    headers = [h.strip() for h in files.locator("thead th").all_text_contents()]
    # Nothing is written yet: the counts say what would happen.
    assert headers[:8] == ["File", "Rows", "Would add", "Would update", "Unchanged", "Would mark deleted",
                           "Warnings", "Will be skipped"]

    def counts(name: str) -> dict[str, str]:
        return dict(zip(headers[1:], _row_cells(page, files, name)))

    assert (counts("Client.csv")["Rows"], counts("Client.csv")["Will be skipped"]) == ("2", "0")
    assert (counts("Enrollment.csv")["Rows"], counts("Enrollment.csv")["Will be skipped"]) == ("3", "1")
    assert (counts("Exit.csv")["Rows"], counts("Exit.csv")["Warnings"]) == ("1", "1")
    assert _row_cells(page, files, "Total")[0] == "11"

    chips = page.get_by_role("list", name="Issues by severity")
    expect(chips).to_contain_text("1 Warning")
    expect(chips).to_contain_text("1 Rejected row")
    expect(page.locator("#issue-results .result-count")).to_have_text("2 issues")
    rows = page.locator("#issue-results tbody tr")
    expect(rows).to_have_count(2)
    cells = [[c.strip() for c in rows.nth(i).locator("td").all_text_contents()] for i in range(2)]
    by_file = {row[1]: row for row in cells}
    orphan, warning = by_file["Enrollment.csv"], by_file["Exit.csv"]
    assert orphan[0] == "Rejected row" and orphan[2:5] == ["4", "PersonalID", "NOBODY"]
    assert "PersonalID 'NOBODY' is not in Client.csv" in orphan[5] and "orphan" in orphan[5]
    assert warning[0] == "Warning" and warning[2:5] == ["2", "Destination", "999"]
    assert "999 is not a code of list 3.12 (Destination)" in warning[5] and "invalid_code" in warning[5]

    # the issues filter swaps the rows in place
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Severity", exact=True).select_option("warning")
    expect(page.locator("#issue-results .result-count")).to_have_text("1 issue with these filters")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Exit.csv")
    assert page.evaluate("window.__sameDocument") is True
    page.get_by_label("Severity", exact=True).select_option("")
    expect(rows).to_have_count(2)

    # the download has both issues
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all issues (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == f"import-{run.id}-agency-export-issues.csv"
    downloaded = list(csv.DictReader(io.StringIO(Path(download.path()).read_text("utf-8"))))
    assert {(r["severity"], r["file"], r["row"], r["column"], r["value"], r["rule"]) for r in downloaded} == {
        ("rejected_row", "Enrollment.csv", "4", "PersonalID", "NOBODY", "orphan"),
        ("warning", "Exit.csv", "2", "Destination", "999", "invalid_code"),
    }
    assert all(r["message"] for r in downloaded)

    _screenshots(browser, base, run.id, "validated")

    # confirm (the browser asks first)
    dialogs: list[str] = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".page-head__meta .badge")).to_have_text("Imported")
    assert dialogs == ["Import agency-export.zip into the HMIS now?"]
    expect(page.locator(".outcome h2")).to_have_text("Imported")
    expect(page.locator("#messages")).to_contain_text("The import has started")
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    db.session.rollback()
    assert db.session.get(ImportRun, run.id).status == "imported"
    assert (_count(Client), _count(Enrollment), _count(Exit)) == (2, 2, 1)

    _screenshots(browser, base, run.id, "imported")

    # the listing and the clients
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    listing = page.locator("tbody tr")
    expect(listing).to_have_count(1)
    expect(listing.first).to_contain_text("agency-export.zip")
    expect(listing.first).to_contain_text("Imported")
    expect(listing.first).to_contain_text("Sam Staff")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    page.wait_for_url(base + "/clients")
    expect(page.locator("#client-results .result-count")).to_contain_text("2 clients")
    expect(page.locator("#client-results")).to_contain_text("Lopez, Leo")
    expect(page.locator("#client-results")).to_contain_text("Lopez, Maria")
    page.get_by_role("link", name="Lopez, Maria").click()
    expect(page.locator("h1")).to_contain_text("Maria")
    expect(page.locator("main")).to_contain_text("Harbor Shelter")

    context.close()
    assert not problems, problems


def test_a_file_that_is_not_a_zip_and_an_export_without_clients_are_refused(import_server, browser,  # noqa: F811
                                                                            sqlite_app, tmp_path):
    from playwright.sync_api import expect

    base = import_server
    problems: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _watch(page, problems)
    sign_in(page, base, start="/clients")

    # junk bytes with a .zip name: refused on the upload page, no run is created
    junk = tmp_path / "notes.zip"
    junk.write_bytes(b"These are my notes, not an export.\n" + bytes(range(256)) * 4)
    _upload(page, base, junk)
    expect(page.locator("#upload-error")).to_contain_text(NOT_A_ZIP)
    assert page.url == base + "/imports/new"
    expect(page.locator("#upload-error")).to_be_visible()
    expect(page.get_by_label("HMIS CSV export (.zip)")).to_have_attribute("aria-describedby", "file-hint upload-error")
    expect(page.get_by_role("button", name="Upload and check")).to_be_enabled()
    assert _count(ImportRun) == 0
    assert not list((Path(sqlite_app.instance_path) / "uploads").rglob("*.zip"))
    _screenshot(page, "import-not-a-zip-desktop")
    page.goto(base + "/imports/")
    expect(page.get_by_text("Nothing has been uploaded yet.")).to_be_visible()
    # Chromium logs the refused upload's 400 response as a console error; that one is expected.
    assert problems in ([], ["console error: Failed to load resource: the server responded with a status of "
                             "400 (BAD REQUEST)"]), problems
    problems.clear()

    # an export without Client.csv: checked, rejected with a message naming the file
    _upload(page, base, write_export(tmp_path / "no-clients.zip", base_records(), skip=("Client",)))
    db.session.rollback()
    run = db.session.scalar(select(ImportRun))
    assert run is not None and run.status == "rejected"
    page.wait_for_url(f"{base}/imports/{run.id}")
    expect(page.locator(".page-head__meta .badge")).to_have_text("Rejected")
    outcome = page.locator(".outcome")
    expect(outcome.locator("h2")).to_have_text("This export cannot be imported")
    expect(outcome).to_contain_text("The checks found 1 error")
    expect(outcome).to_contain_text("Nothing was written.")
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    rows = page.locator("#issue-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Error")
    expect(rows.first).to_contain_text("Client.csv")
    expect(rows.first).to_contain_text("Client.csv is missing")
    expect(rows.first).to_contain_text("missing_file")

    _screenshots(browser, base, run.id, "rejected")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    expect(page.locator("#client-results")).to_contain_text("There are no clients yet")
    assert (_count(Client), _count(Enrollment), _count(Exit)) == (0, 0, 0)
    assert not problems, problems


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("HMIS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _screenshots(browser, base: str, run_id: int, label: str) -> None:  # noqa: F811
    folder = os.environ.get("HMIS_SCREENSHOTS")
    if not folder:
        return
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, width in (("phone", 390), ("desktop", 1280)):
        context = browser.new_context(viewport={"width": width, "height": 844 if width < 500 else 900},
                                      device_scale_factor=2 if width < 500 else 1)
        page = context.new_page()
        sign_in(page, base, start="/clients")
        page.goto(f"{base}/imports/{run_id}")
        page.screenshot(path=str(folder / f"import-{label}-{name}.png"), full_page=True)
        if label == "rejected":
            page.goto(f"{base}/imports/new")
            page.screenshot(path=str(folder / f"import-upload-{name}.png"), full_page=True)
        context.close()
