"""The universe's record look-ups as one pass per record type, not one look-up per row and attribute.

Attributes such as "the response of the latest start disability record of type 5" were a
correlated subquery each: with 18 disability attributes, education, health, services and
contacts, PostgreSQL ran ~100 index probes per universe row, which made the 200,000-client
APR ~70 times slower than reading its stays once. Here each record type is read once for
all the rows of the ``staged`` layer::

    SELECT enrollment_pk, exit_pk, max(CASE WHEN <newest of its kind> AND type = 5 THEN response END) ...
    FROM staged JOIN disabilities ON <the stay's records> GROUP BY enrollment_pk, exit_pk

and the universe joins each pass back on ``(enrollment_pk, exit_pk)``, the key of a staged
row. "The latest record" is ``row_number()`` over the stay's records, newest first, with the
same ordering the look-ups used (so ties and null dates fall the same way on each database).
Only the passes, and the columns of each, that the definition's attributes use are built.
Written with ``max(CASE ...)`` and ``count(DISTINCT CASE ...)`` so SQLite runs them too.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from ..models import CurrentLivingSituation, Disabilities, HealthAndDV, Services, YouthEducationStatus
from . import library
from .parameters import ReportParameters

__all__ = ["PASSES", "key_of"]

#: Data collection stages of the disability attributes that read one stage (``latest`` reads any).
DISABILITY_STAGE_CODES = {"start": 1, "exit": 3}
#: Services record types: a bed night (ES night-by-night), C2 Moving On Assistance (APR Q24b).
BED_NIGHT = 200
MOVING_ON_ASSISTANCE = 300
#: Disability types whose "yes" alone makes a disabling condition (developmental, HIV/AIDS).
ALWAYS_DISABLING = (6, 8)


def key_of(staged: Any) -> list[ColumnElement[Any]]:
    """The columns that name one row of the staged layer (a stay, and its exit when it has several)."""
    return [staged.c.enrollment_pk, staged.c.exit_pk]


def _records(staged: Any, record: Any) -> Any:
    """The staged rows joined to the stay's records of one type (not deleted)."""
    return staged.join(record, sa.and_(record.data_source_id == staged.c.data_source_id,
                                       record.enrollment_id == staged.c.enrollment_id,
                                       record.date_deleted.is_(None)))


def _newest(staged: Any, *partition: Any, order: tuple[Any, ...]) -> ColumnElement[int]:
    """1 for the first record of each of the stay's groups in ``order`` (the look-up's ORDER BY ... LIMIT 1)."""
    return sa.func.row_number().over(partition_by=[*key_of(staged), *partition], order_by=order)


