"""Job status for the browser: a self-polling htmx fragment, or JSON.

A page that started a job includes ``_job_status.html``; while the job is queued
or running the fragment carries ``hx-trigger="every 1s"`` and replaces itself.
Once the job has finished or failed the fragment comes back without a trigger, so
polling stops, and ``HX-Refresh`` makes the page reload to show the outcome.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request

from ..extensions import db
from ..models.core import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs", template_folder="templates")

ACTIVE = ("queued", "running")


def job_dict(job: Job) -> dict:
    return {
        "id": job.id,
        "kind": job.kind,
        "title": job.title,
        "status": job.status,
        "progress": job.progress,
        "message": job.message if job.status != "failed" else None,
        "error": job.error,
        "result": job.result,
        "created": job.created_dt.isoformat() if job.created_dt else None,
        "started": job.started_dt.isoformat() if job.started_dt else None,
        "finished": job.finished_dt.isoformat() if job.finished_dt else None,
    }


def _visible(job: Job) -> bool:
    """A job's result can hold client data: only who started it, or a role that sees
    every organization's records, may poll it."""
    from ..access.policy import has_full_access
    from .auth import current_actor

    actor = current_actor()
    return (job.account_id is not None and job.account_id == actor.account_id) or has_full_access(actor)


@bp.get("/<job_id>")
def status(job_id: str):
    job = db.get_or_404(Job, job_id)
    if not _visible(job):
        abort(404)  # not 403: a job id says nothing to someone who may not see it
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify(job_dict(job))
    response = render_template("_job_status.html", job=job)
    headers = {}
    if request.headers.get("HX-Request") and job.status not in ACTIVE:
        headers["HX-Refresh"] = "true"
    return response, 200, headers
