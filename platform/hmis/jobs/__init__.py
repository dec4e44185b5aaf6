"""One wrapper for background work: RQ on Redis when configured, inline otherwise.

Every user-visible job has a ``Job`` row (id = RQ job id) that pages list and poll.
Jobs take ids and plain values, never ORM objects or the request, and are only
enqueued after the row is committed, so a worker never starts before its data exists.
"""
from __future__ import annotations

import importlib
import inspect
import traceback
import uuid
from datetime import datetime, timedelta
from typing import Any, Callable

from flask import Flask, current_app, has_app_context
from sqlalchemy import func, select

from ..extensions import db
from ..models.core import Job, utcnow


def init_app(app: Flask) -> None:
    app.extensions["hmis_jobs"] = {"redis_url": app.config["REDIS_URL"]}


def _queue():
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(current_app.config["REDIS_URL"])
    return Queue(f"{current_app.config['QUEUE_PREFIX']}:default", connection=connection,
                 default_timeout=current_app.config["JOB_TIMEOUT"])


def enqueue(func: Callable[..., Any] | str, *args: Any, kind: str, title: str,
            account_id: int | None = None, retry: bool = True, **kwargs: Any) -> Job:
    """Create a Job row, commit it, then run ``func(*args, **kwargs)`` in the background.

    With no Redis configured the job runs at once in this process (the embedded
    default); its row records the outcome either way. ``retry=False`` for jobs
    whose failures are never transient (a retry would only fail again and
    replace the real error with a worse one).
    """
    path = func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"
    job = Job(id=uuid.uuid4().hex, kind=kind, title=title, account_id=account_id)
    db.session.add(job)
    db.session.commit()
    if current_app.config["REDIS_URL"]:
        _queue().enqueue(run_job, job.id, path, args, kwargs, job_id=job.id,
                         description=title, retry=_retry() if retry else None)
    else:
        run_job(job.id, path, args, kwargs)
    return job


def _retry():
    from rq import Retry

    # Transient failures (a dropped connection, a lock timeout) get two more tries.
    return Retry(max=2, interval=[5, 30])


def run_job(job_id: str, path: str, args: tuple, kwargs: dict) -> Any:
    """Run a job function inside an app context, keeping its Job row up to date."""
    if not has_app_context():
        from .. import create_app

        with create_app().app_context():
            return run_job(job_id, path, args, kwargs)
    module_name, _, func_name = path.rpartition(".")
    func = getattr(importlib.import_module(module_name), func_name)
    if "job_id" in inspect.signature(func).parameters and "job_id" not in kwargs:
        kwargs = {**kwargs, "job_id": job_id}  # so the function can report progress
    _update(job_id, status="running", started_dt=utcnow(), error=None)
    try:
        result = func(*args, **kwargs)
    except Exception as exc:
        db.session.rollback()
        _update(job_id, status="failed", finished_dt=utcnow(),
                error=f"{type(exc).__name__}: {exc}", message=traceback.format_exc(limit=5)[-4000:])
        if current_app.config["REDIS_URL"]:
            raise  # let RQ record it and retry
        return None
    _update(job_id, status="finished", progress=100, finished_dt=utcnow(),
            result=result if isinstance(result, dict) else None)
    return result


def set_progress(job_id: str | None, percent: int, message: str | None = None) -> None:
    """Record progress from inside a job, in its own short transaction.

    Not on SQLite: it has one writer at a time, so while the job's own write
    transaction is open a progress write would wait for it (and time out). The
    embedded default runs jobs inline anyway, so nobody polls there.
    """
    if job_id and db.engine.dialect.name != "sqlite":
        _update(job_id, progress=max(0, min(100, percent)), message=message)


def _update(job_id: str, **values: Any) -> None:
    # A separate connection, so progress is visible while the job's own
    # transaction is still open.
    with db.engine.begin() as connection:
        connection.execute(Job.__table__.update().where(Job.__table__.c.id == job_id).values(**values))


def sweep_stale(now: datetime | None = None) -> int:
    """Mark as failed the jobs whose worker died (killed, machine restarted).

    A job still "running" after the job timeout plus a minute cannot be running:
    RQ would have stopped it. Its writes were in one transaction, so nothing of
    it remains; the row says so, and an import run it was driving is failed too.
    Runs at every worker start and from ``hmis jobs sweep``.
    """
    from ..models.core import ImportRun

    now = now or utcnow()
    limit = now - timedelta(seconds=current_app.config["JOB_TIMEOUT"] + 60)
    stale = db.session.scalars(select(Job).where(Job.status.in_(("running", "queued")),
                                                 func.coalesce(Job.started_dt, Job.created_dt) < limit)).all()
    for job in stale:
        job.status = "failed"
        job.finished_dt = now
        job.error = ("The worker stopped while running this job (it was killed or its machine restarted). "
                     "Nothing it was writing was kept; start it again.")
        for run in db.session.scalars(select(ImportRun).where(ImportRun.job_id == job.id,
                                                              ImportRun.status.in_(("importing", "uploaded")))):
            run.status = "failed"
            run.finished_dt = now
    db.session.commit()
    return len(stale)
