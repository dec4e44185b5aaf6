"""Workflow screens: start and resume workflows, take a step, shelter check-in, due lists, CE list.

Views are thin: they read the request, call the engine or the check-in operation as the
signed-in actor, commit, and show the outcome. A refusal re-renders the page with the
reason (422); losing a race to another staff member says who won (409).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from ..access.operations import Actor
from ..extensions import db
from ..hud import codelists
from ..models import Client, Enrollment, Exit, Project
from ..models.core import utcnow
from ..models.definitions import Definition, DefinitionVersion
from ..models.workflows import DueItem, Notification, WorkflowInstance
from ..web.auth import current_actor
from . import checkin, definition, engine, intake_steps
from .definition import Workflow
from .due import annual_due
from .engine import StaleInstance, WorkflowRefused

bp = Blueprint("workflows", __name__, url_prefix="/workflows", template_folder="templates")

#: Step types whose list-of-number fields are chosen from people rather than typed.
MEMBER_STEPS = ("client_search", "household")

#: Step types at which staff may create a client (after seeing the possible matches).
CLIENT_STEPS = ("client_search", "household")


def _published_workflows() -> list[tuple[str, str, bool]]:
    """Key, title and whether it keeps a prioritization list, of every published workflow."""
    rows = db.session.execute(select(Definition.key, Definition.title, DefinitionVersion.body)
                              .join(DefinitionVersion).where(Definition.kind == "workflow",
                                                             DefinitionVersion.status == "published")
                              .order_by(Definition.title)).all()
    return [(key, title, bool(body.get("prioritization"))) for key, title, body in rows]


def _night(raw: str | None) -> date:
    try:
        return date.fromisoformat(raw) if raw else date.today()
    except ValueError:
        abort(400, description="night must be a date (YYYY-MM-DD)")


def _project_or_404(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    return project


def _shelters() -> list[Project]:
    """Projects a night-by-night check-in suits: HUD ES night-by-night, or a local type reported as it."""
    from .project_types import local_types

    local_ids = {pid for t in local_types() if t.hud_type == 1 for pid in t.projects}
    return list(db.session.scalars(select(Project).where(
        or_(Project.project_type == 1, Project.project_id.in_(local_ids or {""})),
        Project.date_deleted.is_(None)).order_by(Project.project_name)))


@bp.get("/")
def index():
    actor = current_actor()
    instances = engine.active_instances(actor, limit=50)
    projects = list(db.session.scalars(select(Project).where(Project.date_deleted.is_(None))
                                       .order_by(Project.project_name).limit(500)))
    notices = db.session.scalars(select(Notification).where(
        or_(Notification.account_id == actor.account_id, Notification.queue.is_not(None)),
        Notification.read_dt.is_(None)).order_by(Notification.created_dt.desc()).limit(20)).all()
    return render_template("workflows/index.html", workflows=_published_workflows(), instances=instances,
                           shelters=_shelters(), projects=projects, notices=notices)


@bp.post("/notices/<int:notice_id>/dismiss")
def dismiss_notice(notice_id: int):
    """Mark a notice read: one's own, or a work queue's (for everyone watching that queue)."""
    actor = current_actor()
    notice = db.session.get(Notification, notice_id)
    if notice is None or (notice.account_id is not None and notice.account_id != actor.account_id):
        abort(404)
    notice.read_dt = utcnow()
    db.session.commit()
    return redirect(url_for("workflows.index"), 303)


@bp.post("/start/<key>")
def start(key: str):
    actor = current_actor()
    project_id = request.form.get("project_id", type=int)
    subject_key = request.form.get("subject_key") or None
    try:
        instance = engine.start(actor, key, project_id=project_id, subject_key=subject_key)
    except (WorkflowRefused, definition.WorkflowNotFound) as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("workflows.index"))
    db.session.commit()
    return redirect(url_for("workflows.instance", instance_id=instance.id))


def find_clients(actor: Actor, query: str) -> list[Client]:
    """Search before create: the records room's client search (typos, nicknames, visibility)."""
    from ..records.clients import search_clients

    return [match.client for match in search_clients(actor, name=query)]


