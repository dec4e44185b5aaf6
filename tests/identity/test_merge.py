"""Merging two client records, undoing a merge, and what a merge refuses (both databases)."""
from __future__ import annotations

import sys
import threading
import types
from datetime import date

import pytest
from sqlalchemy import func, select

from hmis.access.operations import Actor, PermissionDenied
from hmis.access.sensitive import ssn_of
from hmis.custom_data import define_element, set_value, values_for
from hmis.extensions import db
from hmis.identity import merge as merge_module
from hmis.identity.errors import IdentityError, MergeConflict
from hmis.identity.merge import merge_clients, pair_version, undo_merge
from hmis.identity.resolved import person_key, resolve
from hmis.models import AuditEvent, Client, Enrollment, Exit, Services
from hmis.models.identity import ClientMerge, PersonKey
from hmis.models.privacy import ClientRestriction, Consent

from .helpers import enroll, lead, person, project, source


def _enrollment_owners() -> dict[str, str]:
    return dict(db.session.execute(select(Enrollment.enrollment_id, Enrollment.personal_id)).all())


@pytest.fixture
def pair(app):
    ds = source()
    proj = project(ds)
    other = project(ds, "P2")
    survivor = person(ds, "A1", "Ada", "Lovelace", ssn=None, veteran_status=0)
    merged = person(ds, "A2", "Ada", "Lovelace", ssn="123456781", veteran_status=1, middle_name="King")
    enroll(ds, proj, survivor, "E1", date(2024, 1, 1), date(2024, 3, 1))
    enroll(ds, proj, merged, "E2", date(2024, 2, 1), date(2024, 2, 20), services=3)  # overlaps E1
    enroll(ds, other, merged, "E3", date(2025, 1, 1))
    define_element("shelter_pref", "Preferred shelter", "client", "string")
    define_element("pets", "Pets", "client", "integer")
    set_value("shelter_pref", merged.id, "Harbor")
    set_value("pets", survivor.id, 1)
    set_value("pets", merged.id, 2)  # the survivor has one already: it stays behind
    db.session.add(Consent(client_id=merged.id, status="granted", all_organizations=True,
                           start_date=date(2025, 1, 1), documentation="signed_form"))
    db.session.add(ClientRestriction(client_id=merged.id, reason="dv_survivor"))  # one per client
    db.session.commit()
    return {"ds": ds, "survivor": survivor, "merged": merged}


def test_merge_moves_everything_with_the_chosen_fields_and_is_audited(pair):
    survivor, merged = pair["survivor"], pair["merged"]
    record = merge_clients(lead(), survivor.id, merged.id, {"ssn": "merged", "middle_name": "merged",
                                                             "veteran_status": "survivor"})
    db.session.commit()

    assert _enrollment_owners() == {"E1": "A1", "E2": "A1", "E3": "A1"}
    assert set(db.session.scalars(select(Services.personal_id))) == {"A1"}
    assert set(db.session.scalars(select(Exit.personal_id))) == {"A1"}
    assert values_for("client", survivor.id) == {"shelter_pref": "Harbor", "pets": 1}
    assert values_for("client", merged.id) == {"pets": 2}
    # Tables of other rooms, found through their foreign keys to the client.
    assert db.session.scalar(select(Consent.client_id)) == survivor.id
    assert db.session.scalar(select(ClientRestriction.client_id)) == survivor.id
    db.session.refresh(survivor)
    db.session.refresh(merged)
    assert (survivor.ssn, survivor.middle_name, survivor.veteran_status) == ("xxxxx6781", "King", 0)
    assert ssn_of(db.session, survivor) == "123456781"  # the number moved encrypted (client_ssn)
    assert merged.date_deleted is not None
    assert record.before_state["merged_client"]["personal_id"] == "A2"
    assert record.before_state["survivor_fields"] == {"ssn": {"old": None, "new": "xxxxx6781", "old_encrypted": None},
                                                      "middle_name": {"old": None, "new": "King"}}
    assert record.flags["overlapping_enrollments"][0]["enrollments"] in (["E1", "E2"], ["E2", "E1"])
    assert record.flags["left_behind"] == {"custom_data_element_value": 1}
    assert {e["table"] for e in record.before_state["moved"]} >= {
        "enrollment", "exit", "services", "consent", "client_restriction", "custom_data_element_value"}
    assert resolve(merged.id) == survivor.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "client.merge"))
    assert event.details["merged_id"] == merged.id and event.details["moved"]["enrollment"] == 2
    assert event.details["fields"]["ssn"]["new"] == "*****6781"  # no full SSN in the audit log


