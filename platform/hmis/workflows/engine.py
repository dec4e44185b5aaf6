"""Running workflows: start an instance, take its steps, refuse what may not happen and say why.

An instance remembers the step it waits at, the values collected so far and its
``revision``. Taking a step (:func:`advance`) needs the revision the person saw: the
step is written with ``UPDATE ... WHERE revision = <seen>``, so when two staff take the
same step at once the database lets one through and the other gets
:class:`StaleInstance`, naming who moved it on. Nothing of the loser is written: its
actions run only after its update won.

Every step taken is a :class:`~hmis.models.workflows.WorkflowStepRecord`: who, when,
from where to where, with which values. Functions flush; the caller commits, then
calls :func:`run_after_commit` for jobs the step queued (a job must never start before
the rows it needs are committed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from sqlalchemy import func, select, update

from ..access import audit
from ..access.operations import Actor, PermissionDenied, operation
from ..expressions import ExpressionError, evaluate, is_true
from ..extensions import db
from ..models import Enrollment, Exit, Funder, Project
from ..models.forms import FormResponse
from ..models.core import utcnow
from ..models.workflows import WorkflowInstance, WorkflowStepRecord
from . import definition
from .definition import BadValue, Step, Transition, Workflow


class WorkflowRefused(Exception):
    """The step cannot be taken; ``str(exc)`` says why and is safe to show."""


class StaleInstance(WorkflowRefused):
    """Someone else took a step of this instance after the person loaded it."""


@dataclass
class Advanced:
    """What :func:`advance` did."""

    instance: WorkflowInstance
    from_step: str
    to_step: str
    after_commit: list[Callable[[], Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def workflow_of(instance: WorkflowInstance) -> Workflow:
    """The definition version the instance was started with (later versions do not move it)."""
    from ..models.definitions import DefinitionVersion

    version = db.session.get(DefinitionVersion, instance.definition_version_id)
    return definition.from_version(version)


def may_do(actor: Actor, step: Step) -> bool:
    return actor.is_system or not step.roles or actor.role in step.roles


@operation("workflows.start", permission="workflows.run")
def start(actor: Actor, key: str, *, subject_type: str | None = None, subject_key: str | None = None,
          project_id: int | None = None, data: dict[str, Any] | None = None) -> WorkflowInstance:
    """Start the published workflow ``key``; ``data`` pre-fills declared fields (e.g. ``project_id``)."""
    workflow = definition.published(key)
    values = _coerce_all(workflow, data or {})
    if project_id is None and values.get("project_id") is not None:
        project_id = int(values["project_id"])
    if project_id is not None:
        project = db.session.get(Project, project_id)
        if project is None:
            raise WorkflowRefused(f"there is no project {project_id}")
        _check_project_type(workflow, project)
        if "project_id" in workflow.fields:
            values["project_id"] = project_id
    instance = WorkflowInstance(workflow_key=key, definition_version_id=workflow.version_id,
                                subject_type=subject_type or workflow.subject, subject_key=subject_key,
                                project_id=project_id, step=workflow.start, status="active", data=values,
                                revision=1, started_by=actor.account_id)
    db.session.add(instance)
    db.session.flush()
    audit.record("workflow.start", subject_type="workflow_instance", subject_id=instance.id,
                 details={"workflow": key, "version": workflow.version})
    return instance


def _check_project_type(workflow: Workflow, project: Project) -> None:
    if not workflow.project_types:
        return
    from .project_types import type_keys_of

    keys = type_keys_of(project) | {str(project.project_type)}
    if not keys & set(workflow.project_types):
        raise WorkflowRefused(f"'{workflow.title}' is for project types {', '.join(workflow.project_types)}; "
                              f"{project.project_name or project.project_id} is not one of them")


def _coerce_all(workflow: Workflow, raw: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for name, value in raw.items():
        spec = workflow.fields.get(name)
        if spec is None:
            raise WorkflowRefused(f"'{workflow.title}' has no field '{name}'")
        try:
            values[name] = definition.coerce(spec, value)
        except BadValue as error:
            raise WorkflowRefused(str(error)) from None
    return values


def guard_values(instance: WorkflowInstance, workflow: Workflow, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything a guard may read: the declared fields (typed) and the context names."""
    data = instance.data if data is None else data
    env: dict[str, Any] = {name: definition.typed(spec, data.get(name)) for name, spec in workflow.fields.items()}
    project = db.session.get(Project, instance.project_id) if instance.project_id else None
    env["project.type"] = project.project_type if project else None
    env["project.funders"] = sorted(db.session.scalars(
        select(Funder.funder).where(Funder.data_source_id == project.data_source_id,
                                    Funder.project_id == project.project_id, Funder.funder.is_not(None))
    ).unique()) if project else []
    members = data.get("member_ids")
    env["household.size"] = len(members) if isinstance(members, list) else 0
    env["workflow.step_count"] = instance.revision - 1
    env["forms.missing"] = forms_missing(instance, workflow, data, project)
    return env