def _household_enrollments(instance: WorkflowInstance) -> list[tuple[Enrollment, Client]]:
    if instance.subject_type != "household" or not instance.subject_key:
        return []
    return [tuple(row) for row in db.session.execute(
        select(Enrollment, Client).join(Client, and_(Client.data_source_id == Enrollment.data_source_id,
                                                     Client.personal_id == Enrollment.personal_id))
        .outerjoin(Exit, and_(Exit.data_source_id == Enrollment.data_source_id,
                              Exit.enrollment_id == Enrollment.enrollment_id))
        .where(Enrollment.household_id == instance.subject_key, Exit.id.is_(None))
        .order_by(Enrollment.relationship_to_hoh))]


def _choices(workflow: Workflow, instance: WorkflowInstance, actor: Actor) -> dict[str, list[tuple[Any, str]]]:
    """Options for the current step's fields: code lists, projects, people."""
    step = workflow.step(instance.step)
    choices: dict[str, list[tuple[Any, str]]] = {}
    for name in step.collects:
        spec = workflow.fields[name]
        if name == "member_relationships" or (name == "project_id" and step.type == "choose_project"):
            continue  # a select per member beside each person; projects with their inventory (template)
        if spec.code_list:
            codes = codelists.get(spec.code_list)
            choices[name] = [(code, label) for code, label in codes.codes.items() if code in codes.current]
        elif name == "project_id":
            projects = db.session.scalars(select(Project).where(Project.date_deleted.is_(None))
                                          .order_by(Project.project_name).limit(500))
            choices[name] = [(p.id, p.project_name or p.project_id) for p in projects]
        elif spec.type == "list of number" and step.type in MEMBER_STEPS:
            chosen = list(instance.data.get(name) or [])
            added = request.args.get("added", type=int)  # a client just created at this step
            if added and added not in chosen and _visible_client(actor, added):
                chosen.append(added)
            people = {c.id: c for c in db.session.scalars(select(Client).where(Client.id.in_(chosen)))} if chosen else {}
            query = request.args.get("q", "").strip()
            found = find_clients(actor, query) if query else []
            for person in list(people.values()) + [c for c in found if c.id not in people]:
                label = " ".join(p for p in (person.first_name, person.last_name) if p) or person.personal_id
                choices.setdefault(name, []).append((person.id, f"{label} (born {person.dob or 'unknown'})"))
        elif spec.type == "list of number" and step.type == "check_in" and instance.data.get("night"):
            project_id = instance.data.get("project_id") or instance.project_id
            night = date.fromisoformat(instance.data["night"])
            choices[name] = [(row.enrollment_id, row.name) for row in checkin.roster(actor, project_id, night)
                             if not row.checked_in]
        elif spec.type == "list of number" and name.endswith("enrollment_ids"):
            rows = _household_enrollments(instance)
            choices[name] = [(e.id, " ".join(p for p in (c.first_name, c.last_name) if p) or c.personal_id)
                             for e, c in rows]
    return choices


def _visible_client(actor: Actor, client_id: int) -> bool:
    from ..access.operations import PermissionDenied
    from ..records.clients import get_client

    try:
        return get_client(actor, client_id) is not None
    except PermissionDenied:
        return False


def _forms_for(step, project: Project | None) -> list[tuple[str, str]]:
    """The forms a form step asks for: the one it names, or those the form rules pick."""
    if step.type != "form":
        return []
    if step.form != "applicable":
        return [(step.form, "named by this workflow")]
    from ..forms.rules import RulesError, applicable

    try:
        return [(found.form, found.why) for found in applicable(project, step.stage)]
    except RulesError as broken:
        return [("", str(broken))]


def _profile_page() -> tuple[list[Any], str | None]:
    """The published client-profile form(s), or why there are none to offer."""
    from ..forms import FormNotPublished
    from ..records import profile

    try:
        return profile.page_for(None), None
    except FormNotPublished as missing:
        return [], f"{missing} Ask your HMIS lead to publish it."


def _new_client_panel(query: str = "") -> dict[str, Any]:
    """The "create a new client" panel of a search or household step: the client-profile
    form(s), as on the records room's new-client screen, started from what was searched for."""
    from ..records import profile, submissions

    page, problem = _profile_page()
    if problem:
        return {"page": [], "problem": problem}
    first, _, last = query.strip().partition(" ")
    profile.prefill(page, first.strip()[:100], last.strip()[:100], "")
    return {"page": page, "token": submissions.new_token()}