def _grouped(inner: Any, columns: list[ColumnElement[Any]]) -> Select[Any]:
    r = inner.c
    return sa.select(r.enrollment_pk, r.exit_pk, *columns).group_by(r.enrollment_pk, r.exit_pk)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 when some record of the stay meets ``condition``, else 0 (an EXISTS)."""
    return sa.func.max(sa.case((condition, 1), else_=0))


# ------------------------------------------------------------------ the passes
def disabilities(staged: Any, needed: set[str], params: ReportParameters) -> Select[Any] | None:
    """4.05-4.10: each ``<stage>_<type>`` response, and ``start_disabled_record`` for the Q6b issue (the
    latest start record of some type says disabled). Every one reads records dated by report end."""
    wanted = {name: parts for name in sorted(needed) if (parts := library.disability_parts(name))}
    issue = "disabling_condition_issue" in needed
    if not wanted and not issue:
        return None
    d = Disabilities
    order = (d.information_date.desc(), d.id.desc())
    qualifies = sa.or_(sa.and_(d.disability_type.in_(ALWAYS_DISABLING), d.disability_response == 1),
                       sa.and_(d.disability_type.not_in(ALWAYS_DISABLING), d.disability_response.in_((1, 2, 3)),
                               d.indefinite_and_impairs == 1))
    inner = (sa.select(*key_of(staged), d.disability_type.label("kind"), d.data_collection_stage.label("stage"),
                       d.disability_response.label("response"), sa.case((qualifies, 1), else_=0).label("qualifies"),
                       _newest(staged, d.disability_type, order=order).label("newest"),
                       _newest(staged, d.disability_type, d.data_collection_stage, order=order).label("newest_of_stage"))
             .select_from(_records(staged, d))
             .where(d.information_date <= sa.literal(params.end, sa.Date),
                    d.disability_type.in_(tuple(library.DISABILITY_TYPES.values())))
             .subquery("disability_records"))
    r = inner.c

    def newest(stage: str) -> ColumnElement[bool]:
        if stage == "latest":
            return r.newest == 1
        return sa.and_(r.newest_of_stage == 1, r.stage == DISABILITY_STAGE_CODES[stage])

    columns = [sa.func.max(sa.case((sa.and_(newest(stage), r.kind == kind), r.response))).label(name)
               for name, (stage, kind) in wanted.items()]
    if issue:
        columns.append(_flag(sa.and_(newest("start"), r.qualifies == 1)).label("start_disabled_record"))
    return _grouped(inner, columns)


def health_and_dv(staged: Any, needed: set[str], params: ReportParameters) -> Select[Any] | None:
    """4.11: the fields of the latest record dated by report end that answers the survivor question."""
    wanted = [name for name in ("dv_survivor", "dv_when_occurred") if name in needed]
    if not wanted:
        return None
    h = HealthAndDV
    inner = (sa.select(*key_of(staged), h.domestic_violence_survivor.label("dv_survivor"),
                       h.when_occurred.label("dv_when_occurred"),
                       _newest(staged, order=(h.information_date.desc(), h.id.desc())).label("newest"))
             .select_from(_records(staged, h))
             .where(h.domestic_violence_survivor.is_not(None), h.information_date <= sa.literal(params.end, sa.Date))
             .subquery("health_records"))
    r = inner.c
    return _grouped(inner, [sa.func.max(sa.case((r.newest == 1, r[name]))).label(name) for name in wanted])


def education(staged: Any, needed: set[str], params: ReportParameters) -> Select[Any] | None:
    """4.26: per stage, whether the stay has a record and the fields of its latest one."""
    fields = library.EDUCATION_FIELDS
    wanted = {stage: [name for name in (f"{stage}_education_record", *(f"{stage}_{f}" for f in fields))
                      if name in needed]
              for stage in library.EDUCATION_STAGES}
    wanted = {stage: names for stage, names in wanted.items() if names}
    if not wanted:
        return None
    y = YouthEducationStatus
    codes = {stage: library.EDUCATION_STAGES[stage] for stage in wanted}
    inner = (sa.select(*key_of(staged), y.data_collection_stage.label("stage"),
                       *[getattr(y, field).label(field) for field in fields],
                       _newest(staged, y.data_collection_stage, order=(y.information_date.desc(), y.id.desc()))
                       .label("newest"))
             .select_from(_records(staged, y)).where(y.data_collection_stage.in_(tuple(codes.values())))
             .subquery("education_records"))
    r = inner.c
    columns = []
    for stage, names in wanted.items():
        of_stage = r.stage == codes[stage]
        for name in names:
            field = name[len(stage) + 1:]
            if field == "education_record":
                columns.append(_flag(of_stage).label(name))
            else:
                columns.append(sa.func.max(sa.case((sa.and_(of_stage, r.newest == 1), r[field]))).label(name))
    return _grouped(inner, columns)


def services(staged: Any, needed: set[str], params: ReportParameters) -> Select[Any] | None:
    """Bed nights (RecordType 200) for the nights counts and the last bed night, and C2 Moving On
    Assistance (RecordType 300) by type, each with the date rules of its attribute."""
    s, g = Services, staged.c
    day = s.date_provided
    start_lit, end_lit = sa.literal(params.start, sa.Date), sa.literal(params.end, sa.Date)
    # a bed night of the stay: from its start, before its exit, by report end
    in_stay = sa.and_(s.record_type == BED_NIGHT, day >= g.entry_date, day <= end_lit,
                      sa.or_(g.exit_date.is_(None), day < g.exit_date))
    outputs: dict[str, Callable[[Any], ColumnElement[Any]]] = {}
    if "bed_nights" in needed:
        outputs["nights_in_range"] = lambda r: sa.func.count(sa.distinct(sa.case(
            (sa.and_(r.in_stay == 1, r.day >= start_lit), r.day))))
    if "length_of_stay" in needed:
        outputs["nights_to_end"] = lambda r: sa.func.count(sa.distinct(sa.case((r.in_stay == 1, r.day))))
    if "last_bed_night" in needed:
        outputs["last_bed_night"] = lambda r: sa.func.max(sa.case((r.in_stay == 1, r.day)))
    for code, name in library.MOVING_ON_ASSISTANCE.items():
        if name in needed:
            outputs[name] = lambda r, code=code: _flag(sa.and_(
                r.record_type == MOVING_ON_ASSISTANCE, r.type_provided == code, r.day >= start_lit))
    if not outputs:
        return None
    types = [BED_NIGHT] if any(not name.startswith("moving_on") for name in outputs) else []
    types += [MOVING_ON_ASSISTANCE] if any(name.startswith("moving_on") for name in outputs) else []
    inner = (sa.select(*key_of(staged), s.record_type.label("record_type"), s.type_provided.label("type_provided"),
                       day.label("day"), sa.case((in_stay, 1), else_=0).label("in_stay"))
             .select_from(_records(staged, s)).where(s.record_type.in_(types), day <= end_lit)
             .subquery("service_records"))
    return _grouped(inner, [build(inner.c).label(name) for name, build in outputs.items()])


def contacts(staged: Any, needed: set[str], params: ReportParameters) -> Select[Any] | None:
    """4.12 current living situations: the contacts counted for outreach (APR Q9a/Q9b: from the start,
    by the exit, the engagement and report end), the first one's situation, one in the range, whether
    a record falls on the engagement date, and the last contact (APR Q6f: the engagement not read)."""
    outreach = {"outreach_contacts", "outreach_contact_in_range", "outreach_first_contact_situation"} & needed
    if not outreach and "last_contact_date" not in needed:
        return None
    c, g = CurrentLivingSituation, staged.c
    day = c.information_date
    start_lit, end_lit = sa.literal(params.start, sa.Date), sa.literal(params.end, sa.Date)
    in_stay = sa.and_(day >= g.entry_date, day <= end_lit, sa.or_(g.exit_date.is_(None), day <= g.exit_date))
    counted = sa.and_(in_stay, sa.or_(g.date_of_engagement.is_(None), day <= g.date_of_engagement))
    counted_flag = sa.case((counted, 1), else_=0)
    inner = (sa.select(*key_of(staged), day.label("day"), c.current_living_situation.label("situation"),
                       sa.case((in_stay, 1), else_=0).label("in_stay"), counted_flag.label("counted"),
                       sa.case((day == g.date_of_engagement, 1), else_=0).label("on_engagement"),
                       # the first counted record (by date, then id) is numbered 1
                       _newest(staged, order=(sa.case((counted, 0), else_=1), day, c.id)).label("first"))
             .select_from(_records(staged, c)).subquery("contact_records"))
    r = inner.c
    columns = []
    if outreach:
        columns += [sa.func.count(sa.case((r.counted == 1, 1))).label("counted_contacts"),
                    _flag(r.on_engagement == 1).label("engagement_record"),
                    _flag(sa.and_(r.counted == 1, r.day >= start_lit)).label("contact_in_range"),
                    sa.func.max(sa.case((sa.and_(r.first == 1, r.counted == 1), r.situation)))
                    .label("first_contact_situation")]
    if "last_contact_date" in needed:
        columns.append(sa.func.max(sa.case((r.in_stay == 1, r.day))).label("last_contact_date"))
    return _grouped(inner, columns)


#: (name, builder) of every pass, in the order they are written.
PASSES: tuple[tuple[str, Callable[[Any, set[str], ReportParameters], Select[Any] | None]], ...] = (
    ("disabilities", disabilities), ("health", health_and_dv), ("education", education), ("services", services),
    ("contacts", contacts),
)
