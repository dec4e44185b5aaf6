"""Build small HMIS CSV exports for tests: a valid base, then break one thing at a time."""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from hmis.hud import SPEC

TAIL = {"DateCreated": "2025-10-01 09:00:00", "DateUpdated": "2025-10-02 10:00:00", "UserID": "U1",
        "ExportID": "E1"}


def base_records() -> dict[str, list[dict[str, str]]]:
    """One organization, project, two clients (a parent and child), their enrollments and exits."""
    return {
        "Export": [{"ExportID": "E1", "SourceType": "1", "SourceID": "XX-501", "SourceName": "Test HMIS",
                    "ExportDate": "2026-10-01 08:00:00", "ExportStartDate": "2025-10-01",
                    "ExportEndDate": "2026-09-30", "SoftwareName": "tests", "CSVVersion": "2026 v1.0",
                    "ExportPeriodType": "3", "ExportDirective": "2", "HashStatus": "1",
                    "ImplementationID": "TEST1"}],
        "User": [{"UserID": "U1", "UserFirstName": "Ana", "UserLastName": "Lee"}],
        "Organization": [{"OrganizationID": "O1", "OrganizationName": "Harbor House", "VictimServiceProvider": "0"}],
        "Project": [{"ProjectID": "P1", "OrganizationID": "O1", "ProjectName": "Harbor Shelter",
                     "OperatingStartDate": "2015-01-01", "ContinuumProject": "1", "ProjectType": "0"}],
        "ProjectCoC": [{"ProjectCoCID": "PC1", "ProjectID": "P1", "CoCCode": "XX-501", "Geocode": "123456"}],
        "Client": [
            {"PersonalID": "C1", "FirstName": "Maria", "LastName": "Lopez", "NameDataQuality": "1", "SSN": "123456789",
             "SSNDataQuality": "1", "DOB": "1990-04-12", "DOBDataQuality": "1", "Sex": "0", "AmIndAKNative": "0",
             "Asian": "0", "BlackAfAmerican": "0", "HispanicLatinao": "1", "MidEastNAfrican": "0",
             "NativeHIPacific": "0", "White": "0", "VeteranStatus": "0"},
            {"PersonalID": "C2", "FirstName": "Leo", "LastName": "Lopez", "NameDataQuality": "1",
             "SSNDataQuality": "99", "DOB": "2019-08-01", "DOBDataQuality": "1", "Sex": "1", "AmIndAKNative": "0",
             "Asian": "0", "BlackAfAmerican": "0", "HispanicLatinao": "1", "MidEastNAfrican": "0",
             "NativeHIPacific": "0", "White": "0", "VeteranStatus": "99"},
        ],
        "Enrollment": [
            {"EnrollmentID": "N1", "PersonalID": "C1", "ProjectID": "P1", "EntryDate": "2025-11-01",
             "HouseholdID": "H1", "RelationshipToHoH": "1", "EnrollmentCoC": "XX-501", "LivingSituation": "116",
             "DisablingCondition": "0"},
            {"EnrollmentID": "N2", "PersonalID": "C2", "ProjectID": "P1", "EntryDate": "2025-11-01",
             "HouseholdID": "H1", "RelationshipToHoH": "2", "DisablingCondition": "0"},
        ],
        "Exit": [{"ExitID": "X1", "EnrollmentID": "N1", "PersonalID": "C1", "ExitDate": "2026-02-01",
                  "Destination": "410"}],
    }


def render(file_name: str, rows: list[dict[str, str]], header: list[str] | None = None,
           line_ending: str = "\n") -> str:
    hud_file = SPEC[file_name]
    header = header or [c.name for c in hud_file.columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_ending)
    writer.writerow(header)
    for row in rows:
        full = {**{k: v for k, v in TAIL.items() if hud_file.column(k)}, **row}
        writer.writerow([full.get(h, "") for h in header])
    return out.getvalue()


def write_export(path: Path, records: dict[str, list[dict[str, str]]] | None = None, *,
                 texts: dict[str, bytes | str] | None = None, skip: tuple[str, ...] = (),
                 extra: dict[str, bytes] | None = None, line_ending: str = "\n", bom: bool = False) -> Path:
    """Write a zip with all 24 files from ``records``; ``texts`` replaces a file's bytes verbatim."""
    records = base_records() if records is None else records
    texts = texts or {}
    with zipfile.ZipFile(path, "w") as archive:
        for hud_file in SPEC:
            if hud_file.name in skip:
                continue
            if hud_file.name in texts:
                data = texts[hud_file.name]
            else:
                data = render(hud_file.name, records.get(hud_file.name, []), line_ending=line_ending)
            if isinstance(data, str):
                data = data.encode("utf-8")
            if bom:
                data = b"\xef\xbb\xbf" + data
            archive.writestr(hud_file.filename, data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path
