"""The bulk-load path (hmis.interchange.bulkload): same rows and issues as the row-by-row path, schema untouched."""
import pytest
from sqlalchemy import select, text

from hmis.extensions import db
from hmis.hud import SPEC
from hmis.interchange import bulkload
from hmis.interchange.importer import IMPORT_LOCK, FileLoader, import_export
from hmis.models import DataSource

from .test_copy_stage import messy_export, outcome


@pytest.fixture
def rebuilt(monkeypatch):
    """The tables each import rebuilt, in order (a spy on bulkload.rebuild)."""
    tables = []
    original = bulkload.rebuild

    def spy(connection, deferred, **options):
        tables.append(deferred.table)
        return original(connection, deferred, **options)

    monkeypatch.setattr(bulkload, "rebuild", spy)
    return tables


def schema() -> list[tuple]:
    """Every constraint and index of the schema, as the catalog defines it."""
    constraints = db.session.execute(text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
        "WHERE connamespace = current_schema()::regnamespace")).all()
    indexes = db.session.execute(text(
        "SELECT tablename, indexname, indexdef, true FROM pg_indexes WHERE schemaname = current_schema()")).all()
    return sorted(tuple(row) for row in constraints + indexes)


def source_id(key: str) -> int | None:
    return db.session.scalar(select(DataSource.id).where(DataSource.key == key))


def differences(first: int, second: int) -> dict[str, int]:
    """Per HUD table: rows one source holds and the other does not (every column but the surrogate ids)."""
    found = {}
    for hud_file in SPEC:
        columns = ", ".join(c.attr for c in hud_file.columns)
        count = db.session.execute(text(
            f"SELECT count(*) FROM ((SELECT {columns} FROM {hud_file.table} WHERE data_source_id = :a "
            f"EXCEPT ALL SELECT {columns} FROM {hud_file.table} WHERE data_source_id = :b) UNION ALL "
            f"(SELECT {columns} FROM {hud_file.table} WHERE data_source_id = :b "
            f"EXCEPT ALL SELECT {columns} FROM {hud_file.table} WHERE data_source_id = :a)) AS d"),
            {"a": first, "b": second}).scalar_one()
        if count:
            found[hud_file.name] = count
    return found


def issues(result):
    return sorted((i.file, i.row or 0, i.column or "", i.rule, i.value or "", i.message) for i in result.log.issues)


def files(result):
    return {name: (r.rows, r.inserted, r.updated, r.unchanged, r.rejected, r.warnings) for name, r in result.files.items()}


@pytest.mark.slow
def test_sample_bulk_and_incremental_paths_store_the_same(pg_app, hud_sample, rebuilt, monkeypatch):
    before = schema()
    bulk = import_export(hud_sample, source_key="bulk")  # an empty HMIS: the big files take the bulk path
    assert bulk.status == "imported"
    assert {"client", "enrollment", "disabilities", "services"} <= set(rebuilt)
    assert schema() == before

    rebuilt.clear()
    monkeypatch.setattr(bulkload, "MIN_ROWS", 1 << 62)
    incremental = import_export(hud_sample, source_key="incremental")
    assert incremental.status == "imported"
    assert rebuilt == []

    assert issues(bulk) == issues(incremental)
    assert files(bulk) == files(incremental)
    assert differences(source_id("bulk"), source_id("incremental")) == {}
    assert db.session.execute(text("SELECT count(*) FROM disabilities WHERE data_source_id = :s"),
                              {"s": source_id("bulk")}).scalar_one() == bulk.files["Disabilities"].rows


def test_messy_export_bulk_and_incremental_paths_agree(pg_app, tmp_path, rebuilt, monkeypatch):
    path = messy_export(tmp_path / "messy.zip")
    before = schema()
    monkeypatch.setattr(bulkload, "MIN_ROWS", 0)  # every table, however small
    bulk = import_export(path, source_key="bulk")
    assert bulk.status == "imported"
    assert {"client", "enrollment", "disabilities", "income_benefits"} <= set(rebuilt)
    assert schema() == before

    rebuilt.clear()
    monkeypatch.setattr(bulkload, "MIN_ROWS", 1 << 62)
    incremental = import_export(path, source_key="incremental")
    assert rebuilt == []
    assert outcome(bulk)[:2] == outcome(incremental)[:2]
    assert outcome(bulk)[2] == outcome(incremental)[2]
    # The case is not trivial: rows were rejected and values flagged on both paths.
    assert {"orphan", "missing_key", "bad_date"} <= {i.rule for i in bulk.log.issues}


