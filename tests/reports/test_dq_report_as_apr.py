"""The data-quality report counts data quality by the APR's and CAPER's Q6 rules (HUD's answer key,
Data Lab), so the same people give the same counts in both. Worlds as in test_apr_review_dq.py;
report range 2025-10-01 to 2026-09-30; "was" is what the DQ report's old rule gave.

DQ Q2 = APR Q6a, row "Date of Birth (3.03)": no DOB with quality 2 -> issue (was missing); no DOB,
    quality 1 -> none (was missing); no DOB, 99 -> missing; no DOB, 8 -> DK; DOB with 99 -> issue;
    DOB with quality blank -> missing (was none). DK 1, missing 2 (was 3), issues 2 (was 1).
DQ Q3 = APR Q6b, row "Project Start Date (3.10)": an earlier stay that exited after this start ->
    issue; an open earlier stay or a same-day start -> none; an exit before the start -> issue (was
    none). Issues 2 (was 1).
DQ Q5 = APR Q6d: a start on 2016-10-01 counts (was left out).
DQ Q7 (APR Q6f's rules; the contact row keeps HUD's DQ label: adults and HoH of street outreach and
    PATH SSO): stays with no exit (O5 left after report end: was counted), the start is no contact
    (O4: was active). Contact: 3 records, 2 inactive (was 4, 1); bed night: N1 active, N0 (last bed
    night 2026-01-15) inactive.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.models import CurrentLivingSituation

from .builders import d
from .shipped_apr import shipped_tables

ROOT = Path(__file__).resolve().parents[2]
CONTACT = "Contact (Adults and Heads of Household in Street Outreach or PATH-funded SSO)"
BED_NIGHT = "Bed Night (All clients in ES - NBN)"
# DQ report table -> the APR's (and CAPER's) table counted by the same rules
SAME_AS_APR = {"Q2": "Q6a", "Q3": "Q6b", "Q4": "Q6c", "Q5": "Q6d", "Q6": "Q6e"}


def _contact(world, personal_id: str, enrollment_id: str, on: str) -> None:
    db.session.add(CurrentLivingSituation(
        data_source_id=world.source.id, current_living_sit_id=world._id("CLS"), enrollment_id=enrollment_id,
        personal_id=personal_id, information_date=d(on), current_living_situation=116))
    db.session.flush()


@pytest.fixture
def dq_people(world):
    """Everyone of the APR's Q6 review tests, in one world."""
    es, th, so, nbn = world.project(0, project_id="ES1"), world.project(2), world.project(4), world.project(1)
    # Q6a / Q2: date of birth quality
    for dob, quality in ((None, 2), (None, 1), (None, 99), (None, 8), ("1980-01-01", 99), ("1980-01-01", None)):
        world.enroll(world.client(dob, dob_data_quality=quality), es, "2025-11-01")
    # Q6b / Q3: project start
    p, q, r = world.client(), world.client(), world.client()
    world.enroll(p, es, "2025-09-01", exit="2025-12-01")
    world.enroll(p, es, "2025-11-01")
    world.enroll(q, es, "2025-08-01")
    world.enroll(q, es, "2025-11-01")
    world.enroll(r, es, "2025-11-01")
    world.enroll(r, es, "2025-11-01")
    world.enroll(world.client(), es, "2025-11-01", exit="2025-10-20")
    # Q6d / Q5: the 2016-10-01 cut-off
    world.enroll(world.client(), th, "2016-10-01", living_situation=116)
    world.enroll(world.client(), th, "2016-09-30", living_situation=116)
    # Q6f / Q7: inactive records
    engaged = {"date_of_engagement": d("2025-12-01")}
    o1, o2, o5, n1, n0 = world.client(), world.client(), world.client(), world.client(), world.client()
    _contact(world, o1, world.enroll(o1, so, "2025-11-01", **engaged), "2026-08-15")
    _contact(world, o2, world.enroll(o2, so, "2025-11-01", household="H-O2", **engaged), "2026-05-01")
    world.enroll(world.client("2015-01-01"), so, "2025-11-01", household="H-O2", relationship=2, **engaged)
    world.bed_night(n1, world.enroll(n1, nbn, "2025-11-01"), "2026-09-01")
    world.bed_night(n0, world.enroll(n0, nbn, "2025-11-01"), "2026-01-15")
    world.enroll(world.client(), so, "2026-07-02", date_of_engagement=d("2026-07-02"))      # O4
    _contact(world, o5, world.enroll(o5, so, "2025-11-01", exit="2026-10-15", **engaged), "2026-08-01")
    db.session.commit()
    return world


def test_dq_q2_date_of_birth_as_apr_q6a(dq_people):
    row = shipped_tables("data-quality", "Q2")["Q2"]["Date of Birth (3.03)"]
    assert row[:4] == [1, 2, 2, 5]


def test_dq_q3_project_start_as_apr_q6b(dq_people):
    row = shipped_tables("data-quality", "Q3")["Q3"]["Project Start Date (3.10)"]
    assert row[:4] == [0, 0, 2, 2]


def test_dq_q5_counts_a_start_on_2016_10_01(dq_people):
    th = shipped_tables("data-quality", "Q5")["Q5"]["TH"]
    assert (th[0], th[3]) == (1, 1)   # Count of Total Records; 3.917.3 date missing