def subject_enrollments(instance: WorkflowInstance, data: dict[str, Any]) -> list[Enrollment]:
    """The enrollments the instance is about: those it created or names, else its household's open ones."""
    ids = data.get("exit_enrollment_ids") or data.get("enrollment_ids")
    if ids:
        return list(db.session.scalars(select(Enrollment).where(Enrollment.id.in_(ids))))
    if instance.subject_type == "enrollment" and instance.subject_key and instance.subject_key.isdigit():
        found = db.session.get(Enrollment, int(instance.subject_key))
        return [found] if found else []
    if instance.subject_type == "household" and instance.subject_key:
        return list(db.session.scalars(
            select(Enrollment).outerjoin(Exit, (Exit.data_source_id == Enrollment.data_source_id)
                                         & (Exit.enrollment_id == Enrollment.enrollment_id))
            .where(Enrollment.household_id == instance.subject_key, Exit.id.is_(None),
                   Enrollment.date_deleted.is_(None))))
    return []


def forms_missing(instance: WorkflowInstance, workflow: Workflow, data: dict[str, Any],
                  project: Project | None) -> int | None:
    """At a form step, how many (member, form) pairs have no submitted response yet.

    The forms are the step's own, or those the form rules pick for the project and stage;
    ``each_member: false`` asks only the head of household. Annual and update responses
    count only when submitted since the instance started (last year's do not). ``None``
    (so a guard on it does not hold) when the step is not a form step or nobody is enrolled.
    """
    step = workflow.step(instance.step)
    if step.type != "form" or not step.stage:
        return None
    enrollments = subject_enrollments(instance, data)
    if not step.each_member:
        enrollments = [e for e in enrollments if e.relationship_to_hoh == 1]
    if not enrollments:
        return None
    if step.form and step.form != "applicable":
        keys = [step.form]
    else:
        from ..forms.rules import applicable

        keys = [found.form for found in applicable(project, step.stage)]
    if not keys:
        return 0
    statement = select(FormResponse.enrollment_id, FormResponse.form_key).where(
        FormResponse.enrollment_id.in_([e.id for e in enrollments]), FormResponse.form_key.in_(keys),
        FormResponse.stage == step.stage, FormResponse.status == "submitted")
    if step.stage in ("annual", "update"):
        statement = statement.where(FormResponse.submitted_dt >= instance.created_dt)
    done = set(db.session.execute(statement).all())
    return sum((e.id, key) not in done for e in enrollments for key in keys)


def transition_state(instance: WorkflowInstance, workflow: Workflow, data: dict[str, Any] | None = None,
                     today: date | None = None) -> list[tuple[Transition, bool, str | None]]:
    """Each way on from the current step: whether it is open now, and if not, why."""
    env = guard_values(instance, workflow, data)
    found = []
    for transition in workflow.step(instance.step).next:
        if transition.guard is None:
            found.append((transition, True, None))
            continue
        try:
            holds = is_true(evaluate(transition.guard, env, today=today or date.today()))
        except ExpressionError as error:
            found.append((transition, False, f"its rule could not be worked out ({error.message})"))
            continue
        reason = None if holds else (transition.because or f"the rule “{transition.guard_text}” does not hold")
        found.append((transition, holds, reason))
    return found


