"""Form pages: the preview an HMIS lead uses before publishing, the "which forms apply
here and why" page, and the small endpoint ``forms.js`` asks what to show.

A preview renders any version (drafts included) for a chosen project, stage and kind
of client, exactly as a case manager would see it; submitting it only *reads* the
answers and shows what would be saved. Nothing reaches a table: previews are
throwaway by construction, not by clean-up.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from sqlalchemy import and_, bindparam, select

from ..access import policy
from ..access.operations import PermissionDenied, require
from ..db import built_once
from ..definitions import service
from ..extensions import db
from ..models import Client, Enrollment, Funder, Project
from ..models.definitions import DefinitionVersion
from ..web.auth import current_actor
from . import fragments
from .compile import FormDefinitionError, compile_body
from .context import FormContext, context_of, funder_columns, funder_rows_of, funders_of
from .items import STAGES, CompiledForm
from .loading import current_identity, load_identified, load_version
from .read import read, shown_items
from .render import render
from .rules import RulesError, applicable, load_rules
from .sharing import with_visible_column

bp = Blueprint("forms", __name__, url_prefix="/forms",
               template_folder=str(Path(__file__).resolve().parent / "templates"))

RULE_STAGES = ("profile", "project_start", "update", "annual", "exit", "post_exit", "cls", "service",
               "ce_assessment", "ce_event")


@bp.context_processor
def _page_helpers() -> dict:
    return {"current_actor_can": current_actor().can, "endpoints": current_app.view_functions}


def _compiled(version: DefinitionVersion) -> CompiledForm:
    """A version as the engine runs it: a draft with the fragments being edited, a
    published or retired one with the published fragments."""
    if version.status == "draft":
        return compile_body(version.body, version.definition.key, fragments.for_preview(),
                            version=version.version, version_id=version.id)
    return load_version(version.id)


def _int_arg(source, name: str) -> int | None:
    value = (source.get(name) or "").strip()
    return int(value) if value.lstrip("-").isdigit() and len(value) < 10 else None


def _preview_context(source) -> FormContext:
    project_id = _int_arg(source, "project")
    project = db.session.get(Project, project_id) if project_id else None
    stage = source.get("stage") if source.get("stage") in STAGES else "project_start"
    veteran = source.get("veteran")
    return FormContext(project=project, stage=stage, funders=funders_of(project, date.today()),
                       relationship_to_hoh=_int_arg(source, "relationship"), age=_int_arg(source, "age"),
                       is_veteran=None if veteran not in ("0", "1") else veteran == "1",
                       information_date=date.today(), language="es" if source.get("lang") == "es" else "en")


@bp.route("/preview/<key>", methods=["GET", "POST"])
def preview(key: str):
    """Fill in a form as a case manager would; a submission is read, never saved."""
    require(current_actor(), "definitions.view")
    number = request.args.get("v", type=int)
    version = service.get_version("form", key, number) if number else (
        service.published("form", key) or service.latest("form", key))
    if version is None:
        abort(404)
    context = _preview_context(request.args)
    projects = db.session.execute(select(Project.id, Project.project_name, Project.project_type)
                                  .order_by(Project.project_name).limit(500)).all()
    page = {"key": key, "version": version, "context": context, "projects": projects, "stages": STAGES,
            "args": request.args}
    try:
        form = _compiled(version)
    except FormDefinitionError as error:
        return render_template("forms/preview.html", problems=error.problems, **page), 422
    submission = None
    if request.method == "POST":
        submission = read(form, request.form, context, prefix="preview-")
        html = render(form, context, values=submission.answers, errors=submission.errors,
                      warnings=submission.warnings, prefix="preview-")
    else:
        html = render(form, context, prefix="preview-")
    return render_template("forms/preview.html", form=form, form_html=html, submission=submission, **page)


@bp.post("/shown")
def shown():
    """Which items are shown for the posted answers (``forms.js`` toggles the rest)."""
    actor = current_actor()
    if not (actor.can("assessments.edit") or actor.can("definitions.view")):
        raise PermissionDenied("Your role may not fill in forms.")
    posted = request.form  # read once: each use of the request proxy costs a look-up
    version_id = _int_arg(posted, "_ctx_version_id") or 0
    # Asked after every change: a published version comes from the compiled-form cache
    # (one small query, which also checks its fragments), never by reading and decoding its body again.
    identity = current_identity(version_id)
    if identity is None or identity[3] != "form":
        abort(404)
    stage = posted.get("_ctx_stage") if posted.get("_ctx_stage") in STAGES else "project_start"
    enrollment_id = _int_arg(posted, "_ctx_enrollment_id")
    if enrollment_id:
        context = _enrollment_facts(enrollment_id, stage, actor)
    else:
        context = _preview_context({"project": posted.get("_ctx_project_id"), "stage": stage,
                                    "age": posted.get("_ctx_age"),
                                    "relationship": posted.get("_ctx_relationship"),
                                    "veteran": posted.get("_ctx_veteran")})
    try:
        form = _compiled(db.session.get(DefinitionVersion, version_id)) if identity[2] == "draft" \
            else load_identified(identity)
    except FormDefinitionError:
        abort(422)
    prefix = (posted.get("_ctx_prefix") or "")[:40]
    response = jsonify(shown=sorted(shown_items(form, posted, context, prefix=prefix)))
    response.headers["Cache-Control"] = "no-store"
    return response


@built_once
def _facts_statement():
    """:func:`_enrollment_facts`' query but for the actor's visibility column, built once:
    building it cost about as much CPU as running it."""
    funders, funders_joined = funder_columns()
    return (select(Enrollment.entry_date, Enrollment.relationship_to_hoh, Project.id.label("project_row_id"),
                   Project.project_type, Client.id.label("client_row_id"), Client.dob, Client.veteran_status,
                   *funders)
            .select_from(Enrollment)
            .outerjoin(Project, and_(Project.data_source_id == Enrollment.data_source_id,
                                     Project.project_id == Enrollment.project_id))
            .outerjoin(Client, and_(Client.data_source_id == Enrollment.data_source_id,
                                    Client.personal_id == Enrollment.personal_id))
            .outerjoin(Funder, funders_joined)
            .where(Enrollment.id == bindparam("enrollment_id")))


def _enrollment_facts(enrollment_id: int, stage: str, actor) -> FormContext:
    """The context of re-evaluating a member's form: what its rules and applicability read
    of the enrollment, its project and client and the project's funders, and whether the
    actor may see the enrollment, in one query of those columns alone (a row per funder
    row). Asked after every change, so no whole rows are loaded: the context holds
    stand-ins with just these facts, enough to work out what is shown (nothing is
    rendered or saved from it). :raise 404: no such enrollment. :raise PermissionDenied:
    the actor may not see it."""
    # The visibility condition is the actor's; the rest of the statement is built once.
    rows = db.session.execute(with_visible_column(_facts_statement(), actor), {"enrollment_id": enrollment_id}).all()
    if not rows:
        abort(404)
    row = rows[0]
    if not row.visible:
        raise PermissionDenied(policy.ENROLLMENT_NOT_SHARED)
    enrollment = SimpleNamespace(id=enrollment_id, entry_date=row.entry_date,
                                 relationship_to_hoh=row.relationship_to_hoh)
    project = None if row.project_row_id is None else SimpleNamespace(id=row.project_row_id,
                                                                      project_type=row.project_type)
    client = None if row.client_row_id is None else SimpleNamespace(id=row.client_row_id, dob=row.dob,
                                                                     veteran_status=row.veteran_status)
    # Prefill does not change what is shown.
    return context_of(enrollment, stage, project, client, funder_rows=funder_rows_of(rows))


@bp.get("/rules")
def rules():
    """For a chosen project: at each stage, which forms apply and which rule chose them."""
    require(current_actor(), "definitions.view")
    projects = db.session.execute(select(Project.id, Project.project_name, Project.project_id, Project.project_type)
                                  .order_by(Project.project_name).limit(1000)).all()
    project_id = request.args.get("project", type=int)
    project = db.session.get(Project, project_id) if project_id else None
    try:
        all_rules = load_rules()
        error = None
    except RulesError as problem:
        all_rules, error = [], str(problem)
    funders = funders_of(project, date.today()) if project is not None else []
    by_stage = {stage: applicable(project, stage, funders=funders, rules=all_rules) for stage in RULE_STAGES} \
        if not error else {}
    return render_template("forms/rules.html", projects=projects, project=project, funders=funders,
                           by_stage=by_stage, rules=all_rules, error=error)
