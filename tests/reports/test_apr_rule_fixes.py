"""Five APR/CAPER rules brought in line with HUD's Data Lab code (the test kit's answer key), by hand.

Report range 2025-10-01 to 2026-09-30. Each block below says who is in the world and what the
table must show; "was" is what the old rule gave, so each test fails on the old rule.

1. Total monthly income (Q16-Q19) sums a source only when its yes/no field is 1 and its amount is
   positive (OtherIncomeAmount included). All adults alone in an ES, start records:
     I1  any source 1, no total; SSI yes 200; alimony not ticked but 900 entered  -> 200  (was 1,100)
     I2  any source 1, no total; earned no but 500 entered; other source yes 120  -> 120  (was 500)
     I3  any source 1, total 0; pension yes -50; TANF no but 300 entered          -> 0    (was 300)
     I4  any source 1, total 700 entered; SSI yes 100: the entered total wins      -> 700
     I5  any source 8, no total; SSI no but 400 entered                          -> DK/PNTA (was 400)
2. Q20a's exit column counts adult leavers who are the HoH or left on the HoH's exit date. ES:
     H   HoH 2025-11-01 to 2026-03-01, SNAP at exit
     P   H's partner, left 2026-02-01 before H: SNAP at start and at exit -> only the start counts
     Q   H's partner, left with H on 2026-03-01: WIC at exit
     A   adult alone 2025-11-01 to 2026-04-01, SNAP at exit
   Exit column: SNAP 2 (H, A; was 3 with P), WIC 1 (Q). Start column: SNAP 1 (P).
3. Q23d's Total counts only the subsidy-type rows. Leavers to 435: V with VASH (419), N with no
   subsidy type -> VASH 1, Total 1 (was 2).
4. Q22c: a leaver without move-in counts only when the household has no move-in date or one in
   the range. PSH:
     L1  HoH alone 2025-12-01 to 2026-03-01, never moved in             -> exited without move-in
     L2  HoH alone 2026-01-01 to 2026-05-01, move-in 2026-10-20 (after report end, after he left)
                                                                          -> in neither group (was exited)
     M   HoH from 2026-01-01, moved in 2026-03-01 (59 days), stayer       -> moved in, 31 to 60 days
     J   M's partner, left 2026-02-01 before the move-in                  -> exited without move-in
   Exited without move-in 2 (was 3), moved in 1, Total persons 3 (was 4).
5. Q22e leaves out children who joined after the HoH. ES household from 2026-01-10:
     H   HoH, 3.917.3 date 2026-01-01                                   -> 9 days
     C1  child, same start, no date of her own: takes H's                -> 9 days
     U   adult partner with no date of birth, same start, no 3.917.3    -> data not collected
     C2  child who joined 2026-02-01                                     -> left out (was data not collected)
     V   partner with no date of birth who joined 2026-02-01             -> left out as well (the Data
                                                                            Lab test is "age under 18",
                                                                            unknown for no birth date)
     A   adult partner who joined 2026-02-01, 3.917.3 date 2026-01-20    -> 12 days (adults stay in)
   8 to 14 days 3, data not collected 1 (was 3), Total persons 4 (was 6).
"""
from __future__ import annotations

from datetime import date

import pytest

from hmis.extensions import db

from .shipped_apr import shipped_tables


# --------------------------------------------------------------------------- 1. total monthly income
def test_total_income_sums_only_sources_marked_yes_with_a_positive_amount(world):
    es = world.project(0)

    def adult_with_start_income(**fields):
        person = world.client("1980-01-01")
        world.income(person, world.enroll(person, es, "2026-01-01"), "2026-01-01", 1, **fields)

    adult_with_start_income(income_from_any_source=1, ssi=1, ssi_amount=200, alimony_amount=900)       # I1
    adult_with_start_income(income_from_any_source=1, earned=0, earned_amount=500, other_income_source=1,
                            other_income_amount=120)                                                 # I2
    adult_with_start_income(income_from_any_source=1, total_monthly_income=0, pension=1, pension_amount=-50,
                            tanf=0, tanf_amount=300)                                                 # I3
    adult_with_start_income(income_from_any_source=1, total_monthly_income=700, ssi=1, ssi_amount=100)  # I4
    adult_with_start_income(income_from_any_source=8, ssi=0, ssi_amount=400)                         # I5
    db.session.commit()
    at_start = {label: cells[0] for label, cells in shipped_tables("apr", "Q16")["Q16"].items()}
    assert at_start["$151 - $250"] == 1                           # I1
    assert at_start["$1 - $150"] == 1                             # I2
    assert at_start["No Income"] == 1                             # I3
    assert at_start["$501 - $1,000"] == 1                         # I4
    assert at_start["Client Doesn't Know/Prefers Not to Answer"] == 1   # I5
    assert at_start["$251 - $500"] == 0 and at_start["$1,001 - $1,500"] == 0
    assert at_start["Total Adults"] == 5