@operation("workflows.advance", permission="workflows.run")
def advance(actor: Actor, instance_id: int, *, revision: int, step: str, values: dict[str, Any] | None = None,
            to: str | None = None, today: date | None = None) -> Advanced:
    """Do step ``step`` of instance ``instance_id`` with ``values`` and move on.

    :param revision: the instance revision the person saw; if it has moved on since, nothing is
        written and :class:`StaleInstance` says who moved it.
    :param to: the step to go to (one of the step's ``next``); the first open one when omitted.
    :raise WorkflowRefused: the instance is finished, the step is not the current one, a value
        does not fit, a required value is missing, or no way on is open; always with the reason.
    :raise PermissionDenied: the actor's role may not perform this step.
    """
    today = today or date.today()
    instance = db.session.execute(select(WorkflowInstance).where(WorkflowInstance.id == instance_id)
                                  .execution_options(populate_existing=True)).scalar_one_or_none()
    if instance is None:
        raise WorkflowRefused(f"there is no workflow {instance_id}")
    workflow = workflow_of(instance)
    if instance.revision != revision:
        raise _stale(instance, revision)
    if instance.status != "active":
        raise WorkflowRefused(f"this {workflow.title.lower()} is already {instance.status}")
    if step != instance.step:
        raise WorkflowRefused(f"this workflow is at step '{workflow.step(instance.step).title}', not '{step}'")
    current = workflow.step(step)
    if not may_do(actor, current):
        raise PermissionDenied(f"Step '{current.title}' is done by {', '.join(current.roles)}; "
                               f"your role is {actor.role}.", operation="workflows.advance")

    submitted = values or {}
    unexpected = sorted(set(submitted) - set(current.collects))
    if unexpected:
        raise WorkflowRefused(f"step '{current.title}' does not collect {', '.join(unexpected)}")
    data = dict(instance.data or {})
    for name in current.collects:
        if name in submitted:
            try:
                data[name] = definition.coerce(workflow.fields[name], submitted[name])
            except BadValue as error:
                raise WorkflowRefused(str(error)) from None
        if workflow.fields[name].required and data.get(name) is None:
            raise WorkflowRefused(f"'{workflow.fields[name].label}' is required at step '{current.title}'")

    chosen_project = _check_step_values(actor, workflow, current, data)
    target = _choose(instance, workflow, data, to, today)
    next_step = workflow.step(target.to) if target else None
    finished = next_step is not None and next_step.is_end
    now = utcnow()
    moved = {"project_id": chosen_project} if chosen_project is not None else {}
    won = db.session.execute(
        update(WorkflowInstance)
        .where(WorkflowInstance.id == instance.id, WorkflowInstance.revision == revision,
               WorkflowInstance.status == "active")
        .values(revision=revision + 1, step=next_step.id if next_step else step, data=data, updated_dt=now,
                status="completed" if finished else "active", completed_dt=now if finished else None, **moved)
        .execution_options(synchronize_session=False))
    if won.rowcount != 1:
        raise _stale(instance, revision)
    db.session.add(WorkflowStepRecord(instance_id=instance.id, revision=revision + 1, step=step,
                                      to_step=next_step.id if next_step else None, account_id=actor.account_id,
                                      actor_name=actor.name or actor.role, values={k: data.get(k) for k in current.collects},
                                      done_dt=now))
    db.session.flush()
    db.session.refresh(instance)

    from . import actions

    result = Advanced(instance, step, instance.step)
    changes = actions.run_all(actor, instance, workflow, current, data, today, result)
    if changes:
        data.update(changes)
        instance.data = data
        if changes.get("household_id") and instance.subject_type == "household" and not instance.subject_key:
            instance.subject_key = changes["household_id"]
        db.session.flush()
    audit.record("workflow.step", subject_type="workflow_instance", subject_id=instance.id,
                 details={"workflow": workflow.key, "step": step, "to": instance.step, "revision": instance.revision})
    return result


def _check_step_values(actor: Actor, workflow: Workflow, step: Step, data: dict[str, Any]) -> int | None:
    """The intake steps' own rules (see :mod:`.intake_steps`); may rearrange ``data`` in place.

    A ``choose_project`` step must be given a project the actor may enroll into (its id is
    returned, so the instance is about that project from now on); a step collecting
    ``member_relationships`` needs one per member and exactly one head of household.
    """
    from . import intake_steps

    chosen = None
    try:
        if step.type == "choose_project" and "project_id" in step.collects:
            chosen = intake_steps.check_project_choice(actor, workflow, step, data.get("project_id")).id
        if "member_relationships" in step.collects and data.get("member_ids"):
            data["member_ids"], data["member_relationships"] = intake_steps.arrange_household(
                data["member_ids"], data.get("member_relationships"), step.title)
    except intake_steps.StepInputRefused as refused:
        raise WorkflowRefused(str(refused)) from None
    return chosen


def _choose(instance: WorkflowInstance, workflow: Workflow, data: dict[str, Any], to: str | None,
            today: date) -> Transition | None:
    states = transition_state(instance, workflow, data, today)
    if to is not None:
        for transition, open_now, reason in states:
            if transition.to == to:
                if not open_now:
                    raise WorkflowRefused(f"cannot go to '{workflow.step(to).title}': {reason}")
                return transition
        raise WorkflowRefused(f"step '{workflow.step(instance.step).title}' does not lead to '{to}'")
    for transition, open_now, _reason in states:
        if open_now:
            return transition
    reasons = "; ".join(f"to '{workflow.step(t.to).title}': {reason}" for t, _open, reason in states)
    raise WorkflowRefused(f"no way on from '{workflow.step(instance.step).title}' ({reasons})")


