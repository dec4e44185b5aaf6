"""A household's intake saved while someone else starts the same intake: all or nothing."""
from __future__ import annotations

from flask import request
from werkzeug.datastructures import MultiDict

from hmis.access.operations import system_actor
from hmis.extensions import db
from hmis.forms import responses
from hmis.models import Enrollment
from hmis.models.forms import FormResponse
from hmis.records import assessment_screen

from . import test_assessment_screen as screen
from .test_assessment_screen import HEAD_ANSWERS, _prefixed

household = screen.household  # the intake page's fixture: a mother and her son, and their case manager


def _submit(client, head, child):
    return client.post(f"/records/enrollments/{head.id}/assessment/project_start",
                       data={"action": "submit", **_prefixed(head, HEAD_ANSWERS),
                             **_prefixed(child, {"disabling_condition": "1"})})


def _nothing_saved(head, child):
    db.session.expire_all()
    assert db.session.query(FormResponse).count() == 0
    assert db.session.get(Enrollment, head.id).living_situation is None
    assert db.session.get(Enrollment, child.id).disabling_condition == 99  # as enrolled: data not collected


def test_an_intake_someone_started_after_the_page_was_shown_stops_the_whole_page(household, client,
                                                                                  monkeypatch):
    head, child = household
    shown = assessment_screen.build

    def someone_starts_the_childs_intake(enrollment, stage, *read):
        page = shown(enrollment, stage, *read)
        if request.method == "POST":  # between showing the page and saving it
            theirs = page[-1]
            responses.save_response(system_actor("another case manager"), theirs.form, theirs.context, MultiDict(),
                                    submit=False)
        return page

    monkeypatch.setattr(assessment_screen, "build", someone_starts_the_childs_intake)
    response = _submit(client, head, child)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "already saved this form for this enrollment" in html
    assert "Nothing was saved" in html
    _nothing_saved(head, child)


def test_a_race_lost_past_the_check_saves_nothing_and_says_so(household, client, monkeypatch):
    head, child = household
    shown = assessment_screen.build

    def someone_starts_the_childs_intake(enrollment, stage, *read):
        page = shown(enrollment, stage, *read)
        if request.method == "POST":
            theirs = page[-1]
            db.session.add(FormResponse(form_key=theirs.form.key, definition_version_id=theirs.form.version_id,
                                        enrollment_id=child.id, stage="project_start", status="draft",
                                        answers={}, written={}, revision=1))
        return page

    monkeypatch.setattr(assessment_screen, "build", someone_starts_the_childs_intake)
    # Their row is not seen by the checks (as if their transaction committed just after them);
    # the database's unique index refuses the second intake.
    monkeypatch.setattr(responses, "check_once", lambda pairs: {})
    monkeypatch.setattr(responses, "_refuse_second", lambda form, context: None)
    response = _submit(client, head, child)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Someone else saved this form for this enrollment just now" in html
    _nothing_saved(head, child)