# --------------------------------------------------------------------------- 2. Q20a exit column
@pytest.mark.parametrize("report", ["apr", "caper"])
def test_q20a_exit_column_counts_the_hoh_and_those_who_left_with_them(world, report):
    es = world.project(0)

    def stay(entry, exit, household=None, relationship=1):
        person = world.client("1980-01-01")
        return person, world.enroll(person, es, entry, exit=exit, household=household, relationship=relationship,
                                    destination=410)

    h = stay("2025-11-01", "2026-03-01", household="HH")
    world.income(*h, "2026-03-01", 3, benefits_from_any_source=1, snap=1)
    p = stay("2025-11-01", "2026-02-01", household="HH", relationship=3)
    world.income(*p, "2025-11-01", 1, benefits_from_any_source=1, snap=1)
    world.income(*p, "2026-02-01", 3, benefits_from_any_source=1, snap=1)
    q = stay("2025-11-01", "2026-03-01", household="HH", relationship=3)
    world.income(*q, "2026-03-01", 3, benefits_from_any_source=1, wic=1)
    a = stay("2025-11-01", "2026-04-01")
    world.income(*a, "2026-04-01", 3, benefits_from_any_source=1, snap=1)
    db.session.commit()
    q20a = list(shipped_tables(report, "Q20a")["Q20a"].values())
    snap, wic = q20a[0], q20a[1]
    assert snap == [1, 0, 2]          # start: P; exit: H and A, not P who left before the HoH
    assert wic == [0, 0, 1]           # Q left on the HoH's exit date


# --------------------------------------------------------------------------- 3. Q23d Total
@pytest.mark.parametrize("report", ["apr", "caper"])
def test_q23d_total_counts_only_the_subsidy_rows(world, report):
    es = world.project(0)
    for subsidy in (419, None):                                   # V, N
        person = world.client("1980-01-01")
        world.enroll(person, es, "2025-11-01", exit="2026-02-01", destination=435,
                     exit_fields={"destination_subsidy_type": subsidy})
    db.session.commit()
    q23d = shipped_tables(report, "Q23d")["Q23d"]
    assert q23d["VASH housing subsidy"] == [1, 1, 0, 0, 0]
    assert q23d["Total"] == [1, 1, 0, 0, 0]
    assert sum(cells[0] for label, cells in q23d.items() if label != "Total") == q23d["Total"][0]


# --------------------------------------------------------------------------- 4. Q22c exited without move-in
@pytest.mark.parametrize("report", ["apr", "caper"])
def test_q22c_leaves_out_leavers_whose_household_moved_in_outside_the_range(world, report):
    psh = world.project(3)

    def stay(entry, exit=None, move_in=None, household=None, relationship=1):
        person = world.client("1980-01-01")
        world.enroll(person, psh, entry, exit=exit, destination=410 if exit else None, household=household,
                     relationship=relationship, move_in_date=date.fromisoformat(move_in) if move_in else None)

    stay("2025-12-01", exit="2026-03-01")                                          # L1
    stay("2026-01-01", exit="2026-05-01", move_in="2026-10-20")                   # L2
    stay("2026-01-01", move_in="2026-03-01", household="HM")                      # M
    stay("2026-01-01", exit="2026-02-01", household="HM", relationship=3)         # J
    db.session.commit()
    q22c = shipped_tables(report, "Q22c")["Q22c"]
    assert q22c["31 to 60 days"] == [1, 1, 0, 0, 0]
    assert q22c["Total (persons moved into housing)"][0] == 1
    assert q22c["Persons who were exited without move-in"] == [2, 2, 0, 0, 0]     # L1 and J, not L2
    assert q22c["Total persons"][0] == 3


# --------------------------------------------------------------------------- 5. Q22e late-joining children
@pytest.mark.parametrize("report", ["apr", "caper"])
def test_q22e_leaves_out_children_who_joined_after_the_hoh(world, report):
    es = world.project(0)

    def stay(entry, dob, relationship, adhs=None):
        person = world.client(dob)
        world.enroll(person, es, entry, household="HH", relationship=relationship,
                     date_to_street_essh=date.fromisoformat(adhs) if adhs else None)

    stay("2026-01-10", "1980-01-01", 1, adhs="2026-01-01")      # H
    stay("2026-01-10", "2016-01-01", 2)                         # C1
    stay("2026-01-10", None, 3)                                 # U
    stay("2026-02-01", "2018-01-01", 2)                         # C2
    stay("2026-02-01", None, 3)                                 # V
    stay("2026-02-01", "1985-01-01", 3, adhs="2026-01-20")      # A
    db.session.commit()
    q22e = {label: cells[0] for label, cells in shipped_tables(report, "Q22e")["Q22e"].items()}
    assert q22e["8 to 14 days"] == 3                            # H, C1, A
    assert q22e["Total (persons moved into housing)"] == 3
    assert q22e["Data not collected"] == 1                      # U
    assert q22e["Not yet moved into housing"] == 0
    assert q22e["Total persons"] == 4
