"""The access matrix: role x action x owning organization x consent state.

Each role acts as staff of agency A. Six clients are enrolled at agency A or B, with
no consent, an active consent naming A, or an expired one. For every action the
expected outcome is written out here from the rule (not computed by the policy),
then checked against the real service calls, both ways: allowed and denied.
"""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import and_, select

from hmis.access import policy
from hmis.access.operations import Actor, PermissionDenied, require
from hmis.access.permissions import role_has
from hmis.extensions import db
from hmis.models import Client, Enrollment

from .factories import consent, enroll, make_client, make_org, make_project

ROLES = ("system_admin", "hmis_lead", "agency_admin", "case_manager", "intake", "analyst", "auditor")
FULL_ACCESS = {"system_admin", "hmis_lead", "auditor"}  # admin/sharing.yaml full_access_roles
OWNERS = ("A", "B")
CONSENTS = ("none", "active", "expired")
TODAY = date.today()


def expected(role: str, action: str, owner: str, consent_state: str) -> bool:
    own = owner == "A"
    profile = own or role in FULL_ACCESS or consent_state == "active"
    private = own or role in FULL_ACCESS  # consent shares profiles only (consent_shares: [profile])
    permission = {"view": "clients.view", "search": "clients.search", "form_edit": "assessments.edit",
                  "export": "exports.run", "drilldown": "reports.drilldown"}[action]
    if not role_has(role, permission):
        return False
    if action in ("view", "search"):
        return profile
    return private


@pytest.fixture
def world(app):
    a, b = make_org("Agency A"), make_org("Agency B")
    projects = {"A": make_project(a), "B": make_project(b)}
    people = {}
    for owner in OWNERS:
        for state in CONSENTS:
            person = make_client(f"{owner}{state}", "Matrixperson")
            enrollment = enroll(person, projects[owner])
            if state == "active":
                consent(person, [a], start=TODAY - timedelta(days=10), end=TODAY + timedelta(days=10))
            elif state == "expired":
                consent(person, [a], start=TODAY - timedelta(days=60), end=TODAY - timedelta(days=1))
            people[(owner, state)] = (person, enrollment)
    db.session.commit()
    return a, people


def _view(actor, person, enrollment):
    from hmis.records.clients import get_client

    try:
        return get_client(actor, person.id) is not None
    except PermissionDenied:
        return False


def _search(actor, person, enrollment):
    from hmis.records.clients import search_clients

    try:
        found = search_clients(actor, name=f"{person.first_name} Matrixperson", limit=50)
    except PermissionDenied:
        return False
    return person.id in {m.client.id for m in found}


def _form_edit(actor, person, enrollment):
    # What hmis.forms.responses.save_response checks before writing anything.
    try:
        require(actor, "assessments.edit")
        policy.require_enrollment(actor, enrollment, write=True)
    except PermissionDenied:
        return False
    return True


def _drilldown(actor, person, enrollment):
    # The statement shape hmis.reports.service.drilldown narrows with the policy.
    try:
        require(actor, "reports.drilldown")
    except PermissionDenied:
        return False
    statement = select(Client.id, Enrollment.id).join(Enrollment, and_(
        Enrollment.data_source_id == Client.data_source_id, Enrollment.personal_id == Client.personal_id)
    ).where(Enrollment.id == enrollment.id)
    statement = policy.filter_enrollments(actor, policy.filter_clients(actor, statement))
    return db.session.execute(statement).first() is not None


def _exported_people(account_id) -> set[str]:
    from hmis.interchange.services import create_export

    result = create_export(account_id, None, None)
    with zipfile.ZipFile(result["path"]) as archive:
        rows = csv.DictReader(io.TextIOWrapper(archive.open("Client.csv"), encoding="utf-8"))
        return {row["PersonalID"] for row in rows}


@pytest.mark.parametrize("role", ROLES)
def test_matrix(world, make_account, role):
    a, people = world
    account = make_account(email=f"{role}@example.org", role=role, organizations=[a.id])
    actor = Actor(account.id, role, frozenset({a.id}))
    checks = {"view": _view, "search": _search, "form_edit": _form_edit, "drilldown": _drilldown}
    exported = _exported_people(account.id) if role_has(role, "exports.run") else set()
    outcomes = {"allowed": 0, "denied": 0}
    for (owner, state), (person, enrollment) in people.items():
        for action, check in checks.items():
            want = expected(role, action, owner, state)
            assert check(actor, person, enrollment) is want, (role, action, owner, state)
            outcomes["allowed" if want else "denied"] += 1
        want = expected(role, "export", owner, state)
        assert (person.personal_id in exported) is want, (role, "export", owner, state)
    if role == "analyst":
        assert outcomes["allowed"] == 0  # aggregates only: no client-level data at all
    elif role not in FULL_ACCESS:
        assert outcomes["allowed"] and outcomes["denied"], outcomes  # both sides are proven
