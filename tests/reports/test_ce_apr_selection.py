"""CE APR Q9a-Q9d and Q10: which assessment and which event count, and the FY2026 shells.

Rules (reports.md §2.4, read against HUD's answer key, DataLab CE_APR.R, which the definition follows
where the sources differ; see the comments at the top of report_definitions/ce-apr.yaml):

* Only assessments made while the project was a CE access point (2.09) count; a household is in when its
  latest one in the range falls inside the stays (members there that day count with the head).
* Q9a/Q9b read the household's latest assessment (4.19) in the range, on any member's stay; two on one
  date: the first recorded. Households are counted by their head, in the household-type columns.
* Q9c/Q9d read one event per household: the head's latest event dated from that assessment's date to
  report end + 90 days and before the head's latest assessment after report end; one on the assessed stay
  first, else the latest on any stay. Q9c counts it when it is an access event (1-4), Q9d a referral (5-18).
* Q10 counts every assessment (by level) and event (by code and result) dated in the range at an access
  point, of anyone.

Report range 2025-10-01 to 2026-09-30; report end + 90 days = 2026-12-29. Every table's cells are
[Total, Without Children, With Children and Adults, With Only Children, Unknown Household Type] unless said.
"""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa
import yaml

from hmis.extensions import db
from hmis.interchange.importer import import_export
from hmis.models import Assessment, CEParticipation, Event
from hmis.reports.definition import load_definition
from hmis.reports.engine import run_report
from hmis.reports.exports import to_hud_zip
from hmis.reports.parameters import ReportParameters

from .builders import World, d
from .shipped_apr import DEFINITIONS, by_label, report_tables

ALONE = [1, 1, 0, 0, 0]          # one household without children
NONE = [0, 0, 0, 0, 0]


def _event(world: World, personal_id: str, enrollment_id: str, on: str, code: int, **results) -> None:
    """A 4.20 event with its result fields (builders.World.event takes none)."""
    db.session.add(Event(data_source_id=world.source.id, event_id=world._id("V"), enrollment_id=enrollment_id,
                         personal_id=personal_id, event_date=d(on), event=code, **results))
    db.session.flush()


def _ce_project(world: World) -> str:
    """A CE project (type 14) that is a CE access point (2.09) throughout."""
    project = world.project(14, name="Coordinated entry")
    world.ce_access_point(project)
    return project


def _single(world: World, project: str, entry: str = "2026-01-01") -> tuple[str, str]:
    """An adult heading a household of one: (personal id, enrollment id)."""
    person = world.client("1980-01-01", veteran_status=0)
    return person, world.enroll(person, project, entry)


# ------------------------------------------------------------------------------------------ Q9a, Q9b
def test_latest_assessment_of_the_household_and_ties(app):
    """H1: head and child. The head is assessed 2026-01-10 (phone, not prioritized), then twice on
    2026-03-01: first virtual and prioritized, then in person and not prioritized. The latest date wins;
    on that date the first recorded: virtual, prioritized (the old rule took the last recorded: in person).
    H2: head and partner, no children. The head is assessed 2026-04-01 (phone, prioritized); the partner's
    stay has the household's later assessment 2026-05-01 (in person, not prioritized): the household's
    latest counts, whoever's stay it is on (the old rule read only the head's own stay: phone).

    Q9a: Phone 0; Virtual H1 -> [1, 0, 1, 0, 0]; In-person H2 -> [1, 1, 0, 0, 0]; Total [2, 1, 1, 0, 0].
    Q9b: prioritized H1 [1, 0, 1, 0, 0]; not prioritized H2 [1, 1, 0, 0, 0];
         percent prioritized: Total 1/2 = 0.5, Without Children 0/1 = 0, With Children and Adults 1/1 = 1,
         the empty columns 0/0: no value.
    """
    world = World()
    ce = _ce_project(world)
    head, child = world.client("1980-01-01", veteran_status=0), world.client("2018-01-01")
    stay = world.enroll(head, ce, "2026-01-01", household="H1", relationship=1)
    world.enroll(child, ce, "2026-01-01", household="H1", relationship=2)
    world.assessment(head, stay, "2026-01-10", assessment_type=1, prioritization=2)
    world.assessment(head, stay, "2026-03-01", assessment_type=2, prioritization=1)
    world.assessment(head, stay, "2026-03-01", assessment_type=3, prioritization=2)
    head2, partner = world.client("1975-01-01", veteran_status=0), world.client("1976-01-01", veteran_status=0)
    stay2 = world.enroll(head2, ce, "2026-03-15", household="H2", relationship=1)
    partner_stay = world.enroll(partner, ce, "2026-03-15", household="H2", relationship=3)
    world.assessment(head2, stay2, "2026-04-01", assessment_type=1, prioritization=1)
    world.assessment(partner, partner_stay, "2026-05-01", assessment_type=3, prioritization=2)
    db.session.commit()

    found = report_tables("ce-apr", "Q9a", "Q9b")
    assert found["Q9a"] == [("Phone", NONE), ("Virtual", [1, 0, 1, 0, 0]), ("In-person", [1, 1, 0, 0, 0]),
                            ("Total Households Assessed", [2, 1, 1, 0, 0])]
    q9b = found["Q9b"]
    assert [label for label, _ in q9b][:2] == ["Placed on Prioritization List (Prioritized)",
                                               "Not Placed on Prioritization List"]
    assert q9b[0][1] == [1, 0, 1, 0, 0] and q9b[1][1] == [1, 1, 0, 0, 0]
    assert q9b[2][0].startswith("Percent of Assessed Prioritized")
    assert q9b[2][1] == [0.5, 0.0, 1.0, None, None]


