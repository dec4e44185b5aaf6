"""``per: project`` tables (APR/CAPER/CE APR Q4a): one row per reported project, worked by hand.

Two projects of one organization, report 2025-10-01 to 2026-09-30:
  ES1  emergency shelter in XX-501 (geocode 110001) and XX-502 (119999); a family of two (HoH
       and child) and a single adult; the single adult has an older stay in RRH1 too, so they
       count only under ES1, the project of their latest stay.
  RRH1 rapid re-housing, services only (subtype 1), affiliated with ES1 and TH9; a CE access
       point from 2025-01-01 to 2026-06-30 (ended before the report end: no), then a record
       saying no from 2026-07-01 and one saying yes from 2026-09-01 (in effect on the end date).
  TH9  named in the run's projects, nobody active: listed with zero counts.
"""
from __future__ import annotations

from datetime import date

import pytest

from hmis.extensions import db
from hmis.models import Affiliation, CEParticipation, ProjectCoC
from hmis.reports.definition import definition_problems
from hmis.reports.exports import to_hud_zip, to_xlsx

from .conftest import run

Q4A = """
tables:
  - id: Q4a
    title: Project Identifiers in HMIS
    per: project
    columns:
      - {label: Organization Name, field: organization_name}
      - {label: Project ID, field: project_id}
      - {label: HMIS Project Type, field: project_type}
      - {label: RRH Subtype, field: rrh_subtype}
      - {label: Coordinated Entry Access Point, field: ce_access_point}
      - {label: Affiliated with a residential project, field: residential_affiliation}
      - {label: Project IDs of affiliations, field: affiliated_project_ids}
      - {label: CoC Number, field: coc_codes}
      - {label: Geocode, field: geocodes}
      - {label: Report End Date, field: report_end}
      - {label: Total Active Clients}
      - {label: Total Active Households, measure: households}
      - {label: Adults, when: is_adult}
"""


@pytest.fixture
def projects(world):
    es = world.project(0, project_id="ES1")
    db.session.add(ProjectCoC(data_source_id=world.source.id, project_coc_id="PCX", project_id="ES1",
                              coc_code="XX-502", geocode="119999"))
    rrh = world.project(13, project_id="RRH1")
    world.project(2, project_id="TH9")
    from hmis.models import Project
    project = db.session.query(Project).filter_by(project_id="RRH1").one()
    project.rrh_sub_type, project.residential_affiliation = 1, 1
    db.session.query(ProjectCoC).filter_by(project_id="ES1", coc_code="XX-501").one().geocode = "110001"
    for res in ("ES1", "TH9"):
        db.session.add(Affiliation(data_source_id=world.source.id, affiliation_id=f"A{res}", project_id="RRH1",
                                   res_project_id=res))
    for ident, start, end, access in (("C1", date(2025, 1, 1), date(2026, 6, 30), 1),
                                      ("C2", date(2026, 7, 1), None, 0), ("C3", date(2026, 9, 1), None, 1)):
        db.session.add(CEParticipation(data_source_id=world.source.id, ce_participation_id=ident, project_id="RRH1",
                                       access_point=access, ce_participation_status_start_date=start,
                                       ce_participation_status_end_date=end))
    mom, kid, single = world.client("1990-01-01"), world.client("2015-01-01"), world.client("1970-01-01")
    world.enroll(mom, es, "2026-01-01", household="H1")
    world.enroll(kid, es, "2026-01-01", household="H1", relationship=2)
    world.enroll(single, rrh, "2025-10-05", exit="2025-12-01", destination=101)
    world.enroll(single, es, "2026-02-01")
    db.session.flush()
    return world


def test_one_row_per_project_with_its_fields_and_counts(projects):
    results = run(Q4A, project_ids=["ES1", "RRH1", "TH9"])
    table = results["tables"][0]
    assert table["row_header"] == "Organization Name" and table["columns"][0] == "Project ID"
    rows = {row["cells"][0]: dict(zip(table["columns"], row["cells"])) for row in table["rows"]}
    assert [row["label"] for row in table["rows"]] == ["Org", "Org", "Org"]
    assert rows["ES1"] == {"Project ID": "ES1", "HMIS Project Type": 0, "RRH Subtype": "",
                           "Coordinated Entry Access Point": "", "Affiliated with a residential project": "",
                           "Project IDs of affiliations": "", "CoC Number": "XX-501, XX-502",
                           "Geocode": "110001, 119999", "Report End Date": "2026-09-30",
                           "Total Active Clients": 3, "Total Active Households": 2, "Adults": 2}
    rrh = rows["RRH1"]
    assert (rrh["RRH Subtype"], rrh["Coordinated Entry Access Point"], rrh["Affiliated with a residential project"],
            rrh["Project IDs of affiliations"]) == (1, 1, 1, "ES1, TH9")
    assert (rrh["Total Active Clients"], rrh["Total Active Households"]) == (0, 0)
    assert (rows["TH9"]["Total Active Clients"], rows["TH9"]["Total Active Households"]) == (0, 0)


def test_without_named_projects_only_projects_with_stays_are_listed(projects):
    table = run(Q4A)["tables"][0]
    assert [row["cells"][0] for row in table["rows"]] == ["ES1"]


def test_per_project_tables_export_text_cells(projects):
    results = run(Q4A, project_ids=["ES1"])
    archive = to_hud_zip(results)
    import io
    import zipfile
    text = zipfile.ZipFile(io.BytesIO(archive)).read("Q4a.csv").decode()
    assert text.splitlines()[0].startswith('"Organization Name","Project ID"')
    assert text.splitlines()[1].startswith('"Org","ES1",0,"","",')
    assert to_xlsx(results, {}, {"title": "t"})[:2] == b"PK"


@pytest.mark.parametrize("table, message", [
    ({"id": "T", "title": "t", "per": "project", "columns": [{"label": "Count"}]}, "must be a project field"),
    ({"id": "T", "title": "t", "per": "project", "rows": [{"label": "x"}],
      "columns": [{"label": "P", "field": "project_id"}]}, "no rows of its own"),
    ({"id": "T", "title": "t", "rows": [{"label": "x"}], "columns": [{"label": "P", "field": "project_id"}]},
     "only fits a table with 'per: project'"),
    ({"id": "T", "title": "t", "columns": [{"label": "x"}]}, "a table needs rows"),
    ({"id": "T", "title": "t", "per": "project", "columns": [{"label": "P", "field": "project_id"},
                                                             {"label": "M", "measure": {"median": "age"}}]},
     "cannot show a median"),
])
def test_per_project_mistakes_are_named(app, table, message):
    problems = definition_problems({"id": "t", "kind": "report", "title": "t", "tables": [table]})
    assert any(message in problem.message for problem in problems), problems
