"""CE APR: a household assessed counts all its members (reports.md §2.4; standards.md 4.19).

4.19 (Coordinated Entry Assessment) is collected for the head of household only, and the CE APR
counts households with an assessment in the range. The old universe (``ce_assessment_in_range``)
tested each person's own stay, so a head's household members never appeared: Q8a showed a "With
Children and Adults" household while Q5a had one person and no children.

World (report range 2025-10-01 to 2026-09-30), CE project (type 14) unless said:

  H1  head  adult (born 1980), from 2026-03-01, assessed 2026-03-05 (type 3, level 2, priority 1)
      partner adult (born 1982, relationship 3), from 2026-03-01, no assessment of their own
      child  born 2018-01-01 (age 8 at entry, relationship 2), from 2026-03-01, no assessment
  X   adult in a shelter (type 0) from 2026-02-01 with the same HouseholdID "H1" but another project,
      head there, never assessed: a different household (same household id, other project), outside
  H2  head adult and a child, from 2026-04-01, never assessed: outside

Worked by hand (new rule):
  Q5a (DQ column | all column): persons 3 | 3; adults 2 | 2; children 1 | 1; unknown age 0 | 0;
      adult heads of household 1 | 1.
  Q7a: adults 2, children 1, total 3, all "With Children and Adults".
  Q8a: 1 household, with children and adults.
  Q9a: 1 household assessed in person (the head's type 3), with children and adults.
Old rule: only the head: Q5a persons 1, children 0, while Q8a still says "With Children and Adults".
"""
from __future__ import annotations

import yaml

from hmis.extensions import db
from hmis.reports.definition import definition_problems, load_definition
from hmis.reports.engine import run_report
from hmis.reports.parameters import ReportParameters

from .builders import END, START, World
from .shipped_apr import DEFINITIONS, by_label, report_tables


def _world() -> None:
    world = World()
    ce, shelter = world.project(14, name="Coordinated entry"), world.project(0)
    world.ce_access_point(ce)
    head = world.client("1980-01-01", veteran_status=0)
    partner = world.client("1982-01-01", veteran_status=0)
    child = world.client("2018-01-01", veteran_status=99)
    stay = world.enroll(head, ce, "2026-03-01", household="H1", relationship=1)
    world.enroll(partner, ce, "2026-03-01", household="H1", relationship=3)
    world.enroll(child, ce, "2026-03-01", household="H1", relationship=2)
    world.assessment(head, stay, "2026-03-05", assessment_type=3, level=2, prioritization=1)
    elsewhere = world.client("1975-01-01", veteran_status=0)
    world.enroll(elsewhere, shelter, "2026-02-01", household="H1", relationship=1)
    unassessed_head, unassessed_child = world.client("1985-01-01", veteran_status=0), world.client("2015-01-01")
    world.enroll(unassessed_head, ce, "2026-04-01", household="H2", relationship=1)
    world.enroll(unassessed_child, ce, "2026-04-01", household="H2", relationship=2)
    db.session.commit()


def _old_rule_tables(*table_ids: str) -> dict[str, dict[str, list]]:
    """The shipped CE APR with its universe put back to the old per-stay rule."""
    body = yaml.safe_load((DEFINITIONS / "ce-apr.yaml").read_text())
    assert body["universe"]["where"] == "ce_household_assessed or ce_activity_in_range or ce_household_active"
    body["universe"]["where"] = "ce_assessment_in_range"
    for table in body["tables"]:  # the tables keep the assessed households: under the old rule, everyone
        if table.get("where") == "ce_household_assessed":
            del table["where"]
    assert definition_problems(body) == []
    body["tables"] = [table for table in body["tables"] if table["id"] in table_ids]
    results = run_report(load_definition(body), ReportParameters(START, END), db.session.connection())
    return {table["id"]: by_label([(row["label"], row["cells"]) for row in table["rows"]])
            for table in results["tables"]}


def test_ce_apr_counts_the_members_of_an_assessed_household(app):
    _world()
    found = report_tables("ce-apr", "Q5a", "Q7a", "Q8a", "Q9a")
    q5a = by_label(found["Q5a"])
    # columns: Count of Clients for DQ, Count of Clients
    assert q5a["Total Number of Persons Served"] == [3, 3]       # head, partner, child (not X, not H2)
    assert q5a["Number of Adults (Age 18 or Over)"] == [2, 2]
    assert q5a["Number of Children (Under Age 18)"] == [1, 1]
    assert q5a["Number of Persons with Unknown Age"] == [0, 0]
    assert q5a["Number of Adult Heads of Household"] == [1, 1]

    # columns: Total, Without Children, With Children and Adults, With Only Children, Unknown
    q7a = by_label(found["Q7a"])
    assert q7a["Adults"][:3] == [2, 0, 2]
    assert q7a["Children"][0] == 1 and q7a["Children"][2] == 1
    assert q7a["Total"] == [3, 0, 3, 0, 0]
    assert found["Q8a"][0] == ("Total Households", [1, 0, 1, 0, 0])

    # Q9a counts households by their head, from the household's latest assessment (type 3: in person)
    q9a = by_label(found["Q9a"])
    assert q9a["In-person"] == [1, 0, 1, 0, 0]
    assert q9a["Total Households Assessed"] == [1, 0, 1, 0, 0]
    assert q9a["Phone"] == q9a["Virtual"] == [0, 0, 0, 0, 0]


def test_old_per_stay_rule_left_the_members_out(app):
    _world()
    old = _old_rule_tables("Q5a", "Q8a")
    assert old["Q5a"]["Total Number of Persons Served"] == [1, 1]   # the head only
    assert old["Q5a"]["Number of Children (Under Age 18)"] == [0, 0]
    assert old["Q8a"]["Total Households"] == [1, 0, 1, 0, 0]         # yet a household with children
