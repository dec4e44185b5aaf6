"""SSN sealing benchmark: what encrypting SSNs at rest costs a bulk load.

Two parts, each against a baseline measured in the same run:

1. ``--sizes``: N clients with plain SSNs are inserted into a fresh database (the
   baseline: one executemany, what a bulk load costs anyway), then
   ``hmis.access.sensitive.seal_plaintext_ssns`` encrypts them into ``client_ssn`` and
   masks ``client.ssn``. Reported: seconds, seconds per 10k clients, seal/insert ratio.
2. ``--hud-sample``: HUD's sample export (10,606 clients) is imported; the seal's share
   of the whole import is timed from inside it.

Also a micro-benchmark of the two candidate ciphers (Fernet, AES-GCM) per SSN.

    .venv/bin/python benchmarks/ssn_seal.py --sizes 10000 200000 [--postgres URL] [--hud-sample]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

from hmis import create_app  # noqa: E402
from hmis.extensions import db  # noqa: E402

HUD_SAMPLE = ROOT.parent / "shared" / "hud" / "samples" / "lsa_sample_hmis_export_fy2026.zip"


def cipher_micro(count: int = 20000) -> dict[str, float]:
    """Microseconds per SSN to encrypt with Fernet (what crypto.py uses) and with AES-GCM."""
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ssns = [f"{random.randint(100000000, 899999999)}".encode() for _ in range(count)]
    fernet = Fernet(Fernet.generate_key())
    began = time.perf_counter()
    for s in ssns:
        fernet.encrypt(s)
    fernet_us = (time.perf_counter() - began) / count * 1e6
    aead = AESGCM(AESGCM.generate_key(bit_length=256))
    began = time.perf_counter()
    for s in ssns:
        aead.encrypt(os.urandom(12), s, None)
    aead_us = (time.perf_counter() - began) / count * 1e6
    return {"fernet_us": fernet_us, "aesgcm_us": aead_us}


def _app(url: str, instance: Path):
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "TESTING": True,
                      "SECRET_KEY": "bench-secret", "REDIS_URL": ""})
    with app.app_context():
        from hmis.db import upgrade

        upgrade()
    return app


def seal_run(size: int, url: str, instance: Path) -> dict[str, float]:
    from hmis.access import sensitive
    from hmis.models import Client, DataSource

    app = _app(url, instance)
    rng = random.Random(size)
    with app.app_context():
        with db.engine.begin() as connection:
            source = connection.execute(DataSource.__table__.insert().values(
                key="bench", name="bench", created_dt=db.func.current_timestamp()).returning(
                DataSource.__table__.c.id)).scalar_one()
            rows = [{"data_source_id": source, "personal_id": f"P{i}", "first_name": "A", "last_name": "B",
                     "ssn": f"{rng.randint(100000000, 899999999)}", "ssn_data_quality": 1} for i in range(size)]
            began = time.perf_counter()
            for start in range(0, size, 5000):
                connection.execute(Client.__table__.insert(), rows[start:start + 5000])
            insert_s = time.perf_counter() - began
            began = time.perf_counter()
            sealed = sensitive.seal_plaintext_ssns(connection)
            seal_s = time.perf_counter() - began
        assert sealed == size
        db.engine.dispose()
    return {"insert_s": insert_s, "seal_s": seal_s, "per_10k_s": seal_s / size * 10000, "ratio": seal_s / insert_s}


def hud_sample_run(url: str, instance: Path) -> dict[str, float]:
    from hmis.access import sensitive
    from hmis.interchange.importer import import_export

    app = _app(url, instance)
    timed: dict[str, float] = {}
    original = sensitive.seal_plaintext_ssns

    def timing(connection, *args, **kwargs):
        began = time.perf_counter()
        count = original(connection, *args, **kwargs)
        timed["seal_s"], timed["sealed"] = time.perf_counter() - began, count
        return count

    sensitive.seal_plaintext_ssns = timing
    try:
        with app.app_context():
            began = time.perf_counter()
            result = import_export(HUD_SAMPLE)
            timed["import_s"] = time.perf_counter() - began
            assert result.status == "imported"
            db.engine.dispose()
    finally:
        sensitive.seal_plaintext_ssns = original
    timed["share"] = timed["seal_s"] / timed["import_s"]
    return timed


def _database(postgres: str | None, workdir: Path, label: str):
    """(url, cleanup) of a fresh database: a SQLite file, or a scratch PostgreSQL database."""
    if not postgres:
        path = workdir / f"{label}.sqlite3"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    import psycopg

    name = f"hmis_h1_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(postgres, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return postgres.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10000])
    parser.add_argument("--postgres", help="admin URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--hud-sample", action="store_true")
    args = parser.parse_args()
    micro = cipher_micro()
    print(f"cipher per SSN: Fernet {micro['fernet_us']:.1f} us, AES-GCM {micro['aesgcm_us']:.1f} us")
    backend = "postgresql" if args.postgres else "sqlite"
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        for size in args.sizes:
            url, cleanup = _database(args.postgres, workdir, f"seal-{size}")
            try:
                r = seal_run(size, url, workdir)
            finally:
                cleanup()
            print(f"{backend} {size} clients: insert {r['insert_s']:.2f}s, seal {r['seal_s']:.2f}s "
                  f"({r['per_10k_s']:.2f}s per 10k), seal/insert {r['ratio']:.2f}")
        if args.hud_sample:
            url, cleanup = _database(args.postgres, workdir, "hud")
            try:
                r = hud_sample_run(url, workdir)
            finally:
                cleanup()
            print(f"{backend} HUD sample: import {r['import_s']:.2f}s, of which seal {r['seal_s']:.2f}s "
                  f"({r['sealed']} SSNs, {r['share']:.1%} of the import)")


if __name__ == "__main__":
    main()
