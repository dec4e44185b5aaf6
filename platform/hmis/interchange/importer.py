"""Import one HMIS CSV export into the HUD tables, all or nothing.

For each file, parents first, the rows are staged and their values checked:

* on PostgreSQL the file's text is COPYed as it is and checked set-based
  (``copystage``): only cells that are not plainly valid come back to Python, to
  the same checks the Python path runs;
* on SQLite, and on PostgreSQL for a file COPY cannot read as it is (not UTF-8,
  ragged rows, ...), rows are parsed and checked in Python and inserted in batches.

Then the database itself finds duplicate keys and references to missing records,
and one ``INSERT ... SELECT`` merges the rows into the real table: new rows are
added, rows with a newer DateUpdated replace the stored ones (``ON CONFLICT``),
the rest are left alone. On PostgreSQL, a batch that is large next to what its
table holds (a CoC moving in) is merged with the table's secondary indexes and
foreign keys dropped, and they are built again at the end (``bulkload``; it
locks those tables until the import commits: see docs/import.md).

Structural errors (a missing file or column, a duplicate key, an unsafe archive)
roll everything back. Values outside their code lists are kept and flagged; rows
that cannot be stored (no key, a reference to nothing) are listed and skipped.
"""
from __future__ import annotations

import csv
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import Column, Integer, MetaData, Table, Text, and_, cast, false, func, literal, null, or_, select, true
from sqlalchemy.engine import Connection

from ..extensions import db
from ..hud import SPEC, HudColumn, HudFile, codelists, elements, formats, fy2024, snake_name
from ..models import HUD_MODELS, CustomDataElementDefinition, CustomDataElementValue, DataSource
from . import bulkload
from .checks import IssueLog
from .copystage import CopyStage
from .reader import CsvRows, ExportSource, Member, NotCsv, StructuralError
from .values import PARSERS, BadValue

BATCH_ROWS = 5000
#: First key of the PostgreSQL advisory lock an import holds on its data source.
IMPORT_LOCK = 0x484D4953  # "HMIS"
#: Its second key for the lock every import holds shared (no data source has id 0).
ALL_SOURCES = 0


@dataclass
class FileResult:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    warnings: int = 0
    seconds: float = 0.0


@dataclass
class ImportResult:
    status: str  #: imported, validated, rejected
    version: str | None
    source_key: str | None
    data_source_id: int | None
    files: dict[str, FileResult]
    log: IssueLog
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files.values())

    def summary(self) -> dict[str, Any]:
        return {name: {k: (round(v, 3) if isinstance(v, float) else v) for k, v in vars(r).items()}
                for name, r in self.files.items()}


@dataclass
class HeaderPlan:
    """How one file's header maps onto the spec: index of each spec column in a row."""

    hud_file: HudFile
    member: Member
    positions: list[int | None] = field(default_factory=list)  #: per spec column
    width: int = 0
    retired: dict[str, int] = field(default_factory=dict)  #: FY2024 column retired in FY2026 -> position


