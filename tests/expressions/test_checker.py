"""Static checks: unknown names with suggestions, argument counts and kinds, misuse of null."""
from __future__ import annotations

from pathlib import Path

import pytest

from hmis.expressions import (
    ANY, BOOLEAN, DATE, NUMBER, TEXT, Call, ExpressionCheckError, ListLiteral, Literal, Ref, Type, check, list_of,
    parse,
)
from hmis.expressions.functions import FUNCTIONS

SOURCE = "intake.yaml, item 'income_total'"
NAMES = {
    "income": "number", "income_total": NUMBER, "dob": "date", "entry_date": DATE, "exit_date": "date",
    "veteran_status": "number", "client.age": "integer", "first_name": "text", "notes": "string",
    "project.type": "number", "project.funders": "list of number", "disabilities": list_of(NUMBER),
    "consent": "yes/no", "stage": "text", "household.size": "number", "mystery": "any",
}


def kind(text: str, **kwargs) -> Type:
    return check(parse(text), NAMES, source=SOURCE, **kwargs)


def error(text: str, names=NAMES, **kwargs) -> str:
    with pytest.raises(ExpressionCheckError) as caught:
        check(parse(text), names, source=SOURCE, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize("text, result", [
    ("client.age >= 18 and veteran_status = 1", BOOLEAN),
    ("days_between(entry_date, today()) > 365", BOOLEAN),
    ("income_total / household.size", NUMBER),
    ("age(dob)", NUMBER),
    ("coalesce(exit_date, today())", DATE),
    ("if(consent, first_name, 'anonymous')", TEXT),
    ("if(consent, null, 1)", NUMBER),
    ("coalesce(null, null)", Type("null")),
    ("max(dob, entry_date, exit_date)", DATE),
    ("min(income, 0.5, 3)", NUMBER),
    ("lower(first_name) = 'ana'", BOOLEAN),
    ("2 in project.funders and count_selected(disabilities) > 1", BOOLEAN),
    ("project.funders is null or not answered(disabilities)", BOOLEAN),
    ("stage in ['entry', 'exit']", BOOLEAN),
    ("veteran_status in [1, null]", BOOLEAN),
    ("null is null", BOOLEAN),
    ("mystery + 1", NUMBER),  # a name of unknown kind is accepted anywhere
    ("mystery", ANY),
    ("consent = true", BOOLEAN),
    ("contains(notes, 'shelter')", BOOLEAN),
])
def test_kinds_of_results(text, result):
    assert kind(text) == result


def test_unknown_name_names_the_source_the_name_the_position_and_suggests():
    assert error("incom > 5") == f"{SOURCE}: unknown name 'incom' at 1:1 (did you mean 'income'?)"
    assert error("1 + 2 > incme_total") == (
        f"{SOURCE}: unknown name 'incme_total' at 1:9 (did you mean 'income_total'?)")
    assert error("project.typ = 1") == (
        f"{SOURCE}: unknown name 'project.typ' at 1:1 (did you mean 'project.type' or 'project.funders'?)")
    assert error("zzz = 1") == f"{SOURCE}: unknown name 'zzz' at 1:1"


def test_names_may_be_a_function():
    def names(name: str):
        return {"a": NUMBER}.get(name)

    assert check(parse("a + 1"), names) == NUMBER
    with pytest.raises(ExpressionCheckError, match="unknown name 'b' at 1:5$"):
        check(parse("a + b"), names)


def test_unknown_kind_names_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown value kind"):
        check(parse("x"), {"x": "colour"})


@pytest.mark.parametrize("text, message", [
    ("dob > 5", "cannot compare a date with a number at 1:5"),
    ("first_name = 1", "cannot compare text with a number at 1:12"),
    ("consent < true", "yes/no values can only be compared with '=' or '!=', not '<' at 1:9"),
    ("income and consent", "'and' needs yes/no values on both sides; the left side is a number at 1:8"),
    ("consent or 'x'", "'or' needs yes/no values on both sides; the right side is text at 1:9"),
    ("not income", "'not' needs a yes/no value, not a number at 1:1"),
    ("-first_name", "'-' needs a number, not text at 1:1"),
    ("exit_date - entry_date > 30", "'-' needs numbers, not a date and a date at 1:11 "
                                    "(use days_between(start, end) to count days between dates)"),
    ("entry_date + 30", "'+' needs numbers, not a date and a number at 1:12 "
                        "(date arithmetic is done with days_between(), age() and years_between())"),
    ("first_name + 'x'", "'+' needs numbers, not text and text"),
    ("age(first_name)", "age() needs a date as argument 1, not text at 1:5"),
    ("days_between(dob, 5)", "days_between() needs a date as argument 2, not a number at 1:19"),
    ("contains(notes, 1)", "contains() needs text as argument 2, not a number"),
    ("min(dob, 1)", "min() needs values of one kind, not a date and a number at 1:1"),
    ("max(consent, true)", "max() works on number or date or text values, not yes/no"),
    ("coalesce(income, 'none')", "coalesce() needs values of one kind, not a number and text"),
    ("if(income, 1, 2)", "the condition of if() must be yes/no, not a number at 1:4"),
    ("if(consent, 1, 'x')", "if() needs values of one kind, not a number and text"),
    ("count_selected(income)", "count_selected() needs a multiple-choice answer, not a number"),
    ("first_name in [1, 2]", "cannot look for text in a list with a number at 1:16"),
    ("'x' in project.funders", "cannot look for text in a list of numbers at 1:5"),
    ("1 in income", "'income' is a single value, not a list at 1:6 (write '1 = income', or list options in brackets)"),
    ("project.funders = 2", "'project.funders' holds several values at 1:1"),
    ("project.funders + 1", "'project.funders' holds several values"),
    ("lower(disabilities)", "'disabilities' holds several values"),
])
def test_kind_errors(text, message):
    assert error(text).startswith(f"{SOURCE}: ")
    assert message in error(text)


@pytest.mark.parametrize("text, hint", [
    ("income = null", "'= null' is never true: a comparison with null gives null at 1:8 (write 'income is null')"),
    ("null != income", "write 'income is not null'"),
    ("income > null", "write 'income is null'"),
    ("income + null", "null is not a value here at 1:10 (to test for a missing answer write 'x is null')"),
    ("null in [1]", "null is not a value here at 1:1"),
    ("not null", "null is not a value here"),
    ("age(null)", "null is not a value here at 1:5"),
    ("if(null, 1, 2)", "the condition of if() must be yes/no, not null at 1:4"),
])
def test_null_is_tested_with_is_null_not_compared(text, hint):
    assert hint in error(text)


def test_expect_a_condition():
    assert kind("income > 1", expect="yes/no") == BOOLEAN
    assert kind("mystery", expect=BOOLEAN) == ANY
    assert error("income + 1", expect="yes/no") == (
        f"{SOURCE}: this rule must give a yes/no value, but it gives a number at 1:8")
    assert "null is not a value here at 1:1" in error("null", expect="boolean")


def test_null_alone_is_accepted_when_nothing_is_expected():
    assert kind("null").name == "null"


def test_hand_built_trees_are_checked_too():
    with pytest.raises(ExpressionCheckError, match="unknown function 'nope'"):
        check(Call("nope", ()), NAMES)
    with pytest.raises(ExpressionCheckError, match=r"age\(\) takes 1 or 2 arguments, not 3"):
        check(Call("age", (Ref("dob"),) * 3), NAMES)
    with pytest.raises(ExpressionCheckError, match="a list in brackets can only follow 'in'"):
        check(ListLiteral((Literal(1),)), NAMES)
    with pytest.raises(ExpressionCheckError, match="date.. takes a quoted date"):
        check(Call("date", (Ref("first_name"),)), NAMES)
    assert check(Call("date", (Literal("2024-01-01"),)), NAMES) == DATE


def test_every_function_is_documented_with_usage_and_summary():
    for name, function in FUNCTIONS.items():
        assert function.usage.startswith(f"{name}("), name
        assert function.summary, name


def test_the_readme_examples_parse_and_check():
    readme = (Path(__file__).resolve().parents[2] / "platform/hmis/expressions/README.md").read_text()
    examples = readme.split("```text\n", 1)[1].split("```", 1)[0].strip().splitlines()
    names = {
        "client.age": "number", "veteran_status": "number", "entry_date": "date", "exit_date": "date",
        "living_situation": "number", "project.type": "number", "project.funders": "list of number",
        "dob": "date", "relationship_to_hoh": "number", "income_from_any_source": "number",
        "total_monthly_income": "number", "household.size": "number", "stage": "text",
        "disabilities": "list of number",
    }
    assert len(examples) >= 10
    for example in examples:
        assert check(parse(example), names, source="README") in (BOOLEAN, NUMBER), example
