"""Three APR/CAPER income and disability rules brought in line with HUD's Data Lab code (the answer
key HUD compares our tables with), worked by hand. Report range 2025-10-01 to 2026-09-30; every
person is an adult alone in an ES from 2026-01-01 unless said otherwise. "was" is what the old
rule gave, so each test fails on it.

1. ``start_earned_income`` is EarnedAmount only when Earned is 1 and the amount is positive:
     E1  Earned 1, 400                  -> 400
     E2  Earned 0 but 500 entered       -> none (was 500)
     E3  Earned blank but 300 entered   -> none (was 300)
     E4  Earned 1, no amount            -> 0
   Sum 400 (was 1,200); people with a value 2 (was 4).
2. APR Q18 sorts adults by amounts (earned amount against total income), not by the yes/no
   fields; a source with no amount is no source. Start records:
     A1  any 1, earned 1 600                                  -> only earned
     A2  any 1, earned 1 with no amount, SSI 1 200            -> only other (was both)
     A3  any 1, earned 1 300, SSI 1 with no amount            -> only earned (was both)
     A4  any 1, total 800 entered, no source ticked           -> only other (was in no row)
     A5  any 1, earned 1 250, other source 1 100              -> both
     A6  any 0                                                -> no income
     A7  any 1, total 0, earned 0 but 500 entered             -> no income (was in no row)
     A8  any 8                                                -> DK/PNTA
     A9  no start record                                      -> missing
     L   leaver 2026-01-01 to 2026-03-01: start any 0 (no income); exit any 1, earned 1 900,
         TANF 1 100                                           -> exit: both
   Start: only earned 2 (was 1), only other 2 (was 0), both 1 (was 3), no income 3 (was 2), DK 1,
   missing 1, total 10, one or more source 5; rows 2-7 add up to the total (was 8 of 10).
   Exit: both 1, total 1, one or more source 1, information at both points 1.
   (The CAPER has no Q18 since FY2024.)
3. Q6b "Disabling Condition" data issue: DisablingCondition 0 while the latest start record of a
   type says disabled (4.06/4.08 yes; 4.05/4.07/4.09/4.10 yes and indefinite and impairing):
     D1  DC 0, developmental yes (indefinite not answered)    -> issue
     D2  DC 0, HIV/AIDS yes                                   -> issue
     D3  DC 0, mental health yes, indefinite 1                -> issue
     D4  DC 0, mental health yes, indefinite 0                -> none
     D5  DC 0, substance use 2 (drugs), indefinite 1          -> issue
     D6  DC 0, chronic health yes indefinite 1 on 2026-01-01, corrected to no on 2026-01-05
                                                              -> none (the latest record says no)
     D7  DC 1, physical yes, indefinite 1                     -> none
     D8  DC 0, physical yes indefinite 1 only on the exit record (left 2026-03-01) -> none
     D9  DC 8, HIV/AIDS yes                                   -> DK/PNTA (not an issue)
   DK 1, missing 0, issues 4 (was 0), total 5, rate 5 of 9.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from hmis.extensions import db

from .conftest import counts, run
from .shipped_apr import shipped_tables

ENTRY = "2026-01-01"

EARNED = """
tables:
  - id: E
    title: Earned income at start
    columns:
      - {label: Sum, measure: {sum: "coalesce(start_earned_income, 0)"}}
      - {label: With a value, when: "start_earned_income is not null"}
    rows:
      - {label: All}
