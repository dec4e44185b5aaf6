"""Stage one HMIS CSV file in PostgreSQL by COPYing its raw text, then check it there.

The Python path (``FileLoader._stage_rows``) parses every cell in Python, which
costs many times the COPY it feeds. Here the file's bytes go to ``COPY`` as they
are, into a temporary table of text columns (one per header position), and a
temporary view over it is the typed stage table the rest of the importer works
with: same name, same columns, ``row_no`` the physical line the row starts on.

Only cells that are not plainly valid come back to Python. One scan finds the
cells whose text is not in its canonical form (a code outside the text forms of
its list, a date not written yyyy-mm-dd, an empty required value, text too long,
...), and the importer's own checks judge exactly those cells, so messages, rows,
columns and HUD elements are the ones the Python path writes. Cells Python stores
differently from their text ("1.0" -> 1, "2025-02-30" -> empty, " text " -> "text")
are rewritten in the raw table before the view casts them.

COPY reads stricter CSV than Python's csv module. A file it cannot take as it is
(bytes that are not UTF-8, NUL, a row with a different number of fields, a blank
line, a line or field longer than the Python path allows, PostgreSQL's ``\\.``
end-of-data marker) makes :meth:`CopyStage.stage` return False, having written
nothing, and the importer reads that file on the Python path instead.
"""
from __future__ import annotations

import csv
import io
import zipfile
import zlib
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import MetaData, Table, text

from ..hud import HudColumn, formats
from .reader import MAX_FIELD_BYTES, MAX_LINE_BYTES

if TYPE_CHECKING:
    from .importer import FileLoader

#: What Python's str.strip() removes (every character for which str.isspace() is true),
#: so btrim() in SQL stores the same text the Python path stores.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
              "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_WS = f"'{WHITESPACE}'"  # no quote or backslash inside: safe as a plain SQL literal
#: The same characters as code points, for ascii() (which gives a character's code point).
_WS_CODES = "(" + ",".join(str(ord(character)) for character in WHITESPACE) + ")"

#: Suspect rows are read back and judged this many at a time (bounded memory).
BATCH_ROWS = 5000

# Canonical text of each type: what the Python parser accepts AND PostgreSQL casts
# to the same value. Anything else is a suspect, judged by the Python parser.
#
# Dates and times are tested piece by piece against lists of every valid piece
# rather than with a regular expression: PostgreSQL looks up a constant list of
# nine or more items in a hash table, and on HUD's sample that is 2-3 times faster
# than its regex engine, which was most of the scan. The pieces cover every byte
# (the octet_length test), so the text is exactly one of the listed forms.
_YEARS = "{" + ",".join(f"{year}-" for year in range(1900, 2100)) + "}"
_MONTH_DAYS = "{" + ",".join(  # Feb 29 is left to Python (leap years)
    f"{month:02d}-{day:02d}" for month, days in enumerate((31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), 1)
    for day in range(1, days + 1)) + "}"
_HOURS = "{" + ",".join(f'" {hour:02d}:"' for hour in range(24)) + "}"
_MINUTES_SECONDS = "{" + ",".join(f"{minute:02d}:{second:02d}" for minute in range(60) for second in range(60)) + "}"
_MONEY = r"^-?[0-9]{1,10}(\.[0-9]{1,2})?$"


def _canonical(kind: str, cell: str) -> str:
    """SQL true when ``cell`` holds the canonical text of a value of ``kind``."""
    year = f"left({cell}, 5) = ANY('{_YEARS}'::text[])"
    if kind == "date":  # yyyy-mm-dd as "yyyy-" and "mm-dd"
        return f"octet_length({cell}) = 10 AND {year} AND right({cell}, 5) = ANY('{_MONTH_DAYS}'::text[])"
    if kind == "datetime":  # yyyy-mm-dd hh:mm:ss as "yyyy-", "mm-dd", " hh:" and "mm:ss"
        return (f"octet_length({cell}) = 19 AND {year} AND substr({cell}, 6, 5) = ANY('{_MONTH_DAYS}'::text[]) "
                f"AND substr({cell}, 11, 4) = ANY('{_HOURS}'::text[]) "
                f"AND right({cell}, 5) = ANY('{_MINUTES_SECONDS}'::text[])")
    if kind == "integer":  # 1 to 9 digits (a minus sign makes a suspect, which Python judges)
        return f"octet_length({cell}) BETWEEN 1 AND 9 AND translate({cell}, '0123456789', '') = ''"
    return f"{cell} ~ {_sql_text(_MONEY)}"


