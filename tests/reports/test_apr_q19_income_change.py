"""APR Q19a1 (stayers, start -> annual assessment) and Q19a2 (leavers, start -> exit), worked by hand.

Report range 2025-10-01 to 2026-09-30; everyone is an adult alone in an ES entry/exit project.
Amounts are monthly: earned counts only when Earned = 1 and the amount is positive; other is the
total beyond earned (HUD's Data Lab rule). "(s, l)" is (at start, later).

Leavers (Q19a2 universe: income any-source 0 or 1 at start and exit, and a known total):
  L1  start earned 500 (total 500); exit earned 700 + SSI 200 (total 900)
      earned (500, 700) increased; other (0, 200) gained; total (500, 900) increased
  L2  start SSI 300 (total 300); exit any-source 0
      earned (0, 0) neither; other (300, 0) lost; total (300, 0) lost
  L3  start any-source 0; exit earned 400, no total entered (the amounts sum to 400)
      earned (0, 400) gained; other (0, 0) neither; total (0, 400) gained
  L4  start earned 600 + SSDI 400 (total 1000); exit earned 600 + SSDI 300 (total 900)
      earned (600, 600) same; other (400, 300) less; total (1000, 900) less
  L9  start EarnedAmount 300 with Earned = 0 (total 300); exit Earned = 1, 300 (total 300)
      earned (0, 300) gained; other (300, 0) lost; total (300, 300) same
  out: L5 any-source 8 at start; L6 any-source 1 at start with no total and no amounts (total
       unknown); L7 no exit record; K a child leaver with income.
Stayers (Q19a1 universe: annual assessment due and recorded, any-source 0 or 1 at both points):
  S1  start 2024-11-15 earned 500; annual 2025-11-20 earned 800      earned/total (500, 800)
  S2  start 2024-12-01 SSI 250; annual 2025-12-01 any-source 0       other/total (250, 0)
  H5  start 2024-11-01 any-source 0; annual 2025-11-05 any-source 0  all (0, 0)
  out: S3 started 2026-01-01 (no assessment due yet, though it has a stage-5 record);
       S4 its only stage-5 record 2025-12-15 is outside the anniversary window (2025-10-20 +- 30).
"""
from __future__ import annotations

import pytest

from hmis.extensions import db

from .shipped_apr import apr_tables, by_label

EARNED, EARNED_AVG, OTHER, OTHER_AVG, TOTAL, TOTAL_AVG = (
    "Number of Adults with Earned Income (i.e., Employment Income)", "Average Change in Earned Income",
    "Number of Adults with Other Income", "Average Change in Other Income",
    "Number of Adults with Any Income (i.e., Total Income)", "Average Change in Overall Income")


@pytest.fixture
def q19(world):
    es = world.project(0)

    def adult(entry: str, exit: str | None = None, dob: str = "1980-01-01") -> tuple[str, str]:
        person = world.client(dob)
        return person, world.enroll(person, es, entry, exit=exit, destination=410 if exit else None)

    def income(who: tuple[str, str], on: str, stage: int, **fields) -> None:
        world.income(who[0], who[1], on, stage, **fields)

    l1 = adult("2025-11-01", "2026-03-01")
    income(l1, "2025-11-01", 1, income_from_any_source=1, earned=1, earned_amount=500, total_monthly_income=500)
    income(l1, "2026-03-01", 3, income_from_any_source=1, earned=1, earned_amount=700, ssi=1, ssi_amount=200,
           total_monthly_income=900)
    l2 = adult("2025-11-01", "2026-03-01")
    income(l2, "2025-11-01", 1, income_from_any_source=1, ssi=1, ssi_amount=300, total_monthly_income=300)
    income(l2, "2026-03-01", 3, income_from_any_source=0)
    l3 = adult("2025-11-01", "2026-03-01")
    income(l3, "2025-11-01", 1, income_from_any_source=0)
    income(l3, "2026-03-01", 3, income_from_any_source=1, earned=1, earned_amount=400)
    l4 = adult("2025-11-01", "2026-03-01")
    income(l4, "2025-11-01", 1, income_from_any_source=1, earned=1, earned_amount=600, ssdi=1, ssdi_amount=400,
           total_monthly_income=1000)
    income(l4, "2026-03-01", 3, income_from_any_source=1, earned=1, earned_amount=600, ssdi=1, ssdi_amount=300,
           total_monthly_income=900)
    l9 = adult("2025-11-01", "2026-03-01")
    income(l9, "2025-11-01", 1, income_from_any_source=1, earned=0, earned_amount=300, total_monthly_income=300)
    income(l9, "2026-03-01", 3, income_from_any_source=1, earned=1, earned_amount=300, total_monthly_income=300)
    l5 = adult("2025-11-01", "2026-03-01")
    income(l5, "2025-11-01", 1, income_from_any_source=8)
    income(l5, "2026-03-01", 3, income_from_any_source=0)
    l6 = adult("2025-11-01", "2026-03-01")
    income(l6, "2025-11-01", 1, income_from_any_source=1)
    income(l6, "2026-03-01", 3, income_from_any_source=0)
    l7 = adult("2025-11-01", "2026-03-01")
    income(l7, "2025-11-01", 1, income_from_any_source=1, earned=1, earned_amount=200, total_monthly_income=200)
    k = adult("2025-11-01", "2026-03-01", dob="2015-01-01")
    income(k, "2025-11-01", 1, income_from_any_source=1, earned=1, earned_amount=100, total_monthly_income=100)
    income(k, "2026-03-01", 3, income_from_any_source=1, earned=1, earned_amount=900, total_monthly_income=900)

    s1 = adult("2024-11-15")
    income(s1, "2024-11-15", 1, income_from_any_source=1, earned=1, earned_amount=500, total_monthly_income=500)
    income(s1, "2025-11-20", 5, income_from_any_source=1, earned=1, earned_amount=800, total_monthly_income=800)
    s2 = adult("2024-12-01")
    income(s2, "2024-12-01", 1, income_from_any_source=1, ssi=1, ssi_amount=250, total_monthly_income=250)
    income(s2, "2025-12-01", 5, income_from_any_source=0)
    h5 = adult("2024-11-01")
    income(h5, "2024-11-01", 1, income_from_any_source=0)
    income(h5, "2025-11-05", 5, income_from_any_source=0)
    s3 = adult("2026-01-01")
    income(s3, "2026-01-01", 1, income_from_any_source=0)
    income(s3, "2026-01-10", 5, income_from_any_source=1, earned=1, earned_amount=900, total_monthly_income=900)
    s4 = adult("2024-10-20")
    income(s4, "2024-10-20", 1, income_from_any_source=0)
    income(s4, "2025-12-15", 5, income_from_any_source=1, earned=1, earned_amount=900, total_monthly_income=900)
    db.session.commit()
    return apr_tables("Q19a1", "Q19a2", "Q18")


