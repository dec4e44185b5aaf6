"""CE APR: four rules matched to HUD's answer key (HUD-Data-Lab/DataLab CE_APR.R).

Report range 2025-10-01 to 2026-09-30; every project is a CE access point (2.09) from 2020.

1. Household type (Q7a-Q9d) counts only the members counted with the household's latest assessment, those
   whose stay covers its date (DataLab: get_household_info over the assessed stays). The old rule took the
   type of everyone in the household's stays in the range.
     H1  head (1980) from 2026-03-01, assessed 2026-03-05; child (2018) joins 2026-05-01, after it
     H2  head (1980) from 2026-02-01, assessed 2026-06-01; child (2018) from 2026-02-01, left 2026-04-01
   Both children are outside (their stays miss the date), so both households are adults only:
     Q8a Total Households [2, 2, 0, 0, 0] (old: [2, 0, 2, 0, 0]); Q7a Adults [2, 2, 0, ...].
2. With --coc XX-501, an assessment on a member's stay of another CoC is not the household's latest
   (DataLab filters assessments by the stay's CoC first). The old look-up read every member's stay:
     head (EnrollmentCoC XX-501) assessed 2026-03-05 in person, prioritized;
     partner (EnrollmentCoC XX-502, out of the report) assessed 2026-06-01 by phone, not prioritized.
   Q9a: In-person 1, Phone 0 (old: Phone 1); Q9b: prioritized 1, not prioritized 0 (old: 0 and 1).
3. Q4a counts a client active on any CE assessment or event date of their household in the range
   (DataLab's active_at_event), assessed or not. The old rule counted the assessed households only.
     H3  head with an event on 2026-04-01 and no assessment; child from 2026-03-01; partner from
         2026-03-01 who left 2026-03-15 (before the event: not active)
     H4  head alone, assessed 2026-02-10
   Q4a: 3 active clients (H3 head and child, H4 head), 2 households (old: 1 and 1).
4. Q10 counts the records of every client record resolved to the person (person_key): A (source a) and B
   (source b) are linked. A has an event 10 on 2026-02-01; B (the latest stay) a crisis assessment on
   2026-05-05 and an event 13 on 2026-06-01. Q10: crisis 1, event 13: 1, event 10: 1 (old: 0, by B's
   data source and PersonalID only).
"""
from __future__ import annotations

from typing import Any

import yaml

from hmis.extensions import db
from hmis.identity.resolved import refresh
from hmis.models import Client
from hmis.models.identity import ClientLink
from hmis.reports.definition import definition_problems, load_definition
from hmis.reports.engine import run_report
from hmis.reports.parameters import ReportParameters

from .builders import END, START, World
from .shipped_apr import DEFINITIONS, by_label


def _run(*table_ids: str, coc: tuple[str, ...] = (), edit: Any = None) -> dict[str, dict[str, Any]]:
    """{table id: the table's result} of the shipped CE APR; ``edit`` may change the definition first."""
    body = yaml.safe_load((DEFINITIONS / "ce-apr.yaml").read_text())
    if edit is not None:
        edit(body)
    assert definition_problems(body) == []
    body["tables"] = [table for table in body["tables"] if table["id"] in table_ids]
    results = run_report(load_definition(body), ReportParameters(START, END, coc_codes=coc),
                         db.session.connection())
    return {table["id"]: table for table in results["tables"]}


def _rows(table: dict[str, Any]) -> dict[str, list[Any]]:
    return by_label([(row["label"], row["cells"]) for row in table["rows"]])


def _old_household_type(body: dict[str, Any]) -> None:
    """The old rule: the universe's household type (everyone in the household's stays in the range)."""
    for column in body["column_sets"]["household_types"]:
        if "when" in column:
            column["when"] = column["when"].replace("ce_household_type", "household_type")


def _household_type_world() -> None:
    world = World()
    ce = world.project(14, name="Coordinated entry")
    world.ce_access_point(ce)
    head1, child1 = world.client("1980-01-01"), world.client("2018-01-01")
    stay1 = world.enroll(head1, ce, "2026-03-01", household="H1", relationship=1)
    world.enroll(child1, ce, "2026-05-01", household="H1", relationship=2)
    world.assessment(head1, stay1, "2026-03-05")
    head2, child2 = world.client("1980-01-01"), world.client("2018-01-01")
    stay2 = world.enroll(head2, ce, "2026-02-01", household="H2", relationship=1)
    world.enroll(child2, ce, "2026-02-01", exit="2026-04-01", household="H2", relationship=2)
    world.assessment(head2, stay2, "2026-06-01")
    db.session.commit()


def test_household_type_counts_the_members_present_on_the_assessment_date(app):
    _household_type_world()
    found = _run("Q5a", "Q7a", "Q8a", "Q9a")
    # columns: Total, Without Children, With Children and Adults, With Only Children, Unknown
    assert _rows(found["Q5a"])["Total Number of Persons Served"] == [2, 2]     # the two heads
    assert _rows(found["Q8a"])["Total Households"] == [2, 2, 0, 0, 0]
    assert _rows(found["Q7a"])["Adults"][:3] == [2, 2, 0]
    assert _rows(found["Q9a"])["Total Households Assessed"] == [2, 2, 0, 0, 0]


