"""Agency visibility (hmis.access.policy): own agency, consent, CoC-wide policy, VSPs, restrictions."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hmis.access import policy
from hmis.access.operations import Actor, PermissionDenied, system_actor
from hmis.access.sharing import SharingFileError, parse
from hmis.extensions import db
from hmis.models import Client, Enrollment

from .factories import consent, enroll, make_client, make_org, make_project, restrict

TODAY = date.today()


def actor(role="case_manager", *orgs):
    return Actor(account_id=None, role=role, organization_ids=frozenset(o.id for o in orgs))


@pytest.fixture
def world(app):
    a, b, v = make_org("Agency A"), make_org("Agency B"), make_org("Safe Haven", vsp=True)
    w = type("World", (), {})()
    w.a, w.b, w.v = a, b, v
    w.pa, w.pb, w.pv = make_project(a), make_project(b), make_project(v)
    w.at_b = make_client("Bea", "Brown")
    w.enr_b = enroll(w.at_b, w.pb)
    w.at_a = make_client("Al", "Avery")
    w.enr_a = enroll(w.at_a, w.pa)
    w.at_v = make_client("Vera", "Vance")
    enroll(w.at_v, w.pv)
    w.new_at_a = make_client("Nia", "New", origin=a)  # created at A, not enrolled yet
    db.session.commit()
    return w


def visible(who, *clients):
    ids = [c.id for c in clients]
    return set(db.session.scalars(policy.filter_clients(who, select(Client.id).where(Client.id.in_(ids)))))


def test_staff_see_their_own_agency_clients_only(world):
    cm_a = actor("case_manager", world.a)
    assert visible(cm_a, world.at_a, world.at_b, world.at_v, world.new_at_a) == {world.at_a.id, world.new_at_a.id}
    with pytest.raises(PermissionDenied, match="another agency"):
        policy.require_client(cm_a, world.at_b)
    policy.require_client(cm_a, world.at_a, scope="enrollments")
    assert policy.can_see_enrollment(cm_a, world.enr_a) and not policy.can_see_enrollment(cm_a, world.enr_b)


def test_active_consent_shares_the_profile_but_not_enrollments(world):
    cm_a = actor("case_manager", world.a)
    consent(world.at_b, [world.a])
    assert world.at_b.id in visible(cm_a, world.at_b)
    policy.require_client(cm_a, world.at_b)
    with pytest.raises(PermissionDenied, match="enrollments belong to other agencies"):
        policy.require_client(cm_a, world.at_b, scope="enrollments")
    assert not policy.can_see_enrollment(cm_a, world.enr_b)


@pytest.mark.parametrize("state", ["expired", "not_started", "revoked", "refused", "other_agency"])
def test_inactive_or_foreign_consent_shares_nothing(world, state):
    kwargs = {
        "expired": dict(start=TODAY - timedelta(days=30), end=TODAY - timedelta(days=1)),
        "not_started": dict(start=TODAY + timedelta(days=1)),
        "revoked": dict(revoked=True),
        "refused": dict(status="refused"),
        "other_agency": {},
    }[state]
    orgs = [world.b] if state == "other_agency" else [world.a]
    consent(world.at_b, orgs, **kwargs)
    assert visible(actor("case_manager", world.a), world.at_b) == set()


def test_consent_ending_today_still_counts(world):
    consent(world.at_b, [world.a], start=TODAY - timedelta(days=3), end=TODAY)
    assert visible(actor("case_manager", world.a), world.at_b) == {world.at_b.id}


def test_all_organizations_consent_needs_an_organization(world):
    consent(world.at_b, all_organizations=True)
    assert visible(actor("case_manager", world.a), world.at_b) == {world.at_b.id}
    assert visible(actor("case_manager"), world.at_b) == set()  # staff of no agency


def test_victim_service_provider_data_is_never_shared(world):
    consent(world.at_v, [world.a], all_organizations=True)
    assert visible(actor("case_manager", world.a), world.at_v) == set()
    assert visible(actor("hmis_lead"), world.at_v) == set()
    assert visible(actor("case_manager", world.v), world.at_v) == {world.at_v.id}
    assert visible(system_actor(), world.at_v) == {world.at_v.id}


def test_full_access_roles_see_all_but_vsp_enrollments(world):
    lead = actor("hmis_lead")
    assert visible(lead, world.at_a, world.at_b, world.at_v) == {world.at_a.id, world.at_b.id}
    enrollments = set(db.session.scalars(policy.filter_enrollments(lead, select(Enrollment.id))))
    vsp_enrollment = db.session.scalar(select(Enrollment.id).where(Enrollment.project_id == world.pv.project_id))
    assert world.enr_a.id in enrollments and world.enr_b.id in enrollments and vsp_enrollment not in enrollments


def test_client_also_served_by_a_vsp_is_shared_through_the_other_agency(world):
    enroll(world.at_b, world.pv)
    consent(world.at_b, [world.a])
    assert visible(actor("case_manager", world.a), world.at_b) == {world.at_b.id}


def test_roles_without_client_permission_see_no_client(world):
    assert visible(actor("analyst", world.a), world.at_a) == set()


def test_restricted_name_hidden_from_other_agencies(world):
    restrict(world.at_b)
    consent(world.at_b, [world.a])
    assert policy.display_name(actor("case_manager", world.a), world.at_b) == "Restricted client"
    assert policy.display_name(actor("hmis_lead"), world.at_b) == "Restricted client"
    assert policy.display_name(actor("case_manager", world.b), world.at_b) == "Bea Brown"
    assert policy.display_name(actor("case_manager", world.a), world.at_a) == "Al Avery"


def _use_policy(tmp_path, monkeypatch, text):
    path = tmp_path / "sharing.yaml"
    path.write_text(text)
    monkeypatch.setenv("HMIS_SHARING_FILE", str(path))


def test_coc_wide_profile_sharing_skips_restricted_and_vsp_clients(world, tmp_path, monkeypatch):
    _use_policy(tmp_path, monkeypatch, "client_profile: coc_wide\n")
    restricted = make_client("Rae", "Rest")
    enroll(restricted, world.pb)
    restrict(restricted)
    cm_a = actor("case_manager", world.a)
    assert visible(cm_a, world.at_b, world.at_v, restricted) == {world.at_b.id}
    assert not policy.can_see_enrollment(cm_a, world.enr_b)  # profiles only


def test_consent_can_share_enrollments_when_the_policy_says_so(world, tmp_path, monkeypatch):
    _use_policy(tmp_path, monkeypatch, "consent_shares: [profile, enrollments]\n")
    cm_a = actor("case_manager", world.a)
    assert not policy.can_see_enrollment(cm_a, world.enr_b)
    consent(world.at_b, [world.a])
    assert policy.can_see_enrollment(cm_a, world.enr_b)
    policy.require_client(cm_a, world.at_b, scope="enrollments")


def test_only_the_projects_agency_may_change_an_enrollment(world):
    policy.require_enrollment(actor("case_manager", world.b), world.enr_b, write=True)
    with pytest.raises(PermissionDenied):
        policy.require_enrollment(actor("case_manager", world.a), world.enr_b, write=True)


def test_new_client_belongs_to_the_creating_agency(world):
    cm_a = actor("case_manager", world.a)
    created = make_client("Cy", "Created")
    policy.claim_new_client(cm_a, created)
    assert policy.home_organization_ids(created) == {world.a.id}
    assert visible(cm_a, created) == {created.id}
    with pytest.raises(PermissionDenied, match="not assigned to an organization"):
        policy.claim_new_client(actor("case_manager"), make_client())
    with pytest.raises(PermissionDenied, match="organization you work for"):
        policy.claim_new_client(cm_a, make_client(), organization_id=world.b.id)


@pytest.mark.parametrize("text, fragment", [
    ({"client_profile": "everyone"}, "client_profile"),
    ({"consent_shares": ["enrollments"]}, "consent_shares"),
    ({"share_everything": True}, "unknown key"),
    ({"full_access_roles": "hmis_lead"}, "full_access_roles"),
])
def test_bad_sharing_file_is_refused_by_key(text, fragment):
    with pytest.raises(SharingFileError, match=fragment):
        parse(text)


def test_shipped_sharing_file_parses():
    from hmis.access.sharing import SHIPPED, _load

    loaded = _load(str(SHIPPED))
    assert loaded.client_profile == "consent" and "hmis_lead" in loaded.full_access_roles


def test_policy_files_agree_on_role_names():
    from hmis.access.accounts import ROLES
    from hmis.access.permissions import agency_assignable_roles, roles
    from hmis.access.sharing import SHIPPED, _load

    defined = set(roles())
    assert set(ROLES) == defined
    assert _load(str(SHIPPED)).full_access_roles <= defined
    assert set(agency_assignable_roles()) <= defined and "hmis_lead" not in agency_assignable_roles()
