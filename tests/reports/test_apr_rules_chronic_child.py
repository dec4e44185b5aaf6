"""Chronic homelessness of children (reports.md §1.1, household propagation).

"A child takes the HoH's status when the HoH and all adults are indeterminate (DK/missing)." When
some adult is a definite no (and nobody is yes), the child is not chronically homeless: HUD's Data
Lab code gives such a child the household's best answer, "no". The old rule looked at the HoH alone.

Report range 2025-10-01 to 2026-09-30. Two ES households, everyone from 2026-01-10, no disability
records, so 3.08 Disabling Condition decides each adult's own status:

  household 1   H1 HoH, disabling condition 8 -> DK/PNTA
                P1 adult partner, 0            -> no
                C1 child (born 2020)           -> no      (was DK/PNTA, the HoH's)
  household 2   H2 HoH, 99                     -> missing
                P2 adult partner, 9            -> DK/PNTA
                C2 child (born 2020)           -> missing (the HoH's: every adult is indeterminate)

Q26b, column With Children and Adults: not chronic 2 (P1, C1; was 1), DK/PNTA 2 (H1, P2; was 3),
data not collected 2 (H2, C2), total 6.
"""
from __future__ import annotations

import pytest

from hmis.extensions import db

from .shipped_apr import shipped_tables


@pytest.mark.parametrize("report", ["apr", "caper"])
def test_a_child_takes_the_hohs_unknown_status_only_when_every_adult_is_unknown(world, report):
    es = world.project(0)

    def member(household, dob, relationship, condition):
        person = world.client(dob)
        world.enroll(person, es, "2026-01-10", household=household, relationship=relationship,
                     disabling_condition=condition)

    member("HH1", "1980-01-01", 1, 8)         # H1
    member("HH1", "1981-01-01", 3, 0)         # P1
    member("HH1", "2020-01-01", 2, 99)        # C1
    member("HH2", "1980-01-01", 1, 99)        # H2
    member("HH2", "1981-01-01", 3, 9)         # P2
    member("HH2", "2020-01-01", 2, 99)        # C2
    db.session.commit()

    q26b = shipped_tables(report, "Q26b")["Q26b"]
    with_children = {label: cells[2] for label, cells in q26b.items()}
    assert with_children == {"Chronically Homeless": 0, "Not Chronically Homeless": 2,
                             "Client Doesn't Know/Prefers Not to Answer": 2, "Data Not Collected": 2, "Total": 6}
    assert q26b["Total"] == [6, 0, 6, 0, 0]
