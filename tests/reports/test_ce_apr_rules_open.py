"""CE APR: the three rules left open against HUD's answer key (HUD-Data-Lab/DataLab CE_APR.R), worked by hand.

Report range 2025-10-01 to 2026-09-30 (end + 90 days: 2026-12-29). Household-type cells are
[Total, Without Children, With Children and Adults, With Only Children, Unknown Household Type].

1. Q9c/Q9d's event and its cut-off assessment are the person's: every client record resolved to them
   (person_key), as Q10 already reads. DataLab reads both from the whole export by PersonalID
   (get_relevant_events: no CoC filter, no access-point test), so neither filter applies to them.
     P1  records A1 (the CE stay, assessed 2026-03-05) and B1 (made first, so the person's id; an ES stay from
         2025-11-01) are linked; B1 has an RRH referral (13) on 2026-04-01: Q9d RRH 1 (old: 0, by A1's PersonalID)
     P2  records A2 (the CE stay, assessed 2026-03-05, a PSH referral (14) on 2026-10-15) and B2 (linked, made
         after A2) assessed on 2026-10-10: the cut-off is 2026-10-10, so Q9d PSH 0 (old: 1)
   With --coc XX-501: an event on the head's stay of CoC XX-502 at a project that is no access point still
   counts in Q9d (DataLab), and is not one of Q10's records (those keep both filters).
2. Q4a counts each active stay under its project (DataLab program_information_table over every stay active
   on a CE activity date: distinct people and heads per project), not each person under their latest stay's:
     P   CE1 2026-01-01..05-01 assessed 01-10; CE2 from 2026-03-01 with an event on 04-01 (latest)
     Q   CE1 2026-02-01..02-20 assessed 02-05; CE1 again from 2026-06-01 with an event on 06-10
     R   CE2 2026-01-01..02-01, no activity; CE1 from 2026-03-01 assessed 03-02, with a child (relationship 2)
   CE1: 4 clients (P, Q once, R and the child), 3 households; CE2: 1 and 1 (P; R's stay was not active).
   Old: CE1 3 and 2 (Q, R, child), CE2 1 and 1 (P).
3. A negative age (born after the later of entry and report start) is a child in the CE APR's age groups and
   household type (DataLab add_client_info: age < 18 is "Children"), not an unknown age: a head (1980) and a
   member born 2026-06-01, both from 2026-03-01, assessed 2026-03-05, make a household with children and
   adults. Old: Q5a unknown age 1, children 0; Q8a unknown household type.
"""
from __future__ import annotations

from typing import Any


from hmis.extensions import db
from hmis.identity.resolved import refresh
from hmis.models import Client, Event
from hmis.models.identity import ClientLink
from hmis.reports.definition import definition_problems

from .builders import World, d
from .shipped_apr import shipped_results
from .shipped_apr import rows_by_label as _rows

NONE = [0, 0, 0, 0, 0]