def test_q19a2_leavers_start_to_exit(q19):
    # columns: lost | less | same | more | gained | neither | total adults | gained or increased | %
    # an average over nobody is 0 (HUD's answer key); grayed cells stay blank (None)
    t = by_label(q19["Q19a2"])
    assert list(t) == [EARNED, EARNED_AVG, OTHER, OTHER_AVG, TOTAL, TOTAL_AVG]
    assert t[EARNED] == [0, 0, 1, 1, 2, 1, 5, 3, 0.6]           # L4 same; L1 more; L3, L9 gained; L2 neither
    assert t[EARNED_AVG] == [0, 0, None, 200, 350, None, None, 300, None]   # (400 + 300) / 2; (200+400+300)/3
    assert t[OTHER] == [2, 1, 0, 0, 1, 1, 5, 1, 0.2]            # L2, L9 lost; L4 less; L1 gained; L3 neither
    assert t[OTHER_AVG] == [-300, -100, None, 0, 200, None, None, 200, None]
    assert t[TOTAL] == [1, 1, 1, 1, 1, 0, 5, 2, 0.4]            # L2 lost; L4 less; L9 same; L1 more; L3 gained
    # H: (-300 - 100 + 0 + 400 + 400) / 5 = 80; I: (400 + 400) / 2
    assert t[TOTAL_AVG] == [-300, -100, None, 400, 400, None, 80, 400, None]


def test_q19a1_stayers_start_to_annual_assessment(q19):
    t = by_label(q19["Q19a1"])
    assert t[EARNED] == [0, 0, 0, 1, 0, 2, 3, 1, 0.3333]        # S1 more; S2, H5 neither
    assert t[EARNED_AVG] == [0, 0, None, 300, 0, None, None, 300, None]
    assert t[OTHER] == [1, 0, 0, 0, 0, 2, 3, 0, 0]              # S2 lost
    assert t[OTHER_AVG] == [-250, 0, None, 0, 0, None, None, 0, None]
    assert t[TOTAL] == [1, 0, 0, 1, 0, 1, 3, 1, 0.3333]
    assert t[TOTAL_AVG] == [-250, 0, None, 300, 0, None, 16.67, 300, None]   # (300 - 250 + 0) / 3


def test_q19a_grayed_cells_are_blank_in_every_average_row(q19):
    for table in ("Q19a1", "Q19a2"):
        t = by_label(q19[table])
        for label in (EARNED_AVG, OTHER_AVG):
            assert [t[label][i] for i in (2, 5, 6, 8)] == [None] * 4     # D, G, H, J
        assert [t[TOTAL_AVG][i] for i in (2, 5, 8)] == [None] * 3           # D, G, J (H holds the mean)


def test_q19a_counts_add_up_and_agree_with_q18(q19):
    q18 = by_label(q19["Q18"])["Adults with Income Information at Start and Annual Assessment/Exit"]
    for table, column in (("Q19a1", 1), ("Q19a2", 2)):
        t = by_label(q19[table])
        for label in (EARNED, OTHER, TOTAL):
            row = t[label]
            assert sum(row[:6]) == row[6]              # every adult is in exactly one of B-G
            assert row[7] == row[3] + row[4]           # gained or increased = E + F
        assert t[EARNED][6] == t[OTHER][6] == t[TOTAL][6]
        # Q18 counts any-source 0/1 at both points; Q19a also needs a known total (L6 has none)
        assert t[TOTAL][6] == q18[column] - (1 if table == "Q19a2" else 0)
