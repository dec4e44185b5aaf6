"""CE APR against reports.md §2.4: who is in the universe, and the Q5a/Q6a/Q7a/Q8a shells.

* "Universe: households with a CE assessment (4.19) in the report range in CE-participating projects
  (2.09)": an assessment made in a shelter that takes part in coordinated entry counts, not only one
  made in a CE project (type 14). The old rule (``project_type = 14``) dropped it.
* "Q5a/Q6a/Q7a/Q8a follow the APR layouts": Q5a has the APR's two columns and rows 2-17 (the old table
  had one column and six rows), Q7a keeps the APR's row 7 and Q8a its row 3 (blank here), and Q6a
  counts the Q5a column B population (street outreach only when engaged). Sage reads cells by position.

World (report range 2025-10-01 to 2026-09-30), everyone HoH of a household of one:

  A  adult (born 1980), veteran, ES entry/exit (type 0) from 2026-01-05, assessed 2026-02-01,
     name not collected (NameDataQuality 99)
  B  age 20 (born 2005-06-01), CE (type 14) from 2026-03-01, assessed 2026-03-01: a youth;
     name not collected
  C  adult, CE from 2026-04-01, never assessed: outside the universe
  D  adult, CE from 2025-01-01, assessed 2025-06-01 only (before the range): outside
  S  adult, street outreach (type 4) from 2026-05-01, assessed 2026-05-02, never engaged:
     in the universe, not in the DQ population; name not collected

Worked by hand:
  Q5a (DQ column | all column): persons A, B | A, B, S -> [2, 3]; adults [2, 3]; children and
  unknown age [0, 0]; veterans (A) [1, 1]; youth under 25 (B, alone) [1, 1]; adult HoH [2, 3];
  child/unknown-age HoH [0, 0]; leaver, stayer, CH, parenting-youth and 365-day rows blank.
  Q7a: adults 3, all without children; row 7 blank.  Q8a: 3 households without children; row 3 blank.
  Q6a Name: missing for A and B (S is outside the DQ population) -> Information Missing 2,
  Total 2, rate 2 / 2 = 1.
Under the old rule only B counted: 1 person, 1 household, and Q6a Name missing 1.
"""
from __future__ import annotations

from hmis.extensions import db

from .builders import World
from .shipped_apr import report_tables


def _world() -> None:
    world = World()
    shelter, ce, outreach = world.project(0), world.project(14, name="Coordinated entry"), world.project(4)
    for project in (shelter, ce, outreach):  # each a CE access point (2.09)
        world.ce_access_point(project)
    a = world.client("1980-01-01", veteran_status=1, name_data_quality=99)
    b = world.client("2005-06-01", veteran_status=0, name_data_quality=99)
    c = world.client("1979-01-01", veteran_status=0)
    late = world.client("1978-01-01", veteran_status=0)
    s = world.client("1977-01-01", veteran_status=0, name_data_quality=99)
    world.assessment(a, world.enroll(a, shelter, "2026-01-05"), "2026-02-01")
    world.assessment(b, world.enroll(b, ce, "2026-03-01"), "2026-03-01")
    world.enroll(c, ce, "2026-04-01")
    world.assessment(late, world.enroll(late, ce, "2025-01-01"), "2025-06-01")
    world.assessment(s, world.enroll(s, outreach, "2026-05-01"), "2026-05-02")
    db.session.commit()


def _blank(cells) -> bool:
    return all(value in (None, "") for value in cells)


def test_ce_apr_universe_counts_assessments_in_participating_projects(app):
    _world()
    q8a = report_tables("ce-apr", "Q8a")["Q8a"]
    # columns: Total, Without Children, With Children and Adults, With Only Children, Unknown
    assert q8a[0] == ("Total Households", [3, 3, 0, 0, 0])     # A, B, S (was [1, 1, 0, 0, 0]: B only)


def test_ce_apr_q5a_q6a_q7a_q8a_follow_the_apr_layouts(app):
    _world()
    found = report_tables("ce-apr", "Q5a", "Q6a", "Q7a", "Q8a")
    q5a = found["Q5a"]
    assert len(q5a) == 16                                    # APR rows 2-17 (was 6)
    assert [label for label, _ in q5a][:4] == [
        "Total Number of Persons Served", "Number of Adults (Age 18 or Over)",
        "Number of Children (Under Age 18)", "Number of Persons with Unknown Age"]
    cells = [row for _, row in q5a]
    # columns: Count of Clients for DQ, Count of Clients
    assert cells[0] == [2, 3]                                # S is not engaged: outside column B
    assert cells[1] == [2, 3] and cells[2] == [0, 0] and cells[3] == [0, 0]
    for blank_row in (4, 5, 6, 7, 8, 10, 12, 15):            # leavers, stayers, CH, parenting, 365 days
        assert _blank(cells[blank_row]), q5a[blank_row]
    assert cells[9] == [1, 1]                                # veterans: A
    assert cells[11] == [1, 1]                               # youth under 25: B
    assert cells[13] == [2, 3] and cells[14] == [0, 0]       # adult HoH; child/unknown-age HoH

    # columns: DK/PNTA, Information Missing, Data Issues, Total, % of Issue Rate
    name = dict(found["Q6a"])["Name (3.01)"]
    assert name[:4] == [0, 2, 0, 2]                          # A and B; S is outside the DQ population
    assert float(name[4]) == 1.0

    q7a = found["Q7a"]
    assert len(q7a) == 6                                     # APR rows 2-7 (was 5)
    assert q7a[0][1][:3] == [3, 3, 0]                        # adults
    assert q7a[4][1] == [3, 3, 0, 0, 0]                      # total
    assert _blank(q7a[5][1])                                 # row 7: no PSH/RRH rule in the CE APR

    q8a = found["Q8a"]
    assert len(q8a) == 2 and _blank(q8a[1][1])               # APR rows 2-3 (was 1)
