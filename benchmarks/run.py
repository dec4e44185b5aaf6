#!/usr/bin/env python3
"""Import/export benchmark: HUD's sample and synthetic CoCs, against PostgreSQL's own COPY.

    python benchmarks/run.py [--sizes 50000,100000,200000] [--skip-sqlite]

For each data set, in the same run:
  * baseline: PostgreSQL ``COPY`` of the same CSV files into plain text tables
    (no types, no checks), and ``COPY ... TO`` of the same tables into a zip;
  * ours: the full validated ``hmis import-csv`` into a migrated database, and
    ``hmis export-csv`` of everything;
and prints seconds, rows per second, the ratio to the baseline and the import's
peak memory (each import runs in its own process, measured by getrusage).

The import is measured on both of its paths (see hmis.interchange.bulkload):
  * bulk: the first import into an empty HMIS (a CoC moving in), which rebuilds
    the tables' indexes and foreign keys after the insert;
  * incremental: the same files again as a second data source into the loaded
    HMIS, made to take the row-by-row path (the one a small import on a live
    system takes; left alone, a batch this large would take the bulk path too).

Two more references, to show what merely storing the rows costs before any check runs:
  * text COPY into regular (logged, not TEMP) text tables, for reference only;
  * the store floor: the rows the import stored, dumped (outside the timed section)
    in the tables' own column order and canonical text, COPYed straight into a
    freshly migrated HMIS database's real tables, one COPY per file, no checks,
    in one transaction tuned as the import's; "indexed" keeps every primary key,
    index, foreign key and trigger (logged, kept up row by row), "rebuild" drops
    and rebuilds what the bulk path does (``bulkload``) around the COPYs.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))
SAMPLE = ROOT.parent / "shared" / "hud" / "samples" / "lsa_sample_hmis_export_fy2026.zip"
PG_ADMIN = os.environ.get("HMIS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
#: One instance folder for every step of a run, so the import and the export share
#: the instance's generated encryption key (SSNs are stored encrypted).
INSTANCE = os.environ.setdefault("HMIS_BENCH_INSTANCE", tempfile.mkdtemp(prefix="hmis-bench-"))


# ------------------------------------------------------------------ helpers
def admin():
    import psycopg

    return psycopg.connect(PG_ADMIN, autocommit=True)


def fresh_database() -> str:
    name = f"hmis_bench_{uuid.uuid4().hex[:8]}"
    with admin() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    with admin() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def child(*args: str) -> dict:
    """Run a step in a fresh process; return its JSON result plus its peak memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"step {args[0]} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["peak_mb"] = round(max(peak, before) / 1024, 1)  # ru_maxrss is in KiB on Linux
    return result