def test_assessed_at_an_access_point_while_there(app):
    """Only assessments made where and when the project was a CE access point (2.09) count, and a household's
    members count when they were there on its latest assessment's date (HUD's answer key).

    P1  CE project, assessed 2026-02-01: counted.
    P2  shelter that is an access point only from 2026-03-01, assessed there 2026-02-15: not counted.
    P3  shelter that is an access point (2.09 AccessPoint 0 on another record is ignored), assessed 2026-04-01.
    P4  CE stay from 2026-05-02, assessed 2026-05-01 (the day before the stay, as in HUD's sample): not counted.
    H   CE household: head assessed 2026-03-01 with a child there from 2026-01-01; a second child joins
        2026-06-01, after the assessment: head and first child count, not the second child.

    Q5a persons: P1, P3, head, first child = 4; Q8a households: P1, P3 and H = 3;
    Q9a in person (builders' default): [3, 2, 1, 0, 0].
    """
    world = World()
    ce = _ce_project(world)
    late_shelter, shelter = world.project(0), world.project(0)
    world.ce_access_point(late_shelter, start="2026-03-01")
    world.ce_access_point(shelter)
    world.ce_access_point(shelter, access_point=0)
    p1, s1 = _single(world, ce)
    world.assessment(p1, s1, "2026-02-01")
    p2, s2 = _single(world, late_shelter)
    world.assessment(p2, s2, "2026-02-15")
    p3, s3 = _single(world, shelter)
    world.assessment(p3, s3, "2026-04-01")
    p4, s4 = _single(world, ce, "2026-05-02")
    world.assessment(p4, s4, "2026-05-01")
    head, child, late_child = (world.client("1980-01-01", veteran_status=0), world.client("2018-01-01"),
                               world.client("2020-01-01"))
    stay = world.enroll(head, ce, "2026-01-01", household="H", relationship=1)
    world.enroll(child, ce, "2026-01-01", household="H", relationship=2)
    world.enroll(late_child, ce, "2026-06-01", household="H", relationship=2)
    world.assessment(head, stay, "2026-03-01")
    db.session.commit()

    found = report_tables("ce-apr", "Q5a", "Q8a", "Q9a")
    q5a = by_label(found["Q5a"])
    assert q5a["Total Number of Persons Served"] == [4, 4]
    assert q5a["Number of Children (Under Age 18)"] == [1, 1]
    assert found["Q8a"][0] == ("Total Households", [3, 2, 1, 0, 0])
    assert by_label(found["Q9a"])["In-person"] == [3, 2, 1, 0, 0]


