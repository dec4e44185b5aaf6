"""Who and where a form is filled for: the facts its rules and applicability read.

:class:`FormContext` is plain data so a preview can invent one (a chosen project and
stage, no client) and a test can build one by hand; :func:`context_for` builds the
real one from an enrollment.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select

from ..expressions.functions import whole_years
from ..extensions import db
from ..models import Client, Enrollment, Funder, Project
from ..models.forms import FormResponse

__all__ = ["FormContext", "context_for", "context_of", "contexts_for", "funders_of"]


@dataclass
class FormContext:
    """The facts a form is filled under. ``None`` means unknown (and an item collected
    only about, say, adults is then shown rather than silently skipped)."""

    project: Project | None = None
    enrollment: Enrollment | None = None
    client: Client | None = None
    stage: str = "project_start"
    funders: list[int] = field(default_factory=list)
    relationship_to_hoh: int | None = None
    age: int | None = None
    is_veteran: bool | None = None
    information_date: date | None = None
    previous: dict[str, Any] = field(default_factory=dict)  #: answers of the previous assessment, for prefill
    language: str = "en"

    @property
    def project_type(self) -> int | None:
        return self.project.project_type if self.project is not None else None

    @property
    def is_hoh(self) -> bool | None:
        return None if self.relationship_to_hoh is None else self.relationship_to_hoh == 1

    @property
    def is_adult(self) -> bool | None:
        return None if self.age is None else self.age >= 18

    def names(self) -> dict[str, Any]:
        """The context names rules may use (see ``items.CONTEXT_NAMES``) and their values."""
        return {
            "stage": self.stage,
            "project.type": self.project_type,
            "project.funders": list(self.funders),
            "client.age": self.age,
            "client.dob": self.client.dob if self.client is not None else None,
            "client.is_veteran": self.is_veteran,
            "enrollment.entry_date": self.enrollment.entry_date if self.enrollment is not None else None,
            "enrollment.relationship_to_hoh": self.relationship_to_hoh,
            "information_date": self.information_date,
        }


def funders_of(project: Project | None, on: date | None = None) -> list[int]:
    """The HUD funder codes of a project, active on ``on`` when given."""
    if project is None:
        return []
    statement = select(Funder.funder).where(Funder.data_source_id == project.data_source_id,
                                            Funder.project_id == project.project_id, Funder.funder.is_not(None),
                                            Funder.date_deleted.is_(None))
    if on is not None:
        statement = statement.where(or_(Funder.start_date.is_(None), Funder.start_date <= on),
                                    or_(Funder.end_date.is_(None), Funder.end_date >= on))
    return sorted(set(db.session.scalars(statement)))


def _funder_rows(project: Project | None) -> list[tuple[int, date | None, date | None]]:
    """``(funder code, start, end)`` of a project's live funder rows, for :func:`_active_funders`."""
    if project is None:
        return []
    return [tuple(row) for row in db.session.execute(select(Funder.funder, Funder.start_date, Funder.end_date).where(
        Funder.data_source_id == project.data_source_id, Funder.project_id == project.project_id,
        Funder.funder.is_not(None), Funder.date_deleted.is_(None)))]


def funder_columns() -> tuple[list[Any], Any]:
    """Columns, and the condition to outer-join ``Funder`` on, that read a project's live
    funder rows in a query that joins ``Project`` (a result row per funder row; nulls when
    it has none), for a caller that passes them on as ``funder_rows`` (:func:`funder_rows_of`)."""
    joined = and_(Funder.data_source_id == Project.data_source_id, Funder.project_id == Project.project_id,
                  Funder.funder.is_not(None), Funder.date_deleted.is_(None))
    return [Funder.id.label("funder_row_id"), Funder.funder.label("funder_code"),
            Funder.start_date.label("funder_start"), Funder.end_date.label("funder_end")], joined


def funder_rows_of(rows: Any) -> list[tuple[int, date | None, date | None]]:
    """The ``funder_rows`` in result rows that selected :func:`funder_columns` (each once)."""
    found = {row.funder_row_id: (row.funder_code, row.funder_start, row.funder_end)
             for row in rows if row.funder_row_id is not None}
    return [found[key] for key in sorted(found)]


def _active_funders(rows: list[tuple[int, date | None, date | None]], on: date) -> list[int]:
    """The same answer as ``funders_of(project, on)``, from rows already read."""
    return sorted({code for code, start, end in rows
                   if (start is None or start <= on) and (end is None or end >= on)})


