"""Job functions for benchmarks/jobs.py (importable by the workers it starts)."""
from sqlalchemy import text

from hmis.extensions import db


def record(number: int, job_id: str | None = None) -> dict:
    """Leave one row per execution, so a job run twice or never shows up in the count."""
    db.session.execute(text("INSERT INTO bench_execution (job_id, number) VALUES (:job, :number)"),
                       {"job": job_id, "number": number})
    db.session.commit()
    return {"number": number}
