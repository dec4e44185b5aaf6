"""Generated expressions: Python and SQL still agree, and printing round-trips.

Hypothesis is a development dependency, so these run everywhere the suite runs; the
hand-written table in ``test_differential.py`` is the floor.
"""
from __future__ import annotations

import warnings
from functools import lru_cache


import hypothesis  # noqa: F401 - a dev dependency: never skipped

# When an example fails, Hypothesis's pytest plugin imports its patch writer, which pulls in
# libcst, which warns about mypy_extensions; under filterwarnings=error that crashes the run
# instead of showing the failing example. Import it once here, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import hypothesis.extra._patching  # noqa: F401
    except ImportError:  # pragma: no cover - libcst is optional
        pass

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hmis.expressions import parse, to_sql, unparse  # noqa: E402

from .conftest import ROWS, TODAY, Backend  # noqa: E402
from .test_differential import _python_results, _same  # noqa: E402

# Leaves chosen so arithmetic stays exact in binary floating point (SQLite has no decimals;
# see test_known_limit_sqlite_has_no_exact_decimals) and integers stay far from 2**63.
NUMBER_LEAVES = st.sampled_from(["n", "m", "-3", "0", "1", "2", "7", "0.5", "2.25", "project.type",
                                 "count_selected(project.funders)", "length(name)"])
DATE_LEAVES = st.sampled_from(["dob", "entry_date", "exit_date", "created", "today()", "date('2000-02-29')",
                               "date('2024-12-31')"])
TEXT_LEAVES = st.sampled_from(["name", "code", "'a'", "'B'", "'zoë'", "''", "'%'"])


@lru_cache(maxsize=None)
def _numbers(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return NUMBER_LEAVES
    smaller = _numbers(depth - 1)
    return st.one_of(
        NUMBER_LEAVES,
        st.builds(lambda a, op, b: f"({a} {op} {b})", smaller, st.sampled_from(["+", "-", "*", "/"]), smaller),
        st.builds(lambda a, b: f"({a} % {b})", st.sampled_from(["n", "m", "7"]),
                  st.sampled_from(["m", "n", "3", "-2"])),
        st.builds(lambda a: f"abs({a})", smaller),
        st.builds(lambda a, b: f"coalesce({a}, {b})", smaller, smaller),
        st.builds(lambda a, b: f"max({a}, {b})", smaller, smaller),
        st.builds(lambda c, a, b: f"if({c}, {a}, {b})", _conditions(depth - 1), smaller, smaller),
        st.builds(lambda f, a, b: f"{f}({a}, {b})", st.sampled_from(["age", "days_between", "years_between"]),
                  DATE_LEAVES, DATE_LEAVES),
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(["year", "month"]), DATE_LEAVES),
    )


@lru_cache(maxsize=None)
def _dates() -> st.SearchStrategy[str]:
    return st.one_of(DATE_LEAVES, st.builds(lambda a, b: f"coalesce({a}, {b})", DATE_LEAVES, DATE_LEAVES),
                     st.builds(lambda a, b: f"min({a}, {b})", DATE_LEAVES, DATE_LEAVES))


@lru_cache(maxsize=None)
def _texts() -> st.SearchStrategy[str]:
    return st.one_of(TEXT_LEAVES, st.builds(lambda f, a: f"{f}({a})", st.sampled_from(["lower", "upper"]), TEXT_LEAVES),
                     st.builds(lambda a, b: f"coalesce({a}, {b})", TEXT_LEAVES, TEXT_LEAVES))


@lru_cache(maxsize=None)
def _conditions(depth: int) -> st.SearchStrategy[str]:
    compare = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
    leaves = st.one_of(
        st.builds(lambda a, op, b: f"{a} {op} {b}", _numbers(min(depth, 1)), compare, _numbers(min(depth, 1))),
        st.builds(lambda a, op, b: f"{a} {op} {b}", _dates(), compare, _dates()),
        st.builds(lambda a, op, b: f"{a} {op} {b}", _texts(), compare, _texts()),
        st.builds(lambda a, neg, items: f"{a} {'not in' if neg else 'in'} [{', '.join(items)}]", NUMBER_LEAVES,
                  st.booleans(), st.lists(st.sampled_from(["1", "2", "5", "-7", "null", "0.5"]), max_size=4)),
        st.builds(lambda a, neg: f"{a} {'not in' if neg else 'in'} project.funders", NUMBER_LEAVES, st.booleans()),
        st.builds(lambda a, neg: f"{a} is {'not ' if neg else ''}null", st.one_of(NUMBER_LEAVES, TEXT_LEAVES),
                  st.booleans()),
        st.builds(lambda a: f"answered({a})", st.sampled_from(["name", "n", "project.funders", "dob"])),
        st.builds(lambda a, b: f"contains({a}, {b})", TEXT_LEAVES, TEXT_LEAVES),
        st.sampled_from(["veteran", "true", "false", "veteran = false"]),
    )
    if depth == 0:
        return leaves
    smaller = _conditions(depth - 1)
    return st.one_of(
        leaves,
        st.builds(lambda a, op, b: f"({a} {op} {b})", smaller, st.sampled_from(["and", "or"]), smaller),
        st.builds(lambda a: f"not ({a})", smaller),
    )


EXPRESSIONS = st.one_of(_numbers(2), _conditions(2), _dates(), _texts())
SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@SETTINGS
@given(text=EXPRESSIONS)
def test_generated_expressions_agree_in_python_and_sql(database: Backend, text: str):
    compiled = to_sql(text, database.columns, database.name, today=TODAY)
    with database.engine.connect() as connection:
        sql_results = [value for _, value in connection.execute(database.select(database.table.c.id, compiled))]
    python_results = _python_results(text)
    mismatches = [(row["id"], p, s) for row, p, s in zip(ROWS, python_results, sql_results) if not _same(p, s)]
    assert not mismatches, f"{text!r} on {database.name}: {mismatches}"


@settings(max_examples=300, deadline=None, database=None)
@given(text=EXPRESSIONS)
def test_printing_round_trips(text: str):
    tree = parse(text)
    assert parse(unparse(tree)) == tree
    assert unparse(parse(unparse(tree))) == unparse(tree)
