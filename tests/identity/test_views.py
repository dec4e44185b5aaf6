"""The duplicate review pages through the Flask test client (both databases)."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from hmis.extensions import db
from hmis.models import Client, Enrollment
from hmis.models.identity import ClientLink, ClientMerge, DuplicateCandidate, NotDuplicate

from .helpers import enroll, person, project, source


@pytest.fixture
def world(app):
    ds = source()
    proj = project(ds)
    a = person(ds, "1", "Ada", "Lovelace", ssn="301224455", veteran_status=0)
    b = person(ds, "2", "Ada", "Lovelace", ssn="301224455", veteran_status=1, middle_name="King")
    c = person(ds, "3", "Grace", "Hopper", dob=date(1970, 12, 9), ssn="401224466")
    d = person(ds, "4", "Grace", "Hopper", dob=date(1970, 12, 9), ssn="401224466")
    enroll(ds, proj, b, "E2", date(2025, 1, 1), services=2)
    db.session.commit()
    return {"a": a.id, "b": b.id, "c": c.id, "d": d.id}


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_the_queue_is_filled_by_the_find_button_and_is_in_the_nav(signed_in, world):
    page = signed_in.get("/duplicates/")
    assert page.status_code == 200 and "No pairs are waiting" in _text(page)
    assert 'href="/duplicates/"' in _text(signed_in.get("/"))
    found = signed_in.post("/duplicates/find", follow_redirects=True)
    assert found.status_code == 200
    html = _text(found)
    assert "Found 2 candidate pairs among 4 clients" in html
    assert f'/duplicates/compare/{world["a"]}/{world["b"]}' in html and "DOB same" in html


def test_compare_then_merge_with_a_field_choice_then_undo(signed_in, world):
    a, b = world["a"], world["b"]
    page = signed_in.get(f"/duplicates/compare/{a}/{b}")
    html = _text(page)
    assert page.status_code == 200 and "Keep this record" in html and "King" in html
    version = re.search(r'name="version" value="([0-9a-f]+)"', html).group(1)
    # Keep record A, but take B's veteran status and middle name.
    response = signed_in.post("/duplicates/merge", data={
        "a": a, "b": b, "survivor": a, "version": version, "field_veteran_status": "b", "field_middle_name": "b"})
    assert response.status_code == 302
    record = db.session.scalar(select(ClientMerge))
    assert response.headers["Location"].endswith(f"/duplicates/merges/{record.id}")
    db.session.expire_all()
    survivor = db.session.get(Client, a)
    assert (survivor.veteran_status, survivor.middle_name) == (1, "King")
    assert db.session.scalar(select(Enrollment.personal_id)) == "1"

    detail = _text(signed_in.get(f"/duplicates/merges/{record.id}"))
    assert "Undo will" in detail and "move its 1 enrollment row back" in detail
    assert "put back the kept record's own values of MiddleName, VeteranStatus" in detail
    assert f"Merge {record.id}" in _text(signed_in.get("/duplicates/merges"))

    undone = signed_in.post(f"/duplicates/merges/{record.id}/undo", follow_redirects=True)
    assert "was undone" in _text(undone)
    db.session.expire_all()
    assert db.session.get(ClientMerge, record.id).status == "undone"
    assert db.session.scalar(select(Enrollment.personal_id)) == "2"
    assert db.session.get(Client, a).middle_name is None


def test_a_stale_merge_form_is_refused_with_a_message(signed_in, world):
    a, b = world["a"], world["b"]
    version = re.search(r'name="version" value="([0-9a-f]+)"',
                        _text(signed_in.get(f"/duplicates/compare/{a}/{b}"))).group(1)
    db.session.get(Client, b).first_name = "Adah"
    db.session.commit()
    response = signed_in.post("/duplicates/merge", data={"a": a, "b": b, "survivor": a, "version": version},
                              follow_redirects=True)
    assert "changed since the comparison was opened" in _text(response)
    assert db.session.scalar(select(ClientMerge)) is None


def test_merging_into_itself_from_a_forged_form_is_refused(signed_in, world):
    a = world["a"]
    response = signed_in.post("/duplicates/merge", data={"a": a, "b": a, "survivor": a}, follow_redirects=True)
    assert "cannot be merged into itself" in _text(response)


def test_link_and_not_a_duplicate_from_the_page(signed_in, world):
    signed_in.post("/duplicates/find")
    linked = signed_in.post("/duplicates/link", data={"a": world["a"], "b": world["b"], "note": "same SSN"},
                            follow_redirects=True)
    assert "are linked" in _text(linked)
    different = signed_in.post("/duplicates/not-duplicate", data={"a": world["c"], "b": world["d"]},
                               follow_redirects=True)
    assert "remembered as different people" in _text(different)
    statuses = set(db.session.scalars(select(DuplicateCandidate.status)))
    assert statuses == {"linked", "not_duplicate"}
    listing = _text(signed_in.get("/duplicates/links"))
    assert "same SSN" in listing and "Marked as different people" in listing
    link_id = db.session.scalar(select(ClientLink.id))
    signed_in.post(f"/duplicates/links/{link_id}/unlink")
    nd_id = db.session.scalar(select(NotDuplicate.id))
    signed_in.post(f"/duplicates/not-duplicate/{nd_id}/forget")
    db.session.expire_all()
    assert db.session.scalar(select(ClientLink)) is None and db.session.scalar(select(NotDuplicate)) is None


def test_roles_without_the_permissions_are_refused(client, make_account, world):
    make_account(email="cm@example.org", role="case_manager")
    client.post("/sign-in", data={"email": "cm@example.org", "password": "correct horse battery"})
    assert client.get("/duplicates/").status_code == 403
    assert client.get(f"/duplicates/compare/{world['a']}/{world['b']}").status_code == 403
    assert client.post("/duplicates/merge", data={"a": world["a"], "b": world["b"],
                                                  "survivor": world["a"]}).status_code == 403
    assert db.session.scalar(select(ClientMerge)) is None


def test_a_restricted_clients_name_is_hidden_on_the_review_pages(signed_in, world):
    from hmis.models.privacy import ClientRestriction

    db.session.add(ClientRestriction(client_id=world["b"], reason="dv_survivor"))
    db.session.commit()
    signed_in.post("/duplicates/find")
    queue = _text(signed_in.get("/duplicates/"))
    assert "Restricted client" in queue
    page = _text(signed_in.get(f"/duplicates/compare/{world['a']}/{world['b']}"))
    assert "Restricted client" in page and "Hidden (restricted client)" in page
    assert "King" not in page and 'name="field_middle_name"' not in page


def test_hostile_form_values_are_refused_or_escaped(signed_in, world):
    assert signed_in.post("/duplicates/merge", data={"a": "1 OR 1=1", "b": world["b"],
                                                     "survivor": world["b"]}).status_code == 400
    assert signed_in.post("/duplicates/link", data={"a": world["a"]}).status_code == 400
    note = "<script>alert('x')</script>"
    signed_in.post("/duplicates/link", data={"a": world["a"], "b": world["b"], "note": note})
    listing = _text(signed_in.get("/duplicates/links"))
    assert note not in listing and "&lt;script&gt;" in listing
