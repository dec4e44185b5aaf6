"""Write a spec-exact FY2026 HMIS CSV export (a zip of the 24 files).

What a date range includes (HUD's "reporting period" export): enrollments active in
the period (entered on or before its end, and not exited before its start); every
enrollment-level record of those enrollments (entry data is often collected before
the period); dated events (services, current living situation, CE assessments and
events) only when dated inside the period; the clients of those enrollments; the
projects asked for (or, with none named, the projects of those enrollments and the
projects operating in the period) with their organizations and descriptor records;
and the users who created any exported record. Deleted records are left out.
"""
from __future__ import annotations

import csv
import io
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

from sqlalchemy import Select, String, and_, case, cast, func, literal, or_, select
from sqlalchemy.engine import Connection

from .. import __version__
from ..access import crypto, sensitive
from ..extensions import db
from ..hud import SPEC, HudColumn, HudFile
from ..models import HUD_MODELS
from .hashing import HASHED_COLUMNS

CLIENT_SSN = sensitive.CLIENT_SSN

CSV_VERSION = "2026 v1.0"
SOFTWARE_NAME = "Open HMIS"

#: Enrollment-level files whose records are dated events, limited to the period.
DATED_EVENTS = {
    "Services": "date_provided",
    "CurrentLivingSituation": "information_date",
    "Assessment": "assessment_date",
    "Event": "event_date",
}
PROJECT_DESCRIPTORS = ("Funder", "ProjectCoC", "Inventory", "HMISParticipation", "CEParticipation", "Affiliation")
ENROLLMENT_CHILDREN = ("Exit", "IncomeBenefits", "HealthAndDV", "EmploymentEducation", "Disabilities", "Services",
                       "CurrentLivingSituation", "Assessment", "AssessmentQuestions", "AssessmentResults", "Event",
                       "YouthEducationStatus")


class ExportError(ValueError):
    """The export cannot be made as asked (the message says why)."""


@dataclass
class ExportOptions:
    start: date | None = None
    end: date | None = None
    project_ids: Sequence[str] = ()
    hashed: bool = False
    data_source_ids: Sequence[int] = ()
    source_name: str = SOFTWARE_NAME
    source_id: str | None = None  #: the CoC code, for Export.SourceID
    #: Only enrollments meeting this SQL condition (and their clients' records): the
    #: privacy policy's scope for whoever asked (hmis.access.policy); None exports all.
    enrollment_condition: Any = None

    def check(self) -> None:
        if (self.start is None) != (self.end is None):
            raise ExportError("give both --start and --end, or neither")
        if self.start and self.end and self.end < self.start:
            raise ExportError(f"the end date {self.end} is before the start date {self.start}")


@dataclass
class ExportResult:
    path: Path
    export_id: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


