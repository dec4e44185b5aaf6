"""CE APR: the stay that represents a person (Q5a-Q9d), and Q4a's project list, as HUD's answer key
(HUD-Data-Lab/DataLab CE_APR.R) works them out, by hand.

Report range 2025-10-01 to 2026-09-30. Household-type cells are [Total, Without Children, With Children and
Adults, With Only Children, Unknown Household Type]. CE1 and CE2 are access points (2.09) all along; ES is not.

1. The stay that counts: DataLab's enrollment_recent_assessment takes, per person, the stay covering their
   household's latest assessment (the latest such date first, then the latest entry), not the person's
   latest stay. The definition says so with ``universe.person_stay_rank: ce_assessment_date``.
     P  CE1 2026-01-01..03-01 assessed 01-10 (in person); then ES from 2026-04-01 (the latest stay)
     Q  CE1 2026-02-01..04-30 with a child (household HQ), assessed 02-05 (in person); then ES alone from 05-01
     R  CE1 from 2026-01-01 assessed 06-01 by phone; CE2 from 02-01 (the latest entry) assessed 02-02 in person
     S  CE1 from 2026-01-01 and CE2 from 03-01, both assessed 04-01: CE1 by phone, CE2 virtually (the tie
        goes to the latest entry, as DataLab's desc(EntryDate))
   New: 5 persons (P, Q, Q's child, R, S); households by head: P in person, Q in person (with children and
   adults), R by phone, S virtual. Old (each person's latest stay): P and Q's head out (their latest stay, ES,
   has no assessment), R in person: 3 persons (R, S, Q's child), 2 households (R in person, S virtual).
2. Q4a's rows: the continuum projects that were access points at some time in the range (DataLab's
   CE_element_projects), zeros when nobody was active, and no others.
     CE1 (P active), CE3 (access point from 2026-01-01, no stays): listed. CE0 (access point only in 2024, a stay
     in range), ES (no access point, a stay in range), CEX (access point, ContinuumProject 0, a stay): not.
   Old: every project with a stay in the range (CE0, CE1, CEX, ES), CE3 missing.
3. An assessed stay counts only in a continuum project (1.10 ContinuumProject 1): DataLab's assessed stays
   are those of its CE_element_projects. T, assessed at CEX (an access point, ContinuumProject 0): not in
   Q5a-Q9a (old: 1 person, 1 household); Q10 still counts the assessment (DataLab's relevant_assessments).
"""
from __future__ import annotations

from typing import Any

import yaml

from hmis.extensions import db
from hmis.models import Project
from hmis.reports.definition import definition_problems, load_definition
from hmis.reports.engine import run_report
from hmis.reports.parameters import ReportParameters

from .builders import END, START, World
from .shipped_apr import DEFINITIONS, by_label

PHONE, VIRTUAL, IN_PERSON = 1, 2, 3


def _body() -> dict[str, Any]:
    return yaml.safe_load((DEFINITIONS / "ce-apr.yaml").read_text())


def _tables(*table_ids: str) -> dict[str, dict[str, Any]]:
    body = _body()
    body["tables"] = [table for table in body["tables"] if table["id"] in table_ids]
    results = run_report(load_definition(body), ReportParameters(START, END), db.session.connection())
    return {table["id"]: table for table in results["tables"]}


def _run(*table_ids: str) -> dict[str, dict[str, list[Any]]]:
    return {key: by_label([(row["label"], row["cells"]) for row in table["rows"]])
            for key, table in _tables(*table_ids).items()}


def _ce_project(world: World, project_id: str, start: str = "2020-01-01", end: str | None = None) -> str:
    project = world.project(14, project_id=project_id, name=project_id)
    world.ce_access_point(project, start=start, end=end)
    return project


