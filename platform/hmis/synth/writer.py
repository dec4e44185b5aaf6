"""Streaming CSV sink: one temp CSV per HUD file, zipped at the end.

Rows go straight to disk as households are generated, so memory stays flat
whatever the client count. The zip gets fixed timestamps and a fixed member
order so the same input gives byte-identical output.
"""
from __future__ import annotations

import csv
import os
import shutil
import tempfile
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from hmis.hud import SPEC

#: Every member of the zip gets this timestamp (determinism).
ZIP_TIME = (2026, 10, 1, 0, 0, 0)

COMPRESS_LEVEL = 1

#: Office-hours clock times for DateCreated/DateUpdated; precomputed for speed.
CLOCK: tuple[str, ...] = tuple(
    f"{h:02d}:{m:02d}:{s:02d}" for h in range(8, 18) for m in range(0, 60, 7) for s in (0, 17, 41)
)


class Cols:
    """Column positions of one file as attributes: ``Cols(SPEC['Client']).SSN == 6``."""

    def __init__(self, name: str) -> None:
        for i, column in enumerate(SPEC[name].columns):
            setattr(self, column.name, i)


class Dates:
    """Fast ISO formatting for day ordinals inside the generation window.

    The generator works on ``date.toordinal()`` ints; formatting a cached
    string is much cheaper than ``date.isoformat()`` on millions of rows.
    """

    def __init__(self, first: date, last: date) -> None:
        self.base = first.toordinal()
        days = (last - first).days + 1
        self.iso = [(first + timedelta(days=i)).isoformat() for i in range(days)]

    def __call__(self, ordinal: int) -> str:
        i = ordinal - self.base
        if 0 <= i < len(self.iso):
            return self.iso[i]
        return date.fromordinal(ordinal).isoformat()


class Sink:
    """Per-file CSV writers in a temp dir; ``close(out)`` zips them in spec order."""

    def __init__(self, export_id: str, workdir: str | Path | None = None) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="hmis-synth-", dir=workdir))
        self.counts: dict[str, int] = {}
        self.next: dict[str, int] = {}
        self._handles: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}
        self._templates: dict[str, list[str]] = {}
        for hud_file in SPEC:
            name = hud_file.name
            handle = open(self.tmp / hud_file.filename, "w", newline="", encoding="utf-8")
            writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
            writer.writerow([c.name for c in hud_file.columns])
            self._handles[name] = handle
            self._writers[name] = writer
            self.counts[name] = 0
            self.next[name] = 0
            template = [""] * len(hud_file.columns)
            template[-1] = export_id  # every file ends with ExportID
            self._templates[name] = template

    def new(self, name: str) -> list[str]:
        """A fresh blank row for ``name`` with ExportID already filled."""
        return self._templates[name][:]

    def template(self, name: str) -> list[str]:
        return self._templates[name]

    def new_id(self, name: str) -> str:
        """The next primary key for ``name``: plain increasing integers as text."""
        n = self.next.get(name, 0) + 1
        self.next[name] = n
        return str(n)

    def write(self, name: str, row: list[Any]) -> None:
        self._writers[name].writerow(row)
        self.counts[name] += 1

    def write_many(self, name: str, rows: list[list[Any]]) -> None:
        self._writers[name].writerows(rows)
        self.counts[name] += len(rows)

    def close(self, out: Path) -> None:
        """Flush every CSV and zip them (spec order, fixed timestamps) into ``out``."""
        for handle in self._handles.values():
            handle.close()
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".part")  # renamed at the end: no half-written zips
        try:
            self._zip(partial)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
            self.discard()

    def _zip(self, out: Path) -> None:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as zf:
            for hud_file in SPEC:
                path = self.tmp / hud_file.filename
                info = zipfile.ZipInfo(hud_file.filename, date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                # Fast deflate: ~3x quicker than level 6 for ~15% more bytes. The attribute
                # is private before Python 3.13 (compress_level after).
                for attr in ("compress_level", "_compresslevel"):
                    try:
                        setattr(info, attr, COMPRESS_LEVEL)
                        break
                    except AttributeError:
                        continue
                info.external_attr = 0o644 << 16
                big = path.stat().st_size > 2**31
                with open(path, "rb") as src, zf.open(info, "w", force_zip64=big) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)

    def discard(self) -> None:
        for handle in self._handles.values():
            if not handle.closed:
                handle.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

