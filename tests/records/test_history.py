"""A client's profile history screen, from the audit log (both backends)."""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from hmis.access.operations import Actor
from hmis.extensions import db
from hmis.models import AuditEvent, Client
from hmis.records.clients import create_client, update_client

from .conftest import actor_for, make_organization, person

LEAD_EMAIL = "staff@example.org"  # the ``signed_in`` fixture's HMIS lead
ROOT = Path(__file__).resolve().parents[2]
P = "hud-client-profile-"


@pytest.fixture
def lead(signed_in) -> Actor:
    from hmis.models.core import Account

    account = db.session.scalar(select(Account).where(Account.email == LEAD_EMAIL))
    return Actor(account_id=account.id, role=account.role, name=account.name)


@contextmanager
def as_account(app, actor: Actor):
    """Service calls as a screen makes them: the audit log takes who from the request."""
    from flask import g

    from hmis.models.core import Account

    with app.test_request_context():
        g.current_account = db.session.get(Account, actor.account_id)
        yield


def _edit(actor: Actor, client: Client, **fields) -> None:
    from flask import current_app

    db.session.refresh(client)
    with as_account(current_app, actor):
        update_client(actor, client, fields)
    db.session.commit()


def _entries(html: str) -> list[str]:
    """The summaries of the history's entries, in the order shown."""
    return re.findall(r'<p class="history-entry__head"><strong>([^<]+)</strong>', html)


def test_history_lists_each_change_newest_first_with_the_ssn_masked(signed_in, lead):
    client = create_client(lead, person(ssn="123-45-6789"))
    db.session.commit()
    _edit(lead, client, dob="1981-06-01")
    _edit(lead, client, first_name="Augusta", ssn="987-65-4321")

    page = signed_in.get(f"/records/clients/{client.id}/history")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _entries(html) == ["Profile changed", "Profile changed", "Client created"]
    newest = html.index("Augusta")
    assert newest < html.index("1981-06-01") < html.index("Client created")  # newest first
    assert re.search(r"First name</th><td[^>]*>Ada</td><td[^>]*>Augusta</td>", html)
    assert re.search(r"Date of birth</th><td[^>]*>1980-05-17</td><td[^>]*>1981-06-01</td>", html)
    # The SSN change shows, masked to its last four; the numbers never reach the page.
    assert re.search(r"SSN</th><td[^>]*>•••-••-6789</td><td[^>]*>•••-••-4321</td>", html)
    assert "123456789" not in html and "123-45-6789" not in html and "987654321" not in html
    assert html.count(LEAD_EMAIL) >= 2 and "the system" in html  # who made each change (creation: no request)
    # Looking at the history is itself in the audit log, as looking at the client is.
    seen = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "client.history_view")).all()
    assert [(e.subject_id, e.account_email) for e in seen] == [(str(client.id), LEAD_EMAIL)]


def test_the_client_page_offers_the_history(signed_in, lead):
    client = create_client(lead, person())
    db.session.commit()
    html = signed_in.get(f"/clients/{client.id}").get_data(as_text=True)
    assert f'href="/records/clients/{client.id}/history"' in html


def test_history_is_paginated_and_a_bad_page_number_is_harmless(signed_in, lead):
    client = create_client(lead, person())
    db.session.commit()
    for n in range(27):  # 28 events with the creation: 25 on the first page, 3 on the second
        _edit(lead, client, additional_race_ethnicity=f"detail {n}")
    first = signed_in.get(f"/records/clients/{client.id}/history").get_data(as_text=True)
    second = signed_in.get(f"/records/clients/{client.id}/history?page=2").get_data(as_text=True)
    assert len(_entries(first)) == 25 and "detail 26" in first and "Client created" not in first
    assert _entries(second) == ["Profile changed", "Profile changed", "Client created"]
    assert "26–28 of 28 events" in second
    partial = signed_in.get(f"/records/clients/{client.id}/history?page=2", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.get_data(as_text=True)
    for bad in ("abc", "-3", "0", "99999", "1e9", "<script>"):
        answered = signed_in.get(f"/records/clients/{client.id}/history", query_string={"page": bad})
        text = answered.get_data(as_text=True)
        assert answered.status_code == 200, bad
        assert "<script>" not in text.split("<main", 1)[-1]


def test_a_hostile_value_in_the_history_is_shown_as_text(signed_in, lead):
    client = create_client(lead, person())
    db.session.commit()
    _edit(lead, client, first_name='<script>alert("x")</script>', additional_race_ethnicity="'; DROP TABLE client;--")
    html = signed_in.get(f"/records/clients/{client.id}/history").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(" in html
    assert "DROP TABLE client" in html and db.session.get(Client, client.id) is not None


def test_someone_who_may_not_see_the_client_gets_404(app, client, lead, make_account):
    elsewhere = make_organization("LO2", "Elsewhere Services")
    mine = make_organization("LO3", "Harbor Services")
    db.session.commit()
    owner = actor_for(make_account(email="owner@example.org", role="case_manager"), elsewhere)
    theirs = create_client(owner, person("Private", "Person", ssn="219-09-9990"))
    db.session.commit()
    make_account(email="cm@example.org", role="case_manager", organizations=[mine.id])
    client.post("/sign-out")
    assert client.post("/sign-in", data={"email": "cm@example.org", "password": "correct horse battery"}
                       ).status_code in (302, 303)
    refused = client.get(f"/records/clients/{theirs.id}/history")
    assert refused.status_code == 404 and "Private" not in refused.get_data(as_text=True)
    assert client.get("/records/clients/999999/history").status_code == 404
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "client.history_view")) is None


