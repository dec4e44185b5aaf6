"""Import and export operations, shared by the CLI, the upload pages and jobs.

The lifecycle of an upload: ``create_import_run`` keeps the file; ``validate_import``
checks everything and writes no HUD data (status ``validated`` or ``rejected``);
``run_import`` writes it (status ``imported``, or ``rejected`` if it no longer
passes). Issues are ``ImportIssue`` rows; ``issues_csv`` renders them for download.
"""
from __future__ import annotations

import csv
import io
import shutil
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..jobs import set_progress
from ..models.core import ImportIssue, ImportRun, utcnow
from .checks import RULES
from .importer import ImportResult, Importer

ISSUE_COLUMNS = ("severity", "file", "row", "column", "value", "rule", "hud_check", "element", "message")


class ImportRunError(ValueError):
    """The run cannot do what was asked in its current state."""


def upload_folder() -> Path:
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def create_import_run(path: Path, filename: str, account_id: int | None = None) -> ImportRun:
    """Move an uploaded file into the instance folder and record a new run (committed)."""
    stored = upload_folder() / f"{uuid.uuid4().hex}.zip"
    shutil.move(str(path), stored)
    run = ImportRun(filename=Path(filename).name[:400] or "upload.zip", stored_path=str(stored),
                    status="uploaded", account_id=account_id)
    db.session.add(run)
    db.session.commit()
    return run


def _get(run_id: int) -> ImportRun:
    run = db.session.get(ImportRun, run_id)
    if run is None:
        raise ImportRunError(f"there is no import run {run_id}")
    return run


def validate_import(run_id: int, job_id: str | None = None) -> dict:
    """Check a stored upload without keeping any HUD data; record its issues."""
    run = _get(run_id)
    if run.status not in ("uploaded", "validated", "rejected"):
        raise ImportRunError(f"import {run_id} is {run.status}; it cannot be validated again")
    return _process(run, dry_run=True, job_id=job_id)


def run_import(run_id: int, job_id: str | None = None) -> dict:
    """Import a validated upload in one transaction (checks run again as it goes)."""
    run = _get(run_id)
    if run.status != "validated":
        raise ImportRunError(f"import {run_id} is {run.status}; only a validated import can be confirmed")
    run.status = "importing"
    db.session.commit()
    outcome = _process(run, dry_run=False, job_id=job_id)
    if outcome["status"] == "imported":
        # Imported people may already be known under another source's ids: queue a
        # duplicate scan so they reach the HMIS lead's review queue (issue 7).
        from ..identity.jobs import scan_after_import

        scan_after_import(run.id, run.account_id)
    return outcome


def import_file(path: Path, filename: str | None = None, account_id: int | None = None,
                source_key: str | None = None, job_id: str | None = None,
                on_progress: Callable[[int, str], None] | None = None) -> tuple[ImportRun, ImportResult]:
    """Validate and import in one pass (the CLI's way); the file is not moved."""
    run = ImportRun(filename=filename or Path(path).name, stored_path=str(path), status="importing",
                    account_id=account_id)
    db.session.add(run)
    db.session.commit()
    result = _run_importer(run, Path(path), dry_run=False, job_id=job_id, source_key=source_key,
                           on_progress=on_progress)
    return run, result


def _process(run: ImportRun, dry_run: bool, job_id: str | None) -> dict:
    path = Path(run.stored_path or "")
    if not path.exists():
        run.status = "failed"
        db.session.commit()
        raise ImportRunError(f"the uploaded file for import {run.id} is no longer on the server; upload it again")
    run.job_id = job_id or run.job_id
    db.session.commit()
    result = _run_importer(run, path, dry_run=dry_run, job_id=job_id)
    if result.status == "imported" and run.stored_path and Path(run.stored_path).parent == upload_folder():
        Path(run.stored_path).unlink(missing_ok=True)  # the data is in the database now
        run.stored_path = None
        db.session.commit()
    return {"import_run_id": run.id, "status": result.status, "errors": run.error_count,
            "warnings": run.warning_count}


def _run_importer(run: ImportRun, path: Path, dry_run: bool, job_id: str | None,
                  source_key: str | None = None,
                  on_progress: Callable[[int, str], None] | None = None) -> ImportResult:
    run_id = run.id

    def progress(percent: int, message: str) -> None:
        set_progress(job_id, percent, message)
        if on_progress is not None:
            on_progress(percent, message)

    try:
        result = Importer(path, dry_run=dry_run, progress=progress, source_key=source_key).run()
    except Exception:
        db.session.rollback()
        run = _get(run_id)
        run.status = "failed"
        run.finished_dt = utcnow()
        db.session.commit()
        raise
    run = _get(run_id)
    _record(run, result)
    return result


def _record(run: ImportRun, result: ImportResult) -> None:
    """Replace the run's issues with this pass's and store its summary."""
    db.session.execute(delete(ImportIssue).where(ImportIssue.import_run_id == run.id))
    rows = [
        {"import_run_id": run.id, "severity": issue.severity, "file": _clip(issue.file, 100), "row": issue.row,
         "column": _clip(issue.column, 100), "value": _clip(issue.value, 200), "rule": issue.rule,
         "element": _clip(issue.element, 100), "message": issue.message}
        for issue in result.log.issues
    ]
    for start in range(0, len(rows), 5000):
        db.session.execute(ImportIssue.__table__.insert(), rows[start:start + 5000])
    run.status = result.status
    run.csv_version = result.version
    run.source_key = result.source_key
    run.data_source_id = result.data_source_id
    summary = result.summary()
    summary["_totals"] = {"rows": result.rows, "seconds": round(result.seconds, 2),
                          "omitted_detail": [list(o) for o in result.log.omitted()]}
    run.summary = summary
    run.error_count = result.log.total("error")
    run.warning_count = result.log.total("warning") + result.log.total("rejected_row")
    run.finished_dt = utcnow()
    db.session.commit()


