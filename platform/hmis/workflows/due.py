"""HUD's annual assessment due window, and the due-soon / overdue list of a project.

HUD's rule (HMIS Data Standards, data collection stage "annual assessment"): every
member of a household enrolled a year or more is assessed within 30 days before or
after the anniversary of the **head of household's** project start date, each year.
A 29 February start has its anniversary on 1 March in common years (as ``age()`` in
the expression language counts birthdays).

A member's status on a given day:

``due``       the window is open now and no annual assessment is recorded in it;
``overdue``   the window has closed with none recorded;
``due_soon``  the next window opens within ``soon_days``;
(none)        assessed in the current window, or no window near.

An annual assessment counts when an IncomeBenefits or HealthAndDV row with
DataCollectionStage 5 has an information date inside the window.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_, select, union_all

from ..access.operations import Actor, operation
from ..extensions import db
from ..models import Client, Enrollment, Exit, HealthAndDV, IncomeBenefits, Project

WINDOW = timedelta(days=30)
ANNUAL = 5  #: DataCollectionStage 5.03.1 "Annual assessment"


def anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a common year
        return date(start.year + years, 3, 1)


@dataclass(frozen=True)
class Window:
    anniversary: date
    start: date
    end: date

    @classmethod
    def around(cls, day: date) -> Window:
        return cls(day, day - WINDOW, day + WINDOW)

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


def annual_status(hoh_start: date, today: date, assessed: list[date],
                  soon_days: int = 30) -> tuple[str, Window] | None:
    """The member's status on ``today`` and the window it is about, or ``None``."""
    years = 1
    if Window.around(anniversary(hoh_start, 1)).start > today:
        first = Window.around(anniversary(hoh_start, 1))
        return ("due_soon", first) if first.start <= today + timedelta(days=soon_days) else None
    while Window.around(anniversary(hoh_start, years + 1)).start <= today:
        years += 1  # the latest window that has opened
    current = Window.around(anniversary(hoh_start, years))
    if not any(current.holds(day) and day <= today for day in assessed):  # as of today
        return ("overdue" if today > current.end else "due"), current
    upcoming = Window.around(anniversary(hoh_start, years + 1))
    return ("due_soon", upcoming) if upcoming.start <= today + timedelta(days=soon_days) else None


@dataclass(frozen=True)
class AnnualDue:
    enrollment_id: int
    personal_id: str
    name: str
    household_id: str | None
    hoh_start: date
    status: str
    window: Window


def _assessed_dates(source_id: int, enrollment_keys: list[str]) -> dict[str, list[date]]:
    found: dict[str, list[date]] = {}
    if not enrollment_keys:
        return found
    parts = [select(table.enrollment_id, table.information_date).where(
        table.data_source_id == source_id, table.enrollment_id.in_(enrollment_keys),
        table.data_collection_stage == ANNUAL, table.date_deleted.is_(None))
        for table in (IncomeBenefits, HealthAndDV)]
    for key, day in db.session.execute(union_all(*parts)):
        if day is not None:
            found.setdefault(key, []).append(day)
    return found


@operation("assessments.annual_due", permission="enrollments.view")
def annual_due(actor: Actor, project_id: int, today: date, soon_days: int = 30) -> list[AnnualDue]:
    """Members of the project's open enrollments whose annual assessment is due soon, due or overdue.

    Sorted overdue first, then due, then due soon, each by the window's end.
    """
    from ..records.visibility import require_project

    project = db.session.get(Project, project_id)
    if project is None:
        return []
    require_project(actor, project)
    rows = db.session.execute(
        select(Enrollment.id, Enrollment.enrollment_id, Enrollment.personal_id, Enrollment.household_id,
               Enrollment.relationship_to_hoh, Enrollment.entry_date, Client.first_name, Client.last_name)
        .join(Client, and_(Client.data_source_id == Enrollment.data_source_id,
                           Client.personal_id == Enrollment.personal_id))
        .outerjoin(Exit, and_(Exit.data_source_id == Enrollment.data_source_id,
                              Exit.enrollment_id == Enrollment.enrollment_id, Exit.date_deleted.is_(None)))
        .where(Enrollment.data_source_id == project.data_source_id, Enrollment.project_id == project.project_id,
               Enrollment.date_deleted.is_(None), Enrollment.entry_date.is_not(None), Enrollment.entry_date <= today,
               or_(Exit.exit_date.is_(None), Exit.exit_date > today))).all()
    heads = {row.household_id: row.entry_date for row in rows if row.relationship_to_hoh == 1 and row.household_id}
    assessed = _assessed_dates(project.data_source_id, [row.enrollment_id for row in rows])
    found = []
    for row in rows:
        hoh_start = heads.get(row.household_id, row.entry_date)
        status = annual_status(hoh_start, today, assessed.get(row.enrollment_id, []), soon_days)
        if status is None:
            continue
        name = " ".join(p for p in (row.first_name, row.last_name) if p) or f"Client {row.personal_id}"
        found.append(AnnualDue(row.id, row.personal_id, name, row.household_id, hoh_start, status[0], status[1]))
    order = {"overdue": 0, "due": 1, "due_soon": 2}
    return sorted(found, key=lambda d: (order[d.status], d.window.end, d.name))
