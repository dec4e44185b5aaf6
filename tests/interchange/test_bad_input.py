"""Every kind of bad input named in the Foundation issue: none crashes, none
half-writes, each gets a message a person can act on."""
import zipfile

import pytest
from sqlalchemy import func, select

from hmis.extensions import db
from hmis.hud import SPEC
from hmis.interchange.importer import import_export
from hmis.models import Client, DataSource, Enrollment, Exit, Project
from hmis.records.clients import ssn_on_file

from .builders import base_records, render, write_export


def stored(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def nothing_written():
    return stored(Client) == 0 and stored(Project) == 0 and stored(DataSource) == 0


def messages(result, rule):
    return [i.message for i in result.log.issues if i.rule == rule]


# ---------------------------------------------------------------- tolerated
def test_bom_crlf_and_quoted_newlines(app, tmp_path):
    records = base_records()
    records["Client"][0]["AdditionalRaceEthnicity"] = "line one\r\nline two, with a comma"
    result = import_export(write_export(tmp_path / "x.zip", records, line_ending="\r\n", bom=True))
    assert result.status == "imported"
    assert db.session.scalar(select(Client.additional_race_ethnicity).where(Client.personal_id == "C1")) == \
        "line one\r\nline two, with a comma"
    assert result.log.total("warning") == 0


def test_wrong_case_reordered_and_extra_columns(app, tmp_path):
    header = [c.name for c in SPEC["Client"].columns][::-1]
    header = [h.upper() if i % 2 else h.lower() for i, h in enumerate(header)] + ["FavouriteColour"]
    rows = [{h: r.get(c.name, "") for c in SPEC["Client"].columns for h in header if h.lower() == c.name.lower()}
            for r in base_records()["Client"]]
    result = import_export(write_export(tmp_path / "x.zip", texts={"Client": render("Client", rows, header)}))
    assert result.status == "imported"
    assert db.session.scalar(select(Client.dob).where(Client.personal_id == "C1")).isoformat() == "1990-04-12"
    assert messages(result, "extra_column") == [
        "Client.csv: column 'FavouriteColour' is not in the FY2026 specification; ignored."]


def test_missing_optional_column_is_imported_as_empty(app, tmp_path):
    header = [c.name for c in SPEC["Client"].columns if c.name != "MiddleName"]
    result = import_export(write_export(tmp_path / "x.zip", texts={
        "Client": render("Client", base_records()["Client"], header)}))
    assert result.status == "imported"
    assert messages(result, "optional_column_missing") == ["Client.csv has no MiddleName column; imported as empty."]


def test_non_utf8_bytes_are_read_and_reported_by_line(app, tmp_path):
    text = render("Client", base_records()["Client"]).replace("Lopez", "L\u00f3pez", 1).encode("cp1252")
    result = import_export(write_export(tmp_path / "x.zip", texts={"Client": text}))
    assert result.status == "imported"
    assert db.session.scalar(select(Client.last_name).where(Client.personal_id == "C1")) == "L\u00f3pez"
    [issue] = [i for i in result.log.issues if i.rule == "not_utf8"]
    assert issue.row == 2 and "Windows-1252" in issue.message


def test_impossible_dates_and_bad_numbers_are_flagged_and_stored_empty(app, tmp_path):
    records = base_records()
    records["Client"][0]["DOB"] = "1990-02-30"
    records["Client"][1]["NameDataQuality"] = "one"
    records["Enrollment"][0]["EntryDate"] = "11/01/2025"
    result = import_export(write_export(tmp_path / "x.zip", records))
    assert result.status == "imported"
    found = {(i.file, i.row, i.column, i.rule) for i in result.log.issues}
    assert ("Client.csv", 2, "DOB", "bad_date") in found
    assert ("Client.csv", 3, "NameDataQuality", "bad_type") in found
    assert ("Enrollment.csv", 2, "EntryDate", "bad_date") in found
    assert db.session.scalar(select(Client.dob).where(Client.personal_id == "C1")) is None
    issue = next(i for i in result.log.issues if i.column == "DOB")
    assert issue.value == "1990-02-30" and "not a real date" in issue.message


def test_codes_outside_their_lists_are_kept_and_flagged(app, tmp_path):
    records = base_records()
    records["Enrollment"][1]["RelationshipToHoH"] = "7"
    records["Exit"][0]["Destination"] = "999"
    result = import_export(write_export(tmp_path / "x.zip", records))
    assert result.status == "imported"
    assert db.session.scalar(select(Exit.destination)) == 999
    flagged = {(i.file, i.column, i.value) for i in result.log.issues if i.rule == "invalid_code"}
    assert flagged == {("Enrollment.csv", "RelationshipToHoH", "7"), ("Exit.csv", "Destination", "999")}


def test_orphans_are_listed_and_skipped_with_their_children(app, tmp_path):
    records = base_records()
    records["Enrollment"].append({**records["Enrollment"][0], "EnrollmentID": "N9", "PersonalID": "NOBODY",
                                  "HouseholdID": "H9"})
    records["Exit"].append({**records["Exit"][0], "ExitID": "X9", "EnrollmentID": "N9", "PersonalID": "C1"})
    result = import_export(write_export(tmp_path / "x.zip", records))
    assert result.status == "imported"
    assert stored(Enrollment) == 2 and stored(Exit) == 1
    orphans = {(i.file, i.column, i.value) for i in result.log.issues if i.rule == "orphan"}
    assert orphans == {("Enrollment.csv", "PersonalID", "NOBODY"), ("Exit.csv", "EnrollmentID", "N9")}
    assert result.files["Enrollment"].rejected == 1 and result.files["Exit"].rejected == 1


def test_household_id_reused_across_stays(app, tmp_path):
    records = base_records()
    records["Enrollment"].append({**records["Enrollment"][0], "EnrollmentID": "N3", "EntryDate": "2026-05-01"})
    result = import_export(write_export(tmp_path / "x.zip", records))
    assert result.status == "imported"
    rows = sorted(i.row for i in result.log.issues if i.rule == "household_reused")
    assert rows == [2, 3, 4]


def test_hostile_strings_are_stored_exactly(app, tmp_path):
    records = base_records()
    hostile = "<script>alert(1)</script>'; DROP TABLE client; --\u202e\u0007"
    records["Client"][0]["FirstName"] = hostile
    result = import_export(write_export(tmp_path / "x.zip", records))
    assert result.status == "imported"
    assert db.session.scalar(select(Client.first_name).where(Client.personal_id == "C1")) == hostile


# -------------------------------------------------------------- structural
@pytest.mark.parametrize("case", ["missing_file", "empty_file", "missing_column", "duplicate_key"])
def test_structural_errors_reject_everything(app, tmp_path, case):
    records = base_records()
    options = {}
    if case == "missing_file":
        options["skip"] = ("Exit",)
    elif case == "empty_file":
        options["texts"] = {"Enrollment": b""}
    elif case == "missing_column":
        header = [c.name for c in SPEC["Enrollment"].columns if c.name != "EntryDate"]
        options["texts"] = {"Enrollment": render("Enrollment", records["Enrollment"], header)}
    elif case == "duplicate_key":
        records["Client"].append(dict(records["Client"][0]))
    result = import_export(write_export(tmp_path / "x.zip", records, **options))
    assert result.status == "rejected"
    assert nothing_written()
    [error] = [i for i in result.log.issues if i.severity == "error"]
    assert error.rule == case
    expected = {
        "missing_file": "Exit.csv is missing",
        "empty_file": "Enrollment.csv is empty",
        "missing_column": "Enrollment.csv has no EntryDate column",
        "duplicate_key": "PersonalID 'C1' appears 2 times in Client.csv",
    }[case]
    assert expected in error.message


def test_zip_entry_outside_the_archive_rejects_the_import(app, tmp_path):
    path = write_export(tmp_path / "x.zip", extra={"../../x": b"owned"})
    result = import_export(path)
    assert result.status == "rejected" and nothing_written()
    assert "points outside the archive" in messages(result, "unsafe_path")[0]
    assert not (tmp_path.parent.parent / "x").exists()


def test_junk_is_not_a_zip(app, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"\x00\xff" * 50_000)
    result = import_export(junk)
    assert result.status == "rejected" and nothing_written()
    assert "is not a zip archive" in messages(result, "not_a_zip")[0]


def test_a_failure_half_way_leaves_nothing(app, tmp_path, monkeypatch):
    """An unexpected error while writing rolls back every file already merged."""
    from hmis.interchange import importer

    original = importer.FileLoader._merge

    def explode(self):
        if self.file.name == "Exit":
            raise RuntimeError("disk full")
        return original(self)

    monkeypatch.setattr(importer.FileLoader, "_merge", explode)
    with pytest.raises(RuntimeError):
        import_export(write_export(tmp_path / "x.zip"))
    db.session.rollback()
    assert nothing_written()


def test_folder_exports_are_accepted(app, tmp_path):
    archive = write_export(tmp_path / "x.zip")
    folder = tmp_path / "export"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(folder)
    assert import_export(folder).status == "imported"


def test_junk_inside_a_zip_is_refused_without_filling_memory(app, tmp_path):
    junk = render("Client", []).encode() + b"x" * (17 * 1024 * 1024)  # one "line" of 17 MB, no newline
    result = import_export(write_export(tmp_path / "x.zip", texts={"Client": junk}))
    assert result.status == "rejected" and nothing_written()
    [message] = messages(result, "unreadable_file")
    assert "Client.csv cannot be read past line" in message and "not CSV text" in message


def test_an_oversized_field_is_refused_with_its_line(app, tmp_path):
    text = render("Client", base_records()["Client"]) + "C9," + "y" * (11 * 1024 * 1024) + "\n"
    result = import_export(write_export(tmp_path / "x.zip", texts={"Client": text}))
    assert result.status == "rejected" and nothing_written()
    [message] = messages(result, "unreadable_file")
    assert "field larger than field limit" in message


def test_nul_characters_are_removed_and_flagged(app, tmp_path):
    records = base_records()
    records["Client"][0]["FirstName"] = "Ma\x00ria"
    result = import_export(write_export(tmp_path / "x.zip", records))
    assert result.status == "imported"
    assert db.session.scalar(select(Client.first_name).where(Client.personal_id == "C1")) == "Maria"
    assert any("NUL" in m for m in messages(result, "bad_type"))


def test_issues_from_hostile_headers_are_recorded(app, tmp_path):
    """A 500-character header and a rejected row both fit the issue table on every backend."""
    from hmis.interchange.services import import_file
    from hmis.models import ImportIssue

    header = [c.name for c in SPEC["Client"].columns] + ["<b>" + "x" * 500]
    records = base_records()
    records["Enrollment"].append({**records["Enrollment"][0], "EnrollmentID": "N9", "PersonalID": "NOBODY"})
    path = write_export(tmp_path / "x.zip", records, texts={"Client": render("Client", records["Client"], header)})
    run, result = import_file(path)
    assert run.status == "imported"
    stored_issues = db.session.scalars(select(ImportIssue).where(ImportIssue.import_run_id == run.id)).all()
    assert {i.rule for i in stored_issues} >= {"extra_column", "orphan"}
    long_one = next(i for i in stored_issues if i.rule == "extra_column")
    assert len(long_one.column) == 100 and long_one.message.count("x") == 500


def test_text_codes_in_the_wrong_format_are_kept_and_flagged(app, tmp_path):
    records = base_records()
    records["Enrollment"][0]["EnrollmentCoC"] = "XX501"
    records["ProjectCoC"][0]["Geocode"] = "12-345"
    records["Client"][0]["SSN"] = "123-45-6789"
    records["Client"][1]["SSN"] = "xxxxx6789"  # HUD's way of writing unknown digits: fine
    result = import_export(write_export(tmp_path / "x.zip", records))
    assert result.status == "imported"
    flagged = {(i.file, i.column, i.value) for i in result.log.issues if i.rule == "bad_format"}
    assert flagged == {("Enrollment.csv", "EnrollmentCoC", "XX501"), ("ProjectCoC.csv", "Geocode", "12-345"),
                       ("Client.csv", "SSN", "xxxxx6789")}  # an SSN is reported masked
    kept = db.session.scalar(select(Client).where(Client.personal_id == "C1"))
    assert kept.ssn == "xxxxx6789" and ssn_on_file(kept) == "123-45-6789"  # kept as given, encrypted
    message = next(i.message for i in result.log.issues if i.column == "EnrollmentCoC")
    assert "two capital letters, a dash and three digits, like XX-501" in message
