"""APR Q26d (age) and Q26e (conditions) of the chronically homeless, worked by hand.

Report range 2025-10-01 to 2026-09-30. Chronic status is 3.917 at start with household
propagation (the Q26b "Chronically Homeless" row); everyone below who is CH is disabled (3.08 = 1)
and meets the time test with 4+ times and 12+ months.

  H  adult HoH born 1990, PSH from 2025-11-01 (age 35), stayer, street before entry: CH.
     At start: mental health yes, alcohol and drug use (3). Update 2026-03-01: mental health
     yes, alcohol only (1).
  K  H's child born 2015 (age 10), same start: CH through the HoH. At start: developmental yes.
  L  adult alone born 1960 (65 at report start), ES 2025-09-01 to 2026-02-01: CH (shelter).
     At start: chronic health condition yes. At exit: physical disability yes, HIV/AIDS no.
  Y  adult alone born 2005-06-01 (20), ES from 2025-10-01, stayer: CH. At start: mental
     health "client doesn't know" (8) - not a condition.
  U  no date of birth, quality 9 (prefers not to answer), ES from 2026-01-01: CH; unknown age,
     so an unknown household type.
  N  adult alone born 2000, ES from 2025-10-05, disabling condition no: not CH. At start:
     mental health yes (left out: not CH).
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
CH = {"disabling_condition": 1, "living_situation": 116, "times_homeless_past_three_years": 4,
      "months_homeless_past_three_years": 112}


@pytest.fixture
def apr(world):
    sync_folder(ROOT / "report_definitions")
    psh, es = world.project(3), world.project(0)
    h, k, lone, y = (world.client("1990-01-01"), world.client("2015-01-01"), world.client("1960-01-01"),
                     world.client("2005-06-01"))
    u, n = world.client(None, dob_data_quality=9), world.client("2000-01-01")
    eh = world.enroll(h, psh, "2025-11-01", household="HH", move_in_date=date(2025, 11, 20), **CH)
    ek = world.enroll(k, psh, "2025-11-01", household="HH", relationship=2)
    el = world.enroll(lone, es, "2025-09-01", exit="2026-02-01", destination=116, **CH)
    ey = world.enroll(y, es, "2025-10-01", **CH)
    world.enroll(u, es, "2026-01-01", **CH)
    en = world.enroll(n, es, "2025-10-05", disabling_condition=0, living_situation=116)
    world.disability(h, eh, "2025-11-01", 9)
    world.disability(h, eh, "2025-11-01", 10, response=3)
    world.disability(h, eh, "2026-03-01", 9, stage=2)
    world.disability(h, eh, "2026-03-01", 10, response=1, stage=2)
    world.disability(k, ek, "2025-11-01", 6)
    world.disability(lone, el, "2025-09-01", 7)
    world.disability(lone, el, "2026-02-01", 5, stage=3)
    world.disability(lone, el, "2026-02-01", 8, response=0, stage=3)
    world.disability(y, ey, "2025-10-01", 9, response=8)
    world.disability(n, en, "2025-10-05", 9)
    db.session.commit()
    results = run_now("apr", ReportParameters(START, END))
    return {t["id"]: {row["label"]: row["cells"] for row in t["rows"]} for t in results["tables"]}


def test_q26d_age_of_chronically_homeless_persons(apr):
    # columns: Total, Without Children, With Children and Adults, With Only Children, Unknown
    q26d = apr["Q26d"]
    assert list(q26d) == ["0 - 17", "18 - 24", "25 - 34", "35 - 44", "45 - 54", "55 - 64", "65+",
                          "Client Doesn't Know/Prefers Not to Answer", "Data Not Collected", "Total"]
    assert q26d["0 - 17"] == [1, None, 1, 0, 0]          # K; a child is never in an adults-only household
    assert q26d["18 - 24"] == [1, 1, 0, None, 0]         # Y; adults never in a children-only household
    assert q26d["25 - 34"] == [0, 0, 0, None, 0]         # N (25) is not chronically homeless
    assert q26d["35 - 44"] == [1, 0, 1, None, 0]         # H
    assert q26d["65+"] == [1, 1, 0, None, 0]             # L, 65 at report start
    assert q26d["Client Doesn't Know/Prefers Not to Answer"] == [1, 0, 0, 0, 1]   # U
    assert q26d["Data Not Collected"] == [0, 0, 0, 0, 0]
    assert q26d["Total"] == [5, 2, 2, 0, 1]


def test_q26e_conditions_of_chronically_homeless_persons(apr):
    # columns: at start (everyone CH), at latest assessment (CH stayers), at exit (CH leavers)
    q26e = apr["Q26e"]
    assert list(q26e)[0] == "Mental Health Disorder" and list(q26e)[-1] == "Physical Disability"
    assert q26e["Mental Health Disorder"] == [1, 1, 0]       # H (N is not CH; Y's 8 is no condition)
    assert q26e["Alcohol Use Disorder"] == [0, 1, 0]         # H's update says alcohol only
    assert q26e["Drug Use Disorder"] == [0, 0, 0]
    assert q26e["Both Alcohol and Drug Use Disorders"] == [1, 0, 0]   # H at start
    assert q26e["Chronic Health Condition"] == [1, 0, 0]     # L at start; L is a leaver, not a stayer
    assert q26e["HIV/AIDS"] == [0, 0, 0]                     # L's exit record says no
    assert q26e["Developmental Disability"] == [1, 1, 0]     # K, a stayer whose latest record is the start one
    assert q26e["Physical Disability"] == [0, 0, 1]          # L at exit


def test_q26_totals_agree_with_q5a_and_q26b(apr):
    chronic = apr["Q26b"]["Chronically Homeless"]
    assert apr["Q26d"]["Total"] == chronic
    assert apr["Q5a"]["Number of Chronically Homeless Persons"][1] == chronic[0] == 5