def server_cpu(pid: int) -> float:
    """CPU seconds a PostgreSQL backend has used so far (user + system), read from /proc.

    On a shared machine, wall time moves with everyone else's load; the CPU the
    server spent on our statements does not (much). 0 when the server is not local.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _track_server_cpu() -> dict:
    """Sum the server CPU of every pooled connection while it is checked out."""
    from sqlalchemy import event

    from hmis.extensions import db

    spent = {"seconds": 0.0}

    @event.listens_for(db.engine, "checkout")
    def checkout(dbapi_connection, record, proxy):
        record.info["cpu_pid"] = pid = dbapi_connection.info.backend_pid
        record.info["cpu_started"] = server_cpu(pid)

    @event.listens_for(db.engine, "checkin")
    def checkin(dbapi_connection, record):
        if "cpu_pid" in record.info:
            spent["seconds"] += server_cpu(record.info.pop("cpu_pid")) - record.info.pop("cpu_started")

    return spent


# ------------------------------------------------------- steps in children
def step_import(url: str, path: str, source_key: str = "", path_taken: str = "auto") -> dict:
    from hmis import create_app
    from hmis.db import upgrade
    from hmis.interchange import bulkload
    from hmis.interchange.importer import import_export

    if path_taken == "incremental":
        bulkload.MIN_ROWS = 1 << 62  # no batch is large enough: every table keeps its indexes
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": INSTANCE})
    with app.app_context():
        upgrade()
        merge = _time_merge_inserts()
        db_cpu = _track_server_cpu()
        started, cpu = time.perf_counter(), time.process_time()
        result = import_export(path, source_key=source_key or None)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.status == "imported", result.status
    return {"seconds": seconds, "cpu_s": cpu, "server_cpu_s": db_cpu["seconds"], "rows": result.rows,
            "merge_insert_s": merge["seconds"],
            "files": {k: round(v.seconds, 2) for k, v in result.files.items()}}


def _time_merge_inserts() -> dict:
    """Sum the time of the statements that write the checked rows into the HUD tables.

    That INSERT ... SELECT (indexes, foreign-key triggers) is the floor of any
    import into these tables, whatever checks come before it.
    """
    from sqlalchemy import event

    from hmis.extensions import db
    from hmis.hud import SPEC

    # With the index and foreign-key rebuilds of the bulk path, which belong to the same cost.
    targets = tuple(f"INSERT INTO {f.table} (data_source_id" for f in SPEC) + (
        "CREATE INDEX", "CREATE UNIQUE INDEX", "ALTER TABLE")
    spent = {"seconds": 0.0}

    @event.listens_for(db.engine, "before_cursor_execute")
    def before(connection, cursor, statement, parameters, context, executemany):
        connection.info["merge_started"] = time.perf_counter() if statement.startswith(targets) else None

    @event.listens_for(db.engine, "after_cursor_execute")
    def after(connection, cursor, statement, parameters, context, executemany):
        if connection.info.get("merge_started") is not None:
            spent["seconds"] += time.perf_counter() - connection.info["merge_started"]

    return spent


def step_export(url: str, out: str) -> dict:
    from hmis import create_app
    from hmis.interchange.exporter import export_csv

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": INSTANCE})
    with app.app_context():
        result = export_csv(out)
    return {"seconds": result.seconds, "rows": sum(result.rows.values())}


def step_copy_in(url: str, path: str, kind: str = "temp") -> dict:
    """Baseline: COPY each CSV, as it is, into a text-only table (TEMP, or with ``kind="regular"`` a
    logged one, for reference; rolled back either way)."""
    import psycopg

    started = time.perf_counter()
    rows = 0
    with psycopg.connect(url) as connection, zipfile.ZipFile(path) as archive:
        cpu = server_cpu(connection.info.backend_pid)
        for name in archive.namelist():
            with archive.open(name) as handle:
                header = handle.readline().decode("utf-8-sig").strip().split(",")
                table = f"raw_{name[:-4].lower()}"
                columns = ", ".join(f'"{h.lower()}" text' for h in header)
                connection.execute(f'CREATE {"TEMP " if kind == "temp" else ""}TABLE "{table}" ({columns})')
                with connection.cursor().copy(f'COPY "{table}" FROM STDIN (FORMAT csv)') as copy:
                    while chunk := handle.read(1 << 20):
                        copy.write(chunk)
                rows += connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        cpu = server_cpu(connection.info.backend_pid) - cpu
        connection.rollback()
    return {"seconds": time.perf_counter() - started, "rows": rows, "server_cpu_s": cpu}


def step_copy_out(url: str, out: str) -> dict:
    """Baseline: COPY each HUD table's columns TO STDOUT into a zip like ours."""
    import psycopg

    from hmis.hud import SPEC

    started = time.perf_counter()
    with psycopg.connect(url) as connection, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=5) as archive:
        for hud_file in SPEC:
            columns = ", ".join(c.attr for c in hud_file.columns)
            with archive.open(hud_file.filename, "w", force_zip64=True) as target:
                with connection.cursor().copy(
                        f"COPY (SELECT {columns} FROM {hud_file.table}) TO STDOUT (FORMAT csv, HEADER)") as copy:
                    for data in copy:
                        target.write(data)
    return {"seconds": time.perf_counter() - started}


#: Tables an import writes besides the HUD ones (client_name_term is the client trigger's).
FLOOR_EXTRA_TABLES = ("client_ssn", "custom_data_element_definition", "custom_data_element_value")


def floor_tables() -> list[str]:
    """Parents first, as the import loads them."""
    from hmis.hud import SPEC

    return ["data_source", *(f.table for f in SPEC), *FLOOR_EXTRA_TABLES]


