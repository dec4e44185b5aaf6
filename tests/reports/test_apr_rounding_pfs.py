"""Day averages rounded as HUD's Data Lab rounds them, and Pay for Success projects counted as PSH/RRH.

1. ``decimals`` on a value measure. HUD's Data Lab code (the answer key) writes the average of
   Q22c (APR and CAPER) and Q27k as ``round(mean(days), 0)``. R's ``round()`` takes a tie to the
   even digit: 10.5 days -> 10, 11.5 days -> 12. RRH (type 13) households, worked by hand:

     S1, S2  adults alone, start 2025-11-01, moved in 2025-11-11 and 2025-11-12: 10 and 11 days
             -> Without Children: (10 + 11) / 2 = 10.5 -> 10
     F1      HoH, start 2025-11-01, moved in 2025-11-13: 12 days
     F1k     her son (born 2018), joined 2025-11-02, takes her move-in: 11 days
             -> With Children and Adults: (12 + 11) / 2 = 11.5 -> 12
     Total: (10 + 11 + 12 + 11) / 4 = 11

2. Pay for Success. HUD's APR/CAPER specifications (reports.md Q7a/Q8a/Q22c/Q22e) and Green River's
   FY2026 generators count a type 7 (Other) project with a funder 35 grant like PSH and RRH wherever a
   housing move-in counts. (HUD's Data Lab FY2026 R code never mentions funder 35: there the rows below
   would leave these people out; HUD's sample export has no type 7 project, so nothing there changes.)

     A   youth HoH alone (born 2003) in the PFS project, start 2025-11-01, moved in 2025-11-21 (20 days),
         homeless since 2025-10-22 (30 days before she was housed); White
     B   youth HoH alone in the PFS project, 2026-01-01 to 2026-03-01, never moved in; Asian
     C   youth HoH alone in a type 7 project funded by CoC (funder 2) only, start 2025-11-01, move-in
         date 2025-11-15, homeless since 2025-10-01: in none of the rows below

   Q7a/Q8a "moved into housing": A -> 1.   Q7b/Q8b: on a PIT night PFS needs a move-in, as PSH/RRH.
   Q22c/Q27k: A in 15 to 21 days, average 20, B exited without move-in, 2 in all.   Q22e/Q27l: A in
   22 to 30 days, B not yet moved in (no housed date), 2 in all.
   Q22f: White moved in 1 (average and median 20), Asian exited without move-in 1.   Q22g: White moved
   in 1, average 30 (B left without a housed date: not in Q22g).
"""
from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import pytest

from hmis.extensions import db
from hmis.models import Funder
from hmis.reports.definition import Measure
from hmis.reports.exports import to_hud_zip, to_xlsx

from .builders import d
from .conftest import cells, run
from .shipped_apr import by_label, report_tables

WITHOUT, WITH_CHILDREN = 1, 2          # household-type columns after Total
WHITE, ASIAN = 6, 1                    # Q22f/Q22g race columns


# --------------------------------------------------------------------------- the rounding rule itself
@pytest.mark.parametrize(("value", "decimals", "expected"), [
    (10.5, 0, 10), (11.5, 0, 12), (Decimal("10.5000000000000000"), 0, 10),  # PostgreSQL's avg() is numeric
    (10.49, 0, 10), (10.51, 0, 11), (-0.5, 0, 0), (0.125, 2, 0.12), (2.675, 2, 2.67), (14.0, 0, 14),
    (None, 0, None),
])
def test_rounded_ties_to_even_as_r_does(value, decimals, expected):
    rounded = Measure("average", "x", decimals=decimals).rounded(value)
    assert rounded == expected and type(rounded) is type(expected)


def test_whole_days_come_back_as_integers():
    assert isinstance(Measure("average", "x", decimals=0).rounded(12.0), int)
    assert Measure("average", "x").rounded(10.5) == 10.5  # no decimals: untouched here (the engine's two)


