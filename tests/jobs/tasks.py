"""Job functions the job tests enqueue (importable by a worker)."""
from hmis.extensions import db
from hmis.jobs import set_progress
from hmis.models import DataSource


def add_source(key: str, job_id: str | None = None) -> dict:
    db.session.add(DataSource(key=key, name=key))
    db.session.commit()
    return {"key": key}


def fail(message: str) -> None:
    raise ValueError(message)


def report_progress(job_id: str | None = None) -> dict:
    set_progress(job_id, 40, "halfway")
    return {"job_id": job_id}
