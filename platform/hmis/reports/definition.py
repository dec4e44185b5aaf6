"""A report definition's body as plain objects: attributes, tables, rows, columns, measures.

The YAML shape (checked by the JSON Schema in :mod:`hmis.reports.schema`)::

    universe: {latest_per_person: true, where: "adult_or_hoh"}
    attributes:
      - {name: age_band, expression: "if(age < 18, 'child', 'adult')"}
    column_sets:
      household_types:
        - {label: Total}
        - {label: Without Children, when: "household_type = 'without_children'"}
    tables:
      - id: Q7a
        title: Number of persons served
        measure: persons                      # persons | households | enrollments |
                                              # {sum|average|median: expr} | {percent: {of: expr, within: column}}
                                              # {average: expr, decimals: 0}: rounded as HUD's Data Lab rounds
        columns: household_types              # a column set's name, or a list
        rows:
          - {label: Adults, when: "is_adult"}
          - {label: Homeless situations, header: true}          # a section header: blank cells
          - {group: destination, codes: "3.12", only: [116, 101]}   # one row per HUD code
          - {group: household_type, values: {without_children: Without children}}

A cell counts the universe rows where the table's ``where``, its row's ``when`` and its
column's ``when`` all hold; a row's measure wins over its column's, which wins over the
table's. Grouped rows and columns expand here into plain labelled predicates, so the
engine only ever sees labels and predicates.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..definitions import DefinitionProblem, expression_problems
from ..expressions import ExpressionError, Type, check, parse, references
from ..hud import codelists
from . import library

__all__ = ["Axis", "Measure", "ReportDefinition", "Table", "definition_problems", "load_definition"]

COUNT_UNITS = ("persons", "households", "enrollments")
VALUE_MEASURES = ("sum", "average", "median")
PERCENT_WITHIN = ("table", "row", "column")


@dataclass(frozen=True)
class Measure:
    kind: str  #: persons, households, enrollments, sum, average, median, percent
    expression: str | None = None  #: sum/average/median: the value; percent: the denominator ("of")
    within: str = "table"  #: percent: which axis' predicate the denominator keeps
    unit: str = "persons"  #: percent: what is counted
    #: sum/average/median: round the cell to this many decimals as HUD's Data Lab (R's ``round()``) does;
    #: None keeps the engine's default of two decimals
    decimals: int | None = None

    def rounded(self, value: Any) -> Any:
        """``value`` rounded to :attr:`decimals`, as R's ``round()`` rounds HUD's answer key: to the
        nearest, a tie to the even digit (10.5 -> 10, 11.5 -> 12), decided on the value as a double
        (so 2.675, a hair under, gives 2.67). The databases' exact or float averages of whole days
        are the same double, so PostgreSQL and SQLite agree. Whole results come back as ``int``."""
        if value is None or self.decimals is None:
            return value
        rounded = round(float(value), self.decimals)
        return int(rounded) if rounded == int(rounded) else rounded


@dataclass(frozen=True)
class Axis:
    """One row or one column: its label, its predicate, and how to measure its cells."""

    label: str
    when: str | None = None
    measure: Measure | None = None
    header: bool = False  #: a section header: every cell blank
    blank: tuple[str, ...] = ()  #: labels on the other axis whose cells are blank (HUD's grayed cells)
    path: str = ""
    #: names this axis gives its cells (``{income: start_income_total}`` on an "At start" column), so one
    #: list of rows can read a different stage in each column
    bindings: tuple[tuple[str, str], ...] = ()
    #: ``per: project`` tables: the project field this column shows instead of a count
    field: str | None = None


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    rows: tuple[Axis, ...]
    columns: tuple[Axis, ...]
    where: str | None = None
    measure: Measure = Measure("persons")
    description: str = ""
    path: str = ""
    #: "project": one row per reported project (:mod:`hmis.reports.projects`); ``rows`` is then empty
    per: str | None = None
    #: ``per: project`` tables only: False counts a person under the project of each of their stays that
    #: meets the table's rules, not only under their latest stay's (None: as the universe)
    latest_per_person: bool | None = None
    #: ``per: project`` tables only: which projects get a row. "with_stays": the projects the run names and
    #: every project with a universe row; "ce_access_points": every project (within the run's filters) that
    #: was a CE access point (2.09) at some time in the range, as HUD's CE APR Q4a lists them
    list_projects: str = "with_stays"

    def measure_for(self, row: Axis, column: Axis) -> Measure:
        return row.measure or column.measure or self.measure

    def is_blank(self, row: Axis, column: Axis) -> bool:
        return row.header or column.header or column.label in row.blank or row.label in column.blank


@dataclass(frozen=True)
class ReportDefinition:
    key: str
    title: str
    category: str
    description: str
    latest_per_person: bool
    where: str | None
    attributes: tuple[tuple[str, str], ...]  #: (name, expression) in order
    tables: tuple[Table, ...]
    parameters: tuple[str, ...] = ()
    #: ``universe.person_stay_rank``: which of a person's stays in the range represents them (the highest
    #: value, blank lowest; then the latest entry). None: the latest entry (see library.RANK_NAMES)
    person_stay_rank: str | None = None

    def table(self, table_id: str) -> Table:
        for table in self.tables:
            if table.id == table_id:
                return table
        raise KeyError(f"report '{self.key}' has no table {table_id!r}")

    def expressions(self) -> Iterator[tuple[str, str]]:
        """Every (path, expression) in the definition."""
        if self.where:
            yield "universe.where", self.where
        if self.person_stay_rank:
            yield "universe.person_stay_rank", self.person_stay_rank
        for index, (_, text) in enumerate(self.attributes):
            yield f"attributes[{index}].expression", text
        for table in self.tables:
            if table.where:
                yield f"{table.path}.where", table.where
            for axis in (*table.rows, *table.columns):
                for name, text in axis.bindings:
                    yield f"{axis.path}.set.{name}", text
                if axis.when:
                    yield f"{axis.path}.when", axis.when
                if axis.measure and axis.measure.expression:
                    yield f"{axis.path}.measure", axis.measure.expression
            if table.measure.expression:
                yield f"{table.path}.measure", table.measure.expression

    def library_names_used(self) -> set[str]:
        used: set[str] = set()
        for _, text in self.expressions():
            try:
                used |= references(parse(text))
            except ExpressionError:
                continue
        return used & set(library.ATTRIBUTES)


def _measure(raw: Any) -> Measure | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return Measure(raw)
    decimals = raw.get("decimals")
    (kind, value), = ((key, item) for key, item in raw.items() if key != "decimals")
    if kind == "percent":
        return Measure("percent", value.get("of", "true"), value.get("within", "table"), value.get("unit", "persons"))
    return Measure(kind, value, decimals=decimals)


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


def _expand(items: list[dict[str, Any]], path: str) -> list[Axis]:
    """Rows or columns, with grouped code lists expanded into one labelled predicate per value."""
    axes: list[Axis] = []
    for index, item in enumerate(items):
        here = f"{path}[{index}]"
        measure = _measure(item.get("measure"))
        blank = tuple(item.get("blank", ()))
        bindings = tuple(item.get("set", {}).items())
        if "group" in item:
            group = item["group"]
            if "codes" in item:
                code_list = codelists.get(item["codes"])
                codes = item.get("only") or sorted(code_list.current)
                values = [(code, item.get("labels", {}).get(str(code)) or code_list.codes.get(code, str(code)))
                          for code in codes]
            else:
                values = list(item["values"].items())
            for value, label in values:
                axes.append(Axis(str(label), f"({group}) = {_quote(value)}", measure, False, blank, here, bindings))
            continue
        axes.append(Axis(str(item["label"]), item.get("when"), measure, bool(item.get("header")), blank, here,
                         bindings, item.get("field")))
    return axes


def load_definition(body: dict[str, Any]) -> ReportDefinition:
    """Build the objects from a body that passed the schema (see :func:`definition_problems`)."""
    column_sets = body.get("column_sets", {})
    tables = []
    for index, raw in enumerate(body.get("tables", [])):
        path = f"tables[{index}]"
        columns_raw = raw.get("columns", [{"label": "Count"}])
        if isinstance(columns_raw, str):
            columns = _expand(column_sets[columns_raw], f"column_sets.{columns_raw}")
        else:
            columns = _expand(columns_raw, f"{path}.columns")
        tables.append(Table(
            id=raw["id"], title=raw["title"], rows=tuple(_expand(raw.get("rows", []), f"{path}.rows")),
            columns=tuple(columns), where=raw.get("where"),
            measure=_measure(raw.get("measure")) or Measure("persons"),
            description=raw.get("description", ""), path=path, per=raw.get("per"),
            latest_per_person=raw.get("latest_per_person"), list_projects=raw.get("list_projects", "with_stays")))
    universe = body.get("universe", {})
    attributes = tuple((item["name"], item["expression"]) for item in body.get("attributes", []))
    return ReportDefinition(
        key=body["id"], title=body["title"], category=body.get("category", "Other"),
        description=body.get("description", ""), latest_per_person=universe.get("latest_per_person", True),
        where=universe.get("where"), attributes=attributes, tables=tuple(tables),
        parameters=tuple(body.get("parameters", ())), person_stay_rank=universe.get("person_stay_rank"))


def definition_problems(body: dict[str, Any]) -> list[DefinitionProblem]:
    """Every problem a schema cannot see: bad expressions, unknown names, missing code lists and
    column sets, duplicate ids, a measure that does not fit. All of them, each at its path."""
    problems: list[DefinitionProblem] = []
    names: dict[str, Type] = dict(library.names())
    for index, item in enumerate(body.get("attributes", [])):
        path = f"attributes[{index}]"
        name = item["name"]
        if name in names:
            problems.append(DefinitionProblem(f"{path}.name", None, f"'{name}' is already a name "
                                                                    "(a HUD field or a built-in derivation)"))
            continue
        found = expression_problems(item["expression"], names, f"{path}.expression")
        problems += found
        if not found:
            names[name] = check(parse(item["expression"]), names)
    where = body.get("universe", {}).get("where")
    if where is not None:
        problems += expression_problems(where, names, "universe.where", expect="yes/no")
    problems += _person_stay_rank_problems(body.get("universe", {}), names)

    column_sets = body.get("column_sets", {})
    for set_name, items in column_sets.items():
        # A shared column set may read names its tables' rows set.
        row_bound = {}
        for table in body.get("tables", []):
            if table.get("columns") == set_name:
                row_bound.update(_bound(table.get("rows", []), names))
        problems += _axis_problems(items, f"column_sets.{set_name}", {**names, **row_bound})
    seen: set[str] = set()
    for index, table in enumerate(body.get("tables", [])):
        path = f"tables[{index}]"
        if table["id"] in seen:
            problems.append(DefinitionProblem(f"{path}.id", None, f"table id '{table['id']}' is used twice"))
        seen.add(table["id"])
        if "where" in table:
            problems += expression_problems(table["where"], names, f"{path}.where", expect="yes/no")
        columns = table.get("columns")
        column_items = column_sets.get(columns, []) if isinstance(columns, str) else (columns or [])
        problems += _measure_problems(table.get("measure"), names, f"{path}.measure")
        problems += _per_project_problems(table, column_items, path)
        problems += _axis_problems(table.get("rows", []), f"{path}.rows", {**names, **_bound(column_items, names)})
        if isinstance(columns, str):
            if columns not in column_sets:
                known = ", ".join(sorted(column_sets)) or "none are defined"
                problems.append(DefinitionProblem(f"{path}.columns", None,
                                                  f"no column set named '{columns}' (known: {known})"))
        elif columns is not None:
            problems += _axis_problems(columns, f"{path}.columns", {**names, **_bound(table.get("rows", []), names)})
    return problems


def _person_stay_rank_problems(universe: dict[str, Any], names: dict[str, Type]) -> list[DefinitionProblem]:
    """``person_stay_rank`` orders each person's stays before the other attributes are worked out, so it
    reads only :data:`library.RANK_NAMES`, and must give something to order by (a number or a date)."""
    text, path = universe.get("person_stay_rank"), "universe.person_stay_rank"
    if text is None:
        return []
    if universe.get("latest_per_person") is False:
        return [DefinitionProblem(path, None, "'person_stay_rank' picks one stay per person: it needs "
                                              "'latest_per_person' (not false)")]
    problems = expression_problems(text, names, path)
    if problems:
        return problems
    too_late = sorted(references(parse(text)) - set(library.RANK_NAMES) - set(library.PARAMETER_NAMES))
    if too_late:
        return [DefinitionProblem(path, None, f"'person_stay_rank' picks each person's stay before the other "
                                              f"attributes are worked out: it cannot read {', '.join(too_late)} "
                                              f"(it can read the stay's own fields and "
                                              f"{', '.join(sorted(set(library.RANK_NAMES) - set(library.BASE)))})")]
    kind = check(parse(text), names).name
    if kind not in ("number", "date"):
        return [DefinitionProblem(path, None, f"'person_stay_rank' must give a number or a date to order "
                                              f"the stays by, not {kind}")]
    return []


def _per_project_problems(table: dict[str, Any], columns: list[dict[str, Any]], path: str) -> list[DefinitionProblem]:
    """A ``per: project`` table lists projects instead of rows; project fields belong only there."""
    problems: list[DefinitionProblem] = []
    fields = [index for index, column in enumerate(columns) if "field" in column]
    if table.get("per") is None:
        for key in ("latest_per_person", "list_projects"):  # the other tables share the universe's rows
            if key in table:
                problems.append(DefinitionProblem(f"{path}.{key}", None,
                                                  f"'{key}' on a table only fits a 'per: project' table"))
        if "rows" not in table:
            problems.append(DefinitionProblem(path, None, "a table needs rows (or 'per: project' to list projects)"))
        for index in fields:
            problems.append(DefinitionProblem(f"{path}.columns[{index}].field", None,
                                              "a project field only fits a table with 'per: project'"))
        return problems
    if "rows" in table:
        problems.append(DefinitionProblem(f"{path}.rows", None, "a 'per: project' table has one row per project "
                                                                "and no rows of its own"))
    if 0 not in fields:
        problems.append(DefinitionProblem(f"{path}.columns", None, "the first column of a 'per: project' table must "
                                                                   "be a project field (it labels the row)"))
    for index, column in enumerate(columns):
        measure = column.get("measure", table.get("measure"))
        if "field" in column and ("when" in column or "measure" in column):
            problems.append(DefinitionProblem(f"{path}.columns[{index}]", None,
                                              "a project field column shows the field; it takes no 'when' or 'measure'"))
        elif isinstance(measure, dict) and "median" in measure:
            problems.append(DefinitionProblem(f"{path}.columns[{index}].measure", None,
                                              "a 'per: project' table cannot show a median"))
        elif isinstance(measure, dict) and "decimals" in measure:
            problems.append(DefinitionProblem(f"{path}.columns[{index}].measure.decimals", None,
                                              "a 'per: project' table writes its own two decimals; "
                                              "it takes no 'decimals'"))
        if "set" in column or "group" in column:
            problems.append(DefinitionProblem(f"{path}.columns[{index}]", None,
                                              "a 'per: project' table takes plain columns (no 'set' or 'group')"))
    return problems


def _measure_problems(raw: Any, names: dict[str, Type], path: str) -> list[DefinitionProblem]:
    if raw is None or isinstance(raw, str):
        return []
    problems = _decimals_problems(raw, path)
    kinds = [key for key in raw if key != "decimals"]
    if len(kinds) != 1:
        return problems  # the schema says which measure is missing or doubled
    kind, value = kinds[0], raw[kinds[0]]
    if kind == "percent":
        return problems + expression_problems(value.get("of", "true"), names, f"{path}.percent.of", expect="yes/no")
    return problems + expression_problems(value, names, f"{path}.{kind}", expect="number")


#: The most decimals a cell may ask for: HUD's answer key writes at most four.
MAX_DECIMALS = 4


def _decimals_problems(raw: dict[str, Any], path: str) -> list[DefinitionProblem]:
    """``decimals`` rounds a value measure's cell (the schema checks it is a whole number 0 to 4); a
    percentage is HUD's four-decimal fraction and a count is whole, so neither takes it."""
    if "decimals" in raw and not any(kind in raw for kind in VALUE_MEASURES):
        return [DefinitionProblem(f"{path}.decimals", None, "'decimals' rounds a sum, average or median, "
                                                           "and this measure is none of them")]
    return []


