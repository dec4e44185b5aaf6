"""Scoring the matcher against known truth: records from an HMIS CSV zip, a baseline
exact rule, and pairwise precision / recall.

Used by ``benchmarks/matching.py`` and the quality tests; nothing here is needed to
*run* the matcher.
"""
from __future__ import annotations

import csv
import io
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .normalize import PersonRecord, fold, prepare

__all__ = ["Quality", "baseline_pairs", "quality", "read_clients", "truth_pairs"]


def _int(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _date(text: str) -> date | None:
    text = (text or "").strip()[:10]
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def read_clients(export: str | Path) -> list[PersonRecord]:
    """PersonRecords straight from the Client.csv of an HMIS CSV zip (or folder); deleted rows skipped."""
    export = Path(export)
    if export.is_dir():
        fh = open(export / "Client.csv", encoding="utf-8-sig", newline="")
    else:
        archive = zipfile.ZipFile(export)
        name = next(n for n in archive.namelist() if n.rsplit("/", 1)[-1].lower() == "client.csv")
        fh = io.TextIOWrapper(archive.open(name), encoding="utf-8-sig", newline="")
    with fh:
        out = []
        for row in csv.DictReader(fh):
            if (row.get("DateDeleted") or "").strip():
                continue
            out.append(PersonRecord(
                row["PersonalID"], row.get("FirstName"), row.get("MiddleName"), row.get("LastName"),
                row.get("NameSuffix"), row.get("SSN"), _int(row.get("SSNDataQuality", "")), _date(row.get("DOB", "")),
                _int(row.get("DOBDataQuality", "")), _int(row.get("Sex", "")), _int(row.get("NameDataQuality", "")),
                row.get("ExportID")))
    return out


def truth_pairs(truth_csv: str | Path) -> set[tuple[str, str]]:
    """Every pair of PersonalIDs that share a PersonKey (sorted within the pair)."""
    people: dict[str, list[str]] = defaultdict(list)
    with open(truth_csv, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            people[row["PersonKey"]].append(row["PersonalID"])
    pairs = set()
    for ids in people.values():
        ids.sort()
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                pairs.add((ids[x], ids[y]))
    return pairs


def baseline_pairs(records: Iterable[PersonRecord]) -> tuple[set[tuple[str, str]], int]:
    """The exact rule: same valid SSN, or same folded first + last name and same DOB.
    Returns the pairs and how many comparisons a hash join needed (pairs within groups)."""
    groups: dict[tuple, list[str]] = defaultdict(list)
    for r in records:
        p = prepare(r)
        if p.ssn:
            groups[("s", p.ssn)].append(r.id)
        first, last = fold(r.first).replace(" ", ""), fold(r.last).replace(" ", "")
        if first and last and p.dob:
            groups[("n", first, last, p.dob)].append(r.id)
    pairs: set[tuple[str, str]] = set()
    comparisons = 0
    for ids in groups.values():
        ids.sort()
        comparisons += len(ids) * (len(ids) - 1) // 2
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                pairs.add((ids[x], ids[y]))
    return pairs, comparisons


@dataclass
class Quality:
    found: int
    true: int
    correct: int
    seconds: float = 0.0
    comparisons: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def quality(found: Iterable[tuple[str, str]], truth: set[tuple[str, str]]) -> Quality:
    pairs = {tuple(sorted(p)) for p in found}
    return Quality(len(pairs), len(truth), len(pairs & truth))


def timed(fn, *args):
    began = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - began
