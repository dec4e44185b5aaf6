"""The signed-in account, its role and its agencies are read afresh on every request
(in one query): a change an administrator makes applies at the signed-in person's next
request, not at their next sign-in."""
from __future__ import annotations

from hmis.access.memberships import set_organizations
from hmis.extensions import db
from hmis.models import Account, Organization
from hmis.records.ids import local_source
from hmis.web.auth import current_actor


def _sign_in(app, email):
    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": "correct horse battery"})
    assert response.status_code in (302, 303)
    return client


def test_a_revoked_role_refuses_the_next_request(app, make_account):
    account = make_account("lead@example.org", role="hmis_lead")
    client = _sign_in(app, "lead@example.org")
    assert client.get("/accounts").status_code == 200
    db.session.get(Account, account.id).role = "case_manager"
    db.session.commit()
    assert client.get("/accounts").status_code == 403
    assert client.get("/records/find").status_code == 200  # still signed in, with the new role


def test_a_deactivated_account_is_signed_out_at_its_next_request(app, make_account):
    account = make_account("cm@example.org", role="case_manager")
    client = _sign_in(app, "cm@example.org")
    assert client.get("/records/find").status_code == 200
    db.session.get(Account, account.id).is_active = False
    db.session.commit()
    assert client.get("/records/find").status_code == 302


def test_a_membership_change_applies_at_the_next_request(app, make_account):
    source = local_source()
    first = Organization(data_source_id=source.id, organization_id="A1", organization_name="First Agency")
    second = Organization(data_source_id=source.id, organization_id="A2", organization_name="Second Agency")
    db.session.add_all([first, second])
    db.session.flush()
    account = make_account("cm@example.org", role="case_manager", organizations=[first.id])
    client = _sign_in(app, "cm@example.org")
    with client:
        client.get("/records/find")
        assert current_actor().organization_ids == frozenset({first.id})
    set_organizations(db.session.get(Account, account.id), [second.id])
    db.session.commit()
    with client:
        client.get("/records/find")
        assert current_actor().organization_ids == frozenset({second.id})
