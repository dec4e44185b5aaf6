"""The FY2026 export: spec-exact files, HUD's date-range rules, the hashed variant."""
import csv
import io
import zipfile
from datetime import date

import pytest

from hmis.hud import SPEC
from hmis.interchange.exporter import ExportError, export_csv
from hmis.interchange.hashing import soundex
from hmis.interchange.importer import import_export

from .builders import base_records, write_export


def files(path):
    with zipfile.ZipFile(path) as archive:
        return {name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))
                for name in archive.namelist()}, archive.namelist()


@pytest.fixture
def loaded(app, tmp_path):
    records = base_records()
    # A second, older stay that ended before the period, and a bed night inside it and one before it.
    records["Enrollment"].append({**records["Enrollment"][0], "EnrollmentID": "N0", "EntryDate": "2023-01-01",
                                  "HouseholdID": "H0"})
    records["Exit"].append({"ExitID": "X0", "EnrollmentID": "N0", "PersonalID": "C1", "ExitDate": "2023-06-01",
                            "Destination": "116"})
    records["Services"] = [
        {"ServicesID": "S1", "EnrollmentID": "N1", "PersonalID": "C1", "DateProvided": "2025-12-01",
         "RecordType": "200", "TypeProvided": "200"},
        {"ServicesID": "S2", "EnrollmentID": "N1", "PersonalID": "C1", "DateProvided": "2025-09-01",
         "RecordType": "200", "TypeProvided": "200"},
    ]
    assert import_export(write_export(tmp_path / "in.zip", records)).status == "imported"
    return tmp_path


def test_files_headers_and_formats_follow_the_spec(loaded):
    result = export_csv(loaded / "out.zip")
    contents, names = files(result.path)
    assert names == [f.filename for f in SPEC]
    with zipfile.ZipFile(result.path) as archive:
        for hud_file in SPEC:
            header = archive.read(hud_file.filename).decode("utf-8").split("\n")[0]
            assert header == ",".join(c.name for c in hud_file.columns)
    [export] = contents["Export.csv"]
    assert export["CSVVersion"] == "2026 v1.0" and export["HashStatus"] == "1" and export["ExportDirective"] == "2"
    client = next(r for r in contents["Client.csv"] if r["PersonalID"] == "C1")
    assert client["DOB"] == "1990-04-12" and client["DateUpdated"] == "2025-10-02 10:00:00"
    assert client["ExportID"] == export["ExportID"]


def test_date_range_includes_active_enrollments_and_dated_events_in_it(loaded):
    result = export_csv(loaded / "out.zip", start=date(2025, 10, 1), end=date(2026, 9, 30))
    contents, _ = files(result.path)
    assert {r["EnrollmentID"] for r in contents["Enrollment.csv"]} == {"N1", "N2"}
    assert {r["ExitID"] for r in contents["Exit.csv"]} == {"X1"}
    assert {r["ServicesID"] for r in contents["Services.csv"]} == {"S1"}
    assert {r["PersonalID"] for r in contents["Client.csv"]} == {"C1", "C2"}
    [export] = contents["Export.csv"]
    assert (export["ExportStartDate"], export["ExportEndDate"], export["ExportPeriodType"]) == \
        ("2025-10-01", "2026-09-30", "3")


def test_a_period_before_any_stay_exports_no_clients(loaded):
    contents, _ = files(export_csv(loaded / "out.zip", start=date(2010, 1, 1), end=date(2010, 12, 31)).path)
    assert contents["Client.csv"] == [] and contents["Enrollment.csv"] == []


def test_project_filter(loaded):
    contents, _ = files(export_csv(loaded / "out.zip", project_ids=["NOPE"]).path)
    assert contents["Project.csv"] == [] and contents["Enrollment.csv"] == []
    contents, _ = files(export_csv(loaded / "out2.zip", project_ids=["P1"]).path)
    assert [r["ProjectID"] for r in contents["Project.csv"]] == ["P1"]
    assert [r["OrganizationID"] for r in contents["Organization.csv"]] == ["O1"]


def test_hashed_variant(loaded):
    contents, _ = files(export_csv(loaded / "out.zip", hashed=True).path)
    client = next(r for r in contents["Client.csv"] if r["PersonalID"] == "C1")
    assert client["FirstName"] != "Maria" and len(client["FirstName"]) == 64
    assert client["SSN"].startswith("6789") and len(client["SSN"]) == 68  # last four first (HashStatus 4)
    assert contents["Export.csv"][0]["HashStatus"] == "4"


def test_soundex():
    assert [soundex(n) for n in ("Robert", "Rupert", "Ashcraft", "Tymczak", "Pfister", "Lee", "")] == \
        ["R163", "R163", "A261", "T522", "P236", "L000", ""]


def test_bad_ranges_are_refused(loaded):
    with pytest.raises(ExportError, match="before the start"):
        export_csv(loaded / "out.zip", start=date(2026, 1, 1), end=date(2025, 1, 1))
    with pytest.raises(ExportError, match="both"):
        export_csv(loaded / "out.zip", start=date(2026, 1, 1))
    assert not (loaded / "out.zip").exists()


def test_two_sources_export_without_colliding_and_reimport(app, tmp_path, app_factory):
    """Two systems both used PersonalID C1: the export keeps them apart and re-imports cleanly."""
    first = base_records()
    second = base_records()
    second["Export"][0]["ImplementationID"] = "OTHER"
    second["Client"][0]["FirstName"] = "Other Maria"
    assert import_export(write_export(tmp_path / "a.zip", first)).status == "imported"
    assert import_export(write_export(tmp_path / "b.zip", second)).status == "imported"
    out = export_csv(tmp_path / "both.zip").path
    contents, _ = files(out)
    ids = [r["PersonalID"] for r in contents["Client.csv"]]
    assert len(ids) == len(set(ids)) == 4
    prefixed = next(r for r in contents["Client.csv"] if r["FirstName"] == "Other Maria")
    assert prefixed["PersonalID"].startswith("s") and prefixed["PersonalID"].endswith("_C1")
    enrollment = next(r for r in contents["Enrollment.csv"] if r["PersonalID"] == prefixed["PersonalID"])
    assert enrollment["ProjectID"].endswith("_P1") and enrollment["HouseholdID"].endswith("_H1")
    # The combined export is itself a valid export: a fresh database takes it whole.
    fresh = app_factory("sqlite")
    with fresh.app_context():
        result = import_export(out)
        assert result.status == "imported" and result.files["Client"].inserted == 4
        assert result.log.total("rejected_row") == 0