@pytest.mark.parametrize(("numerator", "denominator", "expected"), [
    (1, 32, 0.0312),   # 0.03125 exactly: a tie, to the even digit (half-up gave 0.0313)
    (3, 160, 0.0187),  # 0.01875 is a hair under as a double (half-up on the exact fraction gave 0.0188)
    (7, 9, 0.7778), (1, 3, 0.3333), (2, 3, 0.6667), (5, 5, 1.0), (0, 4, 0.0), (1, 0, None),
])
def test_percentages_are_rounded_as_r_rounds_the_answer_key(numerator, denominator, expected):
    from hmis.reports.engine import _fraction

    assert _fraction(numerator, denominator) == expected


# --------------------------------------------------------------------------- the definition format
def _problems(measure: str) -> list[str]:
    from hmis.definitions.checks import check_source

    body = f"id: t\nkind: report\ntitle: T\ntables:\n  - id: T1\n    title: T\n    rows:\n" \
           f"      - {{label: A, measure: {measure}}}\n"
    return [str(problem) for problem in check_source("report", body, "t").problems]


@pytest.mark.parametrize("measure", ["{average: age, decimals: 0}", "{sum: age, decimals: 2}",
                                     "{median: age, decimals: 4}"])
def test_decimals_is_accepted_on_value_measures(measure):
    assert _problems(measure) == []


@pytest.mark.parametrize(("measure", "why"), [
    ("{average: age, decimals: -1}", "-1 is less than the minimum of 0"),
    ("{average: age, decimals: 1.5}", "1.5 is not of type 'integer'"),
    ("{average: age, decimals: '0'}", "'0' is not of type 'integer'"),
    ("{average: age, decimals: true}", "True is not of type 'integer'"),
    ("{average: age, decimals: 5}", "5 is greater than the maximum of 4"),
    ("{percent: {of: is_adult}, decimals: 0}", "'decimals' rounds a sum, average or median"),
])
def test_a_bad_decimals_is_refused_where_and_why(measure, why):
    problems = _problems(measure)
    assert len(problems) == 1, problems
    assert problems[0].startswith("line 8: tables[0].rows[0].measure.decimals: ") and why in problems[0]


def test_decimals_on_a_count_is_refused():
    # a count is one word; an object naming a count is no measure at all
    assert _problems("{persons: is_adult, decimals: 0}")
    assert any("decimals" in problem for problem in _problems("{decimals: 0}"))


# --------------------------------------------------------------------------- Q22c rounded, on both databases
@pytest.fixture
def move_ins(world):
    rrh = world.project(13)

    def stay(entry: str, move_in: str | None = None, **fields) -> str:
        person = world.client(fields.pop("dob", "1980-01-01"))
        return world.enroll(person, rrh, entry, move_in_date=d(move_in) if move_in else None, **fields)

    stay("2025-11-01", "2025-11-11")                                               # S1: 10 days
    stay("2025-11-01", "2025-11-12")                                               # S2: 11 days
    stay("2025-11-01", "2025-11-13", household="F1")                               # F1: 12 days
    stay("2025-11-02", household="F1", relationship=2, dob="2018-01-01")           # F1k: 11 days
    db.session.commit()


def test_apr_and_caper_q22c_average_is_whole_days_half_to_even(move_ins):
    for report in ("apr", "caper"):
        q22c = by_label(report_tables(report, "Q22c")["Q22c"])
        assert q22c["Total (persons moved into housing)"][:3] == [4, 2, 2]
        assert q22c["Average length of time to housing"][:3] == [11, 10, 12], report


