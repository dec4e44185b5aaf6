"""The reports service layer: the library, runs as jobs, stored results, drill-down.

Views, the CLI and jobs all come through here. A run is a :class:`ReportRun` row (the
parameters, the definition version, who asked) plus a background job
(:mod:`hmis.jobs`) that computes it; a failed run keeps its error and can be retried
with the same parameters and version.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .. import jobs
from ..access import audit
from ..access.operations import Actor, operation
from ..access.policy import has_full_access
from ..definitions import service as definitions
from ..extensions import db
from ..models import Client, DefinitionVersion, Enrollment
from ..models.core import utcnow
from ..models.reports import ReportRun
from .definition import ReportDefinition, load_definition
from .engine import ReportEngine, prepare
from .parameters import ParameterError, ReportParameters, parse_parameters

__all__ = [
    "DRILLDOWN_LIMIT", "LibraryEntry", "ParameterError", "ReportNotFound", "RunNotFound", "can_see_run", "drilldown",
    "library_entries", "retry_run", "run_for", "run_in_process", "run_now", "start_run", "visible_runs",
]

JOB_KIND = "report-run"
DRILLDOWN_LIMIT = 500


class ReportNotFound(LookupError):
    """No published report definition with this id."""


class RunNotFound(LookupError):
    """No report run with this id that the actor may see (the same answer either way, so ids do not leak)."""


# -- who sees a stored run (issue 6) -----------------------------------------------------------
# A run's results are aggregates of the client data its runner could reach, and its cells lead to
# the clients behind them: only the account that ran it sees it, plus the roles that see every
# organization's records anyway (admin/sharing.yaml full_access_roles) and the system actor.

def can_see_run(actor: Actor, run: ReportRun) -> bool:
    """``actor`` ran ``run``, or has full access (HMIS lead, system administrator, auditor, the system)."""
    return has_full_access(actor) or (actor.account_id is not None and run.account_id == actor.account_id)


def visible_runs(actor: Actor) -> sa.Select[tuple[ReportRun]]:
    """The runs ``actor`` may see, as a query to order and limit."""
    query = sa.select(ReportRun)
    if has_full_access(actor):
        return query
    if actor.account_id is None:
        return query.where(sa.false())
    return query.where(ReportRun.account_id == actor.account_id)


@operation("reports.open_run", permission="reports.run")
def run_for(actor: Actor, run_id: int) -> ReportRun:
    """The run ``run_id`` when ``actor`` may see it.

    :raise RunNotFound: no such run, or it is someone else's (indistinguishable on purpose).
    """
    run = db.session.get(ReportRun, run_id)
    if run is None or not can_see_run(actor, run):
        raise RunNotFound(f"no report run {run_id}")
    return run


@dataclass(frozen=True)
class LibraryEntry:
    key: str
    title: str
    category: str
    description: str
    version: int
    table_count: int
    parameters: tuple[str, ...]


def _published(key: str) -> DefinitionVersion:
    version = definitions.published("report", key)
    if version is None:
        raise ReportNotFound(f"there is no published report '{key}' (publish it, or run "
                             "'hmis definitions sync report_definitions')")
    return version


def library_entries(search: str = "") -> list[LibraryEntry]:
    """Published reports, by category then title; ``search`` matches title, id, category and description."""
    from ..models import Definition

    rows = db.session.execute(
        sa.select(Definition, DefinitionVersion).join(DefinitionVersion, DefinitionVersion.definition_id == Definition.id)
        .where(Definition.kind == "report", DefinitionVersion.status == "published")).all()
    needle = search.strip().lower()
    entries = []
    for definition, version in rows:
        body = version.body
        entry = LibraryEntry(definition.key, body.get("title", definition.key), body.get("category", "Other"),
                             body.get("description", ""), version.version, len(body.get("tables", [])),
                             tuple(body.get("parameters", ())))
        haystack = " ".join((entry.key, entry.title, entry.category, entry.description)).lower()
        if not needle or needle in haystack:
            entries.append(entry)
    return sorted(entries, key=lambda e: (e.category.lower(), e.title.lower()))


def definition_for(key: str) -> tuple[DefinitionVersion, ReportDefinition]:
    version = _published(key)
    return version, load_definition(version.body)


def _create_run(actor: Actor, key: str, raw_parameters: dict[str, Any]) -> ReportRun:
    version, definition = definition_for(key)
    params = parse_parameters(raw_parameters)
    run = ReportRun(report_key=key, definition_version_id=version.id, version=version.version,
                    title=f"{definition.title} · {params.describe()}", parameters=params.to_json(),
                    status="queued", account_id=actor.account_id)
    db.session.add(run)
    db.session.flush()
    audit.record("report.run", subject_type="report_run", subject_id=run.id,
                 details={"report": key, "version": version.version, "parameters": params.to_json()})
    return run


@operation("reports.start_run", permission="reports.run")
def start_run(actor: Actor, key: str, raw_parameters: dict[str, Any]) -> ReportRun:
    """Check the parameters, store the run, and queue its job (committed: the job needs the row).

    :raise ParameterError: parameters out of range, before anything is stored.
    :raise ReportNotFound: no published definition ``key``.
    """
    run = _create_run(actor, key, raw_parameters)
    _enqueue(run)
    return run


@operation("reports.run_in_process", permission="reports.run")
def run_in_process(actor: Actor, key: str, raw_parameters: dict[str, Any]) -> ReportRun:
    """Store a run and compute it here and now (the CLI): the same row and results as a job's."""
    run = _create_run(actor, key, raw_parameters)
    db.session.commit()
    try:
        execute_run(run.id)
    except Exception:  # noqa: BLE001 - the run row holds the error; the caller reads it
        pass
    return db.session.get(ReportRun, run.id)


