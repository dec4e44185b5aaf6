"""A household's intake records one audit event per record it changes (added together
at the end of the page's save), and none when the page is refused."""
from __future__ import annotations

from hmis.extensions import db
from hmis.models import AuditEvent

from . import test_assessment_screen as screen
from .test_assessment_screen import HEAD_ANSWERS, _prefixed

household = screen.household  # the intake page's fixture: a mother and her son, and their case manager


def _record_events():
    db.session.expire_all()
    return [(e.action, e.subject_type, e.subject_id) for e in db.session.query(AuditEvent)
            .filter(AuditEvent.action.like("record.%")).order_by(AuditEvent.id)]


def test_each_members_changes_are_audited_once(household, client):
    head, child = household
    before = len(_record_events())  # enrolling the household was audited too
    response = client.post(f"/records/enrollments/{head.id}/assessment/project_start",
                           data={"action": "submit", **_prefixed(head, HEAD_ANSWERS),
                                 **_prefixed(child, {"disabling_condition": "1"})})
    assert response.status_code == 303
    events = _record_events()[before:]
    assert ("record.update", "Enrollment", head.enrollment_id) in events
    assert ("record.update", "Enrollment", child.enrollment_id) in events
    assert len(events) == len(set(events))
    changed = db.session.query(AuditEvent).filter_by(subject_id=child.enrollment_id, action="record.update").one()
    assert changed.details["after"]["disabling_condition"] == 1 and changed.account_email == "cm@example.org"


def test_a_refused_page_audits_nothing(household, client):
    head, child = household
    before = _record_events()
    # The child's answer is fine, the head's form misses required answers: nothing is saved.
    response = client.post(f"/records/enrollments/{head.id}/assessment/project_start",
                           data={"action": "submit", **_prefixed(head, {"living_situation": "116"}),
                                 **_prefixed(child, {"disabling_condition": "1"})})
    assert response.status_code == 422
    assert _record_events() == before
