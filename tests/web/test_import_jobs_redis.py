"""Uploads with a real RQ queue on Redis and PostgreSQL: the page polls while the job waits,
a worker does the checks and the import, and a failed job is shown with its error.

Each test uses its own QUEUE_PREFIX, so nothing else's queue is touched, and empties it at the end.
"""
from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hmis.access.accounts import create_account
from hmis.extensions import db
from hmis.models import Client, Enrollment, Exit, ImportIssue, ImportRun, Job, Organization, Project

from ..interchange.builders import base_records, write_export

POLLING = 'hx-trigger="every 1s"'


class Queued:
    """The app, a signed-in test client and the test's own RQ queue."""

    def __init__(self, app, client, queue, connection):
        self.app, self.client, self.queue, self.connection = app, client, queue, connection
        self.workers: list[str] = []

    def upload(self, path: Path, name: str | None = None):
        return self.client.post("/imports/new", data={"file": (io.BytesIO(path.read_bytes()), name or path.name)},
                                content_type="multipart/form-data")

    def work(self) -> bool:
        from rq import SimpleWorker

        worker = SimpleWorker([self.queue], connection=self.connection)
        self.workers.append(worker.name)
        return worker.work(burst=True)

    def page(self, url: str, **headers) -> tuple[int, str, dict]:
        response = self.client.get(url, headers=headers)
        return response.status_code, response.get_data(as_text=True), response.headers


@pytest.fixture
def queued(app_factory, redis_url):
    from redis import Redis
    from rq import Queue

    prefix = f"hmis-test-{uuid.uuid4().hex[:10]}"
    app = app_factory("postgresql", REDIS_URL=redis_url, QUEUE_PREFIX=prefix)
    connection = Redis.from_url(redis_url)
    queue = Queue(f"{prefix}:default", connection=connection)
    with app.app_context():
        create_account("lead@example.org", "Lee Lead", "correct horse battery", "hmis_lead")
        db.session.commit()
        client = app.test_client()
        response = client.post("/sign-in", data={"email": "lead@example.org", "password": "correct horse battery"})
        assert response.status_code in (302, 303)
        state = Queued(app, client, queue, connection)
        try:
            yield state
        finally:
            _clean(queue, connection, [f"rq:worker:{name}" for name in state.workers])


def _clean(queue, connection, worker_keys: list[str]) -> None:
    """Delete every job the test left (queued, failed, scheduled for retry...) and the queue's own keys."""
    from rq.job import Job as RQJob

    registries = (queue.started_job_registry, queue.finished_job_registry, queue.failed_job_registry,
                  queue.deferred_job_registry, queue.scheduled_job_registry, queue.canceled_job_registry)
    ids = set(queue.job_ids)
    for registry in registries:
        ids.update(registry.get_job_ids())
    for job in RQJob.fetch_many(sorted(ids), connection=connection):
        if job is not None:
            job.delete(remove_from_queue=True)
    queue.delete(delete_jobs=True)
    leftovers = list(connection.scan_iter(f"*{queue.name}*")) + worker_keys
    if leftovers:
        connection.delete(*leftovers)


def _run(run_id: int) -> ImportRun:
    db.session.expire_all()
    return db.session.get(ImportRun, run_id)


def _job(job_id: str) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _latest_run() -> ImportRun:
    db.session.expire_all()
    return db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()))