@operation("reports.retry_run", permission="reports.run")
def retry_run(actor: Actor, run_id: int) -> ReportRun:
    """Run a failed run again with the same parameters and definition version."""
    run = run_for(actor, run_id)
    if run.status != "failed":
        raise ValueError("only a failed run can be retried")
    run.status, run.error, run.results, run.finished_dt = "queued", None, None, None
    db.session.flush()
    _enqueue(run)
    return run


def _enqueue(run: ReportRun) -> None:
    job = jobs.enqueue(execute_run, run.id, kind=JOB_KIND, title=run.title, account_id=run.account_id,
                       retry=False)
    # enqueue committed the run with the job row; the inline runner may already have finished it.
    fresh = db.session.get(ReportRun, run.id)
    if fresh is not None and fresh.job_id is None:
        fresh.job_id = job.id
        db.session.commit()


def execute_run(run_id: int, job_id: str | None = None) -> dict[str, Any]:
    """The job: compute the run's results and store them (or its error)."""
    run = db.session.get(ReportRun, run_id)
    if run is None:
        raise LookupError(f"report run {run_id} no longer exists")
    run.status, run.job_id = "running", job_id or run.job_id
    db.session.commit()
    try:
        version = db.session.get(DefinitionVersion, run.definition_version_id) if run.definition_version_id else None
        if version is None:
            raise ReportNotFound(f"the definition version of report '{run.report_key}' was deleted")
        definition = load_definition(version.body)
        params = parse_parameters(run.parameters, check_projects=False)

        def progress(percent: int, message: str) -> None:
            jobs.set_progress(job_id, percent, message)

        results = ReportEngine(definition, params, db.engine.dialect.name).run(db.session.connection(), progress)
    except Exception as error:
        db.session.rollback()
        run = db.session.get(ReportRun, run_id)
        run.status, run.error, run.finished_dt = "failed", f"{type(error).__name__}: {error}", utcnow()
        db.session.commit()
        raise
    run.results = results
    run.status, run.finished_dt = "finished", utcnow()
    db.session.commit()
    return {"report_run_id": run_id, "universe_rows": results["universe_rows"]}


def run_now(key: str, params: ReportParameters) -> dict[str, Any]:
    """Compute a report in this process and return its results (no stored run): for tests and benchmarks."""
    _, definition = definition_for(key)
    return ReportEngine(definition, params, db.engine.dialect.name).run(db.session.connection())


@operation("reports.drilldown", permission="reports.drilldown")
def drilldown(actor: Actor, run_id: int, table_id: str, row: int, column: int,
              limit: int = DRILLDOWN_LIMIT) -> dict[str, Any]:
    """The clients and stays behind one cell of a stored run, filtered by the access policy.

    :raise RunNotFound: no such run, or one ``actor`` may not see.
    """
    run = run_for(actor, run_id)
    if run.status != "finished":
        raise LookupError(f"no finished report run {run_id}")
    version = db.session.get(DefinitionVersion, run.definition_version_id)
    if version is None:
        raise LookupError("the definition version of this run was deleted")
    definition = load_definition(version.body)
    table = definition.table(table_id)
    if not (0 <= row < len(table.rows) and 0 <= column < len(table.columns)):
        raise LookupError(f"table {table_id} has no cell at row {row}, column {column}")
    if table.is_blank(table.rows[row], table.columns[column]):
        raise LookupError("this cell is blank in HUD's table shell; it has no clients behind it")
    params = parse_parameters(run.parameters, check_projects=False)
    engine = ReportEngine(definition, params, db.engine.dialect.name)
    behind = engine.drilldown_query(table, row, column).subquery()
    statement = (sa.select(Client.id.label("client_id"), Client.personal_id, Client.first_name, Client.last_name,
                           Enrollment.id.label("enrollment_pk"), Enrollment.enrollment_id, Enrollment.project_id,
                           Enrollment.entry_date, behind.c.exit_date, behind.c.household_type)
                 .join(behind, behind.c.client_pk == Client.id)
                 .join(Enrollment, Enrollment.id == behind.c.enrollment_pk))
    statement = _apply_policy(actor, statement)
    prepare(db.session.connection())
    total = db.session.execute(sa.select(sa.func.count()).select_from(statement.subquery())).scalar_one()
    rows = db.session.execute(statement.order_by(Client.personal_id, Enrollment.id).limit(limit)).mappings().all()
    audit.record("report.drilldown", subject_type="report_run", subject_id=run_id,
                 details={"report": run.report_key, "table": table_id, "row": table.rows[row].label,
                          "column": table.columns[column].label, "clients": total})
    return {"table": table, "row": table.rows[row], "column": table.columns[column], "total": total,
            "rows": [dict(r) for r in rows], "limit": limit}


def _apply_policy(actor: Actor, statement: sa.Select[Any]) -> sa.Select[Any]:
    """Narrow to what ``actor`` may see, through the privacy room's policy once it exists."""
    if importlib.util.find_spec("hmis.access.policy") is None:
        return statement
    policy = importlib.import_module("hmis.access.policy")
    for name in ("filter_clients", "filter_enrollments"):
        narrow = getattr(policy, name, None)
        if narrow is not None:
            statement = narrow(actor, statement)
    return statement
