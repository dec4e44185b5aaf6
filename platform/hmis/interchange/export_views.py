"""Export pages: ask for an HMIS CSV export, watch it being written, download it.

The work is :func:`hmis.interchange.services.create_export`, run as a job of kind
``export-csv``; its result (kept in ``Job.result``) names the zip in
``<instance>/exports``, the rows per file and the parameters. Downloads only serve
a file that is inside that folder, whatever the stored path says.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, DateField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Optional, Regexp

from .. import jobs
from ..access import audit
from ..extensions import db
from ..models import Project
from ..models.core import Account, Job
from ..access.policy import may_open_export
from ..web.auth import current_account, current_actor
from . import services

TEMPLATES = str(Path(__file__).resolve().parents[1] / "web" / "templates")

bp = Blueprint("exports", __name__, url_prefix="/exports", template_folder=TEMPLATES)

KIND = "export-csv"
ACTIVE_JOB = ("queued", "running")
FIRST_YEAR, LAST_YEAR = 1990, 2100
NOT_A_DATE = "Enter the date as YYYY-MM-DD, for example 2025-10-01."
DATE_RANGE = {"min": f"{FIRST_YEAR}-01-01", "max": f"{LAST_YEAR}-12-31"}
COC_FORMAT = "Enter the CoC code as two letters, a dash and three digits, for example XX-501."


def _unknown_projects(count: int) -> str:
    return ("'%(value)s' is not an active project in this HMIS. Choose projects from the list." if count == 1 else
            "'%(value)s' are not active projects in this HMIS. Choose projects from the list.")


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


class ExportForm(FlaskForm):
    start = DateField("Start date", validators=[Optional()], invalid_value_message=NOT_A_DATE, render_kw=DATE_RANGE)
    end = DateField("End date", validators=[Optional()], invalid_value_message=NOT_A_DATE, render_kw=DATE_RANGE)
    projects = SelectMultipleField("Projects", coerce=str, validate_choice=True,
                                   invalid_choice_message=_unknown_projects, render_kw={"size": 8})
    hashed = BooleanField("Hash names and SSN (HUD's hashed variant)")
    source_id = StringField("CoC code for Export.SourceID", filters=[_upper],
                            validators=[Optional(), Regexp(r"^[A-Z]{2}-[0-9]{3}$", message=COC_FORMAT)],
                            render_kw={"maxlength": 6, "placeholder": "XX-501", "autocomplete": "off",
                                       "spellcheck": "false"})
    submit = SubmitField("Start the export")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        start, end = self.start, self.end
        for field in (start, end):
            if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
                field.errors.append(f"Enter a date between {FIRST_YEAR} and {LAST_YEAR}.")
                valid = False
        if start.errors or end.errors:
            return False
        if (start.data is None) != (end.data is None):
            missing = start if start.data is None else end
            missing.errors.append(f"Give {'a start' if missing is start else 'an end'} date too, "
                                  "or leave both dates empty to export all records.")
            return False
        if start.data and end.data and end.data < start.data:
            end.errors.append("The end date must be on or after the start date.")
            return False
        return valid


def _project_choices() -> list[tuple[str, str]]:
    """Projects not deleted, as (ProjectID, "name (ProjectID)"); one entry per ProjectID."""
    rows = db.session.execute(
        select(Project.project_id, Project.project_name).where(Project.date_deleted.is_(None))
        .order_by(func.lower(Project.project_name), Project.project_id)
    ).all()
    seen: dict[str, str] = {}
    for project_id, name in rows:
        seen.setdefault(project_id, f"{name or 'Unnamed project'} ({project_id})")
    return list(seen.items())


def _export_job(job_id: str) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or job.kind != KIND:
        abort(404)
    # Privacy room: an export holds its requester's view of the data; only they (or a
    # full-access role) may open it.
    if not may_open_export(current_actor(), job.account_id):
        abort(404)
    return job


@bp.before_request
def _require_export_permission():
    """Privacy room: exports need the ``exports.run`` permission (admin/roles.yaml)."""
    from ..access.operations import require

    require(current_actor(), "exports.run", operation_name="exports")


def _result(job: Job) -> dict:
    return job.result if job.status == "finished" and isinstance(job.result, dict) else {}


@bp.app_template_filter("export_period")
def export_period(parameters: dict | None) -> str:
    parameters = parameters if isinstance(parameters, dict) else {}
    if parameters.get("start") and parameters.get("end"):
        return f"{parameters['start']} to {parameters['end']}"
    return "All records"


def _describe(start: date | None, end: date | None, project_ids: list[str], hashed: bool,
              source_id: str | None) -> str:
    """The job's title: what was asked for, readable while the job waits (and if it fails)."""
    parts = [f"Export {start.isoformat()} to {end.isoformat()}" if start and end else "Export all records"]
    if project_ids:
        parts.append(f"{len(project_ids)} {'project' if len(project_ids) == 1 else 'projects'}")
    if hashed:
        parts.append("hashed")
    if source_id:
        parts.append(source_id)
    return " · ".join(parts)


