"""APR Q27d-Q27m (youth) on one hand-built CoC, every cell worked by hand.

Report range 2025-10-01 to 2026-09-30. Youth: 12 to 24 in a household where nobody is over 24.
Projects: TH (with a YHDP grant, funder 43, from 2025-01-01), RRH, ES (a YHDP grant that ended
2025-09-30, before the range), PSH.

  YA  born 2006-03-01 (19), alone, TH 2025-10-10 to 2026-03-10 (151 days), exits to rental with
      subsidy (435) with a housing choice voucher (433). Prior: street (116). Disabled. Homeless
      since 2025-09-01 (39 days before entry). Income: none at start; earned $500 at exit.
      4.26: two start records, the later (2025-10-11) says not enrolled, K12 dropped out; exit
      record says enrolled and attending, pursuing a diploma/GED.
  PY  born 2003-05-01 (22), HoH, RRH from 2025-11-01, household moved in 2025-11-15 (14 days),
      stayer (334 days). Prior: shelter (101). Homeless since 2025-10-01 (45 days before move-in).
      Income at start: TANF only.
  PC  PY's son, born 2024-01-01: not a youth (1 year old); makes the household "with children".
  T   born 2009-08-01 (16), alone (a children-only household), ES 2026-02-01 to 2026-02-20 (19
      days), exits to emergency shelter (101). Prior: doesn't know (8). Homeless since 2026-01-25
      (7 days). No income at start or exit; not disabled. Has a 4.26 record, but the ES grant ended.
  YB  born 2002-01-01 (23), HoH, ES from 2025-12-01 (304 days), stayer. Prior: foster care (215).
      "Homeless since" 2025-12-05 is after the start: not collected. Income at start: prefers not
      to answer (8).
  YP  born 2004-06-01 (21), YB's partner (relationship 3), same stay: no prior living situation,
      no 3.917.3 date, no income record.
  Z   born 2001-07-01 (24 at report start), alone, PSH 2025-06-01 to 2026-01-15 (228 days), never
      moved in, exits to 435 with no subsidy type. Prior: rental (410). Disabled. SSDI at start and exit.
  W   born 2004-02-01 (21), alone, PSH from 2024-12-01, moved in 2025-01-10, stayer (669 days); the
      annual assessment is due (anniversary 2025-12-01) and done 2025-12-10: earned $800 + SSI $100.
      Earned $700 at start. Prior: safe haven (118). Homeless since 2024-06-01 (223 days before move-in).
  OA, OY  born 1995 and 2005, one ES household: OY is 20 but OA is over 24, so neither is a youth.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import yaml

from hmis.extensions import db
from hmis.models import Funder, YouthEducationStatus
from hmis.reports.definition import load_definition
from hmis.reports.engine import run_report
from hmis.reports.parameters import ReportParameters

from .builders import END, START, d

ROOT = Path(__file__).resolve().parents[2]
NONE5 = [0, 0, 0, 0, 0]


def funder(world, project_id: str, code: int, start: str, end: str | None = None) -> None:
    db.session.add(Funder(data_source_id=world.source.id, funder_id=world._id("F"), project_id=project_id,
                          funder=code, start_date=d(start), end_date=d(end) if end else None))
    db.session.flush()


def education(world, personal_id: str, enrollment_id: str, on: str, stage: int, *, attend: int | None,
              recent: int | None = None, current: int | None = None) -> None:
    db.session.add(YouthEducationStatus(
        data_source_id=world.source.id, youth_education_status_id=world._id("Y"), enrollment_id=enrollment_id,
        personal_id=personal_id, information_date=d(on), data_collection_stage=stage,
        current_school_attend=attend, most_recent_ed_status=recent, current_ed_status=current))
    db.session.flush()


def run_apr(*table_ids: str) -> dict:
    """The shipped APR definition, cut down to the tables a test reads (the whole APR per test is slow)."""
    body = yaml.safe_load((ROOT / "report_definitions" / "apr.yaml").read_text())
    body["tables"] = [table for table in body["tables"] if table["id"] in table_ids]
    assert {table["id"] for table in body["tables"]} == set(table_ids)
    return run_report(load_definition(body), ReportParameters(START, END), db.session.connection())


def tables(results: dict) -> dict[str, dict[str, list]]:
    return {t["id"]: {row["label"]: row["cells"] for row in t["rows"]} for t in results["tables"]}


@pytest.fixture
def youth_coc(world):
    th, rrh, es, psh = world.project(2), world.project(13), world.project(0), world.project(3)
    funder(world, th, 43, "2025-01-01")
    funder(world, es, 43, "2024-10-01", "2025-09-30")
    ya, py, pc, t = (world.client("2006-03-01"), world.client("2003-05-01"), world.client("2024-01-01"),
                     world.client("2009-08-01"))
    yb, yp, z, w = (world.client("2002-01-01"), world.client("2004-06-01"), world.client("2001-07-01"),
                    world.client("2004-02-01"))
    oa, oy = world.client("1995-01-01"), world.client("2005-01-01")

    e_ya = world.enroll(ya, th, "2025-10-10", exit="2026-03-10", destination=435, living_situation=116,
                        disabling_condition=1, date_to_street_essh=date(2025, 9, 1),
                        exit_fields={"destination_subsidy_type": 433})
    e_py = world.enroll(py, rrh, "2025-11-01", household="HP", move_in_date=date(2025, 11, 15), living_situation=101,
                        date_to_street_essh=date(2025, 10, 1))
    world.enroll(pc, rrh, "2025-11-01", household="HP", relationship=2)
    e_t = world.enroll(t, es, "2026-02-01", exit="2026-02-20", destination=101, living_situation=8,
                       date_to_street_essh=date(2026, 1, 25))
    e_yb = world.enroll(yb, es, "2025-12-01", household="HB", living_situation=215, disabling_condition=1,
                        date_to_street_essh=date(2025, 12, 5))
    world.enroll(yp, es, "2025-12-01", household="HB", relationship=3, living_situation=99)
    e_z = world.enroll(z, psh, "2025-06-01", exit="2026-01-15", destination=435, living_situation=410,
                       disabling_condition=1)
    e_w = world.enroll(w, psh, "2024-12-01", move_in_date=date(2025, 1, 10), living_situation=118,
                       date_to_street_essh=date(2024, 6, 1))
    world.enroll(oa, es, "2025-10-01", household="HO", living_situation=116)
    world.enroll(oy, es, "2025-10-01", household="HO", relationship=3, living_situation=116)

    world.income(ya, e_ya, "2025-10-10", 1, income_from_any_source=0)
    world.income(ya, e_ya, "2026-03-10", 3, income_from_any_source=1, earned=1, earned_amount=500)
    world.income(py, e_py, "2025-11-01", 1, income_from_any_source=1, tanf=1, tanf_amount=300)
    world.income(t, e_t, "2026-02-01", 1, income_from_any_source=0)
    world.income(t, e_t, "2026-02-20", 3, income_from_any_source=0)
    world.income(yb, e_yb, "2025-12-01", 1, income_from_any_source=8)
    world.income(z, e_z, "2025-06-01", 1, income_from_any_source=1, ssdi=1, ssdi_amount=900)
    world.income(z, e_z, "2026-01-15", 3, income_from_any_source=1, ssdi=1, ssdi_amount=900)
    world.income(w, e_w, "2024-12-01", 1, income_from_any_source=1, earned=1, earned_amount=700)
    world.income(w, e_w, "2025-12-10", 5, income_from_any_source=1, earned=1, earned_amount=800, ssi=1,
                 ssi_amount=100)

    education(world, ya, e_ya, "2025-10-10", 1, attend=1)
    education(world, ya, e_ya, "2025-10-11", 1, attend=0, recent=2)
    education(world, ya, e_ya, "2026-03-10", 3, attend=2, current=0)
    education(world, t, e_t, "2026-02-01", 1, attend=2, current=0)
    db.session.commit()
    return world


def rows(results: dict, table_id: str) -> list[tuple[str, list]]:
    """(label, cells) in order: Sage reads cells by position, and labels such as "Subtotal" repeat."""
    table = next(t for t in results["tables"] if t["id"] == table_id)
    return [(row["label"], row["cells"]) for row in table["rows"]]


YOUTH_TABLES = ("Q5a", "Q22c", "Q23c", "Q27a", "Q27d", "Q27e", "Q27f1", "Q27f2", "Q27g", "Q27h", "Q27i", "Q27j",
                "Q27k", "Q27l", "Q27m")


@pytest.fixture
def results(youth_coc):
    return run_apr(*YOUTH_TABLES)


@pytest.fixture
def apr(results):
    return tables(results)


def test_q27d_living_situation_of_youth_heads_of_household(results):
    # columns: Total, Without Children, With Children and Adults, With Only Children, Unknown
    q27d = rows(results, "Q27d")
    assert len(q27d) == 31 and "Other Situations" not in dict(q27d)   # HUD's youth shell has no such header
    assert q27d[0] == ("Homeless Situations", [None] * 5)
    # list positions: 1-4 homeless (116, 101, 118, subtotal), 5-12 institutional, 13-20 temporary, 21-26 permanent
    assert [cells for _, cells in q27d[1:5]] == [[1, 1, 0, 0, 0], [1, 0, 1, 0, 0], [1, 1, 0, 0, 0], [3, 2, 1, 0, 0]]
    assert q27d[5][0] == "Institutional Settings"
    assert q27d[6][1] == [1, 1, 0, 0, 0] and q27d[12] == ("Subtotal", [1, 1, 0, 0, 0])    # YB, foster care
    assert q27d[13][0] == "Temporary Situations" and q27d[20] == ("Subtotal", NONE5)
    assert q27d[21][0] == "Permanent Situations"
    assert q27d[22][1] == [1, 1, 0, 0, 0] and q27d[26] == ("Subtotal", [1, 1, 0, 0, 0])   # Z, rental 410
    assert q27d[27:] == [("Client Doesn't Know/Prefers Not to Answer", [1, 0, 0, 1, 0]),   # T
                         ("Data Not Collected", NONE5), ("Subtotal", [1, 0, 0, 1, 0]),
                         ("Total", [6, 4, 1, 1, 0])]            # YA, PY, T, YB, Z, W (YP is not the HoH)


def test_q27e_q27j_length_of_participation(apr):
    # Q27e columns: Total, Leavers, Stayers
    q27e = apr["Q27e"]
    assert q27e["30 days or less"] == [1, 1, 0]               # T, 19 days
    assert q27e["91 to 180 days"] == [1, 1, 0]                # YA, 151
    assert q27e["181 to 365 days"] == [4, 1, 3]               # Z 228 (leaver); PY 334, YB and YP 304
    assert q27e["366 to 730 days (1-2 Yrs)"] == [1, 0, 1]     # W 669
    assert q27e["Total"] == [7, 3, 4]
    q27j = apr["Q27j"]   # columns: Leavers, Stayers
    assert q27j["Average Length"] == [132.6667, 402.75]       # (19+151+228)/3; (334+304+304+669)/4 (Data Lab: 4 decimals)
    assert q27j["Median Length"] == [151, 319]                # middle of 19, 151, 228; (304+334)/2


def test_q27f1_destinations_of_youth_leavers(results):
    q27f1 = rows(results, "Q27f1")
    assert len(q27f1) == 42
    assert q27f1[2][1] == [1, 0, 0, 1, 0] and q27f1[4] == ("Subtotal", [1, 0, 0, 1, 0])   # T to 101
    assert [cells[0] for _, cells in q27f1[23:30]] == [0, 0, 0, 0, 2, 0, 0]   # 422 423 426 410 435 421 411
    assert q27f1[30] == ("Subtotal", [2, 2, 0, 0, 0])                 # YA and Z to 435
    assert q27f1[38] == ("Total", [3, 2, 0, 1, 0])
    assert q27f1[39][1] == [2, 2, 0, 0, 0]                            # positive: 435 from TH and PSH
    assert q27f1[40][1] == NONE5                                      # nobody excluded
    assert q27f1[41] == ("Percentage", [0.6667, 1.0, None, 0.0, None])


def test_q27f2_subsidy_total_is_the_sum_of_its_rows(results):
    q27f2 = rows(results, "Q27f2")
    assert len(q27f2) == 12
    assert q27f2[3][1] == [1, 1, 0, 0, 0]                # order 428, 419, 431, 433: YA's voucher
    assert q27f2[-1] == ("Total", [1, 1, 0, 0, 0])       # Z (435 without a subsidy type) is in no row


def test_q27g_income_sources_of_youth(apr):
    # columns: at start, at annual assessment (stayers due one), at exit (leavers)
    q27g = apr["Q27g"]
    assert q27g["Earned Income"] == [1, 1, 1]                              # W; W; YA
    assert q27g["Supplemental Security Income (SSI)"] == [0, 1, 0]         # W's annual assessment
    assert q27g["Social Security Disability Insurance (SSDI)"] == [1, 0, 1]   # Z
    assert q27g["Temporary Assistance for Needy Families (TANF)"] == [1, 0, 0]   # PY
    # W (start and annual yes/no); YA, T, Z (start and exit yes/no)
    assert q27g["Adults with Income Information at Start and Annual Assessment/Exit"] == [None, 1, 3]


def test_q27h_income_category_of_youth(apr):
    q27h = apr["Q27h"]
    assert q27h["Youth with Only Earned Income (i.e., Employment Income)"] == [1, 0, 1]   # W; -; YA
    assert q27h["Youth with Only Other Income"] == [2, 0, 1]            # PY, Z; -; Z
    assert q27h["Youth with Both Earned and Other Income"] == [0, 1, 0]   # W's annual assessment
    assert q27h["Youth with No Income"] == [2, 0, 1]                    # YA, T; -; T
    assert q27h["Youth with Client Doesn't Know/Prefers Not to Answer"] == [1, 0, 0]   # YB
    assert q27h["Youth with Missing Income Information"] == [1, 0, 0]   # YP has no record
    assert q27h["Number of Youth Stayers Not Yet Required to Have an Annual Assessment"] == [None, 3, None]
    assert q27h["Number of Youth Stayers Without Required Annual Assessment"] == [None, 0, None]
    assert q27h["Total Youth"] == [7, 4, 3]                             # the youth are all adults or HoH
    assert q27h["1 or More Source of Income"] == [3, 1, 2]
    assert q27h["Youth with Income Information at Start and Annual Assessment/Exit"] == [None, 1, 3]


def test_q27i_disabling_condition_and_income_at_exit(apr):
    # 16 columns: AO, AC, CO, UK x (with, without, total, % with)
    q27i = apr["Q27i"]
    assert len(q27i) == 17
    assert q27i["Earned Income"] == [1, 0, 1, 1.0] + [0, 0, 0, None] * 3              # YA
    assert q27i["Social Security Disability Insurance (SSDI)"] == [1, 0, 1, 1.0] + [0, 0, 0, None] * 3   # Z
    assert q27i["No Sources"] == [0, 0, 0, None, 0, 0, 0, None, 0, 1, 1, 0.0, 0, 0, 0, None]     # T
    assert q27i["Unduplicated Total Youth"] == [2, 0, 2, None, 0, 0, 0, None, 0, 1, 1, None, 0, 0, 0, None]


def test_q27k_time_to_move_in(apr):
    q27k = apr["Q27k"]
    assert q27k["8 to 14 days"] == [1, 0, 1, 0, 0]                      # PY (PC is not a youth)
    assert q27k["Total (persons moved into housing)"] == [1, 0, 1, 0, 0]   # W moved in before the range
    assert q27k["Average length of time to housing"] == [14, 0, 14, 0, 0]   # over nobody: 0, as HUD's answer key
    assert q27k["Persons who were exited without move-in"] == [1, 1, 0, 0, 0]   # Z
    assert q27k["Total persons"] == [2, 1, 1, 0, 0]


def test_q27l_time_prior_to_housing(apr):
    q27l = apr["Q27l"]
    assert q27l["7 days or less"] == [1, 0, 0, 1, 0]                    # T, a child HoH: their own date
    assert q27l["31 to 60 days"] == [2, 1, 1, 0, 0]                     # YA 39 (TH: start), PY 45 (RRH: move-in)
    assert q27l["181 to 365 days"] == [1, 1, 0, 0, 0]                   # W 223
    assert q27l["Total (persons moved into housing)"] == [4, 2, 1, 1, 0]
    assert q27l["Not yet moved into housing"] == [1, 1, 0, 0, 0]        # Z
    assert q27l["Data not collected"] == [2, 2, 0, 0, 0]                # YB (date after start), YP (none)
    assert q27l["Total persons"] == [7, 5, 1, 1, 0]


def test_q27m_education_of_youth_leaving_yhdp_projects(results):
    # columns: at project start, at project exit; only YA (T's ES grant ended before the range)
    q27m = rows(results, "Q27m")
    assert len(q27m) == 25 and q27m[5][1] == [None, None] and q27m[16][1] == [None, None]
    assert q27m[0] == ("Not currently enrolled in any school or educational course", [1, 0])   # the later record
    assert q27m[1][1] == [0, 0]
    assert q27m[2][1] == [0, 1]                      # enrolled and attending at exit
    assert q27m[8] == ("K12: Dropped out", [1, 0])
    assert q27m[17] == ("Pursuing a high school diploma or GED", [0, 1])
    assert [cells for _, cells in q27m[3:5] + q27m[14:16] + q27m[22:24]] == [[0, 0]] * 6
    assert q27m[-1] == ("Total persons", [1, 1])


def test_youth_tables_agree_with_q5a_and_q27a(apr):
    youth = apr["Q5a"]["Number of Youth Under Age 25"][1]
    assert youth == 7
    assert apr["Q27a"]["Total"][0] == youth == apr["Q27e"]["Total"][0] == apr["Q27l"]["Total persons"][0]
    assert apr["Q27h"]["Total Youth"][0] == youth          # every youth here is an adult or a HoH
    # the youth are a part of everyone: each youth table is at most its all-persons table
    assert apr["Q27f1"]["Total"][0] <= apr["Q23c"]["Total"][0]
    assert apr["Q27k"]["Total persons"][0] <= apr["Q22c"]["Total persons"][0]


def test_q27l_follows_hud_for_late_joining_children_and_dates_after_the_start(world):
    """Data Lab's rule: a child who joined after the HoH is left out; an adult's 3.917.3 date after
    their start is not collected even when the move-in comes later still.

      V  born 2003 (22), HoH, PSH from 2025-10-15, moved in 2025-12-01; homeless since 2025-10-20.
      C  V's daughter born 2012 (13, a youth), joined 2025-11-01 (after V): not in Q27l.
    """
    psh = world.project(3)
    v, c = world.client("2003-01-01"), world.client("2012-01-01")
    world.enroll(v, psh, "2025-10-15", household="HV", move_in_date=date(2025, 12, 1),
                 date_to_street_essh=date(2025, 10, 20))
    world.enroll(c, psh, "2025-11-01", household="HV", relationship=2)
    db.session.commit()
    q27l = tables(run_apr("Q27l"))["Q27l"]
    assert q27l["Data not collected"] == [1, 0, 1, 0, 0]
    assert q27l["Total (persons moved into housing)"] == NONE5
    assert q27l["Total persons"] == [1, 0, 1, 0, 0]


def test_q27g_q27h_annual_assessment_outside_its_window_is_missing(world):
    """The annual record must be within 30 days of the anniversary.

      A  born 2004 (21), alone, PSH from 2024-11-01 (anniversary 2025-11-01), stayer; a stage-5
         record on 2025-12-15 (44 days late) says earned income: not the annual assessment.
      B  born 2005 (20), alone, PSH from 2025-03-01 (anniversary 2026-03-01), stayer; stage-5 record
         2026-02-10 (19 days early): earned income.
    """
    psh = world.project(3)
    a, b = world.client("2004-01-01"), world.client("2005-01-01")
    ea = world.enroll(a, psh, "2024-11-01")
    eb = world.enroll(b, psh, "2025-03-01")
    world.income(a, ea, "2025-12-15", 5, income_from_any_source=1, earned=1, earned_amount=400)
    world.income(b, eb, "2026-02-10", 5, income_from_any_source=1, earned=1, earned_amount=400)
    db.session.commit()
    found = tables(run_apr("Q27g", "Q27h"))
    assert found["Q27g"]["Earned Income"] == [0, 1, 0]                                   # B only
    q27h = found["Q27h"]
    assert q27h["Number of Youth Stayers Without Required Annual Assessment"] == [None, 1, None]   # A
    assert q27h["Number of Youth Stayers Not Yet Required to Have an Annual Assessment"] == [None, 0, None]
    assert q27h["Youth with Only Earned Income (i.e., Employment Income)"] == [0, 1, 0]   # B
    assert q27h["Youth with Missing Income Information"] == [2, 0, 0]                   # no start records
    assert q27h["Total Youth"] == [2, 2, 0]