class Exporter:
    def __init__(self, options: ExportOptions):
        options.check()
        self.options = options
        self.export_id = uuid.uuid4().hex
        self.tables = {name: model.__table__ for name, model in HUD_MODELS.items()}

    # ------------------------------------------------------------ scoping
    def _alive(self, table) -> list:
        conditions = [table.c.date_deleted.is_(None)] if "date_deleted" in table.c else []
        if self.options.data_source_ids:
            conditions.append(table.c.data_source_id.in_(self.options.data_source_ids))
        return conditions

    def _enrollments(self) -> Select:
        """(data_source_id, enrollment_id) of the enrollments the export includes."""
        enrollment, exit_ = self.tables["Enrollment"], self.tables["Exit"]
        query = select(enrollment.c.data_source_id, enrollment.c.enrollment_id).where(*self._alive(enrollment))
        if self.options.project_ids:
            query = query.where(enrollment.c.project_id.in_(self.options.project_ids))
        if self.options.enrollment_condition is not None:
            query = query.where(self.options.enrollment_condition)
        if self.options.start:
            exited_before = select(exit_.c.id).where(
                exit_.c.data_source_id == enrollment.c.data_source_id,
                exit_.c.enrollment_id == enrollment.c.enrollment_id,
                exit_.c.date_deleted.is_(None),
                exit_.c.exit_date < self.options.start,
            ).exists()
            query = query.where(enrollment.c.entry_date <= self.options.end, ~exited_before)
        return query

    def _projects(self) -> Select:
        project, enrollment = self.tables["Project"], self.tables["Enrollment"]
        query = select(project.c.data_source_id, project.c.project_id).where(*self._alive(project))
        if self.options.project_ids:
            return query.where(project.c.project_id.in_(self.options.project_ids))
        if not self.options.start:
            return query
        included = self._enrollments().subquery()
        has_enrollment = select(included.c.enrollment_id).join(
            enrollment, and_(enrollment.c.data_source_id == included.c.data_source_id,
                             enrollment.c.enrollment_id == included.c.enrollment_id)
        ).where(enrollment.c.data_source_id == project.c.data_source_id,
                enrollment.c.project_id == project.c.project_id).exists()
        operating = and_(or_(project.c.operating_start_date.is_(None), project.c.operating_start_date <= self.options.end),
                         or_(project.c.operating_end_date.is_(None), project.c.operating_end_date >= self.options.start))
        return query.where(or_(has_enrollment, operating))

    def _query(self, hud_file: HudFile, scopes: dict[str, Any]) -> Select:
        table = self.tables[hud_file.name]
        columns = [table.c[c.attr] for c in hud_file.columns]
        query = select(*columns).where(*self._alive(table))
        name = hud_file.name

        filtered = bool(self.options.start or self.options.project_ids
                        or self.options.enrollment_condition is not None)
        if name == "Export":
            return None
        if not filtered:
            pass  # everything that is not deleted
        elif name == "Project":
            scope = scopes["projects"]
            query = query.where(_in_scope(table, "project_id", scope))
        elif name == "Organization":
            project = self.tables["Project"]
            scope = scopes["projects"]
            orgs = select(project.c.data_source_id, project.c.organization_id).where(
                _in_scope(project, "project_id", scope))
            query = query.where(_in_scope(table, "organization_id", orgs))
        elif name in PROJECT_DESCRIPTORS:
            query = query.where(_in_scope(table, "project_id", scopes["projects"]))
        elif name == "Enrollment":
            query = query.where(_in_scope(table, "enrollment_id", scopes["enrollments"]))
        elif name in ENROLLMENT_CHILDREN:
            query = query.where(_in_scope(table, "enrollment_id", scopes["enrollments"]))
            dated = DATED_EVENTS.get(name)
            if dated and self.options.start:
                query = query.where(table.c[dated].between(self.options.start, self.options.end))
        elif name == "Client":
            enrollment = self.tables["Enrollment"]
            people = select(enrollment.c.data_source_id, enrollment.c.personal_id).where(
                _in_scope(enrollment, "enrollment_id", scopes["enrollments"]))
            query = query.where(_in_scope(table, "personal_id", people))
        elif name == "User":
            pass  # all users: small, and any exported record may name one
        # No ORDER BY: HUD does not ask for an order, and sorting the largest files
        # (millions of Disabilities rows) doubled the export time.
        return query

    # -------------------------------------------------------------- write
    def write(self, out: Path) -> ExportResult:
        started = time.perf_counter()
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        result = ExportResult(out, self.export_id)
        scopes = {"enrollments": self._enrollments(), "projects": self._projects()}
        temporary = out.with_name(out.name + ".partial")
        with db.engine.connect() as connection, zipfile.ZipFile(
                temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=5) as archive:
            if connection.dialect.name == "postgresql":
                # One consistent snapshot for all 24 files.
                connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self.primary_source = self._primary_source(connection)
            for hud_file in SPEC:
                with archive.open(hud_file.filename, "w", force_zip64=True) as raw:
                    stream = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                    writer = csv.writer(stream, lineterminator="\n")
                    writer.writerow([c.name for c in hud_file.columns])
                    if hud_file.name == "Export":
                        writer.writerow(self._export_row(connection))
                        result.rows["Export"] = 1
                    else:
                        stream.flush()
                        result.rows[hud_file.name] = self._write_rows(connection, hud_file, scopes, writer, raw)
                    stream.flush()
                    stream.detach()
        temporary.replace(out)  # never leave a half-written export under the real name
        result.seconds = time.perf_counter() - started
        return result

    def _write_rows(self, connection: Connection, hud_file: HudFile, scopes, writer, raw) -> int:
        query = self._query(hud_file, scopes)
        # Client.csv stays in Python: its SSNs are decrypted per row (client.ssn is masked).
        if connection.dialect.name == "postgresql" and not self.options.hashed and hud_file.name != "Client":
            return self._copy_rows(connection, hud_file, query, raw)
        hashers = [HASHED_COLUMNS.get((hud_file.name, c.name)) if self.options.hashed else None
                   for c in hud_file.columns]
        export_position = next((i for i, c in enumerate(hud_file.columns) if c.name == "ExportID"), None)
        identifiers = [i for i, c in enumerate(hud_file.columns) if is_identifier(c)]
        table = self.tables[hud_file.name]
        query = query.add_columns(table.c.data_source_id)
        ssn_position = next((i for i, c in enumerate(hud_file.columns) if c.name == "SSN"), None) \
            if hud_file.name == "Client" else None
        if ssn_position is not None:
            query = query.outerjoin(CLIENT_SSN, CLIENT_SSN.c.client_id == table.c.id) \
                .add_columns(CLIENT_SSN.c.ssn_encrypted, CLIENT_SSN.c.masked)
        count = 0
        result = connection.execution_options(stream_results=True, yield_per=5000).execute(query)
        for partition in result.partitions(5000):
            rows = []
            for *row, source in (self._with_ssns(partition, ssn_position) if ssn_position is not None else partition):
                values = [_format(v) for v in row]
                if source != self.primary_source:
                    for i in identifiers:
                        if values[i]:
                            values[i] = f"s{source}_{values[i]}"
                if export_position is not None:
                    values[export_position] = self.export_id
                for i, hasher in enumerate(hashers):
                    if hasher and values[i]:
                        values[i] = hasher(values[i])
                rows.append(values)
            writer.writerows(rows)
            count += len(rows)
        return count

    @staticmethod
    def _with_ssns(partition, position: int):
        """Client rows with the SSN decrypted in place of the masked ``client.ssn``."""
        cipher = crypto.cipher()
        for *row, source, token, masked in partition:
            if token is not None and row[position] == masked:
                row[position] = cipher.decrypt(token)
            yield (*row, source)

    def _copy_rows(self, connection: Connection, hud_file: HudFile, query: Select, raw) -> int:
        """PostgreSQL formats and quotes the rows itself (``COPY ... TO``): same output, far faster."""
        table = self.tables[hud_file.name]
        formatted = []
        for column in hud_file.columns:
            value = table.c[column.attr]
            if column.name == "ExportID":
                formatted.append(literal(self.export_id))
            elif column.type == "datetime":
                formatted.append(func.to_char(value, "YYYY-MM-DD HH24:MI:SS"))
            elif column.type == "date":
                formatted.append(func.to_char(value, "YYYY-MM-DD"))
            elif column.type == "money":
                formatted.append(func.to_char(value, "FM9999999990.00"))
            elif is_identifier(column):
                formatted.append(case((table.c.data_source_id == self.primary_source, value),
                                      else_=literal("s") + cast(table.c.data_source_id, String) + "_" + value))
            else:
                formatted.append(value)
        query = query.with_only_columns(*formatted, maintain_column_froms=True)
        sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for data in copy:
                raw.write(data)
        count = cursor.rowcount
        cursor.close()
        return count

    def _primary_source(self, connection: Connection) -> int | None:
        """The data source whose identifiers are written as they are.

        Records of any other source in the same export get an ``s<id>_`` prefix
        on every identifier, so two systems' PersonalID "1" stay two people.
        """
        enrollment, client = self.tables["Enrollment"], self.tables["Client"]
        sources = set(connection.scalars(select(client.c.data_source_id).distinct()))
        sources |= set(connection.scalars(select(enrollment.c.data_source_id).distinct()))
        if self.options.data_source_ids:
            sources &= set(self.options.data_source_ids)
        return min(sources) if sources else None

    def _export_row(self, connection: Connection) -> list[str]:
        options = self.options
        start, end = options.start, options.end
        if start is None:
            enrollment = self.tables["Enrollment"]
            first = connection.scalar(select(enrollment.c.entry_date).where(*self._alive(enrollment))
                                      .order_by(enrollment.c.entry_date).limit(1))
            start, end = first or date.today(), date.today()
        values = {
            "ExportID": self.export_id,
            "SourceType": 1 if options.source_id else 4,
            "SourceID": options.source_id or "",
            "SourceName": options.source_name,
            "ExportDate": datetime.now().replace(microsecond=0),
            "ExportStartDate": start,
            "ExportEndDate": end,
            "SoftwareName": SOFTWARE_NAME,
            "SoftwareVersion": __version__,
            "CSVVersion": CSV_VERSION,
            "ExportPeriodType": 3 if options.start else 4,
            "ExportDirective": 2,
            "HashStatus": 4 if options.hashed else 1,
            "ImplementationID": options.source_name,
        }
        return [_format(values.get(c.name)) for c in SPEC["Export"].columns]


def is_identifier(column: HudColumn) -> bool:
    """Columns holding a record identifier (keys, references, HouseholdID, UserID)."""
    is_key = column.position == 1 and column.file != "Export"
    return is_key or bool(column.references) or column.name in ("HouseholdID", "UserID")


def _in_scope(table, key: str, scope: Select):
    """``(table.data_source_id, table.key) IN (scope)``, written as EXISTS for SQLite's sake."""
    sub = scope.subquery()
    first, second = list(sub.c)
    return select(first).where(first == table.c.data_source_id, second == table.c[key]).exists()


def export_csv(out: Path | str, **options: Any) -> ExportResult:
    """Write an export; ``options`` are the fields of ``ExportOptions``."""
    return Exporter(ExportOptions(**options)).write(Path(out))