def _stale(instance: WorkflowInstance, seen: int) -> StaleInstance:
    latest = db.session.scalars(select(WorkflowStepRecord).where(WorkflowStepRecord.instance_id == instance.id)
                                .order_by(WorkflowStepRecord.revision.desc()).limit(1)).first()
    who = f" by {latest.actor_name} at {latest.done_dt:%H:%M:%S}" if latest else ""
    current = db.session.scalar(select(WorkflowInstance.step).where(WorkflowInstance.id == instance.id))
    return StaleInstance(f"Someone else moved this workflow on{who} (it is now at '{current}'); "
                         f"you were looking at revision {seen}. Reload to see what changed.")


@operation("workflows.cancel", permission="workflows.run")
def cancel(actor: Actor, instance_id: int, *, revision: int, reason: str) -> WorkflowInstance:
    """Stop an instance for good, with the reason in its history."""
    if not reason.strip():
        raise WorkflowRefused("say why the workflow is cancelled")
    instance = db.session.get(WorkflowInstance, instance_id)
    if instance is None:
        raise WorkflowRefused(f"there is no workflow {instance_id}")
    won = db.session.execute(update(WorkflowInstance)
                             .where(WorkflowInstance.id == instance_id, WorkflowInstance.revision == revision,
                                    WorkflowInstance.status == "active")
                             .values(revision=revision + 1, status="cancelled", updated_dt=utcnow())
                             .execution_options(synchronize_session=False))
    if won.rowcount != 1:
        raise _stale(instance, revision)
    db.session.add(WorkflowStepRecord(instance_id=instance_id, revision=revision + 1, step=instance.step,
                                      to_step=None, account_id=actor.account_id, actor_name=actor.name or actor.role,
                                      values={"cancelled": reason.strip()}))
    db.session.flush()
    db.session.refresh(instance)
    return instance


def history(instance: WorkflowInstance) -> list[WorkflowStepRecord]:
    return list(db.session.scalars(select(WorkflowStepRecord).where(WorkflowStepRecord.instance_id == instance.id)
                                   .order_by(WorkflowStepRecord.revision)))


@operation("workflows.list", permission="workflows.run")
def active_instances(actor: Actor, *, key: str | None = None, limit: int = 200) -> list[WorkflowInstance]:
    statement = select(WorkflowInstance).where(WorkflowInstance.status == "active")
    if key:
        statement = statement.where(WorkflowInstance.workflow_key == key)
    return list(db.session.scalars(statement.order_by(WorkflowInstance.updated_dt.desc()).limit(limit)))


@operation("workflows.prioritize", permission="workflows.run")
def prioritized(actor: Actor, key: str, *, today: date | None = None) -> list[tuple[WorkflowInstance, list[Any]]]:
    """The instances waiting at the workflow's prioritization step, best first, with their scores.

    Order and inclusion come from the definition's ``prioritization`` rules (expressions over
    each instance's fields), so a CoC changes its priorities by publishing a new version.
    Missing scores sort last whatever the direction.
    """
    workflow = definition.published(key)
    rules = workflow.prioritization
    if not rules:
        raise WorkflowRefused(f"'{workflow.title}' has no prioritization rules")
    waiting = db.session.scalars(select(WorkflowInstance).where(WorkflowInstance.workflow_key == key,
                                                                WorkflowInstance.status == "active",
                                                                WorkflowInstance.step == rules["step"])
                                 .order_by(WorkflowInstance.created_dt, WorkflowInstance.id)).all()
    today = today or date.today()
    ranked = []
    for instance in waiting:
        env = guard_values(instance, workflow_of(instance))
        if rules.get("include") and not is_true(evaluate(rules["include"], env, today=today)):
            continue
        ranked.append((instance, [evaluate(order["rule"], env, today=today) for order in rules["order_by"]]))
    for position in reversed(range(len(rules["order_by"]))):
        descending = rules["order_by"][position].get("direction", "desc") == "desc"
        # Stable sorts from the last key to the first; None last in both directions.
        ranked.sort(key=lambda pair: (pair[1][position] is None,
                                      _negate(pair[1][position]) if descending else pair[1][position]))
    return ranked


def _negate(value: Any) -> Any:
    if value is None:
        return 0
    if isinstance(value, date):
        return -value.toordinal()
    if isinstance(value, str):
        return tuple(-ord(c) for c in value)
    return -value


def run_after_commit(result: Advanced) -> None:
    """Start what the step queued, now that its rows are committed."""
    for callback in result.after_commit:
        callback()


def count_steps(instance_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(WorkflowStepRecord)
                             .where(WorkflowStepRecord.instance_id == instance_id)) or 0