def test_merges_and_their_undoing_appear_on_both_records(signed_in, lead):
    from hmis.identity.merge import merge_clients, undo_merge

    survivor = create_client(lead, person("Ada", "Lovelace"))
    merged = create_client(lead, person("Ada", "Lovelace", ssn="219-09-9990", middle_name="King"))
    db.session.commit()
    record = merge_clients(lead, survivor.id, merged.id, {"ssn": "merged", "middle_name": "merged"})
    db.session.commit()
    html = signed_in.get(f"/records/clients/{survivor.id}/history").get_data(as_text=True)
    assert _entries(html)[0] == f"Client {merged.id} merged into this record"
    assert re.search(r"Middle name</th><td[^>]*>—</td><td[^>]*>King</td>", html)
    assert "•••-••-9990" in html and "219099990" not in html and "219-09-9990" not in html
    assert signed_in.get(f"/records/clients/{merged.id}/history").status_code == 404  # retired

    undo_merge(lead, record.id)
    db.session.commit()
    html = signed_in.get(f"/records/clients/{survivor.id}/history").get_data(as_text=True)
    assert _entries(html)[:2] == [f"Merge with client {merged.id} undone: that record is separate again; "
                                  "restored SSN, Middle name",
                                  f"Client {merged.id} merged into this record"]
    back = signed_in.get(f"/records/clients/{merged.id}/history").get_data(as_text=True)
    assert _entries(back) == [f"Merge into client {survivor.id} undone: this record is live again",
                              f"Merged into client {survivor.id}: this record was retired and its enrollments "
                              "and services moved there", "Client created"]


def test_a_profile_question_the_hmis_lead_added_has_its_history_too(signed_in):
    import yaml

    from hmis.definitions import service

    from .conftest import make_project

    body = yaml.safe_load((ROOT / "form_definitions" / "hud-client-profile.yaml").read_text(encoding="utf-8"))
    body["items"].append({"id": "preferred_name", "type": "text", "label": "Preferred name",
                          "custom": "local.preferred_name", "custom_owner": "client", "max_length": 60})
    service.publish(service.save_draft("form", "hud-client-profile", yaml.safe_dump(body)).id)
    make_project(make_organization())
    db.session.commit()
    form = {P + "name.first": "Rosa", P + "name.last": "Diaz", P + "dob.dob": "1985-04-01", "confirm_new": "1",
            P + "preferred_name": "Ro"}
    page = signed_in.get("/records/clients/new").get_data(as_text=True)
    made = signed_in.post("/records/clients/new", data={**form, "token": _token(page)})
    assert made.status_code == 303, made.get_data(as_text=True)[:2000]
    client_id = int(made.headers["Location"].rsplit("/", 1)[1])
    edit = signed_in.get(f"/records/clients/{client_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', edit).group(1)
    saved = signed_in.post(f"/records/clients/{client_id}/edit", data={
        **form, P + "preferred_name": "Rosie", "version": version, "token": _token(edit)})
    assert saved.status_code == 303, saved.get_data(as_text=True)[:2000]
    html = signed_in.get(f"/records/clients/{client_id}/history").get_data(as_text=True)
    assert re.search(r"Preferred name</th><td[^>]*>Ro</td><td[^>]*>Rosie</td>", html)
    assert html.index("Rosie") < html.index("Client created")


def _token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)