class Importer:
    """Run with ``Importer(path).run()`` inside an app context.

    :param source_key: which data source the rows belong to; default: the export's
        ImplementationID and SourceID, so re-importing the same system updates it.
    :param dry_run: check everything (staging included) and roll back: the
        validation an HMIS lead sees before confirming.
    """

    def __init__(self, path: Path | str, *, source_key: str | None = None, dry_run: bool = False,
                 progress: Callable[[int, str], None] | None = None, log: IssueLog | None = None):
        self.path = Path(path)
        self.source_key = source_key
        self.dry_run = dry_run
        self.progress = progress or (lambda percent, message: None)
        self.log = log or IssueLog()
        self.version: str | None = None
        self.files: dict[str, FileResult] = {}
        #: (file name, rows, what was dropped) of each table loaded on the bulk path, to build again at the end
        self.pending_rebuilds: list[tuple[str, int, bulkload.Deferred]] = []
        #: True once a source's first Client.csv was stored with its SSNs sealed (FileLoader._seal_ssns);
        #: otherwise what the import wrote to client.ssn is sealed at the end
        self.ssns_sealed = False
        self._alone = False

    # ----------------------------------------------------------------- run
    def run(self) -> ImportResult:
        started = time.perf_counter()
        data_source_id = None
        try:
            source = ExportSource(self.path, self.log)
        except StructuralError:
            return self._result("rejected", None, started)
        try:
            plans = self._plan(source)
            if self.log.has_errors:
                return self._result("rejected", None, started)
            with db.engine.connect() as connection:
                transaction = connection.begin()
                try:
                    if connection.dialect.name == "postgresql":
                        self._tune(connection)
                        # Every import holds this shared; one that rebuilds a table's indexes
                        # (bulkload) first makes sure it holds it alone, before it writes.
                        connection.execute(select(func.pg_advisory_xact_lock_shared(IMPORT_LOCK, ALL_SOURCES)))
                    data_source_id = self._data_source(connection)
                    if connection.dialect.name == "postgresql":
                        # One import per source at a time: a second waits, then merges into
                        # what the first stored (FileLoader._merge relies on it).
                        connection.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK, data_source_id)))
                    self._load_all(connection, source, plans, data_source_id)
                    if not self.log.has_errors and not self.dry_run and not self.ssns_sealed:
                        from ..access.sensitive import seal_plaintext_ssns  # issue 6: SSNs are kept encrypted
                        seal_plaintext_ssns(connection, data_source_id)  # what this import wrote to client.ssn
                    if not self.log.has_errors:
                        # After the sealing: it may rewrite every client row, cheaper without their indexes.
                        self._rebuild(connection)
                except BaseException:
                    transaction.rollback()
                    raise
                if self.log.has_errors or self.dry_run:
                    transaction.rollback()
                else:
                    transaction.commit()
        finally:
            source.close()
        if self.log.has_errors:
            return self._result("rejected", None, started)
        return self._result("validated" if self.dry_run else "imported",
                            None if self.dry_run else data_source_id, started)

    @staticmethod
    def _tune(connection: Connection) -> None:
        """Settings for this transaction only.

        An import is one transaction that can be run again: if the server crashed in
        the instant after its commit, losing it (never corrupting anything) is fine, so
        the commit need not wait for its WAL to reach the disk. Larger sort and hash
        memory lets index builds and the checks' joins run in memory.
        """
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        connection.exec_driver_sql("SET LOCAL work_mem = '64MB'")

    def alone(self, connection: Connection) -> bool:
        """True if no other import is running (and none can start until this one ends).

        A bulk load's DDL locks whole tables until commit; two imports doing that
        (or one doing it while another inserts rows) could each wait for the other.
        Holding this lock exclusively makes later imports wait at their start, before
        they hold anything; if another import already runs, the caller keeps to the
        row-by-row path instead of waiting.
        """
        if not self._alone:
            self._alone = bool(connection.scalar(select(func.pg_try_advisory_xact_lock(IMPORT_LOCK, ALL_SOURCES))))
        return self._alone

    def _rebuild(self, connection: Connection) -> None:
        """Build again what the bulk loads dropped (see bulkload), parents first.

        A dry run only checks the constraints: its index builds would be rolled back unused.
        """
        if self.pending_rebuilds:
            self.progress(97, "Building indexes")
        for filename, rows, deferred in self.pending_rebuilds:
            try:
                bulkload.rebuild(connection, deferred, indexes=not self.dry_run)
            except bulkload.RebuildFailed as failed:
                # The transaction is spoiled: the caller rolls it all back, schema included.
                self.log.add("constraint_failed", filename,
                             f"{filename}: after its {rows} rows were loaded into the table {failed.table}, "
                             f"the database constraint {failed.constraint} did not hold ({failed.detail}). "
                             "Nothing was imported. The importer's own checks should have caught this: "
                             "please report it with the export.")
                return

    def _result(self, status: str, data_source_id: int | None, started: float) -> ImportResult:
        return ImportResult(status, self.version, self.source_key, data_source_id, self.files, self.log,
                            time.perf_counter() - started)

    # ------------------------------------------------------------- headers
    def _plan(self, source: ExportSource) -> dict[str, HeaderPlan]:
        """Check every file's presence and header before reading any row."""
        known = {f.filename.lower() for f in SPEC}
        for key, member in source.members.items():
            if key not in known:
                self.log.add("extra_file", member.name, f"{member.name} is not an HMIS CSV file; it was ignored.")
        export_rows = self._read_export(source)
        self.version = self._detect_version(source, export_rows)
        plans: dict[str, HeaderPlan] = {}
        for hud_file in SPEC:
            member = source.find(hud_file.filename)
            if member is None:
                self.log.add("missing_file", hud_file.filename,
                             f"{hud_file.filename} is missing. An HMIS CSV export has all 24 files "
                             "(header-only when a file has no records).")
                continue
            with source.open_binary(member) as handle:
                try:
                    header = next(iter(CsvRows(handle, hud_file.filename, self.log)), None)
                except Exception as exc:  # noqa: BLE001 - csv.Error, zlib errors, bad CRC
                    self.log.add("unreadable_file", hud_file.filename, f"{hud_file.filename} cannot be read: {exc}")
                    continue
            if not header or not any(h.strip() for h in header):
                self.log.add("empty_file", hud_file.filename,
                             f"{hud_file.filename} is empty; it needs at least the header row.")
                continue
            plans[hud_file.name] = self._map_header(hud_file, member, header)
        return plans

    def _map_header(self, hud_file: HudFile, member: Member, header: list[str]) -> HeaderPlan:
        plan = HeaderPlan(hud_file, member, width=len(header))
        index: dict[str, int] = {}
        retired = {c.lower(): c for c in fy2024.RETIRED.get(hud_file.name, ())} if self.version == "2024" else {}
        for position, raw in enumerate(header):
            name = raw.strip().lower()
            if self.version == "2024":
                name = fy2024.RENAMED.get((hud_file.name, name), name).lower()
            if name in index:
                self.log.add("duplicate_column", hud_file.filename,
                             f"{hud_file.filename}: column {raw.strip()!r} appears twice in the header.", row=1,
                             column=raw.strip())
                continue
            if hud_file.column(name) is None:
                if name in retired and retired[name] not in plan.retired:
                    key = fy2024.retired_element(hud_file.name, retired[name])[0]
                    plan.retired[retired[name]] = position
                    self.log.add("retired_column", hud_file.filename,
                                 f"{hud_file.filename}: {raw.strip()} was retired in FY2026; its values are kept "
                                 f"as the custom data element {key}.", row=1, column=raw.strip())
                else:
                    self.log.add("extra_column", hud_file.filename,
                                 f"{hud_file.filename}: column {raw.strip()!r} is not in the FY2026 specification; "
                                 "ignored.", row=1, column=raw.strip())
                continue
            index[name] = position
        added = {c.lower() for c in fy2024.ADDED.get(hud_file.name, ())} if self.version == "2024" else set()
        for column in hud_file.columns:
            position = index.get(column.name.lower())
            plan.positions.append(position)
            if position is not None:
                continue
            if column.required and column.name.lower() not in added:
                self.log.add("missing_column", hud_file.filename,
                             f"{hud_file.filename} has no {column.name} column, which the specification requires.",
                             row=1, column=column.name, element=elements.describe(column))
            else:
                self.log.add("optional_column_missing", hud_file.filename,
                             f"{hud_file.filename} has no {column.name} column; imported as empty.",
                             row=1, column=column.name, element=elements.describe(column))
        return plan

    def _read_export(self, source: ExportSource) -> list[dict[str, str]]:
        member = source.find("Export.csv")
        if member is None:
            return []
        with source.open_binary(member) as handle:
            try:
                rows = list(CsvRows(handle, "Export.csv", self.log))
            except Exception:  # noqa: BLE001 - reported by the header pass
                return []
        if not rows:
            return []
        header = [h.strip().lower() for h in rows[0]]
        records = [dict(zip(header, (v.strip() for v in row))) for row in rows[1:] if any(row)]
        if len(records) > 1:
            self.log.add("export_rows", "Export.csv",
                         f"Export.csv has {len(records)} rows; an export describes itself in one. "
                         "The first row's source was used.")
        if records and not self.source_key:
            first = records[0]
            parts = [first.get("implementationid", ""), first.get("sourceid", "")]
            self.source_key = "/".join(p for p in parts if p) or first.get("sourcename") or None
        if not self.source_key:
            self.source_key = f"import:{self.path.name}"
        return records

    def _detect_version(self, source: ExportSource, export_rows: list[dict[str, str]]) -> str | None:
        stated = fy2024.version_of(export_rows[0].get("csvversion")) if export_rows else None
        if stated:
            return stated
        # No usable CSVVersion: tell FY2024 from FY2026 by a column that was renamed.
        member = source.find("Client.csv")
        if member is not None:
            with source.open_binary(member) as handle:
                header = next(iter(CsvRows(handle, "Client.csv", IssueLog())), []) or []
            if "hispaniclatinaeo" in {h.strip().lower() for h in header}:
                return "2024"
        stated_text = export_rows[0].get("csvversion") if export_rows else None
        if stated_text and any(old in stated_text for old in ("2022", "2020", "2019")):
            self.log.add("unknown_version", "Export.csv",
                         f"CSVVersion {stated_text!r}: only FY2024 and FY2026 exports are accepted.",
                         column="CSVVersion", value=stated_text)
        return "2026"

    # ---------------------------------------------------------------- load
    def _data_source(self, connection: Connection) -> int:
        table = DataSource.__table__
        found = connection.scalar(select(table.c.id).where(table.c.key == self.source_key))
        if found is not None:
            return found
        return connection.execute(
            table.insert().values(key=self.source_key, name=self.source_key[:200],
                                  created_dt=func.current_timestamp()).returning(table.c.id)
        ).scalar_one()

    def _load_all(self, connection: Connection, source: ExportSource, plans: dict[str, HeaderPlan],
                  data_source_id: int) -> None:
        total_bytes = sum(p.member.size for p in plans.values()) or 1
        done = 0
        for name, plan in plans.items():
            self.progress(int(90 * done / total_bytes), f"Reading {plan.hud_file.filename}")
            started = time.perf_counter()
            result = FileLoader(self, connection, source, plan, data_source_id).load()
            result.seconds = time.perf_counter() - started
            self.files[name] = result
            done += plan.member.size
        self.progress(95, "Checking households")


