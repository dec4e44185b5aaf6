"""A household's page checks the sharing policy for every member at once
(hmis.forms.sharing); save_response trusts that check only inside the same transaction."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hmis import forms
from hmis.access.operations import Actor, PermissionDenied
from hmis.extensions import db
from hmis.forms.responses import save_response
from hmis.forms.sharing import check_writable, checked_writable
from hmis.models import Organization

from .sample import FORM, GOOD_ANSWERS, INCOME_FRAGMENT


def _case_manager_of(enrollment) -> Actor:
    org = db.session.scalar(select(Organization.id).where(Organization.organization_id == f"O{enrollment.id}"))
    assert org is not None
    return Actor(account_id=None, role="case_manager", organization_ids=frozenset({org}), name="Casey")


def test_a_page_checks_its_members_at_once_and_only_for_its_transaction(publish_form, make_enrollment):
    publish_form(INCOME_FRAGMENT)
    publish_form(FORM)
    ours, theirs = make_enrollment(), make_enrollment()
    actor = _case_manager_of(ours)
    own, other = forms.context_for(ours, "project_start"), forms.context_for(theirs, "project_start")

    check_writable(actor, [own])
    assert (actor, ours.id) in checked_writable()
    with pytest.raises(PermissionDenied):
        check_writable(actor, [own, other])
    assert (actor, theirs.id) not in checked_writable()
    with pytest.raises(PermissionDenied):  # a member the page check refused is refused by its own save
        save_response(actor, forms.load("test-intake"), other, GOOD_ANSWERS, submit=True)
    db.session.rollback()
    assert checked_writable() == set()  # a new transaction checks again
    saved = save_response(actor, forms.load("test-intake"), own, GOOD_ANSWERS, submit=True)
    assert saved.status == "submitted"
