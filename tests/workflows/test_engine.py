"""The engine on both backends: state, resume, history, refusals with reasons, concurrency."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select

from hmis.access.operations import PermissionDenied
from hmis.extensions import db
from hmis.models import Enrollment, Event, Exit
from hmis.models.workflows import Notification, WorkflowInstance
from hmis.workflows import engine
from hmis.workflows.engine import StaleInstance, WorkflowRefused

from .conftest import publish_shipped, publish_test_forms, staff, submit_form


def test_intake_runs_step_by_step_and_enrolls_the_household(app, world):
    publish_shipped("project-intake")
    versions = publish_test_forms()
    head, child = world.client("Ana", "Doe"), world.client("Ben", "Doe")
    actor = staff("intake", name="Ivy Intake")
    instance = engine.start(actor, "project-intake")
    db.session.commit()
    assert (instance.step, instance.revision, instance.status) == ("search", 1, "active")

    engine.advance(actor, instance.id, revision=1, step="search", values={"member_ids": [head.id]})
    engine.advance(actor, instance.id, revision=2, step="household", values={"member_ids": [head.id, child.id], "member_relationships": [2]})
    db.session.commit()

    # Resume later, from the database, where it was left.
    db.session.expire_all()
    resumed = db.session.get(WorkflowInstance, instance.id)
    assert resumed.step == "enroll" and resumed.data["member_ids"] == [head.id, child.id]

    engine.advance(actor, instance.id, revision=3, step="enroll",
                   values={"project_id": world.project.id, "entry_date": "2026-11-01"})
    db.session.commit()
    enrollments = db.session.scalars(select(Enrollment).where(Enrollment.project_id == world.project.project_id)
                                     .order_by(Enrollment.relationship_to_hoh)).all()
    assert [e.personal_id for e in enrollments] == [head.personal_id, child.personal_id]
    assert enrollments[0].relationship_to_hoh == 1 and enrollments[0].household_id == enrollments[1].household_id
    assert enrollments[0].entry_date == date(2026, 11, 1)

    submit_form(versions, enrollments[0], "project_start")
    db.session.commit()
    with pytest.raises(WorkflowRefused, match="every member's intake forms must be submitted first"):
        engine.advance(actor, instance.id, revision=4, step="intake_forms")
    db.session.rollback()
    submit_form(versions, enrollments[1], "project_start")
    db.session.commit()
    engine.advance(actor, instance.id, revision=4, step="intake_forms")
    done = engine.advance(actor, instance.id, revision=5, step="review", values={"confirmed": True})
    db.session.commit()

    assert done.instance.status == "completed" and done.instance.step == "done"
    assert done.instance.subject_key == enrollments[0].household_id
    steps = [(r.step, r.to_step, r.actor_name) for r in engine.history(done.instance)]
    assert steps == [("search", "household", "Ivy Intake"), ("household", "enroll", "Ivy Intake"),
                     ("enroll", "intake_forms", "Ivy Intake"), ("intake_forms", "review", "Ivy Intake"),
                     ("review", "done", "Ivy Intake")]
    assert all(r.done_dt is not None for r in engine.history(done.instance))


def test_refusals_say_why(app, world):
    publish_shipped("project-intake")
    actor = staff("intake")
    instance = engine.start(actor, "project-intake")
    db.session.commit()
    with pytest.raises(WorkflowRefused, match="'Household members' is required at step 'Find the head of household'"):
        engine.advance(actor, instance.id, revision=1, step="search", values={})
    with pytest.raises(WorkflowRefused, match="at step 'Find the head of household', not 'review'"):
        engine.advance(actor, instance.id, revision=1, step="review")
    with pytest.raises(WorkflowRefused, match="must be a list of numbers"):
        engine.advance(actor, instance.id, revision=1, step="search", values={"member_ids": "one, two"})
    with pytest.raises(WorkflowRefused, match="does not collect project_id"):
        engine.advance(actor, instance.id, revision=1, step="search", values={"project_id": 3})
    with pytest.raises(PermissionDenied, match="may not do this"):
        engine.advance(staff("analyst"), instance.id, revision=1, step="search", values={"member_ids": [1]})
    db.session.rollback()
    assert db.session.get(WorkflowInstance, instance.id).revision == 1  # nothing was written


def test_second_of_two_writers_with_the_same_revision_is_told(app, world):
    publish_shipped("project-intake")
    person = world.client()
    first, second = staff("intake", None, "First Staff"), staff("intake", None, "Second Staff")
    instance = engine.start(first, "project-intake")
    db.session.commit()
    engine.advance(first, instance.id, revision=1, step="search", values={"member_ids": [person.id]})
    db.session.commit()
    with pytest.raises(StaleInstance, match="moved this workflow on by First Staff") as refused:
        engine.advance(second, instance.id, revision=1, step="search", values={"member_ids": [person.id]})
    assert "now at 'household'" in str(refused.value)


def test_concurrent_advances_one_wins(app_factory, backend):
    """Two threads, two sessions, the same revision at the same moment: exactly one step is written."""
    app = app_factory(backend)
    with app.app_context():
        from .conftest import World

        world = World()
        person = world.client()
        publish_shipped("project-intake")
        instance_id = engine.start(staff("intake"), "project-intake").id
        person_id = person.id
        db.session.commit()

    barrier, outcomes = threading.Barrier(2), []

    def take_step(name: str) -> None:
        with app.app_context():
            barrier.wait()
            try:
                engine.advance(staff("intake", name=name), instance_id, revision=1, step="search",
                               values={"member_ids": [person_id]})
                db.session.commit()
                outcomes.append("won")
            except StaleInstance as refused:
                db.session.rollback()
                outcomes.append(f"told: {refused}")
            except Exception as error:  # noqa: BLE001 - SQLite's lock timeout counts as told, if it says so
                db.session.rollback()
                outcomes.append(f"error: {type(error).__name__}: {error}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take_step, args=(n,)) for n in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["told", "won"], outcomes
    with app.app_context():
        assert db.session.get(WorkflowInstance, instance_id).revision == 2
        assert len(engine.history(db.session.get(WorkflowInstance, instance_id))) == 1


def test_exit_one_member_with_destination(app, world):
    publish_shipped("exit")
    versions = publish_test_forms()
    head, child = world.client("Ana"), world.client("Ben")
    household = "H-1"
    world.enroll(head, date(2026, 1, 5), household, 1)
    leaving = world.enroll(child, date(2026, 1, 5), household, 2)
    db.session.commit()
    actor = staff()
    instance = engine.start(actor, "exit", subject_key=household, project_id=world.project.id)
    engine.advance(actor, instance.id, revision=1, step="who", values={"exit_enrollment_ids": [leaving.id]})
    with pytest.raises(WorkflowRefused, match="'Destination' is required"):
        engine.advance(actor, instance.id, revision=2, step="exit_details", values={"exit_date": "2026-11-02"})
    engine.advance(actor, instance.id, revision=2, step="exit_details",
                   values={"exit_date": "2026-11-02", "destination": "410"})
    with pytest.raises(WorkflowRefused, match="the exit forms of everyone leaving must be submitted first"):
        engine.advance(actor, instance.id, revision=3, step="exit_forms")
    db.session.commit()  # the steps before the refusal stay
    submit_form(versions, leaving, "exit")  # only the member leaving needs exit forms
    engine.advance(actor, instance.id, revision=3, step="exit_forms")
    engine.advance(actor, instance.id, revision=4, step="review")
    db.session.commit()
    exits = db.session.scalars(select(Exit)).all()
    assert [(e.personal_id, e.exit_date, e.destination) for e in exits] == [(child.personal_id, date(2026, 11, 2), 410)]


def test_exit_before_entry_is_refused_and_writes_nothing(app, world):
    publish_shipped("exit")
    versions = publish_test_forms()
    person = world.client()
    submit_form(versions, world.enroll(person, date(2026, 5, 1), "H-2"), "exit")
    db.session.commit()
    actor = staff()
    instance = engine.start(actor, "exit", subject_key="H-2", project_id=world.project.id)
    engine.advance(actor, instance.id, revision=1, step="who", values={})
    engine.advance(actor, instance.id, revision=2, step="exit_details",
                   values={"exit_date": "2026-04-01", "destination": 410})
    engine.advance(actor, instance.id, revision=3, step="exit_forms")
    db.session.commit()
    with pytest.raises(WorkflowRefused, match=r"The exit date is before the project start date \(2026-05-01\)"):
        engine.advance(actor, instance.id, revision=4, step="review")
    db.session.rollback()
    assert db.session.scalars(select(Exit)).all() == []
    assert db.session.get(WorkflowInstance, instance.id).step == "review"


def test_ce_referral_prioritization_and_decline_with_reason(app, world):
    publish_shipped("ce-referral")
    from .conftest import World

    receiving = World(project_type=13, name="Rapid Re-Housing").project
    lead = staff("hmis_lead", name="Lee Lead")
    instances = {}
    for name, score, days in (("Low", 3, 400), ("High", 9, 10), ("Tie", 3, 900), ("Off", 12, 0)):
        person = world.client(name)
        ce = world.enroll(person, date(2026, 6, 1))
        inst = engine.start(lead, "ce-referral", subject_key=str(ce.id), data={"enrollment_ids": [ce.id]})
        status = 2 if name == "Off" else 1
        engine.advance(lead, inst.id, revision=1, step="assessment",
                       values={"assessment_date": "2026-10-01", "assessment_level": 2, "prioritization_status": status,
                               "vulnerability_score": score, "days_homeless": days})
        instances[name] = inst
    db.session.commit()

    ranked = engine.prioritized(lead, "ce-referral")
    assert [instances_by_id[0] for instances_by_id in
            [[k for k, v in instances.items() if v.id == inst.id] for inst, _scores in ranked]] == ["High", "Tie", "Low"]
    assert instances["Off"].status == "completed"
    with pytest.raises(PermissionDenied, match="Step 'Refer to a project' is done by agency_admin"):
        engine.advance(staff("case_manager"), instances["High"].id, revision=2, step="refer",
                       values={"project_id": receiving.id, "event_date": "2026-10-05"})

    top = instances["High"]
    engine.advance(lead, top.id, revision=2, step="refer", values={"project_id": receiving.id, "event_date": "2026-10-05"})
    db.session.commit()
    assert db.session.scalar(select(Notification.queue)) == "ce-referrals"
    with pytest.raises(WorkflowRefused, match="a declined referral needs the reason"):
        engine.advance(lead, top.id, revision=3, step="result", values={"referral_result": 2})
    db.session.rollback()
    engine.advance(lead, top.id, revision=3, step="result",
                   values={"referral_result": 2, "decline_reason": "Client chose another city"})
    assert db.session.get(WorkflowInstance, top.id).step == "refer"
    engine.advance(lead, top.id, revision=4, step="refer", values={"project_id": receiving.id, "event_date": "2026-10-09"})
    engine.advance(lead, top.id, revision=5, step="result", values={"referral_result": 1})
    person_id = db.session.scalars(select(Enrollment.personal_id).where(Enrollment.id == top.data["enrollment_ids"][0])).one()
    from hmis.models import Client

    client = db.session.scalars(select(Client).where(Client.personal_id == person_id)).one()
    engine.advance(lead, top.id, revision=6, step="enroll", values={"member_ids": [client.id], "entry_date": "2026-10-10"})
    db.session.commit()
    events = db.session.scalars(select(Event).order_by(Event.event_date)).all()
    assert [(e.event, e.referral_result) for e in events] == [(13, 2), (13, 1)]
    assert db.session.get(WorkflowInstance, top.id).status == "completed"


JOB_WORKFLOW = """\
id: nightly-review
kind: workflow
title: Nightly review
subject: project
start: review
fields:
  ok: {type: yes/no}
