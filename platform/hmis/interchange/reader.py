"""Open an HMIS CSV export (a zip or a folder) and stream its rows as text.

Nothing is extracted to disk: members are read straight from the archive, so an
entry named ``../../x`` can do no harm; it is still refused, because an export that
contains one was not made by an HMIS.
"""
from __future__ import annotations

import csv
import io
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Iterator

from .checks import IssueLog

#: Largest total uncompressed size accepted (a guard against zip bombs).
MAX_EXPANDED_BYTES = 20 * 1024**3
#: One CSV field may be large (free-text answers) but not unbounded.
MAX_FIELD_BYTES = 10 * 1024 * 1024
csv.field_size_limit(MAX_FIELD_BYTES)
#: A physical line longer than this is not an HMIS CSV line.
MAX_LINE_BYTES = 16 * 1024 * 1024


class NotCsv(ValueError):
    """A member's bytes cannot be read as CSV text."""


class StructuralError(Exception):
    """The export cannot be imported at all (the issue log says why)."""


@dataclass
class Member:
    name: str  #: the file name as found, e.g. "client.CSV"
    size: int


class ExportSource:
    """A zip archive or a folder holding the CSV files of one export."""

    def __init__(self, path: Path, log: IssueLog):
        self.path = Path(path)
        self.log = log
        self._zip: zipfile.ZipFile | None = None
        self.members: dict[str, Member] = {}  #: lower-case base name -> member
        if self.path.is_dir():
            for child in sorted(self.path.iterdir()):
                if child.is_file():
                    self.members[child.name.lower()] = Member(child.name, child.stat().st_size)
        else:
            self._open_zip()

    def _open_zip(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as exc:
            self.log.add("not_a_zip", self.path.name,
                         f"{self.path.name} is not a zip archive ({exc}). Upload the HMIS CSV export as a .zip file.")
            raise StructuralError from None
        total = 0
        for info in self._zip.infolist():
            if info.is_dir():
                continue
            pure = PurePosixPath(info.filename.replace("\\", "/"))
            if pure.is_absolute() or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
                self.log.add("unsafe_path", info.filename,
                             f"The archive holds an entry named {info.filename!r}, which points outside the archive. "
                             "Nothing was imported; export again from the HMIS.")
                continue
            total += info.file_size
            key = pure.name.lower()
            if key in self.members:
                self.log.add("unreadable_file", pure.name,
                             f"The archive holds two files named {pure.name} (in different folders).")
                continue
            self.members[key] = Member(info.filename, info.file_size)
        if total > MAX_EXPANDED_BYTES:
            self.log.add("too_large", self.path.name,
                         f"The archive expands to {total / 1024**3:.1f} GB, more than the "
                         f"{MAX_EXPANDED_BYTES / 1024**3:.0f} GB an export may hold.")
        if self.log.has_errors:
            raise StructuralError

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def find(self, filename: str) -> Member | None:
        return self.members.get(filename.lower())

    @contextmanager
    def open_binary(self, member: Member) -> Iterator[IO[bytes]]:
        if self._zip is not None:
            with self._zip.open(member.name) as handle:
                yield handle
        else:
            with open(self.path / member.name, "rb") as handle:
                yield handle


class CsvRows:
    """Rows of one CSV member as lists of strings, with the physical line of each row.

    Bytes are decoded line by line: a line that is not UTF-8 is read as Windows-1252
    (what most non-UTF-8 exports are) and reported with its line number.
    """

    def __init__(self, handle: IO[bytes], filename: str, log: IssueLog):
        self.filename = filename
        self.log = log
        self._lines = self._decoded(handle)
        self._reader = csv.reader(self._lines, strict=False)

    def _decoded(self, handle: IO[bytes]) -> Iterator[str]:
        first = True
        stream = handle if isinstance(handle, io.BufferedReader) else io.BufferedReader(handle, 1 << 20)
        number = 0
        while raw := stream.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                # Junk (or a binary file named .csv): refuse it before it fills memory.
                raise NotCsv(f"line {number} is longer than {MAX_LINE_BYTES // 1024**2} MB; this is not CSV text")
            if first:
                first = False
                if raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.log.add("not_utf8", self.filename,
                             f"Line {number} has bytes that are not UTF-8 ({raw[exc.start:exc.start + 4]!r}); "
                             "it was read as Windows-1252. Check the values on that line.", row=number)
                yield raw.decode("cp1252", errors="replace")

    @property
    def line(self) -> int:
        """The physical line the last row ended on."""
        return self._reader.line_num

    def __iter__(self) -> Iterator[list[str]]:
        return self._reader