def _bound(items: list[dict[str, Any]], names: dict[str, Type]) -> dict[str, Type]:
    """The names the columns bind for the rows, with their kinds (a name every column must bind)."""
    bound: dict[str, Type] = {}
    for item in items:
        for name, text in item.get("set", {}).items():
            try:
                bound[name] = check(parse(text), names)
            except ExpressionError:
                continue
    return bound


def _axis_problems(items: list[dict[str, Any]], path: str, names: dict[str, Type]) -> list[DefinitionProblem]:
    problems: list[DefinitionProblem] = []
    all_bound = {name for item in items for name in item.get("set", {})}
    for index, item in enumerate(items):
        here = f"{path}[{index}]"
        for name, text in item.get("set", {}).items():
            if name in library.ATTRIBUTES:
                problems.append(DefinitionProblem(f"{here}.set.{name}", None,
                                                  f"'{name}' is already a name (a HUD field or a built-in derivation)"))
            problems += expression_problems(text, names, f"{here}.set.{name}")
        missing = all_bound - set(item.get("set", {}))
        if missing:
            problems.append(DefinitionProblem(here, None, "every column must set the same names; this one does not "
                                                          f"set {', '.join(sorted(missing))}"))
        problems += _measure_problems(item.get("measure"), names, f"{here}.measure")
        if "when" in item:
            problems += expression_problems(item["when"], names, f"{here}.when", expect="yes/no")
        if "group" not in item:
            continue
        problems += expression_problems(item["group"], names, f"{here}.group")
        if "codes" in item:
            try:
                code_list = codelists.get(item["codes"])
            except KeyError:
                problems.append(DefinitionProblem(f"{here}.codes", None,
                                                  f"no HUD code list '{item['codes']}' (code lists are named "
                                                  "by data element, for example 3.12 or 2.02.6)"))
                continue
            unknown = [code for code in item.get("only", []) if code not in code_list.codes]
            if unknown:
                problems.append(DefinitionProblem(f"{here}.only", None, f"not in code list {item['codes']} "
                                                  f"({code_list.name}): {', '.join(map(str, unknown))}"))
    return problems