# ------------------------------------------------------------------------------------------ Q9c, Q9d
def _referred_to(world: World, ce: str, other: str) -> None:
    """Households of one, each assessed in the CE project; other: a second project (the same CoC).

    W1  assessed 2026-09-01; referrals 2026-12-29 (RRH, the last day of the 90) and 2026-12-30 (PSH, too late)
    W2  assessed 2026-09-10; ES referral 2026-10-01; assessed again 2026-10-20; TH referral 2026-10-25: after
        the later assessment, so the ES referral counts
    W3  assessed 2026-09-10; assessed again 2026-10-05 and 2026-11-01; joint TH-RRH referral 2026-10-10: before
        the latest assessment after report end, so it counts (DataLab's cut; the earliest would drop it)
    W4  an open stay in the other project from 2025-12-01, then the CE stay from 2026-05-01, assessed
        2026-06-01; outreach referral 2026-06-10 on the CE stay, navigation 2026-07-01 on the other stay:
        the assessed stay's event wins although it is older
    W5  the same two stays; assessed 2026-06-01; no event on the CE stay, a non-continuum referral (8)
        2026-06-15 on the other stay: taken from there
    W6  assessed 2026-04-01; event 2026-03-25 (before the assessment: never), problem solving 2026-04-05
        (re-housed), then an ES referral 2026-04-20: one event per household, the latest: Q9d, not Q9c
    W7  assessed 2026-04-01; problem solving 2026-04-05, re-housed: Q9c
    W8  assessed 2026-04-01; crisis needs assessment referral (3) 2026-04-02: Q9c

    Q9c: Prevention 0; Problem solving W7; Crisis W8; Housing 0; Total 2; re-housed W7 1; percent 1/1.
    Q9d: Street Outreach W4, Navigation 0, Ineligible (8) W5, ES W2 and W6 -> 2, TH 0, Joint TH-RRH W3,
         RRH W1, PSH 0; Total 6.
    """
    w1, s1 = _single(world, ce)
    world.assessment(w1, s1, "2026-09-01")
    _event(world, w1, s1, "2026-12-29", 13)
    _event(world, w1, s1, "2026-12-30", 14)
    w2, s2 = _single(world, ce)
    world.assessment(w2, s2, "2026-09-10")
    _event(world, w2, s2, "2026-10-01", 10)
    world.assessment(w2, s2, "2026-10-20")
    _event(world, w2, s2, "2026-10-25", 11)
    w3, s3 = _single(world, ce)
    world.assessment(w3, s3, "2026-09-10")
    world.assessment(w3, s3, "2026-10-05")
    world.assessment(w3, s3, "2026-11-01")
    _event(world, w3, s3, "2026-10-10", 12)
    for code, stays_event in ((6, True), (8, False)):
        person = world.client("1980-01-01", veteran_status=0)
        elsewhere = world.enroll(person, other, "2025-12-01")
        here = world.enroll(person, ce, "2026-05-01")
        world.assessment(person, here, "2026-06-01")
        if stays_event:
            _event(world, person, here, "2026-06-10", code)
            _event(world, person, elsewhere, "2026-07-01", 7)
        else:
            _event(world, person, elsewhere, "2026-06-15", code)
    w6, s6 = _single(world, ce)
    world.assessment(w6, s6, "2026-04-01")
    _event(world, w6, s6, "2026-03-25", 1)
    _event(world, w6, s6, "2026-04-05", 2, prob_sol_div_rr_result=1)
    _event(world, w6, s6, "2026-04-20", 10)
    w7, s7 = _single(world, ce)
    world.assessment(w7, s7, "2026-04-01")
    _event(world, w7, s7, "2026-04-05", 2, prob_sol_div_rr_result=1)
    w8, s8 = _single(world, ce)
    world.assessment(w8, s8, "2026-04-01")
    _event(world, w8, s8, "2026-04-02", 3)
    db.session.commit()