def test_reimport_on_the_bulk_path_updates_in_place(pg_app, tmp_path, rebuilt, monkeypatch):
    """A second import of the same source keeps the unique constraints ON CONFLICT needs."""
    path = messy_export(tmp_path / "messy.zip")
    first = import_export(path, source_key="same")
    monkeypatch.setattr(bulkload, "MIN_ROWS", 0)
    before = schema()
    again = import_export(path, source_key="same")
    assert again.status == "imported" and "client" in rebuilt
    assert schema() == before
    assert {name: r.inserted for name, r in again.files.items() if r.rows} == {
        name: 0 for name, r in first.files.items() if r.rows}


def test_a_failure_midway_leaves_schema_and_data_untouched(pg_app, tmp_path, monkeypatch):
    path = messy_export(tmp_path / "messy.zip")
    monkeypatch.setattr(bulkload, "MIN_ROWS", 0)
    before = schema()
    original = bulkload.drop
    dropped = []

    def fail_at_disabilities(connection, deferred):
        original(connection, deferred)
        dropped.append(deferred.table)
        if deferred.table == "disabilities":  # client and enrollment are loaded, their indexes gone
            raise RuntimeError("injected")

    monkeypatch.setattr(bulkload, "drop", fail_at_disabilities)
    with pytest.raises(RuntimeError, match="injected"):
        import_export(path, source_key="broken")
    assert {"client", "enrollment", "disabilities"} <= set(dropped)
    db.session.rollback()
    assert schema() == before
    assert source_id("broken") is None
    assert db.session.execute(text("SELECT count(*) FROM client")).scalar_one() == 0


def test_a_constraint_that_does_not_hold_is_reported_and_nothing_is_kept(pg_app, tmp_path, monkeypatch):
    """The re-added foreign key is a backstop: if the importer's own checks ever let an orphan through."""
    path = messy_export(tmp_path / "messy.zip")  # Disabilities D3 points at enrollment N9, which is not there
    monkeypatch.setattr(bulkload, "MIN_ROWS", 0)
    monkeypatch.setattr(FileLoader, "_reference_columns", lambda self: [])
    before = schema()
    result = import_export(path, source_key="orphans")
    assert result.status == "rejected"
    [error] = [i for i in result.log.issues if i.rule == "constraint_failed"]
    assert error.file == "Disabilities.csv"
    assert "fk_disabilities_data_source_id_enrollment_id_enrollment" in error.message
    assert "Nothing was imported" in error.message
    assert schema() == before
    assert source_id("orphans") is None
    assert db.session.execute(text("SELECT count(*) FROM enrollment")).scalar_one() == 0


def test_an_import_running_alongside_another_keeps_to_the_row_by_row_path(pg_app, tmp_path, rebuilt, monkeypatch):
    path = messy_export(tmp_path / "messy.zip")
    monkeypatch.setattr(bulkload, "MIN_ROWS", 0)
    with db.engine.connect() as other:
        other.execute(text(f"SELECT pg_advisory_xact_lock_shared({IMPORT_LOCK}, 0)"))  # another import runs
        result = import_export(path, source_key="alongside")
        other.rollback()
    assert result.status == "imported"
    assert rebuilt == []


def test_worth_it_thresholds(pg_app, monkeypatch):
    db.session.execute(text("CREATE TEMPORARY TABLE bulk_probe AS SELECT generate_series(1, 100) AS n"))
    monkeypatch.setattr(bulkload, "MIN_ROWS", 10)
    connection = db.session.connection()
    assert not bulkload.worth_it(connection, "bulk_probe", 9)  # too few rows to bother
    assert not bulkload.worth_it(connection, "bulk_probe", 49)  # under half of what is stored
    assert bulkload.worth_it(connection, "bulk_probe", 50)
    db.session.execute(text("TRUNCATE bulk_probe"))
    assert bulkload.worth_it(connection, "bulk_probe", 10)  # an empty table
    db.session.rollback()
