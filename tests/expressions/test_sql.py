"""Compiling to SQL: what the compiler refuses, how it binds, and that it runs against the real HMIS tables."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from hmis.expressions import (
    BOOLEAN, DATE, NUMBER, TEXT, Call, ExpressionCheckError, ExpressionError, FUNCTIONS, Literal, check, list_of,
    parse, to_sql,
)
from hmis.expressions.sql import SQL_FUNCTIONS, column_kinds, kind_of_column

METADATA = sa.MetaData()
PEOPLE = sa.Table(
    "people", METADATA,
    sa.Column("id", sa.Integer, primary_key=True), sa.Column("dob", sa.Date), sa.Column("income", sa.Numeric(12, 2)),
    sa.Column("name", sa.String), sa.Column("veteran", sa.Boolean), sa.Column("seen_at", sa.DateTime),
    sa.Column("extra", sa.JSON), sa.Column("size", sa.SmallInteger), sa.Column("score", sa.Float),
)
COLUMNS = {name: PEOPLE.c[name] for name in PEOPLE.c.keys()}
DIALECTS = {"postgresql": postgresql.psycopg.dialect(), "sqlite": sqlite.dialect()}


def render(expression, dialect: str) -> str:
    return str(expression.compile(dialect=DIALECTS[dialect]))


def test_every_registry_function_has_sql():
    assert set(SQL_FUNCTIONS) == set(FUNCTIONS)


def test_column_kinds_follow_column_types():
    assert kind_of_column(PEOPLE.c.dob) == DATE
    assert kind_of_column(PEOPLE.c.seen_at) == DATE  # date-times are read as dates, in Python too
    assert kind_of_column(PEOPLE.c.income) == kind_of_column(PEOPLE.c.size) == kind_of_column(PEOPLE.c.score) == NUMBER
    assert kind_of_column(PEOPLE.c.name) == TEXT
    assert kind_of_column(PEOPLE.c.veteran) == BOOLEAN
    assert kind_of_column(sa.select(PEOPLE.c.size)) == list_of(NUMBER)
    with pytest.raises(ExpressionCheckError, match="a column of type JSON cannot be used"):
        kind_of_column(PEOPLE.c.extra)


def test_an_unusable_column_only_matters_when_used():
    assert to_sql("income > 1", COLUMNS, "sqlite") is not None
    with pytest.raises(ExpressionCheckError, match="JSON"):
        to_sql("extra is null", COLUMNS, "sqlite")


def test_check_with_column_kinds_suggests_column_names():
    with pytest.raises(ExpressionCheckError, match=r"unknown name 'incme' at 1:1 \(did you mean 'income' or 'name'"):
        check(parse("incme > 1"), column_kinds(COLUMNS))


def test_to_sql_checks_first_and_names_the_source():
    with pytest.raises(ExpressionCheckError) as caught:
        to_sql("dob > 5", COLUMNS, "postgresql", source="apr.yaml, filter 'adults'")
    assert str(caught.value) == "apr.yaml, filter 'adults': cannot compare a date with a number at 1:5"
    with pytest.raises(ExpressionCheckError, match="this rule must give a yes/no value"):
        to_sql("income + 1", COLUMNS, "sqlite", expect="yes/no")


def test_only_postgresql_and_sqlite():
    with pytest.raises(ExpressionError, match="cannot compile expressions for 'mysql'"):
        to_sql("1 = 1", COLUMNS, "mysql")
    assert to_sql("1 = 1", COLUMNS, DIALECTS["sqlite"]) is not None  # a dialect object works too


@pytest.mark.parametrize("dialect", DIALECTS)
def test_today_is_a_bound_parameter_never_the_database_clock(dialect):
    compiled = to_sql("days_between(dob, today()) > 365 and age(dob) >= 18", COLUMNS, dialect, today=date(2025, 1, 15))
    text = render(compiled, dialect).upper()
    assert "CURRENT_DATE" not in text and "NOW(" not in text and "'NOW'" not in text
    params = compiled.compile(dialect=DIALECTS[dialect]).params
    assert date(2025, 1, 15) in params.values()


def test_literals_are_bound_not_spliced():
    compiled = to_sql(r"name = 'x\'; DROP TABLE people; --' or name = " + '"O\'Brien"', COLUMNS, "postgresql")
    text = render(compiled, "postgresql")
    assert "DROP" not in text and "O'Brien" not in text
    assert "O'Brien" in compiled.compile(dialect=DIALECTS["postgresql"]).params.values()


def test_sql_shapes_that_matter():
    pg = lambda text: render(to_sql(text, COLUMNS, "postgresql"), "postgresql")  # noqa: E731
    lite = lambda text: render(to_sql(text, COLUMNS, "sqlite"), "sqlite")  # noqa: E731
    assert "nullif(" in pg("income / size") and "DOUBLE PRECISION" in pg("income / size")
    assert "nullif(" in lite("income / size")
    assert 'COLLATE "C"' in pg("name < 'b'") and "COLLATE" not in pg("name = 'b'")
    assert "translate(" in pg("lower(name) = 'a'") and "lower(" in lite("lower(name) = 'a'")
    assert "julianday(" in lite("days_between(dob, today())")
    assert "strpos(" in pg("contains(name, 'a')") and "instr(" in lite("contains(name, 'a')")
    assert "greatest(" in pg("max(size, 1)") and "max(" in lite("max(size, 1)")
    assert "people.veteran IS NULL" in lite("veteran is null")
    assert "CAST(people.seen_at AS DATE)" in pg("seen_at") and "date(people.seen_at)" in lite("seen_at")


def test_list_valued_names_need_a_select():
    columns = {**COLUMNS, "tags": PEOPLE.c.name}
    kinds = {"tags": list_of(TEXT)}
    tree = parse("'a' in tags")
    assert check(tree, kinds) == BOOLEAN
    with pytest.raises(ExpressionCheckError, match="'tags' is a single value"):
        to_sql(tree, columns, "sqlite")


def test_compiled_conditions_are_typed_yes_no():
    assert isinstance(to_sql("size > 1", COLUMNS, "sqlite").type, sa.Boolean)
    assert isinstance(to_sql("coalesce(dob, today())", COLUMNS, "sqlite").type, sa.Date)


def test_hand_built_date_call_compiles():
    tree = Call("date", (Literal("2024-02-29"),))
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        assert connection.scalar(sa.select(to_sql(tree, {}, "sqlite"))) == date(2024, 2, 29)
    engine.dispose()


def test_filters_over_the_hmis_tables(app):
    """The report engine's use: a filter over clients and enrollments, on both backends."""
    from hmis.extensions import db
    from hmis.models.hud import Client, Enrollment, Project

    columns = {
        "dob": Client.dob, "entry_date": Enrollment.entry_date, "project.type": Project.project_type,
        "relationship_to_hoh": Enrollment.relationship_to_hoh, "first_name": Client.first_name,
    }
    condition = to_sql(
        "age(dob, entry_date) >= 18 and project.type in [1, 2, 3] and relationship_to_hoh = 1 "
        "and days_between(entry_date, today()) > 365 and lower(first_name) != 'test'",
        columns, db.engine.dialect.name, expect="yes/no", today=date(2025, 10, 1),
    )
    query = (
        sa.select(sa.func.count())
        .select_from(Enrollment)
        .join(Client, sa.and_(Client.data_source_id == Enrollment.data_source_id,
                              Client.personal_id == Enrollment.personal_id))
        .join(Project, sa.and_(Project.data_source_id == Enrollment.data_source_id,
                               Project.project_id == Enrollment.project_id))
        .where(condition)
    )
    assert db.session.scalar(query) == 0


def test_a_compiled_rule_keeps_its_brackets_inside_another():
    """Reports combine compiled rules: not_(<a and b>) must stay NOT (a AND b)."""
    import sqlalchemy as sa

    from hmis.expressions.sql import to_sql

    table = sa.table("t", sa.column("a", sa.Integer), sa.column("b", sa.Integer))
    rule = to_sql("a = 1 and b = 2", {"a": table.c.a, "b": table.c.b}, "postgresql")
    printed = str(sa.not_(rule).compile(compile_kwargs={"literal_binds": True}))
    assert printed == "NOT (t.a = 1 AND t.b = 2)"
