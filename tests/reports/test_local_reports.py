"""The shipped local reports (service use, program effectiveness) and the CAPER, on small hand-built cases."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.models import Enrollment
from hmis.reports.parameters import ReportParameters
from hmis.reports.service import run_now

from .builders import END, START

ROOT = Path(__file__).resolve().parents[2]


def _tables(key: str) -> dict:
    results = run_now(key, ReportParameters(START, END))
    return {t["id"]: {row["label"]: dict(zip(t["columns"], row["cells"])) for row in t["rows"]}
            for t in results["tables"]}


def test_service_use_counts_every_stay(world):
    sync_folder(ROOT / "report_definitions")
    shelter, rrh = world.project(0), world.project(13)
    a, b = world.client(), world.client()
    world.enroll(a, shelter, "2026-01-01", exit="2026-01-11", destination=435)   # 10 nights
    world.enroll(a, rrh, "2026-01-11")                                            # to report end + 1: 263 days
    world.enroll(b, shelter, "2025-09-21", exit="2025-10-21", destination=116)   # 20 nights in the range, 30 long
    db.session.commit()
    use = _tables("service-use")["by-project-type"]
    shelter_row = use["Emergency shelter (entry/exit)"]
    assert shelter_row["Persons"] == 2 and shelter_row["Stays"] == 2
    assert shelter_row["Bed nights in the range"] == 30 and shelter_row["Average length of stay (days)"] == 20
    assert use["Rapid re-housing"]["Persons"] == 1
    assert use["All projects"]["Persons"] == 2 and use["All projects"]["Stays"] == 3
    assert use["All projects"]["Median length of stay (days)"] == 30


def test_program_effectiveness_rates(world):
    sync_folder(ROOT / "report_definitions")
    shelter, psh = world.project(0), world.project(3)
    for destination in (410, 435, 116, 24):  # two positive, one homeless, one deceased (excluded)
        world.enroll(world.client(), shelter, "2026-01-01", exit="2026-02-01", destination=destination)
    a, b = world.client(), world.client()
    world.enroll(a, psh, "2026-01-01", move_in_date=date(2026, 1, 31))  # 30 days to move in
    world.enroll(b, psh, "2026-01-01")
    c = world.client()
    stay = world.enroll(c, shelter, "2026-03-01", exit="2026-04-01", destination=410)
    world.income(c, stay, "2026-03-01", 1, income_from_any_source=1, total_monthly_income=100)
    world.income(c, stay, "2026-04-01", 3, income_from_any_source=1, total_monthly_income=400)
    db.session.commit()
    tables = _tables("program-effectiveness")
    exits = tables["exits"]
    assert exits["Leavers"]["All projects"] == 5
    assert exits["Exited to a positive destination"]["Emergency shelter"] == 3
    assert exits["Rate of exits to positive destinations"]["Emergency shelter"] == 0.75  # 3 of 4 not excluded
    housing = tables["housing"]
    assert housing["Moved into housing"]["Permanent supportive housing"] == 1
    assert housing["Rate of moving in"]["Permanent supportive housing"] == 0.5
    assert housing["Average days from start to move-in"]["All projects"] == 30
    income = tables["income"]
    assert income["Adults with income at both points"]["All projects"] == 1
    assert income["Average change in monthly income"]["All projects"] == 300


def test_caper_length_of_participation_bands(world):
    sync_folder(ROOT / "report_definitions")
    shelter = world.project(0)
    world.enroll(world.client(), shelter, "2026-01-01", exit="2026-01-08", destination=410)  # 7 days
    world.enroll(world.client(), shelter, "2026-01-01", exit="2026-01-09", destination=410)  # 8 days
    db.session.commit()
    q22a2 = _tables("caper")["Q22a2"]
    assert q22a2["0 to 7 days"]["Leavers"] == 1 and q22a2["8 to 14 days"]["Leavers"] == 1
    assert q22a2["Total"]["Total"] == 2


def test_ce_apr_uses_the_latest_assessment_in_the_range(world):
    sync_folder(ROOT / "report_definitions")
    ce = world.project(14)
    world.ce_access_point(ce)
    a, b, c = world.client(), world.client(), world.client()
    sa_ = world.enroll(a, ce, "2025-11-01")
    world.assessment(a, sa_, "2025-11-01", assessment_type=1, prioritization=2)
    world.assessment(a, sa_, "2026-02-01", assessment_type=3, prioritization=1)  # the latest one counts
    world.event(a, sa_, "2026-02-10")
    world.event(a, sa_, "2026-03-10")
    sb = world.enroll(b, ce, "2025-11-01")
    world.assessment(b, sb, "2025-09-01")  # before the range: not in the universe
    world.enroll(c, world.project(0), "2025-11-01")  # not a CE project
    db.session.commit()
    tables = _tables("ce-apr")
    assert tables["Q5a"]["Total Number of Persons Served"]["Count of Clients"] == 1
    q9a = tables["Q9a"]
    assert q9a["In-person"]["Total"] == 1 and q9a["Phone"]["Total"] == 0
    assert tables["Q9b"]["Placed on Prioritization List (Prioritized)"]["Total"] == 1
    # Q10: both assessments in the range, and the two ES referrals (builders' default event 10)
    q10 = tables["Q10"]
    assert q10["Crisis Needs Assessment"]["Total Occurrences"] == 0
    assert q10["Housing Needs Assessment"]["Total Occurrences"] == 2
    assert q10["Referral to Emergency Shelter bed opening"]["Total Occurrences"] == 2


def test_data_quality_completeness_and_timeliness(world):
    sync_folder(ROOT / "report_definitions")
    shelter = world.project(0)
    full = {"name_data_quality": 1, "ssn_data_quality": 1, "race_none": None, "white": 1}
    good = world.client("1980-01-01", ssn="234567891", **full)
    sequential = world.client("1981-01-01", **{**full, "ssn": "123456789"})        # an SSN HUD calls invalid
    refused = world.client("1982-01-01", **{**full, "ssn": "345678912", "name_data_quality": 9})
    no_dob = world.client(None, **{**full, "ssn": "456789123"})                    # DOB missing
    for person in (good, sequential, refused, no_dob):
        world.enroll(person, shelter, "2026-01-01")  # builders record each enrollment as created on its start
    late = world.client("1983-01-01", ssn="567891234", **full)
    stay = world.enroll(late, shelter, "2026-01-10")
    record = db.session.scalars(select(Enrollment).where(Enrollment.enrollment_id == stay)).one()
    record.date_created = datetime(2026, 1, 15, 9, 0)     # entered 5 days after the start
    db.session.commit()
    tables = _tables("data-quality")
    pii = tables["Q2"]
    assert pii["Name (3.01)"]["Client Doesn't Know/Prefers Not to Answer"] == 1
    assert pii["Social Security Number (3.02)"]["Data Issues"] == 1
    assert pii["Date of Birth (3.03)"]["Information Missing"] == 1
    assert pii["Overall Score"]["Total"] == 3
    assert pii["Overall Score"]["% of Issue Rate"] == 0.6
    timeliness = tables["Q6"]
    assert timeliness["0 days"]["Number of Project Start Records"] == 4
    assert timeliness["4-6 Days"]["Number of Project Start Records"] == 1
