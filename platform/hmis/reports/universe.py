"""The universe of a report as one SQL ``SELECT``: one row per person (their latest stay) or per stay.

HUD's reports all start the same way (reports.md §1): take the stays active in the
report range in the chosen projects and CoC, work out each person's age and their
household's type and chronic status from *every* active member, then keep each
person's latest stay. This module writes that as layered SQL that runs unchanged on
PostgreSQL and SQLite:

``disabled_at_start`` the stays with a start disability record that makes a disabling condition
              (read by the chronic-status test of the stays and of the household histories);
``stays``     enrollments active in the range (Method 1; ES night-by-night by Method 2),
              with the client, the exit and the per-stay facts (age, CH at start);
``household`` window functions over each household's active members (type, HoH start,
              HoH move-in, whether someone chronically homeless was there at the start);
``latest``    household propagation of chronic status and the latest-stay number;
``staged``    the rows kept (each person's latest stay, or the stay a definition's
              ``person_stay_rank`` ranks first, or every stay);
passes        one query per record type over all the staged rows (:mod:`hmis.reports.passes`,
              :func:`_pit_pass`, the income records' ids), each joined back on the row's
              key ``(enrollment_pk, exit_pk)``: not a look-up per row and attribute;
``final``     one row per person (or stay), the stage records (income at start, annual
              assessment, exit) joined by id, and every attribute the definition uses.

Each attribute a definition may name is in :data:`hmis.reports.library.ATTRIBUTES` with
its kind; only those a definition uses (and what they need) are computed, so a small
report does not pay for income look-ups it never reads.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, join, outerjoin
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from ..expressions import to_sql
from ..models import (
    Assessment, CEParticipation, Client, Disabilities, Enrollment, Event, Exit, Funder, IncomeBenefits, Project,
    ProjectCoC, Services,
)
from ..models.identity import PersonKey
from ..models.privacy import ClientSSN
from . import library, passes
from .parameters import ReportParameters
from .passes import ALWAYS_DISABLING, BED_NIGHT


def _ssn_valid() -> ColumnElement[Any]:
    """1 when the client's SSN passes HUD's validity checks, 0 when not, null with none on file
    (``client_ssn`` outer-joined to the client). client.ssn holds only the masked form; the check
    was made when the SSN was stored."""
    return sa.case((ClientSSN.client_id.is_(None), sa.null()), (ClientSSN.ssn_valid, 1), else_=0)

__all__ = ["Step", "Universe", "build_universe", "household_key", "person_key"]

#: Project types whose stays count by night (ES night-by-night): active only with a bed night.
NIGHT_BY_NIGHT = 1
#: Project types where a housing move-in date applies (PSH, OPH, RRH).
MOVE_IN_TYPES = (3, 9, 10, 13)
#: Pay for Success: a type 7 (Other) project with funder 35 takes a move-in date like PSH and RRH.
PAY_FOR_SUCCESS_TYPE, PAY_FOR_SUCCESS_FUNDER = 7, 35
#: Residential project types: on a PIT night an exit that night ends the stay (reports.md Q7b).
RESIDENTIAL_TYPES = (0, 1, 2, 3, 8, 9, 10, 13)
#: On a PIT night only PSH and RRH (and Pay for Success) also need the household's move-in (OPH does
#: not: HUD's Q7b).
PIT_MOVE_IN_TYPES = (3, 13)
#: ES, SO and SH: the 3.917 time test applies whatever the prior living situation.
STREET_SHELTER_TYPES = (0, 1, 4, 8)


def person_key(data_source_id: Any, personal_id: Any) -> ColumnElement[str]:
    """THE one place that says who a "person" is when reports count distinct people.

    The resolved person (``hmis.identity.resolved``): client records merged or linked
    as one person share one key, as text.
    """
    from ..identity.resolved import person_key_of

    return sa.cast(person_key_of(data_source_id, personal_id), sa.String)


def _client_person_key(client_id: Any, resolved_person_id: Any) -> ColumnElement[str]:
    """:func:`person_key` for a row that has joined the client and its ``person_key`` row (outer join):
    the same value, ``COALESCE(person_key.person_id, client.id)`` as text, without a look-up per row."""
    return sa.cast(sa.func.coalesce(resolved_person_id, client_id), sa.String)


def household_key(data_source_id: Any, household_id: Any, enrollment_id: Any) -> ColumnElement[str]:
    """A household within its data source; a stay without a HouseholdID is a household of one."""
    return sa.cast(data_source_id, sa.String) + sa.literal(":") + sa.func.coalesce(household_id, enrollment_id)


@dataclass(frozen=True)
class Step:
    """A layer of the universe to write into a temporary table before ``Universe.select`` reads it."""

    table: str
    select: Select[Any]


@dataclass(frozen=True)
class Universe:
    """The compiled universe: the ``SELECT``, the attribute names it provides, and the layers it
    reads from temporary tables (in order; none unless built with a ``prefix``)."""

    select: Select[Any]
    names: tuple[str, ...]
    steps: tuple[Step, ...] = ()


def _layer(query: Select[Any], name: str, prefix: str | None, steps: list[Step], shared: bool = False) -> Any:
    """``query`` as the next layer: a subquery, or with ``prefix`` a temporary table written first.
    Without ``prefix`` a ``shared`` layer is a CTE: worked out once when several later layers read it, and
    kept out of the nesting of the one ``SELECT`` (SQLite's parser has a fixed depth: drill-down into the
    DQ report's cells overflowed it with the record passes as nested subqueries).

    Written out, a layer is worked out once per row. As a subquery, PostgreSQL folds it into the
    layer above and repeats its look-ups in every expression that reads them (the chronic-status
    test ran five times over, once per household window that reads it), and it has to guess the
    layer's size, which it guessed ~100 times too small for the stage-record joins.
    """
    if prefix is None:
        return query.cte(name) if shared else query.subquery(name)
    table = f"{prefix}_{name}"
    steps.append(Step(table, query))
    return sa.table(table, *[sa.column(column.name, column.type) for column in query.selected_columns]).alias(name)


def _expr(text: str, columns: dict[str, Any], dialect: str, today: date) -> ColumnElement[Any]:
    """A derivation written in the expression language (one language, one set of date rules)."""
    # Grouped, so that embedding it in another rule keeps its meaning (``not (a and b)``).
    return to_sql(text, columns, dialect, today=today, source="HUD derivation library").self_group()


def _as_date(value: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """The date part of a timestamp (SQLite keeps timestamps as text)."""
    if dialect == "postgresql":
        return sa.cast(value, sa.Date)
    return sa.type_coerce(sa.func.date(value), sa.Date)


def _add_days(value: ColumnElement[Any], days: int | ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return sa.type_coerce(value + days, sa.Date)
    modifier = sa.literal(f"{days:+d} days") if isinstance(days, int) else (sa.cast(days, sa.String) + " days")
    return sa.type_coerce(sa.func.date(value, modifier), sa.Date)


def _add_years(value: ColumnElement[Any], years: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return sa.type_coerce(sa.cast(value + sa.func.make_interval(years), sa.Date), sa.Date)
    return sa.type_coerce(sa.func.date(value, "+" + sa.cast(years, sa.String) + " years"), sa.Date)


def build_universe(params: ReportParameters, dialect: str, wanted: Iterable[str], *,
                   latest_per_person: bool = True, prefix: str | None = None,
                   stay_rank: str | None = None) -> Universe:
    """The universe ``SELECT`` for ``params`` with the library attributes in ``wanted`` (and what they need).

    Each person is represented by their stay with the highest ``stay_rank`` (an expression over
    ``library.RANK_NAMES``; blank ranks lowest), then the latest entry; without it, by the latest entry.

    With ``prefix``, the stays and the household/latest-stay layers are :class:`Step` s to write into
    temporary tables named ``<prefix>_stays`` and ``<prefix>_staged`` first (a run); without, they are
    subqueries of one ``SELECT`` (drill-down).
    """
    steps: list[Step] = []
    needed = library.closure(wanted)
    today = params.end
    end_plus_one = params.end + timedelta(days=1)
    start_lit = sa.literal(params.start, sa.Date)
    end_lit = sa.literal(params.end, sa.Date)

    # ----------------------------------------------------------------- stays
    E, P, C, X = Enrollment, Project, Client, Exit
    joins = (E.__table__
             .join(P.__table__, sa.and_(P.data_source_id == E.data_source_id, P.project_id == E.project_id))
             .join(C.__table__, sa.and_(C.data_source_id == E.data_source_id, C.personal_id == E.personal_id))
             .outerjoin(X.__table__, sa.and_(X.data_source_id == E.data_source_id, X.enrollment_id == E.enrollment_id,
                                             X.date_deleted.is_(None)))
             # joined, not looked up per stay: the client's resolved person and SSN check (one row each at most)
             .outerjoin(PersonKey, PersonKey.client_id == C.id)
             .outerjoin(ClientSSN, ClientSSN.client_id == C.id))
    project_type = sa.func.coalesce(P.project_type, -1)
    # The dates are tested inside a CASE so that PostgreSQL reads the stay's services by the stay's
    # index alone: given the bare comparisons it also scanned the date index for the whole range and
    # intersected the two, ~1 ms per night-by-night stay (~3 s of a 200,000-client APR).
    night_in_range = sa.and_(Services.date_provided >= start_lit, Services.date_provided <= end_lit,
                             Services.date_provided >= E.entry_date,
                             sa.or_(X.exit_date.is_(None), Services.date_provided < X.exit_date))
    bed_night_in_range = sa.exists().where(
        Services.data_source_id == E.data_source_id, Services.enrollment_id == E.enrollment_id,
        Services.record_type == BED_NIGHT, Services.date_deleted.is_(None),
        sa.case((night_in_range, 1), else_=0) == 1)
    conditions = [
        E.date_deleted.is_(None), P.date_deleted.is_(None), C.date_deleted.is_(None), E.entry_date.is_not(None),
        E.entry_date <= end_lit, sa.or_(X.exit_date.is_(None), X.exit_date >= start_lit),
        # ES night-by-night counts by date of service (Method 2): a bed night in range, or an exit in range.
        sa.or_(project_type != NIGHT_BY_NIGHT, bed_night_in_range,
               sa.and_(X.exit_date >= start_lit, X.exit_date <= end_lit)),
    ]
    conditions += _project_filters(params)

    stay_columns: dict[str, ColumnElement[Any]] = {
        "enrollment_pk": E.id, "client_pk": C.id, "data_source_id": E.data_source_id,
        "personal_id": E.personal_id, "enrollment_id": E.enrollment_id,
        "person_key": _client_person_key(C.id, PersonKey.person_id),
        "person_id": sa.func.coalesce(PersonKey.person_id, C.id),  # the same, as a number (to join on)
        "household_key": household_key(E.data_source_id, E.household_id, E.enrollment_id),
        "project_id": E.project_id, "project_type": P.project_type, "entry_date": E.entry_date,
        # with enrollment_pk, names the row: the record passes (below) are joined back on both
        "exit_pk": sa.func.coalesce(X.id, 0),
        "exit_date": X.exit_date, "move_in_date": E.move_in_date, "relationship_to_hoh": E.relationship_to_hoh,
        "enrollment_coc": E.enrollment_coc, "living_situation": E.living_situation, "length_of_stay_prior": E.length_of_stay,
        "los_under_threshold": E.los_under_threshold, "previous_street_essh": E.previous_street_essh,
        "date_to_street_essh": E.date_to_street_essh,
        "times_homeless_past_three_years": E.times_homeless_past_three_years,
        "months_homeless_past_three_years": E.months_homeless_past_three_years,
        "disabling_condition": E.disabling_condition, "date_of_engagement": E.date_of_engagement,
        "enrollment_created": _as_date(E.date_created, dialect),
        "exit_created": _as_date(X.date_created, dialect),
        "destination": X.destination, "destination_subsidy_type": X.destination_subsidy_type,
        "housing_assessment": X.housing_assessment, "subsidy_information": X.subsidy_information,
        "dob": C.dob, "dob_data_quality": C.dob_data_quality, "veteran_status": C.veteran_status,
        "first_name": C.first_name, "last_name": C.last_name, "name_data_quality": C.name_data_quality,
        "ssn": C.ssn, "ssn_data_quality": C.ssn_data_quality, "ssn_valid": _ssn_valid(), "sex": C.sex,
        "race_none": C.race_none,
        "am_ind_ak_native": C.am_ind_ak_native, "asian": C.asian, "black_af_american": C.black_af_american,
        "hispanic_latinao": C.hispanic_latinao, "mid_east_n_african": C.mid_east_n_african,
        "native_hi_pacific": C.native_hi_pacific, "white": C.white,
        "client_created": _as_date(C.date_created, dialect),
    }
    refs = {"dob": C.dob, "entry_date": E.entry_date, "report.start": start_lit,
            "date_to_street_essh": E.date_to_street_essh}
    age = _expr("age(dob, max(entry_date, report.start))", refs, dialect, today)
    stay_columns["age"] = sa.type_coerce(age, sa.Integer)
    disabled = _layer(_disabled_at_start(), "disabled_at_start", prefix, steps, shared=True)
    stay_columns["chronic_individual"] = _chronic_at_start(project_type, dialect, today, refs, disabled)
    if "ce_household_assessed" in needed:  # 1.10, read by the CE APR's assessed stays only
        stay_columns["continuum_project"] = P.continuum_project
        stay_columns["ce_own_assessment_date"] = _stay_latest_ce_assessment(params)
    stays = _layer(sa.select(*[column.label(name) for name, column in stay_columns.items()])
                   .select_from(joins).where(*conditions), "stays", prefix, steps)

    # ------------------------------------------------------------- household
    history = _household_history(stays, dialect, today, start_lit, disabled)
    s = stays.c
    by_household = {"partition_by": s.household_key}
    is_adult = s.age >= 18
    is_child = s.age < 18  # a negative age too (library.is_child)
    unknown_age = s.age.is_(None)

    def hh_any(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return sa.func.max(sa.case((condition, 1), else_=0)).over(**by_household)

    hoh = s.relationship_to_hoh == 1
    household_query = sa.select(
        *s,
        sa.type_coerce(sa.case(
            (sa.and_(hh_any(is_adult) == 1, hh_any(is_child) == 1), "with_children_and_adults"),
            (hh_any(unknown_age) == 1, "unknown"),
            (hh_any(is_adult) == 1, "without_children"),
            (hh_any(is_child) == 1, "with_only_children"),
            else_="unknown"), sa.String).label("household_type"),
        sa.type_coerce(sa.func.coalesce(history.c.first_start, sa.func.min(s.entry_date).over(**by_household)),
                       sa.Date).label("household_start"),
        sa.type_coerce(sa.func.coalesce(history.c.chronic_at_first_start, 0), sa.Integer)
        .label("household_chronic_at_start"),
        sa.type_coerce(sa.func.min(sa.case((hoh, s.entry_date))).over(**by_household), sa.Date).label("hoh_entry_date"),
        sa.type_coerce(sa.func.max(sa.case((hoh, s.move_in_date))).over(**by_household), sa.Date).label("hoh_move_in_date"),
        sa.type_coerce(sa.func.max(sa.case((hoh, s.exit_date))).over(**by_household), sa.Date).label("hoh_exit_date"),
        sa.type_coerce(sa.func.max(sa.case((hoh, s.chronic_individual))).over(**by_household), sa.String)
        .label("hoh_chronic_individual"),
        # children who start with the HoH take the HoH's 3.917.3 date (APR Q22e)
        sa.type_coerce(sa.func.max(sa.case((hoh, s.date_to_street_essh))).over(**by_household), sa.Date)
        .label("hoh_date_to_street_essh"),
        # the household's chronic status (APR Q26a) from its adults and HoH: 3 yes, 2 DK/PNTA, 1 missing, 0 no
        sa.type_coerce(sa.func.max(sa.case((sa.or_(is_adult, hoh), sa.case(
            (s.chronic_individual == "yes", 3), (s.chronic_individual == "dk_pnta", 2),
            (s.chronic_individual == "missing", 1), else_=0)), else_=0)).over(**by_household), sa.Integer)
        .label("household_chronic_rank"),
        # some adult or HoH is a definite yes or no: then a child does not take the HoH's DK/missing
        sa.type_coerce(hh_any(sa.and_(sa.or_(is_adult, hoh), s.chronic_individual.in_(("yes", "no")))), sa.Integer)
        .label("household_chronic_known"),
        sa.type_coerce(sa.func.max(s.age).over(**by_household), sa.Integer).label("household_max_age"),
        sa.type_coerce(sa.func.max(sa.case((hoh, s.age))).over(**by_household), sa.Integer).label("hoh_age"),
        sa.type_coerce(sa.func.count().over(**by_household), sa.Integer).label("household_size"),
        sa.type_coerce(hh_any(hoh), sa.Integer).label("household_has_hoh"),
        # a son or daughter of the HoH aged 24 or under: makes a youth household "parenting"
        sa.type_coerce(hh_any(sa.and_(s.relationship_to_hoh == 2, s.age >= 0, s.age <= 24)), sa.Integer)
        .label("household_has_child_member"),
        sa.type_coerce(sa.func.sum(sa.case((hoh, 1), else_=0)).over(**by_household), sa.Integer).label("household_hoh_count"),
    ).select_from(stays.outerjoin(history, history.c.household_key == s.household_key))
    if "ce_household_assessed" in needed:  # a look-up per stay: only for the reports that use it (the CE APR)
        household_query = household_query.add_columns(
            _household_ce_assessment_date(s, params).label("household_ce_assessment_date"))
    household = household_query.subquery("household")

    # ---------------------------------------------------------------- latest
    h = household.c
    ce_assessed = []
    if "household_ce_assessment_date" in h:
        ce_assessed.append(sa.type_coerce(sa.case((h.household_ce_assessment_date.is_not(None), 1), else_=0),
                                          sa.Integer).label("household_ce_assessed"))
    latest = sa.select(
        *h, *ce_assessed,
        sa.type_coerce(sa.func.row_number().over(partition_by=h.person_key, order_by=_stay_order(h, stay_rank, {
            "report.start": start_lit, "report.end": end_lit}, dialect, today)), sa.Integer).label("stay_number"),
    ).subquery("latest")

    # ----------------------------------------------------------------- final
    # The stage records' ids first (a correlated look-up per kept row), then plain joins on them:
    # a look-up inside a join condition would run once per pair of rows on PostgreSQL.
    t = latest.c
    flat: dict[str, Any] = {name: t[name] for name in t.keys()}
    flat.update({"report.start": start_lit, "report.end": end_lit,
                 "report.end_plus_one": sa.literal(end_plus_one, sa.Date)})
    derived = _Derived(flat, dialect, today, params)
    stages = [stage for stage in library.INCOME_STAGES
              if any(name in needed for name in library.income_names(stage))]
    staged_query = sa.select(*t)
    if latest_per_person:
        staged_query = staged_query.where(t.stay_number == 1)
    staged = _layer(staged_query, "staged", prefix, steps, shared=True)

    g = staged.c
    derived.flat = {name: g[name] for name in g.keys()}
    derived.flat.update({"report.start": start_lit, "report.end": end_lit,
                         "report.end_plus_one": sa.literal(end_plus_one, sa.Date)})
    from_clause: Any = staged
    if stages:
        # each stage's income record: its id from one pass over the stays' records, then the record by id
        chosen = _layer(derived.income_pass(staged, stages), "income_pass", prefix, steps, shared=True)
        from_clause = from_clause.outerjoin(chosen, sa.and_(
            *[chosen.c[column.name] == column for column in passes.key_of(staged)]))
    for stage in stages:
        alias = aliased(IncomeBenefits, name=f"income_{stage}")
        from_clause = from_clause.outerjoin(alias, alias.id == chosen.c[f"{stage}_record_id"])
        derived.income_aliases[stage] = alias
    # the record look-ups: one pass per record type over every staged row, joined back by the row's key
    for pass_name, build_pass in (*passes.PASSES, ("pit", _pit_pass), ("ce_activity", _ce_activity_pass),
                                  ("ce_household_activity", _ce_household_activity_pass)):
        pass_query = build_pass(staged, needed, params)
        if pass_query is not None:
            found = _layer(pass_query, f"{pass_name}_pass", prefix, steps, shared=True)
            from_clause = from_clause.outerjoin(found, sa.and_(
                *[found.c[column.name] == column for column in passes.key_of(staged)]))
            derived.passes[pass_name] = found.c
    columns: dict[str, ColumnElement[Any]] = {name: g[name] for name in library.BASE_NAMES}
    for name in library.ORDER:
        if name in needed:
            columns[name] = derived.build(name)
            derived.flat[name] = columns[name]
    query = sa.select(*[column.label(name) for name, column in columns.items()]).select_from(from_clause)
    return Universe(query, tuple(columns), tuple(steps))


def _pit_name(month: int, as_hoh: bool) -> str:
    name = next(name for name, number in library.PIT_MONTHS.items() if number == month)
    return f"pit_{name}_hoh" if as_hoh else f"pit_{name}"


def _pay_for_success(project_type: Any, data_source_id: Any, project_id: Any) -> ColumnElement[bool]:
    """Type 7 (Other) with any Pay for Success grant (funder 35), whatever its dates (HUD's APR
    specification and Green River's ``Project#pay_for_success?``): reported like PSH and RRH."""
    return sa.and_(project_type == PAY_FOR_SUCCESS_TYPE, sa.exists().where(
        Funder.data_source_id == data_source_id, Funder.project_id == project_id,
        Funder.date_deleted.is_(None), Funder.funder == PAY_FOR_SUCCESS_FUNDER))


def _pit_pass(staged: Any, needed: set[str], params: ReportParameters) -> Select[Any] | None:
    """The ``pit_<month>`` and ``pit_<month>_hoh`` attributes the definition uses.

    APR Q7b/Q8b: some stay of this client in the reported projects covers the PIT night of
    ``month`` (not only the latest stay: a client who left one project and later entered another
    counts for the nights of the first), as HUD's rules for each project type say:

    * ES night-by-night: a bed night on the night (the exit date is not compared); for Q8b
      (``as_hoh``) a head of household counts when any member of the household had one;
    * PSH and RRH: not exited by the night, and the household's move-in (the HoH's, or the
      member's own start when they joined later) on or before it and not before the start;
    * other residential types (ES entry/exit, TH, SH, OPH): not exited by the night;
    * everything else (SO, SSO, day shelter, HP, CE, other): an exit on the night still counts.

    ``as_hoh``: the client was head of household on such a stay (Q8b counts households by the
    person heading them that night). Stays are the resolved person's (:func:`person_key`, as
    everywhere else in a report: a linked or merged record's stay counts), inside the run's
    project filters.

    One pass for all of them: every stay of each staged row's person (within the project filters)
    with ``max(CASE WHEN <present that night> ...)`` per attribute, grouped by the row's key.
    """
    wanted = [(month, as_hoh) for month in library.PIT_MONTHS.values() for as_hoh in (False, True)
              if _pit_name(month, as_hoh) in needed and library.pit_date(month, params.start, params.end)]
    if not wanted:
        return None
    E, P = Enrollment, Project
    X = aliased(Exit, name="pit_exit")
    exit_date = X.exit_date
    # the household's move-in, once per household (not once per stay and night)
    hoh = aliased(Enrollment, name="pit_hoh")
    moves = (sa.select(hoh.data_source_id, hoh.household_id, sa.func.max(hoh.move_in_date).label("move_in_date"))
             .where(hoh.relationship_to_hoh == 1, hoh.date_deleted.is_(None), hoh.move_in_date >= hoh.entry_date)
             .group_by(hoh.data_source_id, hoh.household_id).subquery("pit_move_in"))
    hoh_move_in = moves.c.move_in_date
    # the households with some member's bed night on each night, once (Q8b), not looked up per stay and night
    member, night_service = aliased(Enrollment, name="pit_member"), aliased(Services, name="pit_night")
    nights = {month: library.pit_date(month, params.start, params.end) for month, as_hoh in wanted if as_hoh}
    household_nights = (
        sa.select(member.data_source_id, member.household_id, *[
            sa.func.max(sa.case((night_service.date_provided == sa.literal(night, sa.Date), 1), else_=0))
            .label(f"night_{night.month}") for night in nights.values()])
        .select_from(join(member, night_service, sa.and_(
            night_service.data_source_id == member.data_source_id,
            night_service.enrollment_id == member.enrollment_id)))
        .where(member.date_deleted.is_(None), member.household_id.is_not(None),
               night_service.record_type == BED_NIGHT, night_service.date_deleted.is_(None),
               night_service.date_provided.in_([sa.literal(night, sa.Date) for night in nights.values()]))
        .group_by(member.data_source_id, member.household_id).subquery("pit_household_nights"))

    def present(night: date, as_hoh: bool) -> ColumnElement[bool]:
        pit = sa.literal(night, sa.Date)
        own_bed_night = sa.exists().where(
            Services.data_source_id == E.data_source_id, Services.enrollment_id == E.enrollment_id,
            Services.record_type == BED_NIGHT, Services.date_deleted.is_(None), Services.date_provided == pit)
        if as_hoh:
            bed_night = sa.or_(own_bed_night, household_nights.c[f"night_{night.month}"] == 1)
        else:
            bed_night = own_bed_night
        move_in = sa.case((E.entry_date > hoh_move_in, E.entry_date), else_=hoh_move_in)
        not_exited = sa.or_(exit_date.is_(None), exit_date > pit)
        project_type = P.project_type
        needs_move_in = sa.or_(project_type.in_(PIT_MOVE_IN_TYPES),
                               _pay_for_success(project_type, P.data_source_id, P.project_id))
        on_night = sa.case(
            (project_type == NIGHT_BY_NIGHT, bed_night),
            (needs_move_in, sa.and_(not_exited, hoh_move_in.is_not(None), move_in <= pit)),
            (project_type.in_(RESIDENTIAL_TYPES), not_exited),
            else_=sa.or_(exit_date.is_(None), exit_date >= pit))
        conditions = [E.entry_date <= pit, on_night]
        if as_hoh:
            conditions.append(E.relationship_to_hoh == 1)
        return sa.and_(*conditions)

    # every stay of the row's resolved person (see person_key); a client found both ways is counted once: max() below
    clients = _person_clients(staged, "pit")
    client = aliased(Client, name="pit_client")
    stays = (clients.join(client, client.id == clients.c.client_id)
             .join(E.__table__, sa.and_(E.data_source_id == client.data_source_id,
                                        E.personal_id == client.personal_id))
             .join(P.__table__, sa.and_(P.data_source_id == E.data_source_id, P.project_id == E.project_id))
             .outerjoin(X, sa.and_(X.data_source_id == E.data_source_id, X.enrollment_id == E.enrollment_id,
                                   X.date_deleted.is_(None)))
             .outerjoin(moves, sa.and_(moves.c.data_source_id == E.data_source_id,
                                       moves.c.household_id == E.household_id)))
    if nights:
        stays = stays.outerjoin(household_nights, sa.and_(household_nights.c.data_source_id == E.data_source_id,
                                                          household_nights.c.household_id == E.household_id))
    columns = [sa.func.max(sa.case((present(library.pit_date(month, params.start, params.end), as_hoh), 1),
                                   else_=0)).label(_pit_name(month, as_hoh)) for month, as_hoh in wanted]
    found = [clients.c.enrollment_pk, clients.c.exit_pk]
    return (sa.select(*found, *columns).select_from(stays)
            .where(E.date_deleted.is_(None), P.date_deleted.is_(None), *_project_filters(params))
            .group_by(*found))


def _person_clients(staged: Any, name: str) -> Any:
    """The staged rows' key with ``client_id``: each client record resolved to the row's person (see
    person_key), found by the person id (the client itself) or by its person_key rows, so each step is an
    index look-up on both databases (a join on the resolved id as an expression made SQLite compare every
    client with every row). A client can be found both ways: callers count what they find once."""
    g, key = staged.c, passes.key_of(staged)
    own, linked = aliased(PersonKey, name=f"{name}_own_key"), aliased(PersonKey, name=f"{name}_linked_key")
    itself = aliased(Client, name=f"{name}_itself")
    by_id = (sa.select(*key, itself.id.label("client_id"))
             .select_from(staged.join(itself, itself.id == g.person_id).outerjoin(own, own.client_id == itself.id))
             .where(sa.func.coalesce(own.person_id, itself.id) == g.person_id))
    by_link = sa.select(*key, linked.client_id.label("client_id")).select_from(
        staged.join(linked, linked.person_id == g.person_id))
    return sa.union_all(by_id, by_link).subquery(f"{name}_clients")


def _of_person(record: Any, person_id: Any, name: str) -> ColumnElement[bool]:
    """``record`` (a table with data_source_id and personal_id, such as 4.19 or 4.20) is of a client record
    resolved to the person ``person_id`` (see person_key): the client whose id stands for the person (a
    resolved person id is always one of its own records) or one whose person_key row names the person.

    A list of (data source, PersonalID) pairs, so that both databases find the person's few records by
    index and then theirs: a join on the client with "this id or a linked one" made PostgreSQL test every
    client record for each row (~50 s of database CPU on a 200,000-client CoC)."""
    itself, linked, linked_client = (aliased(Client, name=f"{name}_itself"), aliased(PersonKey, name=f"{name}_key"),
                                     aliased(Client, name=f"{name}_linked"))
    # explicit correlation: nested in look-ups, ``person_id`` is a column of a row several levels up
    records = sa.union_all(
        sa.select(itself.data_source_id, itself.personal_id).where(itself.id == person_id).correlate_except(itself),
        sa.select(linked_client.data_source_id, linked_client.personal_id)
        .join(linked, linked.client_id == linked_client.id)
        .where(linked.person_id == person_id, linked.client_id != person_id).correlate_except(linked, linked_client))
    return sa.tuple_(record.data_source_id, record.personal_id).in_(records)


def _ce_activity_pass(staged: Any, needed: set[str], params: ReportParameters) -> Select[Any] | None:
    """CE APR Q10: the client's coordinated entry assessments (4.19) and events (4.20) dated in the range, on
    any of their stays (of every client record resolved to them) in the reported projects, made while the project was
    a CE access point (2.09), counted by level, by event code and by result (``library.CE_ACTIVITY_COUNTS``);
    also every event, and every assessment or event.

    Q10 counts every record in the range, not only the latest assessment's household (HUD's answer key,
    DataLab CE_APR.R, counts all of them): one row per person, so each record is counted once."""
    counts = [name for name in library.CE_ACTIVITY_COUNTS if name in needed]
    totals = [name for name in ("ce_events_in_range", "ce_activity_in_range") if name in needed]
    if not counts and not totals:
        return None
    start, end = sa.literal(params.start, sa.Date), sa.literal(params.end, sa.Date)
    A = Assessment
    records = sa.union_all(
        sa.select(A.data_source_id, A.enrollment_id, A.assessment_date.label("day"),
                  sa.literal("assessment").label("record"),
                  A.assessment_level.label("code"), sa.null().label("referral_result"),
                  sa.null().label("prob_sol_div_rr_result"), sa.null().label("referral_case_manage_after"))
        .where(A.date_deleted.is_(None), A.assessment_date >= start, A.assessment_date <= end),
        sa.select(Event.data_source_id, Event.enrollment_id, Event.event_date.label("day"),
                  sa.literal("event").label("record"),
                  Event.event.label("code"), Event.referral_result, Event.prob_sol_div_rr_result,
                  Event.referral_case_manage_after)
        .where(Event.date_deleted.is_(None), Event.event_date >= start, Event.event_date <= end),
    ).subquery("ce_records")
    r = records.c

    def counted(record: str, code: int, outcome: str | None) -> ColumnElement[Any]:
        matches = [r.record == record, r.code == code]
        if outcome is not None:
            field, value, _ = library.CE_EVENT_OUTCOMES[outcome]
            matches.append(r[field] == value)
        return sa.func.sum(sa.case((sa.and_(*matches), 1), else_=0))

    columns = [counted(*library.CE_ACTIVITY_COUNTS[name]).label(name) for name in counts]
    columns += [sa.func.sum(sa.case((r.record == "event", 1), else_=0)).label("ce_events_in_range"),
                sa.func.count().label("ce_records_in_range")]
    # the stays of every client record resolved to the row's person (person_key), as every other count:
    # merged or linked records are one person. distinct: a client found two ways is counted once.
    found = _person_clients(staged, "ce")
    clients = sa.select(*found.c).distinct().subquery("ce_person_clients")
    key = [clients.c.enrollment_pk, clients.c.exit_pk]
    E, P = Enrollment, Project
    client = aliased(Client, name="ce_client")
    stays = (clients.join(client, client.id == clients.c.client_id)
             .join(E.__table__, sa.and_(E.data_source_id == client.data_source_id, E.personal_id == client.personal_id))
             .join(P.__table__, sa.and_(P.data_source_id == E.data_source_id, P.project_id == E.project_id))
             .join(records, sa.and_(r.data_source_id == E.data_source_id, r.enrollment_id == E.enrollment_id)))
    return (sa.select(*key, *columns).select_from(stays)
            .where(E.date_deleted.is_(None), P.date_deleted.is_(None), *_project_filters(params),
                   _ce_access_point_on(P.data_source_id, P.project_id, r.day))
            .group_by(*key))


def _ce_household_activity_pass(staged: Any, needed: set[str], params: ReportParameters) -> Select[Any] | None:
    """CE APR Q4a (``ce_household_active``): 1 when the row's stay covers the date of a CE assessment (4.19)
    or event (4.20) dated in the range on a stay of its household (same household and project, kept by the
    --coc filter), made while the project was a CE access point (2.09). HUD's answer key (DataLab CE_APR.R,
    Q4a's active_at_event) counts a client active on any such date of the household, assessed or not.

    One pass: the few CE records' households and dates first, then a join on the household key (a look-up
    per row took ~34 s of database CPU on a 50,000-client CoC)."""
    if "ce_household_active" not in needed:
        return None
    start, end = sa.literal(params.start, sa.Date), sa.literal(params.end, sa.Date)
    A, member = Assessment, aliased(Enrollment, name="ce_activity_member")
    records = sa.union_all(
        sa.select(A.data_source_id, A.enrollment_id, A.assessment_date.label("day"))
        .where(A.date_deleted.is_(None), A.assessment_date >= start, A.assessment_date <= end),
        sa.select(Event.data_source_id, Event.enrollment_id, Event.event_date.label("day"))
        .where(Event.date_deleted.is_(None), Event.event_date >= start, Event.event_date <= end),
    ).subquery("ce_household_records")
    r = records.c
    coc_kept = [_enrollment_coc_kept(member.enrollment_coc, params.coc_codes)] if params.coc_codes else []
    dates = (sa.select(household_key(member.data_source_id, member.household_id, member.enrollment_id)
                       .label("household_key"), member.project_id, r.day)
             .select_from(records.join(member, sa.and_(member.data_source_id == r.data_source_id,
                                                       member.enrollment_id == r.enrollment_id)))
             .where(member.date_deleted.is_(None), *coc_kept,
                    _ce_access_point_on(member.data_source_id, member.project_id, r.day))
             .subquery("ce_household_dates"))
    g, key, a = staged.c, passes.key_of(staged), dates.c
    return (sa.select(*key, sa.literal(1).label("ce_household_active"))
            .select_from(staged.join(dates, sa.and_(a.household_key == g.household_key, a.project_id == g.project_id)))
            .where(a.day >= g.entry_date, sa.or_(g.exit_date.is_(None), a.day <= g.exit_date))
            .group_by(*key))


def _project_filters(params: ReportParameters, E: Any = Enrollment, P: Any = Project) -> list[ColumnElement[bool]]:
    """The run's project filters on the stay ``E`` of project ``P`` (the tables, or aliases of them)."""
    filters: list[ColumnElement[bool]] = []
    if params.project_ids:
        filters.append(P.project_id.in_(params.project_ids))
    if params.project_types:
        filters.append(P.project_type.in_(params.project_types))
    if params.funders:
        filters.append(sa.exists().where(
            Funder.data_source_id == P.data_source_id, Funder.project_id == P.project_id,
            Funder.date_deleted.is_(None), Funder.funder.in_(params.funders),
            sa.or_(Funder.start_date.is_(None), Funder.start_date <= params.end),
            sa.or_(Funder.end_date.is_(None), Funder.end_date >= params.start)))
    if params.coc_codes:
        filters.append(sa.exists().where(
            ProjectCoC.data_source_id == P.data_source_id, ProjectCoC.project_id == P.project_id,
            ProjectCoC.date_deleted.is_(None), ProjectCoC.coc_code.in_(params.coc_codes)))
        filters.append(_enrollment_coc_kept(E.enrollment_coc, params.coc_codes))
    return filters


def _enrollment_coc_kept(coc: Any, coc_codes: Any) -> ColumnElement[bool]:
    """The --coc filter on a stay's EnrollmentCoC: one of ``coc_codes``, or blank or malformed (HUD keeps
    such a stay: it shows up as a DQ error)."""
    malformed = sa.or_(sa.func.length(coc) != 6, sa.func.substr(coc, 3, 1) != "-")
    return sa.or_(coc.in_(coc_codes), coc.is_(None), malformed)


def _household_history(stays: Any, dialect: str, today: date, start_lit: ColumnElement[Any], disabled: Any) -> Any:
    """Per household of ``stays``, from every stay of the household, active in the range or not: its first
    start and whether an adult or HoH who started then was chronically homeless at start (1, else 0).

    Chronic status spreads from whoever was there when the household began, which can be a member
    who left before the report range (reports.md §1.1: "Determining this can require data on members
    who left before the report range"; HUD's Data Lab code reads every stay of the household).
    """
    E, P, C = Enrollment, Project, Client
    key = household_key(E.data_source_id, E.household_id, E.enrollment_id)
    refs = {"dob": C.dob, "entry_date": E.entry_date, "report.start": start_lit,
            "date_to_street_essh": E.date_to_street_essh}
    age = _expr("age(dob, max(entry_date, report.start))", refs, dialect, today)
    chronic = _chronic_at_start(sa.func.coalesce(P.project_type, -1), dialect, today, refs, disabled)
    joins = (E.__table__
             .join(P.__table__, sa.and_(P.data_source_id == E.data_source_id, P.project_id == E.project_id))
             .join(C.__table__, sa.and_(C.data_source_id == E.data_source_id, C.personal_id == E.personal_id)))
    members = (sa.select(
        key.label("household_key"), E.entry_date.label("entry_date"),
        sa.case((sa.and_(sa.or_(age >= 18, E.relationship_to_hoh == 1), chronic == "yes"), 1), else_=0).label("yes"))
        .select_from(joins)
        .where(E.date_deleted.is_(None), P.date_deleted.is_(None), C.date_deleted.is_(None),
               E.entry_date.is_not(None), key.in_(sa.select(stays.c.household_key)))
        .subquery("household_members"))
    m = members.c
    # Some chronic adult or HoH started on the first start exactly when the earliest start of those
    # members is the household's first start: one GROUP BY, where a window over the household sorted
    # every member first (~0.08 s of the staged layer's ~1.1 s on a 200,000-client CoC).
    first_start = sa.func.min(m.entry_date)
    first_chronic_start = sa.func.min(sa.case((m.yes == 1, m.entry_date)))
    return (sa.select(m.household_key, first_start.label("first_start"),
                      sa.case((first_chronic_start == first_start, 1), else_=0).label("chronic_at_first_start"))
            .group_by(m.household_key).subquery("household_history"))


def _ce_access_point_on(data_source_id: Any, project_id: Any, day: Any) -> ColumnElement[bool]:
    """The project was a coordinated entry access point (2.09, AccessPoint 1) on ``day``: HUD's answer key
    (DataLab CE_APR.R) counts only the assessments, and Q10 only the events, made in one."""
    ce = aliased(CEParticipation, name="ce_access_point")
    return sa.exists().where(
        ce.data_source_id == data_source_id, ce.project_id == project_id, ce.date_deleted.is_(None),
        ce.access_point == 1, ce.ce_participation_status_start_date <= day,
        sa.or_(ce.ce_participation_status_end_date.is_(None), ce.ce_participation_status_end_date >= day)
    ).correlate_except(ce)  # nested in look-ups: everything but the 2.09 records is the enclosing rows'


def _stay_order(h: Any, stay_rank: str | None, parameters: dict[str, Any], dialect: str,
                today: date) -> tuple[ColumnElement[Any], ...]:
    """The order of a person's stays, the first representing them: by ``stay_rank`` when given (the highest
    first, a blank last: a CASE, as the databases put NULLs at opposite ends), then the latest entry."""
    latest_entry = (h.entry_date.desc(), h.enrollment_pk.desc())
    if stay_rank is None:
        return latest_entry
    columns = {name: h[name] for name in library.BASE if name in h}
    if "household_ce_assessment_date" in h:
        columns["ce_assessment_date"] = h.household_ce_assessment_date
    rank = _expr(stay_rank, {**columns, **parameters}, dialect, today)
    return (sa.case((rank.is_(None), 1), else_=0), rank.desc(), *latest_entry)


def _stay_latest_ce_assessment(params: ReportParameters) -> ColumnElement[Any]:
    """The date of the stay's (Enrollment's) latest CE assessment (4.19) dated in the range, made while its
    project was a CE access point (2.09); null when none."""
    A, E = Assessment, Enrollment
    return (sa.select(sa.func.max(A.assessment_date)).where(
        A.data_source_id == E.data_source_id, A.enrollment_id == E.enrollment_id, A.date_deleted.is_(None),
        A.assessment_date >= sa.literal(params.start, sa.Date), A.assessment_date <= sa.literal(params.end, sa.Date),
        _ce_access_point_on(E.data_source_id, E.project_id, A.assessment_date))
        .correlate(E).scalar_subquery())


def _later_ce_assessment_of_person(person_id: Any, after: Any, params: ReportParameters) -> ColumnElement[bool]:
    """The person (every client record resolved to ``person_id``) has a CE assessment (4.19) dated after
    ``after`` and by report end, on a stay kept by the run's project filters (--coc included), made while
    that project was a CE access point (2.09): the assessments DataLab's relevant_assessments reads."""
    later, stay, project = (aliased(Assessment, name="ce_person_later"), aliased(Enrollment, name="ce_later_stay"),
                            aliased(Project, name="ce_later_project"))
    return sa.exists().where(
        _of_person(later, person_id, "ce_person"), later.date_deleted.is_(None),
        later.assessment_date > after, later.assessment_date <= sa.literal(params.end, sa.Date),
        stay.data_source_id == later.data_source_id, stay.enrollment_id == later.enrollment_id,
        stay.date_deleted.is_(None), project.data_source_id == stay.data_source_id,
        project.project_id == stay.project_id, project.date_deleted.is_(None), *_project_filters(params, stay, project),
        _ce_access_point_on(project.data_source_id, project.project_id, later.assessment_date)
    ).correlate_except(later, stay, project)


def _household_ce_assessment_date(s: Any, params: ReportParameters) -> ColumnElement[Any]:
    """The date of the latest CE assessment (4.19) dated in the range on any stay of the row's household in
    the same project, made while the project was a CE access point (2.09) and the latest of its person's (one
    followed by a later one of theirs elsewhere does not count), when it falls inside the row's own
    stay in a continuum project (1.10); else null (the row's household is then not "assessed":
    ce_household_assessed). The CE APR counts households assessed (reports.md §2.4), but 4.19 is collected
    for the head of household only (standards.md): the members count through it, when they were there that
    day (HUD's answer key, DataLab CE_APR.R, keeps the members present on the assessment date)."""
    own_latest = s.ce_own_assessment_date
    # DataLab keeps each person's latest assessment first (most_recent_assessment, by PersonalID), then each
    # household's latest of those: a stay's assessment is dropped when its person has a later one elsewhere
    kept = sa.case((own_latest.is_(None), sa.null()),
                   (_later_ce_assessment_of_person(s.person_id, own_latest, params), sa.null()),
                   else_=own_latest)
    # by project too: a household id shared by stays in two projects is two households here
    household_latest = sa.func.max(kept).over(partition_by=(s.household_key, s.project_id))
    # only in a continuum project (1.10): DataLab's assessed stays are those of its CE_element_projects
    inside = sa.and_(s.continuum_project == 1, household_latest >= s.entry_date,
                     sa.or_(s.exit_date.is_(None), household_latest <= s.exit_date))
    return sa.type_coerce(sa.case((inside, household_latest)), sa.Date)


def _disabled_at_start() -> Select[Any]:
    """The stays (data source, EnrollmentID) with a start disability record (stage 1) that makes a disabling
    condition: developmental disability or HIV/AIDS answered yes, or another type answered yes and expected
    to be long-continued and substantially impairing.

    A layer of its own: the stays and the household histories both test it, and PostgreSQL read the whole
    disabilities table for each (~0.4 s apiece on a 200,000-client CoC, in parallel workers)."""
    d = Disabilities
    return (sa.select(d.data_source_id, d.enrollment_id)
            .where(d.date_deleted.is_(None), d.data_collection_stage == 1,
                   sa.or_(sa.and_(d.disability_type.in_(ALWAYS_DISABLING), d.disability_response == 1),
                          sa.and_(d.disability_response.in_((1, 2, 3)), d.indefinite_and_impairs == 1)))
            .distinct())


def _chronic_at_start(project_type: ColumnElement[int], dialect: str, today: date,
                      refs: dict[str, Any], disabled_at_start: Any) -> ColumnElement[str]:
    """HUD's 3.917 algorithm for one stay (reports.md §1.1): 'yes', 'no', 'dk_pnta' or 'missing'.
    ``disabled_at_start``: the :func:`_disabled_at_start` layer."""
    E = Enrollment
    listed = disabled_at_start.c
    qualifying = sa.tuple_(E.data_source_id, E.enrollment_id).in_(
        sa.select(listed.data_source_id, listed.enrollment_id))
    disabled = sa.or_(E.disabling_condition == 1, qualifying)
    long_enough_on_street = _expr("days_between(date_to_street_essh, entry_date) >= 365", refs, dialect, today)
    times, months = E.times_homeless_past_three_years, E.months_homeless_past_three_years
    time_test = sa.case(
        (long_enough_on_street, "yes"),
        (times.in_((1, 2, 3)), "no"),
        (times.in_((8, 9)), "dk_pnta"),
        (sa.or_(times.is_(None), times != 4), "missing"),
        (months.in_((112, 113)), "yes"),
        (sa.and_(months >= 101, months <= 111), "no"),
        (months.in_((8, 9)), "dk_pnta"),
        else_="missing")
    situation = E.living_situation
    bridged = sa.and_(E.los_under_threshold == 1, E.previous_street_essh == 1)
    paths = sa.case(
        (project_type.in_(STREET_SHELTER_TYPES), time_test),
        (sa.and_(situation >= 100, situation < 200), time_test),
        (situation.is_(None), "missing"),
        (bridged, time_test),
        else_="no")
    return sa.type_coerce(sa.case(
        (disabled, paths),
        (E.disabling_condition == 0, "no"),
        (E.disabling_condition.in_((8, 9)), "dk_pnta"),
        else_="missing"), sa.String)


class _Derived:
    """Builds the library's derived attributes over the ``latest`` layer's columns."""

    def __init__(self, flat: dict[str, Any], dialect: str, today: date, params: ReportParameters) -> None:
        self.flat = flat
        self.dialect = dialect
        self.today = today
        self.params = params
        self.income_aliases: dict[str, Any] = {}
        #: the columns of each record pass built for this universe (hmis.reports.passes), by pass name
        self.passes: dict[str, Any] = {}

    def expr(self, text: str) -> ColumnElement[Any]:
        return _expr(text, self.flat, self.dialect, self.today)

    def build(self, name: str) -> ColumnElement[Any]:
        method = getattr(self, f"_{name}", None)
        if method is not None:
            built = method()
        elif library.disability_parts(name) is not None:
            built = self.passes["disabilities"][name]
        elif name.startswith("pit_") and name[4:] in library.PIT_MONTHS:
            built = self._present_on_pit(library.PIT_MONTHS[name[4:]])
        elif name in library.CE_ACTIVITY_COUNTS:
            built = self._ce_activity_count(name)
        elif name in library.EXPRESSIONS:
            built = self.expr(library.EXPRESSIONS[name])
        else:
            built = self._income(name)
        return sa.type_coerce(built, library.sql_type(name)).self_group()

    # Stage records: the record's id (one pass over the staged rows' records), then an outer join on it.
    def income_pass(self, staged: Any, stages: list[str]) -> Select[Any]:
        """``<stage>_record_id`` for each of ``stages``: the id of the stay's latest (by date, then id)
        IncomeBenefits record of that stage: at start (stage 1) dated the start, at exit (3) dated the
        exit, the annual assessment (5) within 30 days of the anniversary and by report end."""
        f = self.flat
        ib = IncomeBenefits
        day = ib.information_date
        anniversary = self._anniversary() if "annual" in stages else None
        matches = {
            "start": lambda: sa.and_(ib.data_collection_stage == 1, day == f["entry_date"]),
            "exit": lambda: sa.and_(ib.data_collection_stage == 3, day == f["exit_date"]),
            "annual": lambda: sa.and_(ib.data_collection_stage == 5, day >= _add_days(anniversary, -30, self.dialect),
                                      day <= _add_days(anniversary, 30, self.dialect),
                                      day <= sa.literal(self.params.end, sa.Date)),
        }
        key = passes.key_of(staged)
        columns = []
        for stage in stages:
            match = sa.case((matches[stage](), 1), else_=0)
            columns += [match.label(f"{stage}_match"), sa.func.row_number().over(
                partition_by=[*key, match], order_by=(day.desc(), ib.id.desc())).label(f"{stage}_rank")]
        records = (sa.select(*key, ib.id.label("record_id"), *columns)
                   .select_from(staged.join(ib, sa.and_(ib.data_source_id == f["data_source_id"],
                                                        ib.enrollment_id == f["enrollment_id"],
                                                        ib.date_deleted.is_(None))))
                   .where(ib.data_collection_stage.in_([{"start": 1, "exit": 3, "annual": 5}[s] for s in stages]))
                   .subquery("income_records"))
        r = records.c
        return (sa.select(r.enrollment_pk, r.exit_pk, *[
            sa.func.max(sa.case((sa.and_(r[f"{stage}_match"] == 1, r[f"{stage}_rank"] == 1), r.record_id)))
            .label(f"{stage}_record_id") for stage in stages]).group_by(r.enrollment_pk, r.exit_pk))

    def _anniversary(self) -> ColumnElement[Any]:
        years = self.expr("years_between(hoh_entry_date, report.end)")
        return _add_years(self.flat["hoh_entry_date"], years, self.dialect)

    def _annual_assessment_due(self) -> ColumnElement[Any]:
        """HoH in the project a year or more by report end, member there by the anniversary, still a stayer."""
        f = self.flat
        years = self.expr("years_between(hoh_entry_date, report.end)")
        return sa.and_(years >= 1, f["entry_date"] <= self._anniversary(),
                       sa.or_(f["exit_date"].is_(None), f["exit_date"] > sa.literal(self.params.end, sa.Date)))

    def _move_in_adjusted(self) -> ColumnElement[Any]:
        """The HoH's move-in, taken by members present then (later joiners: their own start); ignored
        when before the HoH's start, after the HoH's exit or after report end."""
        f = self.flat
        hoh_move_in = f["hoh_move_in_date"]
        valid = sa.and_(sa.or_(f["project_type"].in_(MOVE_IN_TYPES), self._pay_for_success()),
                        hoh_move_in >= f["hoh_entry_date"],
                        hoh_move_in <= sa.literal(self.params.end, sa.Date),
                        sa.or_(f["hoh_exit_date"].is_(None), hoh_move_in <= f["hoh_exit_date"]))
        member_date = sa.case((f["entry_date"] > hoh_move_in, f["entry_date"]), else_=hoh_move_in)
        own_exit_ok = sa.or_(f["exit_date"].is_(None), member_date <= f["exit_date"])
        return sa.case((sa.and_(valid, own_exit_ok), member_date))

    def _chronic_status(self) -> ColumnElement[Any]:
        """Household propagation (reports.md §1.1): YES for everyone present at the household's start
        when an adult/HoH present then is YES; adults and HoH keep their own status otherwise; a child
        takes the HoH's status when the HoH and every adult are DK/PNTA or missing, else NO."""
        f = self.flat
        present_at_start = f["entry_date"] == f["household_start"]
        adult_or_hoh = sa.or_(f["age"] >= 18, f["relationship_to_hoh"] == 1)
        return sa.case(
            (sa.and_(f["household_chronic_at_start"] == 1, present_at_start), "yes"),
            (adult_or_hoh, f["chronic_individual"]),
            (sa.and_(f["hoh_chronic_individual"].in_(("dk_pnta", "missing")), f["household_chronic_known"] == 0),
             f["hoh_chronic_individual"]),
            else_="no")

    def _household_chronic_status(self) -> ColumnElement[Any]:
        """APR Q26a: any adult or HoH chronically homeless -> 'yes'; else everyone 'no' -> 'no'; else any
        DK/PNTA -> 'dk_pnta'; else 'missing'. "Chronically homeless" is after household propagation (as
        Q26b reads it): an adult or HoH of the universe who was there at the household's start counts
        when a member then was, even one who left before the report range."""
        f = self.flat
        rank = f["household_chronic_rank"]
        took_it = sa.and_(f["household_chronic_at_start"] == 1, f["entry_date"] == f["household_start"],
                          sa.or_(f["age"] >= 18, f["relationship_to_hoh"] == 1))
        spread = sa.func.max(sa.case((took_it, 1), else_=0)).over(partition_by=f["household_key"])
        return sa.case((sa.or_(rank == 3, spread == 1), "yes"), (rank == 2, "dk_pnta"), (rank == 1, "missing"),
                       else_="no")

    def _bed_nights(self) -> ColumnElement[Any]:
        """Nights in the report range: distinct bed-night dates for ES-NbN, else days of the stay in range."""
        f = self.flat
        # distinct bed-night dates in the range, from the start and before the exit (passes.services)
        nights = sa.func.coalesce(self.passes["services"]["nights_in_range"], 0)
        days = self.expr("days_between(max(entry_date, report.start), "
                         "min(coalesce(exit_date, report.end_plus_one), report.end_plus_one))")
        return sa.case((f["project_type"] == NIGHT_BY_NIGHT, nights), else_=days)

    def _length_of_stay(self) -> ColumnElement[Any]:
        """APR length of stay: from the start (not cut at report start) to exit or report end + 1;
        ES-NbN: bed nights from the start up to report end."""
        f = self.flat
        # distinct bed-night dates from the start, before the exit and by report end (passes.services)
        nights = sa.func.coalesce(self.passes["services"]["nights_to_end"], 0)
        days = self.expr("days_between(entry_date, min(coalesce(exit_date, report.end_plus_one), report.end_plus_one))")
        return sa.case((f["project_type"] == NIGHT_BY_NIGHT, nights), else_=days)

    def _ce_assessments(self) -> Any:
        f = self.flat
        return (sa.select(Assessment).where(
            Assessment.data_source_id == f["data_source_id"], Assessment.enrollment_id == f["enrollment_id"],
            Assessment.date_deleted.is_(None), Assessment.assessment_date >= sa.literal(self.params.start, sa.Date),
            Assessment.assessment_date <= sa.literal(self.params.end, sa.Date)))

    def _ce_assessment_in_range(self) -> ColumnElement[Any]:
        return self._ce_assessments().exists()

    def _ce_household_assessed(self) -> ColumnElement[Any]:
        return self.flat["household_ce_assessed"] == 1

    def _ce_household_latest(self, column: Any) -> ColumnElement[Any]:
        """``column`` of the household's latest assessment (4.19) in the range: on any member's stay of the
        row's household in the row's project, made while it was a CE access point (2.09), as the universe
        (ce_household_assessed) counts households.

        HUD's answer key (DataLab CE_APR.R) takes the latest assessment of any member, not only the head's.
        On one date the first recorded wins (lowest id, the export file's order): DataLab keeps the first row
        of the file among same-date assessments."""
        f = self.flat
        me, member = aliased(Enrollment, name="ce_me"), aliased(Enrollment, name="ce_member")
        same_household = sa.or_(sa.and_(me.household_id.is_not(None), member.household_id == me.household_id),
                                member.enrollment_id == me.enrollment_id)
        # the --coc filter on the member's stay too, as the universe (ce_household_assessed) reads only the
        # reported stays (DataLab drops assessments on stays of another CoC before taking the latest)
        coc_kept = ([_enrollment_coc_kept(member.enrollment_coc, self.params.coc_codes)]
                    if self.params.coc_codes else [])
        # explicit correlation: the event look-ups nest this two deep, and only these tables are its own
        return self._if_assessed(sa.select(column).where(
            me.id == f["enrollment_pk"], member.data_source_id == me.data_source_id,
            member.project_id == me.project_id, same_household, member.date_deleted.is_(None), *coc_kept,
            Assessment.data_source_id == member.data_source_id, Assessment.enrollment_id == member.enrollment_id,
            Assessment.date_deleted.is_(None), Assessment.assessment_date >= sa.literal(self.params.start, sa.Date),
            Assessment.assessment_date <= sa.literal(self.params.end, sa.Date),
            # the date the universe kept: a later one of the household's can be dropped (its person's latest
            # is elsewhere), so the latest on any member's stay is not always the household's
            Assessment.assessment_date == f["household_ce_assessment_date"],
            _ce_access_point_on(member.data_source_id, member.project_id, Assessment.assessment_date))
            .order_by(Assessment.assessment_date.desc(), Assessment.id).limit(1)
            .correlate_except(Assessment, me, member).scalar_subquery())

    def _if_assessed(self, look_up: ColumnElement[Any]) -> ColumnElement[Any]:
        """``look_up`` only on rows of assessed households (null elsewhere): both databases skip a CASE's
        look-up when its condition fails, and most of a CoC's stays were never assessed."""
        return sa.case((self.flat["household_ce_assessed"] == 1, look_up))

    def _ce_household_active(self) -> ColumnElement[Any]:
        """CE APR Q4a: see :func:`_ce_household_activity_pass`."""
        return sa.func.coalesce(self.passes["ce_household_activity"]["ce_household_active"], 0) == 1

    def _ce_household_type(self) -> ColumnElement[Any]:
        """The household type among the members counted with the household's latest assessment (present on
        its date: ce_household_assessed), each at their age in the universe. HUD's answer key (DataLab
        CE_APR.R, get_household_info on the assessed stays) groups only those members, so one who came after
        the assessment or left before it does not change the type. Null outside assessed households.

        A negative age (born after the later of entry and report start) makes a child, not an unknown age:
        DataLab's add_client_info puts every age under 18 in "Children" (as library.is_child)."""
        f = self.flat
        counted = f["household_ce_assessed"] == 1
        age = f["age"]
        by_household = {"partition_by": (f["household_key"], f["project_id"])}

        def any_counted(condition: ColumnElement[bool]) -> ColumnElement[Any]:
            return sa.func.max(sa.case((sa.and_(counted, condition), 1), else_=0)).over(**by_household)

        adults, children = any_counted(age >= 18) == 1, any_counted(age < 18) == 1
        unknown = any_counted(age.is_(None)) == 1
        return sa.case((~counted, sa.null()),
                       (sa.and_(adults, children), "with_children_and_adults"), (unknown, "unknown"),
                       (adults, "without_children"), (children, "with_only_children"), else_="unknown")

    def _ce_assessment_date(self) -> ColumnElement[Any]:
        # the date the household layer found (the same latest assessment): no second look-up
        return self.flat["household_ce_assessment_date"]

    def _ce_assessment_type(self) -> ColumnElement[Any]:
        return self._ce_household_latest(Assessment.assessment_type)

    def _ce_assessment_level(self) -> ColumnElement[Any]:
        return self._ce_household_latest(Assessment.assessment_level)

    def _ce_prioritization_status(self) -> ColumnElement[Any]:
        return self._ce_household_latest(Assessment.prioritization_status)

    def _ce_chosen_event(self) -> ColumnElement[Any]:
        """The id of the event (4.20) Q9c/Q9d read, as HUD's answer key (DataLab ``get_relevant_events``) picks it:
        the person's events on any stay, dated from the household's latest assessment in the range to report
        end + 90 days and before the person's latest assessment dated after report end (within those 90 days);
        one on the row's own stay first, else the latest anywhere; on one date the first recorded.

        "The person" is every client record resolved to the row's person (person_key), as Q10 and every other
        count. DataLab reads these events and the cut-off assessment from the whole export by PersonalID: no
        CoC filter and no access-point (2.09) test, unlike the assessments that put a household in and Q10's
        records, so neither is applied here.

        reports.md §2.4 says "before any later assessment inside that window", i.e. the earliest; DataLab cuts
        at the latest one, and DataLab generates HUD's answer key, so that is followed here."""
        f = self.flat
        end = self.params.end
        window_end = sa.literal(end + timedelta(days=90), sa.Date)
        later = aliased(Assessment, name="ce_later_assessment")
        cutoff = (sa.select(sa.func.max(later.assessment_date)).where(
            _of_person(later, f["person_id"], "ce_later"), later.date_deleted.is_(None),
            later.assessment_date > sa.literal(end, sa.Date), later.assessment_date <= window_end)
            .correlate_except(later).scalar_subquery())
        anchor = self._ce_assessment_date()

        def latest(*where: ColumnElement[bool]) -> ColumnElement[Any]:
            return (sa.select(Event.id).where(
                _of_person(Event, f["person_id"], "ce_event"), Event.date_deleted.is_(None),
                Event.event_date >= anchor, Event.event_date <= window_end,
                sa.or_(cutoff.is_(None), Event.event_date < cutoff), *where)
                .order_by(Event.event_date.desc(), Event.id).limit(1)
                .correlate_except(Event).scalar_subquery())

        # two look-ups, not one ordered by "on this stay": SQLite does not see the row's columns in the
        # ORDER BY of a look-up nested this deep. The stay is named by data source and EnrollmentID: a merged
        # person's records can come from two data sources.
        on_this_stay = sa.and_(Event.data_source_id == f["data_source_id"], Event.enrollment_id == f["enrollment_id"])
        return sa.func.coalesce(latest(on_this_stay), latest())

    def _ce_event_field(self, column: Any) -> ColumnElement[Any]:
        chosen = aliased(Event, name="ce_chosen_event")
        return self._if_assessed(sa.select(getattr(chosen, column.key)).where(chosen.id == self._ce_chosen_event())
                                 .correlate_except(chosen).scalar_subquery())

    def _ce_event(self) -> ColumnElement[Any]:
        return self._ce_event_field(Event.event)

    def _ce_event_referral_result(self) -> ColumnElement[Any]:
        return self._ce_event_field(Event.referral_result)

    def _ce_event_prob_sol_result(self) -> ColumnElement[Any]:
        return self._ce_event_field(Event.prob_sol_div_rr_result)

    def _ce_event_case_manage_after(self) -> ColumnElement[Any]:
        return self._ce_event_field(Event.referral_case_manage_after)

    def _ce_events_in_range(self) -> ColumnElement[Any]:
        return sa.func.coalesce(self.passes["ce_activity"]["ce_events_in_range"], 0)

    def _ce_activity_in_range(self) -> ColumnElement[Any]:
        return sa.func.coalesce(self.passes["ce_activity"]["ce_records_in_range"], 0) > 0

    def _ce_activity_count(self, name: str) -> ColumnElement[Any]:
        return sa.func.coalesce(self.passes["ce_activity"][name], 0)

    def _dv_survivor(self) -> ColumnElement[Any]:
        """4.11 on the stay's latest record dated by report end that answers it (a record with no survivor
        answer, say one that only updated another field, is skipped: APR Q14a/b); see passes.health_and_dv."""
        return self.passes["health"]["dv_survivor"]

    def _dv_when_occurred(self) -> ColumnElement[Any]:
        return self.passes["health"]["dv_when_occurred"]

    def _engagement_as_contact(self) -> ColumnElement[Any]:
        """An engagement date inside the stay and the range's end with no 4.12 record on it counts as a contact."""
        f = self.flat
        engaged = f["date_of_engagement"]
        record_that_day = sa.func.coalesce(self.passes["contacts"]["engagement_record"], 0) == 1
        return sa.and_(engaged.is_not(None), engaged >= f["entry_date"],
                       engaged <= sa.literal(self.params.end, sa.Date),
                       sa.or_(f["exit_date"].is_(None), engaged <= f["exit_date"]), ~record_that_day)

    def _outreach_contacts(self) -> ColumnElement[Any]:
        """The stay's 4.12 records that count as contacts (APR Q9a: dated from the start, by the exit, by
        the engagement date and by report end; see passes.contacts), plus the engagement without one."""
        records = sa.func.coalesce(self.passes["contacts"]["counted_contacts"], 0)
        return records + sa.case((self._engagement_as_contact(), 1), else_=0)

    def _outreach_contact_in_range(self) -> ColumnElement[Any]:
        return sa.func.coalesce(self.passes["contacts"]["contact_in_range"], 0) == 1

    def _outreach_first_contact_situation(self) -> ColumnElement[Any]:
        first = self.passes["contacts"]["first_contact_situation"]
        # counted records are never after the engagement, so the engagement is first only when alone
        return sa.func.coalesce(first, sa.case((self._engagement_as_contact(), 37)))

    def _present_on_pit(self, month: int) -> ColumnElement[Any]:
        """Present on the PIT night of ``month`` on any of the client's stays (see :meth:`_pit_presence`)."""
        return self._pit_presence(month)

    def _income(self, name: str) -> ColumnElement[Any]:
        stage, field = library.split_income_name(name)
        alias = self.income_aliases[stage]
        if field == "record":
            return alias.id.is_not(None)
        if field == "total":
            return _total_income(alias)
        if field == "earned_income":
            # As HUD's Data Lab code (the answer key): EarnedAmount counts only when Earned is 1 and the
            # amount is positive; an amount left on an Earned of no/DK/blank is no earned income.
            return sa.case((sa.and_(alias.earned == 1, alias.earned_amount > 0), alias.earned_amount),
                           (alias.earned == 1, 0))
        return getattr(alias, field)


    # --- b ---
    def _education(self, name: str) -> ColumnElement[Any]:
        """4.26: the stay's latest record of a stage (HUD's Q27m reads the latest per stage); see passes.education."""
        return self.passes["education"][name]

    def _start_education_record(self) -> ColumnElement[Any]:
        return sa.func.coalesce(self.passes["education"]["start_education_record"], 0) == 1

    def _exit_education_record(self) -> ColumnElement[Any]:
        return sa.func.coalesce(self.passes["education"]["exit_education_record"], 0) == 1

    def _start_current_school_attend(self) -> ColumnElement[Any]:
        return self._education("start_current_school_attend")

    def _start_most_recent_ed_status(self) -> ColumnElement[Any]:
        return self._education("start_most_recent_ed_status")

    def _start_current_ed_status(self) -> ColumnElement[Any]:
        return self._education("start_current_ed_status")

    def _exit_current_school_attend(self) -> ColumnElement[Any]:
        return self._education("exit_current_school_attend")

    def _exit_most_recent_ed_status(self) -> ColumnElement[Any]:
        return self._education("exit_most_recent_ed_status")

    def _exit_current_ed_status(self) -> ColumnElement[Any]:
        return self._education("exit_current_ed_status")

    def _yhdp_funded(self) -> ColumnElement[Any]:
        """A YHDP grant (funder 43) of the stay's project overlapping the range; a grant with no
        start date does not count (HUD's Data Lab code compares the start with report end)."""
        f = self.flat
        return sa.exists().where(
            Funder.data_source_id == f["data_source_id"], Funder.project_id == f["project_id"],
            Funder.date_deleted.is_(None), Funder.funder == 43,
            Funder.start_date <= sa.literal(self.params.end, sa.Date),
            sa.or_(Funder.end_date.is_(None), Funder.end_date >= sa.literal(self.params.start, sa.Date)))

    # --- a ---
    def _moving_on_assistance(self, code: int) -> ColumnElement[Any]:
        """APR Q24b: a C2 Moving On Assistance service (RecordType 300) of type ``code`` for the stay,
        dated in the report range (HUD's Data Lab code reads the date only, not the stay's dates)."""
        return sa.func.coalesce(self.passes["services"][library.MOVING_ON_ASSISTANCE[code]], 0) == 1

    def _moving_on_housing_application(self) -> ColumnElement[Any]:
        return self._moving_on_assistance(1)

    def _moving_on_financial(self) -> ColumnElement[Any]:
        return self._moving_on_assistance(2)

    def _moving_on_non_financial(self) -> ColumnElement[Any]:
        return self._moving_on_assistance(3)

    def _moving_on_referral(self) -> ColumnElement[Any]:
        return self._moving_on_assistance(4)

    def _moving_on_other(self) -> ColumnElement[Any]:
        return self._moving_on_assistance(5)

    def _household_veteran_status(self) -> ColumnElement[Any]:
        """APR Q25b: the best-ranked answer among the household's adults, over the universe's rows (each
        person's latest stay, as HUD's Data Lab code reads it): a chronically homeless veteran, then a
        veteran, then 'no', then DK/PNTA; a household with none of these is 'missing'."""
        f = self.flat
        veteran = f["veteran_status"]
        rank = sa.case(
            (f["age"] < 18, 0), (f["age"].is_(None), 0),
            (sa.and_(veteran == 1, f["chronic_status"] == "yes"), 5), (veteran == 1, 4), (veteran == 0, 3),
            (veteran.in_((8, 9)), 2), else_=1)
        best = sa.func.max(rank).over(partition_by=f["household_key"])
        return sa.case((best == 5, "chronic_veteran"), (best == 4, "veteran"), (best == 3, "not_veteran"),
                       (best == 2, "dk_pnta"), else_="missing")

    # --- H4 ---
    def _overlapping_stay(self) -> ColumnElement[Any]:
        """Another stay of the client in the same project that started on an earlier day and exited after
        this stay's start. As HUD's answer key (Data Lab APR Q6b) counts it, an earlier stay with no exit
        or one started the same day is no overlap."""
        f = self.flat
        other, other_exit = aliased(Enrollment, name="other_stay"), aliased(Exit, name="other_exit")
        joined = outerjoin(other, other_exit, sa.and_(
            other_exit.data_source_id == other.data_source_id, other_exit.enrollment_id == other.enrollment_id,
            other_exit.date_deleted.is_(None)))
        return sa.select(other.id).select_from(joined).where(other.data_source_id == f["data_source_id"], other.personal_id == f["personal_id"],
                other.project_id == f["project_id"], other.date_deleted.is_(None),
                other.enrollment_id != f["enrollment_id"],
                # coalesce: a bare exit_date test let SQLite scan the exit-date index for every row (~25x slower)
                other.entry_date < f["entry_date"],
                sa.func.coalesce(other_exit.exit_date, f["entry_date"]) > f["entry_date"]).correlate_except(
            other, other_exit).exists()

    def _last_contact_date(self) -> ColumnElement[Any]:
        """The latest 4.12 record from the start, by the exit and report end (passes.contacts)."""
        return self.passes["contacts"]["last_contact_date"]

    def _pit_presence(self, month: int, *, as_hoh: bool = False) -> ColumnElement[Any]:
        """APR Q7b/Q8b: present on the PIT night of ``month`` (see :func:`_pit_pass`, which works out
        every PIT attribute the definition uses in one read of the client's stays)."""
        if library.pit_date(month, self.params.start, self.params.end) is None:
            return sa.false()
        return sa.func.coalesce(self.passes["pit"][_pit_name(month, as_hoh)], 0) == 1

    def _pit_january_hoh(self) -> ColumnElement[Any]:
        return self._pit_presence(1, as_hoh=True)

    def _pit_april_hoh(self) -> ColumnElement[Any]:
        return self._pit_presence(4, as_hoh=True)

    def _pit_july_hoh(self) -> ColumnElement[Any]:
        return self._pit_presence(7, as_hoh=True)

    def _pit_october_hoh(self) -> ColumnElement[Any]:
        return self._pit_presence(10, as_hoh=True)

    def _long_term_stayer(self) -> ColumnElement[Any]:
        """HUD's rule (Glossary, Q5a row 17): every adult and HoH stayer of a household whose head is a
        stayer with a length of stay of 365 days or more (it counts bed nights for ES night-by-night:
        ``length_of_stay`` already does), even when they joined later; plus adult stayers in that long
        themselves whatever their head's stay. The head is read from the universe's rows."""
        f = self.flat
        end = sa.literal(self.params.end, sa.Date)
        stayer = sa.or_(f["exit_date"].is_(None), f["exit_date"] > end)
        long_stay = sa.and_(stayer, f["length_of_stay"] >= 365)
        head_stayed = sa.func.max(sa.case((sa.and_(f["relationship_to_hoh"] == 1, long_stay), 1), else_=0)).over(
            partition_by=f["household_key"])
        return sa.and_(stayer, f["adult_or_hoh"], sa.or_(head_stayed == 1, sa.and_(f["is_adult"], long_stay)))

    def _path_funded(self) -> ColumnElement[Any]:
        f = self.flat
        return sa.exists().where(Funder.data_source_id == f["data_source_id"], Funder.project_id == f["project_id"],
                                 Funder.date_deleted.is_(None), Funder.funder == 21)

    def _pay_for_success(self) -> ColumnElement[Any]:
        f = self.flat
        return _pay_for_success(f["project_type"], f["data_source_id"], f["project_id"])

    def _last_bed_night(self) -> ColumnElement[Any]:
        """From the start, before the exit and by report end (passes.services)."""
        return self.passes["services"]["last_bed_night"]

    # --- H9 ---
    def _disabling_condition_issue(self) -> ColumnElement[Any]:
        """APR/CAPER Q6b row 6 data issue (reports.md §2.3): DisablingCondition is 0 while the latest
        start record (stage 1, dated by report end) of some disability type says the client is disabled:
        developmental disability or HIV/AIDS answered yes, or another type answered yes (substance use
        1-3) and expected to be of long-continued and indefinite duration and substantially impairing."""
        # the latest start record of each type, read by the disabilities pass (hmis.reports.passes)
        disabled_record = sa.func.coalesce(self.passes["disabilities"]["start_disabled_record"], 0)
        return sa.and_(self.flat["disabling_condition"] == 0, disabled_record > 0)


def _total_income(ib: Any) -> ColumnElement[Any]:
    """HUD's total monthly income (reports.md §1): the first rule that applies; null is DK/PNTA or
    missing, which ``<stage>_income_from_any_source`` tells apart.

    The sum (rule 3) counts a source only when its yes/no field is 1 and its amount is positive, as
    HUD's Data Lab code (the test kit's answer key) does: an amount left on a source marked no, or a
    negative amount, is not income. OtherIncomeSource pairs with OtherIncomeAmount."""
    pairs = [(getattr(ib, source), getattr(ib, f"{source}_amount")) for source in library.INCOME_SOURCE_AMOUNTS]
    pairs.append((ib.other_income_source, ib.other_income_amount))
    counted = [sa.case((sa.and_(flag == 1, amount > 0), amount), else_=0) for flag, amount in pairs]
    summed = sum(counted[1:], counted[0])
    any_source = ib.income_from_any_source
    return sa.case(
        (ib.total_monthly_income > 0, ib.total_monthly_income),
        (summed > 0, summed),
        (any_source == 0, 0),
        (sa.and_(ib.total_monthly_income <= 0, sa.or_(any_source == 1, any_source.is_(None))), 0),
        else_=sa.null())