def step_dump_stored(url: str, out: str) -> dict:
    """Write every row the import stored, table by table, as COPY's own CSV (the store floor's input)."""
    import psycopg

    rows = 0
    with psycopg.connect(url) as connection, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zipped:
        for table in floor_tables():
            with zipped.open(f"{table}.csv", "w", force_zip64=True) as target:
                with connection.cursor().copy(f"COPY {table} TO STDOUT (FORMAT csv)") as copy:
                    for data in copy:
                        target.write(data)
            rows += connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return {"rows": rows}


def step_store_floor(url: str, dumped: str, variant: str) -> dict:
    """COPY the dumped rows into a freshly migrated HMIS's real tables; ``variant`` indexed or rebuild."""
    from hmis import create_app
    from hmis.db import upgrade
    from hmis.extensions import db
    from hmis.hud import SPEC
    from hmis.interchange import bulkload
    from hmis.interchange.importer import Importer

    hud_tables = {f.table for f in SPEC}  # the only ones the bulk path rebuilds
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": INSTANCE})
    with app.app_context(), zipfile.ZipFile(dumped) as archive:
        upgrade()
        # Uncompress outside the timed section: only the server's work is measured.
        files = {table: archive.read(f"{table}.csv") for table in floor_tables()}
        with db.engine.connect() as connection:
            pid = connection.connection.driver_connection.info.backend_pid
            started, cpu = time.perf_counter(), server_cpu(pid)
            transaction = connection.begin()
            Importer._tune(connection)
            deferred = []
            for table, data in files.items():
                rows = data.count(b"\n")  # at least the rows (only the bulk path's threshold reads it)
                if variant == "rebuild" and table in hud_tables and bulkload.worth_it(connection, table, rows):
                    deferred.append(bulkload.read_deferrable(connection, table, keep_unique=False))
                    bulkload.drop(connection, deferred[-1])
                cursor = connection.connection.driver_connection.cursor()
                with cursor.copy(f"COPY {table} FROM STDIN (FORMAT csv)") as copy:
                    copy.write(data)
                cursor.close()
            copied = server_cpu(pid) - cpu
            for dropped in deferred:
                bulkload.rebuild(connection, dropped)
            transaction.commit()
            cpu = server_cpu(pid) - cpu
    return {"seconds": time.perf_counter() - started, "server_cpu_s": cpu, "copy_server_cpu_s": copied,
            "rebuilt": [d.table for d in deferred]}


def step_synth(clients: str, out: str) -> dict:
    from hmis.synth import generate

    summary = generate(int(clients), Path(out), seed=7)
    return {"seconds": summary.seconds, "rows": sum(summary.rows.values())}


STEPS = {"_import": step_import, "_export": step_export, "_copy_in": step_copy_in, "_copy_out": step_copy_out,
         "_synth": step_synth, "_dump_stored": step_dump_stored, "_store_floor": step_store_floor}


# ---------------------------------------------------------------- the run
def _ratio(ours: float, baseline: float) -> float | None:
    return round(ours / baseline, 2) if baseline else None