def test_undo_restores_the_before_state_but_keeps_later_edits(pair):
    survivor, merged = pair["survivor"], pair["merged"]
    record = merge_clients(lead(), survivor.id, merged.id, {"ssn": "merged", "middle_name": "merged"})
    db.session.commit()
    # Later work on the survivor: a new enrollment, a service on a moved enrollment, an edited field.
    enroll(pair["ds"], project(pair["ds"], "P3"), survivor, "E9", date(2026, 1, 1))
    db.session.add(Services(data_source_id=pair["ds"].id, services_id="LATE", enrollment_id="E3",
                            personal_id="A1", date_provided=date(2026, 2, 1), record_type=200, type_provided=1))
    survivor.middle_name = "Augusta"
    db.session.commit()

    preview = merge_module.undo_preview(record)
    assert preview["restore_fields"] == ["ssn"] and preview["keep_fields"] == ["middle_name"]
    undo_merge(lead(), record.id)
    db.session.commit()

    assert _enrollment_owners() == {"E1": "A1", "E2": "A2", "E3": "A2", "E9": "A1"}
    # the service added since on E3 follows its enrollment back
    assert set(db.session.scalars(select(Services.personal_id))) == {"A2"}
    db.session.refresh(survivor)
    db.session.refresh(merged)
    assert merged.date_deleted is None and merged.ssn == "123456781" and merged.middle_name == "King"
    assert survivor.ssn is None  # restored: it still held the merged value
    assert survivor.middle_name == "Augusta"  # kept: edited after the merge
    assert values_for("client", merged.id) == {"shelter_pref": "Harbor", "pets": 2}
    assert db.session.scalar(select(Consent.client_id)) == merged.id
    assert db.session.scalar(select(ClientRestriction.client_id)) == merged.id
    assert record.status == "undone" and record.undo_summary["kept_fields"] == ["middle_name"]
    assert record.undo_summary["followed_enrollments"] == 1
    assert resolve(merged.id) == merged.id and db.session.scalar(select(func.count()).select_from(PersonKey)) == 0
    assert db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "client.merge_undo"))[
        "moved_back"]["enrollment"] == 2
    with pytest.raises(MergeConflict, match="already undone"):
        undo_merge(lead(), record.id)


def test_undo_is_refused_while_the_survivor_is_merged_into_someone_else(pair):
    survivor, merged = pair["survivor"], pair["merged"]
    third = person(pair["ds"], "A3")
    db.session.commit()
    first = merge_clients(lead(), survivor.id, merged.id)
    merge_clients(lead(), third.id, survivor.id)
    db.session.commit()
    assert resolve(merged.id) == third.id and resolve(survivor.id) == third.id
    with pytest.raises(MergeConflict, match="undo that merge first"):
        undo_merge(lead(), first.id)


def test_merging_a_client_into_itself_is_refused(pair):
    with pytest.raises(IdentityError, match="cannot be merged into itself"):
        merge_clients(lead(), pair["survivor"].id, pair["survivor"].id)


def test_bad_field_choices_and_missing_clients_are_named(pair):
    survivor, merged = pair["survivor"], pair["merged"]
    with pytest.raises(IdentityError, match="'personal_id': not a client field"):
        merge_clients(lead(), survivor.id, merged.id, {"personal_id": "merged"})
    with pytest.raises(IdentityError, match="'ssn': 'both' must be"):
        merge_clients(lead(), survivor.id, merged.id, {"ssn": "both"})
    with pytest.raises(IdentityError, match="There is no client 999999"):
        merge_clients(lead(), survivor.id, 999999)


def test_clients_of_two_data_sources_are_linked_not_merged(pair):
    other = person(source("agency-export"), "Z1")
    db.session.commit()
    with pytest.raises(IdentityError, match="different data sources.*link them instead"):
        merge_clients(lead(), pair["survivor"].id, other.id)


def test_a_role_without_the_merge_permission_is_refused(pair):
    case_manager = Actor(account_id=None, role="case_manager")
    with pytest.raises(PermissionDenied):
        merge_clients(case_manager, pair["survivor"].id, pair["merged"].id)


