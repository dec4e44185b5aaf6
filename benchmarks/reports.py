#!/usr/bin/env python3
"""Report engine benchmark: the APR on HUD's sample and on ``hmis synth`` CoCs, on PostgreSQL.

    python benchmarks/reports.py [--sizes 50000,100000,200000] [--report apr] [--skip-sample] [--database URL]

For each data set, in the same database and run:
  * baseline: ``count(*)`` over the joined universe (active enrollments joined to their
    project, client and exit for the report range), the least any report must read; the
    median of three reads just before the timed run;
  * inputs floor: ``count(*)`` over every table the report reads (the tables named in the SQL
    of its first run: enrollment, exit, client, project, income_benefits, disabilities...), each
    joined to the report's active enrollments (by enrollment, client, project or organization),
    in one statement; the median of three. Reading the inputs alone costs this much;
  * ours: the whole report (universe written once, every table's cells computed in SQL).
Prints seconds (the first run in the process, and a second, warm one, split into writing
the universe and computing the cells), the ratio of the warm run to the baseline, seconds
per 1,000 clients (linearity), and the ratio of the warm run to the inputs floor. On a
shared machine wall time follows the load, so it also prints CPU seconds: this process's
(building and compiling the SQL) and the PostgreSQL backend's (read from /proc, so only for
a server on this machine; parallel workers are not counted), for the warm run and for both
floors, and their ratios.

``--database URL`` times an already-imported database (a 200,000-client import takes ~10
minutes), e.g. with ``--sizes ""``, without importing into it. It still writes to it: it runs
the migrations, syncs the report definitions from ``report_definitions/`` and runs ``ANALYZE``.
Goals (issue 5): under 60 s, within 10x of the baseline, linear over the sizes.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import SAMPLE, drop_database, fresh_database  # noqa: E402 - the import benchmark's helpers
from sqlalchemy import text  # noqa: E402

START, END = date(2024, 10, 1), date(2025, 9, 30)


def baseline_sql(start: date, end: date) -> str:
    return f"""
        SELECT count(*) FROM enrollment e
        JOIN project p ON p.data_source_id = e.data_source_id AND p.project_id = e.project_id
        JOIN client c ON c.data_source_id = e.data_source_id AND c.personal_id = e.personal_id
        LEFT JOIN exit x ON x.data_source_id = e.data_source_id AND x.enrollment_id = e.enrollment_id
        WHERE e.entry_date <= '{end}' AND (x.exit_date IS NULL OR x.exit_date >= '{start}')"""


#: The universe's join to the report's active enrollments, as the inputs floor reads them.
ACTIVE_SQL = """
    SELECT e.data_source_id, e.enrollment_id, e.project_id, c.id AS client_id, p.organization_id
    FROM enrollment e
    JOIN project p ON p.data_source_id = e.data_source_id AND p.project_id = e.project_id
    JOIN client c ON c.data_source_id = e.data_source_id AND c.personal_id = e.personal_id
    LEFT JOIN exit x ON x.data_source_id = e.data_source_id AND x.enrollment_id = e.enrollment_id
    WHERE e.entry_date <= '{end}' AND (x.exit_date IS NULL OR x.exit_date >= '{start}')"""


def _joined_to_active(table) -> str | None:
    """``count(*)`` of one input table's rows that belong to an active enrollment: by the enrollment,
    the client, the project or the organization, whichever key the table has (None: no such key)."""
    columns = set(table.c.keys())
    if table.name == "enrollment":
        return "SELECT count(*) FROM active"
    if table.name == "client":
        on = "t.id = a.client_id"
    elif "enrollment_id" in columns:
        on = "t.data_source_id = a.data_source_id AND t.enrollment_id = a.enrollment_id"
    elif "client_id" in columns:  # client_ssn, person_key: by the client's row id
        on = "t.client_id = a.client_id"
    elif "project_id" in columns:
        on = "t.data_source_id = a.data_source_id AND t.project_id = a.project_id"
    elif "organization_id" in columns:
        on = "t.data_source_id = a.data_source_id AND t.organization_id = a.organization_id"
    else:
        return None
    return f'SELECT count(*) FROM active a JOIN "{table.name}" t ON {on}'


def inputs_sql(tables: list, start: date, end: date) -> str:
    """One statement counting every input table's rows joined to the active enrollments (computed once)."""
    counts = [sql for table in tables if (sql := _joined_to_active(table))]
    return (f"WITH active AS MATERIALIZED ({ACTIVE_SQL.format(start=start, end=end)})\n"
            "SELECT " + "\n + ".join(f"({sql})" for sql in counts))


def tables_read(statements: list[str]) -> list:
    """The database's tables named after FROM or JOIN in ``statements`` (a report run's SQL)."""
    import re

    from hmis.extensions import db

    text_ = "\n".join(statements)
    return [table for table in db.metadata.sorted_tables
            if re.search(rf'(FROM|JOIN)\s+"?{re.escape(table.name)}"?[\s,)]', text_)]


def _median_of_three(sql: str) -> tuple[float, float | None]:
    """The median seconds of three runs of ``sql``, and the backend's CPU seconds per run."""
    from hmis.extensions import db

    seconds = []
    cpu_before = _cpu_now()
    for _ in range(3):
        started = time.perf_counter()
        db.session.execute(text(sql)).scalar_one()
        seconds.append(time.perf_counter() - started)
    cpu = _cpu_seconds(cpu_before)[1]
    return sorted(seconds)[1], cpu / 3 if cpu is not None else None