def measure(label: str, archive: Path, workdir: Path, sqlite: bool) -> dict:
    url = fresh_database()
    try:
        copy_in = child("_copy_in", url, str(archive))
        copy_in_regular = child("_copy_in", url, str(archive), "regular")
        ours = child("_import", url, str(archive))
        dumped = workdir / f"{label}-stored.zip"
        child("_dump_stored", url, str(dumped))
        floor = {variant: _store_floor(dumped, variant) for variant in ("indexed", "rebuild")}
        dumped.unlink()
        copy_out = child("_copy_out", url, str(workdir / f"{label}-copy.zip"))
        export = child("_export", url, str(workdir / f"{label}-export.zip"))
        again = child("_import", url, str(archive), "second-source", "incremental")
    finally:
        drop_database(url)
    row = {
        "data": label, "rows": ours["rows"],
        "copy_in_s": round(copy_in["seconds"], 2), "import_pg_s": round(ours["seconds"], 2),
        "import_pg_rows_per_s": round(ours["rows"] / ours["seconds"]),
        "import_ratio": round(ours["seconds"] / copy_in["seconds"], 2), "import_peak_mb": ours["peak_mb"],
        "merge_insert_s": round(ours["merge_insert_s"], 2),
        "merge_insert_ratio": round(ours["merge_insert_s"] / copy_in["seconds"], 2),
        "copy_out_s": round(copy_out["seconds"], 2), "export_pg_s": round(export["seconds"], 2),
        "export_ratio": round(export["seconds"] / copy_out["seconds"], 2),
        "slowest_files_pg": dict(sorted(ours["files"].items(), key=lambda kv: -kv[1])[:3]),
        "import_cpu_s": round(ours["cpu_s"], 2),
        "copy_in_server_cpu_s": round(copy_in["server_cpu_s"], 2),
        "import_server_cpu_s": round(ours["server_cpu_s"], 2),
        "import_server_cpu_ratio": _ratio(ours["server_cpu_s"], copy_in["server_cpu_s"]),
        "incremental_server_cpu_s": round(again["server_cpu_s"], 2),
        "incremental_server_cpu_ratio": _ratio(again["server_cpu_s"], copy_in["server_cpu_s"]),
        "incremental_pg_s": round(again["seconds"], 2),
        "incremental_ratio": round(again["seconds"] / copy_in["seconds"], 2),
        "incremental_merge_s": round(again["merge_insert_s"], 2),
        "incremental_merge_ratio": round(again["merge_insert_s"] / copy_in["seconds"], 2),
        "copy_in_regular_s": round(copy_in_regular["seconds"], 2),
        "copy_in_regular_server_cpu_s": round(copy_in_regular["server_cpu_s"], 2),
    }
    for variant, spent in floor.items():
        row[f"floor_{variant}_s"] = round(spent["seconds"], 2)
        row[f"floor_{variant}_server_cpu_s"] = round(spent["server_cpu_s"], 2)
        row[f"floor_{variant}_ratio"] = _ratio(spent["seconds"], copy_in["seconds"])
        row[f"floor_{variant}_server_cpu_ratio"] = _ratio(spent["server_cpu_s"], copy_in["server_cpu_s"])
        row[f"floor_{variant}_copy_server_cpu_s"] = round(spent["copy_server_cpu_s"], 2)
    row["floor_rebuilt_tables"] = floor["rebuild"]["rebuilt"]
    if sqlite:
        path = workdir / f"{label}.sqlite3"
        lite = child("_import", f"sqlite:///{path}", str(archive))
        row.update(import_sqlite_s=round(lite["seconds"], 2), import_sqlite_rows_per_s=round(lite["rows"] / lite["seconds"]),
                   import_sqlite_ratio=round(lite["seconds"] / copy_in["seconds"], 2), import_sqlite_peak_mb=lite["peak_mb"])
        export = child("_export", f"sqlite:///{path}", str(workdir / f"{label}-lite.zip"))
        row.update(export_sqlite_s=round(export["seconds"], 2))
        path.unlink()
    return row


def _store_floor(dumped: Path, variant: str) -> dict:
    """The store floor in its own freshly migrated database."""
    url = fresh_database()
    try:
        return child("_store_floor", url, str(dumped), variant)
    finally:
        drop_database(url)


