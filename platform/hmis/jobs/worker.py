"""``hmis worker``: an RQ worker that runs jobs inside the app."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Start a worker for background jobs (needs REDIS_URL)."""
    from redis import Redis
    from rq import Queue, Worker

    url = current_app.config["REDIS_URL"]
    if not url:
        raise click.ClickException("REDIS_URL is not set: jobs run inline, no worker is needed.")

    class AppWorker(Worker):
        def execute_job(self, job, queue):
            # A pool opened before fork() would be shared by parent and child.
            db.engine.dispose()
            return super().execute_job(job, queue)

    from . import sweep_stale

    swept = sweep_stale()
    if swept:
        click.echo(f"marked {swept} jobs whose worker had stopped as failed")
    connection = Redis.from_url(url)
    queue = Queue(f"{current_app.config['QUEUE_PREFIX']}:default", connection=connection)
    AppWorker([queue], connection=connection).work(burst=burst, with_scheduler=True)


@click.command("sweep-jobs")
@with_appcontext
def sweep_command() -> None:
    """Mark jobs whose worker died as failed (also done at every worker start)."""
    from . import sweep_stale

    click.echo(f"marked {sweep_stale()} stale jobs as failed")