def test_one_event_per_household_window_cut_and_same_stay_first(app):
    world = World()
    _referred_to(world, _ce_project(world), world.project(0))
    found = report_tables("ce-apr", "Q9c", "Q9d")
    q9c = found["Q9c"]
    assert [label for label, _ in q9c] == [
        "Referral to Prevention Assistance project",
        "Problem Solving/Diversion/Rapid Resolution intervention or service",
        "Referral to scheduled Coordinated Entry Crisis Needs Assessment",
        "Referral to scheduled Coordinated Entry Housing Needs Assessment", "Total",
        "Result: Client housed/Re-Housed in a safe alternative",
        "Percent of successful referrals to Problem Solving/Diversion/Rapid Resolution"]
    assert [cells for _, cells in q9c[:6]] == [NONE, [1, 1, 0, 0, 0], [1, 1, 0, 0, 0], NONE, [2, 2, 0, 0, 0],
                                               [1, 1, 0, 0, 0]]
    assert q9c[6][1][:2] == [1.0, 1.0]

    q9d = found["Q9d"]
    assert len(q9d) == 22                                      # shell rows 2-23
    referred = dict(q9d[:15])
    assert referred["Street Outreach project or services"] == [1, 1, 0, 0, 0]                      # W4
    assert referred["Housing Navigation project or services"] == NONE          # W4's other stay
    assert referred["Non-continuum services: Ineligible for continuum services"] == [1, 1, 0, 0, 0]  # W5
    assert referred["Emergency Shelter bed opening"] == [2, 2, 0, 0, 0]                             # W2, W6
    assert referred["Transitional Housing bed/unit opening"] == NONE          # W2's, after reassessment
    assert referred["Joint TH-RRH project/unit/resource opening"] == [1, 1, 0, 0, 0]                # W3
    assert referred["RRH project resource opening"] == [1, 1, 0, 0, 0]                              # W1
    assert referred["PSH project resource opening"] == NONE                  # W1's, day 91
    assert referred["Total"] == [6, 6, 0, 0, 0]


def test_q9d_referral_results_and_rates(app):
    """Households of one, each assessed 2026-04-01, then one referral 2026-05-01:

    R1 PSH (14), accepted (4.20.D 1), prioritized     R2 RRH (13), client rejected (2), prioritized
    R3 TH (11), provider rejected (3)                 R4 ES (10), no result
    R5 EHV (17), result 99: no result either          R6 follow-up case management (5), enrolled in aftercare
    R7 housing navigation (7), result 1 (not a residential referral: no result row)
    R8 prioritized, never referred

    Rows 18-21 (residential referrals by result): accepted R1; client rejected R2; provider rejected R3;
    no result R4, R5. Row 22 aftercare R6. Row 17: referred among the prioritized: R1, R2 of R1, R2, R8
    = 2/3 = 0.6667. Row 23: accepted among the residential referrals R1-R5 = 1/5 = 0.2.
    """
    world = World()
    ce = _ce_project(world)
    for code, results, prioritized in ((14, {"referral_result": 1}, 1), (13, {"referral_result": 2}, 1),
                                       (11, {"referral_result": 3}, 2), (10, {}, 2), (17, {"referral_result": 99}, 2),
                                       (5, {"referral_case_manage_after": 1}, 2), (7, {"referral_result": 1}, 2),
                                       (None, {}, 1)):
        person, stay = _single(world, ce)
        world.assessment(person, stay, "2026-04-01", prioritization=prioritized)
        if code:
            _event(world, person, stay, "2026-05-01", code, **results)
    db.session.commit()

    q9d = report_tables("ce-apr", "Q9d")["Q9d"]
    labels = [label for label, _ in q9d]
    assert labels[14:] == [
        "Total", "Of the total HH prioritized (Q9b row 1) what percentage received a referral",
        "Result: Successful referral: client accepted", "Result: Unsuccessful referral: client rejected",
        "Result: Unsuccessful referral: provider rejected", "No result recorded",
        "Result: Enrolled in Aftercare project", "Percent of successful referrals to residential projects"]
    rows = [cells for _, cells in q9d]
    assert rows[14] == [7, 7, 0, 0, 0]                        # R1-R7 referred
    assert rows[15][:3] == [0.6667, 0.6667, None]
    assert rows[16] == ALONE and rows[17] == ALONE and rows[18] == ALONE      # R1; R2; R3
    assert rows[19] == [2, 2, 0, 0, 0]                        # R4, R5
    assert rows[20] == ALONE                                  # R6
    assert rows[21][:2] == [0.2, 0.2]