def print_floor(results: list[dict]) -> None:
    """The store floor next to the baseline, and our imports against it (wall s / server CPU s)."""
    print("\nStore floor: the stored rows COPYed into a fresh HMIS's real tables, no checks.")
    print("Wall s / server CPU s, and the ratio of each to COPY in's:")
    print(f"  {'data':<12} {'COPY in':>11} {'COPY regular':>13} {'floor indexed':>13} {'ratio':>11} "
          f"{'floor rebuild':>13} {'ratio':>11}")
    for r in results:
        cells = [f"{r['copy_in_s']}/{r['copy_in_server_cpu_s']}",
                 f"{r['copy_in_regular_s']}/{r['copy_in_regular_server_cpu_s']}"]
        for variant in ("indexed", "rebuild"):
            cells += [f"{r[f'floor_{variant}_s']}/{r[f'floor_{variant}_server_cpu_s']}",
                      f"{r[f'floor_{variant}_ratio']}x/{r[f'floor_{variant}_server_cpu_ratio']}x"]
        print(f"  {r['data']:<12} {cells[0]:>11} {cells[1]:>13} {cells[2]:>13} {cells[3]:>11} "
              f"{cells[4]:>13} {cells[5]:>11}")
    print("Of the rebuild floor's server CPU, the COPYs (the rest rebuilds indexes and foreign keys):")
    for r in results:
        print(f"  {r['data']:<12} {r['floor_rebuild_copy_server_cpu_s']} s of {r['floor_rebuild_server_cpu_s']} s"
              f" ({_ratio(r['floor_rebuild_copy_server_cpu_s'], r['copy_in_server_cpu_s'])}x COPY in)")
    print("Our imports against the floor of their own path (wall / server CPU):")
    for r in results:
        bulk = (f"{_ratio(r['import_pg_s'], r['floor_rebuild_s'])}x/"
                f"{_ratio(r['import_server_cpu_s'], r['floor_rebuild_server_cpu_s'])}x")
        incremental = (f"{_ratio(r['incremental_pg_s'], r['floor_indexed_s'])}x/"
                       f"{_ratio(r['incremental_server_cpu_s'], r['floor_indexed_server_cpu_s'])}x")
        print(f"  {r['data']:<12} bulk / floor rebuild {bulk:>13}   incremental / floor indexed {incremental:>13}")
    print("(indexed: every key, index, foreign key and trigger kept up row by row; rebuild: what the bulk path\n"
          " drops, dropped before and rebuilt after the COPYs. The goal's ratio is against COPY in.)")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in STEPS:
        print(json.dumps(STEPS[sys.argv[1]](*sys.argv[2:])))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50000,100000,200000", help="synthetic client counts ('' for none)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        results.append(measure("hud-sample", SAMPLE, workdir, not options.skip_sqlite))
        print(json.dumps(results[-1]), flush=True)
        for size in [int(s) for s in options.sizes.split(",") if s]:
            archive = workdir / f"synth-{size}.zip"
            made = child("_synth", str(size), str(archive))
            label = f"synth-{size // 1000}k"
            row = measure(label, archive, workdir, not options.skip_sqlite and size <= 50000)
            row["synth_s"] = round(made["seconds"], 1)
            results.append(row)
            print(json.dumps(row), flush=True)
            archive.unlink()

    print()
    print(f"{'':<22} {'':>8} {'--- bulk (empty HMIS) ---':>30} {'- incremental (2nd source) -':>29}")
    print(f"{'data':<12} {'rows':>9} {'COPY in':>8} {'import':>8} {'ratio':>6} {'merge':>6} {'ratio':>6} "
          f"{'import':>8} {'ratio':>6} {'merge':>6} {'ratio':>6} "
          f"{'rows/s':>8} {'peak MB':>8} {'COPY out':>9} {'export':>7} {'ratio':>6} {'SQLite':>7}")
    for r in results:
        print(f"{r['data']:<12} {r['rows']:>9} {r['copy_in_s']:>8} {r['import_pg_s']:>8} {r['import_ratio']:>6} "
              f"{r['merge_insert_s']:>6} {r['merge_insert_ratio']:>6} "
              f"{r['incremental_pg_s']:>8} {r['incremental_ratio']:>6} "
              f"{r['incremental_merge_s']:>6} {r['incremental_merge_ratio']:>6} "
              f"{r['import_pg_rows_per_s']:>8} {r['import_peak_mb']:>8} {r['copy_out_s']:>9} {r['export_pg_s']:>7} "
              f"{r['export_ratio']:>6} {r.get('import_sqlite_s', '-'):>7}")
    print("\nPostgreSQL server CPU seconds (COPY in / bulk import / incremental import, and the ratios):")
    for r in results:
        print(f"  {r['data']:<12} {r['copy_in_server_cpu_s']:>6} {r['import_server_cpu_s']:>7} "
              f"{r['incremental_server_cpu_s']:>7}   bulk {r['import_server_cpu_ratio']}x"
              f"  incremental {r['incremental_server_cpu_ratio']}x")
    print("(merge: the INSERT ... SELECT into the HUD tables, their indexes and foreign keys: kept up row by row\n"
          " on the incremental path, dropped and rebuilt on the bulk path; rows/s, peak MB and the export are\n"
          " the bulk import's)")
    print_floor(results)
    synthetic = [r for r in results if r["data"].startswith("synth")]
    if len(synthetic) > 1:
        base = synthetic[0]
        print("\nlinearity (time per row relative to the smallest synthetic set):")
        for r in synthetic:
            print(f"  {r['data']:<12} import {r['import_pg_s'] / r['rows'] / (base['import_pg_s'] / base['rows']):.2f}"
                  f"  export {r['export_pg_s'] / r['rows'] / (base['export_pg_s'] / base['rows']):.2f}")
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