def _context(enrollment: Enrollment, stage: str, project: Project | None, client: Client | None,
             funder_rows: list[tuple[int, date | None, date | None]], previous: dict[str, Any],
             information_date: date | None, language: str) -> FormContext:
    on = information_date or enrollment.entry_date or date.today()
    age = None
    if client is not None and client.dob is not None:
        age = whole_years(client.dob, on)
    is_veteran = None if client is None or client.veteran_status not in (0, 1) else client.veteran_status == 1
    return FormContext(project=project, enrollment=enrollment, client=client, stage=stage,
                       funders=_active_funders(funder_rows, on), relationship_to_hoh=enrollment.relationship_to_hoh,
                       age=age, is_veteran=is_veteran, information_date=information_date or on,
                       previous=previous, language=language)


def _project_of(enrollment: Enrollment) -> Project | None:
    return db.session.scalar(select(Project).where(Project.data_source_id == enrollment.data_source_id,
                                                   Project.project_id == enrollment.project_id))


def context_for(enrollment: Enrollment, stage: str, *, information_date: date | None = None,
                language: str = "en", previous: bool = True) -> FormContext:
    """The context of filling ``stage``'s form for ``enrollment``'s client, from the database.

    :param previous: read the previous assessment's answers (prefill); reading or
        re-evaluating a posted form does not need them.
    """
    project = _project_of(enrollment)
    client = db.session.scalar(select(Client).where(Client.data_source_id == enrollment.data_source_id,
                                                    Client.personal_id == enrollment.personal_id))
    return _context(enrollment, stage, project, client, _funder_rows(project),
                    previous_answers(enrollment) if previous else {}, information_date, language)


def context_of(enrollment: Enrollment, stage: str, project: Project | None, client: Client | None,
               funder_rows: list[tuple[int, date | None, date | None]] | None = None) -> FormContext:
    """:func:`context_for` without prefill, for a caller that has read the enrollment's
    project and client already (re-evaluating a posted form reads all three in one query),
    and perhaps the project's ``funder_rows`` too (as :func:`funder_columns` select them)."""
    if funder_rows is None:
        funder_rows = _funder_rows(project)
    return _context(enrollment, stage, project, client, funder_rows, {}, None, "en")


def contexts_for(enrollments: list[Enrollment], stage: str, *, project: Project | None = None,
                 information_date: date | None = None, language: str = "en",
                 clients: dict[str, Client] | None = None,
                 previous: dict[int, dict[str, Any]] | None = None,
                 funder_rows: list[tuple[int, date | None, date | None]] | None = None) -> list[FormContext]:
    """:func:`context_for` of each enrollment of one project (a household's page), with one
    query per kind of fact instead of four per member. ``project``, ``clients`` (by
    personal id), ``previous`` (each enrollment's newest submitted answers, as
    :func:`previous_answers`) and ``funder_rows`` (the project's, as :func:`funder_columns`
    select them) save their look-ups when the caller has read them already."""
    if not enrollments:
        return []
    first = enrollments[0]
    if any((e.data_source_id, e.project_id) != (first.data_source_id, first.project_id) for e in enrollments):
        return [context_for(e, stage, information_date=information_date, language=language) for e in enrollments]
    if project is None:
        project = _project_of(first)
    if clients is None:
        clients = {c.personal_id: c for c in db.session.scalars(select(Client).where(
            Client.data_source_id == first.data_source_id,
            Client.personal_id.in_(sorted({e.personal_id for e in enrollments}))))}
    if funder_rows is None:
        funder_rows = _funder_rows(project)
    if previous is None:
        previous = _previous_answers_of([e.id for e in enrollments])
    return [_context(e, stage, project, clients.get(e.personal_id), funder_rows, dict(previous.get(e.id) or {}),
                     information_date, language) for e in enrollments]


def previous_answers(enrollment: Enrollment) -> dict[str, Any]:
    """The answers of the enrollment's most recent submitted response (prefill's source)."""
    statement = (select(FormResponse.answers)
                 .where(FormResponse.enrollment_id == enrollment.id, FormResponse.status == "submitted")
                 .order_by(FormResponse.submitted_dt.desc(), FormResponse.id.desc()).limit(1))
    return dict(db.session.scalar(statement) or {})


def _previous_answers_of(enrollment_ids: list[int]) -> dict[int, dict[str, Any]]:
    """:func:`previous_answers` of several enrollments in one query: the first row of each
    enrollment in the same order (newest submission, then highest id) wins."""
    found: dict[int, dict[str, Any]] = {}
    rows = db.session.execute(
        select(FormResponse.enrollment_id, FormResponse.answers)
        .where(FormResponse.enrollment_id.in_(enrollment_ids), FormResponse.status == "submitted")
        .order_by(FormResponse.enrollment_id, FormResponse.submitted_dt.desc(), FormResponse.id.desc()))
    for enrollment_id, answers in rows:
        found.setdefault(enrollment_id, answers or {})
    return found
