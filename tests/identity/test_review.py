"""The review queue, "not a duplicate" memory, links and the resolved person (both databases)."""
from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import func, select

from hmis.access.operations import Actor, PermissionDenied
from hmis.extensions import db
from hmis.identity.cli import duplicates_group
from hmis.identity.errors import IdentityError
from hmis.identity.jobs import start_scan
from hmis.identity.links import link_clients, unlink_clients
from hmis.identity.merge import merge_clients
from hmis.identity.resolved import group_of, person_key, person_key_of, person_keys, resolve
from hmis.identity.review import mark_not_duplicate, scan
from hmis.models import AuditEvent, Client, Enrollment, Organization, Project
from hmis.models.core import Job
from hmis.models.identity import DuplicateCandidate, NotDuplicate

from .helpers import enroll, lead, person, project, source


@pytest.fixture
def people(app):
    ds = source()
    clients = {
        "ada": person(ds, "1", "Ada", "Lovelace", ssn="219099999"),
        "ada2": person(ds, "2", "Ada", "Lovelace", ssn="219099999"),
        "grace": person(ds, "3", "Grace", "Hopper", dob=date(1970, 12, 9), ssn="301224455"),
        "grace2": person(ds, "4", "Grace", "Hopper", dob=date(1970, 12, 9), ssn="301224455"),
        "alan": person(ds, "5", "Alan", "Turing", dob=date(1960, 6, 23)),
    }
    db.session.commit()
    return {k: v.id for k, v in clients.items()} | {"ds": ds}


def _open_pairs() -> set[tuple[int, int]]:
    return {tuple(r) for r in db.session.execute(select(DuplicateCandidate.client_a_id, DuplicateCandidate.client_b_id)
                                                 .where(DuplicateCandidate.status == "open"))}


def test_a_scan_fills_the_queue_and_not_a_duplicate_is_never_proposed_again(people):
    summary = scan(lead())
    db.session.commit()
    assert summary["clients"] == 5 and summary["pairs"] == 2
    assert _open_pairs() == {(people["ada"], people["ada2"]), (people["grace"], people["grace2"])}
    reasons = db.session.scalar(select(DuplicateCandidate.reasons).where(
        DuplicateCandidate.client_a_id == people["ada"]))
    assert "DOB same" in reasons and "last name same" in reasons

    mark_not_duplicate(lead(), people["grace2"], people["grace"], "twins")  # either order
    db.session.commit()
    assert db.session.scalar(select(DuplicateCandidate.status).where(
        DuplicateCandidate.client_a_id == people["grace"])) == "not_duplicate"
    assert db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "client.not_duplicate"))[
        "note"] == "twins"
    # Marking again is harmless; the next scan leaves the pair out.
    mark_not_duplicate(lead(), people["grace"], people["grace2"])
    assert db.session.scalar(select(func.count()).select_from(NotDuplicate)) == 1
    scan(lead())
    db.session.commit()
    assert _open_pairs() == {(people["ada"], people["ada2"])}


def test_a_pair_of_one_client_is_refused(people):
    with pytest.raises(IdentityError, match="a pair needs two different clients"):
        mark_not_duplicate(lead(), people["ada"], people["ada"])
    with pytest.raises(IdentityError, match="cannot be linked to itself"):
        link_clients(lead(), people["ada"], people["ada"])


def test_the_cli_leaves_decided_pairs_out_and_can_fill_the_queue(people, app, tmp_path):
    mark_not_duplicate(lead(), people["grace"], people["grace2"])
    db.session.commit()
    out = tmp_path / "pairs.csv"
    result = app.test_cli_runner().invoke(duplicates_group, ["find", "--out", str(out), "--store"])
    assert result.exit_code == 0, result.output
    assert "the review queue was updated" in result.output
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["PersonalIDA"], r["PersonalIDB"]) for r in rows] == [("1", "2")]
    db.session.expire_all()
    assert _open_pairs() == {(people["ada"], people["ada2"])}


def test_the_scan_runs_as_a_job(people):
    job = start_scan(lead())
    assert job.status == "finished" and job.result["pairs"] == 2
    db.session.expire_all()
    assert db.session.get(Job, job.id).kind == "duplicates.find"
    assert len(_open_pairs()) == 2
    with pytest.raises(PermissionDenied):
        start_scan(Actor(account_id=None, role="analyst"))


