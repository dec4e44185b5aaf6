"""Per-project tables (``per: project``): one row per reported project, like HUD's APR Q4a.

A table written with ``per: project`` has no ``rows``; the engine lists the projects
instead: every project the run names (its ``projects`` parameter, within its other
filters) and every project with a stay in the universe. Each column is either a
project **field** (``field: project_name``, the values below) or an ordinary counted
column (its ``when`` and ``measure`` over the universe rows of that project), so
"Total Active Clients" is ``{label: Total Active Clients}`` and "Total Active
Households" adds ``measure: households``.

The first column's value labels the row (HUD's Q4a has no row-label column: column A
is the organization name), so the results keep HUD's column order.

A person counts under the project of their latest stay, as every other table of the
report counts them. With ``latest_per_person: false`` on the table (the CE APR's Q4a:
HUD's answer key counts every stay active on a CE activity date) the table is worked
out over every stay in the range instead, so a person with such stays in two projects
is in both rows (counted once per project). The universe's rule is not applied there.

With ``list_projects: ce_access_points`` (the CE APR's Q4a) the rows are instead the
projects that were coordinated entry access points (2.09) at some time in the range,
within the run's filters but of any CoC (--coc then only limits who is counted), with a
row of zeros when nobody was active, and no others: HUD's answer key (DataLab CE_APR.R,
CE_element_projects) lists exactly those.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..models import Affiliation, CEParticipation, Funder, Organization, Project, ProjectCoC
from .definition import Axis, Table
from .parameters import ReportParameters

if TYPE_CHECKING:  # the engine passes itself in; importing it here would be circular
    from .engine import ReportEngine

__all__ = ["PROJECT_FIELDS", "project_table"]

#: The project fields a ``per: project`` column may show, with what each holds (HUD Q4a columns A-O).
PROJECT_FIELDS: dict[str, str] = {
    "organization_name": "Organization name (2.01)",
    "organization_id": "Organization ID",
    "project_name": "Project name (2.02.2)",
    "project_id": "Project ID",
    "project_type": "HMIS project type (2.02.6)",
    "rrh_subtype": "RRH subtype (2.02.A), for rapid re-housing only",
    "ce_access_point": "Coordinated entry access point (2.09) in effect on the report end date",
    "residential_affiliation": "Affiliated with a residential project (2.02.B), for services only and RRH services only",
    "affiliated_project_ids": "Project IDs of the residential projects it is affiliated with, comma-separated",
    "coc_codes": "CoC codes (2.03), comma-separated",
    "geocodes": "Geocodes (2.03), comma-separated",
    "victim_service_provider": "Victim service provider (2.01)",
    "software_name": "HMIS software name",
    "report_start": "Report start date",
    "report_end": "Report end date",
}

_RRH = 13
_SERVICES_ONLY = 6
_RRH_SERVICES_ONLY = 1


def project_table(engine: ReportEngine, connection: sa.Connection, table: Table) -> dict[str, Any]:
    """Run one ``per: project`` table over the engine's bound universe: one row per project."""
    counted = [(index, column) for index, column in enumerate(table.columns) if column.field is None]
    counting = _every_stay(engine, table) if table.latest_per_person is False else engine
    found = _counts(counting, connection, table, counted)
    if table.list_projects == "ce_access_points":
        listed = set(_ce_access_point_projects(connection, engine.params))
    else:
        listed = set(found) | set(_named_projects(connection, engine.params))
    keys = sorted(listed, key=lambda key: (key[1], key[0]))
    details = _project_details(connection, engine.params, keys)
    rows = []
    for key in keys:
        cells: list[Any] = []
        values = found.get(key, {})
        for index, column in enumerate(table.columns):
            if column.field is not None:
                cells.append(details.get(key, {}).get(column.field, ""))
            else:
                cells.append(values.get(index, 0))
        rows.append({"label": str(cells[0]), "header": False, "cells": cells[1:],
                     "percent": [False] * (len(cells) - 1)})
    return {"id": table.id, "title": table.title, "description": table.description, "per": "project",
            "row_header": table.columns[0].label, "columns": [column.label for column in table.columns[1:]],
            "rows": rows}