def test_the_same_average_unrounded_keeps_two_decimals(move_ins):
    # without the option the engine's default stands (so only the cells that ask are rounded)
    results = run("""
        tables:
          - id: T
            title: T
            where: moved_in
            columns:
              - {label: Without, when: "household_type = 'without_children'"}
              - {label: With, when: "household_type = 'with_children_and_adults'"}
            rows:
              - {label: Plain, measure: {average: "days_between(entry_date, move_in_adjusted)"}}
              - {label: Whole, measure: {average: "days_between(entry_date, move_in_adjusted)", decimals: 0}}
              - {label: Median, measure: {median: "days_between(entry_date, move_in_adjusted)", decimals: 0}}
    """)
    t = cells(results, "T")
    assert t["Plain"] == {"Without": 10.5, "With": 11.5}
    assert t["Whole"] == {"Without": 10, "With": 12}
    assert t["Median"] == {"Without": 10, "With": 12}   # a median of two is their mean: rounded the same way


def test_exports_write_the_rounded_value(move_ins):
    results = run("""
        tables:
          - id: T
            title: T
            where: "moved_in and household_type = 'without_children'"
            rows:
              - {label: Average, measure: {average: "days_between(entry_date, move_in_adjusted)", decimals: 0}}
    """)
    with zipfile.ZipFile(io.BytesIO(to_hud_zip(results))) as archive:
        assert archive.read("T.csv").decode() == '"","Count"\r\n"Average",10\r\n'
    with zipfile.ZipFile(io.BytesIO(to_xlsx(results, {}, {"title": "T"}))) as archive:
        sheet = archive.read("xl/worksheets/sheet2.xml").decode()   # sheet 1 is the parameters
    assert re.findall(r'<c r="B2"[^>]*><v>([^<]*)</v>', sheet) == ["10"]


# --------------------------------------------------------------------------- Pay for Success
def _funder(world, project_id: str, code: int) -> None:
    db.session.add(Funder(data_source_id=world.source.id, funder_id=world._id("F"), project_id=project_id,
                          funder=code, start_date=d("2020-01-01")))
    db.session.flush()


@pytest.fixture
def pay_for_success(world):
    pfs, other = world.project(7, name="Pay for Success"), world.project(7, name="Other, CoC funded")
    _funder(world, pfs, 35)
    _funder(world, other, 2)
    a = world.client("2003-01-01", white=1)
    world.enroll(a, pfs, "2025-11-01", move_in_date=d("2025-11-21"), date_to_street_essh=d("2025-10-22"))
    b = world.client("2003-01-01", asian=1)
    world.enroll(b, pfs, "2026-01-01", exit="2026-03-01", destination=410)
    c = world.client("2003-01-01", white=1)
    world.enroll(c, other, "2025-11-01", move_in_date=d("2025-11-15"), date_to_street_essh=d("2025-10-01"))
    db.session.commit()


@pytest.mark.parametrize("report", ["apr", "caper"])
def test_pay_for_success_counts_like_psh_rrh(pay_for_success, report):
    t = {key: by_label(rows) for key, rows in
         report_tables(report, "Q7a", "Q8a", "Q22c", "Q22e", "Q22f", "Q22g").items()}
    # C's type 7 project has no funder 35: only A moved in, in every "moved into housing" row
    assert t["Q7a"]["For PSH & RRH - the total persons served who moved into housing"][:2] == [1, 1]
    assert t["Q8a"]["For PSH & RRH - the total households served who moved into housing"][:2] == [1, 1]
    assert t["Q7a"]["Total"][0] == 3            # C is still served, only not "moved in"

    q22c = t["Q22c"]
    assert q22c["15 to 21 days"][0] == 1
    assert q22c["Total (persons moved into housing)"][0] == 1
    assert q22c["Average length of time to housing"][0] == 20
    assert q22c["Persons who were exited without move-in"][0] == 1
    assert q22c["Total persons"][0] == 2

    q22e = t["Q22e"]
    assert q22e["22 to 30 days"][0] == 1
    assert q22e["Total (persons moved into housing)"][0] == 1
    assert q22e["Not yet moved into housing"][0] == 1
    assert q22e["Data not collected"][0] == 0
    assert q22e["Total persons"][0] == 2

    q22f = t["Q22f"]
    assert q22f["Persons Moved into housing"][WHITE] == 1 and sum(q22f["Persons Moved into housing"]) == 1
    assert q22f["Persons who were exited without move-in"][ASIAN] == 1
    assert q22f["Average time to Move-In"][WHITE] == 20 and q22f["Median time to Move-In"][WHITE] == 20

    q22g = t["Q22g"]
    assert sum(q22g["Persons Moved into housing"]) == 1 and q22g["Persons Moved into housing"][WHITE] == 1
    assert q22g["Average time to Move-In"][WHITE] == 30
    assert sum(q22g["Persons Not Yet Moved into Housing"]) == 0


