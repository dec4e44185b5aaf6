"""One job wrapper: inline without Redis, RQ with it; a Job row records every outcome."""
from sqlalchemy import select

from hmis.extensions import db
from hmis.jobs import enqueue
from hmis.models import DataSource, Job

from . import tasks


def test_inline_job_runs_and_records_its_result(sqlite_app):
    job = enqueue(tasks.add_source, "inline", kind="test", title="Add a source")
    db.session.expire_all()
    row = db.session.get(Job, job.id)
    assert (row.status, row.progress, row.result) == ("finished", 100, {"key": "inline"})
    assert db.session.scalar(select(DataSource.key)) == "inline"
    assert row.started_dt and row.finished_dt


def test_inline_failure_is_recorded_not_raised(sqlite_app):
    job = enqueue(tasks.fail, "no such project", kind="test", title="Fails")
    db.session.expire_all()
    row = db.session.get(Job, job.id)
    assert row.status == "failed"
    assert row.error == "ValueError: no such project"


def test_redis_queue_and_worker(app_factory, redis_url):
    """A job enqueued on Redis waits for a worker; the worker runs it inside the app."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    app = app_factory("postgresql", REDIS_URL=redis_url, QUEUE_PREFIX="hmis-test")
    with app.app_context():
        connection = Redis.from_url(redis_url)
        queue = Queue("hmis-test:default", connection=connection)
        queue.empty()
        job = enqueue(tasks.add_source, "queued", kind="test", title="Queued")
        db.session.expire_all()
        assert db.session.get(Job, job.id).status == "queued"  # not run in the request
        assert queue.count == 1
        SimpleWorker([queue], connection=connection).work(burst=True)
        db.session.expire_all()
        row = db.session.get(Job, job.id)
        assert (row.status, row.result) == ("finished", {"key": "queued"})
        assert db.session.scalar(select(DataSource.key).where(DataSource.key == "queued")) == "queued"
        queue.empty()


def test_jobs_receive_their_id_and_report_progress(app):
    """A job function that takes job_id gets it; progress shows on PostgreSQL (not on
    SQLite, whose single writer would make a progress write wait for the job)."""
    job = enqueue(tasks.report_progress, kind="test", title="Progress")
    db.session.expire_all()
    row = db.session.get(Job, job.id)
    assert row.status == "finished" and row.result == {"job_id": job.id}
    expected = None if db.engine.dialect.name == "sqlite" else "halfway"
    assert row.message == expected


def test_jobs_whose_worker_died_are_marked_failed(app):
    """A worker killed mid-job leaves its row 'running'; the sweep says what happened."""
    from datetime import timedelta

    from hmis.jobs import sweep_stale
    from hmis.models import ImportRun
    from hmis.models.core import utcnow

    now = utcnow()
    dead = Job(id="dead", kind="import-run", title="Import x.zip", status="running",
               started_dt=now - timedelta(hours=3), created_dt=now - timedelta(hours=3))
    alive = Job(id="alive", kind="import-run", title="Import y.zip", status="running",
                started_dt=now - timedelta(minutes=5), created_dt=now - timedelta(minutes=5))
    run = ImportRun(filename="x.zip", status="importing", job_id="dead")
    db.session.add_all([dead, alive, run])
    db.session.commit()

    assert sweep_stale(now) == 1
    db.session.expire_all()
    assert db.session.get(Job, "dead").status == "failed"
    assert "worker stopped" in db.session.get(Job, "dead").error
    assert db.session.get(Job, "alive").status == "running"
    assert db.session.get(ImportRun, run.id).status == "failed"
    assert sweep_stale(now) == 0