steps:
  - id: review
    type: review
    collects: [ok]
    actions:
      - {do: schedule_due, kind: follow_up, title: Call back, in_days: 7}
      - {do: enqueue_job, job: schedule.data_quality, when: "ok = true"}
    next: [{to: done}]
  - id: done
    type: end
"""


def test_actions_queue_a_job_after_commit_and_schedule_a_due_item(app, world):
    from hmis.models.core import Job
    from hmis.models.workflows import DueItem, ScheduledRun

    from .conftest import publish

    publish("workflow", "nightly-review", JOB_WORKFLOW)
    actor = staff("hmis_lead")
    instance = engine.start(actor, "nightly-review", project_id=world.project.id)
    result = engine.advance(actor, instance.id, revision=1, step="review", values={"ok": "yes"},
                            today=date(2026, 11, 20))
    assert len(result.after_commit) == 1 and db.session.scalar(select(Job.id)) is None  # not before the commit
    db.session.commit()
    engine.run_after_commit(result)
    assert db.session.scalar(select(Job.status)) == "finished"
    assert db.session.scalar(select(ScheduledRun.task)) == "data_quality"
    due = db.session.scalars(select(DueItem)).one()
    assert (due.kind, due.due_date, due.title) == ("follow_up", date(2026, 11, 27), "Call back")


def test_annual_assessment_needs_this_years_forms_of_every_member(app, world):
    from datetime import datetime

    from hmis.models.forms import FormResponse
    from hmis.models.workflows import DueItem

    publish_shipped("annual-assessment")
    versions = publish_test_forms()
    head = world.enroll(world.client("Hana"), date(2025, 3, 10), "HH-A", 1)
    child = world.enroll(world.client("Kai"), date(2025, 3, 10), "HH-A", 2)
    db.session.add(FormResponse(form_key="test-annual", definition_version_id=versions["annual"], enrollment_id=head.id,
                                stage="annual", status="submitted", submitted_dt=datetime(2025, 3, 1)))  # last year's
    db.session.commit()
    actor = staff()
    instance = engine.start(actor, "annual-assessment", subject_key="HH-A", project_id=world.project.id)
    db.session.commit()
    states = engine.transition_state(instance, engine.workflow_of(instance))
    assert [(t.to, ok, reason) for t, ok, reason in states] == [
        ("review", False, "every member's annual assessment must be submitted first")]
    assert engine.guard_values(instance, engine.workflow_of(instance))["forms.missing"] == 2
    submit_form(versions, head, "annual")
    submit_form(versions, child, "annual")
    db.session.commit()
    engine.advance(actor, instance.id, revision=1, step="assess", values={"assessment_date": "2026-03-12"})
    engine.advance(actor, instance.id, revision=2, step="review", today=date(2026, 3, 12))
    db.session.commit()
    assert db.session.get(WorkflowInstance, instance.id).status == "completed"
    assert db.session.scalars(select(DueItem.due_date)).all() == [date(2027, 2, 10)]
