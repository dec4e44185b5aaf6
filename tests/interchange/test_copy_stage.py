"""The PostgreSQL COPY path (hmis.interchange.copystage) says and stores exactly what the Python path does."""
import csv
import io

from sqlalchemy import select

from hmis.extensions import db
from hmis.hud import SPEC
from hmis.interchange import copystage
from hmis.interchange.importer import import_export
from hmis.models import HUD_MODELS, DataSource

from .builders import TAIL, base_records, write_export


def test_whitespace_is_what_python_strips():
    assert set(copystage.WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def quoted(file_name: str, rows: list[dict[str, str]]) -> str:
    """A file whose every field is quoted: its empty fields reach COPY as '' rather than NULL."""
    hud_file = SPEC[file_name]
    header = [c.name for c in hud_file.columns]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        full = {**{k: v for k, v in TAIL.items() if hud_file.column(k)}, **row}
        writer.writerow([full.get(h, "") for h in header])
    return out.getvalue()


def messy_export(path):
    """Every kind of value the two paths must judge alike, after a value holding line breaks."""
    records = base_records()
    maria, leo = records["Client"]
    maria.update(DOB="1990-02-30", NameDataQuality="1.0", SSN=" 123456789 ", FirstName="  Maria ",
                 AdditionalRaceEthnicity="line one\nline two\r\nline three", DateCreated="2025-10-01T09:00:00")
    leo.update(DOB="2000-02-29", VeteranStatus=" 1", Sex="7", White="01", DateUpdated="2025-10-02 10:00:00.5")
    clients = [maria, leo,
               {**leo, "PersonalID": "C3", "DOB": "1900-02-29", "NameDataQuality": "abc", "SSN": "12-34"},
               {**leo, "PersonalID": "C4", "DOB": "1899-12-31", "FirstName": "x" * 60, "Asian": "", "White": "  "},
               {**leo, "PersonalID": " ", "DOB": "2026-13-01"},
               {**leo, "PersonalID": "C6", "DOB": "2024-02-29 00:00:00", "YearEnteredService": "+1990",
                "DateDeleted": "2026-01-01 25:00:00"}]
    records["Enrollment"][0].update(EntryDate="2025-11-01 00:00:00", LivingSituation=" 116 ", EnrollmentCoC="XX501")
    records["Enrollment"][1].update(RelationshipToHoH="7", DisablingCondition="1.5")
    records["Disabilities"] = [
        {"DisabilitiesID": "D1", "EnrollmentID": "N1", "PersonalID": "C1", "InformationDate": "2025-11-01",
         "DisabilityType": "5", "DisabilityResponse": "3", "DataCollectionStage": "1"},
        {"DisabilitiesID": "D2", "EnrollmentID": "N1", "PersonalID": "C1", "InformationDate": "2025-11-31",
         "DisabilityType": "10", "DisabilityResponse": "3", "DataCollectionStage": "1", "TCellCount": "12x"},
        {"DisabilitiesID": "D3", "EnrollmentID": "N9", "PersonalID": "C1", "InformationDate": "2025-11-01",
         "DisabilityType": "10", "DisabilityResponse": "2", "DataCollectionStage": "1"},
    ]
    records["IncomeBenefits"] = [
        {"IncomeBenefitsID": f"I{n}", "EnrollmentID": "N1", "PersonalID": "C1", "InformationDate": "2025-11-01",
         "IncomeFromAnySource": "1", "TotalMonthlyIncome": amount, "DataCollectionStage": "1"}
        for n, amount in enumerate(["12.5", "$3", "1e3", "-0", "12345678901", " 7.25 "])]
    return write_export(path, records, texts={"Client": quoted("Client", clients)})


def stored_rows(data_source_id):
    rows = {}
    for name in ("Client", "Enrollment", "Disabilities", "IncomeBenefits"):
        table = HUD_MODELS[name].__table__
        columns = [c for c in table.c if c.name not in ("id", "data_source_id")]
        rows[name] = sorted(db.session.execute(select(*columns).where(table.c.data_source_id == data_source_id)).all(),
                            key=repr)
    return rows


def outcome(result):
    issues = sorted((i.file, i.row or 0, i.column or "", i.rule, i.value or "", i.element or "", i.message)
                    for i in result.log.issues)
    files = {name: (r.rows, r.inserted, r.updated, r.unchanged, r.rejected, r.warnings)
             for name, r in result.files.items()}
    data_source = db.session.scalar(select(DataSource.id).where(DataSource.key == result.source_key))
    return issues, files, stored_rows(data_source)


def test_copy_path_matches_the_python_path(pg_app, tmp_path, monkeypatch):
    path = messy_export(tmp_path / "messy.zip")
    taken = []
    original = copystage.CopyStage.stage

    def spy(self):
        taken.append((self.file.name, original(self)))
        return taken[-1][1]

    monkeypatch.setattr(copystage.CopyStage, "stage", spy)
    by_copy = import_export(path, source_key="copy")
    assert by_copy.status == "imported"
    assert dict(taken)["Client"] and dict(taken)["Disabilities"], "the COPY path was not taken"

    monkeypatch.setattr(copystage.CopyStage, "stage", lambda self: False)
    by_python = import_export(path, source_key="python")
    assert by_python.status == "imported"

    copy_issues, copy_files, copy_rows = outcome(by_copy)
    python_issues, python_files, python_rows = outcome(by_python)
    assert copy_issues == python_issues
    assert copy_files == python_files
    assert copy_rows == python_rows
    # The case is not trivial: it holds the kinds of issue it was built for.
    rules = {(file, rule) for file, _, _, rule, *_ in copy_issues}
    assert {("Client.csv", "bad_date"), ("Client.csv", "bad_type"), ("Client.csv", "invalid_code"),
            ("Client.csv", "too_long"), ("Client.csv", "bad_format"), ("Client.csv", "missing_key"),
            ("Client.csv", "missing_value"), ("Disabilities.csv", "invalid_code"), ("Disabilities.csv", "orphan"),
            ("IncomeBenefits.csv", "bad_type"), ("Enrollment.csv", "bad_format")} <= rules
    # Rows after the value with two line breaks keep their physical line numbers.
    assert ("Client.csv", 6, "NameDataQuality", "bad_type") in {issue[:4] for issue in copy_issues}


def test_files_copy_cannot_read_take_the_python_path(pg_app, tmp_path, monkeypatch):
    records = base_records()
    text = quoted("Client", records["Client"]).replace("Lopez", "L\u00f3pez", 1).encode("cp1252")
    ragged = quoted("Enrollment", records["Enrollment"]) + '"N3","C1"\n'
    taken = {}
    original = copystage.CopyStage.stage

    def spy(self):
        taken[self.file.name] = original(self)
        return taken[self.file.name]

    monkeypatch.setattr(copystage.CopyStage, "stage", spy)
    result = import_export(write_export(tmp_path / "x.zip", records, texts={"Client": text, "Enrollment": ragged}))
    assert result.status == "imported"
    assert taken["Client"] is False and taken["Enrollment"] is False and taken["Exit"] is True
    assert [i.row for i in result.log.issues if i.rule == "not_utf8"] == [2]
    assert [i.row for i in result.log.issues if i.rule == "wrong_field_count"] == [4]

