#!/usr/bin/env python3
"""Client search benchmark: typo-tolerant search over N clients on PostgreSQL.

    python benchmarks/search.py [--clients 200000] [--queries 400] [--seed 5] [--workdir DIR]
                                [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

``hmis synth`` writes N clients (reused when present in --workdir); they are copied into
a fresh, migrated PostgreSQL database (dropped at the end). Then --queries searches,
each for a real client typed the way staff mistype: one or two typos in a name, names
swapped, a nickname-free short form, with or without the date of birth, sometimes
only a surname and the SSN's last four. Each query runs ``hmis.records.clients.
search_clients`` as an HMIS lead (so the sharing policy's conditions are included),
in one process, one at a time. Printed: median, p95 and max milliseconds, and how often
the intended client is the first result and among the first five.
"""
from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

import psycopg  # noqa: E402

from hmis import create_app  # noqa: E402
from hmis.access.operations import Actor  # noqa: E402
from hmis.extensions import db  # noqa: E402
from hmis.synth import generate  # noqa: E402

CLIENT_COLUMNS = ("personal_id", "first_name", "middle_name", "last_name", "name_suffix", "name_data_quality", "ssn",
                  "ssn_data_quality", "dob", "dob_data_quality", "sex", "veteran_status")
CSV_NAMES = ("PersonalID", "FirstName", "MiddleName", "LastName", "NameSuffix", "NameDataQuality", "SSN",
             "SSNDataQuality", "DOB", "DOBDataQuality", "Sex", "VeteranStatus")


def client_rows(export: Path):
    with zipfile.ZipFile(export) as archive:
        name = next(n for n in archive.namelist() if n.lower().endswith("client.csv"))
        with io.TextIOWrapper(archive.open(name), encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                yield [row.get(c) or None for c in CSV_NAMES]


def load(url: str, export: Path) -> int:
    """COPY the clients into the database's ``client`` table (one data source)."""
    with psycopg.connect(url, autocommit=False) as conn:
        source_id = conn.execute("INSERT INTO data_source (key, name, created_dt) VALUES ('bench', 'Benchmark', now()) "
                                 "RETURNING id").fetchone()[0]
        count = 0
        with conn.cursor() as cursor:
            columns = ", ".join(("data_source_id",) + CLIENT_COLUMNS + (
                "am_ind_ak_native", "asian", "black_af_american", "hispanic_latinao", "mid_east_n_african",
                "native_hi_pacific", "white"))
            with cursor.copy(f"COPY client ({columns}) FROM STDIN") as copy:
                for row in client_rows(export):
                    copy.write_row([source_id, *row, 0, 0, 0, 0, 0, 0, 0])
                    count += 1
        conn.execute("ANALYZE client")
        conn.commit()
    return count


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip: a letter dropped, doubled, swapped with the next, or replaced."""
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1:]


def make_queries(url: str, n: int, rng: random.Random) -> list[tuple[str, dict]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT personal_id, first_name, last_name, dob, ssn FROM client "
            "WHERE first_name IS NOT NULL AND last_name IS NOT NULL AND length(first_name) > 2 "
            "AND length(last_name) > 2 ORDER BY random() LIMIT %s", (n,)).fetchall()
    queries = []
    for personal_id, first, last, dob, ssn in rows:
        shape = rng.random()
        if shape < 0.35:
            asked = {"name": f"{typo(first, rng)} {last}", "dob": dob}
        elif shape < 0.55:
            asked = {"name": f"{first} {typo(typo(last, rng), rng)}"}
        elif shape < 0.70:
            asked = {"name": f"{last} {first}", "dob": dob}
        elif shape < 0.85:
            asked = {"name": f"{typo(first, rng)} {typo(last, rng)}", "dob": dob}
        elif ssn and ssn[-4:].isdigit():
            asked = {"name": typo(last, rng), "ssn_last4": ssn[-4:]}
        else:
            asked = {"name": f"{last}, {first}"}
        queries.append((personal_id, asked))
    return queries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "hmis-bench")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    export = args.workdir / f"synth-{args.clients}-s{args.seed}-d0.1.zip"
    if not export.exists():
        print(f"generating {args.clients:,} clients ...", flush=True)
        generate(args.clients, export, seed=args.seed, duplicate_share=0.10)

    name = f"hmis_bench_search_{uuid.uuid4().hex[:8]}"
    url = args.admin_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(args.workdir), "TESTING": True,
                          "REDIS_URL": "", "SECRET_KEY": "bench"})
        with app.app_context():
            from hmis.db import upgrade

            upgrade()
            db.engine.dispose()
        began = time.perf_counter()
        loaded = load(url, export)
        print(f"loaded {loaded:,} clients in {time.perf_counter() - began:.1f} s", flush=True)
        rng = random.Random(args.seed)
        queries = make_queries(url, args.queries, rng)
        return run(app, queries, loaded)
    finally:
        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(app, queries, loaded: int) -> int:
    from hmis.models import Client
    from hmis.records.clients import search_clients

    lead = Actor(account_id=None, role="hmis_lead", name="Benchmark lead")
    timings, first, top5 = [], 0, 0
    with app.test_request_context():
        for warm in queries[:10]:  # connections, caches, the nickname table
            search_clients(lead, **warm[1])
            db.session.rollback()
        for personal_id, asked in queries:
            began = time.perf_counter()
            found = search_clients(lead, limit=10, **asked)
            timings.append((time.perf_counter() - began) * 1000)
            ids = [m.client.personal_id for m in found]
            first += bool(ids) and ids[0] == personal_id
            top5 += personal_id in ids[:5]
            db.session.rollback()
        assert db.session.query(Client).count() == loaded
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    n = len(queries)
    print(f"client search over {loaded:,} clients, {n} typo'd queries (PostgreSQL, in-process, one at a time)")
    print(f"  median {statistics.median(timings):.1f} ms   p95 {p95:.1f} ms   max {timings[-1]:.1f} ms")
    print(f"  intended client first: {first / n:.1%}   in the first five: {top5 / n:.1%}")
    print(f"  goal p95 < 150 ms: {'met' if p95 < 150 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