@pytest.mark.parametrize("report", ["apr", "caper"])
def test_pay_for_success_needs_a_move_in_on_pit_nights(pay_for_success, report):
    # PIT nights 2025-10-29, 2026-01-28, 2026-04-29, 2026-07-29. A (moved in 2025-11-21) is there from
    # January; B (PFS, never moved in) never is, although her stay covers January's night; C's type 7
    # project without funder 35 follows the non-residential rule (a stay covering the night).
    t = {key: by_label(rows) for key, rows in report_tables(report, "Q7b", "Q8b").items()}
    for table in ("Q7b", "Q8b"):
        assert [t[table][month][0] for month in ("January", "April", "July", "October")] == [2, 2, 2, 0], table


def test_pay_for_success_youth_tables(pay_for_success):
    t = {key: by_label(rows) for key, rows in report_tables("apr", "Q27k", "Q27l").items()}
    q27k, q27l = t["Q27k"], t["Q27l"]
    assert q27k["15 to 21 days"][0] == 1 and q27k["Average length of time to housing"][0] == 20
    assert q27k["Persons who were exited without move-in"][0] == 1 and q27k["Total persons"][0] == 2
    assert q27l["22 to 30 days"][0] == 1 and q27l["Not yet moved into housing"][0] == 1
    assert q27l["Total persons"][0] == 2


def test_a_type_7_project_without_funder_35_has_no_move_in(world):
    other = world.project(7)
    _funder(world, other, 2)
    person = world.client()
    world.enroll(person, other, "2025-11-01", move_in_date=d("2025-11-15"))
    db.session.commit()
    results = run("""
        tables:
          - id: T
            title: T
            rows:
              - {label: Moved in, when: moved_in}
              - {label: Pay for Success, when: pay_for_success}
              - {label: Everyone}
    """)
    assert cells(results, "T") == {"Moved in": {"Count": 0}, "Pay for Success": {"Count": 0},
                                   "Everyone": {"Count": 1}}


def test_apr_q22b_average_has_data_labs_four_decimals(world):
    # Data Lab writes round(mean(days), 4): leavers of 10, 10 and 11 days average 10.3333 (not 10.33)
    shelter = world.project(0)
    for exit_date in ("2025-11-11", "2025-11-11", "2025-11-12"):
        world.enroll(world.client(), shelter, "2025-11-01", exit=exit_date, destination=410)
    db.session.commit()
    q22b = by_label(report_tables("apr", "Q22b")["Q22b"])
    assert q22b["Average Length"] == [10.3333, 0]
    assert q22b["Median Length"] == [10, 0]


def test_decimals_is_refused_on_a_per_project_table():
    from hmis.definitions.checks import check_source

    body = ("id: t\nkind: report\ntitle: T\ntables:\n  - id: T1\n    title: T\n    per: project\n    columns:\n"
            "      - {label: Project, field: project_name}\n"
            "      - {label: Age, measure: {average: age, decimals: 0}}\n")
    problems = [str(problem) for problem in check_source("report", body, "t").problems]
    assert problems == ["line 10: tables[0].columns[1].measure.decimals: a 'per: project' table writes its own "
                        "two decimals; it takes no 'decimals'"]
