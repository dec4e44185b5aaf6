#!/usr/bin/env python3
"""Agency-visibility benchmark: the client list and enrollment scope through the policy.

    python benchmarks/privacy.py [--clients 50000] [--workdir DIR] [--backends sqlite,postgresql]

``hmis synth`` writes a CoC (reused when present in --workdir), which is imported into a
fresh database per backend; 2,000 clients get a consent naming the first organization.
Then, for a case manager of that organization and for an HMIS lead, with and without a
victim-service provider among the organizations, it times what the client list does
(a count and the first page of 50, by name) and a count of visible enrollments.

Baseline, in the same run: the same count and page with no policy at all. PostgreSQL
is ANALYZEd after the import, as autovacuum would have done in production.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

from sqlalchemy import func, select, update  # noqa: E402

from hmis import create_app  # noqa: E402
from hmis.extensions import db  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _timed(function):
    started = time.perf_counter()
    value = function()
    return value, (time.perf_counter() - started) * 1000


def _list(statement):
    from hmis.models import Client

    count = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    db.session.scalars(statement.order_by(Client.last_name, Client.id).limit(50)).all()
    return count


def measure(url: str, archive: Path, instance: Path) -> None:
    from hmis.access import policy
    from hmis.access.operations import Actor
    from hmis.db import upgrade
    from hmis.interchange.services import import_file
    from hmis.models import Client, Enrollment, Organization
    from hmis.models.privacy import Consent, ConsentOrganization

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        upgrade()
        import_file(archive, filename=archive.name, source_key="bench")
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # Production PostgreSQL has statistics (autovacuum); a fresh import does not yet.
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        orgs = db.session.scalars(select(Organization.id).order_by(Organization.id)).all()
        for client_id in db.session.scalars(select(Client.id).order_by(Client.id).limit(2000)).all():
            consent = Consent(client_id=client_id, status="granted", start_date=date.today() - timedelta(days=5),
                              documentation="signed_form")
            db.session.add(consent)
            db.session.flush()
            db.session.add(ConsentOrganization(consent_id=consent.id, organization_id=orgs[0]))
        db.session.commit()
        _, baseline = _timed(lambda: _list(select(Client)))
        print(f"  baseline (no policy): count + first page {baseline:.0f} ms")
        actors = {"case manager": Actor(None, "case_manager", frozenset({orgs[0]})), "HMIS lead": Actor(None, "hmis_lead")}
        for vsp in (0, 1):
            db.session.execute(update(Organization).where(Organization.id == orgs[-1])
                               .values(victim_service_provider=vsp))
            db.session.commit()
            for name, actor in actors.items():
                clients, listed = _timed(lambda who=actor: _list(policy.filter_clients(who, select(Client))))
                enrollments, counted = _timed(lambda who=actor: db.session.scalar(select(func.count()).select_from(
                    policy.filter_enrollments(who, select(Enrollment.id)).subquery())))
                print(f"  {name:12} vsp={vsp}: {clients:>7} clients, list {listed:6.0f} ms "
                      f"({listed / baseline:4.1f}x baseline); {enrollments:>7} enrollments {counted:5.0f} ms")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="hmis-privacy-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    archive = workdir / f"synth-{args.clients}.zip"
    if not archive.exists():
        from hmis.synth import generate

        generate(args.clients, archive, seed=2026)
    for backend in args.backends.split(","):
        print(f"{backend}, {args.clients} clients:")
        if backend == "sqlite":
            path = workdir / f"bench-{uuid.uuid4().hex[:8]}.sqlite3"
            measure(f"sqlite:///{path}", archive, workdir)
            path.unlink(missing_ok=True)
        else:
            import psycopg

            name = f"hmis_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                measure(PG_ADMIN.rsplit("/", 1)[0] + "/" + name, archive, workdir)
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