def test_upload_waits_for_the_worker_then_imports(queued, tmp_path):
    # upload: the request only stores the file and queues the checks
    response = queued.upload(write_export(tmp_path / "harbor-export.zip", base_records()))
    assert response.status_code == 302
    run = _latest_run()
    assert response.headers["Location"] == f"/imports/{run.id}"
    assert run.status == "uploaded" and run.job_id
    job_id = run.job_id
    check = _job(job_id)
    assert (check.kind, check.status, check.title) == ("import-validate", "queued", "Check harbor-export.zip")
    assert queued.queue.count == 1 and queued.queue.job_ids == [job_id]
    assert Path(run.stored_path).exists()

    # the run page shows the queued job and polls it
    status, html, _ = queued.page(f"/imports/{run.id}")
    assert status == 200
    assert "harbor-export.zip was uploaded. The checks are running" in html
    assert f'id="job-{job_id}"' in html
    assert f'hx-get="/jobs/{job_id}"' in html and POLLING in html and 'hx-swap="outerHTML"' in html
    assert "Waiting to start" in html and "Checking the files" in html
    assert "Confirm import" not in html

    # the job endpoint returns the polling fragment while the job waits
    status, fragment, headers = queued.page(f"/jobs/{job_id}", **{"HX-Request": "true"})
    assert status == 200 and "<html" not in fragment
    assert f'hx-get="/jobs/{job_id}"' in fragment and POLLING in fragment and "Waiting to start" in fragment
    assert "HX-Refresh" not in headers
    as_json = queued.client.get(f"/jobs/{job_id}", headers={"Accept": "application/json"}).get_json()
    assert (as_json["status"], as_json["kind"]) == ("queued", "import-validate")

    # a worker runs the checks
    assert queued.work() is True
    assert queued.queue.count == 0
    run = _run(run.id)
    assert run.status == "validated", run.status
    assert (run.error_count, run.warning_count) == (0, 0)
    check = _job(job_id)
    assert (check.status, check.progress) == ("finished", 100)
    assert check.result == {"import_run_id": run.id, "status": "validated", "errors": 0, "warnings": 0}
    assert _count(Client) == 0  # checking writes no HUD data

    status, fragment, headers = queued.page(f"/jobs/{job_id}", **{"HX-Request": "true"})
    assert status == 200
    assert "hx-trigger" not in fragment and "hx-get" not in fragment and "Done" in fragment
    assert headers["HX-Refresh"] == "true"
    status, html, _ = queued.page(f"/imports/{run.id}")
    assert "Ready to import" in html and POLLING not in html
    assert f'action="/imports/{run.id}/confirm"' in html

    # confirm: queued again, the page polls the import job and offers no second confirm
    response = queued.client.post(f"/imports/{run.id}/confirm")
    assert response.status_code == 302 and response.headers["Location"] == f"/imports/{run.id}"
    run = _run(run.id)
    import_id = run.job_id
    assert import_id != job_id
    assert run.status == "validated"  # the worker has not started yet
    assert (_job(import_id).kind, _job(import_id).status) == ("import-run", "queued")
    assert queued.queue.job_ids == [import_id]
    status, html, _ = queued.page(f"/imports/{run.id}")
    assert "The import has started" in html
    assert f'hx-get="/jobs/{import_id}"' in html and POLLING in html
    assert f'action="/imports/{run.id}/confirm"' not in html
    # confirming twice does not queue a second import
    again = queued.client.post(f"/imports/{run.id}/confirm", follow_redirects=True)
    assert "already being processed" in again.get_data(as_text=True)
    assert queued.queue.count == 1 and _count(Job) == 2
    assert _count(Client) == 0

    assert queued.work() is True
    run = _run(run.id)
    assert run.status == "imported", run.status
    assert _job(import_id).status == "finished"
    assert run.stored_path is None  # the upload is removed once its data is stored
    status, fragment, headers = queued.page(f"/jobs/{import_id}", **{"HX-Request": "true"})
    assert "hx-trigger" not in fragment and headers["HX-Refresh"] == "true"
    status, html, _ = queued.page(f"/imports/{run.id}")
    assert "The import finished" in html and POLLING not in html

    # the HUD tables hold the export's rows
    assert (_count(Organization), _count(Project), _count(Client), _count(Enrollment), _count(Exit)) == (1, 1, 2, 2, 1)
    names = set(db.session.execute(select(Client.personal_id, Client.first_name, Client.last_name)).all())
    assert names == {("C1", "Maria", "Lopez"), ("C2", "Leo", "Lopez")}
    assert db.session.scalar(select(Enrollment.data_source_id).where(Enrollment.enrollment_id == "N1")) \
        == run.data_source_id
    status, html, _ = queued.page("/clients")
    assert "Lopez, Maria" in html and "Lopez, Leo" in html


def test_a_failing_job_is_shown_and_the_worker_carries_on(queued, tmp_path):
    # two uploads; the first one's stored file disappears before a worker gets to it
    queued.upload(write_export(tmp_path / "lost.zip", base_records()))
    lost = _latest_run()
    queued.upload(write_export(tmp_path / "fine.zip", base_records()))
    fine = _latest_run()
    assert queued.queue.job_ids == [lost.job_id, fine.job_id]
    Path(lost.stored_path).unlink()

    assert queued.work() is True  # the failure does not stop the worker: the next job still runs
    assert _run(fine.id).status == "validated"
    assert _job(fine.job_id).status == "finished"

    lost = _run(lost.id)
    assert lost.status == "failed"
    failed = _job(lost.job_id)
    assert failed.status == "failed"
    expected = f"ImportRunError: the uploaded file for import {lost.id} is no longer on the server; upload it again"
    assert failed.error == expected
    assert "Traceback" in (failed.message or "")  # kept for the administrator ...
    assert _count(ImportIssue) == 0 and _count(Client) == 0

    # ... the endpoint shows the error and stops polling
    status, fragment, headers = queued.page(f"/jobs/{lost.job_id}", **{"HX-Request": "true"})
    assert status == 200
    assert "hx-trigger" not in fragment and "hx-get" not in fragment
    assert "Failed" in fragment and expected in fragment
    assert "Traceback" not in fragment
    assert headers["HX-Refresh"] == "true"
    as_json = queued.client.get(f"/jobs/{lost.job_id}", headers={"Accept": "application/json"}).get_json()
    assert (as_json["status"], as_json["error"], as_json["message"]) == ("failed", expected, None)

    # ... and so does the run page, without a confirm button or polling
    status, html, _ = queued.page(f"/imports/{lost.id}")
    assert status == 200
    assert "The import failed" in html
    assert f"Check lost.zip: {expected}" in html
    assert POLLING not in html and "Confirm import" not in html and "Traceback" not in html
    listing = queued.page("/imports/")[1]
    assert "lost.zip" in listing and "Failed" in listing

    # the same worker keeps taking jobs: confirm the other upload and import it
    queued.client.post(f"/imports/{fine.id}/confirm")
    assert queued.work() is True
    assert _run(fine.id).status == "imported"
    assert (_count(Client), _count(Enrollment), _count(Exit)) == (2, 2, 1)



def test_a_failed_check_keeps_its_error_when_rq_retries_it(queued, tmp_path):
    from rq.job import Job as RQJob

    queued.upload(write_export(tmp_path / "lost.zip", base_records()))
    lost = _latest_run()
    Path(lost.stored_path).unlink()
    queued.work()
    expected = f"ImportRunError: the uploaded file for import {lost.id} is no longer on the server; upload it again"
    assert _job(lost.job_id).error == expected
    # run any retry RQ scheduled now rather than in 5 and 30 seconds
    for _ in range(3):
        scheduled = queued.queue.scheduled_job_registry.get_job_ids()
        if not scheduled:
            break
        for job in RQJob.fetch_many(scheduled, connection=queued.connection):
            queued.queue.scheduled_job_registry.remove(job)
            queued.queue.enqueue_job(job)
        queued.work()
    assert (_job(lost.job_id).status, _job(lost.job_id).error) == ("failed", expected)
