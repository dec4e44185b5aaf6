"""The row checks' single pass, SSNs sealed as clients are stored, and name terms per statement."""
import pytest
from sqlalchemy import select, text

from hmis.access import sensitive
from hmis.extensions import db
from hmis.interchange.importer import import_export
from hmis.models import Client
from hmis.models.privacy import ClientSSN
from hmis.records.clients import ssn_on_file

from .builders import base_records, write_export


def exit_row(exit_id: str, enrollment_id: str, personal_id: str, **more: str) -> dict[str, str]:
    return {"ExitID": exit_id, "EnrollmentID": enrollment_id, "PersonalID": personal_id, "ExitDate": "2026-02-01",
            "Destination": "410", **more}


def name_terms() -> set[str]:
    return set(db.session.execute(text("SELECT term FROM client_name_term")).scalars())


def found(result, rule: str) -> list[tuple]:
    return sorted((i.file, i.row, i.column, i.value) for i in result.log.issues if i.rule == rule)


def test_each_row_is_flagged_by_the_first_check_it_fails(app, tmp_path):
    records = base_records()
    records["Exit"] = [
        exit_row("X1", "N1", "C1"),  # line 2: fine
        exit_row("X2", "N9", "C9"),  # line 3: neither parent exists; the enrollment is named, once
        exit_row("X3", "N1", "C9"),  # line 4: no such client
        exit_row("X4", "N2", "C2", UserID="U9"),  # line 5: unknown user, kept
    ]
    result = import_export(write_export(tmp_path / "x.zip", records))
    assert result.status == "imported"
    assert found(result, "orphan") == [("Exit.csv", 3, "EnrollmentID", "N9"), ("Exit.csv", 4, "PersonalID", "C9")]
    assert found(result, "unknown_user") == [("Exit.csv", 5, "UserID", "U9")]
    exits = result.files["Exit"]
    assert (exits.rows, exits.rejected) == (4, 2)
    assert db.session.execute(text("SELECT exit_id FROM exit ORDER BY exit_id")).scalars().all() == ["X1", "X4"]


def test_a_duplicate_key_hides_its_copies_and_empty_keys_are_not_duplicates(app, tmp_path):
    records = base_records()
    records["Exit"] = [
        exit_row("X1", "N1", "C1"),  # line 2: the first X1 stays
        exit_row("X1", "N9", "C1"),  # line 3: its copy is dropped before the reference check
        exit_row("", "N1", "C1"),  # line 4: no key
        exit_row("", "N2", "C2"),  # line 5: no key (two empty keys are not a duplicate)
        exit_row("X5", "N9", "C1"),  # line 6: an orphan
    ]
    result = import_export(write_export(tmp_path / "x.zip", records))
    assert result.status == "rejected"  # a duplicate key refuses the import
    [duplicate] = [i for i in result.log.issues if i.rule == "duplicate_key"]
    assert duplicate.row == 2 and "ExitID 'X1' appears 2 times in Exit.csv (first at line 2)" in duplicate.message
    assert found(result, "missing_key") == [("Exit.csv", 4, "ExitID", None), ("Exit.csv", 5, "ExitID", None)]
    assert found(result, "orphan") == [("Exit.csv", 6, "EnrollmentID", "N9")]
    exits = result.files["Exit"]
    assert (exits.rows, exits.rejected) == (3, 3)  # the rows with a key; two without, one orphan


def test_a_first_import_seals_ssns_as_it_stores_the_clients(app, tmp_path, monkeypatch):
    def not_needed(*args, **kwargs):
        raise AssertionError("a source's first import needs no sealing afterwards")

    monkeypatch.setattr(sensitive, "seal_plaintext_ssns", not_needed)
    records = base_records()
    records["Client"][1]["SSN"] = " xxxxx1234 "
    result = import_export(write_export(tmp_path / "x.zip", records))
    assert result.status == "imported"
    clients = {c.personal_id: c for c in db.session.scalars(select(Client))}
    assert clients["C1"].ssn == "xxxxx6789" and ssn_on_file(clients["C1"]) == "123456789"
    assert clients["C2"].ssn == "xxxxx1234" and ssn_on_file(clients["C2"]) == "xxxxx1234"
    assert db.session.query(ClientSSN).count() == 2


def test_a_dry_run_seals_nothing(app, tmp_path):
    result = import_export(write_export(tmp_path / "x.zip"), dry_run=True)
    assert result.status == "validated"
    assert db.session.query(Client).count() == 0 and db.session.query(ClientSSN).count() == 0


@pytest.mark.parametrize("path", ["bulk", "row by row"])
def test_imported_and_renamed_clients_are_search_terms(pg_app, tmp_path, monkeypatch, path):
    from hmis.interchange import bulkload

    monkeypatch.setattr(bulkload, "MIN_ROWS", 0 if path == "bulk" else 1 << 62)
    records = base_records()
    records["Client"].append({**records["Client"][1], "PersonalID": "C3", "FirstName": "Leo", "LastName": ""})
    assert import_export(write_export(tmp_path / "x.zip", records)).status == "imported"
    assert name_terms() == {"Maria", "Leo", "Lopez"}
    db.session.execute(text("UPDATE client SET first_name = 'Mariana' WHERE personal_id = 'C1'"))
    assert name_terms() == {"Maria", "Mariana", "Leo", "Lopez"}
    db.session.rollback()