def _backend_cpu() -> float | None:
    """CPU seconds used so far by this session's PostgreSQL backend (None when not readable here)."""
    from hmis.extensions import db

    try:
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except Exception:  # another database, or a server on another machine
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds(before: tuple[float, float | None]) -> tuple[float, float | None]:
    """(this process, the backend) CPU seconds since ``before`` (a ``_cpu_now()``)."""
    own, backend = _cpu_now()
    return own - before[0], (backend - before[1]) if backend is not None and before[1] is not None else None


def _cpu_now() -> tuple[float, float | None]:
    return time.process_time(), _backend_cpu()


def _timed_run(report: str, start: date, end: date, statements: list[str] | None = None) -> tuple[dict, float, float]:
    """One run of ``report``: its results, its seconds, and the seconds until its first table
    (writing the universe; the rest is the cells). The run's SQL is added to ``statements``, if given."""
    from sqlalchemy import event

    from hmis.extensions import db
    from hmis.reports.engine import ReportEngine
    from hmis.reports.parameters import ReportParameters
    from hmis.reports.service import definition_for

    _, definition = definition_for(report)
    reached: list[float] = []
    def sent(connection, cursor, statement, *rest) -> None:
        statements.append(statement)  # type: ignore[union-attr]

    if statements is not None:
        event.listen(db.engine, "before_cursor_execute", sent)
    started = time.perf_counter()
    results = ReportEngine(definition, ReportParameters(start, end), db.engine.dialect.name).run(
        db.session.connection(), lambda percent, message: reached.append(time.perf_counter()))
    total = time.perf_counter() - started
    if statements is not None:
        event.remove(db.engine, "before_cursor_execute", sent)
    db.session.rollback()
    return results, total, (reached[0] - started) if reached else total


def measure(label: str, archive: Path | None, report: str, start: date, end: date, url: str | None = None) -> dict:
    """Import ``archive`` into a fresh database (or use the imported database at ``url``) and time the report."""
    from sqlalchemy import func, select, text

    from hmis import create_app
    from hmis.db import upgrade
    from hmis.definitions.sync import sync_folder
    from hmis.extensions import db
    from hmis.interchange.importer import import_export
    from hmis.models import Client

    fresh = url is None
    url = url or fresh_database()
    try:
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": tempfile.mkdtemp(), "REDIS_URL": ""})
        with app.app_context():
            upgrade()
            if fresh:
                imported = import_export(archive)
                assert imported.status == "imported", imported.status
            synced = sync_folder(ROOT / "report_definitions")
            assert synced.ok, synced
            db.session.commit()
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            clients = db.session.scalar(select(func.count()).select_from(Client))
            active = db.session.execute(text(baseline_sql(start, end))).scalar_one()  # warms the cache
            statements: list[str] = []
            results, first, _ = _timed_run(report, start, end, statements)
            inputs = tables_read(statements)
            # the floor, read in the same minute as the run it is compared with (the machine is shared)
            floors = []
            cpu_before = _cpu_now()
            for _ in range(3):
                started = time.perf_counter()
                db.session.execute(text(baseline_sql(start, end))).scalar_one()
                floors.append(time.perf_counter() - started)
            baseline = sorted(floors)[1]
            floor_cpu = _cpu_seconds(cpu_before)[1]
            floor_cpu = floor_cpu / 3 if floor_cpu is not None else None
            inputs_floor, inputs_cpu = _median_of_three(inputs_sql(inputs, start, end))
            # again, warm: Python's first compile of every table is a one-off per process
            cpu_before = _cpu_now()
            _, ours, universe = _timed_run(report, start, end)
            python_cpu, db_cpu = _cpu_seconds(cpu_before)
            db.engine.dispose()
    finally:
        if fresh:
            drop_database(url)
    row = {"data": label, "clients": clients, "active stays": active, "universe": results["universe_rows"],
           "tables": len(results["tables"]), "baseline s": round(baseline, 3), "first run s": round(first, 2),
           "report s": round(ours, 2), "universe s": round(universe, 2), "cells s": round(ours - universe, 2),
           "ratio": round(ours / baseline, 1) if baseline else None,
           "s per 1k clients": round(1000 * ours / max(clients, 1), 4),
           "cpu python s": round(python_cpu, 2), "cpu db s": round(db_cpu, 2) if db_cpu is not None else None,
           "baseline cpu db s": round(floor_cpu, 3) if floor_cpu is not None else None,
           "cpu ratio": round((python_cpu + db_cpu) / floor_cpu, 1) if db_cpu is not None and floor_cpu else None,
           "inputs": len(inputs), "inputs floor s": round(inputs_floor, 3),
           "inputs ratio": round(ours / inputs_floor, 1) if inputs_floor else None,
           "inputs cpu db s": round(inputs_cpu, 3) if inputs_cpu is not None else None,
           "inputs cpu ratio": round((python_cpu + db_cpu) / inputs_cpu, 1) if db_cpu is not None and inputs_cpu else None}
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50000,100000,200000")
    parser.add_argument("--report", default="apr")
    parser.add_argument("--skip-sample", action="store_true")
    parser.add_argument("--database", action="append", default=[], metavar="URL",
                        help="also time an already-imported database (kept as it is); repeatable")
    args = parser.parse_args()
    rows = [measure(url.rsplit("/", 1)[-1], None, args.report, START, END, url=url) for url in args.database]
    if not args.skip_sample:
        rows.append(measure("HUD sample", SAMPLE, args.report, START, END))
    for size in [int(s) for s in args.sizes.split(",") if s]:
        from hmis.synth import generate

        with tempfile.TemporaryDirectory() as folder:
            archive = Path(folder) / f"synth-{size}.zip"
            generate(size, archive, seed=7)
            rows.append(measure(f"synth {size:,}", archive, args.report, START, END))
    print()
    for row in rows:
        print(" | ".join(f"{k}: {v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
