"""The duplicate scan as a background job (RQ with Redis, inline without)."""
from __future__ import annotations

from typing import Any

from .. import jobs
from ..access.operations import Actor, operation, system_actor
from ..extensions import db
from ..models.core import Job

JOB_KIND = "duplicates.find"


def scan_job(job_id: str | None = None) -> dict[str, Any]:
    """Run a scan and commit the queue (the job's body)."""
    from .review import scan

    summary = scan(system_actor("duplicate scan"), job_id=job_id)
    db.session.commit()
    return summary


@operation("duplicates.start_scan", permission="duplicates.review")
def start_scan(actor: Actor) -> Job:
    """Enqueue a scan of every client; the returned Job row is what the page polls."""
    return jobs.enqueue(scan_job, kind=JOB_KIND, title="Find duplicate clients", account_id=actor.account_id,
                        retry=False)


def scan_after_import(import_run_id: int, account_id: int | None = None) -> Job:
    """Queue a scan after an import committed, so new people meet the review queue.

    Called by the import service (not an operation: the import itself was the
    permission-checked act); the scan runs as the system, like any scheduled scan.
    """
    return jobs.enqueue(scan_job, kind=JOB_KIND, title=f"Find duplicate clients after import {import_run_id}",
                        account_id=account_id, retry=False)