# ------------------------------------------------------------------------------------------------- Q10
def test_q10_counts_every_assessment_and_event_in_range(app):
    """A (assessed in range) and B (assessed only before the range), each a household of one in the CE
    project; B also has a stay in a shelter that is not a CE access point (2.09), where one of their
    events is recorded: Q10 counts events made at access points only (HUD's answer key).

    A: assessments 2025-09-01 (level 2, before the range), 2026-01-10 (crisis, level 1), 2026-03-01 (housing,
       level 2); events 2026-01-15 problem solving re-housed, 2026-03-05 PSH accepted, 2026-03-06 PSH client
       rejected, 2026-03-07 follow-up case management with aftercare, 2026-10-10 RRH (after the range).
    B: assessment 2025-08-01 (before the range); ES referral 2026-02-01 provider rejected on the CE stay,
       ES referral 2026-02-02 with no result on the shelter stay (not an access point: not counted).

    Q10 (Total, Successful, Client rejected, Provider rejected, Re-housed, Aftercare; blank = grayed):
      Crisis 1; Housing 1; Problem solving 1, re-housed 1; case management 1, aftercare 1;
      ES 1 (B's on the CE stay), provider rejected 1; PSH 2, successful 1, client rejected 1; RRH 0.
    B is in Q10 but not in the other tables: Q5a counts A only.
    """
    world = World()
    ce, shelter = _ce_project(world), world.project(0)
    a, sa_ = _single(world, ce, "2025-08-01")
    for on, level in (("2025-09-01", 2), ("2026-01-10", 1), ("2026-03-01", 2)):
        world.assessment(a, sa_, on, level=level)
    _event(world, a, sa_, "2026-01-15", 2, prob_sol_div_rr_result=1)
    _event(world, a, sa_, "2026-03-05", 14, referral_result=1)
    _event(world, a, sa_, "2026-03-06", 14, referral_result=2)
    _event(world, a, sa_, "2026-03-07", 5, referral_case_manage_after=1)
    _event(world, a, sa_, "2026-10-10", 13)
    b = world.client("1981-01-01", veteran_status=0)
    b_shelter = world.enroll(b, shelter, "2025-07-01")
    b_ce = world.enroll(b, ce, "2025-07-15")
    world.assessment(b, b_ce, "2025-08-01")
    _event(world, b, b_ce, "2026-02-01", 10, referral_result=3)
    _event(world, b, b_shelter, "2026-02-02", 10)
    db.session.commit()

    found = report_tables("ce-apr", "Q5a", "Q10")
    assert by_label(found["Q5a"])["Total Number of Persons Served"] == [1, 1]      # A; B has no assessment
    q10 = found["Q10"]
    assert len(q10) == 20                                     # shell rows 2-21
    rows = by_label(q10)
    grayed = [None] * 5
    assert rows["Crisis Needs Assessment"] == [1, *grayed]
    assert rows["Housing Needs Assessment"] == [1, *grayed]
    assert rows["Referral to Prevention Assistance project"] == [0, *grayed]
    assert rows["Problem Solving/Diversion/Rapid Resolution intervention or service"] == [1, None, None, None, 1, None]
    assert rows["Referral to post-placement/follow-up case management"] == [1, None, None, None, None, 1]
    assert rows["Referral to Emergency Shelter bed opening"] == [1, 0, 0, 1, None, None]
    assert rows["Referral to PSH project resource opening"] == [2, 1, 1, 0, None, None]
    assert rows["Referral to RRH project resource opening"] == [0, 0, 0, 0, None, None]
    assert rows["Referral to emergency assistance/flex fund/furniture assistance"] == [0, *grayed]
    assert sum(cells[0] for cells in rows.values()) == 7      # 2 assessments + 5 events in range


def test_sage_export_has_the_shell_headers(app):
    """Sage reads cells by position (reports.md §3): Q9a-Q9d have the household-type columns, Q10 the
    result columns, each with its shell's number of rows."""
    world = World()
    person, stay = _single(world, _ce_project(world))
    world.assessment(person, stay, "2026-02-01")
    db.session.commit()
    found = report_tables("ce-apr", "Q9a", "Q9b", "Q9c", "Q9d", "Q10")
    assert {key: len(rows) for key, rows in found.items()} == {"Q9a": 4, "Q9b": 3, "Q9c": 7, "Q9d": 22, "Q10": 20}
    assert all(len(cells) == 5 for key in ("Q9a", "Q9b", "Q9c", "Q9d") for _, cells in found[key])
    assert all(len(cells) == 6 for _, cells in found["Q10"])


