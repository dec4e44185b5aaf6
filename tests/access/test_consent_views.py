"""Consent screens: record, list, revoke, restrict; only an agency serving the client may change them."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from hmis.access import policy
from hmis.access.operations import Actor
from hmis.extensions import db
from hmis.models import AuditEvent
from hmis.models.privacy import Consent

from .factories import enroll, make_client, make_org, make_project

PASSWORD = "correct horse battery"


def _setup(make_account):
    a, b = make_org("Agency A"), make_org("Agency B")
    person = make_client("Bea", "Brown")
    enroll(person, make_project(b))
    db.session.commit()
    make_account(email="cm-b@example.org", role="case_manager", organizations=[b.id])
    make_account(email="cm-a@example.org", role="case_manager", organizations=[a.id])
    return a, b, person


def _sign_in(client, email):
    assert client.post("/sign-in", data={"email": email, "password": PASSWORD}).status_code == 302


def test_serving_agency_records_and_revokes_consent(client, make_account):
    a, b, person = _setup(make_account)
    cm_a = Actor(None, "case_manager", frozenset({a.id}))
    assert not policy.can_see_client(cm_a, person)
    _sign_in(client, "cm-b@example.org")
    assert client.get(f"/clients/{person.id}/consents").status_code == 200
    response = client.post(f"/clients/{person.id}/consents", data={
        "status": "granted", "organizations": [str(a.id)], "start_date": date.today().isoformat(),
        "end_date": (date.today() + timedelta(days=365)).isoformat(), "documentation": "signed_form",
        "notes": "Signed at intake"})
    assert response.status_code == 302
    assert policy.can_see_client(cm_a, person)
    page = client.get(f"/clients/{person.id}/consents").get_data(as_text=True)
    assert 'data-consent-state="active"' in page and "Agency A" in page and "Signed at intake" in page

    row = db.session.scalar(select(Consent))
    assert client.post(f"/consents/{row.id}/revoke", data={"revoke-reason": "Client asked"}).status_code == 302
    assert not policy.can_see_client(cm_a, person)
    assert 'data-consent-state="revoked"' in client.get(f"/clients/{person.id}/consents").get_data(as_text=True)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"consent.record", "consent.revoke", "consent.view"} <= actions


def test_bad_consent_is_refused_by_field_and_writes_nothing(client, make_account):
    a, b, person = _setup(make_account)
    _sign_in(client, "cm-b@example.org")
    response = client.post(f"/clients/{person.id}/consents", data={
        "status": "granted", "start_date": "2026-05-01", "end_date": "2026-04-01", "documentation": "signed_form"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The end date is before the start date." in page and "Name at least one organization" in page
    assert db.session.scalar(select(Consent)) is None


def test_refusal_is_kept_and_shares_nothing(client, make_account):
    a, b, person = _setup(make_account)
    _sign_in(client, "cm-b@example.org")
    client.post(f"/clients/{person.id}/consents", data={
        "status": "refused", "start_date": date.today().isoformat(), "documentation": "verbal"})
    assert db.session.scalar(select(Consent.status)) == "refused"
    assert not policy.can_see_client(Actor(None, "case_manager", frozenset({a.id})), person)


def test_other_agency_cannot_see_or_widen_consent(client, make_account):
    a, b, person = _setup(make_account)
    _sign_in(client, "cm-a@example.org")
    assert client.get(f"/clients/{person.id}/consents").status_code == 403
    response = client.post(f"/clients/{person.id}/consents", data={
        "status": "granted", "organizations": [str(a.id)], "start_date": date.today().isoformat(),
        "documentation": "signed_form"})
    assert response.status_code == 403
    assert db.session.scalar(select(Consent)) is None


def test_restriction_hides_the_name_from_other_agencies(client, make_account):
    a, b, person = _setup(make_account)
    _sign_in(client, "cm-b@example.org")
    assert client.post(f"/clients/{person.id}/restriction", data={"restriction-reason": "dv_survivor"}
                       ).status_code == 302
    cm_a = Actor(None, "case_manager", frozenset({a.id}))
    cm_b = Actor(None, "case_manager", frozenset({b.id}))
    assert policy.display_name(cm_a, person) == "Restricted client"
    assert policy.display_name(cm_b, person) == "Bea Brown"
    client.post(f"/clients/{person.id}/restriction", data={"restriction-reason": ""})
    assert policy.display_name(cm_a, person) == "Bea Brown"
