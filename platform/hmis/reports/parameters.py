"""A report run's parameters: the date range, CoC, projects, project types and funders.

One parser for every way in (the browser form, the CLI, a stored run being retried), so
"end before start" or "unknown project" gets the same clear message everywhere, before
any SQL runs.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..hud import codelists

__all__ = ["ParameterError", "ReportParameters", "parse_parameters"]

COC_PATTERN = re.compile(r"[A-Z]{2}-[0-9]{3}\Z")
FIRST_YEAR, LAST_YEAR = 1990, 2100
PROJECT_TYPE_LIST = "2.02.6"
FUNDER_LIST = "2.06.1"


class ParameterError(ValueError):
    """Parameters a report cannot run with; ``problems`` maps each parameter to what is wrong."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class ReportParameters:
    start: date
    end: date
    coc_codes: tuple[str, ...] = ()
    project_ids: tuple[str, ...] = ()
    project_types: tuple[int, ...] = ()
    funders: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(start=self.start.isoformat(), end=self.end.isoformat())
        return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}

    def describe(self) -> str:
        parts = [f"{self.start.isoformat()} to {self.end.isoformat()}"]
        if self.coc_codes:
            parts.append(", ".join(self.coc_codes))
        if self.project_ids:
            parts.append(f"{len(self.project_ids)} project{'s' if len(self.project_ids) != 1 else ''}")
        if self.project_types:
            parts.append("types " + ", ".join(str(t) for t in self.project_types))
        if self.funders:
            parts.append("funders " + ", ".join(str(f) for f in self.funders))
        return "; ".join(parts)


def _date(value: Any, name: str, problems: dict[str, str]) -> date | None:
    if isinstance(value, date):
        found = value
    elif value in (None, ""):
        problems[name] = f"the {name} date is required (YYYY-MM-DD)"
        return None
    else:
        try:
            found = date.fromisoformat(str(value).strip())
        except ValueError:
            problems[name] = f"'{value}' is not a date; write it as YYYY-MM-DD, for example 2025-10-01"
            return None
    if not FIRST_YEAR <= found.year <= LAST_YEAR:
        problems[name] = f"the {name} date must be between {FIRST_YEAR} and {LAST_YEAR}"
        return None
    return found


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


def _codes(values: list[str], list_id: str, name: str, problems: dict[str, str]) -> tuple[int, ...]:
    found, bad = [], []
    for value in values:
        try:
            code = int(value)
        except ValueError:
            bad.append(value)
            continue
        (found if codelists.is_valid(list_id, code, allow_retired=True) else bad).append(code)
    if bad:
        problems[name] = (f"not a HUD {codelists.get(list_id).name} code: {', '.join(str(b) for b in bad)}")
    return tuple(sorted(set(found)))


def parse_parameters(raw: dict[str, Any], *, check_projects: bool = True) -> ReportParameters:
    """Turn text (a form, CLI options, a stored run) into parameters, or raise :class:`ParameterError`
    naming every problem. Projects are HUD ProjectIDs and must exist (not deleted)."""
    from ..models import Project

    problems: dict[str, str] = {}
    start = _date(raw.get("start"), "start", problems)
    end = _date(raw.get("end"), "end", problems)
    if start and end and end < start:
        problems["end"] = f"the end date {end.isoformat()} is before the start date {start.isoformat()}"
    cocs = [code.upper() for code in _list(raw.get("coc_codes", raw.get("coc")))]
    bad_cocs = [code for code in cocs if not COC_PATTERN.match(code)]
    if bad_cocs:
        problems["coc_codes"] = (f"not a CoC code: {', '.join(bad_cocs)} "
                                 "(two letters, a dash and three digits, for example XX-501)")
    project_ids = _list(raw.get("project_ids", raw.get("projects")))
    if project_ids and check_projects:
        known = set(db.session.scalars(sa.select(Project.project_id).where(
            Project.project_id.in_(project_ids), Project.date_deleted.is_(None))))
        unknown = [pid for pid in project_ids if pid not in known]
        if unknown:
            problems["project_ids"] = f"no such project in this HMIS: {', '.join(unknown)}"
    types = _codes(_list(raw.get("project_types")), PROJECT_TYPE_LIST, "project_types", problems)
    funders = _codes(_list(raw.get("funders")), FUNDER_LIST, "funders", problems)
    if problems:
        raise ParameterError(problems)
    assert start is not None and end is not None
    return ReportParameters(start, end, tuple(dict.fromkeys(cocs)), tuple(dict.fromkeys(project_ids)), types, funders)
