"""The HUD tables are generated from the spec and stay in step with it."""
from hmis.hud import SPEC
from hmis.hud.codegen import render, target_path
from hmis.models import HUD_MODELS


def test_generated_models_are_up_to_date():
    assert target_path().read_text() == render(), "run `python -m hmis.hud.codegen` after changing the spec"


def test_every_file_and_column_has_a_table_column():
    assert set(HUD_MODELS) == {f.name for f in SPEC}
    for hud_file in SPEC:
        table = HUD_MODELS[hud_file.name].__table__
        for column in hud_file.columns:
            assert column.attr in table.c, column.element


def test_references_are_foreign_keys():
    enrollment = HUD_MODELS["Enrollment"].__table__
    targets = {fk.target_fullname for fk in enrollment.foreign_keys}
    assert {"client.personal_id", "project.project_id", "data_source.id"} <= targets


def test_a_released_savepoint_rolls_back_with_its_transaction(sqlite_app):
    """SQLite: work in a savepoint that was released must still roll back with the outer
    transaction (the sqlite3 module alone would have committed it on release)."""
    from hmis.extensions import db
    from hmis.models import DataSource

    with db.session.begin_nested():
        db.session.add(DataSource(key="inside-savepoint", name="x"))
    db.session.rollback()
    assert db.session.query(DataSource).filter_by(key="inside-savepoint").count() == 0
