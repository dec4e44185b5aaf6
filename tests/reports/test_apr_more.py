"""More APR/CAPER tables (Q7b, Q8b, Q13a1/b1/c1, Q14a/b, Q23d) on one hand-built CoC, worked by hand.

Report range 2025-10-01 to 2026-09-30. Its point-in-time nights (last Wednesdays) are
2025-10-29, 2026-01-28, 2026-04-29 and 2026-07-29.

The people:
  A  adult alone, ES entry/exit 2025-09-01 to 2026-01-28 (exits ON the January night, so a
     residential stay is gone that night); exit: physical disability yes, HIV/AIDS no;
     exits to rental with subsidy (435), VASH (419); no 4.11 record.
  B  adult alone, street outreach 2026-01-01 to 2026-04-29 (non-residential: an exit on the April
     night still counts); exits to 435 with an RRH subsidy (431); DV no.
  M  adult HoH, PSH from 2026-02-01, moved in 2026-05-01 (after the April night), stayer; at start:
     mental health yes, alcohol and drug use (3); update 2026-06-01: substance use no (0);
     DV yes, three to six months ago (a later record after report end says no: ignored).
  K  M's child, born 2018; at start: developmental disability yes.
  N  adult alone, ES night-by-night from 2025-10-01, bed nights 2025-10-29 and 2026-01-27; DV
     refused (9).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.models import CurrentLivingSituation, HealthAndDV
from hmis.reports import library
from hmis.reports.parameters import ReportParameters
from hmis.reports.service import run_now

from .builders import END, START, d
from .conftest import cells, run

ROOT = Path(__file__).resolve().parents[2]
NONE5 = [0, 0, 0, 0, 0]


def _dv(world, personal_id: str, enrollment_id: str, on: str, survivor: int, when: int | None = None) -> None:
    db.session.add(HealthAndDV(data_source_id=world.source.id, health_and_dvid=world._id("H"),
                               enrollment_id=enrollment_id, personal_id=personal_id, information_date=d(on),
                               domestic_violence_survivor=survivor, when_occurred=when, data_collection_stage=1))
    db.session.flush()


@pytest.fixture
def coc(world):
    sync_folder(ROOT / "report_definitions")
    es, so, psh, nbn = world.project(0), world.project(4), world.project(3), world.project(1)
    a, b, m, k, n = (world.client("1980-01-01"), world.client("1985-01-01"), world.client("1990-01-01"),
                     world.client("2018-01-01"), world.client("1970-01-01"))
    ea = world.enroll(a, es, "2025-09-01", exit="2026-01-28", destination=435,
                      exit_fields={"destination_subsidy_type": 419})
    eb = world.enroll(b, so, "2026-01-01", exit="2026-04-29", destination=435,
                      exit_fields={"destination_subsidy_type": 431})
    em = world.enroll(m, psh, "2026-02-01", household="HM", move_in_date=date(2026, 5, 1))
    ek = world.enroll(k, psh, "2026-02-01", household="HM", relationship=2)
    en = world.enroll(n, nbn, "2025-10-01")
    world.bed_night(n, en, "2025-10-29")
    world.bed_night(n, en, "2026-01-27")
    world.disability(a, ea, "2026-01-28", 5, stage=3)
    world.disability(a, ea, "2026-01-28", 8, response=0, stage=3)
    world.disability(m, em, "2026-02-01", 9)
    world.disability(m, em, "2026-02-01", 10, response=3)
    world.disability(m, em, "2026-06-01", 10, response=0, stage=2)
    world.disability(k, ek, "2026-02-01", 6)
    _dv(world, b, eb, "2026-01-01", 0)
    _dv(world, m, em, "2026-02-01", 1, when=2)
    _dv(world, m, em, "2026-10-15", 0)
    _dv(world, n, en, "2025-10-01", 9)
    db.session.commit()
    return world


@pytest.fixture(params=["apr", "caper"])
def report(request, coc):
    results = run_now(request.param, ReportParameters(START, END))
    return {t["id"]: {row["label"]: row["cells"] for row in t["rows"]} for t in results["tables"]}


def test_pit_nights_are_the_last_wednesdays_in_range():
    assert library.last_wednesday(2025, 10) == date(2025, 10, 29)
    assert library.last_wednesday(2026, 12) == date(2026, 12, 30)   # the month rolls over the year
    assert library.last_wednesday(2026, 9) == date(2026, 9, 30)     # the last day itself
    assert library.pit_date(1, START, END) == date(2026, 1, 28)
    assert library.pit_date(10, START, END) == date(2025, 10, 29)
    assert library.pit_date(7, date(2026, 1, 1), date(2026, 7, 28)) is None  # range ends the day before


def test_q7b_q8b_point_in_time(report):
    # columns: Total, Without Children, With Children and Adults, With Only Children, Unknown
    q7b = report["Q7b"]
    assert list(q7b) == ["January", "April", "July", "October"]
    assert q7b["January"] == [1, 1, 0, 0, 0]    # B only: A left that night, N had no bed night
    assert q7b["April"] == [1, 1, 0, 0, 0]      # B (outreach exit on the night); M, K not moved in yet
    assert q7b["July"] == [2, 0, 2, 0, 0]       # M and K
    assert q7b["October"] == [2, 2, 0, 0, 0]    # A and N (bed night on the night)
    q8b = report["Q8b"]
    assert q8b["July"] == [1, 0, 1, 0, 0] and q8b["October"] == [2, 2, 0, 0, 0]


def test_q13_conditions_by_stage(report):
    # columns: Total, Without Children, Adults in HH w/ C&A, Children in HH w/ C&A, Only Children, Unknown
    a1 = report["Q13a1"]
    assert list(a1)[0] == "Mental Health Disorder" and list(a1)[-1] == "Physical Disability"
    assert a1["Mental Health Disorder"] == [1, 0, 1, 0, 0, 0]
    assert a1["Both Alcohol and Drug Use Disorders"] == [1, 0, 1, 0, 0, 0]
    assert a1["Alcohol Use Disorder"] == [0] * 6
    assert a1["Developmental Disability"] == [1, 0, 0, 1, 0, 0]
    assert a1["Physical Disability"] == [0] * 6              # A's record is an exit record
    b1 = report["Q13b1"]
    assert b1["Physical Disability"] == [1, 1, 0, 0, 0, 0]
    assert b1["HIV/AIDS"] == [0] * 6 and b1["Mental Health Disorder"] == [0] * 6
    c1 = report["Q13c1"]
    assert c1["Mental Health Disorder"] == [1, 0, 1, 0, 0, 0]
    assert c1["Both Alcohol and Drug Use Disorders"] == [0] * 6   # the later update says no
    assert c1["Developmental Disability"] == [1, 0, 0, 1, 0, 0]
    assert c1["Physical Disability"] == [0] * 6              # A is a leaver


def test_q14_domestic_violence(report):
    q14a = report["Q14a"]
    assert q14a["Yes"] == [1, 0, 1, 0, 0]                    # M: the record after report end is ignored
    assert q14a["No"] == [1, 1, 0, 0, 0]
    assert q14a["Client Doesn't Know/Prefers Not to Answer"] == [1, 1, 0, 0, 0]
    assert q14a["Data Not Collected"] == [1, 1, 0, 0, 0]      # A; the child K is not asked
    assert q14a["Total"] == [4, 3, 1, 0, 0]
    q14b = report["Q14b"]
    assert q14b["Three to six months ago"] == [1, 0, 1, 0, 0]
    assert q14b["Within the past three months"] == NONE5
    assert q14b["Total"] == [1, 0, 1, 0, 0]


def test_q23d_subsidy_types_in_hud_order(report):
    q23d = report["Q23d"]
    labels = list(q23d)
    assert labels[0] == "GPD TIP housing subsidy" and labels[1] == "VASH housing subsidy"
    assert labels[-1] == "Total" and len(labels) == 12
    assert q23d["VASH housing subsidy"] == [1, 1, 0, 0, 0]
    assert q23d["RRH or equivalent subsidy"] == [1, 1, 0, 0, 0]
    assert q23d["Total"] == [2, 2, 0, 0, 0]


def test_pit_attribute_in_an_inline_definition(world):
    """The library rule on its own: an OPH stay counts without a move-in date (only PSH and RRH need
    one, reports.md Q7b), as does a TH stayer."""
    oph, th = world.project(9), world.project(2)
    world.enroll(world.client(), oph, "2025-06-01")
    world.enroll(world.client(), th, "2025-06-01")
    result = cells(run("""
        tables:
          - id: P
            title: PIT
            rows:
              - {label: October, when: pit_october}
              - {label: July, when: pit_july}
    """), "P")
    assert result == {"October": {"Count": 2}, "July": {"Count": 2}}


# --------------------------------------------------------------------------- Q9a, Q9b, Q22e
# Outreach (street outreach unless said):
#   P1 adult from 2025-09-01; 4.12 on 2025-09-05 (street, 116), 2025-11-01 (ES, 101), 2025-12-01 (410);
#      engaged 2025-12-01; a 4.12 after the engagement (2026-01-10) is not a contact -> 3 contacts, WAS.
#   P2 adult from 2026-02-01, engaged that day with no 4.12 -> the engagement is 1 contact, unable (37).
#   P3 adult from 2026-03-01, one 4.12 (410), not engaged -> once, NOT staying on the street.
#   P4 adult from 2025-01-01, only a 4.12 before the range, not engaged -> not contacted in the range.
#   P5 adult in ES entry/exit with a 4.12 in range -> not an outreach project type.
# Time prior to housing (3.917.3 date to the housed date):
#   H  adult alone, ES from 2026-01-10, homeless since 2026-01-01 -> 9 days.
#   M  PSH HoH from 2025-12-01, moved in 2026-01-01, homeless since 2025-06-01 -> 214 days;
#   K  M's child, same start, no date of its own -> takes M's date: 214 days.
#   Q  PSH adult from 2026-02-01, never moved in -> not yet moved into housing.
#   T  TH adult from 2026-03-01, no 3.917.3 date -> data not collected.


def _cls(world, personal_id: str, enrollment_id: str, on: str, situation: int) -> None:
    db.session.add(CurrentLivingSituation(data_source_id=world.source.id, current_living_sit_id=world._id("L"),
                                          enrollment_id=enrollment_id, personal_id=personal_id,
                                          information_date=d(on), current_living_situation=situation))
    db.session.flush()


@pytest.fixture(params=["apr", "caper"])
def outreach(request, world):
    sync_folder(ROOT / "report_definitions")
    so, es, psh, th = world.project(4), world.project(0), world.project(3), world.project(2)
    p1, p2, p3, p4, p5 = (world.client() for _ in range(5))
    e1 = world.enroll(p1, so, "2025-09-01", date_of_engagement=d("2025-12-01"))
    for on, situation in (("2025-09-05", 116), ("2025-11-01", 101), ("2025-12-01", 410), ("2026-01-10", 101)):
        _cls(world, p1, e1, on, situation)
    world.enroll(p2, so, "2026-02-01", date_of_engagement=d("2026-02-01"))
    _cls(world, p3, world.enroll(p3, so, "2026-03-01"), "2026-03-01", 410)
    _cls(world, p4, world.enroll(p4, so, "2025-01-01"), "2025-02-01", 116)
    _cls(world, p5, world.enroll(p5, es, "2026-01-05", date_to_street_essh=d("2026-01-05")), "2026-01-05", 116)
    h, m, k, q, t = (world.client("1980-01-01"), world.client("1985-01-01"), world.client("2019-01-01"),
                     world.client("1975-01-01"), world.client("1970-01-01"))
    world.enroll(h, es, "2026-01-10", date_to_street_essh=d("2026-01-01"))
    world.enroll(m, psh, "2025-12-01", household="HM", move_in_date=date(2026, 1, 1),
                 date_to_street_essh=d("2025-06-01"))
    world.enroll(k, psh, "2025-12-01", household="HM", relationship=2)
    world.enroll(q, psh, "2026-02-01", date_to_street_essh=d("2025-01-01"))
    world.enroll(t, th, "2026-03-01")
    db.session.commit()
    results = run_now(request.param, ReportParameters(START, END))
    return {t["id"]: {row["label"]: row["cells"] for row in t["rows"]} for t in results["tables"]}


def test_q9a_q9b_contacts_and_engagements(outreach):
    # columns: All Persons Contacted, NOT staying on streets/ES/SH, WAS staying there, worker unable
    q9a = outreach["Q9a"]
    assert q9a["Once"] == [2, 1, 0, 1]
    assert q9a["2-5 Times"] == [1, 0, 1, 0]
    assert q9a["6-9 Times"] == [0, 0, 0, 0] and q9a["10+ Times"] == [0, 0, 0, 0]
    assert q9a["Total Persons Contacted"] == [3, 1, 1, 1]
    q9b = outreach["Q9b"]
    assert q9b["Once"] == [1, 0, 0, 1]
    assert q9b["2-5 Contacts"] == [1, 0, 1, 0]
    assert q9b["Total Persons Engaged"] == [2, 0, 1, 1]
    assert q9b["Rate of Engagement"] == [0.6667, 0.0, 1.0, 1.0]


def test_q22e_time_prior_to_housing(outreach):
    # columns: Total, Without Children, With Children and Adults, With Only Children, Unknown
    q22e = outreach["Q22e"]
    assert q22e["8 to 14 days"] == [1, 1, 0, 0, 0]
    assert q22e["181 to 365 days"] == [2, 0, 2, 0, 0]           # the child inherits the HoH's date
    # P5's ES stay counts too (homeless since its start: 0 days); street outreach stays are outside
    assert q22e["7 days or less"] == [1, 1, 0, 0, 0]
    assert q22e["Total (persons moved into housing)"] == [4, 2, 2, 0, 0]
    assert q22e["Not yet moved into housing"] == [1, 1, 0, 0, 0]
    assert q22e["Data not collected"] == [1, 1, 0, 0, 0]
    assert q22e["Total persons"] == [6, 4, 2, 0, 0]


# --------------------------------------------------------------------------- Q19b, Q24a
# Leavers of an ES (2025-11-01 to 2026-02-01), with exit income records on the exit date:
#   L1 adult alone, disabling condition yes; earned income and SSDI.
#   L2 adult alone, disabling condition no; no income (any source 0).
#   L3 adult HoH with a child (both leave); disabling condition yes; SSDI.
#   L4 adult alone, disabling condition refused (9) -> outside Q19b.
#   L5 adult alone, disabling condition yes, exit income "data not collected" -> outside Q19b.
# Homelessness prevention (type 12): V1 kept the housing with the subsidy held at start, V2 moved to
# a new unit without a subsidy, V3 no housing assessment, V4 a stayer (outside Q24a).


@pytest.fixture
def leavers(world):
    sync_folder(ROOT / "report_definitions")
    es, hp = world.project(0), world.project(12)

    def leave(dob: str, condition: int, household: str | None = None, relationship: int = 1, **income) -> None:
        person = world.client(dob)
        stay = world.enroll(person, es, "2025-11-01", exit="2026-02-01", destination=410, household=household,
                            relationship=relationship, disabling_condition=condition)
        if income:
            world.income(person, stay, "2026-02-01", 3, **income)

    leave("1980-01-01", 1, income_from_any_source=1, earned=1, earned_amount=500, ssdi=1, ssdi_amount=900)
    leave("1981-01-01", 0, income_from_any_source=0)
    leave("1982-01-01", 1, household="HF", income_from_any_source=1, ssdi=1, ssdi_amount=900)
    leave("2015-01-01", 0, household="HF", relationship=2)
    leave("1983-01-01", 9, income_from_any_source=0)
    leave("1984-01-01", 1, income_from_any_source=99)
    for assessment, subsidy in ((1, 2), (2, 12), (None, None)):
        world.enroll(world.client(), hp, "2025-12-01", exit="2026-03-01", destination=410,
                     exit_fields={"housing_assessment": assessment, "subsidy_information": subsidy})
    world.enroll(world.client(), hp, "2025-12-01")
    db.session.commit()

    def tables(report_id: str) -> dict:
        results = run_now(report_id, ReportParameters(START, END))
        return {t["id"]: {row["label"]: row["cells"] for row in t["rows"]} for t in results["tables"]}
    return tables


@pytest.mark.parametrize("report_id", ["apr", "caper"])
def test_q19b_disabling_conditions_and_income_at_exit(leavers, report_id):
    q19b = leavers(report_id)["Q19b"]
    # per household type (AO adults only, AC with children, UK unknown): with DC, without DC, total, % with DC
    assert list(q19b)[0] == "Earned Income" and list(q19b)[-2:] == ["No Sources", "Unduplicated Total Adults"]
    assert q19b["Earned Income"] == [1, 0, 1, 1.0, 0, 0, 0, None, 0, 0, 0, None]
    assert q19b["Social Security Disability Insurance (SSDI)"] == [1, 0, 1, 1.0, 1, 0, 1, 1.0, 0, 0, 0, None]
    assert q19b["No Sources"] == [0, 1, 1, 0.0, 0, 0, 0, None, 0, 0, 0, None]
    assert q19b["Unduplicated Total Adults"] == [1, 1, 2, 0.5, 1, 0, 1, 1.0, 0, 0, 0, None]


def test_q24a_prevention_housing_assessment_at_exit(leavers):
    q24a = leavers("caper")["Q24a"]
    assert q24a["Able to maintain the housing they had at project start--With the subsidy they had at project start"] \
        == [1, 1, 0, 0, 0]
    assert q24a["Moved to new housing unit--Without an on-going subsidy"] == [1, 1, 0, 0, 0]
    assert q24a["Data not collected (no exit interview completed)"] == [1, 1, 0, 0, 0]
    assert q24a["Total"] == [3, 3, 0, 0, 0]               # the ES leavers and the HP stayer are outside


# --------------------------------------------------------------------------- Q23e, Q26a
@pytest.mark.parametrize("report_id", ["apr", "caper"])
def test_q23e_destination_band_by_race_group(world, report_id):
    sync_folder(ROOT / "report_definitions")
    es = world.project(0)
    world.enroll(world.client(white=1), es, "2025-11-01", exit="2026-01-01", destination=116)
    world.enroll(world.client(hispanic_latinao=1, white=1), es, "2025-11-01", exit="2026-01-01", destination=410)
    world.enroll(world.client(black_af_american=1, asian=1), es, "2025-11-01", exit="2026-01-01", destination=24)
    world.enroll(world.client(race_none=9), es, "2025-11-01")                 # a stayer: outside
    db.session.commit()
    q23e = next(t for t in run_now(report_id, ReportParameters(START, END))["tables"] if t["id"] == "Q23e")
    assert q23e["columns"][0] == "Total" and q23e["columns"][8] == "At Least 1 Race and Hispanic/Latina/e/o"
    rows = {row["label"]: row["cells"] for row in q23e["rows"]}
    # Total, 7 single races (AIAN, Asian, Black, Hispanic, MENA, NHPI, White), 1+ race and Hispanic,
    # multi-racial without Hispanic, unknown
    assert rows["Homeless Situations"] == [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    assert rows["Permanent Situations"] == [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]
    assert rows["Other Situations"] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]
    assert rows["Total"] == [3, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0]


def test_q26a_household_chronic_status_by_precedence(world):
    sync_folder(ROOT / "report_definitions")
    es = world.project(0)
    chronic = {"disabling_condition": 1, "living_situation": 116, "times_homeless_past_three_years": 4,
               "months_homeless_past_three_years": 112}
    # H1: a chronically homeless HoH with a child -> yes
    world.enroll(world.client(), es, "2025-11-01", household="H1", **chronic)
    world.enroll(world.client("2018-01-01"), es, "2025-11-01", household="H1", relationship=2)
    # H2: HoH no, other adult DK/PNTA (disabling condition refused) -> dk_pnta
    world.enroll(world.client(), es, "2025-11-01", household="H2")
    world.enroll(world.client(), es, "2025-11-01", household="H2", relationship=3, disabling_condition=9)
    world.enroll(world.client(), es, "2025-11-01", household="H3")                              # no
    world.enroll(world.client(), es, "2025-11-01", household="H4", disabling_condition=None)    # missing
    db.session.commit()
    q26a = next(t for t in run_now("apr", ReportParameters(START, END))["tables"] if t["id"] == "Q26a")
    rows = {row["label"]: row["cells"] for row in q26a["rows"]}
    assert rows["Chronically Homeless"] == [1, 0, 1, 0, 0]
    assert rows["Not Chronically Homeless"] == [1, 1, 0, 0, 0]
    assert rows["Client Doesn't Know/Prefers Not to Answer"] == [1, 1, 0, 0, 0]
    assert rows["Data Not Collected"] == [1, 1, 0, 0, 0]
    assert rows["Total"] == [4, 3, 1, 0, 0]


def test_q27b_parenting_youth(world):
    sync_folder(ROOT / "report_definitions")
    es = world.project(0)
    # Y1: a 17-year-old HoH with a baby
    world.enroll(world.client("2008-06-01"), es, "2025-11-01", household="Y1")
    world.enroll(world.client("2025-01-01"), es, "2025-11-01", household="Y1", relationship=2)
    # Y2: a 20-year-old HoH, a 19-year-old partner and two children
    world.enroll(world.client("2005-06-01"), es, "2025-11-01", household="Y2")
    world.enroll(world.client("2006-06-01"), es, "2025-11-01", household="Y2", relationship=3)
    for born in ("2023-01-01", "2024-01-01"):
        world.enroll(world.client(born), es, "2025-11-01", household="Y2", relationship=2)
    world.enroll(world.client("2003-06-01"), es, "2025-11-01", household="Y3")          # youth, no child
    world.enroll(world.client("1995-01-01"), es, "2025-11-01", household="Y4")          # a 30-year-old parent
    world.enroll(world.client("2020-01-01"), es, "2025-11-01", household="Y4", relationship=2)
    db.session.commit()
    q27b = next(t for t in run_now("apr", ReportParameters(START, END))["tables"] if t["id"] == "Q27b")
    rows = {row["label"]: row["cells"] for row in q27b["rows"]}
    # Total parenting youth, children of parenting youth, persons, households
    assert rows["Parent youth < 18"] == [1, 1, 2, 1]
    assert rows["Parent youth 18 to 24"] == [2, 2, 4, 1]


# --------------------------------------------------------------------------- CE APR Q9c, Q9d
def test_ce_apr_q9c_q9d_event_after_the_latest_assessment(world):
    sync_folder(ROOT / "report_definitions")
    ce = world.project(14)
    world.ce_access_point(ce)
    c1 = world.client()
    s1 = world.enroll(c1, ce, "2026-01-10")
    world.assessment(c1, s1, "2026-01-10")
    world.assessment(c1, s1, "2026-03-01")          # the latest in range: events count from here
    world.event(c1, s1, "2026-01-15", 2)            # before it: ignored
    world.event(c1, s1, "2026-03-05", 1)            # access
    world.event(c1, s1, "2026-03-10", 13)
    world.event(c1, s1, "2026-03-20", 14)           # the latest referral wins
    c2 = world.client()
    s2 = world.enroll(c2, ce, "2026-09-01")
    world.assessment(c2, s2, "2026-09-01")
    world.event(c2, s2, "2026-10-15", 10)           # after report end, inside the 90 days
    c3 = world.client()
    s3 = world.enroll(c3, ce, "2026-09-20")
    world.assessment(c3, s3, "2026-09-20")
    world.event(c3, s3, "2026-09-25", 3)
    world.assessment(c3, s3, "2026-10-05")          # a later assessment closes the window
    world.event(c3, s3, "2026-10-10", 11)
    db.session.commit()
    tables = {t["id"]: {row["label"]: row["cells"] for row in t["rows"]}
              for t in run_now("ce-apr", ReportParameters(START, END))["tables"]}
    # one event per household, the latest (HUD's answer key): c1's PSH referral, c2's ES, c3's crisis
    # needs assessment referral; columns Total, Without Children, ... (households of one)
    q9c, q9d = tables["Q9c"], tables["Q9d"]
    assert q9c["Referral to Prevention Assistance project"][0] == 0      # c1's, before its PSH referral
    assert q9c["Problem Solving/Diversion/Rapid Resolution intervention or service"][0] == 0
    assert q9c["Referral to scheduled Coordinated Entry Crisis Needs Assessment"][0] == 1
    assert q9c["Total"][0] == 1
    assert q9d["PSH project resource opening"][0] == 1 and q9d["RRH project resource opening"][0] == 0
    assert q9d["Emergency Shelter bed opening"][0] == 1 and q9d["Transitional Housing bed/unit opening"][0] == 0
    assert q9d["Total"][0] == 2


def test_q13_number_of_conditions(coc):
    tables = {t["id"]: {row["label"]: row["cells"] for row in t["rows"]}
              for t in run_now("apr", ReportParameters(START, END))["tables"]}
    # columns as in Q13a1; A, B and N have no condition and disabling condition "no"
    a2 = tables["Q13a2"]
    assert a2["None"] == [3, 3, 0, 0, 0, 0]
    assert a2["1 Condition"] == [1, 0, 0, 1, 0, 0]           # K: developmental
    assert a2["2 Conditions"] == [1, 0, 1, 0, 0, 0]          # M: mental health, alcohol and drugs (one condition)
    assert a2["Condition Unknown"] == [0] * 6
    assert a2["Total"] == [5, 3, 1, 1, 0, 0]
    b2 = tables["Q13b2"]
    assert b2["1 Condition"] == [1, 1, 0, 0, 0, 0] and b2["None"] == [1, 1, 0, 0, 0, 0] and b2["Total"][0] == 2
    c2 = tables["Q13c2"]
    assert c2["1 Condition"] == [2, 0, 1, 1, 0, 0]           # M's substance use is "no" on the later record
    assert c2["None"] == [1, 1, 0, 0, 0, 0]
