"""The APR's income, insurance, race, move-in and veteran tables on one hand-built CoC.

The people (report range 2025-10-01 to 2026-09-30):
  A  adult HoH, born 1980, PSH from 2025-11-01, household moved in 2025-11-21, a stayer;
     Hispanic and White; a veteran; chronically homeless (street, 4+ times, 12 months, disabled);
     at start: earned $600 + SSI $200, Medicaid and Medicare.
  B  A's child, born 2015, same household and start: Asian; no income or insurance record.
  C  adult alone, born 1950, RRH 2025-12-01 to 2026-03-01, never moved in; race refused; not a veteran;
     no income at start or exit; no health insurance at start.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.reports.parameters import ReportParameters
from hmis.reports.service import run_now

from .builders import END, START

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def apr(world):
    sync_folder(ROOT / "report_definitions")
    psh, rrh = world.project(3), world.project(13)
    a = world.client("1980-01-01", hispanic_latinao=1, white=1, veteran_status=1)
    b = world.client("2015-01-01", asian=1)
    c = world.client("1950-01-01", race_none=9, veteran_status=0)
    sa_ = world.enroll(a, psh, "2025-11-01", household="HA", move_in_date=date(2025, 11, 21), disabling_condition=1,
                       living_situation=116, times_homeless_past_three_years=4, months_homeless_past_three_years=112)
    world.enroll(b, psh, "2025-11-01", household="HA", relationship=2)
    sc = world.enroll(c, rrh, "2025-12-01", exit="2026-03-01", destination=116)
    world.income(a, sa_, "2025-11-01", 1, income_from_any_source=1, earned=1, earned_amount=600, ssi=1,
                 ssi_amount=200, insurance_from_any_source=1, medicaid=1, medicare=1)
    world.income(c, sc, "2025-12-01", 1, income_from_any_source=0, insurance_from_any_source=0)
    world.income(c, sc, "2026-03-01", 3, income_from_any_source=0, insurance_from_any_source=0)
    db.session.commit()
    results = run_now("apr", ReportParameters(START, END))
    return {t["id"]: {row["label"]: row["cells"] for row in t["rows"]} for t in results["tables"]}


def test_q12_race_and_ethnicity(apr):
    q12 = apr["Q12"]
    assert q12["Hispanic/Latina/e/o & White"][:3] == [1, 0, 1]
    assert q12["Asian or Asian American"][:3] == [1, 0, 1]
    assert q12["Client Doesn't Know/Prefers Not to Answer"][:3] == [1, 1, 0]
    assert q12["White"][0] == 0 and q12["Total"][0] == 3


def test_q16_q17_q18_income_by_stage(apr):
    # columns: at start, at annual assessment (stayers), at exit (leavers)
    q16 = apr["Q16"]
    assert q16["$501 - $1,000"] == [1, 0, 0]
    assert q16["No Income"] == [1, 0, 1]
    assert q16["Number of Adult Stayers Not Yet Required to Have an Annual Assessment"] == [None, 1, None]
    assert q16["Total Adults"] == [2, 1, 1]
    q17 = apr["Q17"]
    assert q17["Earned Income"] == [1, 0, 0] and q17["Supplemental Security Income (SSI)"] == [1, 0, 0]
    assert q17["Adults with Income Information at Start and Annual Assessment/Exit"] == [None, 0, 1]
    q18 = apr["Q18"]
    assert q18["Adults with Both Earned and Other Income"] == [1, 0, 0]
    assert q18["Adults with No Income"] == [1, 0, 1]
    assert q18["1 or More Source of Income"] == [1, 0, 0]


def test_q21_health_insurance_counts_everyone(apr):
    q21 = apr["Q21"]
    assert q21["Medicaid"] == [1, 0, 0] and q21["Medicare"] == [1, 0, 0]
    assert q21["No Health Insurance"] == [1, 0, 1]
    assert q21["Data Not Collected"][0] == 1           # the child has no record at start
    assert q21["More than 1 Source of Health Insurance"] == [1, 0, 0]


def test_q22c_time_to_move_in_and_q25a_veterans_and_q26b(apr):
    q22c = apr["Q22c"]
    assert q22c["15 to 21 days"] == [2, 0, 2, 0, 0]     # 2025-11-01 to 2025-11-21 is 20 days
    assert q22c["Total (persons moved into housing)"][0] == 2
    assert q22c["Average length of time to housing"][0] == 20
    assert q22c["Persons who were exited without move-in"] == [1, 1, 0, 0, 0]
    assert q22c["Total persons"][0] == 3
    q25a = apr["Q25a"]  # columns: Total, Without Children, With Children and Adults, Unknown
    assert q25a["Chronically Homeless Veteran"] == [1, 0, 1, 0]
    assert q25a["Not a Veteran"] == [1, 1, 0, 0]
    assert apr["Q26b"]["Chronically Homeless"] == [2, 0, 2, 0, 0]  # the child shares the HoH's status