def _clip(text: str | None, size: int) -> str | None:
    """Fit a file's own text (a header, a value) into its column; the message keeps it whole."""
    return text if text is None or len(text) <= size else text[:size - 1] + "\u2026"


def issues_csv(run_id: int) -> Iterator[str]:
    """Yield the run's issues as CSV text (header first), streamed in pages."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ISSUE_COLUMNS)
    yield buffer.getvalue()
    last_id = 0
    while True:
        page = db.session.scalars(
            select(ImportIssue).where(ImportIssue.import_run_id == run_id, ImportIssue.id > last_id)
            .order_by(ImportIssue.id).limit(2000)
        ).all()
        if not page:
            return
        buffer.seek(0)
        buffer.truncate()
        for issue in page:
            rule = RULES.get(issue.rule)
            writer.writerow([issue.severity, issue.file, issue.row or "", issue.column or "",
                             _csv_safe(issue.value or ""), issue.rule, (rule.hud_check if rule else "") or "",
                             issue.element or "", _csv_safe(issue.message)])
        last_id = page[-1].id
        yield buffer.getvalue()


def _csv_safe(text: str) -> str:
    """Stop a spreadsheet from running a value as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# -- exports ------------------------------------------------------------------------------



def export_folder() -> Path:
    """Where finished exports are kept: ``<instance>/exports``."""
    folder = Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stored_export(path: str | None) -> Path | None:
    """The export file a Job result names, only if it is a ``.zip`` inside the export folder and exists.

    Stored paths are never trusted as they are: a path that leaves the folder (``..``,
    a symlink, another absolute path) gives None.
    """
    if not path or not isinstance(path, str):
        return None
    folder = export_folder().resolve()
    try:
        resolved = Path(path).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if resolved.parent != folder or resolved.suffix != ".zip" or not resolved.is_file():
        return None
    return resolved


def _as_date(value) -> date | None:
    if value is None or value == "" or isinstance(value, date):
        return value or None
    return date.fromisoformat(str(value))


def create_export(account_id: int | None, start, end, project_ids=(), hashed: bool = False,
                  source_id: str | None = None, job_id: str | None = None) -> dict:
    """Write an HMIS CSV export into the export folder and describe it (a job's result).

    ``start`` and ``end`` are dates or ISO strings (jobs pass plain values), both or neither.
    """
    from ..access.policy import actor_for_account, export_enrollment_condition
    from .exporter import export_csv

    # The privacy policy: an export holds only the records its requester may see.
    visible = export_enrollment_condition(actor_for_account(account_id))
    start, end = _as_date(start), _as_date(end)
    project_ids = sorted({str(p) for p in project_ids or ()})
    source_id = (source_id or "").strip().upper() or None
    out = export_folder() / f"{uuid.uuid4().hex}.zip"
    set_progress(job_id, 5, "Writing the 24 files")
    try:
        result = export_csv(out, start=start, end=end, project_ids=project_ids, hashed=bool(hashed),
                            source_id=source_id, enrollment_condition=visible)
    except BaseException:
        out.unlink(missing_ok=True)
        out.with_name(out.name + ".partial").unlink(missing_ok=True)
        raise
    period = f"{start.isoformat()}-{end.isoformat()}" if start and end else f"all-{date.today().isoformat()}"
    return {
        "path": str(result.path),
        "filename": f"hmis-csv-{period}.zip",
        "export_id": result.export_id,
        "rows": {f"{name}.csv": count for name, count in result.rows.items()},
        "seconds": round(result.seconds, 2),
        "parameters": {"start": start.isoformat() if start else None, "end": end.isoformat() if end else None,
                       "project_ids": project_ids, "hashed": bool(hashed), "source_id": source_id,
                       "account_id": account_id},
    }


def purge_old_files(now: datetime | None = None) -> dict[str, int]:
    """Delete uploads never imported and exports older than FILE_RETENTION_DAYS.

    Both hold client data; keeping them only as long as someone may still need
    them is part of protecting it. The runs and jobs stay (their history matters);
    they just no longer point at a file.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["FILE_RETENTION_DAYS"])
    removed = {"uploads": 0, "exports": 0}
    stale_runs = db.session.scalars(select(ImportRun).where(
        ImportRun.stored_path.is_not(None), ImportRun.created_dt < cutoff,
        ImportRun.status.not_in(("importing",)))).all()
    for run in stale_runs:
        path = Path(run.stored_path)
        if path.parent == upload_folder() and path.exists():
            path.unlink()
            removed["uploads"] += 1
        run.stored_path = None
        if run.status in ("uploaded", "validated"):
            run.status = "expired"
    from ..models.core import Job

    for job in db.session.scalars(select(Job).where(Job.kind == "export-csv", Job.status == "finished",
                                                    Job.finished_dt < cutoff)).all():
        path = stored_export((job.result or {}).get("path"))
        if path is not None:
            path.unlink()
            removed["exports"] += 1
    db.session.commit()
    return removed