def _render_instance(instance: WorkflowInstance, *, error: str | None = None, status: int = 200,
                     submitted: dict[str, Any] | None = None, new_client: dict[str, Any] | None = None):
    actor = current_actor()
    workflow = engine.workflow_of(instance)
    step = workflow.step(instance.step)
    if new_client is None and instance.status == "active" and step.type in CLIENT_STEPS and engine.may_do(actor, step):
        new_client = _new_client_panel(request.args.get("q", "")[:200])
    ways = engine.transition_state(instance, workflow) if instance.status == "active" else []
    values = {**(instance.data or {}), **(submitted or {})}
    project = db.session.get(Project, instance.project_id) if instance.project_id else None
    active = instance.status == "active"
    relationship_of = {str(member): str(code) for member, code in
                       zip(values.get("member_ids") or [], values.get("member_relationships") or [])}
    added = request.args.get("added", type=int)
    context = {
        "project_choices": (intake_steps.project_choices(actor, intake_steps.step_project_types(workflow, step))
                            if active and step.type == "choose_project" and "project_id" in step.collects else []),
        "relationships": intake_steps.relationship_options() if "member_relationships" in step.collects else [],
        "relationship_of": relationship_of, "added": [added] if added else [],
        "new_client": new_client or {}, "client_steps": CLIENT_STEPS,
        "forms": _forms_for(step, project) if instance.status == "active" else [],
        "instance": instance, "workflow": workflow, "step": step, "ways": ways, "values": values,
        "choices": _choices(workflow, instance, actor) if instance.status == "active" else {},
        "history": engine.history(instance), "error": error, "may_do": engine.may_do(actor, step),
        "member_steps": MEMBER_STEPS, "query": request.args.get("q", ""),
        "project": project,
    }
    return render_template("workflows/instance.html", **context), status


@bp.get("/instances/<int:instance_id>")
def instance(instance_id: int):
    current_actor()
    found = db.session.get(WorkflowInstance, instance_id)
    if found is None:
        abort(404)
    return _render_instance(found)


@bp.post("/instances/<int:instance_id>")
def advance(instance_id: int):
    actor = current_actor()
    found = db.session.get(WorkflowInstance, instance_id)
    if found is None:
        abort(404)
    workflow = engine.workflow_of(found)
    step = workflow.step(request.form.get("step", "")) if request.form.get("step") in workflow.steps else None
    values: dict[str, Any] = {}
    for name in step.collects if step else ():
        kind = workflow.fields[name].type
        if name == "member_relationships":
            # One select per member, named after the client; an unanswered one is sent as
            # 99 (data not collected) so the engine names the person it is missing for.
            members = request.form.getlist("member_ids") if "member_ids" in step.collects \
                else (found.data or {}).get("member_ids") or []
            values[name] = [request.form.get(f"relationship-{member}") or "99" for member in members]
        elif kind == "list of number":
            values[name] = request.form.getlist(name)
        elif name in request.form:
            values[name] = request.form.get(name)
    try:
        result = engine.advance(actor, instance_id, revision=request.form.get("revision", type=int) or 0,
                                step=request.form.get("step", ""), values=values,
                                to=request.form.get("to") or None)
    except StaleInstance as stale:
        db.session.rollback()
        return _render_instance(db.session.get(WorkflowInstance, instance_id), error=str(stale), status=409)
    except (WorkflowRefused, checkin.CheckInRefused) as refused:
        db.session.rollback()
        return _render_instance(db.session.get(WorkflowInstance, instance_id), error=str(refused), status=422,
                                submitted=values)
    db.session.commit()
    engine.run_after_commit(result)
    for message in result.messages:
        flash(message, "success")
    return redirect(url_for("workflows.instance", instance_id=instance_id))