def _every_stay(engine: ReportEngine, table: Table) -> ReportEngine:
    """An engine for ``table`` alone over every stay in the range, not each person's latest: its counts
    are then of distinct people (and heads) per project. Built as one ``SELECT``, as drill-down builds
    it, with the names this table and the attributes read, not the other tables'.

    The table's own rules pick the stays; the universe's rule is not applied, as it picks people by
    their latest stay (the CE APR's Q4a rule, ce_household_active, is one of its terms anyway), and
    testing it on every stay cost ~1.5 s of database CPU on a 200,000-client CoC."""
    from .engine import ReportEngine

    every_stay = ReportEngine(replace(engine.definition, latest_per_person=False, tables=(table,), where=None,
                                      person_stay_rank=None), engine.params, engine.dialect)
    every_stay._build(None)
    every_stay.bind(every_stay.select.subquery("every_stay"))
    return every_stay


def _counts(engine: ReportEngine, connection: sa.Connection, table: Table,
            counted: list[tuple[int, Axis]]) -> dict[tuple[int, str], dict[int, Any]]:
    """The counted columns per (data source, project), in one grouped query over the universe."""
    from .engine import CellPredicate, _fraction, _number  # the engine's own number formats

    source = engine.source
    every_project = Axis(label=table.title)
    select_list: list[Any] = []
    kinds: list[tuple[int, str]] = []
    for index, column in counted:
        parts = engine.parts(table, every_project, column)
        where, column_condition = parts.where[1](), parts.column[1]()
        condition = sa.and_(where, column_condition)
        if parts.of is not None:
            of = parts.of[1]()
            kept = column_condition if parts.measure.within == "column" else sa.true()
            predicate = CellPredicate(sa.and_(condition, of), parts.measure, sa.and_(where, of, kept))
        else:
            predicate = CellPredicate(condition, parts.measure, value=parts.value[1]() if parts.value else None)
        select_list += engine.aggregates(predicate, source)
        kinds.append((index, parts.measure.kind))
    query = (sa.select(source.c.data_source_id, source.c.project_id, *select_list)
             .select_from(source).group_by(source.c.data_source_id, source.c.project_id))
    found: dict[tuple[int, str], dict[int, Any]] = {}
    for row in connection.execute(query):
        values, position = {}, 2
        for index, kind in kinds:
            if kind == "percent":
                values[index] = _fraction(row[position], row[position + 1])
                position += 2
            else:
                values[index] = _number(row[position])
                position += 1
        found[(row[0], row[1])] = values
    return found


def _named_projects(connection: sa.Connection, params: ReportParameters) -> list[tuple[int, str]]:
    """Projects the run names by id (HUD lists a chosen project even with nobody active in it)."""
    if not params.project_ids:
        return []
    query = sa.select(Project.data_source_id, Project.project_id).where(
        Project.date_deleted.is_(None), Project.project_id.in_(params.project_ids))
    if params.project_types:
        query = query.where(Project.project_type.in_(params.project_types))
    return [(row[0], row[1]) for row in connection.execute(query)]


def _ce_access_point_projects(connection: sa.Connection, params: ReportParameters) -> list[tuple[int, str]]:
    """Continuum projects (1.10 ContinuumProject 1) with a 2.09 record saying AccessPoint 1 in effect at some
    time in the range, within the run's project filters (ids, types, funders) but of any CoC: DataLab
    CE_APR.R's CE_element_projects, the projects HUD's CE APR Q4a lists."""
    P, ce = Project, CEParticipation
    access_point = sa.exists().where(
        ce.data_source_id == P.data_source_id, ce.project_id == P.project_id, ce.date_deleted.is_(None),
        ce.access_point == 1, ce.ce_participation_status_start_date <= params.end,
        sa.or_(ce.ce_participation_status_end_date.is_(None), ce.ce_participation_status_end_date >= params.start))
    query = sa.select(P.data_source_id, P.project_id).where(P.date_deleted.is_(None), P.continuum_project == 1,
                                                           access_point)
    if params.project_ids:
        query = query.where(P.project_id.in_(params.project_ids))
    if params.project_types:
        query = query.where(P.project_type.in_(params.project_types))
    if params.funders:
        query = query.where(sa.exists().where(
            Funder.data_source_id == P.data_source_id, Funder.project_id == P.project_id,
            Funder.date_deleted.is_(None), Funder.funder.in_(params.funders),
            sa.or_(Funder.start_date.is_(None), Funder.start_date <= params.end),
            sa.or_(Funder.end_date.is_(None), Funder.end_date >= params.start)))
    # no --coc test: CE_element_projects has none (DataLab applies the CoC to the activity records only, so
    # an access point of another CoC is a row of zeros)
    return [(row[0], row[1]) for row in connection.execute(query)]


