"""Sign-in, the read-only pages, search, paging, htmx partials and escaping."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from hmis.access.accounts import hash_password
from hmis.extensions import db
from hmis.models import Account, Client

from . import factories

PASSWORD = "correct horse battery"
PROTECTED = ["/", "/clients", "/clients/1", "/projects", "/projects/1", "/organizations", "/organizations/1",
             "/imports/", "/imports/new", "/imports/1", "/imports/1/issues.csv", "/jobs/abc", "/no-such-page"]


def body(response) -> str:
    return response.get_data(as_text=True)


# -- signing in ------------------------------------------------------------------------

@pytest.mark.parametrize("path", PROTECTED)
def test_every_page_needs_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/sign-in"


def test_redirect_remembers_the_page(client):
    response = client.get("/clients?q=smith")
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == ["/clients?q=smith"]


def test_htmx_request_without_sign_in_redirects_the_browser(client):
    response = client.get("/clients?q=x", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/sign-in")


def test_sign_in_page_is_public_and_has_labels(client):
    response = client.get("/sign-in")
    assert response.status_code == 200
    html = body(response)
    assert '<label class="field__label" for="email">Email</label>' in html
    assert 'autocomplete="current-password"' in html


@pytest.mark.parametrize("email, password", [
    ("staff@example.org", "wrong password!"),
    ("nobody@example.org", PASSWORD),
])
def test_wrong_credentials_get_one_generic_message(client, make_account, email, password):
    make_account()
    response = client.post("/sign-in", data={"email": email, "password": password})
    assert response.status_code == 401
    html = body(response)
    assert "Email or password is not right" in html
    assert "No account" not in html and "unknown" not in html.lower()
    assert client.get("/").status_code == 302


def test_failed_sign_in_is_counted(client, make_account):
    account = make_account()
    client.post("/sign-in", data={"email": "staff@example.org", "password": "wrong password!"})
    db.session.expire_all()
    assert db.session.get(Account, account.id).failed_sign_ins == 1


def test_sign_in_opens_the_requested_page(client, make_account):
    make_account()
    response = client.post("/sign-in?next=/clients%3Fq%3Dada",
                           data={"email": "Staff@Example.org ", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/clients?q=ada"
    home = client.get("/")
    assert home.status_code == 200
    assert "Test Staff" in body(home)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                      "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(client, make_account, next_url):
    make_account()
    response = client.post("/sign-in", query_string={"next": next_url},
                           data={"email": "staff@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session(signed_in):
    assert signed_in.get("/").status_code == 200
    response = signed_in.post("/sign-out")
    assert response.status_code == 302
    assert signed_in.get("/").status_code == 302


def test_changing_the_password_ends_other_sessions(signed_in):
    account = db.session.scalar(db.select(Account))
    account.password_hash = hash_password("a brand new password")
    db.session.commit()
    assert signed_in.get("/").status_code == 302


def test_deactivated_account_is_signed_out(signed_in):
    account = db.session.scalar(db.select(Account))
    account.is_active = False
    db.session.commit()
    assert signed_in.get("/").status_code == 302


def test_security_headers(signed_in):
    response = signed_in.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "HX-Request" in response.headers.get("Vary", "")
    assert response.headers["Cache-Control"] == "no-store"
    html = body(response)
    assert "<script>" not in html and " style=" not in html and " onclick" not in html
    assert '"includeIndicatorStyles": false' in html
    assert 'name="csrf-token"' in html


# -- pages -----------------------------------------------------------------------------

def test_home_shows_counts_and_links(signed_in):
    factories.small_world()
    html = body(signed_in.get("/"))
    # 2 organizations, 3 projects, 5 clients, 4 enrollments, 3 of them open
    for label, count in [("Organizations", 2), ("Projects", 3), ("Clients", 5), ("Enrollments", 4),
                         ("Open enrollments", 3)]:
        assert f'<span class="stat__value">{count}</span><span class="stat__label">{label}</span>' in html
    assert 'href="/imports/new"' in html
    assert 'aria-current="page">Home' in html


def test_lists_paginate(app, signed_in):
    factories.small_world()
    app.config["PAGE_SIZE"] = 2
    first = body(signed_in.get("/clients"))
    assert "1–2 of 5 clients" in first
    assert "Hopper, Grace" in first and "Johnson, Katherine" in first
    assert "Lovelace" not in first
    assert 'href="/clients?page=2"' in first
    last = body(signed_in.get("/clients?page=3"))
    assert "5–5 of 5 clients" in last and "Turing, Alan" in last
    # past the end: an empty page, not an error
    assert signed_in.get("/clients?page=99").status_code == 200
    assert "1–2 of 3 projects" in body(signed_in.get("/projects"))
    assert "1–2 of 2 organizations" in body(signed_in.get("/organizations"))


def test_client_search_by_name_parts_and_personal_id(signed_in):
    factories.small_world()
    html = body(signed_in.get("/clients?q=hopp gra"))
    assert "Hopper, Grace" in html and "Lovelace" not in html
    html = body(signed_in.get("/clients?q=Smith, John"))
    assert "Smith, John" in html and "Hopper" not in html
    html = body(signed_in.get("/clients?q=C3"))
    assert "Turing, Alan" in html and "Hopper" not in html
    html = body(signed_in.get("/clients?q=zzz"))
    assert "No client matches" in html
    # LIKE wildcards are plain characters
    assert "No client matches" in body(signed_in.get("/clients?q=%25"))


def test_project_filters(signed_in):
    world = factories.small_world()
    outreach_org = world["orgs"][1]
    html = body(signed_in.get(f"/projects?organization={outreach_org.id}"))
    assert "Street Team" in html and "Harbor Night Shelter" not in html
    html = body(signed_in.get("/projects?type=2"))
    assert "Harbor Transitional Housing" in html and "Street Team" not in html
    html = body(signed_in.get("/projects?q=night"))
    assert "Harbor Night Shelter" in html and "Harbor Transitional Housing" not in html


def test_project_type_shows_its_label(signed_in):
    factories.small_world()
    html = body(signed_in.get("/projects"))
    assert "ES - Night-by-Night" in html
    assert '<option value="4">Street Outreach</option>' in html


def test_htmx_gets_only_the_rows(signed_in):
    factories.small_world()
    response = signed_in.get("/clients?q=grace", headers={"HX-Request": "true"})
    html = body(response)
    assert response.status_code == 200
    assert "<html" not in html and "<nav class=\"main-nav\"" not in html
    assert "Hopper, Grace" in html and "Lovelace" not in html
    # history restore after a cache miss needs the whole page
    restore = body(signed_in.get("/clients?q=grace", headers={"HX-Request": "true",
                                                              "HX-History-Restore-Request": "true"}))
    assert "<html" in restore


def test_search_form_is_wired_for_htmx(signed_in):
    html = body(signed_in.get("/clients"))
    assert 'hx-get="/clients"' in html
    assert 'hx-trigger="input changed delay:300ms, submit"' in html
    assert 'hx-target="#client-results"' in html and 'hx-push-url="true"' in html
    assert 'id="client-results"' in html


def test_client_profile_with_enrollments(signed_in):
    world = factories.small_world()
    grace = world["people"][1]
    html = body(signed_in.get(f"/clients/{grace.id}"))
    assert "Hopper, Grace" in html
    assert "Harbor Night Shelter" in html and "Harbor Transitional Housing" in html
    assert "2024-03-05" in html
    assert "Veteran" in html
    ada = world["people"][0]
    html = body(signed_in.get(f"/clients/{ada.id}"))
    assert "2024-02-01" in html  # exit date


def test_project_and_organization_details(signed_in):
    world = factories.small_world()
    shelter = world["projects"][0]
    html = body(signed_in.get(f"/projects/{shelter.id}"))
    assert "GRANT-7" in html and "XX-500" in html and "Harbor City" in html and ">40<" in html
    assert "Lovelace, Ada" in html and "Hopper, Grace" in html
    partial = body(signed_in.get(f"/projects/{shelter.id}", headers={"HX-Request": "true"}))
    assert "<html" not in partial and "Lovelace, Ada" in partial
    org = world["orgs"][0]
    html = body(signed_in.get(f"/organizations/{org.id}"))
    assert "Harbor Shelter Services" in html and "Harbor Transitional Housing" in html


@pytest.mark.parametrize("path", ["/clients/999", "/projects/999", "/organizations/999"])
def test_missing_records_are_404(signed_in, path):
    response = signed_in.get(path)
    assert response.status_code == 404
    assert "Not found" in body(response)


def test_hostile_strings_are_escaped(signed_in):
    world = factories.small_world()
    hostile = '<script>alert(1)</script>'
    person = factories.client(world["source"], "EVIL", hostile, '"><img src=x onerror=alert(2)>')
    db.session.commit()
    for path in ["/clients", f"/clients/{person.id}", "/clients?q=script"]:
        html = body(signed_in.get(path))
        assert hostile not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the search text itself is echoed back escaped
    html = body(signed_in.get("/clients", query_string={"q": hostile}))
    assert hostile not in html and "&lt;script&gt;" in html


def test_masked_ssn(signed_in):
    world = factories.small_world()
    person = db.session.get(Client, world["people"][0].id)
    person.ssn = "123456789"
    db.session.commit()
    html = body(signed_in.get(f"/clients/{person.id}"))
    assert "123456789" not in html and "6789" in html