def test_the_privacy_policy_is_applied_to_both_clients(pair, monkeypatch):
    seen = []

    def require_client(actor, client, scope):
        seen.append((client.id, scope))
        if client.personal_id == "A2":
            raise PermissionDenied("Client A2 is restricted to another agency.")

    monkeypatch.setitem(sys.modules, "hmis.access.policy", types.SimpleNamespace(require_client=require_client))
    with pytest.raises(PermissionDenied, match="restricted"):
        merge_clients(lead(), pair["survivor"].id, pair["merged"].id, {"ssn": "merged"})
    db.session.rollback()
    assert (pair["merged"].id, "profile") in seen
    assert _enrollment_owners()["E2"] == "A2"
    assert db.session.scalar(select(func.count()).select_from(ClientMerge)) == 0


def test_a_stale_comparison_is_refused(pair):
    survivor, merged = pair["survivor"], pair["merged"]
    version = pair_version(survivor, merged)
    merged.first_name = "Adah"  # someone edits while the comparison is open
    db.session.commit()
    with pytest.raises(MergeConflict, match="changed since"):
        merge_clients(lead(), survivor.id, merged.id, expected_version=version)


def test_a_merge_interrupted_half_way_leaves_nothing_half_moved(pair, monkeypatch):
    survivor, merged = pair["survivor"], pair["merged"]

    def fail(*args, **kwargs):
        raise RuntimeError("power cut")

    # After the rows were moved and the client retired, before the merge record is written.
    monkeypatch.setattr(merge_module, "overlapping_enrollments", fail)
    with pytest.raises(RuntimeError):
        merge_clients(lead(), survivor.id, merged.id, {"ssn": "merged"})
    db.session.rollback()
    assert _enrollment_owners() == {"E1": "A1", "E2": "A2", "E3": "A2"}
    assert set(db.session.scalars(select(Services.personal_id))) == {"A2"}
    assert db.session.get(Client, merged.id).date_deleted is None
    assert db.session.get(Client, survivor.id).ssn is None
    assert db.session.scalar(select(func.count()).select_from(ClientMerge)) == 0


@pytest.mark.parametrize("race", ["same merged client", "each into the other"])
def test_two_merges_of_overlapping_pairs_at_once_one_wins(pair, app, race):
    survivor, merged = pair["survivor"], pair["merged"]
    rival = person(pair["ds"], "A9")
    db.session.commit()
    # (survivor, merged) of each attempt: B into A and B into C, or B into A and A into B.
    attempts = {"one": (survivor.id, merged.id),
                "two": (rival.id, merged.id) if race == "same merged client" else (merged.id, survivor.id)}
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(name: str) -> None:
        with app.app_context():
            try:
                barrier.wait(10)
                merge_clients(lead(), *attempts[name])
                db.session.commit()
                outcomes[name] = "merged"
            except MergeConflict as exc:
                db.session.rollback()
                outcomes[name] = f"conflict: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(name,)) for name in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["conflict", "merged"], outcomes
    assert "meanwhile" in "".join(outcomes.values()) or "already merged" in "".join(outcomes.values())
    winner = "one" if outcomes["one"] == "merged" else "two"
    kept_id, gone_id = attempts[winner]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ClientMerge)) == 1
    assert db.session.scalar(select(func.count()).select_from(Client).where(Client.date_deleted.is_not(None))) == 1
    assert db.session.get(Client, gone_id).date_deleted is not None
    kept = db.session.get(Client, kept_id).personal_id
    owners = _enrollment_owners()
    assert owners["E2"] == owners["E3"] == kept  # the merged client's rows moved once, to the winner
    assert owners["E1"] == ("A1" if gone_id != survivor.id else kept)


def test_person_key_counts_merged_clients_once_in_sql(pair):
    survivor, merged = pair["survivor"], pair["merged"]
    count = select(func.count(person_key(Client.id).distinct()))
    assert db.session.scalar(count) == 2
    merge_clients(lead(), survivor.id, merged.id)
    db.session.commit()
    assert db.session.scalar(count) == 1


def test_a_one_per_client_row_the_survivor_already_has_stays_behind(pair):
    survivor, merged = pair["survivor"], pair["merged"]
    db.session.add(ClientRestriction(client_id=survivor.id, reason="safety"))
    db.session.commit()
    record = merge_clients(lead(), survivor.id, merged.id)
    db.session.commit()
    reasons = dict(db.session.execute(select(ClientRestriction.client_id, ClientRestriction.reason)).all())
    assert reasons == {survivor.id: "safety", merged.id: "dv_survivor"}
    assert record.flags["left_behind"]["client_restriction"] == 1
    undo_merge(lead(), record.id)
    db.session.commit()
    assert dict(db.session.execute(select(ClientRestriction.client_id, ClientRestriction.reason)).all()) == reasons