def test_old_household_type_counted_children_not_there_on_the_date(app):
    _household_type_world()
    old = _run("Q8a", edit=_old_household_type)
    assert _rows(old["Q8a"])["Total Households"] == [2, 0, 2, 0, 0]


def test_coc_filter_applies_to_members_stays_when_taking_the_latest_assessment(app):
    world = World()
    ce = world.project(14, name="Coordinated entry", coc="XX-501")
    world.ce_access_point(ce)
    head, partner = world.client("1980-01-01"), world.client("1982-01-01")
    head_stay = world.enroll(head, ce, "2026-03-01", household="H1", relationship=1)
    partner_stay = world.enroll(partner, ce, "2026-03-01", household="H1", relationship=3,
                                enrollment_coc="XX-502")
    world.assessment(head, head_stay, "2026-03-05", assessment_type=3, prioritization=1)
    world.assessment(partner, partner_stay, "2026-06-01", assessment_type=1, prioritization=2)
    db.session.commit()

    found = _run("Q5a", "Q9a", "Q9b", coc=("XX-501",))
    assert _rows(found["Q5a"])["Total Number of Persons Served"] == [1, 1]     # the partner's stay is XX-502
    q9a, q9b = _rows(found["Q9a"]), _rows(found["Q9b"])
    assert q9a["In-person"] == [1, 1, 0, 0, 0]                                  # the head's, not the partner's
    assert q9a["Phone"] == [0, 0, 0, 0, 0]
    assert q9b["Placed on Prioritization List (Prioritized)"] == [1, 1, 0, 0, 0]
    assert q9b["Not Placed on Prioritization List"] == [0, 0, 0, 0, 0]


def test_q4a_counts_clients_active_on_any_ce_activity_date_of_their_household(app):
    world = World()
    ce = world.project(14, project_id="CE1", name="Front Door")
    world.ce_access_point(ce)
    head3, child3, partner3 = world.client("1980-01-01"), world.client("2018-01-01"), world.client("1982-01-01")
    stay3 = world.enroll(head3, ce, "2026-03-01", household="H3", relationship=1)
    world.enroll(child3, ce, "2026-03-01", household="H3", relationship=2)
    world.enroll(partner3, ce, "2026-03-01", exit="2026-03-15", household="H3", relationship=3)
    world.event(head3, stay3, "2026-04-01", event=10)
    head4 = world.client("1980-01-01")
    stay4 = world.enroll(head4, ce, "2026-02-01", household="H4")
    world.assessment(head4, stay4, "2026-02-10")
    db.session.commit()

    q4a = _run("Q4a")["Q4a"]
    assert len(q4a["rows"]) == 1
    row = dict(zip(q4a["columns"], q4a["rows"][0]["cells"]))
    assert (row["Project ID"], row["Total Active Clients"], row["Total Active Households"]) == ("CE1", 3, 2)

    def old_rule(body: dict[str, Any]) -> None:
        body["tables"][0]["where"] = "ce_household_assessed"

    old_q4a = _run("Q4a", edit=old_rule)["Q4a"]
    old_row = dict(zip(old_q4a["columns"], old_q4a["rows"][0]["cells"]))
    assert (old_row["Total Active Clients"], old_row["Total Active Households"]) == (1, 1)


def _client_pk(world: World, personal_id: str) -> int:
    return db.session.query(Client.id).filter_by(data_source_id=world.source.id, personal_id=personal_id).scalar()


def test_q10_counts_the_records_of_linked_client_records(app):
    a_side, b_side = World("source-a"), World("source-b")
    ce_a, ce_b = a_side.project(14), b_side.project(14)
    a_side.ce_access_point(ce_a)
    b_side.ce_access_point(ce_b)
    a, b = a_side.client("1980-01-01"), b_side.client("1980-01-01")
    stay_a = a_side.enroll(a, ce_a, "2026-01-15", exit="2026-03-01")
    stay_b = b_side.enroll(b, ce_b, "2026-05-01")
    a_side.event(a, stay_a, "2026-02-01", event=10)
    b_side.assessment(b, stay_b, "2026-05-05", level=1)
    b_side.event(b, stay_b, "2026-06-01", event=13)
    first, second = sorted((_client_pk(a_side, a), _client_pk(b_side, b)))
    db.session.add(ClientLink(client_a_id=first, client_b_id=second, note="same person, two HMIS"))
    refresh([first, second])
    db.session.commit()

    q10 = _rows(_run("Q10")["Q10"])
    assert q10["Crisis Needs Assessment"][0] == 1
    assert q10["Referral to RRH project resource opening"][0] == 1
    assert q10["Referral to Emergency Shelter bed opening"][0] == 1   # A's event: 0 by PersonalID
