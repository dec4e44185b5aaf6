"""The "Find duplicates" button with a real RQ queue (Redis) and PostgreSQL: the page shows the
job waiting, a worker runs the scan, and the queue fills."""
from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from hmis.access.accounts import create_account
from hmis.extensions import db
from hmis.models.core import Job
from hmis.models.identity import DuplicateCandidate

from .helpers import person, source


@pytest.fixture
def queued(app_factory, redis_url):
    from redis import Redis
    from rq import Queue
    from rq.job import Job as RQJob

    prefix = f"hmis-test-{uuid.uuid4().hex[:10]}"
    app = app_factory("postgresql", REDIS_URL=redis_url, QUEUE_PREFIX=prefix)
    connection = Redis.from_url(redis_url)
    queue = Queue(f"{prefix}:default", connection=connection)
    with app.app_context():
        create_account("lead@example.org", "Lee Lead", "correct horse battery", "hmis_lead")
        ds = source()
        person(ds, "1", "Ada", "Lovelace", ssn="301224455")
        person(ds, "2", "Ada", "Lovelace", ssn="301224455")
        person(ds, "3", "Alan", "Turing", dob=date(1960, 6, 23))
        db.session.commit()
        client = app.test_client()
        client.post("/sign-in", data={"email": "lead@example.org", "password": "correct horse battery"})
        try:
            yield client, queue, connection
        finally:
            ids = queue.job_ids + queue.finished_job_registry.get_job_ids() + queue.failed_job_registry.get_job_ids()
            for job in RQJob.fetch_many(ids, connection=connection):
                if job is not None:
                    job.delete(remove_from_queue=True)
            connection.delete(queue.key)


def test_the_scan_runs_on_a_worker_and_fills_the_queue(queued):
    from rq import SimpleWorker

    client, queue, connection = queued
    response = client.post("/duplicates/find", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The scan has started" in html and 'hx-trigger="every 1s"' in html
    assert db.session.scalar(select(DuplicateCandidate)) is None
    SimpleWorker([queue], connection=connection).work(burst=True)
    db.session.expire_all()
    job = db.session.scalar(select(Job).where(Job.kind == "duplicates.find"))
    assert job.status == "finished" and job.result["pairs"] == 1, job.error
    html = client.get("/duplicates/").get_data(as_text=True)
    assert re.search(r"3 clients,\s+1 pair\.", html) and "Compare" in html