@bp.post("/instances/<int:instance_id>/new-client")
def new_client(instance_id: int):
    """Create a client from a search or household step through the published client-profile
    form(s) (the records room's new-client screen, in the step): the possible matches first;
    created only when none is right (``confirm_new``). Each panel carries a submit-once
    token, so a double click creates one client."""
    from ..records import profile, submissions

    actor = current_actor()
    found = db.session.get(WorkflowInstance, instance_id)
    if found is None:
        abort(404)
    workflow = engine.workflow_of(found)
    step = workflow.step(found.step)
    if found.status != "active" or step.type not in CLIENT_STEPS:
        return _render_instance(found, error="A client can be created here only at a search or household step.",
                                status=422)
    if not engine.may_do(actor, step):
        return _render_instance(found, error=f"This step is done by {', '.join(step.roles)}.", status=403)
    token = request.form.get("token")
    earlier = submissions.already_submitted(token)
    if earlier is not None:
        flash("That form was already sent; here is what it saved.", "info")
        return redirect(earlier.result_url, 303)
    page, problem = _profile_page()
    if problem:
        return _render_instance(found, status=409, new_client={"page": [], "problem": problem})
    panel = {"page": page, "token": token or submissions.new_token()}
    try:
        made = profile.create_from_page(actor, page, request.form, confirmed=bool(request.form.get("confirm_new")))
    except profile.ProfileRefused:
        db.session.rollback()
        return _render_instance(found, status=422, new_client={**panel, "refused": True})
    if made.client is None:
        from ..access import policy

        return _render_instance(found, new_client={**panel, "matches": made.matches,
                                                   "names": policy.display_names(actor, [m.client for m in made.matches])})
    result = url_for("workflows.instance", instance_id=instance_id, added=made.client.id)
    try:
        submissions.claim(token, actor.account_id, result)
        db.session.commit()
    except IntegrityError:  # the same panel sent twice at once: the first one's client stands
        db.session.rollback()
        earlier = submissions.already_submitted(token)
        return redirect(earlier.result_url if earlier else url_for("workflows.instance", instance_id=instance_id), 303)
    flash("Client created: tick them below to add them to this step.", "success")
    return redirect(result, 303)


@bp.get("/check-in/<int:project_id>")
def check_in_page(project_id: int, *, error: str | None = None, status: int = 200):
    actor = current_actor()
    project = _project_or_404(project_id)
    night = _night(request.values.get("night"))
    from .project_types import types_of

    unit = next((t.unit_label for t in types_of(project) if t.local), "bed")
    rows = checkin.roster(actor, project_id, night)
    return render_template("workflows/check_in.html", project=project, night=night, rows=rows, error=error,
                           beds=checkin.beds(project, night), occupied=sum(r.checked_in for r in rows),
                           unit=unit), status


@bp.post("/check-in/<int:project_id>")
def check_in(project_id: int):
    actor = current_actor()
    night = _night(request.form.get("night"))
    ids = [int(i) for i in request.form.getlist("enrollment_id") if i.isdigit()]
    try:
        result = checkin.check_in(actor, project_id, night, ids)
    except checkin.CheckInRefused as refused:
        db.session.rollback()
        return check_in_page(project_id, error=str(refused), status=422)
    db.session.commit()
    beds = f" of {result.beds}" if result.beds is not None else ""
    flash(f"Checked in {result.created} for the night of {night.isoformat()}: {result.occupied}{beds} beds used.",
          "success")
    return redirect(url_for("workflows.check_in_page", project_id=project_id, night=night.isoformat()), 303)


@bp.get("/due")
def due_pick():
    """The project chooser on the index posts here (a GET form cannot fill a path)."""
    project_id = request.args.get("project_id", type=int)
    if project_id is None:
        abort(404)
    return redirect(url_for("workflows.due", project_id=project_id, today=request.args.get("today") or None))


@bp.get("/due/<int:project_id>")
def due(project_id: int):
    actor = current_actor()
    project = _project_or_404(project_id)
    today = _night(request.args.get("today"))
    items = annual_due(actor, project_id, today)
    others = db.session.scalars(select(DueItem).where(DueItem.project_id == project_id, DueItem.status == "open",
                                                      DueItem.kind != "annual_assessment")
                                .order_by(DueItem.due_date).limit(200)).all()
    return render_template("workflows/due.html", project=project, today=today, items=items, others=others)


@bp.get("/prioritization/<key>")
def prioritization(key: str):
    actor = current_actor()
    try:
        ranked = engine.prioritized(actor, key)
        workflow = definition.published(key)
    except (WorkflowRefused, definition.WorkflowNotFound) as refused:
        abort(404, description=str(refused))
    return render_template("workflows/prioritization.html", workflow=workflow, ranked=ranked)
