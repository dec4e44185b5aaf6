"""``hmis synth``: a deterministic synthetic FY2026 HMIS CSV export.

    from hmis.synth import generate
    summary = generate(10_000, "synth.zip", seed=1)   # also writes synth.truth.csv

Same arguments give a byte-identical zip. Rows stream to per-file temp CSVs as
each household is generated, so memory stays flat (see README.md for timings).
The truth CSV maps every PersonalID to the real person (PersonKey) so dedupe
and client-matching code can be scored.
"""
from __future__ import annotations

import csv
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from .households import Household, Walker, compose
from .people import Person, client_row, make_duplicate, make_person, set_veteran
from .projects import build
from .records import Context, Member
from .writer import Dates, Sink

__all__ = ["SynthSummary", "generate"]

CSV_VERSION = "2026 v1.0"
SOFTWARE = "hmis synth"
#: Most adults a duplicate can be drawn from; a bounded pool keeps memory flat.
POOL_SIZE = 20_000


@dataclass
class SynthSummary:
    out: Path
    truth: Path
    clients: int
    persons: int
    duplicates: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def default_truth_path(out: Path) -> Path:
    name = out.name[:-4] if out.name.lower().endswith(".zip") else out.name
    return out.with_name(f"{name}.truth.csv")


def generate(clients: int, out: str | Path, seed: int = 1, duplicate_share: float = 0.10,
             truth: Path | None = None, start: date = date(2020, 10, 1),
             end: date = date(2026, 9, 30)) -> SynthSummary:
    """Write a synthetic export of ``clients`` Client.csv rows to the zip ``out``.

    ``duplicate_share`` of those rows are extra records for people who already have
    one, with realistic PII errors; ``truth`` (default ``<out>.truth.csv``) says which.
    """
    if clients < 1:
        raise ValueError("clients must be at least 1")
    if not 0 <= duplicate_share < 1:
        raise ValueError("duplicate_share must be in [0, 1)")
    if end <= start:
        raise ValueError("end must be after start")
    began = time.perf_counter()
    out = Path(out)
    truth = Path(truth) if truth else default_truth_path(out)
    rng = random.Random(seed)
    export_id = f"SYN{seed}"
    first, last = start.toordinal(), end.toordinal()
    dates = Dates(start - timedelta(days=15 * 365), end + timedelta(days=400))
    sink = Sink(export_id, workdir=out.parent if out.parent.exists() else None)
    try:
        _export_row(sink, export_id, start, end)
        catalog = build(sink, rng, dates, clients, first)
        ctx = Context(sink, rng, dates, catalog, last)
        truth.parent.mkdir(parents=True, exist_ok=True)
        with open(truth, "w", newline="", encoding="utf-8") as fh:
            truth_writer = csv.writer(fh, lineterminator="\n")
            truth_writer.writerow(("PersonalID", "PersonKey", "DuplicateOf", "ErrorKinds"))
            persons, dups = _populate(ctx, clients, duplicate_share, first, last, truth_writer)
        sink.close(out)
    except BaseException:
        sink.discard()
        raise
    return SynthSummary(out, truth, clients, persons, dups, dict(sink.counts),
                        time.perf_counter() - began)


def _export_row(sink: Sink, export_id: str, start: date, end: date) -> None:
    row = sink.new("Export")
    row[0:19] = (export_id, "1", "synth", "Synthetic CoC HMIS", "Data", "Admin", "5555550100", "",
                 "hmis-admin@example.org", f"{(end + timedelta(days=1)).isoformat()} 02:00:00",
                 start.isoformat(), end.isoformat(), SOFTWARE, "1.0", CSV_VERSION, "3", "2", "1",
                 "synth-implementation")
    sink.write("Export", row)


def _populate(ctx: Context, clients: int, duplicate_share: float, first: int, last: int,
              truth) -> tuple[int, int]:
    """Generate households (and interleaved duplicate records) until ``clients`` rows exist."""
    rng, sink = ctx.rng, ctx.sink
    n_dup = round(clients * duplicate_share)
    emitted = dups = persons = 0
    pool: list[tuple[Person, bool]] = []
    latest_start = max(first, last - 14)

    def new_person(dob: int, sex: int, last_name: str | None, adult: bool) -> Person:
        nonlocal persons
        persons += 1
        return make_person(rng, sink.new_id("Client"), f"K{persons:07d}", dob, sex, last_name, adult)

    while emitted < clients:
        remaining = clients - emitted
        need = n_dup - dups
        if need > 0 and pool and (need >= remaining or rng.random() < need / remaining):
            original, vet = pool[rng.randrange(len(pool))]
            pid = sink.new_id("Client")
            dup, kinds = make_duplicate(rng, original, pid)
            day = rng.randint(first, latest_start)
            adult_from = original.dob + int(18 * 365.25) + 1
            day = min(max(day, adult_from), latest_start)
            hh = Household([Member(dup, 1)], 1, vet, dup.age_on(day) <= 24)
            walker = Walker(ctx, hh)
            start_day, end_day = walker.run(day, max_episodes=2)
            _client(ctx, dup, start_day, end_day, walker.first_user)
            truth.writerow((pid, dup.person_key, original.personal_id, ";".join(kinds)))
            dups += 1
            emitted += 1
            continue
        day = rng.randint(first, latest_start)
        hh = compose(rng, new_person, day)
        room = remaining - max(0, need) if pool else remaining
        if len(hh.members) > max(1, room):
            del hh.members[max(1, room):]  # the last household is trimmed to hit the count
            if hh.kind == 3 and not any(m.rel == 2 for m in hh.members):
                hh.kind = 1
        for i, m in enumerate(hh.members):
            if m.person.age_on(day) >= 18:
                man = m.person.sex == 1
                set_veteran(rng, m.person, (0.11 if man else 0.02) if i == 0 else 0.02)
        hh.vet = hh.members[0].person.veteran == 1
        walker = Walker(ctx, hh)
        start_day, end_day = walker.run(day)
        for m in hh.members:
            p = m.person
            _client(ctx, p, start_day, end_day, walker.first_user)
            truth.writerow((p.personal_id, p.person_key, "", ""))
            if p.age_on(day) >= 18 and p.name_dq in (1, 2):
                entry = (p, m.person.veteran == 1)
                if len(pool) < POOL_SIZE:
                    pool.append(entry)
                else:
                    pool[rng.randrange(POOL_SIZE)] = entry
        emitted += len(hh.members)
    return emitted - dups, dups


def _client(ctx: Context, p: Person, first_day: int, last_day: int, user: str) -> None:
    clock = "07:55:00"  # before any enrollment stamp of the same day (CLOCK starts at 08:00)
    row = client_row(ctx.sink, p, f"{ctx.dates(first_day)} {clock}", f"{ctx.dates(last_day)} {clock}",
                     user or ctx.catalog.users[0])
    ctx.sink.write("Client", row)
