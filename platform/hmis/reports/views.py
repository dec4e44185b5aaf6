"""The report library in the browser: browse and search, run with parameters, watch, read,
compare two runs side by side, download, and drill from a cell to the clients behind it.

Views stay thin: everything goes through :mod:`hmis.reports.service`.
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from ..access.operations import PermissionDenied
from ..extensions import db
from ..hud import codelists
from ..models import Project
from ..models.core import Job
from ..models.reports import ReportRun
from ..web.auth import current_actor
from . import exports, service
from .parameters import FUNDER_LIST, PROJECT_TYPE_LIST, ParameterError

bp = Blueprint("reports", __name__, url_prefix="/reports",
               template_folder=str(Path(__file__).resolve().parent / "templates"))

HISTORY_LIMIT = 50


def _require(permission: str):
    actor = current_actor()
    if not actor.can(permission):
        raise PermissionDenied("Your role may not use the report library.", permission=permission)
    return actor


def _run_or_404(actor, run_id: int) -> ReportRun:
    """The run when ``actor`` may see it; 404 (not 403) for someone else's, so run ids do not leak."""
    try:
        return service.run_for(actor, run_id)
    except service.RunNotFound:
        abort(404)


@bp.get("/")
def index():
    actor = _require("reports.run")
    search = request.args.get("q", "").strip()[:100]
    entries = service.library_entries(search)
    categories: dict[str, list] = {}
    for entry in entries:
        categories.setdefault(entry.category, []).append(entry)
    runs = db.session.scalars(service.visible_runs(actor).order_by(ReportRun.created_dt.desc(), ReportRun.id.desc())
                              .limit(HISTORY_LIMIT)).all()
    return render_template("reports/index.html", categories=categories, search=search, runs=runs)


def _choices():
    projects = db.session.execute(sa.select(Project.project_id, Project.project_name)
                                  .where(Project.date_deleted.is_(None))
                                  .order_by(sa.func.lower(Project.project_name), Project.project_id)).all()
    seen: dict[str, str] = {}
    for project_id, name in projects:
        seen.setdefault(project_id, f"{name or 'Unnamed project'} ({project_id})")
    project_types = sorted(codelists.get(PROJECT_TYPE_LIST).codes.items())
    funders = sorted(codelists.get(FUNDER_LIST).codes.items())
    return list(seen.items()), project_types, funders


@bp.route("/<key>/run", methods=["GET", "POST"])
def run_form(key: str):
    actor = _require("reports.run")
    try:
        version, definition = service.definition_for(key)
    except service.ReportNotFound:
        abort(404)
    values = {"start": "", "end": "", "coc_codes": "", "project_ids": [], "project_types": [], "funders": []}
    problems: dict[str, str] = {}
    if request.method == "POST":
        values = {"start": request.form.get("start", ""), "end": request.form.get("end", ""),
                  "coc_codes": request.form.get("coc_codes", ""),
                  "project_ids": request.form.getlist("project_ids"),
                  "project_types": request.form.getlist("project_types"),
                  "funders": request.form.getlist("funders")}
        try:
            run = service.start_run(actor, key, values)
        except ParameterError as error:
            db.session.rollback()
            problems = error.problems
        else:
            return redirect(url_for("reports.run_page", run_id=run.id), code=303)
    projects, project_types, funders = _choices()
    history = db.session.scalars(service.visible_runs(actor).where(ReportRun.report_key == key)
                                 .order_by(ReportRun.created_dt.desc(), ReportRun.id.desc()).limit(20)).all()
    return render_template("reports/run_form.html", key=key, definition=definition, version=version,
                           values=values, problems=problems, projects=projects, project_types=project_types,
                           funders=funders, history=history), (422 if problems else 200)


@bp.get("/runs/<int:run_id>")
def run_page(run_id: int):
    actor = _require("reports.run")
    run = _run_or_404(actor, run_id)
    job = db.session.get(Job, run.job_id) if run.job_id else None
    others = db.session.scalars(service.visible_runs(actor).where(ReportRun.report_key == run.report_key,
                                                           ReportRun.id != run.id, ReportRun.status == "finished")
                                .order_by(ReportRun.id.desc()).limit(20)).all()
    return render_template("reports/run.html", run=run, job=job, others=others,
                           can_drill=current_actor().can("reports.drilldown"), formats=exports.FORMATS)


@bp.post("/runs/<int:run_id>/retry")
def retry(run_id: int):
    actor = _require("reports.run")
    _run_or_404(actor, run_id)
    try:
        service.retry_run(actor, run_id)
    except (LookupError, ValueError) as error:
        flash(str(error), "error")
    return redirect(url_for("reports.run_page", run_id=run_id), code=303)


@bp.get("/runs/<int:run_id>/download/<format_name>")
def download(run_id: int, format_name: str):
    actor = _require("reports.run")
    run = _run_or_404(actor, run_id)
    if format_name not in exports.FORMATS or run.status != "finished":
        abort(404)
    meta = {"title": run.title, "report": run.report_key, "definition version": run.version, "run": run.id,
            "finished": run.finished_dt.isoformat(timespec="seconds") if run.finished_dt else ""}
    data = exports.write(format_name, run.results, run.parameters, meta)
    suffix = exports.FORMATS[format_name]
    name = f"{run.report_key}-run{run.id}{'-hud' if format_name == 'hud-zip' else ''}{suffix}"
    mimetype = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "json": "application/json"}.get(format_name, "application/zip")
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/runs/<int:run_id>/cells/<table_id>/<int:row>/<int:column>")
def drilldown(run_id: int, table_id: str, row: int, column: int):
    actor = _require("reports.run")
    run = _run_or_404(actor, run_id)
    try:
        found = service.drilldown(actor, run.id, table_id, row, column)
    except (LookupError, KeyError):
        abort(404)
    db.session.commit()  # the audit event
    return render_template("reports/drilldown.html", run=run, found=found)


@bp.get("/compare")
def compare():
    actor = _require("reports.run")
    try:
        left = _run_or_404(actor, int(request.args.get("a", "")))
        right = _run_or_404(actor, int(request.args.get("b", "")))
    except ValueError:
        abort(404)
    if left.status != "finished" or right.status != "finished":
        flash("Both runs must be finished to compare them.", "error")
        return redirect(url_for("reports.run_page", run_id=left.id), code=303)
    right_tables = {table["id"]: table for table in right.results["tables"]}
    pairs = [(table, right_tables.get(table["id"])) for table in left.results["tables"]]
    return render_template("reports/compare.html", left=left, right=right, pairs=pairs)