"""


def _adult(world, project, *, exit=None, **fields):
    person = world.client("1980-01-01")
    return person, world.enroll(person, project, ENTRY, exit=exit, destination=410 if exit else None, **fields)


# --------------------------------------------------------------------------- 1. earned income
def test_earned_income_needs_earned_marked_yes_and_a_positive_amount(world):
    es = world.project(0)
    for fields in ({"earned": 1, "earned_amount": 400},           # E1
                   {"earned": 0, "earned_amount": 500},           # E2
                   {"earned_amount": 300},                        # E3
                   {"earned": 1}):                                # E4
        world.income(*_adult(world, es), ENTRY, 1, income_from_any_source=1, **fields)
    db.session.commit()
    result = run(EARNED)
    assert counts(result, "E", "Sum") == {"All": 400}
    assert counts(result, "E", "With a value") == {"All": 2}


# --------------------------------------------------------------------------- 2. Q18 by amounts
def test_q18_sorts_adults_by_earned_and_total_amounts(world):
    es = world.project(0)
    starts = [
        {"income_from_any_source": 1, "earned": 1, "earned_amount": 600},                             # A1
        {"income_from_any_source": 1, "earned": 1, "ssi": 1, "ssi_amount": 200},                      # A2
        {"income_from_any_source": 1, "earned": 1, "earned_amount": 300, "ssi": 1},                   # A3
        {"income_from_any_source": 1, "total_monthly_income": 800},                                   # A4
        {"income_from_any_source": 1, "earned": 1, "earned_amount": 250, "other_income_source": 1,
         "other_income_amount": 100},                                                                 # A5
        {"income_from_any_source": 0},                                                                # A6
        {"income_from_any_source": 1, "total_monthly_income": 0, "earned": 0, "earned_amount": 500},    # A7
        {"income_from_any_source": 8},                                                                # A8
    ]
    for fields in starts:
        world.income(*_adult(world, es), ENTRY, 1, **fields)
    _adult(world, es)                                                                                 # A9
    leaver = _adult(world, es, exit="2026-03-01")                                                     # L
    world.income(*leaver, ENTRY, 1, income_from_any_source=0)
    world.income(*leaver, "2026-03-01", 3, income_from_any_source=1, earned=1, earned_amount=900, tanf=1,
                 tanf_amount=100)
    db.session.commit()
    q18 = shipped_tables("apr", "Q18")["Q18"]
    start = {label: cells[0] for label, cells in q18.items()}
    exit_ = {label: cells[2] for label, cells in q18.items()}
    assert start["Adults with Only Earned Income (i.e., Employment Income)"] == 2     # A1, A3
    assert start["Adults with Only Other Income"] == 2                               # A2, A4
    assert start["Adults with Both Earned and Other Income"] == 1                    # A5
    assert start["Adults with No Income"] == 3                                       # A6, A7, L
    assert start["Adults with Client Doesn't Know/Prefers Not to Answer"] == 1       # A8
    assert start["Adults with Missing Income Information"] == 1                      # A9
    assert start["Total Adults"] == 10
    assert start["1 or More Source of Income"] == 5
    categories = list(start.values())[:6]
    assert sum(categories) == start["Total Adults"]
    assert exit_["Adults with Both Earned and Other Income"] == 1
    assert exit_["Adults with Only Earned Income (i.e., Employment Income)"] == 0
    assert exit_["Total Adults"] == 1
    assert exit_["1 or More Source of Income"] == 1
    assert exit_["Adults with Income Information at Start and Annual Assessment/Exit"] == 1
    # everyone started in 2026, so nobody owes an annual assessment yet
    assert q18["Number of Adult Stayers Not Yet Required to Have an Annual Assessment"][1] == 9


# --------------------------------------------------------------------------- 3. Q6b disabling condition
# The data-quality report's Q3 is the same table as the APR's and CAPER's Q6b.
@pytest.mark.parametrize("report, table", [("apr", "Q6b"), ("caper", "Q6b"), ("data-quality", "Q3")])
def test_q6b_disabling_condition_no_while_a_start_record_says_disabled_is_an_issue(world, report, table):
    es = world.project(0)
    PHYSICAL, DEVELOPMENTAL, CHRONIC, HIV, MENTAL, SUBSTANCE = 5, 6, 7, 8, 9, 10
    world.disability(*_adult(world, es), ENTRY, DEVELOPMENTAL, indefinite=None)      # D1
    world.disability(*_adult(world, es), ENTRY, HIV, indefinite=None)                # D2
    world.disability(*_adult(world, es), ENTRY, MENTAL)                              # D3
    world.disability(*_adult(world, es), ENTRY, MENTAL, indefinite=0)                # D4
    world.disability(*_adult(world, es), ENTRY, SUBSTANCE, response=2)               # D5
    d6 = _adult(world, es)
    world.disability(*d6, ENTRY, CHRONIC)
    world.disability(*d6, "2026-01-05", CHRONIC, response=0, indefinite=None)        # D6
    world.disability(*_adult(world, es, disabling_condition=1), ENTRY, PHYSICAL)     # D7
    world.disability(*_adult(world, es, exit="2026-03-01"), "2026-03-01", PHYSICAL, stage=3)   # D8
    world.disability(*_adult(world, es, disabling_condition=8), ENTRY, HIV)          # D9
    db.session.commit()
    row = shipped_tables(report, table)[table]["Disabling Condition (3.08)"]
    assert row[:4] == [1, 0, 4, 5]
    assert Decimal(str(row[4])).quantize(Decimal("0.0001")) == Decimal("0.5556")
