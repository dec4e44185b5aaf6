"""Upload pages for HMIS CSV imports: upload, watch the checks, read the issues, confirm.

The work itself is in :mod:`hmis.interchange.services`; these views only store the
upload, enqueue the service functions as jobs and show what they recorded.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import func, select
from wtforms import SubmitField

from .. import jobs
from ..access import audit
from ..extensions import db
from ..models.core import Account, ImportIssue, ImportRun, Job
from ..web.auth import current_account
from . import services
from .checks import RULES

TEMPLATES = str(Path(__file__).resolve().parents[1] / "web" / "templates")

bp = Blueprint("interchange", __name__, url_prefix="/imports", template_folder=TEMPLATES)

ZIP_MAGIC = b"PK\x03\x04"
NOT_A_ZIP = ("Only .zip files can be uploaded: choose the zip file your HMIS exported "
             "(HMIS CSV format), not a single CSV or another file.")

#: What each ImportRun.status means to the person who uploaded the file.
STATUS_LABELS = {
    "uploaded": "Checking",
    "validated": "Ready to import",
    "rejected": "Rejected",
    "importing": "Importing",
    "imported": "Imported",
    "failed": "Failed",
    "expired": "Expired",
}
SEVERITY_LABELS = {"error": "Error", "warning": "Warning", "rejected_row": "Rejected row"}
SUMMARY_KEYS = ("rows", "inserted", "updated", "unchanged", "deleted", "warnings", "rejected")
ACTIVE_JOB = ("queued", "running")


class UploadForm(FlaskForm):
    file = FileField(
        "HMIS CSV export (.zip)",
        validators=[
            FileRequired("Choose a .zip file to upload."),
            FileAllowed(["zip"], NOT_A_ZIP),
        ],
        render_kw={"accept": ".zip,application/zip"},
    )
    submit = SubmitField("Upload and check")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm import")


@bp.app_template_filter("import_status")
def import_status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", status or "")


@bp.app_template_filter("severity")
def severity_label(severity: str | None) -> str:
    return SEVERITY_LABELS.get(severity or "", severity or "")


def _max_upload() -> tuple[int, str]:
    """The upload limit in bytes, and as people read it ("512 MB")."""
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    if limit >= 1024 * 1024:
        return limit, f"{limit / (1024 * 1024):g} MB"
    return limit, f"{max(1, limit // 1024)} KB"


@bp.app_errorhandler(413)
def upload_too_large(error):
    limit, limit_text = _max_upload()
    message = (f"That file is larger than the {limit_text} upload limit. "
               "Export a shorter date range or fewer projects, or ask your administrator to raise the limit.")
    if request.blueprint == "interchange":
        # formdata=None: reading the oversized body again would raise a second 413.
        return render_template("interchange/new.html", form=UploadForm(formdata=None), upload_error=message,
                               max_bytes=limit, max_text=limit_text), 413
    return render_template("error.html", title="File too large", message=message), 413


@bp.get("/")
def index():
    page = db.paginate(select(ImportRun).order_by(ImportRun.created_dt.desc(), ImportRun.id.desc()),
                       per_page=current_app.config.get("PAGE_SIZE", 50), error_out=False)
    account_ids = {run.account_id for run in page.items if run.account_id}
    names = dict(db.session.execute(select(Account.id, Account.name).where(Account.id.in_(account_ids))).all()) \
        if account_ids else {}
    return render_template("interchange/index.html", page=page, names=names)


def _client_filename(raw: str) -> str:
    """The name the browser sent, without any folder part some browsers include."""
    return raw.replace("\\", "/").rsplit("/", 1)[-1].strip()[:300] or "upload.zip"


def _is_zip(storage) -> bool:
    stream = storage.stream
    head = stream.read(len(ZIP_MAGIC))
    stream.seek(0)
    return head == ZIP_MAGIC


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = UploadForm()
    upload_error = None
    if form.validate_on_submit():
        storage = form.file.data
        if not _is_zip(storage):
            upload_error = NOT_A_ZIP
        else:
            run = _store_upload(storage, _client_filename(storage.filename or ""))
            if run is not None:
                return redirect(url_for("interchange.run", id=run.id))
            upload_error = "The file could not be stored. Please try again."
    elif form.file.errors:
        upload_error = form.file.errors[0]
    status = 400 if upload_error or form.errors else 200
    limit, limit_text = _max_upload()
    return render_template("interchange/new.html", form=form, upload_error=upload_error,
                           max_bytes=limit, max_text=limit_text), status


def _store_upload(storage, filename: str) -> ImportRun | None:
    """Save the upload to a temp file beside the instance data, hand it to the service, start the checks."""
    incoming = Path(current_app.instance_path) / "uploads" / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(suffix=".zip", dir=incoming)
    temp_path = Path(temp_name)
    account = current_account()
    run = None
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(storage.stream, out, 1024 * 1024)
        run = services.create_import_run(temp_path, filename, account.id if account else None)
        db.session.commit()  # the run exists before any job looks for it
    except ValueError as exc:
        db.session.rollback()
        flash(f"The upload was not accepted: {exc}", "error")
        return None
    finally:
        # The service moves the file it keeps; anything left behind is ours to remove.
        if temp_path.exists() and (run is None or run.stored_path != str(temp_path)):
            temp_path.unlink()
    # No retries: a check that failed once (a vanished upload) fails the same way again.
    job = jobs.enqueue(services.validate_import, run.id, kind="import-validate", retry=False,
                       title=f"Check {filename}", account_id=account.id if account else None)
    run = db.session.get(ImportRun, run.id)
    run.job_id = job.id
    audit.record("import.upload", subject_type="import_run", subject_id=run.id, details={"filename": filename})
    db.session.commit()
    flash(f"{filename} was uploaded. The checks are running; this page updates by itself.", "success")
    return run


def _get_run(id: int) -> ImportRun:
    return db.get_or_404(ImportRun, id)


def _active_job(run: ImportRun) -> Job | None:
    if not run.job_id:
        return None
    job = db.session.get(Job, run.job_id)
    return job if job is not None and job.status in ACTIVE_JOB else None


@bp.get("/<int:id>")
def run(id: int):
    run = _get_run(id)
    severity = request.args.get("severity", "", type=str)[:20]
    file = request.args.get("file", "", type=str)[:100]
    issues = select(ImportIssue).where(ImportIssue.import_run_id == run.id)
    if severity:
        issues = issues.where(ImportIssue.severity == severity)
    if file:
        issues = issues.where(ImportIssue.file == file)
    page = db.paginate(issues.order_by(ImportIssue.id), per_page=current_app.config.get("PAGE_SIZE", 50),
                       error_out=False)
    filters = {"severity": severity, "file": file}
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return render_template("interchange/_issue_rows.html", run=run, page=page, filters=filters)

    by_severity = dict(db.session.execute(
        select(ImportIssue.severity, func.count()).where(ImportIssue.import_run_id == run.id)
        .group_by(ImportIssue.severity)).all())
    by_rule = db.session.execute(
        select(ImportIssue.file, ImportIssue.rule, ImportIssue.severity, func.count().label("n"))
        .where(ImportIssue.import_run_id == run.id)
        .group_by(ImportIssue.file, ImportIssue.rule, ImportIssue.severity)
        .order_by(func.count().desc(), ImportIssue.file, ImportIssue.rule).limit(200)).all()
    files = db.session.scalars(select(ImportIssue.file).where(ImportIssue.import_run_id == run.id)
                               .distinct().order_by(ImportIssue.file)).all()
    summary, totals, columns, empty_files = _summary_table(run.summary)
    written = run.status == "imported"
    labels = {key: pair[0 if written else 1] for key, pair in SUMMARY_LABELS.items()}
    uploader = db.session.get(Account, run.account_id) if run.account_id else None
    return render_template(
        "interchange/run.html", run=run, page=page, filters=filters, by_severity=by_severity, by_rule=by_rule,
        files=files, summary=summary, summary_totals=totals, summary_columns=columns, uploader=uploader,
        summary_labels=labels, empty_files=empty_files,
        job=db.session.get(Job, run.job_id) if run.job_id else None, active_job=_active_job(run),
        confirm_form=ConfirmForm() if run.status == "validated" else None,
    )


def _summary_table(raw) -> tuple[list[tuple[str, dict]], dict | None, list[str], int]:
    """Split ``ImportRun.summary`` into per-file rows, a totals row, the columns to show,
    and how many files had no records at all (left out of the table: most exports
    have several header-only files).
    """
    if not isinstance(raw, dict):
        return [], None, [], 0
    files = sorted((name if str(name).endswith(".csv") else f"{name}.csv", counts) for name, counts in raw.items()
                   if not str(name).startswith("_") and isinstance(counts, dict))
    rows = [(name, counts) for name, counts in files if counts.get("rows") or counts.get("rejected")]
    columns = [key for key in SUMMARY_KEYS if any(isinstance(c.get(key), int) for _, c in rows)]
    totals = {key: sum(c.get(key) or 0 for _, c in rows) for key in columns} if rows else None
    return rows, totals, columns, len(files) - len(rows)


#: Column headings; before the data is written the counts are what *would* happen.
SUMMARY_LABELS = {
    "rows": ("Rows", "Rows"), "inserted": ("New", "Would add"), "updated": ("Updated", "Would update"),
    "unchanged": ("Unchanged", "Unchanged"), "deleted": ("Marked deleted", "Would mark deleted"),
    "warnings": ("Warnings", "Warnings"), "rejected": ("Skipped", "Will be skipped"),
}


@bp.app_template_filter("rule_title")
def rule_title(key: str) -> str:
    """What a rule checks, in words ('Refers to a record that does not exist')."""
    rule = RULES.get(key)
    return rule.title if rule else key


@bp.app_template_filter("hud_check")
def hud_check(key: str) -> str:
    """The matching check in HUD's catalogue, when there is one ('9/10 PersonalID ...')."""
    rule = RULES.get(key)
    return (rule.hud_check or "") if rule else ""


