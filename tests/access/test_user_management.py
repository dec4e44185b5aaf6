"""User management: invite, set a password through the link, assign, deactivate, reset."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from hmis.access import admin
from hmis.access.accounts import AccountError, authenticate
from hmis.access.memberships import organization_ids
from hmis.access.operations import Actor, PermissionDenied
from hmis.extensions import db
from hmis.models import Account, AuditEvent

from .factories import make_org

PASSWORD = "correct horse battery"


def _sign_in(client, email, password=PASSWORD):
    return client.post("/sign-in", data={"email": email, "password": password})


def _link(page: str) -> str:
    return re.search(r"http://localhost(/account/set-password/[^<\s]+)", page).group(1)


def test_lead_invites_and_the_invitee_chooses_a_password(client, make_account):
    org = make_org("Agency A")
    db.session.commit()
    make_account(email="lead@example.org")
    _sign_in(client, "lead@example.org")
    page = client.post("/accounts", data={"email": "new@example.org", "name": "Nico New", "role": "case_manager",
                                          "organizations": [str(org.id)]}).get_data(as_text=True)
    link = _link(page)
    invited = db.session.scalar(select(Account).where(Account.email == "new@example.org"))
    assert invited.role == "case_manager" and organization_ids(invited.id) == {org.id}
    client.post("/sign-out")

    assert client.post(link, data={"password": "short", "confirm": "short"}).status_code == 400
    assert client.post(link, data={"password": "a new long phrase", "confirm": "a new long phrase"}).status_code == 302
    assert client.get(link).status_code == 404  # used once
    assert _sign_in(client, "new@example.org", "a new long phrase").status_code == 302
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"account.invite", "account.password_set", "sign_in"} <= actions


def test_invitation_link_token_is_not_stored(client, make_account):
    from hmis.models.privacy import AccountToken

    make_account(email="lead@example.org")
    _sign_in(client, "lead@example.org")
    page = client.post("/accounts", data={"email": "new@example.org", "name": "N", "role": "intake"}).get_data(
        as_text=True)
    token = _link(page).rsplit("/", 1)[1]
    stored = db.session.scalar(select(AccountToken.token_hash))
    assert token not in stored and len(stored) == 64


def test_deactivating_ends_the_session_and_sign_in(app, make_account):
    lead = make_account(email="lead@example.org")
    staff = make_account(email="staff2@example.org", role="case_manager")
    staff_client = app.test_client()
    _sign_in(staff_client, "staff2@example.org")
    assert staff_client.get("/").status_code == 200
    lead_client = app.test_client()
    _sign_in(lead_client, "lead@example.org")
    assert lead_client.post(f"/accounts/{staff.id}/deactivate").status_code == 302
    assert staff_client.get("/").status_code == 302
    assert authenticate("staff2@example.org", PASSWORD) is None
    with pytest.raises(AccountError, match="your own"):
        admin.set_active(Actor(lead.id, "hmis_lead"), lead.id, False)


def test_reset_password_ends_sessions_and_issues_a_link(app, make_account):
    make_account(email="lead@example.org")
    staff = make_account(email="staff2@example.org", role="case_manager")
    staff_client = app.test_client()
    _sign_in(staff_client, "staff2@example.org")
    lead_client = app.test_client()
    _sign_in(lead_client, "lead@example.org")
    page = lead_client.post(f"/accounts/{staff.id}/reset-password").get_data(as_text=True)
    link = _link(page)
    assert staff_client.get("/").status_code == 302  # old sessions ended
    assert authenticate("staff2@example.org", PASSWORD) is None  # the old password no longer works
    assert staff_client.post(link, data={"password": "brand new phrase", "confirm": "brand new phrase"}
                             ).status_code == 302


def test_assign_role_and_organizations_is_audited(client, make_account):
    a, b = make_org("Agency A"), make_org("Agency B")
    db.session.commit()
    make_account(email="lead@example.org")
    staff = make_account(email="staff2@example.org", role="case_manager", organizations=[a.id])
    _sign_in(client, "lead@example.org")
    response = client.post(f"/accounts/{staff.id}", data={"role": "intake", "organizations": [str(a.id), str(b.id)]})
    assert response.status_code == 302
    db.session.expire_all()
    assert staff.role == "intake" and organization_ids(staff.id) == {a.id, b.id}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.assign"))
    assert event.details["before"]["role"] == "case_manager" and event.details["after"]["organizations"] == sorted(
        [a.id, b.id])


def test_agency_admin_manages_only_their_agency(app, make_account):
    a, b = make_org("Agency A"), make_org("Agency B")
    db.session.commit()
    boss = make_account(email="boss@example.org", role="agency_admin", organizations=[a.id])
    mine = make_account(email="mine@example.org", role="case_manager", organizations=[a.id])
    theirs = make_account(email="theirs@example.org", role="case_manager", organizations=[b.id])
    lead = make_account(email="lead@example.org", role="hmis_lead")
    actor = Actor(boss.id, "agency_admin", frozenset({a.id}))
    assert {x.email for x in admin.list_accounts(actor)} == {"boss@example.org", "mine@example.org"}
    admin.assign(actor, mine.id, "intake", [a.id])
    for target in (theirs, lead):
        with pytest.raises(PermissionDenied):
            admin.set_active(actor, target.id, False)
    with pytest.raises(PermissionDenied, match="role"):
        admin.assign(actor, mine.id, "hmis_lead", [a.id])
    with pytest.raises(PermissionDenied, match="your own organizations"):
        admin.invite_account(actor, "x@example.org", "X", "case_manager", [b.id])
    admin.invite_account(actor, "x@example.org", "X", "case_manager", [a.id])


def test_only_system_admins_make_system_admins(app, make_account):
    lead = make_account(email="lead@example.org")
    with pytest.raises(PermissionDenied, match="system administrator"):
        admin.invite_account(Actor(lead.id, "hmis_lead"), "x@example.org", "X", "system_admin", [])


def test_case_managers_cannot_manage_accounts(client, make_account):
    make_account(email="cm@example.org", role="case_manager")
    _sign_in(client, "cm@example.org")
    assert client.get("/accounts").status_code == 403


def test_bad_invitation_is_refused_with_a_message_and_writes_nothing(client, make_account):
    make_account(email="lead@example.org")
    _sign_in(client, "lead@example.org")
    response = client.post("/accounts", data={"email": "lead@example.org", "name": "Dup", "role": "intake"})
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)
    response = client.post("/accounts", data={"email": "n@example.org", "name": "N", "role": "intake",
                                              "organizations": ["99999"]})
    assert response.status_code == 400
    assert db.session.scalar(select(Account).where(Account.email == "n@example.org")) is None


def test_users_screen_is_in_the_nav_for_account_managers_only(app, make_account):
    a = make_org("Agency A")
    db.session.commit()
    make_account(email="boss@example.org", role="agency_admin", organizations=[a.id])
    make_account(email="cm@example.org", role="case_manager", organizations=[a.id])
    for email, shown in (("boss@example.org", True), ("cm@example.org", False)):
        browser = app.test_client()
        _sign_in(browser, email)
        assert ('href="/accounts"' in browser.get("/").get_data(as_text=True)) is shown, email


def test_demo_lead_skips_two_factor_only_in_a_demo(app_factory):
    from hmis.access import totp
    from hmis.access.accounts import create_account
    from hmis.setup import DEMO_EMAIL

    demo = app_factory("sqlite", SKIP_TWO_FACTOR=False, DEMO_DATA=True)
    with demo.app_context():
        lead = create_account(DEMO_EMAIL, "Demo", PASSWORD, role="hmis_lead")
        other = create_account("lead2@example.org", "Lead", PASSWORD, role="hmis_lead")
        assert not totp.required(lead) and totp.required(other)
    plain = app_factory("sqlite", SKIP_TWO_FACTOR=False)
    with plain.app_context():
        lead = create_account(DEMO_EMAIL, "Demo", PASSWORD, role="hmis_lead")
        assert totp.required(lead)


def test_every_privacy_form_needs_its_csrf_token(app_factory):
    from hmis.access.memberships import set_organizations
    from hmis.access.accounts import create_account

    app = app_factory("sqlite", WTF_CSRF_ENABLED=True)
    with app.app_context():
        org = make_org("Agency A")
        root = create_account("root@example.org", "Root", PASSWORD, "system_admin")
        set_organizations(root, [org.id])
        other = create_account("other@example.org", "Other", PASSWORD, "intake")
        db.session.commit()
        browser = app.test_client()
        page = browser.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert browser.post("/sign-in", data={"email": "root@example.org", "password": PASSWORD,
                                              "csrf_token": token}).status_code == 302
        for url in ("/accounts", f"/accounts/{other.id}", f"/accounts/{other.id}/deactivate",
                    f"/accounts/{other.id}/reset-password", "/clients/1/consents", "/consents/1/revoke",
                    "/clients/1/restriction"):
            response = browser.post(url, data={"email": "x@example.org", "name": "X", "role": "intake"})
            assert response.status_code == 400, url
        db.session.expire_all()
        assert db.session.get(Account, other.id).is_active
        assert db.session.scalar(select(Account).where(Account.email == "x@example.org")) is None