@bp.route("/", methods=["GET", "POST"])
def index():
    form = ExportForm()
    form.projects.choices = _project_choices()
    if form.validate_on_submit():
        start, end = form.start.data, form.end.data
        project_ids = sorted(set(form.projects.data or []))
        hashed, source_id = bool(form.hashed.data), form.source_id.data or None
        account = current_account()
        account_id = account.id if account else None
        # Plain values only: a worker gets them through Redis.
        started = jobs.enqueue(services.create_export, account_id, start.isoformat() if start else None,
                           end.isoformat() if end else None, project_ids, hashed, source_id,
                           kind=KIND, title=_describe(start, end, project_ids, hashed, source_id),
                           account_id=account_id, retry=False)
        audit.record("export.request", subject_type="job", subject_id=started.id, commit=True, details={
            "start": start, "end": end, "projects": project_ids, "hashed": hashed, "source_id": source_id})
        flash("The export has started. This page updates by itself.", "success")
        return redirect(url_for("exports.job", job_id=started.id))

    listed = select(Job).where(Job.kind == KIND)
    actor = current_actor()
    if not may_open_export(actor, None):  # privacy room: others' exports are not listed
        listed = listed.where(Job.account_id == actor.account_id)
    page = db.paginate(listed.order_by(Job.created_dt.desc(), Job.id.desc()),
                       per_page=current_app.config.get("PAGE_SIZE", 50), error_out=False)
    account_ids = {job.account_id for job in page.items if job.account_id}
    names = dict(db.session.execute(select(Account.id, Account.name).where(Account.id.in_(account_ids))).all()) \
        if account_ids else {}
    status = 400 if form.errors else 200
    return render_template("exports/index.html", form=form, page=page, names=names), status


@bp.get("/<job_id>")
def job(job_id: str):
    job = _export_job(job_id)
    result = _result(job)
    rows = result.get("rows") if isinstance(result.get("rows"), dict) else {}
    files = sorted((name, count) for name, count in rows.items() if isinstance(count, int) and count)
    requester = db.session.get(Account, job.account_id) if job.account_id else None
    return render_template(
        "exports/job.html", job=job, result=result, files=files, empty_files=len(rows) - len(files),
        total=sum(count for _, count in files), requester=requester,
        available=services.stored_export(result.get("path")) is not None,
        active_job=job if job.status in ACTIVE_JOB else None,
    )


@bp.get("/<job_id>/download")
def download(job_id: str):
    job = _export_job(job_id)
    result = _result(job)
    path = services.stored_export(result.get("path"))
    if path is None:
        abort(404)
    filename = str(result.get("filename") or "hmis-csv.zip")
    audit.record("export.download", subject_type="job", subject_id=job.id, details={"filename": filename}, commit=True)
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=filename, max_age=0)