def test_links_make_one_person_and_unlinking_splits_it(people):
    other = person(source("agency-b"), "B7", "Ada", "Lovelace", ssn="219099999")
    db.session.commit()
    link = link_clients(lead(), people["ada"], other.id, "same SSN, other HMIS")
    link_clients(lead(), people["ada2"], other.id)
    db.session.commit()
    assert group_of(people["ada"]) == sorted([people["ada"], people["ada2"], other.id])
    assert resolve(other.id) == people["ada"]
    with pytest.raises(IdentityError, match="already count as one person"):
        link_clients(lead(), people["ada"], people["ada2"])
    with pytest.raises(IdentityError, match="already linked"):
        link_clients(lead(), other.id, people["ada"])
    # A scan does not propose pairs that already count as one person.
    scan(lead())
    assert _open_pairs() == {(people["grace"], people["grace2"])}

    unlink_clients(lead(), link.id)
    db.session.commit()
    assert resolve(people["ada"]) == people["ada"] and resolve(other.id) == people["ada2"]
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"client.link", "client.unlink"} <= actions


def test_the_unduplicated_count_follows_links_and_merges(people):
    ds = people["ds"]
    proj = project(ds)
    for key, eid in (("ada", "E1"), ("ada2", "E2"), ("grace", "E3"), ("grace2", "E4"), ("alan", "E5")):
        enroll(ds, proj, db.session.get(Client, people[key]), eid, date(2025, 1, 1))
    db.session.commit()
    keys = person_keys()
    count = (select(func.count(keys.c.person_id.distinct()))
             .join(Client, Client.id == keys.c.client_id)
             .join(Enrollment, (Enrollment.data_source_id == Client.data_source_id)
                   & (Enrollment.personal_id == Client.personal_id)))
    assert db.session.scalar(count) == 5
    link_clients(lead(), people["grace"], people["grace2"])
    merge_clients(lead(), people["ada"], people["ada2"])
    db.session.commit()
    assert db.session.scalar(count) == 3
    per_row = select(func.count(person_key(Client.id).distinct())).where(Client.date_deleted.is_(None))
    assert db.session.scalar(per_row) == 3  # ada (with ada2 merged in), grace+grace2 linked, alan
    by_hud_key = select(func.count(person_key_of(Enrollment.data_source_id, Enrollment.personal_id).distinct())
                        ).select_from(Enrollment)
    assert db.session.scalar(by_hud_key) == 3


def test_a_victim_service_providers_client_cannot_be_merged_by_other_staff(people):
    ds = people["ds"]
    db.session.add(Organization(data_source_id=ds.id, organization_id="VSP", organization_name="Safe House",
                                victim_service_provider=1))
    db.session.flush()
    db.session.add(Project(data_source_id=ds.id, project_id="PV", organization_id="VSP", project_name="Safe beds",
                           project_type=1, continuum_project=1, operating_start_date=date(2020, 1, 1)))
    db.session.flush()
    enroll(ds, db.session.get(Project, db.session.scalar(select(Project.id).where(Project.project_id == "PV"))),
           db.session.get(Client, people["ada2"]), "EV", date(2025, 2, 1))
    db.session.commit()
    with pytest.raises(PermissionDenied):
        merge_clients(lead(), people["ada"], people["ada2"])
    db.session.rollback()
    assert db.session.get(Client, people["ada2"]).date_deleted is None


def test_the_report_engines_person_key_is_the_resolved_person(people):
    from hmis.reports.universe import person_key as report_person_key

    ds = people["ds"]
    proj = project(ds)
    enroll(ds, proj, db.session.get(Client, people["grace"]), "G1", date(2025, 1, 1))
    enroll(ds, proj, db.session.get(Client, people["grace2"]), "G2", date(2025, 2, 1))
    link_clients(lead(), people["grace"], people["grace2"])
    db.session.commit()
    keys = db.session.scalars(select(report_person_key(Enrollment.data_source_id, Enrollment.personal_id))
                              .select_from(Enrollment)).all()
    assert keys == [str(people["grace"])] * 2
