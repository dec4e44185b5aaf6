"""CAPER Q24a and APR/CAPER Q23d as HUD's answer key counts them (HUD Data Lab, APR_and_CAPER_FY26.R:
one script writes both reports), worked by hand. Report range 2025-10-01 to 2026-09-30; everyone is an
adult alone who left on 2026-03-01. "was" is what the old rule gave, so each test fails on it.

CAPER Q24a (homelessness prevention leavers, 4.18 housing assessment at exit): an answer that fits no
row is "data not collected" ("putting errors in DNC" in Data Lab).
    H1  assessment 1, subsidy information 2     -> "able to maintain ... with the subsidy they had"
    H2  assessment 1, no subsidy information     -> data not collected (was in no row)
    H3  assessment 2, subsidy information 1      -> data not collected (was in no row)
    H4  no assessment                           -> data not collected
    H5  assessment 99                           -> data not collected
  data not collected 4 (was 2), total 5.

APR Q23d (leavers to 435, rental by client with an ongoing subsidy): prevention exits are left out,
as the CAPER's Q23d already did.
    S1  ES, 435 with subsidy 428      -> counted
    S2  HP, 435 with subsidy 428      -> left out (was counted)
  total 1 (was 2).
"""
from __future__ import annotations

import pytest

from hmis.extensions import db

from .shipped_apr import report_tables, shipped_tables


def test_caper_q24a_an_answer_that_fits_no_row_is_not_collected(world):
    hp = world.project(12)
    for assessment, subsidy in ((1, 2), (1, None), (2, 1), (None, None), (99, None)):
        world.enroll(world.client(), hp, "2026-01-01", exit="2026-03-01", destination=410,
                     exit_fields={"housing_assessment": assessment, "subsidy_information": subsidy})
    db.session.commit()
    q24a = shipped_tables("caper", "Q24a")["Q24a"]
    assert q24a["Able to maintain the housing they had at project start--With the subsidy they had at "
                "project start"][0] == 1
    assert q24a["Data not collected (no exit interview completed)"][0] == 4
    assert q24a["Total"][0] == 5


@pytest.mark.parametrize("report", ["apr", "caper"])
def test_q23d_leaves_out_prevention_exits(world, report):
    for project_type in (0, 12):
        world.enroll(world.client(), world.project(project_type), "2026-01-01", exit="2026-03-01", destination=435,
                     exit_fields={"destination_subsidy_type": 428})
    db.session.commit()
    label, total = report_tables(report, "Q23d")["Q23d"][-1]
    assert label == "Total" and total[0] == 1
