#!/usr/bin/env python3
"""Client matching benchmark: the matcher against an exact-rule baseline, on synth data.

    python benchmarks/matching.py [--sizes 50000,100000,200000] [--duplicates 0.1] [--seed 11]
                                  [--threshold T] [--workdir DIR]

For each size: ``hmis synth`` writes an export and its truth file (reused when present in
--workdir); PersonRecords are read straight from Client.csv (no database); then, in the
same run,

  * baseline: an exact rule, as a hash join: same valid SSN, or same folded first name,
    last name and DOB;
  * matcher: ``hmis.identity.find_candidates`` with admin/matching.yaml;

and both are scored pairwise against the truth (every pair of records sharing a PersonKey):
precision, recall, F1, with seconds and comparisons made. The last line says how the
matcher's time grows with size (near-linear means the ratio tracks the size ratio).

Then (``--merges N``, 0 to skip) a database part: a ``--merge-clients`` synth export is
imported into a fresh SQLite database, the review queue is filled by ``hmis.identity.review.scan``,
and the N best pairs are merged one transaction each, then every merge is undone; it prints
the scan time and the time per merge and per undo.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

from hmis.identity import MatchStats, find_candidates, load_config  # noqa: E402
from hmis.identity.evaluate import baseline_pairs, quality, read_clients, truth_pairs  # noqa: E402
from hmis.synth import generate  # noqa: E402


def run(size: int, workdir: Path, seed: int, share: float, config) -> dict:
    out = workdir / f"synth-{size}-s{seed}-d{share:g}.zip"
    truth_path = out.with_name(out.stem + ".truth.csv")
    if not (out.exists() and truth_path.exists()):
        generate(size, out, seed=seed, duplicate_share=share, truth=truth_path)
    began = time.perf_counter()
    records = read_clients(out)
    read_s = time.perf_counter() - began
    truth = truth_pairs(truth_path)

    began = time.perf_counter()
    base, base_cmp = baseline_pairs(records)
    base_s = time.perf_counter() - began
    bq = quality(base, truth)
    bq.seconds, bq.comparisons = base_s, base_cmp

    stats = MatchStats()
    began = time.perf_counter()
    found = [(c.a.id, c.b.id) for c in find_candidates(records, config, stats)]
    match_s = time.perf_counter() - began
    mq = quality(found, truth)
    mq.seconds, mq.comparisons = match_s, stats.comparisons
    return {"size": size, "read": read_s, "baseline": bq, "matcher": mq, "stats": stats}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50000,100000,200000")
    parser.add_argument("--duplicates", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--config", default=None, help="matching settings (default: admin/matching.yaml)")
    parser.add_argument("--workdir", default=None, help="keep the synth exports here (default: a temp dir)")
    parser.add_argument("--merges", type=int, default=200, help="pairs to merge and undo (0: skip)")
    parser.add_argument("--merge-clients", type=int, default=5000, help="clients in the merge database")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    config = load_config(args.config).with_threshold(args.threshold)
    print(f"settings: {config.source}; threshold {config.threshold:g}, linked {config.linked_threshold:g}")
    holder = None if args.workdir else tempfile.TemporaryDirectory(prefix="hmis-matching-")
    workdir = Path(args.workdir or holder.name)
    workdir.mkdir(parents=True, exist_ok=True)
    header = (f"{'clients':>8} {'true pairs':>10}  {'method':<8} {'seconds':>8} {'comparisons':>12} "
              f"{'found':>7} {'precision':>9} {'recall':>7} {'F1':>6}")
    print(header)
    print("-" * len(header))
    results = []
    try:
        for size in sizes:
            r = run(size, workdir, args.seed, args.duplicates, config)
            results.append(r)
            for name in ("baseline", "matcher"):
                q = r[name]
                print(f"{size:>8,} {q.true:>10,}  {name:<8} {q.seconds:>8.2f} {q.comparisons:>12,} {q.found:>7,} "
                      f"{q.precision:>9.4f} {q.recall:>7.4f} {q.f1:>6.4f}", flush=True)
            skipped = r["stats"].blocking.skipped_blocks
            if skipped:
                print(f"{'':>8} {'':>10}  ({skipped} blocks over {config.max_block_size} skipped)")
        if args.merges:
            merge_timing(workdir, args.merge_clients, args.merges, args.seed, args.duplicates)
    finally:
        if holder:
            holder.cleanup()
    if len(results) > 1:
        first = results[0]
        parts = []
        for r in results[1:]:
            parts.append(f"{r['size'] / first['size']:.1f}x clients -> {r['matcher'].seconds / first['matcher'].seconds:.2f}x "
                         f"time, {r['matcher'].comparisons / first['matcher'].comparisons:.2f}x comparisons")
        print(f"near-linearity (vs {first['size']:,}): " + "; ".join(parts))
    return 0


def merge_timing(workdir: Path, size: int, merges: int, seed: int, share: float) -> None:
    """Import synth data into SQLite, scan, merge the best pairs and undo them: seconds each."""
    from sqlalchemy import select

    from hmis import create_app
    from hmis.access.operations import system_actor
    from hmis.db import upgrade
    from hmis.extensions import db
    from hmis.identity.errors import IdentityError
    from hmis.identity.merge import merge_clients, undo_merge
    from hmis.identity.review import scan
    from hmis.interchange.importer import import_export
    from hmis.models.identity import DuplicateCandidate

    out = workdir / f"synth-{size}-s{seed}-d{share:g}.zip"
    if not out.exists():
        generate(size, out, seed=seed, duplicate_share=share)
    database = workdir / f"merge-{size}.sqlite3"
    database.unlink(missing_ok=True)
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", "INSTANCE_PATH": str(workdir), "REDIS_URL": ""})
    actor = system_actor("benchmark")
    with app.app_context():
        upgrade()
        began = time.perf_counter()
        import_export(out)
        imported_s = time.perf_counter() - began
        began = time.perf_counter()
        summary = scan(actor)
        db.session.commit()
        scan_s = time.perf_counter() - began
        pairs = db.session.execute(select(DuplicateCandidate.client_a_id, DuplicateCandidate.client_b_id)
                                   .order_by(DuplicateCandidate.score.desc()).limit(merges * 2)).all()
        done, began = [], time.perf_counter()
        for a, b in pairs:
            if len(done) == merges:
                break
            try:
                done.append(merge_clients(actor, a, b).id)
                db.session.commit()
            except IdentityError:  # one of the pair was merged away by an earlier merge
                db.session.rollback()
        merge_s = time.perf_counter() - began
        began = time.perf_counter()
        for merge_id in reversed(done):
            undo_merge(actor, merge_id)
            db.session.commit()
        undo_s = time.perf_counter() - began
        db.engine.dispose()
    count = max(1, len(done))
    print(f"merges: {size:,} clients imported into SQLite in {imported_s:.1f} s; scan {scan_s:.1f} s "
          f"({summary['pairs']:,} pairs); {len(done)} merges {merge_s:.1f} s ({1000 * merge_s / count:.0f} ms each), "
          f"undone {undo_s:.1f} s ({1000 * undo_s / count:.0f} ms each)")


if __name__ == "__main__":
    sys.exit(main())
