"""APR Q20b Number of Non-Cash Benefit Sources, worked by hand.

Report range 2025-10-01 to 2026-09-30. Columns: at start | at the annual assessment (stayers) |
at exit (leavers who are the HoH or left on the HoH's exit date). All in an ES entry/exit project.

  A1  adult alone, 2025-11-01 to 2026-03-01; start: any-source 0 (no sources); exit: SNAP
  A2  adult alone since 2024-11-15, stayer; start: any-source 0 but WIC ticked (counts as a
      source); annual 2025-11-20: any-source 8
  A3  adult alone since 2026-01-01, stayer (no assessment due yet); start: any-source 9
  A4  adult alone since 2024-12-01, stayer; no records at all (assessment due, none recorded)
  B   HoH of B's household (with partner P and child K), 2025-11-01 to 2026-03-01; start:
      any-source 99; exit: any-source 1 with no source ticked (counts as 1+)
  P   B's partner, left 2026-02-01 before the HoH: not in the exit column; start: any-source 0
  K   B's child: not an adult, in no column
  C   HoH of C's household with partner Q, both left 2026-04-01; C: no start record; exit any-source 0
  Q   start: no record; exit: any-source 8

  start  (8 adults):   no sources A1, P | 1+ A2 | DK A3 | not collected A4, B, C, Q
  annual (3 stayers):  DK A2 | not collected / not long enough A3, A4
  exit   (4 leavers):  no sources C | 1+ A1, B | DK Q
"""
from __future__ import annotations

import pytest

from hmis.extensions import db

from .shipped_apr import apr_tables, by_label

ROWS = ["No Sources", "1 + Source(s)", "Client Doesn't Know/Prefers Not to Answer",
        "Data Not Collected/Not stayed long enough for Annual Assessment", "Total"]


@pytest.fixture
def q20(world):
    es = world.project(0)

    def stay(entry, exit=None, household=None, relationship=1, dob="1980-01-01"):
        person = world.client(dob)
        return person, world.enroll(person, es, entry, exit=exit, household=household, relationship=relationship,
                                    destination=410 if exit else None)

    def income(who, on, stage, **fields):
        world.income(who[0], who[1], on, stage, **fields)

    a1 = stay("2025-11-01", "2026-03-01")
    income(a1, "2025-11-01", 1, benefits_from_any_source=0)
    income(a1, "2026-03-01", 3, benefits_from_any_source=1, snap=1)
    a2 = stay("2024-11-15")
    income(a2, "2024-11-15", 1, benefits_from_any_source=0, wic=1)
    income(a2, "2025-11-20", 5, benefits_from_any_source=8)
    a3 = stay("2026-01-01")
    income(a3, "2026-01-01", 1, benefits_from_any_source=9)
    stay("2024-12-01")                                                        # A4
    b = stay("2025-11-01", "2026-03-01", household="HB")
    income(b, "2025-11-01", 1, benefits_from_any_source=99)
    income(b, "2026-03-01", 3, benefits_from_any_source=1)
    p = stay("2025-11-01", "2026-02-01", household="HB", relationship=3)
    income(p, "2025-11-01", 1, benefits_from_any_source=0)
    income(p, "2026-02-01", 3, benefits_from_any_source=0)
    k = stay("2025-11-01", "2026-03-01", household="HB", relationship=2, dob="2015-01-01")
    income(k, "2025-11-01", 1, benefits_from_any_source=1, snap=1)
    c = stay("2025-11-01", "2026-04-01", household="HC")
    income(c, "2026-04-01", 3, benefits_from_any_source=0)
    q = stay("2025-11-01", "2026-04-01", household="HC", relationship=3)
    income(q, "2026-04-01", 3, benefits_from_any_source=8)
    db.session.commit()
    return apr_tables("Q20b", "Q20a", "Q5a")


def test_q20b_counts_by_stage(q20):
    t = by_label(q20["Q20b"])
    assert list(t) == ROWS
    assert [t[row][0] for row in ROWS] == [2, 1, 1, 4, 8]
    assert [t[row][1] for row in ROWS] == [0, 0, 1, 2, 3]
    assert [t[row][2] for row in ROWS] == [1, 2, 1, 0, 4]


def test_q20b_totals_agree_with_q5a_and_q20a(q20):
    q20b, q5a = by_label(q20["Q20b"]), by_label(q20["Q5a"])
    count = 1   # Q5a's "Count of Clients" column
    assert q20b["Total"][0] == q5a["Number of Adults (Age 18 or Over)"][count]
    assert q20b["Total"][1] == q5a["Number of Adult Stayers"][count]
    assert q20b["Total"][2] <= q5a["Number of Adult Leavers"][count]
    # every adult with some benefit source at start is in Q20b's 1+ row
    for _, cells in q20["Q20a"]:
        assert cells[0] <= q20b["1 + Source(s)"][0]