def _joined(values: list[Any]) -> str:
    return ", ".join(sorted({str(value) for value in values if value not in (None, "")}))


def _project_details(connection: sa.Connection, params: ReportParameters,
                     keys: list[tuple[int, str]]) -> dict[tuple[int, str], dict[str, Any]]:
    """Every field of :data:`PROJECT_FIELDS` for each project, in four small queries."""
    from ..interchange.exporter import SOFTWARE_NAME  # the name our HMIS CSV exports give too

    if not keys:
        return {}
    wanted = sa.tuple_(Project.data_source_id, Project.project_id).in_(keys)
    details: dict[tuple[int, str], dict[str, Any]] = {}
    P = Project
    projects = connection.execute(
        sa.select(P.data_source_id, P.project_id, P.organization_id, P.project_name, P.project_type, P.rrh_sub_type,
                  P.residential_affiliation, Organization.organization_name, Organization.victim_service_provider)
        .outerjoin(Organization, sa.and_(Organization.data_source_id == Project.data_source_id,
                                         Organization.organization_id == Project.organization_id,
                                         Organization.date_deleted.is_(None)))
        .where(Project.date_deleted.is_(None), wanted)).all()
    for project in projects:
        organization_name, victim_service_provider = project.organization_name, project.victim_service_provider
        subtype = project.rrh_sub_type if project.project_type == _RRH else None
        affiliates = project.project_type == _SERVICES_ONLY or (
            project.project_type == _RRH and project.rrh_sub_type == _RRH_SERVICES_ONLY)
        details[(project.data_source_id, project.project_id)] = {
            "organization_name": organization_name or "", "organization_id": project.organization_id,
            "project_name": project.project_name or "", "project_id": project.project_id,
            "project_type": project.project_type, "rrh_subtype": subtype if subtype is not None else "",
            "ce_access_point": "", "residential_affiliation": project.residential_affiliation if affiliates else "",
            "affiliated_project_ids": "", "coc_codes": "", "geocodes": "",
            "victim_service_provider": victim_service_provider if victim_service_provider is not None else "",
            "software_name": SOFTWARE_NAME, "report_start": params.start.isoformat(),
            "report_end": params.end.isoformat(),
        }
    cocs: dict[tuple[int, str], list[tuple[str | None, str | None]]] = {}
    for row in connection.execute(sa.select(ProjectCoC.data_source_id, ProjectCoC.project_id, ProjectCoC.coc_code,
                                            ProjectCoC.geocode)
                                  .where(ProjectCoC.date_deleted.is_(None),
                                         sa.tuple_(ProjectCoC.data_source_id, ProjectCoC.project_id).in_(keys))):
        cocs.setdefault((row[0], row[1]), []).append((row[2], row[3]))
    for key, pairs in cocs.items():
        if key in details:
            details[key]["coc_codes"] = _joined([coc for coc, _ in pairs])
            details[key]["geocodes"] = _joined([geocode for _, geocode in pairs])
    affiliations: dict[tuple[int, str], list[str]] = {}
    for row in connection.execute(sa.select(Affiliation.data_source_id, Affiliation.project_id,
                                            Affiliation.res_project_id)
                                  .where(Affiliation.date_deleted.is_(None),
                                         sa.tuple_(Affiliation.data_source_id, Affiliation.project_id).in_(keys))):
        affiliations.setdefault((row[0], row[1]), []).append(row[2])
    for key, ids in affiliations.items():
        if key in details and details[key]["residential_affiliation"] == 1:
            details[key]["affiliated_project_ids"] = _joined(ids)
    # 2.09 in effect on the report end: the latest participation record started by then and not ended before it
    ce = CEParticipation
    in_effect = connection.execute(
        sa.select(ce.data_source_id, ce.project_id, ce.access_point)
        .where(ce.date_deleted.is_(None), sa.tuple_(ce.data_source_id, ce.project_id).in_(keys),
               sa.or_(ce.ce_participation_status_start_date.is_(None),
                      ce.ce_participation_status_start_date <= params.end),
               sa.or_(ce.ce_participation_status_end_date.is_(None), ce.ce_participation_status_end_date >= params.end))
        .order_by(sa.func.coalesce(ce.ce_participation_status_start_date, date(1900, 1, 1)), ce.id)).all()
    for data_source_id, project_id, access_point in in_effect:  # ordered: the latest start wins
        if (data_source_id, project_id) in details and access_point is not None:
            details[(data_source_id, project_id)]["ce_access_point"] = access_point
    return details
