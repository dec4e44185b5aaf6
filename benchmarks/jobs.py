#!/usr/bin/env python3
"""Background jobs: N queued jobs drained by two workers, none lost, none run twice.

    python benchmarks/jobs.py [--jobs 10000] [--workers 2]

Needs PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379). In the same run, the
baseline is plain RQ: the same number of no-op jobs (no job row, no app, no
database) drained by the same number of bare `rq worker` processes.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT / "benchmarks")]
PG_ADMIN = os.environ.get("HMIS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("HMIS_BENCH_REDIS", "redis://127.0.0.1:6379/14")


def drain(command: list[str], workers: int, env: dict) -> float:
    started = time.perf_counter()
    processes = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(workers)]
    for process in processes:
        process.wait()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()

    import psycopg
    from redis import Redis
    from rq import Queue

    from hmis import create_app
    from hmis.db import upgrade
    from hmis.extensions import db
    from hmis.jobs import enqueue
    from sqlalchemy import text

    import jobnoop
    import jobtasks

    name = f"hmis_bench_jobs_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS, "HMIS_QUEUE_PREFIX": prefix,
           "HMIS_INSTANCE_PATH": tempfile.mkdtemp(), "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT / 'benchmarks'}"}
    redis = Redis.from_url(REDIS)
    try:
        # Baseline: plain RQ, no-op jobs, bare workers.
        bare = Queue(f"{prefix}:bare", connection=redis)
        for number in range(options.jobs):
            bare.enqueue(jobnoop.noop, number)
        baseline = drain([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", REDIS, f"{prefix}:bare"],
                         options.workers, env)

        app = create_app({"DATABASE_URL": url, "REDIS_URL": REDIS, "QUEUE_PREFIX": prefix,
                          "INSTANCE_PATH": env["HMIS_INSTANCE_PATH"]})
        with app.app_context():
            upgrade()
            db.session.execute(text("CREATE TABLE bench_execution (job_id text, number int)"))
            db.session.commit()
            started = time.perf_counter()
            for number in range(options.jobs):
                enqueue(jobtasks.record, number, kind="bench", title=f"bench {number}")
            enqueue_seconds = time.perf_counter() - started
            ours = drain([sys.executable, "-m", "hmis", "worker", "--burst"], options.workers, env)
            counts = db.session.execute(text(
                "SELECT count(*), count(DISTINCT job_id), count(DISTINCT number) FROM bench_execution")).one()
            statuses = dict(db.session.execute(text("SELECT status, count(*) FROM job GROUP BY status")).all())
            db.engine.dispose()
    finally:
        for key in redis.scan_iter(f"*{prefix}*"):
            redis.delete(key)
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    executions, distinct_jobs, distinct_numbers = counts
    print(f"jobs: {options.jobs}, workers: {options.workers}")
    print(f"  baseline (plain RQ, no-op): {baseline:7.1f} s  {options.jobs / baseline:7.0f} jobs/s")
    print(f"  hmis jobs (row, app, DB):   {ours:7.1f} s  {options.jobs / ours:7.0f} jobs/s  "
          f"ratio {ours / baseline:.2f}  (enqueue {enqueue_seconds:.1f} s)")
    print(f"  executions {executions}, distinct jobs {distinct_jobs}, distinct numbers {distinct_numbers}, "
          f"job rows {statuses}")
    lost = options.jobs - distinct_numbers
    twice = executions - distinct_numbers
    print(f"  lost: {lost}  run twice: {twice}")
    if lost or twice or statuses.get("finished") != options.jobs:
        raise SystemExit("FAILED: jobs were lost, run twice, or not finished")


if __name__ == "__main__":
    main()