class _NotForCopy(Exception):
    """The file needs the Python path (see the module docstring)."""


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def canonical_text(value: Any) -> str | None:
    """The text PostgreSQL casts back to ``value`` (what a rewritten raw cell holds)."""
    if value is None:
        return None
    if isinstance(value, datetime):  # before date: a datetime is a date too
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)  # int, Decimal (already quantized to cents)


class CopyStage:
    """COPY one file's raw text and make the typed stage view over it (PostgreSQL only)."""

    def __init__(self, loader: FileLoader):
        self.loader = loader
        self.connection = loader.connection
        self.file = loader.file
        self.plan = loader.plan
        self.raw = f"raw_{self.file.table}"
        self.view = f"stage_{self.file.table}"
        self.rows = 0

    # ------------------------------------------------------------ public
    def stage(self) -> bool:
        """Stage and check the file; False (and nothing left behind) if it needs the Python path."""
        savepoint = self.connection.begin_nested()
        try:
            self._copy()
        except (_NotForCopy, psycopg.Error, UnicodeDecodeError, csv.Error, zipfile.BadZipFile, zlib.error,
                EOFError):
            savepoint.rollback()
            return False
        savepoint.commit()
        self._create_view()
        self._judge_suspects()
        if self.loader._dependent:
            self._check_dependent()
        return True

    def table(self) -> Table:
        """The view as a SQLAlchemy table, with the columns of the Python path's stage table."""
        return Table(self.view, MetaData(), *self.loader._stage_columns())

    def drop(self) -> None:
        self.connection.exec_driver_sql(f"DROP VIEW IF EXISTS {self.view}")
        self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS {self.raw}")

    # -------------------------------------------------------------- copy
    def _copy(self) -> None:
        width = self.plan.width
        cells = ", ".join(f"c{i} text" for i in range(width))
        self.connection.exec_driver_sql(f"DROP VIEW IF EXISTS {self.view}")
        self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS {self.raw}")
        self.connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {self.raw} (ordinal bigint GENERATED ALWAYS AS IDENTITY, "
            f"line_offset integer NOT NULL DEFAULT 0, {cells})")
        names = ", ".join(f"c{i}" for i in range(width))
        cursor = self.connection.connection.driver_connection.cursor()
        try:
            with self.loader.source.open_binary(self.plan.member) as handle:
                stream = handle if isinstance(handle, io.BufferedReader) else io.BufferedReader(handle, 1 << 20)
                header = stream.readline(MAX_LINE_BYTES + 1)
                if header.startswith(b"\xef\xbb\xbf"):
                    header = header[3:]
                fields = next(csv.reader([header.decode("utf-8")]), [])
                if len(fields) != width or not header.endswith(b"\n"):
                    raise _NotForCopy("the header is not one plain line")
                with cursor.copy(f"COPY {self.raw} ({names}) FROM STDIN (FORMAT csv)") as copy:
                    newlines, ends_with_newline, empty = self._stream(stream, copy)
            self.rows = cursor.rowcount
        finally:
            cursor.close()
        lines = 0 if empty else newlines + (0 if ends_with_newline else 1)
        if lines != self.rows:
            self._place_lines()

    @staticmethod
    def _stream(stream, copy) -> tuple[int, bool, bool]:
        """Feed the bytes after the header to COPY; refuse what COPY would read differently."""
        newlines = 0
        line_length = 0  #: bytes since the last newline
        previous = b""
        empty = True
        while chunk := stream.read(1 << 20):
            empty = False
            # PostgreSQL ends CSV input at a line holding only \. (Python reads it as data).
            if b"\\." in previous[-2:] + chunk:
                raise _NotForCopy("holds PostgreSQL's end-of-data marker")
            count = chunk.count(b"\n")
            if count:
                newlines += count
                line_length += chunk.find(b"\n")
                if line_length > MAX_FIELD_BYTES:
                    raise _NotForCopy("a line is longer than the Python path accepts")
                line_length = len(chunk) - chunk.rfind(b"\n") - 1
            else:
                line_length += len(chunk)
                if line_length > MAX_FIELD_BYTES:
                    raise _NotForCopy("a line is longer than the Python path accepts")
            copy.write(chunk)
            previous = chunk
        return newlines, previous.endswith(b"\n"), empty

    def _cells(self) -> list[str]:
        return [f"c{i}" for i in range(self.plan.width)]

    def _place_lines(self) -> None:
        """Some values hold line breaks: give each row the physical line it starts on, as Python counts them."""
        joined = "concat(" + ", ".join(self._cells()) + ")"
        longest = "greatest(" + ", ".join(f"coalesce(octet_length({c}), 0)" for c in self._cells()) + ")"
        if (self.connection.exec_driver_sql(f"SELECT max({longest}) FROM {self.raw}").scalar() or 0) > MAX_FIELD_BYTES:
            raise _NotForCopy("a field is longer than the Python path accepts")
        breaks = f"length({joined}) - length(replace({joined}, E'\\n', ''))"
        self.connection.exec_driver_sql(
            f"UPDATE {self.raw} AS r SET line_offset = w.before FROM ("
            f"SELECT ordinal, coalesce(sum({breaks}) OVER (ORDER BY ordinal ROWS BETWEEN UNBOUNDED PRECEDING "
            f"AND 1 PRECEDING), 0) AS before FROM {self.raw}) AS w WHERE w.ordinal = r.ordinal AND w.before > 0")

    # -------------------------------------------------------------- view
    def _create_view(self) -> None:
        dialect = self.connection.dialect
        selects = ["(ordinal + 1 + line_offset)::integer AS row_no"]
        for column, position in zip(self.file.columns, self.plan.positions):
            sql_type = self.loader.target.c[column.attr].type.compile(dialect)
            if position is None:
                selects.append(f"CAST(NULL AS {sql_type}) AS {column.attr}")
            elif column.type == "string":
                # No trim here: the suspect scan found every cell starting or ending with
                # whitespace, and wrote it back stripped (a trim per read costs more than the scan).
                selects.append(f"nullif(c{position}, '') AS {column.attr}")
            else:
                selects.append(f"CAST(nullif(c{position}, '') AS {sql_type}) AS {column.attr}")
        for name, position in self.plan.retired.items():
            selects.append(f"nullif(btrim(c{position}, {_WS}), '') AS {self.loader._retired_column(name)}")
        self.connection.exec_driver_sql(
            f"CREATE TEMPORARY VIEW {self.view} AS SELECT {', '.join(selects)} FROM {self.raw}")

    # ----------------------------------------------------------- suspects
    def _suspect(self, column: HudColumn, cell: str, required: bool, valid) -> str | None:
        """SQL true for a cell the Python checks must judge; None if no cell of the column can need it.

        A suspect may turn out fine; what matters is that every cell Python would
        flag or store differently is one. The tests are the cheapest that ensure it:
        a cell Python strips starts or ends with whitespace, a cell too long in
        characters is too long in bytes.
        """
        if column.type == "string":
            # Whitespace at either end: Python strips it (the view reads the stripped text back).
            tests = [f"ascii({cell}) IN {_WS_CODES} OR ascii(right({cell}, 1)) IN {_WS_CODES}"]
            if required:
                tests.append(f"{cell} IS NULL OR {cell} = ''")
            if column.max_length:
                tests.append(f"octet_length({cell}) > {int(column.max_length)}")
            text_format = formats.format_of(column.name)
            if text_format is not None:
                tests.append(f"{cell} !~ {_sql_text('^(?:' + text_format[0].pattern + ')$')}")
            return " OR ".join(f"({t}) IS TRUE" for t in tests) or None
        if valid is not None:
            codes = "{" + ",".join(str(code) for code in sorted(valid)) + "}"
            clean = f"{cell} = ANY('{codes}'::text[])"
        else:
            clean = _canonical(column.type, cell)
        if not required:
            clean = f"{cell} IS NULL OR {cell} = '' OR {clean}"
        return f"NOT ({clean}) IS TRUE"

    def _judge_suspects(self) -> None:
        """Read back the cells that are not plainly valid, judge them in Python, rewrite what Python stores otherwise."""
        checked = []  #: (converter, suspect SQL)
        for converter in self.loader._converters():
            position, _, column, valid, _, required = converter
            if position == self.plan.width:  # the file lacks this column: nothing to check
                continue
            suspect = self._suspect(column, f"c{position}", required, valid)
            if suspect is not None:
                checked.append((converter, suspect))
        if not checked:
            return
        flags = ", ".join(f"({suspect})" for _, suspect in checked)
        cells = ", ".join(f"c{converter[0]}" for converter, _ in checked)
        where = " OR ".join(f"({suspect})" for _, suspect in checked)
        result = self.connection.exec_driver_sql(
            f"SELECT (ordinal + 1 + line_offset)::integer, {flags}, {cells} FROM {self.raw} "
            f"WHERE {where} ORDER BY ordinal", execution_options={"stream_results": True, "yield_per": BATCH_ROWS})
        rewrites: list[dict[str, str | None]] = [{} for _ in checked]
        count = len(checked)
        for batch in result.partitions(BATCH_ROWS):
            for index, (converter, _) in enumerate(checked):
                picked = [(row[0], row[1 + count + index]) for row in batch if row[1 + index]]
                if not picked:
                    continue
                lines = [line for line, _ in picked]
                texts = tuple("" if value is None else value for _, value in picked)
                position, parser, column, valid, retired, required = converter
                values = self.loader._column_values(texts, lines, parser, column, valid, retired, required)
                for raw_text, value in zip(texts, values):
                    stored = canonical_text(value)
                    if stored != raw_text:
                        rewrites[index][raw_text] = stored
        result.close()
        for (converter, _), mapping in zip(checked, rewrites):
            if mapping:
                cell = f"c{converter[0]}"
                self.connection.execute(
                    text(f"UPDATE {self.raw} SET {cell} = m.new FROM unnest(CAST(:old AS text[]), "
                         f"CAST(:new AS text[])) AS m(old, new) WHERE {self.raw}.{cell} = m.old"),
                    {"old": list(mapping), "new": list(mapping.values())})

    # ------------------------------------------------------- row checks
    def _check_dependent(self) -> None:
        """Row-dependent code lists, one check per distinct combination (as the Python path does)."""
        for _, column, deciders in self.loader._dependent:
            names = [column.attr] + [self.file.column(name).attr for name, _ in deciders]
            combos = self.connection.exec_driver_sql(
                f"SELECT DISTINCT {', '.join(names)} FROM {self.view} WHERE {column.attr} IS NOT NULL").all()
            invalid = self.loader._invalid_combos(column, deciders, [tuple(c) for c in combos])
            if not invalid:
                continue
            keys = list(invalid)
            match = " AND ".join(f"v.{name} IS NOT DISTINCT FROM m.k{i}" for i, name in enumerate(names))
            arrays = ", ".join(f"CAST(:k{i} AS integer[])" for i in range(len(names)))
            found = self.connection.execute(
                text(f"SELECT v.row_no, {', '.join('v.' + n for n in names)} FROM {self.view} AS v "
                     f"JOIN unnest({arrays}) AS m({', '.join(f'k{i}' for i in range(len(names)))}) ON {match} "
                     "ORDER BY v.row_no"),
                {f"k{i}": [key[i] for key in keys] for i in range(len(names))}).all()
            for line, *combo in found:
                self.loader._flag_combo(column, tuple(combo), invalid[tuple(combo)], line)
