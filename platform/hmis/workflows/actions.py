"""What a step does when it is taken: the actions a workflow definition may name.

Each action reads the instance's values (the fields it needs are checked at publish,
see ``schema.ACTION_FIELDS``), writes through the service layer as the acting person,
and may return values to keep on the instance (``enrollment_ids`` after an enrollment).
A failing action raises :class:`~hmis.workflows.engine.WorkflowRefused`; the caller rolls
back, so the step and everything it did are undone together.

Enrollments and exits go through the records room's operations
(``hmis.records.households.enroll_household`` / ``exit_household``), so agency
visibility, HUD value checks and audit apply exactly as on the records screens.
"""
from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any, Callable

from sqlalchemy import select

from ..access import permissions
from ..access.operations import Actor, require
from ..expressions import evaluate, is_true
from ..extensions import db
from ..models import Assessment, Client, Enrollment, Event, Project
from ..models.core import utcnow
from ..models.workflows import DueItem, Notification, WorkflowInstance
from ..records.ids import new_key
from .definition import Step, Workflow

Action = Callable[..., dict[str, Any] | None]
#: Every action a definition may name, already wrapped in its permission check.
ACTIONS: dict[str, Action] = {}


def action(name: str, *, permission: str) -> Callable[[Action], Action]:
    """Register action ``name``; it refuses an actor without ``permission`` before it runs.

    An action runs inside the ``workflows.advance`` operation, but a step may be taken by
    anyone the step's ``roles`` admit, so each action still checks the permission for
    what it writes (a test walks :data:`ACTIONS` and calls each with a role holding none).
    """
    if not permissions.is_known_permission(permission):
        raise ValueError(f"workflow action {name!r}: unknown permission {permission!r} (see admin/roles.yaml)")

    def register(func: Action) -> Action:
        @functools.wraps(func)
        def checked(actor: Actor, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
            require(actor, permission, operation_name=f"workflow action {name}")
            return func(actor, *args, **kwargs)

        checked.permission = permission  # type: ignore[attr-defined]
        ACTIONS[name] = checked
        return checked
    return register


def run_all(actor: Actor, instance: WorkflowInstance, workflow: Workflow, step: Step, data: dict[str, Any],
            today: date, result: Any) -> dict[str, Any]:
    """Run the step's actions in order; the values they return, merged."""
    from .engine import guard_values

    changes: dict[str, Any] = {}
    for spec in step.actions:
        if spec.get("when"):
            env = guard_values(instance, workflow, {**data, **changes})
            if not is_true(evaluate(spec["when"], env, today=today)):
                continue
        returned = ACTIONS[spec["do"]](actor, instance, spec, {**data, **changes}, today, result)
        changes.update(returned or {})
    return changes


def _refused(message: str) -> Exception:
    from .engine import WorkflowRefused

    return WorkflowRefused(message)


def _date(data: dict[str, Any], name: str, today: date) -> date:
    return date.fromisoformat(data[name]) if data.get(name) else today


def _instance_enrollments(instance: WorkflowInstance, data: dict[str, Any], name: str = "enrollment_ids") -> list[Enrollment]:
    """The enrollments an action works on: those named in ``name``, else the instance's subject."""
    from .engine import subject_enrollments

    ids = data.get(name) or data.get("enrollment_ids")
    found = subject_enrollments(instance, {"enrollment_ids": ids} if ids else {})
    if ids and len(found) != len(set(ids)):
        raise _refused(f"some enrollments in {name} do not exist: {sorted(set(ids) - {e.id for e in found})}")
    return found


@action("create_enrollment", permission="enrollments.edit")
def create_enrollment(actor: Actor, instance: WorkflowInstance, spec: dict[str, Any], data: dict[str, Any],
                      today: date, result: Any) -> dict[str, Any]:
    """Enroll the chosen members (the first is the head of household) in the chosen project."""
    project = db.session.get(Project, data.get("project_id") or instance.project_id or 0)
    if project is None:
        raise _refused("choose a project before enrolling")
    member_ids = data.get("member_ids") or []
    if not member_ids:
        raise _refused("choose at least one household member before enrolling")
    clients = {c.id: c for c in db.session.scalars(select(Client).where(Client.id.in_(member_ids)))}
    missing = [m for m in member_ids if m not in clients]
    if missing:
        raise _refused(f"no client with id {', '.join(map(str, missing))}")
    entry_date = _date(data, "entry_date", today)
    members = [clients[m] for m in member_ids]
    enrollments = _enroll_household(actor, project, members, data.get("member_relationships") or [], entry_date)
    result.messages.append(f"Enrolled {len(enrollments)} in {project.project_name or project.project_id}.")
    return {"enrollment_ids": [e.id for e in enrollments], "household_id": enrollments[0].household_id}


@action("close_enrollment", permission="enrollments.edit")
def close_enrollment(actor: Actor, instance: WorkflowInstance, spec: dict[str, Any], data: dict[str, Any],
                     today: date, result: Any) -> dict[str, Any]:
    """Exit the chosen members (``exit_enrollment_ids``) or, if none are chosen, the whole household."""
    enrollments = _instance_enrollments(instance, data, "exit_enrollment_ids")
    if not enrollments:
        raise _refused("there is no enrollment to exit")
    exit_date = _date(data, "exit_date", today)
    _exit_enrollments(actor, enrollments, exit_date, data.get("destination"))
    result.messages.append(f"Exited {len(enrollments)} on {exit_date.isoformat()}.")
    return {"exited_enrollment_ids": [e.id for e in enrollments]}


@action("record_ce_assessment", permission="assessments.edit")
def record_ce_assessment(actor: Actor, instance: WorkflowInstance, spec: dict[str, Any], data: dict[str, Any],
                         today: date, result: Any) -> None:
    """A HUD CE Assessment row (4.19) for each enrollment of the instance."""
    enrollments = _instance_enrollments(instance, data)
    if not enrollments:
        raise _refused("a CE assessment needs the client's CE enrollment")
    now = utcnow()
    for enrollment in enrollments:
        db.session.add(Assessment(data_source_id=enrollment.data_source_id, assessment_id=new_key(),
                                  enrollment_id=enrollment.enrollment_id, personal_id=enrollment.personal_id,
                                  assessment_date=_date(data, "assessment_date", today),
                                  assessment_location=data.get("assessment_location"),
                                  assessment_type=data.get("assessment_type"),
                                  assessment_level=data.get("assessment_level"),
                                  prioritization_status=data.get("prioritization_status"),
                                  date_created=now, date_updated=now, user_id=_user_id(actor)))
    db.session.flush()


@action("record_ce_event", permission="enrollments.edit")
def record_ce_event(actor: Actor, instance: WorkflowInstance, spec: dict[str, Any], data: dict[str, Any],
                    today: date, result: Any) -> None:
    """A HUD CE Event row (4.20): the referral, with its result when the workflow has one."""
    enrollments = _instance_enrollments(instance, data)
    if not enrollments:
        raise _refused("a CE event needs the client's CE enrollment")
    now = utcnow()
    referral_result = data.get("referral_result")
    for enrollment in enrollments:
        db.session.add(Event(data_source_id=enrollment.data_source_id, event_id=new_key(),
                             enrollment_id=enrollment.enrollment_id, personal_id=enrollment.personal_id,
                             event_date=_date(data, "event_date", today), event=spec["event"],
                             referral_result=referral_result,
                             result_date=_date(data, "result_date", today) if referral_result else None,
                             date_created=now, date_updated=now, user_id=_user_id(actor)))
    db.session.flush()


@action("check_in", permission="services.edit")
def check_in_action(actor: Actor, instance: WorkflowInstance, spec: dict[str, Any], data: dict[str, Any],
                    today: date, result: Any) -> dict[str, Any]:
    from .checkin import check_in

    project_id = data.get("project_id") or instance.project_id
    done = check_in(actor, project_id, _date(data, "night", today), data.get("enrollment_ids") or [])
    result.messages.append(f"Checked in {done.created} for {done.night.isoformat()}.")
    return {"checked_in": done.created}


@action("enqueue_job", permission="workflows.run")
def enqueue_job(actor: Actor, instance: WorkflowInstance, spec: dict[str, Any], data: dict[str, Any],
                today: date, result: Any) -> None:
    """Queue a named job, started once the step is committed (see ``engine.run_after_commit``)."""
    from .scheduler import enqueue_task

    task = spec["job"].split(".", 1)[1]
    result.after_commit.append(lambda: enqueue_task(task, today, account_id=actor.account_id))


@action("schedule_due", permission="workflows.run")
def schedule_due(actor: Actor, instance: WorkflowInstance, spec: dict[str, Any], data: dict[str, Any],
                 today: date, result: Any) -> None:
    """A due item for the instance's subject, ``in_days`` from today (a follow-up, a renewal)."""
    due = today + timedelta(days=int(spec.get("in_days", 0)))
    subject_key = instance.subject_key or str(instance.id)
    exists = db.session.scalar(select(DueItem.id).where(DueItem.kind == spec["kind"],
                                                        DueItem.subject_type == instance.subject_type,
                                                        DueItem.subject_key == subject_key, DueItem.due_date == due))
    if exists is None:
        db.session.add(DueItem(kind=spec["kind"], subject_type=instance.subject_type, subject_key=subject_key,
                               project_id=instance.project_id, instance_id=instance.id, title=spec["title"],
                               due_date=due, status="open"))
        db.session.flush()


@action("notify", permission="workflows.run")
def notify(actor: Actor, instance: WorkflowInstance, spec: dict[str, Any], data: dict[str, Any],
           today: date, result: Any) -> None:
    """A notice for a work queue or a person (who started the instance, or who took the step)."""
    account_id = None
    if spec.get("to") == "started_by":
        account_id = instance.started_by
    elif spec.get("to") == "step_actor":
        account_id = actor.account_id
    if account_id is None and not spec.get("queue"):
        return  # nobody to tell (a system run of a step addressed to a person)
    db.session.add(Notification(account_id=account_id, queue=spec.get("queue"), message=spec["message"],
                                instance_id=instance.id))
    db.session.flush()


# -- through the records room's operations ----------------------------------------------

def _user_id(actor: Actor) -> str | None:
    return str(actor.account_id) if actor.account_id is not None else None


def _enroll_household(actor: Actor, project: Project, members: list[Client], relationships: list[int],
                      entry_date: date) -> list[Enrollment]:
    """One household: a relationship per member as the household step arranged them (the
    head first); with one per *other* member, the first member is the head."""
    from ..records.errors import RecordInvalid
    from ..records.households import enroll_household

    if len(relationships) == len(members):
        pairs = list(zip(members, relationships))
    else:
        pairs = [(client, 1 if position == 0 else (relationships[position - 1] if position - 1 < len(relationships)
                                                   else None))
                 for position, client in enumerate(members)]
    try:
        return list(enroll_household(actor, project, pairs, entry_date))
    except RecordInvalid as invalid:
        raise _refused("; ".join(invalid.errors.values())) from None


def _exit_enrollments(actor: Actor, enrollments: list[Enrollment], exit_date: date, destination: int | None) -> None:
    from ..records.errors import RecordInvalid
    from ..records.households import exit_household

    try:
        exit_household(actor, enrollments, exit_date, {e.id: destination for e in enrollments})
    except RecordInvalid as invalid:
        raise _refused("; ".join(invalid.errors.values())) from None
