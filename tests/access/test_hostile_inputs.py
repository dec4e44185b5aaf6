"""Hostile inputs (XSS, SQL fragments, oversized values, odd Unicode) through the app's inputs:
nothing executes, nothing breaks, and what is stored comes back exactly as typed, escaped."""
from __future__ import annotations

from datetime import date

import pytest
from markupsafe import escape
from sqlalchemy import select

from hmis.extensions import db
from hmis.models import Account
from hmis.models.privacy import Consent

from .factories import enroll, make_client, make_org, make_project

PAYLOADS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "'; DROP TABLE client; --",
    "1' OR '1'='1",
    "Robert\"); DELETE FROM account WHERE (\"1\"=\"1",
    "%_\\ wildcards %%",
    "{{ 7*7 }} {% raw %}",
    "Zoë Ñúñez 李小龍 𝒜𝓁𝒾𝒸ℯ 😀",
    "right\u202eto-left override\u202c and zero\u200bwidth",
    "line one\nline two\ttabbed",
    "x" * 1900,
]
#: The markup that must never reach a page unescaped.
DANGEROUS = ("<script>alert('x')</script>", '"><img src=x onerror=alert(1)>')
PASSWORD = "correct horse battery"


@pytest.fixture
def admin_client(client, make_account):
    make_account(email="root@example.org", role="system_admin")
    assert client.post("/sign-in", data={"email": "root@example.org", "password": PASSWORD}).status_code == 302
    return client


def _query_routes(app):
    """GET pages that take no path arguments."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith("/static") \
                and rule.endpoint not in ("auth.sign_out",):
            yield rule.rule


def test_every_page_survives_hostile_query_arguments(app, admin_client):
    names = ("q", "search", "name", "action", "account", "subject_type", "subject_id", "from", "to", "page",
             "status", "organization", "project", "project_type", "kind", "dob", "next")
    for payload in PAYLOADS + ["\x00nul", "9" * 400, "-1"]:
        for route in _query_routes(app):
            response = admin_client.get(route, query_string={n: payload for n in names})
            assert response.status_code < 500, (route, payload, response.status_code)
            body = response.get_data(as_text=True)
            for bad in DANGEROUS:
                assert bad not in body, (route, payload)


def test_sign_in_with_hostile_values_fails_cleanly(client):
    for payload in PAYLOADS:
        response = client.post("/sign-in", data={"email": payload, "password": payload})
        assert response.status_code in (401, 429)
        assert not any(bad in response.get_data(as_text=True) for bad in DANGEROUS)
    response = client.post("/sign-in", data={"email": "a\x00b@example.org", "password": "x"})
    assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)


def test_consent_notes_are_stored_exactly_and_shown_escaped(app, make_account):
    a, b = make_org("Agency A"), make_org("Agency <b>B</b> & Co")
    person = make_client("<script>alert('x')</script>", "O'Brien; DROP TABLE")
    enroll(person, make_project(a))
    db.session.commit()
    make_account(email="cm@example.org", role="case_manager", organizations=[a.id])
    browser = app.test_client()
    browser.post("/sign-in", data={"email": "cm@example.org", "password": PASSWORD})
    for payload in PAYLOADS:
        response = browser.post(f"/clients/{person.id}/consents", data={
            "status": "granted", "organizations": [str(b.id)], "start_date": date.today().isoformat(),
            "documentation": "other", "notes": payload})
        assert response.status_code == 302, payload
        stored = db.session.scalar(select(Consent.notes).order_by(Consent.id.desc()))
        assert stored == payload.strip()
    page = browser.get(f"/clients/{person.id}/consents").get_data(as_text=True)
    for payload in PAYLOADS:
        assert str(escape(payload.strip())) in page, payload
    for bad in DANGEROUS:
        assert bad not in page
    assert "Agency &lt;b&gt;B&lt;/b&gt; &amp; Co" in page


def test_oversized_consent_notes_are_refused_with_a_message(app, make_account):
    a = make_org("Agency A")
    person = make_client()
    enroll(person, make_project(a))
    db.session.commit()
    make_account(email="cm@example.org", role="case_manager", organizations=[a.id])
    browser = app.test_client()
    browser.post("/sign-in", data={"email": "cm@example.org", "password": PASSWORD})
    response = browser.post(f"/clients/{person.id}/consents", data={
        "status": "granted", "all_organizations": "y", "start_date": date.today().isoformat(),
        "documentation": "other", "notes": "n" * 100_000})
    assert response.status_code == 400 and "2000 characters" in response.get_data(as_text=True)
    assert db.session.scalar(select(Consent)) is None


def test_invited_names_are_stored_exactly_and_shown_escaped(admin_client):
    for i, payload in enumerate(PAYLOADS[:-1]):
        response = admin_client.post("/accounts", data={"email": f"p{i}@example.org", "name": payload,
                                                        "role": "intake"})
        assert response.status_code == 200, payload
        stored = db.session.scalar(select(Account.name).where(Account.email == f"p{i}@example.org"))
        assert stored == payload.strip()
    page = admin_client.get("/accounts").get_data(as_text=True)
    for bad in DANGEROUS:
        assert bad not in page
    assert str(escape(PAYLOADS[0])) in page
    response = admin_client.post("/accounts", data={"email": "big@example.org", "name": "n" * 5000,
                                                    "role": "intake"})
    assert response.status_code == 400
    assert db.session.scalar(select(Account).where(Account.email == "big@example.org")) is None


def _post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.endpoint.startswith("auth."):  # sign-in has its own test
            yield rule


FIELDS = ("name", "q", "email", "first_name", "last_name", "middle_name", "notes", "reason", "title", "label",
          "body", "text", "value", "comment", "search", "code", "dob", "ssn", "start", "end", "start_date",
          "end_date", "status", "role", "documentation", "key", "project", "projects", "organization",
          "organizations", "source_id")


def test_every_form_survives_hostile_values(app, admin_client, make_account):
    """Every POST endpoint, with every common field name set to each payload: no server error,
    no payload markup reflected unescaped."""
    a = make_org("Agency A")
    person = make_client()
    enroll(person, make_project(a))
    db.session.commit()
    target = make_account(email="target@example.org", role="intake")
    failures = []
    statuses: dict[str, set[int]] = {}
    for rule in _post_routes(app):
        ids = {"id": person.id, "client_id": person.id, "account_id": target.id}
        values = {name: ids.get(name, 1) for name in rule.arguments}
        for argument in rule.arguments:
            converter = rule._converters.get(argument)
            if converter is not None and type(converter).__name__ not in ("IntegerConverter",):
                values[argument] = "x"
        try:
            from flask import url_for

            with app.test_request_context():
                url = url_for(rule.endpoint, **values)
        except Exception:  # noqa: BLE001 - an endpoint we cannot build a URL for is skipped
            continue
        for payload in PAYLOADS:
            if admin_client.get("/").status_code != 200:  # an endpoint ended the session: sign in again
                admin_client.post("/sign-in", data={"email": "root@example.org", "password": PASSWORD})
            response = admin_client.post(url, data={name: payload for name in FIELDS},
                                         headers={"HX-Request": "true"} if "hx" in rule.rule else {})
            body = response.get_data(as_text=True)
            if response.status_code >= 500 or any(bad in body for bad in DANGEROUS):
                failures.append((rule.rule, payload[:30], response.status_code))
            statuses.setdefault(rule.rule, set()).add(response.status_code)
            db.session.rollback()
    assert failures == []
    assert len(statuses) >= 10, statuses  # the app's forms were really reached
