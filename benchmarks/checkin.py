#!/usr/bin/env python3
"""Shelter check-in benchmark: 300 clients checked in for one night, end to end, under 3 s.

    python benchmarks/checkin.py [--clients 300] [--rounds 3] [--skip-postgres]

For each backend (SQLite file, PostgreSQL), on a freshly migrated database with one
shelter, its bed inventory and N open enrollments, each round times, for a new night:

  * ours, end to end through the Flask test client as a signed-in case manager:
    GET the check-in roster page (N names, the inventory), POST all N enrollment ids,
    follow the redirect to the updated page. Permission check, validation of the whole
    batch, the one-statement INSERT, audit event, commit, both page renders;
  * baseline: a bare multi-row INSERT of the same N Services rows with SQLAlchemy Core
    and a commit (no checks, no pages);

and prints seconds and the ratio. Exits 1 if any end-to-end round takes 3 s or more.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

from sqlalchemy import insert  # noqa: E402

from hmis import create_app  # noqa: E402
from hmis.extensions import db  # noqa: E402

PG_ADMIN = os.environ.get("HMIS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
LIMIT_SECONDS = 3.0
PASSWORD = "correct horse battery staple 300"


def _app(url: str, instance: Path):
    return create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "REDIS_URL": "", "SECRET_KEY": "bench"})


def _seed(count: int, first_night: date):
    """One local shelter with beds and ``count`` open enrollments; returns the project's id."""
    from hmis.access.accounts import create_account
    from hmis.access.memberships import set_organizations
    from hmis.models import Client, Enrollment, Inventory, Organization, Project
    from hmis.records.ids import local_source, new_key

    source = local_source()
    org = Organization(data_source_id=source.id, organization_id=new_key(), organization_name="Bench",
                       victim_service_provider=0)
    db.session.add(org)
    db.session.flush()
    project = Project(data_source_id=source.id, project_id=new_key(), organization_id=org.organization_id,
                      project_name="Bench Night Shelter", project_type=1, continuum_project=1)
    db.session.add(project)
    db.session.flush()
    db.session.add(Inventory(data_source_id=source.id, inventory_id=new_key(), project_id=project.project_id,
                             bed_inventory=count + 20, inventory_start_date=first_night - timedelta(days=365)))
    clients = [Client(data_source_id=source.id, personal_id=new_key(), first_name=f"Guest{i:04d}",
                      last_name="Bench", dob=date(1980, 1, 1)) for i in range(count)]
    db.session.add_all(clients)
    db.session.flush()
    db.session.add_all([Enrollment(data_source_id=source.id, enrollment_id=new_key(), personal_id=c.personal_id,
                                   project_id=project.project_id, entry_date=first_night - timedelta(days=30),
                                   household_id=new_key(), relationship_to_hoh=1) for c in clients])
    account = create_account("bench@example.org", "Bench Staff", PASSWORD, "case_manager")
    set_organizations(account, [org.id])  # staff of the agency that runs the shelter
    db.session.commit()
    return project.id


def _ours(app, project_id: int, night: date, count: int) -> float:
    client = app.test_client()
    client.post("/sign-in", data={"email": "bench@example.org", "password": PASSWORD})
    began = time.perf_counter()
    page = client.get(f"/workflows/check-in/{project_id}?night={night.isoformat()}")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    ids = [chunk.split('"', 1)[0] for chunk in html.split('name="enrollment_id" value="')[1:]]
    assert len(ids) == count, f"the roster shows {len(ids)} of {count}"
    posted = client.post(f"/workflows/check-in/{project_id}", data={"night": night.isoformat(), "enrollment_id": ids},
                         follow_redirects=True)
    elapsed = time.perf_counter() - began
    text = posted.get_data(as_text=True)
    assert posted.status_code == 200 and f"Checked in {count} " in text, text[:300]
    return elapsed


def _baseline(project_id: int, night: date) -> float:
    from hmis.models import Enrollment, Project, Services
    from hmis.records.ids import new_key

    project = db.session.get(Project, project_id)
    rows = db.session.execute(db.select(Enrollment.data_source_id, Enrollment.enrollment_id, Enrollment.personal_id)
                              .where(Enrollment.project_id == project.project_id)).all()
    began = time.perf_counter()
    db.session.execute(insert(Services).values([
        {"data_source_id": s, "services_id": new_key(), "enrollment_id": e, "personal_id": p, "date_provided": night,
         "record_type": 200, "type_provided": 200} for s, e, p in rows]))
    db.session.commit()
    return time.perf_counter() - began


def bench(name: str, url: str, instance: Path, count: int, rounds: int) -> bool:
    app = _app(url, instance)
    first = date.today() - timedelta(days=2 * rounds + 2)
    with app.app_context():
        from hmis.db import upgrade

        upgrade()
        project_id = _seed(count, first)
        ok = True
        for round_number in range(rounds):
            night = first + timedelta(days=2 * round_number)
            ours = _ours(app, project_id, night, count)
            base = _baseline(project_id, night + timedelta(days=1))
            ok &= ours < LIMIT_SECONDS
            print(f"{name:10} round {round_number + 1}: check-in of {count} end to end {ours:6.3f} s   "
                  f"bare INSERT {base:6.3f} s   ratio {ours / base:5.1f}x   "
                  f"{'ok' if ours < LIMIT_SECONDS else 'OVER ' + str(LIMIT_SECONDS) + ' s'}")
        db.session.remove()
        db.engine.dispose()
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        ok &= bench("sqlite", f"sqlite:///{folder}/bench.sqlite3", Path(folder), args.clients, args.rounds)
        if not args.skip_postgres:
            import psycopg

            name = f"hmis_bench_checkin_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                ok &= bench("postgresql", PG_ADMIN.rsplit("/", 1)[0] + "/" + name, Path(folder), args.clients,
                            args.rounds)
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