def test_the_stay_covering_the_households_latest_assessment_represents_the_person(app):
    world = World()
    ce1, ce2, es = _ce_project(world, "CE1"), _ce_project(world, "CE2"), world.project(0, project_id="ES")
    p, q, child, r, s = (world.client("1980-01-01"), world.client("1980-01-01"), world.client("2018-01-01"),
                         world.client("1980-01-01"), world.client("1980-01-01"))
    world.assessment(p, world.enroll(p, ce1, "2026-01-01", exit="2026-03-01"), "2026-01-10", assessment_type=IN_PERSON)
    world.enroll(p, es, "2026-04-01")
    q1 = world.enroll(q, ce1, "2026-02-01", exit="2026-04-30", household="HQ")
    world.enroll(child, ce1, "2026-02-01", exit="2026-04-30", household="HQ", relationship=2)
    world.assessment(q, q1, "2026-02-05", assessment_type=IN_PERSON)
    world.enroll(q, es, "2026-05-01")
    world.assessment(r, world.enroll(r, ce1, "2026-01-01"), "2026-06-01", assessment_type=PHONE)
    world.assessment(r, world.enroll(r, ce2, "2026-02-01"), "2026-02-02", assessment_type=IN_PERSON)
    world.assessment(s, world.enroll(s, ce1, "2026-01-01"), "2026-04-01", assessment_type=PHONE)
    world.assessment(s, world.enroll(s, ce2, "2026-03-01"), "2026-04-01", assessment_type=VIRTUAL)
    db.session.commit()

    found = _run("Q5a", "Q8a", "Q9a")
    assert found["Q5a"]["Total Number of Persons Served"] == [5, 5]                 # old: [3, 3]
    assert found["Q5a"]["Number of Children (Under Age 18)"] == [1, 1]
    assert found["Q8a"]["Total Households"] == [4, 3, 1, 0, 0]                      # old: [2, 2, 0, 0, 0]
    q9a = found["Q9a"]
    assert q9a["Phone"] == [1, 1, 0, 0, 0]                                          # R (old: 0)
    assert q9a["Virtual"] == [1, 1, 0, 0, 0]                                        # S
    assert q9a["In-person"] == [2, 1, 1, 0, 0]                                      # P, Q (old: R)
    assert q9a["Total Households Assessed"] == [4, 3, 1, 0, 0]


def test_q4a_lists_the_access_points_of_the_range_and_only_them(app):
    world = World()
    ce1, ce0 = _ce_project(world, "CE1"), _ce_project(world, "CE0", start="2024-01-01", end="2024-12-31")
    _ce_project(world, "CE3", start="2026-01-01")
    cex, es = _ce_project(world, "CEX"), world.project(0, project_id="ES")
    db.session.query(Project).filter_by(data_source_id=world.source.id, project_id=cex).update(
        {"continuum_project": 0})
    p = world.client()
    world.assessment(p, world.enroll(p, ce1, "2026-01-01"), "2026-01-10")
    for project in (ce0, cex, es):
        world.enroll(world.client(), project, "2026-02-01")
    db.session.commit()

    q4a = _tables("Q4a")["Q4a"]
    assert q4a["columns"][2] == "Project ID" and q4a["columns"][-2:] == ["Total Active Clients",
                                                                         "Total Active Households"]
    counts = {row["cells"][2]: (row["cells"][-2], row["cells"][-1]) for row in q4a["rows"]}
    assert counts == {"CE1": (1, 1), "CE3": (0, 0)}        # old: CE0, CE1, CEX, ES; CE3 missing


def test_an_assessment_outside_the_continuum_puts_nobody_in_q5a_to_q9d(app):
    world = World()
    cex = _ce_project(world, "CEX")
    db.session.query(Project).filter_by(data_source_id=world.source.id, project_id=cex).update(
        {"continuum_project": 0})
    t = world.client()
    world.assessment(t, world.enroll(t, cex, "2026-01-01"), "2026-01-10")
    db.session.commit()

    found = _run("Q5a", "Q9a", "Q10")
    assert found["Q5a"]["Total Number of Persons Served"] == [0, 0]                 # old: [1, 1]
    assert found["Q9a"]["Total Households Assessed"] == [0, 0, 0, 0, 0]
    assert found["Q10"]["Housing Needs Assessment"][0] == 1


def _problems(universe: dict[str, Any], q4a: dict[str, Any] | None = None) -> list[str]:
    body = _body()
    body["universe"] = {**body["universe"], **universe}
    if q4a is not None:
        body["tables"] = [{**table, **q4a} if table["id"] == "Q9a" else table for table in body["tables"]]
    return [f"{problem.path}: {problem.message}" for problem in definition_problems(body)]


def test_person_stay_rank_is_checked_when_the_definition_is_published(app):
    assert _problems({}) == []
    assert _problems({"person_stay_rank": "ce_household_type"}) == [
        "universe.person_stay_rank: 'person_stay_rank' picks each person's stay before the other attributes are "
        "worked out: it cannot read ce_household_type (it can read the stay's own fields and ce_assessment_date)"]
    assert _problems({"person_stay_rank": "entry_date > report.start"}) == [
        "universe.person_stay_rank: 'person_stay_rank' must give a number or a date to order the stays by, "
        "not yes/no"]
    assert _problems({"latest_per_person": False}) == [
        "universe.person_stay_rank: 'person_stay_rank' picks one stay per person: it needs 'latest_per_person' "
        "(not false)"]
    assert _problems({"person_stay_rank": "no_such_name"})[0].startswith("universe.person_stay_rank: in the rule")
    assert _problems({}, q4a={"list_projects": "ce_access_points"}) == [
        "tables[5].list_projects: 'list_projects' on a table only fits a 'per: project' table"]
