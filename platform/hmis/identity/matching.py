"""Finding candidate duplicate pairs, scoring one pair, and searching for one person.

``find_candidates`` prepares every record once, generates pairs by blocking
(:mod:`.blocking`), scores each (:mod:`.scoring`) and yields those at or above the
threshold. Work is close to linear in the number of records: blocks are small and capped.
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .blocking import BlockStats, block_keys, candidate_pairs
from .config import MatchingConfig, load_config
from .normalize import PersonRecord, Prepared, prepare
from .scoring import score_prepared

__all__ = ["Candidate", "MatchIndex", "MatchStats", "find_candidates", "match_one", "score_pair"]


@dataclass(slots=True)
class Candidate:
    """Two records that may be the same person, with the score and why."""

    a: PersonRecord
    b: PersonRecord
    score: float
    reasons: list[str]


@dataclass
class MatchStats:
    records: int = 0
    comparisons: int = 0
    candidates: int = 0
    linked: int = 0  #: of the candidates, those kept because both records match a third one
    seconds: float = 0.0
    blocking: BlockStats = field(default_factory=BlockStats)


def _config(config: MatchingConfig | None) -> MatchingConfig:
    return config if config is not None else load_config()


def score_pair(a: PersonRecord, b: PersonRecord, config: MatchingConfig | None = None) -> Candidate:
    """Score two records whatever the threshold."""
    cfg = _config(config)
    score, reasons = score_prepared(prepare(a), prepare(b), cfg)
    return Candidate(a, b, score, reasons)


def find_candidates(records: Iterable[PersonRecord], config: MatchingConfig | None = None,
                    stats: MatchStats | None = None) -> Iterator[Candidate]:
    """Every blocked pair scoring at least ``config.threshold``, in no particular order.

    ``stats`` (optional) is filled in as the iterator runs: comparisons made, blocks
    skipped for size, seconds.
    """
    cfg = _config(config)
    stats = stats if stats is not None else MatchStats()
    began = time.perf_counter()
    prepared = [prepare(r) for r in records]
    stats.records = len(prepared)
    threshold = cfg.threshold
    comparisons = 0
    edges: dict[tuple[int, int], Candidate] = {}
    try:
        for i, j in candidate_pairs(prepared, cfg.max_block_size, stats.blocking):
            comparisons += 1
            a, b = prepared[i], prepared[j]
            result = score_prepared(a, b, cfg, floor=threshold)
            if result is not None and result[0] >= threshold:
                stats.candidates += 1
                edges[(i, j)] = candidate = Candidate(a.rec, b.rec, result[0], result[1])
                yield candidate
        for candidate in _through_links(prepared, edges, cfg, stats):
            yield candidate
    finally:
        stats.comparisons += comparisons
        stats.seconds = time.perf_counter() - began


def _through_links(prepared: list[Prepared], edges: dict[tuple[int, int], Candidate], cfg: MatchingConfig,
                   stats: MatchStats) -> Iterator[Candidate]:
    """Pairs that each match a third record: when A~B and B~C are candidates, A and C are
    compared too (they may have no blocking key in common, or each carry different errors)
    and become a candidate if they score at least ``linked_threshold`` on their own."""
    floor = cfg.linked_threshold
    if floor is None or floor >= cfg.threshold:
        return
    neighbours: dict[int, dict[int, float]] = defaultdict(dict)
    for (i, j), c in edges.items():
        neighbours[i][j] = c.score
        neighbours[j][i] = c.score
    done: set[tuple[int, int]] = set()
    for middle, around in neighbours.items():
        if len(around) < 2 or len(around) > cfg.max_links:
            continue
        ids = sorted(around)
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                i, j = ids[x], ids[y]
                if (i, j) in edges or (i, j) in done:
                    continue
                done.add((i, j))
                stats.comparisons += 1
                result = score_prepared(prepared[i], prepared[j], cfg, floor=floor)
                if result is not None and result[0] >= floor:
                    via = prepared[middle].rec.id
                    reasons = [*result[1], f"both match {via} ({around[i]:g} and {around[j]:g})"]
                    stats.candidates += 1
                    stats.linked += 1
                    yield Candidate(prepared[i].rec, prepared[j].rec, result[0], reasons)


class MatchIndex:
    """Records indexed by their blocking keys, for searching one person at intake."""

    def __init__(self, records: Iterable[PersonRecord], config: MatchingConfig | None = None):
        self.config = _config(config)
        self.prepared: list[Prepared] = []
        self.blocks: dict[tuple, list[int]] = defaultdict(list)
        for r in records:
            self.add(r)

    def add(self, record: PersonRecord) -> None:
        p = prepare(record)
        index = len(self.prepared)
        self.prepared.append(p)
        for key in block_keys(p):
            self.blocks[key].append(index)

    def __len__(self) -> int:
        return len(self.prepared)


def match_one(record: PersonRecord, index: MatchIndex, threshold: float | None = None,
              limit: int = 20) -> list[Candidate]:
    """The indexed records that may be ``record``, best first (at most ``limit``)."""
    cfg = index.config
    floor = cfg.threshold if threshold is None else threshold
    p = prepare(record)
    seen: set[int] = set()
    found: list[Candidate] = []
    for key in block_keys(p):
        members = index.blocks.get(key, ())
        if len(members) > cfg.max_block_size * 4:  # a search may look wider than batch de-duplication
            continue
        for i in members:
            if i in seen:
                continue
            seen.add(i)
            other = index.prepared[i]
            if other.rec.id == record.id and other.rec.source == record.source:
                continue
            result = score_prepared(p, other, cfg, floor=floor)
            if result is not None and result[0] >= floor:
                found.append(Candidate(record, other.rec, result[0], result[1]))
    found.sort(key=lambda c: (-c.score, c.b.id))
    return found[:limit]
