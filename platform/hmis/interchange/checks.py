"""What the importer checks, named the way HUD's data-quality tool names it.

Each rule carries the id and wording of the matching check in HUD's catalogue of
HMIS CSV file-structure checks, so an HMIS lead can look it up in HUD's guidance.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

ERROR = "error"  #: structural: the whole import is refused, nothing is written
WARNING = "warning"  #: kept and flagged, as HUD's data-quality checks would flag it
REJECTED = "rejected_row"  #: a row that cannot be stored at all; listed, the rest goes on


@dataclass(frozen=True)
class Rule:
    key: str
    severity: str
    title: str
    hud_check: str | None = None  #: "<id> <issue>" in HUD's catalogue


RULES = {rule.key: rule for rule in (
    Rule("not_a_zip", ERROR, "Not a zip archive or folder", "127 Wrong file type, not a .zip file"),
    Rule("unsafe_path", ERROR, "Zip entry with a path outside the archive"),
    Rule("too_large", ERROR, "Archive expands beyond the size limit"),
    Rule("missing_file", ERROR, "Required file missing", "125 Missing files, possible wrong dataset"),
    Rule("empty_file", ERROR, "File is empty (no header row)", "125 Missing files, possible wrong dataset"),
    Rule("unreadable_file", ERROR, "File cannot be read as CSV"),
    Rule("missing_column", ERROR, "Required column missing", "12 Incorrect Columns"),
    Rule("duplicate_column", ERROR, "Column appears twice in the header", "12 Incorrect Columns"),
    Rule("duplicate_key", ERROR, "Duplicate primary key", "7/8 Duplicate PersonalIDs / EnrollmentIDs"),
    Rule("constraint_failed", ERROR, "Loaded rows break a database constraint (an importer bug)"),
    Rule("unknown_version", ERROR, "CSV version not supported", "124 HMIS CSV Export out of date"),
    Rule("optional_column_missing", WARNING, "Optional column missing (imported as empty)", "82 Incorrect Columns"),
    Rule("extra_column", WARNING, "Column not in the specification (ignored)", "82 Incorrect Columns"),
    Rule("retired_column", WARNING, "Column retired in FY2026 (kept as a custom data element)", "124 out of date"),
    Rule("extra_file", WARNING, "File not in the specification (ignored)"),
    Rule("wrong_field_count", WARNING, "Row has a different number of fields than the header"),
    Rule("not_utf8", WARNING, "Bytes that are not UTF-8 (read as Windows-1252)", "134 Impermissible characters"),
    Rule("bad_type", WARNING, "Value is not of the column's type (stored as empty)", "48 Incorrect Data Type"),
    Rule("bad_date", WARNING, "Not a real date in yyyy-mm-dd (stored as empty)", "47 Incorrect Date Format"),
    Rule("invalid_code", WARNING, "Value outside the column's HUD code list (kept)", "50-55 Invalid value"),
    Rule("retired_code", WARNING, "Code retired in FY2026 (kept)", "50-55 Invalid value"),
    Rule("missing_value", WARNING, "Required value is empty", "6 Nulls not allowed"),
    Rule("bad_format", WARNING, "Text not in the format HUD gives (kept)", "48 Incorrect Data Type"),
    Rule("too_long", WARNING, "Text longer than the specification allows (kept)", "48 Incorrect Data Type"),
    Rule("unknown_user", WARNING, "UserID not in User.csv"),
    Rule("household_reused", WARNING, "HouseholdID reused across project stays", "98 HouseholdID not incrementing correctly"),
    Rule("export_rows", WARNING, "Export.csv has more than one row", "140 Export.csv contains more than one row"),
    Rule("missing_key", REJECTED, "Row has no primary key value", "6 Nulls not allowed"),
    Rule("orphan", REJECTED, "Refers to a record that does not exist", "9/10 PersonalID or ProjectID missing"),
)}


@dataclass
class Issue:
    rule: str
    file: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    element: str | None = None

    @property
    def severity(self) -> str:
        return RULES[self.rule].severity


@dataclass
class IssueLog:
    """Collects issues; keeps at most ``detail_limit`` rows per (file, column, rule)
    in detail (a million identical warnings help nobody) but counts every one."""

    detail_limit: int = 1000
    issues: list[Issue] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  #: (severity, file, rule, column) -> n
    _kept: Counter = field(default_factory=Counter)

    def add(self, rule: str, file: str, message: str, *, row: int | None = None, column: str | None = None,
            value: str | None = None, element: str | None = None) -> None:
        severity = RULES[rule].severity
        self.counts[(severity, file, rule, column)] += 1
        bucket = (file, column, rule)
        self._kept[bucket] += 1
        if self._kept[bucket] <= self.detail_limit or severity == ERROR:
            if value is not None and len(value) > 200:
                value = value[:197] + "..."
            if column == "SSN" and value:  # issue 6: never kept in the clear, not even a malformed one
                value = "xxxxx" + value[-4:]
            self.issues.append(Issue(rule, file, message, row, column, value, element))

    def total(self, severity: str) -> int:
        return sum(n for (sev, *_), n in self.counts.items() if sev == severity)

    @property
    def has_errors(self) -> bool:
        return self.total(ERROR) > 0

    def omitted(self) -> list[tuple[str, str | None, str, int]]:
        """(file, column, rule, how many not kept in detail), for a closing note."""
        return [(f, c, r, n - self.detail_limit) for (f, c, r), n in self._kept.items()
                if n > self.detail_limit and RULES[r].severity != ERROR]
