"""In a real browser: agency A's case manager cannot see agency B's client or private
enrollment; once the client's consent names agency A the profile (only) appears; when
the consent expires it is gone again."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from hmis.access.memberships import set_organizations
from hmis.access.accounts import create_account
from hmis.extensions import db
from hmis.models.privacy import Consent

from ..access.factories import enroll, make_client, make_org, make_project
from .conftest import serving, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture
def privacy_server(sqlite_app):
    a, b = make_org("Northside Agency"), make_org("Southside Shelter Org")
    person = make_client("Beatrix", "Bramblewood")
    enroll(person, make_project(b, "Southside Private Shelter"))
    for email, org in (("cm-a@example.org", a), ("cm-b@example.org", b)):
        account = create_account(email, email.split("@")[0], PASSWORD, "case_manager")
        set_organizations(account, [org.id])
    db.session.commit()
    with serving(sqlite_app) as base:
        yield base, person.id


def _signed_in(browser, base: str, email: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, base, email)
    return page, problems


def test_consent_opens_and_expiry_closes_the_profile(privacy_server, browser):
    base, client_id = privacy_server
    client_url = f"{base}/clients/{client_id}"
    agency_a, problems_a = _signed_in(browser, base, "cm-a@example.org")

    # 1. No consent: agency A sees neither the client nor the enrollment, and cannot find them.
    response = agency_a.goto(client_url)
    assert response.status == 403
    assert "Bramblewood" not in agency_a.content() and "Southside Private Shelter" not in agency_a.content()
    agency_a.goto(f"{base}/clients?q=Bramblewood")
    assert "Beatrix" not in agency_a.content()

    # 2. Agency B records the client's consent naming agency A, in the browser.
    agency_b, problems_b = _signed_in(browser, base, "cm-b@example.org")
    agency_b.goto(f"{base}/clients/{client_id}/consents")
    agency_b.get_by_label("Consent given").check()
    agency_b.get_by_label("Share with these organizations").select_option(label="Northside Agency")
    agency_b.get_by_label("Starts").fill(date.today().isoformat())
    agency_b.get_by_label("Ends (last day; leave empty until revoked)").fill(
        (date.today() + timedelta(days=30)).isoformat())
    agency_b.get_by_label("Documented by").select_option("signed_form")
    agency_b.get_by_role("button", name="Record consent").click()
    agency_b.wait_for_load_state()
    assert "Consent recorded." in agency_b.content()
    assert agency_b.locator('[data-consent-state="active"]').count() == 1

    # 3. Agency A now sees the shared profile, but still not B's private enrollment.
    response = agency_a.goto(client_url)
    assert response.status == 200
    assert "Bramblewood" in agency_a.content()
    assert "Southside Private Shelter" not in agency_a.content()

    # 4. Time passes: the consent has ended, and the profile is closed again.
    db.session.execute(update(Consent).values(start_date=date.today() - timedelta(days=60),
                                              end_date=date.today() - timedelta(days=1)))
    db.session.commit()
    response = agency_a.goto(client_url)
    assert response.status == 403
    assert "Bramblewood" not in agency_a.content()
    assert problems_a == [] and problems_b == []


def test_lead_enrols_two_factor_and_invites_a_user(app_factory, browser):
    import pyotp

    app = app_factory("sqlite", SKIP_TWO_FACTOR=False)
    with app.app_context():
        org = make_org("Northside Agency")
        create_account("lead@example.org", "Lee Lead", PASSWORD, "hmis_lead")
        db.session.commit()
        org_name = org.organization_name
        with serving(app) as base:
            context = browser.new_context(viewport={"width": 390, "height": 844})  # phone width
            page = context.new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(base + "/sign-in")
            page.get_by_label("Email").fill("lead@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(base + "/sign-in/two-factor")
            secret = page.locator("#totp-secret").inner_text().strip()
            page.get_by_label("Six-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
            page.get_by_role("button", name="Continue").click()
            page.wait_for_url(base + "/")

            page.get_by_role("link", name="Users").click()
            page.get_by_label("Email", exact=True).fill("new.person@example.org")
            page.get_by_label("Name", exact=True).fill("New <b>Person</b>")
            page.get_by_label("Role").select_option("case_manager")
            page.get_by_label("Organizations").select_option(label=org_name)
            page.get_by_role("button", name="Invite").click()
            page.wait_for_load_state()
            link = page.locator("#invitation-link").inner_text().strip()
            assert "/account/set-password/" in link
            assert page.get_by_role("link", name="New <b>Person</b>").count() == 1  # shown as typed, not as markup
            assert problems == []
            context.close()
