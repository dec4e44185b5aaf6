"""The FY2026 HMIS CSV specification: files, ordered columns, types and keys.

The data lives in ``data/columns_fy2026.csv`` (derived from HUD's column list);
this module turns it into small immutable objects. It is loaded once at import.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources

#: The value types a HUD column can hold, as the importer and models see them.
COLUMN_TYPES = ("string", "integer", "money", "date", "datetime")

#: The standard tail every record file ends with (User.csv lacks UserID).
TAIL_COLUMNS = ("DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID")

#: The order files are loaded in: parents before children, so references resolve.
LOAD_ORDER = (
    "Export", "User", "Organization", "Project", "Funder", "ProjectCoC", "Inventory",
    "Affiliation", "HMISParticipation", "CEParticipation", "Client", "Enrollment",
    "Exit", "IncomeBenefits", "HealthAndDV", "EmploymentEducation", "Disabilities",
    "Services", "CurrentLivingSituation", "Assessment", "AssessmentQuestions",
    "AssessmentResults", "Event", "YouthEducationStatus",
)

_FIRST_CAP = re.compile(r"(.)([A-Z][a-z]+)")
_ALL_CAP = re.compile(r"([a-z0-9])([A-Z])")


def snake_name(hud_name: str) -> str:
    """Turn a HUD CamelCase name into the snake_case name our tables use.

    >>> snake_name("DOBDataQuality"), snake_name("HoHLeaseholder"), snake_name("EnrollmentCoC")
    ('dob_data_quality', 'hoh_leaseholder', 'enrollment_coc')
    """
    # HUD spells a few acronyms in mixed case (HoH, TCell); fold them first so
    # every variant of a header maps to one column name.
    name = hud_name.replace("HoH", "HOH").replace("TCell", "TCELL").replace("CoC", "Coc")
    name = _FIRST_CAP.sub(r"\1_\2", name)
    name = _ALL_CAP.sub(r"\1_\2", name)
    return name.lower().replace("tcell", "t_cell")


@dataclass(frozen=True)
class HudColumn:
    """One column of one HMIS CSV file."""

    file: str
    position: int
    name: str  #: HUD's spelling, written as-is on export
    type: str  #: one of COLUMN_TYPES
    required: bool
    max_length: int | None = None
    code_list: str | None = None  #: id of a list in codelists.yaml
    references: str | None = None  #: "File.Column" this column points to

    @cached_property  # read for every cell of an import: compute once
    def attr(self) -> str:
        """The snake_case attribute and database column name."""
        return snake_name(self.name)

    @property
    def element(self) -> str:
        """Where a person finds this column: ``Client.DOB``."""
        return f"{self.file}.{self.name}"


@dataclass(frozen=True)
class HudFile:
    """One of the 24 files of an HMIS CSV export."""

    name: str
    columns: tuple[HudColumn, ...]
    by_lower: dict[str, HudColumn] = field(repr=False, compare=False)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def key(self) -> HudColumn:
        """The primary key column: always the first column."""
        return self.columns[0]

    @property
    def table(self) -> str:
        """The database table name (HUD's User and Export get a prefix: reserved words)."""
        return {"User": "hud_user", "Export": "hud_export"}.get(self.name, snake_name(self.name))

    def column(self, name: str) -> HudColumn | None:
        """Find a column by name, ignoring case (HUD exports vary in header case)."""
        return self.by_lower.get(name.lower())

    @property
    def references(self) -> tuple[HudColumn, ...]:
        return tuple(c for c in self.columns if c.references)


@dataclass(frozen=True)
class Spec:
    """A whole CSV version: the files in load order."""

    version: str
    files: dict[str, HudFile]

    def __getitem__(self, name: str) -> HudFile:
        return self.files[name]

    def __iter__(self):
        return iter(self.files.values())

    def file_for(self, filename: str) -> HudFile | None:
        """Find a file by its CSV file name, ignoring case."""
        base = filename.rsplit("/", 1)[-1]
        if base.lower().endswith(".csv"):
            base = base[:-4]
        for f in self.files.values():
            if f.name.lower() == base.lower():
                return f
        return None


def _optional_int(text: str | None) -> int | None:
    return int(text) if text else None


def load_spec(resource: str = "columns_fy2026.csv", version: str = "2026") -> Spec:
    """Read a column spec shipped in ``hmis/hud/data``."""
    text = resources.files("hmis.hud").joinpath("data", resource).read_text("utf-8")
    grouped: dict[str, list[HudColumn]] = {}
    for row in csv.DictReader(text.splitlines()):
        column = HudColumn(
            file=row["File"],
            position=int(row["ColumnNo"]),
            name=row["Column"],
            type=row["Type"],
            required=row["Required"] == "1",
            max_length=_optional_int(row.get("MaxLength")),
            code_list=row.get("CodeList") or None,
            references=row.get("References") or None,
        )
        if column.type not in COLUMN_TYPES:
            raise ValueError(f"{resource}: {column.element} has unknown type {column.type!r}")
        grouped.setdefault(column.file, []).append(column)
    files = {}
    for name in LOAD_ORDER:
        columns = tuple(sorted(grouped.pop(name), key=lambda c: c.position))
        files[name] = HudFile(name, columns, {c.name.lower(): c for c in columns})
    if grouped:
        raise ValueError(f"{resource}: files not in LOAD_ORDER: {sorted(grouped)}")
    return Spec(version, files)


SPEC = load_spec()
