"""APR/CAPER Q6d and Q6f, DQ report Q1-Q7 and their rate denominators, worked by hand.

Report range 2025-10-01 to 2026-09-30; every stay below is open at report end unless it says so.

Chronic homelessness data (Q6d / DQ Q5), adults alone:
  ES1  emergency shelter: A1 no 3.917.3 date, times 4, months missing -> E, G;
       A2 everything answered -> nothing.
  TH1  transitional housing: T1 from a hospital (215) with the length of stay missing -> C (and
       nothing in E-G: with no length of stay they did not have to answer 3.917.3-5);
       T2 from the street (116), no date, times "doesn't know" (8), months missing -> E, F, G;
       OLD started 2016-09-01, before HUD's cut-off -> not counted anywhere.
  PSH1 permanent supportive housing: H1 from a rental (410) with the length of stay missing -> D;
       H2 from a rental for one night (10) after the street -> had to answer, answered -> nothing;
       H2's son (8) is neither adult nor HoH -> not counted.

Inactive records (Q6f / DQ Q7):
  SO1  street outreach: S1 engaged, last contact 2026-05-01 (152 days before end) -> inactive;
       S2 engaged, contact 2026-08-15 -> active; S3 never engaged -> not in the DQ population;
       S4 started 2026-08-01 (under 90 days before end) -> not counted.
  SSO1 services only with a PATH grant: P1, no contact since starting 2026-01-01 -> inactive.
  NBN1 ES night-by-night: N1 last bed night 2026-03-01 -> inactive; N2 bed night 2026-09-01 ->
       active. The APR's and CAPER's contact row also takes night-by-night stays, as HUD's answer
       key does (Data Lab create_inactive_table): N1 and N2 have no contact -> both inactive there;
       the DQ report's Q7 keeps HUD's row label (SO and PATH SSO only).

In Q6d the outreach, night-by-night and engaged-late people above (S1, S2, S4, N1, N2: all answered)
join A1 and A2 in row 2, and P1 (no prior situation, no length of stay) is "missing time in
housing" in the SSO row: row 2 has 7 records (1 unable), the total 12 (A1, T1, T2, H1, P1 unable).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.models import CurrentLivingSituation, Funder
from hmis.reports.parameters import ReportParameters
from hmis.reports.service import run_now

from .builders import END, START, d

ROOT = Path(__file__).resolve().parents[2]


def _cls(world, personal_id: str, enrollment_id: str, on: str) -> None:
    db.session.add(CurrentLivingSituation(data_source_id=world.source.id, current_living_sit_id=world._id("L"),
                                          enrollment_id=enrollment_id, personal_id=personal_id,
                                          information_date=d(on), current_living_situation=116))
    db.session.flush()


@pytest.fixture
def dq_world(world):
    sync_folder(ROOT / "report_definitions")
    es, th, psh = world.project(0, project_id="ES1"), world.project(2, project_id="TH1"), world.project(3, project_id="PSH1")
    so, sso, nbn = world.project(4, project_id="SO1"), world.project(6, project_id="SSO1"), world.project(1, project_id="NBN1")
    db.session.add(Funder(data_source_id=world.source.id, funder_id="F21", project_id="SSO1", funder=21,
                          start_date=date(2020, 1, 1)))
    answered = {"date_to_street_essh": date(2024, 1, 1), "times_homeless_past_three_years": 4,
                "months_homeless_past_three_years": 112}
    world.enroll(world.client(), es, "2026-01-01", living_situation=116, times_homeless_past_three_years=4)
    world.enroll(world.client(), es, "2026-02-01", living_situation=116, **answered)
    world.enroll(world.client(), th, "2026-01-01", living_situation=215, length_of_stay=99)
    world.enroll(world.client(), th, "2026-01-01", living_situation=116, times_homeless_past_three_years=8)
    world.enroll(world.client(), th, "2016-09-01", living_situation=116)
    world.enroll(world.client(), psh, "2026-01-01", living_situation=410, move_in_date=date(2026, 1, 5))
    world.enroll(world.client(), psh, "2026-01-01", household="H2", living_situation=410, length_of_stay=10,
                 previous_street_essh=1, move_in_date=date(2026, 1, 5), **answered)
    world.enroll(world.client("2018-01-01"), psh, "2026-01-01", household="H2", relationship=2)
    s1, s2, s3, s4 = world.client(), world.client(), world.client(), world.client()
    e1 = world.enroll(s1, so, "2026-01-01", date_of_engagement=date(2026, 1, 2), **answered)
    e2 = world.enroll(s2, so, "2026-01-01", date_of_engagement=date(2026, 1, 2), **answered)
    world.enroll(s3, so, "2026-01-01")
    world.enroll(s4, so, "2026-08-01", date_of_engagement=date(2026, 8, 1), **answered)
    _cls(world, s1, e1, "2026-05-01")
    _cls(world, s2, e2, "2026-08-15")
    world.enroll(world.client(), sso, "2026-01-01")
    n1, n2 = world.client(), world.client()
    en1 = world.enroll(n1, nbn, "2026-01-01", **answered)
    en2 = world.enroll(n2, nbn, "2026-01-01", **answered)
    world.bed_night(n1, en1, "2026-03-01")
    world.bed_night(n2, en2, "2026-09-01")
    db.session.commit()
    return world


def _tables(key: str) -> dict[str, dict[str, list]]:
    results = run_now(key, ReportParameters(START, END))
    return {t["id"]: {row["label"]: row["cells"] for row in t["rows"]} for t in results["tables"]}


@pytest.mark.parametrize("key, chronic, inactive", [("apr", "Q6d", "Q6f"), ("caper", "Q6d", "Q6f"),
                                                   ("data-quality", "Q5", "Q7")])
def test_chronic_homelessness_and_inactive_records(dq_world, key, chronic, inactive):
    tables = _tables(key)
    ch = tables[chronic]
    # count | institution | housing | date | times | months | % unable
    assert ch["ES-EE, ES-NbN, SH, Street Outreach"] == [7, None, None, 1, 0, 1, 0.1429]
    assert ch["TH"] == [2, 1, 0, 1, 1, 1, 1.0]
    assert ch["PH (All)"] == [2, 0, 1, 0, 0, 0, 0.5]
    assert ch["CE"] == [0, 0, 0, 0, 0, 0, None]
    assert ch["SSO, Day Shelter, HP"] == [1, 0, 1, 0, 0, 0, 1.0]
    assert ch["Total"] == [12, None, None, None, None, None, 0.4167]
    q6f = tables[inactive]
    contact = [3, 2, 0.6667] if key == "data-quality" else [5, 4, 0.8]
    assert q6f["Contact (Adults and Heads of Household in Street Outreach or PATH-funded SSO)"] == contact
    assert q6f["Bed Night (All clients in ES - NBN)"] == [2, 1, 0.5]


@pytest.fixture
def rates_world(world):
    """Four people in one shelter, for the rates' denominators:
      V1  adult HoH, veteran status missing (99), left 2026-03-01 to "data not collected" (99);
      K1  V1's daughter (10), marked a veteran: a child veteran is a data issue; stays on;
      U1  HoH with no date of birth (age unknown), veteran missing, no Enrollment CoC;
      V2  adult, not a veteran, with an older stay in the same shelter that exited after this one
          started (2025-11-01 to 2026-03-01, then 2026-02-01): the later start overlaps (a project
          start issue).
    """
    sync_folder(ROOT / "report_definitions")
    es = world.project(0, project_id="ES1")
    v1, k1 = world.client(veteran_status=99), world.client("2015-06-01", veteran_status=1)
    u1, v2 = world.client(None, veteran_status=99), world.client(veteran_status=0)
    world.enroll(v1, es, "2026-01-01", household="H1", exit="2026-03-01", destination=99)
    world.enroll(k1, es, "2026-01-01", household="H1", relationship=2)
    world.enroll(u1, es, "2026-01-01", enrollment_coc=None)
    world.enroll(v2, es, "2025-11-01", exit="2026-03-01")
    world.enroll(v2, es, "2026-02-01")
    db.session.commit()
    return world


@pytest.mark.parametrize("key, ude, income", [("apr", "Q6b", "Q6c"), ("caper", "Q6b", "Q6c"),
                                              ("data-quality", "Q3", "Q4")])
def test_each_rate_divides_by_its_elements_universe(rates_world, key, ude, income):
    tables = _tables(key)
    q6b = tables[ude]
    # DK/PNTA | missing | issues | total | rate
    assert q6b["Veteran Status (3.07)"] == [0, 1, 1, 2, 0.6667]  # of 3 with a known age, not of 4
    assert q6b["Project Start Date (3.10)"] == [0, 0, 1, 1, 0.25]
    assert q6b["Relationship to Head of Household (3.15)"] == [0, 0, 0, 0, 0.0]
    assert q6b["Enrollment CoC (3.16)"] == [0, 1, 0, 1, 0.3333]  # of 3 heads of household
    q6c = tables[income]
    assert q6c["Destination (3.12)"] == [0, 1, 0, 1, 1.0]  # of 1 leaver
    assert q6c["Income and Sources (4.02) at Exit"] == [0, 1, 0, 1, 1.0]  # of 1 adult leaver
    assert q6c["Income and Sources (4.02) at Start"] == [0, 3, 0, 3, 1.0]  # of V1, U1 and V2
    assert q6c["Income and Sources (4.02) at Annual Assessment"] == [0, 0, 0, 0, None]  # nobody due


def test_dq_report_validations_match_the_apr(rates_world):
    apr, dq = _tables("apr"), _tables("data-quality")
    assert [row[0] for row in dq["Q1"].values()] == [row[0] for row in apr["Q5a"].values()]
    assert dq["Q1"]["Total Number of Persons Served"] == [4]
    assert dq["Q1"]["Number of Persons with Unknown Age"] == [1]


def test_ce_apr_lists_its_project_and_checks_pii(world):
    """One CE project; C1 assessed in range with a partial name (a data issue) and no SSN
    (missing); C2 assessed before the range (not in the CE APR at all)."""
    sync_folder(ROOT / "report_definitions")
    ce = world.project(14, project_id="CE1", name="Front Door")
    world.ce_access_point(ce)  # 2.09: only assessments made at an access point count
    c1 = world.client(name_data_quality=2, ssn_data_quality=99)
    c2 = world.client()
    e1, e2 = world.enroll(c1, ce, "2026-01-01"), world.enroll(c2, ce, "2025-06-01")
    world.assessment(c1, e1, "2026-01-02")
    world.assessment(c2, e2, "2025-06-02")
    db.session.commit()
    results = run_now("ce-apr", ReportParameters(START, END))
    assert [t["id"] for t in results["tables"]] == ["Q4a", "Q5a", "Q6a", "Q7a", "Q8a", "Q9a", "Q9b", "Q9c",
                                                    "Q9d", "Q10"]
    q4a = results["tables"][0]
    row = dict(zip(q4a["columns"], q4a["rows"][0]["cells"]))
    assert len(q4a["rows"]) == 1 and q4a["rows"][0]["label"] == "Org"
    assert (row["Project Name"], row["HMIS Project Type"], row["Total Active Clients"],
            row["Total Active Households"]) == ("Front Door", 14, 1, 1)
    q6a = {r["label"]: r["cells"] for r in results["tables"][2]["rows"]}
    assert q6a["Name (3.01)"] == [0, 0, 1, 1, 1.0]
    assert q6a["Social Security Number (3.02)"] == [0, 1, 0, 1, 1.0]


def test_the_client_level_issue_list_reaches_the_new_tables(dq_world):
    """Drilling into DQ Q7's inactive contacts lists S1 and P1; into Q5's TH unable-to-calculate
    cell, T1 and T2 (the issue list is the drill-down of each cell)."""
    from hmis.access.operations import system_actor
    from hmis.models.reports import ReportRun
    from hmis.reports import service

    run = service.start_run(system_actor(), "data-quality", {"start": "2025-10-01", "end": "2026-09-30"})
    run = db.session.get(ReportRun, run.id)
    assert run.status == "finished", run.error
    inactive = service.drilldown(system_actor(), run.id, "Q7", 0, 1)
    assert inactive["total"] == 2 and {row["project_id"] for row in inactive["rows"]} == {"SO1", "SSO1"}
    unable = service.drilldown(system_actor(), run.id, "Q5", 1, 6)
    assert unable["total"] == 2 and {row["project_id"] for row in unable["rows"]} == {"TH1"}


@pytest.mark.parametrize("key, income", [("apr", "Q6c"), ("data-quality", "Q4")])
def test_income_sources_contradicting_income_from_any_source_are_issues(published_world, key, income):
    """Start records (4.02): I1 says yes to income from any source but ticks no source; I2 says no
    but ticks SSI; I3 says yes with earned income (fine); I3's son (a child) contradicts himself
    too but children are not asked. Two issues of three adults and heads of household."""
    world = published_world
    es = world.project(0)
    i1, i2, i3, son = world.client(), world.client(), world.client(), world.client("2016-01-01")
    e1, e2 = world.enroll(i1, es, "2026-01-01"), world.enroll(i2, es, "2026-01-01")
    e3 = world.enroll(i3, es, "2026-01-01", household="I3")
    e4 = world.enroll(son, es, "2026-01-01", household="I3", relationship=2)
    world.income(i1, e1, "2026-01-01", 1, income_from_any_source=1)
    world.income(i2, e2, "2026-01-01", 1, income_from_any_source=0, ssi=1)
    world.income(i3, e3, "2026-01-01", 1, income_from_any_source=1, earned=1, earned_amount=500)
    world.income(son, e4, "2026-01-01", 1, income_from_any_source=1)
    db.session.commit()
    assert _tables(key)[income]["Income and Sources (4.02) at Start"] == [0, 0, 2, 2, 0.6667]


@pytest.fixture
def published_world(world):
    sync_folder(ROOT / "report_definitions")
    return world