def _run(*table_ids: str, coc: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    """{table id: result} of the shipped CE APR, with only ``table_ids``."""
    return shipped_results("ce-apr", *table_ids, coc=coc)


def _link(world: World, *personal_ids: str) -> None:
    """The client records are one person (a link, as the match review makes one)."""
    first, second = sorted(db.session.query(Client.id).filter_by(data_source_id=world.source.id, personal_id=pid)
                           .scalar() for pid in personal_ids)
    db.session.add(ClientLink(client_a_id=first, client_b_id=second, note="same person"))
    refresh([first, second])


def _event(world: World, personal_id: str, enrollment_id: str, on: str, code: int) -> None:
    db.session.add(Event(data_source_id=world.source.id, event_id=world._id("V"), enrollment_id=enrollment_id,
                         personal_id=personal_id, event_date=d(on), event=code))
    db.session.flush()


def _ce_project(world: World, project_id: str, coc: str = "XX-501") -> str:
    project = world.project(14, project_id=project_id, name=project_id, coc=coc)
    world.ce_access_point(project)
    return project


def test_q9c_q9d_read_the_events_and_cut_off_of_every_record_of_the_person(app):
    world = World()
    ce, shelter = _ce_project(world, "CE1"), world.project(0, project_id="ES1")
    b1 = world.client("1980-01-01")                       # made first: its id stands for P1
    a1 = world.client("1980-01-01")
    b1_stay = world.enroll(b1, shelter, "2025-11-01")
    a1_stay = world.enroll(a1, ce, "2026-03-01")          # P1's latest stay
    world.assessment(a1, a1_stay, "2026-03-05")
    _event(world, b1, b1_stay, "2026-04-01", 13)
    _link(world, a1, b1)
    a2 = world.client("1980-01-01")                       # made first: A2 stands for P2
    b2 = world.client("1980-01-01")
    b2_stay = world.enroll(b2, shelter, "2025-11-01")
    a2_stay = world.enroll(a2, ce, "2026-03-01")
    world.assessment(a2, a2_stay, "2026-03-05")
    _event(world, a2, a2_stay, "2026-10-15", 14)
    world.assessment(b2, b2_stay, "2026-10-10")          # after report end: cuts P2's window at 2026-10-10
    _link(world, a2, b2)
    db.session.commit()

    q9d = _rows(_run("Q9d")["Q9d"])
    assert q9d["RRH project resource opening"] == [1, 1, 0, 0, 0]      # B1's event: 0 by A1's PersonalID
    assert q9d["PSH project resource opening"] == NONE                 # cut by B2's assessment: 1 by A2's alone
    assert q9d["Total"] == [1, 1, 0, 0, 0]


def test_q9c_q9d_event_needs_no_coc_or_access_point_unlike_q10(app):
    """Unchanged by the rule above (DataLab reads every event of the person): kept so that the CoC and
    access-point filters of the assessments and of Q10 are not copied to Q9c/Q9d's event."""
    world = World()
    ce = _ce_project(world, "CE1")
    elsewhere = world.project(0, project_id="ES2", coc="XX-502")           # no 2.09 record: no access point
    head = world.client("1980-01-01")
    other_stay = world.enroll(head, elsewhere, "2025-11-01", enrollment_coc="XX-502")
    ce_stay = world.enroll(head, ce, "2026-03-01")
    world.assessment(head, ce_stay, "2026-03-05")
    _event(world, head, other_stay, "2026-04-01", 13)
    db.session.commit()

    found = _run("Q9d", "Q10", coc=("XX-501",))
    assert _rows(found["Q9d"])["RRH project resource opening"] == [1, 1, 0, 0, 0]
    assert _rows(found["Q10"])["Referral to RRH project resource opening"][0] == 0


def test_q4a_counts_every_active_stay_under_its_project(app):
    world = World()
    ce1, ce2 = _ce_project(world, "CE1"), _ce_project(world, "CE2")
    p, q, r, child = (world.client("1980-01-01"), world.client("1980-01-01"), world.client("1980-01-01"),
                      world.client("2018-01-01"))
    p1 = world.enroll(p, ce1, "2026-01-01", exit="2026-05-01")
    world.assessment(p, p1, "2026-01-10")
    p2 = world.enroll(p, ce2, "2026-03-01")
    _event(world, p, p2, "2026-04-01", 10)
    q1 = world.enroll(q, ce1, "2026-02-01", exit="2026-02-20")
    world.assessment(q, q1, "2026-02-05")
    q2 = world.enroll(q, ce1, "2026-06-01")
    _event(world, q, q2, "2026-06-10", 10)
    world.enroll(r, ce2, "2026-01-01", exit="2026-02-01")
    r2 = world.enroll(r, ce1, "2026-03-01", household="HR")
    world.enroll(child, ce1, "2026-03-01", household="HR", relationship=2)
    world.assessment(r, r2, "2026-03-02")
    db.session.commit()

    q4a = _run("Q4a")["Q4a"]
    counts = {row["cells"][2]: (row["cells"][-2], row["cells"][-1]) for row in q4a["rows"]}   # Project ID
    assert q4a["columns"][2] == "Project ID" and q4a["columns"][-2:] == ["Total Active Clients",
                                                                         "Total Active Households"]
    assert counts == {"CE1": (4, 3), "CE2": (1, 1)}


def test_latest_per_person_fits_only_a_per_project_table(app):
    table = {"id": "T", "title": "t", "latest_per_person": False, "rows": [{"label": "x"}]}
    problems = definition_problems({"id": "t", "kind": "report", "title": "t", "tables": [table]})
    assert [problem.message for problem in problems] == [
        "'latest_per_person' on a table only fits a 'per: project' table"]


def test_negative_age_is_a_child_in_the_ce_apr(app):
    world = World()
    ce = _ce_project(world, "CE1")
    head, newborn = world.client("1980-01-01"), world.client("2026-06-01")
    stay = world.enroll(head, ce, "2026-03-01", household="H1")
    world.enroll(newborn, ce, "2026-03-01", household="H1", relationship=2)
    world.assessment(head, stay, "2026-03-05")
    db.session.commit()

    found = _run("Q5a", "Q7a", "Q8a", "Q9a")
    q5a, q7a = _rows(found["Q5a"]), _rows(found["Q7a"])
    assert q5a["Number of Children (Under Age 18)"] == [1, 1]
    assert q5a["Number of Persons with Unknown Age"] == [0, 0]
    assert q7a["Children"] == [1, None, 1, 0, 0]                    # grayed: children without children
    assert q7a["Data Not Collected"] == NONE
    assert _rows(found["Q8a"])["Total Households"] == [1, 0, 1, 0, 0]
    assert _rows(found["Q9a"])["Total Households Assessed"] == [1, 0, 1, 0, 0]