@bp.app_template_filter("summary_value")
def summary_value(value) -> str:
    """A summary cell: counts with thousands separators, lists joined, anything else as text."""
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


@bp.post("/<int:id>/confirm")
def confirm(id: int):
    run = _get_run(id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if run.status != "validated":
        flash(f"This import cannot be confirmed: its status is {import_status_label(run.status)}.", "error")
        return redirect(url_for("interchange.run", id=run.id))
    if _active_job(run) is not None:
        flash("This import is already being processed.", "info")
        return redirect(url_for("interchange.run", id=run.id))
    account = current_account()
    job = jobs.enqueue(services.run_import, run.id, kind="import-run", title=f"Import {run.filename}", retry=False,
                       account_id=account.id if account else None)
    run = db.session.get(ImportRun, id)
    run.job_id = job.id
    audit.record("import.confirm", subject_type="import_run", subject_id=run.id, details={"filename": run.filename})
    db.session.commit()
    flash("The import has started. This page updates by itself.", "success")
    return redirect(url_for("interchange.run", id=run.id))


@bp.get("/<int:id>/issues.csv")
def issues_csv(id: int):
    run = db.get_or_404(ImportRun, id)
    stem = Path(run.filename).stem or "import"
    safe_stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)[:80]
    audit.record("import.issues_download", subject_type="import_run", subject_id=run.id, commit=True)
    return Response(
        stream_with_context(services.issues_csv(run.id)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="import-{run.id}-{safe_stem}-issues.csv"'},
    )
