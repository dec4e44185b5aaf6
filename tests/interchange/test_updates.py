"""Later exports of the same source update by DateUpdated and apply DateDeleted;
exports of two different sources never collide."""
from sqlalchemy import func, select

from hmis.extensions import db
from hmis.interchange.importer import import_export
from hmis.models import Client, DataSource, Enrollment

from .builders import base_records, write_export


def test_newer_rows_replace_older_and_older_are_ignored(app, tmp_path):
    assert import_export(write_export(tmp_path / "a.zip")).status == "imported"

    later = base_records()
    later["Client"][0].update(FirstName="Mariana", DateUpdated="2026-01-05 12:00:00")  # newer: wins
    later["Client"][1].update(FirstName="Leonardo", DateUpdated="2024-01-01 00:00:00")  # older: ignored
    later["Client"].append({**later["Client"][1], "PersonalID": "C3", "FirstName": "Rosa",
                            "DateUpdated": "2026-01-05 12:00:00"})
    result = import_export(write_export(tmp_path / "b.zip", later))
    assert result.status == "imported"
    assert (result.files["Client"].inserted, result.files["Client"].updated, result.files["Client"].unchanged) == (1, 1, 1)

    names = dict(db.session.execute(select(Client.personal_id, Client.first_name)).all())
    assert names == {"C1": "Mariana", "C2": "Leo", "C3": "Rosa"}
    assert db.session.scalar(select(DataSource.key).distinct()) == "TEST1/XX-501"


def test_date_deleted_is_applied_without_duplicating(app, tmp_path):
    import_export(write_export(tmp_path / "a.zip"))
    later = base_records()
    later["Enrollment"][1].update(DateUpdated="2026-03-01 08:00:00", DateDeleted="2026-03-01 08:00:00")
    result = import_export(write_export(tmp_path / "b.zip", later))
    assert result.files["Enrollment"].deleted == 1
    rows = db.session.execute(select(Enrollment.enrollment_id, Enrollment.date_deleted)).all()
    assert len(rows) == 2
    assert {e: d is not None for e, d in rows} == {"N1": False, "N2": True}


def test_two_sources_with_the_same_ids_stay_apart(app, tmp_path):
    import_export(write_export(tmp_path / "a.zip"))
    other = base_records()
    other["Export"][0]["ImplementationID"] = "OTHER-HMIS"
    other["Client"][0]["FirstName"] = "Someone Else"
    assert import_export(write_export(tmp_path / "b.zip", other)).status == "imported"
    rows = db.session.execute(select(DataSource.key, Client.personal_id, Client.first_name)
                              .join(DataSource, Client.data_source_id == DataSource.id)
                              .where(Client.personal_id == "C1")).all()
    assert sorted(rows) == [("OTHER-HMIS/XX-501", "C1", "Someone Else"), ("TEST1/XX-501", "C1", "Maria")]


def test_fy2024_export_is_read_as_fy2026(app, tmp_path):
    from hmis.hud import SPEC
    from .builders import render

    records = base_records()
    records["Export"][0]["CSVVersion"] = "2024 v1.4"
    header = [c.name for c in SPEC["Client"].columns if c.name != "Sex"]
    header[header.index("HispanicLatinao")] = "HispanicLatinaeo"
    header[header.index("AdditionalRaceEthnicity") + 1:header.index("AdditionalRaceEthnicity") + 1] = [
        "Woman", "Man", "NonBinary", "CulturallySpecific", "Transgender", "Questioning", "DifferentIdentity",
        "GenderNone", "DifferentIdentityText"]
    rows = [{**r, "HispanicLatinaeo": r["HispanicLatinao"], "Woman": "1", "Man": "0"} for r in records["Client"][:1]]
    rows += [{**r, "HispanicLatinaeo": r["HispanicLatinao"]} for r in records["Client"][1:]]
    enrollment_header = [c.name for c in SPEC["Enrollment"].columns if c.name != "MentalHealthConsultation"]
    enrollment_header += ["SexualOrientation", "TranslationNeeded"]
    enrollments = [{**records["Enrollment"][0], "SexualOrientation": "3", "TranslationNeeded": "0"},
                   records["Enrollment"][1]]
    path = write_export(tmp_path / "fy24.zip", records, texts={
        "Client": render("Client", rows, header), "Enrollment": render("Enrollment", enrollments, enrollment_header)})
    result = import_export(path)
    assert result.status == "imported" and result.version == "2024"
    assert db.session.scalar(select(Client.hispanic_latinao).where(Client.personal_id == "C1")) == 1
    assert db.session.scalar(select(Client.sex).where(Client.personal_id == "C1")) is None
    retired = [i.message for i in result.log.issues if i.rule == "retired_column"]
    assert any("Woman was retired in FY2026; its values are kept as the custom data element fy2024_woman" in m
               for m in retired)
    assert any("SexualOrientation was retired" in m for m in retired)
    assert not any(i.rule in ("missing_column", "extra_column") for i in result.log.issues)

    # The retired values are not lost: they are custom data on the client and enrollment.
    from hmis.custom_data import values_for
    from hmis.models import CustomDataElementValue

    maria = db.session.scalar(select(Client.id).where(Client.personal_id == "C1"))
    assert values_for("client", maria) == {"fy2024_woman": 1, "fy2024_man": 0}
    enrollment = db.session.scalar(select(Enrollment.id).where(Enrollment.enrollment_id == "N1"))
    assert values_for("enrollment", enrollment) == {"fy2024_sexual_orientation": 3, "fy2024_translation_needed": 0}
    stored = db.session.scalar(select(func.count()).select_from(CustomDataElementValue))

    # Importing the same export again replaces them rather than adding more.
    again = import_export(path)
    assert again.status == "imported"
    assert db.session.scalar(select(func.count()).select_from(CustomDataElementValue)) == stored


def test_fy2024_retired_code_that_is_not_a_number_is_reported_not_kept(app, tmp_path):
    from hmis.custom_data import values_for
    from hmis.hud import SPEC
    from .builders import render

    records = base_records()
    records["Export"][0]["CSVVersion"] = "2024 v1.4"
    header = [c.name for c in SPEC["Client"].columns if c.name != "Sex"]
    header[header.index("HispanicLatinao")] = "HispanicLatinaeo"
    header += ["Woman"]
    rows = [{**r, "HispanicLatinaeo": r["HispanicLatinao"], "Woman": "yes"} for r in records["Client"]]
    result = import_export(write_export(tmp_path / "fy24.zip", records, texts={"Client": render("Client", rows, header)}))
    assert result.status == "imported"
    flagged = [i for i in result.log.issues if i.rule == "bad_type" and i.column == "Woman"]
    assert [(i.row, i.value) for i in flagged] == [(2, "yes"), (3, "yes")]
    maria = db.session.scalar(select(Client.id).where(Client.personal_id == "C1"))
    assert values_for("client", maria) == {}
