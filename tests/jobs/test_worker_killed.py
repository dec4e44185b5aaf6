"""A worker killed with SIGKILL in the middle of an import: nothing half-written,
and the job (and its import run) visibly failed once swept."""
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

from sqlalchemy import func, select, text

from hmis.extensions import db
from hmis.interchange import services
from hmis.jobs import enqueue, sweep_stale
from hmis.models import Client, Disabilities, ImportRun, Job
from hmis.models.core import utcnow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            found += [int(child) for child in handle.read().split()]
    return found


def test_sigkill_mid_import_leaves_nothing(app_factory, redis_url, hud_sample, tmp_path):
    prefix = f"hmis-kill-{uuid.uuid4().hex[:8]}"
    app = app_factory("postgresql", REDIS_URL=redis_url, QUEUE_PREFIX=prefix)
    with app.app_context():
        upload = tmp_path / "sample.zip"
        shutil.copy(hud_sample, upload)
        run = services.create_import_run(upload, "sample.zip")
        services.validate_import(run.id)  # checked directly; only the import goes to the worker
        job = enqueue(services.run_import, run.id, kind="import-run", title="Import sample.zip", retry=False)

        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": redis_url,
               "HMIS_QUEUE_PREFIX": prefix, "HMIS_INSTANCE_PATH": app.instance_path,
               "PYTHONPATH": os.path.join(ROOT, "platform")}
        worker = subprocess.Popen([sys.executable, "-m", "hmis", "worker", "--burst"], env=env, cwd=ROOT,
                                  start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # wait until it is well into the import
                db.session.expire_all()
                row = db.session.get(Job, job.id)
                if row.status == "running" and (row.progress or 0) >= 20:
                    break
                time.sleep(0.1)
            else:
                raise AssertionError(f"the worker never got going: {row.status} {row.progress}")
            # RQ runs each job in a forked "work horse" in a session of its own: kill both,
            # as a machine going down would.
            for pid in _children(worker.pid):
                os.kill(pid, signal.SIGKILL)
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)

        # PostgreSQL notices a dead client only when it next talks to it; until then the
        # killed worker's statement runs on. End those backends as PostgreSQL would, and
        # wait until they are gone: only then is "nothing was written" a fact.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            orphans = db.session.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')")).all()
            db.session.commit()
            if not orphans:
                break
            time.sleep(0.2)

        db.session.expire_all()
        assert db.session.get(Job, job.id).status == "running"  # nobody told it yet
        assert db.session.scalar(select(func.count()).select_from(Client)) == 0  # nothing half-written
        assert db.session.scalar(select(func.count()).select_from(Disabilities)) == 0

        assert sweep_stale(utcnow() + timedelta(seconds=app.config["JOB_TIMEOUT"] + 120)) >= 1
        db.session.expire_all()
        assert db.session.get(Job, job.id).status == "failed"
        assert db.session.get(ImportRun, run.id).status == "failed"

        from redis import Redis
        from rq import Queue

        Queue(f"{prefix}:default", connection=Redis.from_url(redis_url)).empty()