class FileLoader:
    """Stage, check and merge one file."""

    def __init__(self, importer: Importer, connection: Connection, source: ExportSource, plan: HeaderPlan,
                 data_source_id: int):
        self.importer = importer
        self.log = importer.log
        self.connection = connection
        self.source = source
        self.plan = plan
        self.file = plan.hud_file
        self.data_source_id = data_source_id
        self.target: Table = HUD_MODELS[self.file.name].__table__
        self.result = FileResult()
        self.postgres = connection.dialect.name == "postgresql"
        self.stage: Table  #: the typed stage table (or, on the COPY path, a view with its columns)
        self._copied: CopyStage | None = None  #: set when the file went through the COPY path
        self._line = 1  #: the last line read, for messages
        self._dependent = self._dependent_columns()

    @staticmethod
    def _retired_column(name: str) -> str:
        return f"fy2024_{snake_name(name)}"

    def _stage_columns(self) -> list[Column]:
        """row_no (the physical line), the spec's columns typed as in the target, the retired FY2024 ones."""
        columns = [Column("row_no", Integer)]
        columns += [Column(c.attr, self.target.c[c.attr].type) for c in self.file.columns]
        columns += [Column(self._retired_column(name), Text) for name in self.plan.retired]
        return columns

    def _stage_table(self) -> Table:
        stage = Table(f"stage_{self.file.table}", MetaData(), *self._stage_columns(), prefixes=["TEMPORARY"])
        stage.drop(self.connection, checkfirst=True)
        stage.create(self.connection)
        return stage

    def load(self) -> FileResult:
        warnings_before = self.log.total("warning")
        copied = CopyStage(self) if self.postgres else None
        if copied is not None and copied.stage():
            # PostgreSQL took the file's text as it is; the checks ran set-based.
            self._copied, self.stage = copied, copied.table()
            self.result.rows = copied.rows
        else:
            self.stage = self._stage_table()
            try:
                self._stage_rows()
            except (csv.Error, NotCsv, zipfile.BadZipFile, zlib.error, EOFError) as exc:
                # Unreadable past some point: the import is refused (nothing is kept),
                # and the message says where, so the export can be made again.
                self.log.add("unreadable_file", self.file.filename,
                             f"{self.file.filename} cannot be read past line {self._line}: {exc}.", row=self._line)
                self.stage.drop(self.connection)
                return self.result
        self._check_rows()
        if self.file.name == "Enrollment":
            self._check_households()
        self._merge()
        if self.plan.retired:
            self._keep_retired_values()
        if self._copied is not None:
            self._copied.drop()
        else:
            self.stage.drop(self.connection)
        self.result.warnings = self.log.total("warning") - warnings_before
        return self.result

    # ------------------------------------------------------------ parsing
    def _converters(self):
        """Per spec column: (row position, parser or None for text, column, valid codes, retired codes).

        A column the file lacks reads position ``width``: the empty string padded
        onto every row, so the hot loop needs no bounds checks.
        """
        plan = []
        for column, position in zip(self.file.columns, self.plan.positions):
            valid = retired = None
            # Row-dependent columns (Services TypeProvided, DisabilityResponse) are
            # checked per row against the list their row selects.
            if column.code_list and column.element not in codelists.ROW_DEPENDENT_COLUMNS:
                code_list = codelists.get(column.code_list)
                valid = frozenset(code_list.codes)
                retired = code_list.retired
            parser = None if column.type == "string" else PARSERS[column.type]
            plan.append((self.plan.width if position is None else position, parser, column, valid, retired,
                         position is not None and column.required))
        return plan

    def _stage_rows(self) -> None:
        """Read the file in batches of rows and stage each batch."""
        converters = self._converters()
        width = self.plan.width
        padding = [""] * (width + 1)
        filename = self.file.filename
        log = self.log
        lines: list[int] = []
        raws: list[list[str]] = []
        with self.source.open_binary(self.plan.member) as handle:
            rows = CsvRows(handle, filename, log)
            iterator = iter(rows)
            next(iterator, None)  # header
            previous_line = 1
            for raw in iterator:
                line = previous_line + 1
                previous_line = self._line = rows.line
                count = len(raw)
                if count != width:
                    if count == 0 or (count == 1 and not raw[0].strip()):
                        continue  # a blank line
                    log.add("wrong_field_count", filename,
                            f"{filename} line {line} has {count} fields; the header has {width}. "
                            "Values were matched by position as far as they go.", row=line)
                    raw = (raw + padding)[:width]
                raw.append("")  # position `width`: a column the file lacks
                lines.append(line)
                raws.append(raw)
                if len(raws) >= BATCH_ROWS:
                    self._stage_batch(converters, lines, raws)
                    lines, raws = [], []
        if raws:
            self._stage_batch(converters, lines, raws)

    def _stage_batch(self, converters, lines: list[int], raws: list[list[str]]) -> None:
        """Check and stage one batch, a column at a time.

        Working down columns lets each distinct value (a code, a date) be parsed
        and checked once per batch, with the per-row work done in C (set, map,
        zip); only rows holding a flagged value are visited one by one.
        """
        by_position = list(zip(*raws))
        typed = [self._column_values(by_position[position], lines, *rest) for position, *rest in converters]
        if self._dependent:
            self._check_dependent(typed, lines)
        retired = [[text.strip() or None for text in by_position[position]] for position in self.plan.retired.values()]
        rows = list(zip(lines, *typed, *retired))
        if None in typed[0]:  # rows without a key cannot be stored
            kept = []
            for row in rows:
                if row[1] is None:
                    self._reject_missing_key(row[0])
                    continue
                kept.append(row)
            rows = kept
        if rows:
            self._write(rows)

    def _reject_missing_key(self, line: int) -> None:
        self.result.rejected += 1
        self.log.add("missing_key", self.file.filename,
                     f"{self.file.filename} line {line} has no {self.file.key.name}; the row cannot be stored.",
                     row=line, column=self.file.key.name, element=self._element(self.file.key))

    def _column_values(self, texts: tuple[str, ...], lines: list[int], parser, column: HudColumn,
                       valid, retired, required: bool) -> list[Any]:
        log, filename = self.log, self.file.filename
        element = self._element(column)
        if parser is None:  # text: strip, check length and NUL, keep
            values = [text.strip() or None for text in texts]
            if required and None in values:
                for line, value in zip(lines, values):
                    if value is None:
                        log.add("missing_value", filename, f"{column.element} is required but empty.",
                                row=line, column=column.name, element=element)
            if column.max_length and max(map(len, texts)) > column.max_length:
                for line, value in zip(lines, values):
                    if value and len(value) > column.max_length:
                        log.add("too_long", filename,
                                f"{column.element} is {len(value)} characters; the specification allows "
                                f"{column.max_length}.", row=line, column=column.name, element=element)
            text_format = formats.format_of(column.name)
            if text_format is not None:
                pattern, described = text_format
                wrong = {value for value in set(values) if value is not None and not pattern.fullmatch(value)}
                if wrong:
                    for line, value in zip(lines, values):
                        if value in wrong:
                            log.add("bad_format", filename, f"{column.element}: should be {described}; kept as given.",
                                    row=line, column=column.name, value=value, element=element)
            if "\x00" in "".join(texts):
                for index, (line, value) in enumerate(zip(lines, values)):
                    if value and "\x00" in value:
                        values[index] = value.replace("\x00", "") or None
                        log.add("bad_type", filename, f"{column.element} held NUL characters; they were removed.",
                                row=line, column=column.name, element=element)
            return values

        converted: dict[str, Any] = {}
        problems: dict[str, Any] = {}  #: text -> BadValue, or the parsed value outside its list
        for text in set(texts):
            stripped = text.strip()
            if not stripped:
                converted[text] = None
                if required:
                    problems[text] = None
                continue
            try:
                value = parser(stripped)
            except BadValue as bad:
                converted[text] = None
                problems[text] = bad
                continue
            converted[text] = value
            if valid is not None and value not in valid:
                problems[text] = value
        values = list(map(converted.__getitem__, texts))
        if problems:
            for line, text in zip(lines, texts):
                if text not in problems:
                    continue
                problem = problems[text]
                if problem is None:
                    log.add("missing_value", filename, f"{column.element} is required but empty.",
                            row=line, column=column.name, element=element)
                elif isinstance(problem, BadValue):
                    log.add(problem.rule, filename, f"{column.element}: {problem}.", row=line, column=column.name,
                            value=text.strip(), element=element)
                else:
                    self._flag_code(column, problem, retired, line, text.strip())
        return values

    def _flag_code(self, column: HudColumn, value: Any, retired, line: int, text_value: str) -> None:
        if retired and value in retired:
            self.log.add("retired_code", self.file.filename,
                         f"{column.element}: code {value} was retired in FY2026 (list {column.code_list}).",
                         row=line, column=column.name, value=text_value, element=self._element(column))
            return
        name = codelists.get(column.code_list).name
        self.log.add("invalid_code", self.file.filename,
                     f"{column.element}: {value} is not a code of list {column.code_list} ({name}); kept as given.",
                     row=line, column=column.name, value=text_value, element=self._element(column))

    def _dependent_columns(self):
        """For each column whose list depends on its row: its index and the indexes it depends on."""
        index = {c.name: i for i, c in enumerate(self.file.columns)}
        return [(index[c.name], c, [(name, index[name]) for name in codelists.depends_on(c)])
                for c in self.file.columns if c.element in codelists.ROW_DEPENDENT_COLUMNS]

    def _check_dependent(self, typed: list[list[Any]], lines: list[int]) -> None:
        """Check each distinct (value, deciding values) combination once, then flag its rows."""
        for index, column, deciders in self._dependent:
            combos = list(zip(typed[index], *[typed[i] for _, i in deciders]))
            invalid = self._invalid_combos(column, deciders, set(combos))
            if not invalid:
                continue
            for line, combo in zip(lines, combos):
                if combo in invalid:
                    self._flag_combo(column, combo, invalid[combo], line)

    @staticmethod
    def _invalid_combos(column: HudColumn, deciders, combos) -> dict[tuple, str]:
        """(code, deciding values...) -> the list the row chose, for each combination whose code is not in it."""
        invalid = {}
        for combo in combos:
            code = combo[0]
            if code is None:
                continue
            row = {name: value for (name, _), value in zip(deciders, combo[1:])}
            list_id = codelists.list_for(column, row)
            if list_id and not codelists.is_valid(list_id, code, allow_retired=True):
                invalid[combo] = list_id
        return invalid

    def _flag_combo(self, column: HudColumn, combo: tuple, list_id: str, line: int) -> None:
        self.log.add("invalid_code", self.file.filename,
                     f"{column.element}: {combo[0]} is not valid here (list {list_id}, chosen by the row); "
                     "kept as given.", row=line, column=column.name, value=str(combo[0]),
                     element=self._element(column))

    def _element(self, column: HudColumn) -> str:
        """The HUD data element a column records, for issue reports ("3.03 Date of Birth")."""
        return elements.describe(column)

    def _write(self, batch: list[tuple[Any, ...]]) -> None:
        self.result.rows += len(batch)
        names = ["row_no"] + [c.attr for c in self.file.columns] + [self._retired_column(n) for n in self.plan.retired]
        if self.postgres:
            cursor = self.connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {self.stage.name} ({', '.join(names)}) FROM STDIN") as copy:
                for values in batch:
                    copy.write_row(values)
            cursor.close()
        else:
            processors = self._processors(names)
            columns = [list(map(p, column)) if p else column for p, column in zip(processors, zip(*batch))]
            placeholders = ", ".join("?" for _ in names)
            self.connection.exec_driver_sql(
                f"INSERT INTO {self.stage.name} ({', '.join(names)}) VALUES ({placeholders})", list(zip(*columns)))

    def _processors(self, names: list[str]):
        if not hasattr(self, "_bind_processors"):
            dialect = self.connection.dialect
            self._bind_processors = [self.stage.c[n].type._cached_bind_processor(dialect) for n in names]
        return self._bind_processors

    def _keep_retired_values(self) -> None:
        """Store the FY2024 columns FY2026 retired as custom data values of the rows just merged.

        A later import of the same rows replaces them (the previous values are
        deleted first: the value table's key includes nullable columns, so an
        upsert cannot find them).
        """
        values = CustomDataElementValue.__table__
        stage, target, key = self.stage, self.target, self.file.key.attr
        match = and_(target.c.data_source_id == self.data_source_id, target.c[key] == stage.c[key])
        for name, position in self.plan.retired.items():
            definition_id, owner, value_type = _retired_definition(self.connection, self.file.name, name)
            column = stage.c[self._retired_column(name)]
            owners = select(target.c.id).select_from(stage.join(target, match)).where(column.is_not(None))
            self.connection.execute(values.delete().where(
                values.c.definition_id == definition_id, values.c.owner_type == owner, values.c.owner_id.in_(owners)))
            if value_type == "integer":
                # Only whole numbers become values; anything else is reported, not guessed at.
                bad = self.connection.execute(
                    select(stage.c.row_no, column).where(column.is_not(None)).order_by(stage.c.row_no)).all()
                bad = [(row, text) for row, text in bad if not _is_whole_number(text)]
                for row, text in bad:
                    self.log.add("bad_type", self.file.filename,
                                 f"{self.file.name}.{name} (retired): {text!r} is not a whole number; not kept.",
                                 row=row, column=name, value=text, element=f"{self.file.name}.{name}")
                value = cast(column, Integer)
                keep = column.is_not(None) & column.not_in([text for _, text in bad]) if bad else column.is_not(None)
                value_column = "value_integer"
            else:
                value, keep, value_column = column, column.is_not(None), "value_string"
            self.connection.execute(values.insert().from_select(
                ["definition_id", "owner_type", "owner_id", value_column, "created_dt", "updated_dt"],
                select(literal(definition_id), literal(owner), target.c.id, value,
                       func.current_timestamp(), func.current_timestamp())
                .select_from(stage.join(target, match)).where(keep)))

    # ------------------------------------------------------------- checks
    def _key(self, table: Table):
        return table.c[self.file.key.attr]

    def _reference_columns(self) -> list[HudColumn]:
        """The columns that must name a stored (or just loaded) parent record."""
        return list(self.file.references)

    def _check_rows(self) -> None:
        """Missing keys, duplicate keys, references to nothing and unknown users, in one pass.

        One scan of the stage, joined to every parent table and to the users, returns
        only the rows with a problem; each is judged here as the checks would judge it
        one after another (a row already dropped by one is not flagged by a later one),
        and the issues are logged in that order. Then one delete drops what cannot be stored.
        """
        found = self._problem_rows()
        references = self._reference_columns()
        missing: list[int] = []
        groups: dict[Any, list[int]] = {}  #: duplicated key -> its lines
        orphans: list[list[tuple[int, Any]]] = [[] for _ in references]
        unknown_users: list[tuple[int, Any]] = []
        for batch in found.partitions(BATCH_ROWS):
            for row_no, key, no_key, copies, unknown_user, user_id, *refs in batch:
                if no_key:
                    missing.append(row_no)
                    continue
                if copies > 1:
                    lines = groups.setdefault(key, [])
                    lines.append(row_no)
                    if len(lines) > 1:  # rows come in line order: only the first of each stays
                        continue
                failed = next((i for i, orphan in enumerate(refs[0::2]) if orphan), None)
                if failed is not None:
                    orphans[failed].append((row_no, refs[2 * failed + 1]))
                elif unknown_user and len(unknown_users) <= self.log.detail_limit:
                    unknown_users.append((row_no, user_id))
        found.close()
        for line in missing:
            self._reject_missing_key(line)
        self.result.rows -= len(missing)
        self._flag_duplicates(groups)
        for column, rejected in zip(references, orphans):
            self._flag_orphans(column, rejected)
        for row_no, user_id in unknown_users:
            self.log.add("unknown_user", self.file.filename, f"UserID {user_id!r} is not in User.csv.",
                         row=row_no, column="UserID", value=user_id, element=self._element(self.file.column("UserID")))
        # A duplicate key keeps its first row, so later files can still be checked (nothing is committed).
        dropped = missing + [line for lines in groups.values() for line in lines[1:]]
        dropped += [row_no for rejected in orphans for row_no, _ in rejected]
        row_no = self.stage.c.row_no
        for start in range(0, len(dropped), BATCH_ROWS):
            self.connection.execute(self.stage.delete().where(row_no.in_(dropped[start:start + BATCH_ROWS])))

    def _problem_rows(self):
        """(row_no, key, no key?, copies of the key, unknown user?, user id, then per reference:
        orphan?, value), for the staged rows with any of those problems, in line order (streamed)."""
        references = self._reference_columns()
        stage = self.stage
        checks_users = self.file.name != "User" and "user_id" in stage.c
        key = self._key(stage)
        # Copies of a key are found by sorting on it: byte order (COLLATE "C") sorts several times
        # faster than the database's collation, and finds the same equal keys.
        partition = key.collate("C") if self.postgres and key.type.python_type is str else key
        joined = stage
        flags_and_values = []
        for index, column in enumerate(references):
            parent_name, parent_column = column.references.split(".")
            parent = HUD_MODELS[parent_name].__table__.alias(f"parent_{index}")
            parent_key = parent.c[SPEC[parent_name].column(parent_column).attr]
            child_value = stage.c[column.attr]
            # An outer join, not "NOT EXISTS": one hash join per parent. An empty reference matches nothing.
            joined = joined.outerjoin(parent, and_(parent.c.data_source_id == self.data_source_id,
                                                   parent_key == child_value))
            flags_and_values += [parent.c.id.is_(None), child_value]
        if checks_users:
            users = HUD_MODELS["User"].__table__.alias("known_user")
            joined = joined.outerjoin(users, and_(users.c.data_source_id == self.data_source_id,
                                                  users.c.user_id == stage.c.user_id))
            user_id, unknown_user = stage.c.user_id, and_(stage.c.user_id.is_not(None), users.c.id.is_(None))
        else:
            user_id, unknown_user = null(), false()
        rows = select(
            stage.c.row_no, key.label("checked_key"), key.is_(None).label("no_key"),
            func.count().over(partition_by=partition).label("copies"),
            unknown_user.label("unknown_user"), user_id.label("checked_user"),
            *[value.label(f"ref_{i}") for i, value in enumerate(flags_and_values)],
        ).select_from(joined).subquery()
        flags = [rows.c.no_key, rows.c.copies > 1, rows.c.unknown_user]
        flags += [rows.c[f"ref_{i}"] for i in range(0, len(flags_and_values), 2)]
        return self.connection.execute(
            select(*rows.c).where(or_(*flags)).order_by(rows.c.row_no),
            execution_options={"stream_results": True, "yield_per": BATCH_ROWS})

    def _flag_duplicates(self, groups: dict[Any, list[int]]) -> None:
        # At most 1000 keys in detail: the import is refused anyway, the first ones show why.
        key = self.file.key
        for value, lines in list(groups.items())[:1000]:
            self.log.add("duplicate_key", self.file.filename,
                         f"{key.name} {value!r} appears {len(lines)} times in {self.file.filename} "
                         f"(first at line {lines[0]}). Each record needs its own identifier.",
                         row=lines[0], column=key.name, value=str(value), element=self._element(key))

    def _flag_orphans(self, column: HudColumn, orphans: list[tuple[int, Any]]) -> None:
        parent_name = column.references.split(".")[0]
        for row_no, value in orphans:
            if value is None:
                message = f"{self.file.filename} line {row_no} has no {column.name}; the row cannot be stored."
            else:
                message = (f"{column.name} {value!r} is not in {parent_name}.csv (nor already stored); "
                           "the row cannot be stored.")
            self.log.add("orphan", self.file.filename, message, row=row_no, column=column.name,
                         value=None if value is None else str(value), element=self._element(column))
        self.result.rejected += len(orphans)

    def _check_households(self) -> None:
        """A HouseholdID belongs to one household's stay in one project (HUD 5.09)."""
        stage = self.stage
        reused = (
            select(stage.c.household_id)
            .where(stage.c.household_id.is_not(None))
            .group_by(stage.c.household_id)
            .having(or_(func.count(func.distinct(stage.c.project_id)) > 1,
                        func.count() > func.count(func.distinct(stage.c.personal_id))))
        )
        rows = self.connection.execute(
            select(stage.c.row_no, stage.c.household_id).where(stage.c.household_id.in_(reused))
            .order_by(stage.c.row_no).limit(5000)
        ).all()
        for row_no, household_id in rows:
            self.log.add("household_reused", self.file.filename,
                         f"HouseholdID {household_id!r} is used for more than one project stay; "
                         "each household stay needs its own HouseholdID.",
                         row=row_no, column="HouseholdID", value=household_id, element=self._element(self.file.column("HouseholdID")))

    # -------------------------------------------------------------- merge
    def _merge(self) -> None:
        stage, target = self.stage, self.target
        key = self.file.key.attr
        match = and_(target.c.data_source_id == self.data_source_id, target.c[key] == stage.c[key])
        has_updated = "date_updated" in stage.c
        newer = (or_(stage.c.date_updated > target.c.date_updated, target.c.date_updated.is_(None),
                     stage.c.date_updated.is_(None)) if has_updated else true())
        deleted_rows = func.count(stage.c.date_deleted) if "date_deleted" in stage.c else literal(0)
        # A source's first import (no stored rows; Importer.run holds the source's
        # lock) needs neither the join nor ON CONFLICT's per-row speculative insert.
        first = self.connection.scalar(
            select(literal(1)).where(target.c.data_source_id == self.data_source_id).limit(1)) is None
        if first:
            staged, deleted = self.connection.execute(select(func.count(), deleted_rows).select_from(stage)).one()
            existing = updated = 0
        else:
            counts = self.connection.execute(
                select(func.count(), func.count(target.c.id), func.sum(_case(and_(target.c.id.is_not(None), newer))),
                       deleted_rows).select_from(stage.outerjoin(target, match))
            ).one()
            staged, existing, updated, deleted = counts[0], counts[1], counts[2] or 0, counts[3] or 0
        self.result.inserted = staged - existing
        self.result.updated = updated
        self.result.unchanged = existing - updated
        self.result.deleted = deleted
        if staged == 0:
            return

        columns = [c.attr for c in self.file.columns]
        values = {c: stage.c[c] for c in columns}
        rows_from = stage
        # A source's first clients get their SSNs sealed here (issue 6): each client row is
        # written once, with the masked SSN, instead of written plain and rewritten masked.
        sealed = self._seal_ssns() if first and self.file.name == "Client" and not self.importer.dry_run else None
        if sealed is not None:
            rows_from = stage.outerjoin(sealed, sealed.c.personal_id == stage.c.personal_id)
            values["ssn"] = sealed.c.masked  # empty exactly where the staged SSN is
        insert = _dialect_insert(self.connection)(target)
        source_rows = select(literal(self.data_source_id), *values.values()).select_from(rows_from).where(true())
        statement = insert.from_select(["data_source_id", *columns], source_rows)
        if self.postgres and bulkload.worth_it(self.connection, target.name, staged) and self.importer.alone(
                self.connection):
            self._bulk_merge(statement if first else self._upsert(statement, has_updated), keep_unique=not first,
                             rows=staged)
        elif first:
            self.connection.execute(statement)
        else:
            self.connection.execute(self._upsert(statement, has_updated))
        if sealed is not None:
            self._store_sealed(sealed)

    def _seal_ssns(self) -> Table:
        """Encrypt every staged SSN into a temporary table of (PersonalID, what client_ssn keeps)."""
        from ..access import crypto, sensitive

        kept_columns = [Column(c.name, c.type) for c in sensitive.CLIENT_SSN.c
                        if c.name not in ("client_id", "updated_dt")]
        sealed = Table("sealed_ssn", MetaData(), Column("personal_id", self.target.c.personal_id.type), *kept_columns,
                       prefixes=["TEMPORARY"])
        sealed.drop(self.connection, checkfirst=True)
        sealed.create(self.connection)
        cipher = crypto.cipher()
        found = self.connection.execute(
            select(self.stage.c.personal_id, self.stage.c.ssn).where(self.stage.c.ssn.is_not(None)),
            execution_options={"stream_results": True, "yield_per": BATCH_ROWS})
        names = [c.name for c in sealed.c]
        for batch in found.partitions(BATCH_ROWS):
            rows = []
            for personal_id, ssn in batch:
                kept = sensitive.seal(ssn, cipher)
                rows.append({"personal_id": personal_id, "ssn_encrypted": kept.encrypted, "ssn_hash": kept.lookup_hash,
                             "key_id": kept.key_id, "masked": kept.masked, "ssn_valid": kept.valid})
            if self.postgres:
                cursor = self.connection.connection.driver_connection.cursor()
                with cursor.copy(f"COPY {sealed.name} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([row[name] for name in names])
                cursor.close()
            else:
                self.connection.execute(sealed.insert(), rows)
        found.close()
        return sealed

    def _store_sealed(self, sealed: Table) -> None:
        """Keep the sealed SSNs in client_ssn, each with the client it was staged for, and drop the table."""
        from ..access import sensitive
        from ..models.core import utcnow

        kept = sensitive.CLIENT_SSN
        names = [c.name for c in sealed.c if c.name != "personal_id"]
        match = and_(self.target.c.data_source_id == self.data_source_id,
                     self.target.c.personal_id == sealed.c.personal_id)
        self.connection.execute(kept.insert().from_select(
            ["client_id", *names, "updated_dt"],
            select(self.target.c.id, *[sealed.c[n] for n in names], literal(utcnow(), kept.c.updated_dt.type))
            .select_from(sealed.join(self.target, match))))
        sealed.drop(self.connection)
        self.importer.ssns_sealed = True

    def _upsert(self, statement, has_updated: bool):
        """The merge for a source with stored rows: newer rows replace stored ones, older ones are skipped."""
        target, key = self.target, self.file.key.attr
        columns = [c.attr for c in self.file.columns]
        update_columns = {c: statement.excluded[c] for c in columns if c != key}
        if has_updated:
            condition = or_(statement.excluded.date_updated > target.c.date_updated,
                            target.c.date_updated.is_(None), statement.excluded.date_updated.is_(None))
        else:
            condition = None
        return statement.on_conflict_do_update(index_elements=["data_source_id", key], set_=update_columns,
                                               where=condition)

    def _bulk_merge(self, statement, keep_unique: bool, rows: int) -> None:
        """Merge without the table's secondary indexes and foreign keys (see bulkload).

        ``Importer.run`` builds them again once every file is in; if a constraint
        then does not hold, the import is refused and its rollback restores them.
        """
        deferred = bulkload.read_deferrable(self.connection, self.target.name, keep_unique)
        bulkload.drop(self.connection, deferred)
        self.connection.execute(statement)
        self.importer.pending_rebuilds.append((self.file.filename, rows, deferred))


def _retired_definition(connection: Connection, file: str, column: str) -> tuple[int, str, str]:
    """The custom element holding a retired FY2024 column: (id, owner type, value type), created if new."""
    key, label, owner, value_type = fy2024.retired_element(file, column)
    table = CustomDataElementDefinition.__table__
    found = connection.scalar(select(table.c.id).where(table.c.key == key))
    if found is None:
        found = connection.execute(table.insert().values(
            key=key, label=label, owner_type=owner, value_type=value_type, repeats=False,
            created_dt=func.current_timestamp()).returning(table.c.id)).scalar_one()
    return found, owner, value_type


def _case(condition):
    from sqlalchemy import case

    return case((condition, 1), else_=0)


def _is_whole_number(text: str) -> bool:
    text = text.strip()
    return (text[1:] if text[:1] == "-" else text).isdigit() and len(text) < 10


def _dialect_insert(connection: Connection):
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def import_export(path: Path | str, **options: Any) -> ImportResult:
    """Import an export (zip or folder) and return what happened."""
    return Importer(path, **options).run()