def test_dq_q7_inactive_records_by_the_apr_q6f_rules(dq_people):
    q7 = shipped_tables("data-quality", "Q7")["Q7"]
    assert q7[CONTACT] == [3, 2, 0.6667]
    assert q7[BED_NIGHT] == [2, 1, 0.5]


@pytest.mark.parametrize("report", ["apr", "caper"])
def test_dq_report_and_the_q6_tables_agree_on_the_same_people(dq_people, report):
    dq = shipped_tables("data-quality", *SAME_AS_APR, "Q7")
    q6 = shipped_tables(report, *SAME_AS_APR.values(), "Q6f")
    for dq_id, q6_id in SAME_AS_APR.items():
        assert dq[dq_id] == q6[q6_id], (dq_id, q6_id)
    assert dq["Q7"][BED_NIGHT] == q6["Q6f"][BED_NIGHT]
    # The contact row's universe is the one documented difference (HUD's DQ label: adults and HoH in
    # street outreach and PATH SSO); the APR takes every client of ES night-by-night too (N1, N0, O3).
    assert q6["Q6f"][CONTACT] == [6, 5, 0.8333]


def test_the_issue_list_follows_the_new_rules(dq_people):
    """The drill-down (the client-level issue list) lists the people each new rule counts."""
    from hmis.access.operations import system_actor
    from hmis.models.reports import ReportRun
    from hmis.reports import service

    sync_folder(ROOT / "report_definitions")
    run = service.start_run(system_actor(), "data-quality", {"start": "2025-10-01", "end": "2026-09-30"})
    run = db.session.get(ReportRun, run.id)
    assert run.status == "finished", run.error
    dob_missing = service.drilldown(system_actor(), run.id, "Q2", 2, 1)
    dob_issue = service.drilldown(system_actor(), run.id, "Q2", 2, 2)
    assert (dob_missing["total"], dob_issue["total"]) == (2, 2)
    start_issue = service.drilldown(system_actor(), run.id, "Q3", 1, 2)
    assert start_issue["total"] == 2 and {row["project_id"] for row in start_issue["rows"]} == {"ES1"}
    assert {str(row["entry_date"]) for row in start_issue["rows"]} == {"2025-11-01"}
    inactive_contact = service.drilldown(system_actor(), run.id, "Q7", 0, 1)
    inactive_bed_night = service.drilldown(system_actor(), run.id, "Q7", 1, 1)
    assert (inactive_contact["total"], inactive_bed_night["total"]) == (2, 1)
    assert {str(row["entry_date"]) for row in inactive_contact["rows"]} == {"2025-11-01", "2026-07-02"}


def _definition(report: str) -> dict:
    return yaml.safe_load((ROOT / "report_definitions" / f"{report}.yaml").read_text())


def _rows(definition: dict, table_id: str) -> dict[str, dict]:
    table = next(t for t in definition["tables"] if t["id"] == table_id)
    return {row["label"]: row for row in table["rows"]}


@pytest.mark.parametrize("report", ["apr", "caper"])
def test_the_dq_reports_copies_of_the_q6_rules_are_the_q6_rules(report):
    """Where the two YAMLs each hold a rule, it is the same text: a change to one fails here until the
    other follows (the DQ report's universe is the APR's counted_for_dq). Only Q7's contact row
    universe differs (documented in data-quality.yaml)."""
    dq, q6 = _definition("data-quality"), _definition(report)
    dq_attributes = {a["name"]: a["expression"] for a in dq["attributes"]}
    q6_attributes = {a["name"]: a["expression"] for a in q6["attributes"]}
    assert dq["universe"]["where"] == q6_attributes["counted_for_dq"]
    shared = sorted(set(dq_attributes) & set(q6_attributes))
    assert {"dob_missing", "dob_issue", "ssn_issue", "start_income_issue", "ch_must_answer"} <= set(shared)
    assert {name: dq_attributes[name] for name in shared} == {name: q6_attributes[name] for name in shared}
    assert dq["column_sets"]["completeness"] == q6["column_sets"]["completeness"]
    for dq_id, q6_id in SAME_AS_APR.items():
        dq_table = next(t for t in dq["tables"] if t["id"] == dq_id)
        q6_table = next(t for t in q6["tables"] if t["id"] == q6_id)
        assert q6_table["where"] == " and ".join(w for w in ("counted_for_dq", dq_table.get("where")) if w)
        assert (dq_table["columns"], dq_table["rows"]) == (q6_table["columns"], q6_table["rows"])
    # 3.10's issue and Q7's inactive rules are library derivations both read (hmis.reports.library)
    assert _rows(dq, "Q3")["Project Start Date (3.10)"]["set"]["issue"] == "project_start_issue"
    q7, q6f = _rows(dq, "Q7"), _rows(q6, "Q6f")
    assert q7[BED_NIGHT] == q6f[BED_NIGHT]
    assert q7[CONTACT]["set"] == q6f[CONTACT]["set"] == {"inactive": "inactive_by_contact"}
    dq_q7 = next(t for t in dq["tables"] if t["id"] == "Q7")
    assert next(t for t in q6["tables"] if t["id"] == "Q6f")["where"] == "counted_for_dq and " + dq_q7["where"]
