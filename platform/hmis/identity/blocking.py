"""Blocking: which pairs are worth comparing at all.

Each record gets a handful of keys; two records are compared when they share any key.
The passes are chosen so that any single kind of error (a typo, a nickname, swapped
names, a transposed or swapped DOB, a missing or partial SSN) leaves at least one key
intact, and usually two:

``s``    the full valid SSN
``s4y``  SSN last four + birth year
``s4md`` SSN last four + {month, day} of birth (survives a year error)
``d``    the full date of birth + an initial (of the given name, a formal name it stands
         for, or a surname word: swapped names still meet)
``nmy``  Soundex of given name (and each formal name it may stand for) and of a surname
         word, *sorted* (so swapped first and last names share it) + birth year
``nmd``  the same + the {month, day} of birth as a set (survives a year error or a
         day/month swap)
``nm``   the same names alone, only pairing records that lack an exact DOB with the rest
``f0y``, ``f0md``, ``f0``  for records with a given name but no surname: its Soundex +
         birth year, + {month, day}, or alone (the last only for records lacking an exact DOB)
``lyf``  Soundex of a surname word + birth year + first initial (given-name typos)
``lfm``  the same with {month, day} instead of the year
``fly``  Soundex of the given name + surname initial + birth year (surname typos)
``fmd``  the same with {month, day} instead of the year

Every key but ``nm`` includes a date or an SSN part, so blocks stay small as the
population grows and the work stays close to linear.

Blocks larger than ``max_block_size`` are skipped (a placeholder DOB such as 1900-01-01
or a very common name with no other key); :class:`BlockStats` says how many.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from .normalize import Prepared, soundex

__all__ = ["PROBE_KINDS", "BlockStats", "block_keys", "candidate_pairs"]

#: Key kinds with no date in them. Their blocks grow with the population, so they only pair
#: a record without an exact DOB (missing, 8/9/99, approximate) with the block's others.
PROBE_KINDS = frozenset({"nm", "f0"})


def block_keys(p: Prepared) -> set[tuple]:
    """The record's blocking keys. Keys of kinds in :data:`PROBE_KINDS` are emitted by every
    record but only pair a record that lacks an exact DOB with the others (see there)."""
    keys: set[tuple] = set()
    dob = p.dob
    year = dob.year if dob else None
    md = tuple(sorted((dob.month, dob.day))) if dob and p.dob_exact else None
    if p.ssn:
        keys.add(("s", p.ssn))
    if p.ssn4 and year:
        keys.add(("s4y", p.ssn4, year))
    if p.ssn4 and md:
        keys.add(("s4md", p.ssn4, md))
    surnames = {soundex(t) for t in p.last_tokens} - {""}
    givens = {soundex(g) for g in p.first_canon} - {""}
    first_initials = {g[0] for g in p.first_canon}
    last_initials = {t[0] for t in p.last_tokens}
    if md:
        for x in (first_initials | last_initials) or {""}:
            keys.add(("d", dob.toordinal(), x))
    for g in givens:
        for s in surnames:
            pair = tuple(sorted((g, s)))
            keys.add(("nm", *pair))
            keys.add(("nmy", *pair, year))
            if md:
                keys.add(("nmd", *pair, md))
        for li in last_initials:
            keys.add(("fly", g, li, year))
            if md:
                keys.add(("fmd", g, li, md))
    if givens and not surnames:  # a given name only (HUD name data quality 2: partial, street name)
        for g in givens:
            keys.add(("f0", g))
            keys.add(("f0y", g, year))
            if md:
                keys.add(("f0md", g, md))
    for s in surnames:
        for fi in first_initials:
            keys.add(("lyf", s, year, fi))
            if md:
                keys.add(("lfm", s, fi, md))
    return keys


@dataclass
class BlockStats:
    blocks: int = 0
    skipped_blocks: int = 0
    skipped_records: int = 0
    pairs: int = 0
    by_pass: dict[str, int] = field(default_factory=dict)


def candidate_pairs(prepared: list[Prepared], max_block_size: int, stats: BlockStats | None = None
                    ) -> Iterator[tuple[int, int]]:
    """Distinct index pairs ``(i, j)``, ``i < j``, of records that share a blocking key."""
    stats = stats if stats is not None else BlockStats()
    blocks: dict[tuple, list[int]] = defaultdict(list)
    probes: dict[tuple, list[int]] = defaultdict(list)
    for i, p in enumerate(prepared):
        for key in block_keys(p):
            blocks[key].append(i)
            if key[0] in PROBE_KINDS and not (p.dob and p.dob_exact):
                probes[key].append(i)
    n = len(prepared)
    seen: set[int] = set()
    for key, members in blocks.items():
        size = len(members)
        if size < 2:
            continue
        if key[0] in PROBE_KINDS:
            askers = probes.get(key)
            if not askers:
                continue
        else:
            askers = None
        stats.blocks += 1
        if size > max_block_size * (4 if askers else 1):
            stats.skipped_blocks += 1
            stats.skipped_records += size
            continue
        new = 0
        for i, others in _pairs_of(members, askers):
            for j in others:
                if i == j:
                    continue
                code = i * n + j if i < j else j * n + i
                if code not in seen:
                    seen.add(code)
                    new += 1
                    yield (i, j) if i < j else (j, i)
        stats.by_pass[key[0]] = stats.by_pass.get(key[0], 0) + new
    stats.pairs = len(seen)


def _pairs_of(members: list[int], askers: list[int] | None):
    if askers is None:
        for x in range(len(members) - 1):
            yield members[x], members[x + 1:]
    else:
        for i in askers:
            yield i, members