# ------------------------------------------------------------------------------------ HUD's sample
HOUSEHOLD_COLUMNS = ["", "Total", "Without Children", "With Children and Adults", "With Only Children",
                     "Unknown Household Type"]
Q10_COLUMNS = ["", "Total Occurrences", "Successful Referral", "Unsuccessful Referral: client rejected",
               "Unsuccessful Referral: provider rejected", "Re-housed in safe alternative", "Enrolled in aftercare"]


@pytest.mark.slow
def test_hud_sample_runs_and_exports_the_shells(sqlite_app, hud_sample):
    """HUD's FY2026 sample has one assessment (4.19): AS202507310934, 2026-07-30, for the head of household
    NBN10528644HH4, whose stays in NBN105 (ES night-by-night) start 2026-07-31, the day after; NBN105's
    2.09 record says AccessPoint 0. So no household is assessed (neither an access point nor inside the
    stay), and there are no events: every count of Q5a and Q9a-Q10 is 0. The Sage upload (reports.md §3)
    has every table, each with its shell's header row and number of rows."""
    assert import_export(hud_sample).status == "imported"
    body = yaml.safe_load((DEFINITIONS / "ce-apr.yaml").read_text())
    results = run_report(load_definition(body), ReportParameters(date(2025, 10, 1), date(2026, 9, 30)),
                         db.session.connection())
    tables = {table["id"]: table for table in results["tables"]}
    assert tables["Q5a"]["rows"][0]["cells"] == [0, 0]
    for key in ("Q9a", "Q9b", "Q9c", "Q9d", "Q10"):
        assert all(value in (0, None) for row in tables[key]["rows"] for value in row["cells"]), key

    with zipfile.ZipFile(io.BytesIO(to_hud_zip(results))) as archive:
        assert sorted(archive.namelist()) == sorted(f"{key}.csv" for key in (
            "Q4a", "Q5a", "Q6a", "Q7a", "Q8a", "Q9a", "Q9b", "Q9c", "Q9d", "Q10"))
        shells = {key: list(csv.reader(io.StringIO(archive.read(f"{key}.csv").decode())))
                  for key in ("Q9a", "Q9b", "Q9c", "Q9d", "Q10")}
    for key, rows in {"Q9a": 5, "Q9b": 4, "Q9c": 8, "Q9d": 23}.items():   # the shell's last row number
        assert shells[key][0] == HOUSEHOLD_COLUMNS and len(shells[key]) == rows, key
    assert shells["Q10"][0] == Q10_COLUMNS and len(shells["Q10"]) == 21
    assert [row[0] for row in shells["Q9a"][1:]] == ["Phone", "Virtual", "In-person", "Total Households Assessed"]
    assert shells["Q10"][1] == ["Crisis Needs Assessment", "0", "", "", "", "", ""]     # grayed cells blank

    # Made an access point, with the assessment moved to the entry date (in person, housing level,
    # prioritized): the household counts, with the members active in the range. Of its four stays only the
    # head's (C26811, born 2000) and C32847's (born 2024) have bed nights (NBN105 is night-by-night).
    db.session.add(CEParticipation(data_source_id=db.session.scalar(sa.select(Assessment.data_source_id)),
                                   ce_participation_id="CE-TEST", project_id="NBN105", access_point=1,
                                   ce_participation_status_start_date=date(2005, 8, 29)))
    db.session.execute(sa.update(Assessment).values(assessment_date=date(2026, 7, 31)))
    db.session.commit()
    results = run_report(load_definition(body), ReportParameters(date(2025, 10, 1), date(2026, 9, 30)),
                         db.session.connection())
    tables = {table["id"]: {row["label"]: row["cells"] for row in table["rows"]} for table in results["tables"]}
    assert tables["Q5a"]["Total Number of Persons Served"] == [2, 2]
    assert tables["Q5a"]["Number of Children (Under Age 18)"] == [1, 1]
    assert tables["Q8a"]["Total Households"] == [1, 0, 1, 0, 0]
    assert tables["Q9a"]["In-person"] == tables["Q9a"]["Total Households Assessed"] == [1, 0, 1, 0, 0]
    assert tables["Q9b"]["Placed on Prioritization List (Prioritized)"] == [1, 0, 1, 0, 0]
    assert tables["Q10"]["Housing Needs Assessment"][0] == 1
