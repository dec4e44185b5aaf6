"""Text to tree: precedence, associativity, positions, literals, and syntax errors an HMIS lead can act on."""
from __future__ import annotations

import pickle
from datetime import date
from decimal import Decimal

import pytest

from hmis.expressions import (
    Binary, Call, ExpressionError, ExpressionSyntaxError, In, IsNull, ListLiteral, Literal, Ref, Unary, parse,
    references, unparse, walk,
)
from hmis.expressions.parser import MAX_DEPTH, _parse_cached


def b(op, left, right):
    return Binary(op, left, right)


def r(name):
    return Ref(name)


def n(value):
    return Literal(value)


# -- precedence and associativity ---------------------------------------------------------

@pytest.mark.parametrize("text, tree", [
    ("a + b * c", b("+", r("a"), b("*", r("b"), r("c")))),
    ("a * b + c", b("+", b("*", r("a"), r("b")), r("c"))),
    ("a - b - c", b("-", b("-", r("a"), r("b")), r("c"))),  # left-associative
    ("a / b / c", b("/", b("/", r("a"), r("b")), r("c"))),
    ("a - (b - c)", b("-", r("a"), b("-", r("b"), r("c")))),
    ("a % b * c", b("*", b("%", r("a"), r("b")), r("c"))),
    ("-a * b", b("*", Unary("-", r("a")), r("b"))),  # unary minus binds tightest
    ("a + b > c", b(">", b("+", r("a"), r("b")), r("c"))),
    ("a > 1 and b < 2", b("and", b(">", r("a"), n(1)), b("<", r("b"), n(2)))),
    ("a or b and c", b("or", r("a"), b("and", r("b"), r("c")))),  # and before or
    ("a and b or c", b("or", b("and", r("a"), r("b")), r("c"))),
    ("a or b or c", b("or", b("or", r("a"), r("b")), r("c"))),
    ("not a and b", b("and", Unary("not", r("a")), r("b"))),  # not binds tighter than and
    ("not a = 1", Unary("not", b("=", r("a"), n(1)))),  # ... but looser than comparison, as in SQL
    ("not not a", Unary("not", Unary("not", r("a")))),
    ("a + 1 in [2, 3]", In(b("+", r("a"), n(1)), ListLiteral((n(2), n(3))))),
    ("not a in [1]", Unary("not", In(r("a"), ListLiteral((n(1),))))),
    ("a is null or b is not null", b("or", IsNull(r("a")), IsNull(r("b"), negated=True))),
    ("a * 2 is null", IsNull(b("*", r("a"), n(2)))),
    ("a not in b", In(r("a"), r("b"), negated=True)),
])
def test_precedence_and_associativity(text, tree):
    assert parse(text) == tree


@pytest.mark.parametrize("text, op", [("a == b", "="), ("a = b", "="), ("a <> b", "!="), ("a != b", "!="),
                                      ("a <= b", "<="), ("a >= b", ">="), ("a < b", "<"), ("a > b", ">")])
def test_comparison_spellings(text, op):
    assert parse(text) == b(op, r("a"), r("b"))


def test_keywords_are_case_insensitive_but_names_are_not():
    assert parse("A AND NOT b OR c IS NOT NULL") == parse("A and not b or c is not null")
    assert parse("x IN [TRUE, False, NULL]") == In(r("x"), ListLiteral((n(True), n(False), n(None))))
    assert parse("Income") != parse("income")


def test_names_that_start_with_keywords_are_names():
    assert parse("income + order_count + notes_len + isolated + nullable + android") == parse(
        "income + order_count + notes_len + isolated + nullable + android")
    assert references(parse("income > 1 and order_count < 2")) == {"income", "order_count"}


def test_dotted_names_are_one_name():
    assert parse("project.type = 1 and client.age >= 18") == b(
        "and", b("=", r("project.type"), n(1)), b(">=", r("client.age"), n(18)))


# -- literals -------------------------------------------------------------------------------

def test_number_literals_are_exact():
    assert parse("12").value == 12 and isinstance(parse("12").value, int)
    assert parse("0.1").value == Decimal("0.1")
    assert parse("-2.50") == Literal(Decimal("-2.50"))
    assert parse("- 3") == Literal(-3)
    assert parse("+3") == Literal(3)


def test_string_literals_in_either_quote_with_escapes():
    assert parse("'abc'") == parse('"abc"') == Literal("abc")
    assert parse(r"'it\'s'") == parse('"it\'s"') == Literal("it's")
    assert parse(r"'a\\b\nc\td\"'").value == 'a\\b\nc\td"'
    assert parse("''") == Literal("")


def test_true_false_null_are_typed_literals():
    assert parse("true") == Literal(True) and parse("true") != Literal(1)
    assert parse("false").kind == "boolean"
    assert parse("null") == Literal(None)


def test_date_constants_are_settled_while_parsing():
    assert parse("date('2025-10-01')") == Literal(date(2025, 10, 1))
    assert parse('DATE("2024-02-29")').value == date(2024, 2, 29)


@pytest.mark.parametrize("text, message", [
    ("date('2025-02-30')", "not a date: '2025-02-30'"),
    ("date('2023-02-29')", "not a date: '2023-02-29'"),
    ("date('10/01/2025')", "not a date: '10/01/2025'"),
    ("date('20251001')", "not a date: '20251001'"),
    ("date(entry_date)", r"date\(\) takes a quoted date"),
])
def test_bad_date_constants(text, message):
    with pytest.raises(ExpressionSyntaxError, match=message):
        parse(text)


# -- positions ------------------------------------------------------------------------------

def test_every_node_has_a_position():
    text = "client.age >= 18 and\n  (income / size > 2 or not veteran)\n  and x in [1, -2] and age(dob) is not null"
    for node in walk(parse(text)):
        assert node.line >= 1 and node.column >= 1, node


def test_positions_point_at_operators_and_first_characters():
    tree = parse("a +\n  b / c")
    assert (tree.line, tree.column) == (1, 3)  # the '+'
    assert (tree.right.line, tree.right.column) == (2, 5)  # the '/'
    assert (tree.right.left.line, tree.right.left.column) == (2, 3)  # 'b'
    call = parse("  age(dob)")
    assert isinstance(call, Call) and (call.line, call.column) == (1, 3)
    membership = parse("x not in [1]")
    assert (membership.column, membership.options.column) == (3, 10)
    assert parse("x is null").column == 3
    assert parse("-x").column == 1


def test_positions_are_not_part_of_equality():
    assert parse("a+1") == parse("  a  +  1 ")
    assert hash(parse("a+1")) == hash(parse("a + 1"))


# -- printing round trip ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "a - (b - c)", "(a + b) * c", "-(a + b)", "not (a and b)", "(a or b) and c", "a = (b = c)",
    "x not in [1, null, 'a', date('2024-01-01')]", "(a + 1) is null", "if(a, 'it\\'s', \"q\")",
    "coalesce(a / b, 0) % 7", "x - -5", "a * -b", "(not a) = b", "count_selected(project.funders) > 1",
])
def test_unparse_round_trips(text):
    tree = parse(text)
    assert parse(unparse(tree)) == tree
    assert str(tree) == unparse(tree)


def test_unparse_is_canonical():
    assert unparse(parse("A == 1 AND b <> 'x'")) == "A = 1 and b != 'x'"
    assert unparse(parse("((a))  +  (b * c)")) == "a + b * c"


# -- caching ----------------------------------------------------------------------------------

def test_parse_is_cached_by_text():
    text = "cache_probe_name + 1"
    assert parse(text) is parse(text)
    info = _parse_cached.cache_info()
    parse(text)
    assert _parse_cached.cache_info().hits == info.hits + 1


def test_a_cached_tree_reports_each_callers_source():
    text = "1 +"
    for source in ("a.yaml", "b.yaml"):
        with pytest.raises(ExpressionSyntaxError) as caught:
            parse(text, source=source)
        assert caught.value.source == source


# -- syntax errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("", "the expression is empty at 1:1"),
    ("   ", "the expression is empty at 1:1"),
    ("a +", "the expression ends too early at 1:4 (expected a value)"),
    ("(a + b", "missing ')' at 1:7 (to close the '(' at 1:1)"),
    ("x in [1, 2", "missing ']' at 1:11 (to close the '[' at 1:6)"),
    ("f(x in [age(dob", "missing ')' at 1:16 (to close the '(' at 1:12)"),
    ("a < b < c", "unexpected '<' at 1:7 (comparisons do not chain: write 'a < b and b < c')"),
    ("a && b", "unexpected '&' at 1:3 (write 'and')"),
    ("a || b", "unexpected '|' at 1:3 (write 'or')"),
    ("!a", "unexpected '!' at 1:1 (write 'not', or '!=' for 'is not equal to')"),
    ("x in 1", "unexpected '1' at 1:6 (list the options in brackets: x in [1, 2, 3])"),
    ("name = 'abc", "text starting with ' is never closed at 1:8 (end it with another ')"),
    ("a b", "unexpected name 'b' at 1:3 (is an operator such as 'and' or '=' missing?)"),
    ("x = and", "unexpected 'and' at 1:5 (expected a value)"),
    ("[1, 2]", "unexpected '[' at 1:1 (expected a value)"),
    ("a +\n  * 2", "unexpected '*' at 2:3 (expected a value)"),
    ("agee(dob)", "unknown function 'agee' at 1:1 (did you mean 'age'?)"),
    ("frobnicate(1)", "unknown function 'frobnicate' at 1:1"),
    ("age()", "age() takes 1 or 2 arguments, not 0: age(date_of_birth, on_date) at 1:1"),
    ("today(1)", "today() takes 0 arguments, not 1: today() at 1:1"),
    ("coalesce(a)", "coalesce() takes at least 2 arguments, not 1: coalesce(value, fallback, ...) at 1:1"),
    ("if(a, b)", "if() takes 3 arguments, not 2: if(condition, then_value, else_value) at 1:1"),
    ("x = 'a\\qb'", "unknown escape '\\q' in text at 1:5"),
    ("a = 1 $", "unexpected character '$' at 1:7"),
])
def test_syntax_errors_say_what_and_where(text, expected):
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(text, source="intake.yaml, item 'income_total'")
    message = str(caught.value)
    assert message.startswith("intake.yaml, item 'income_total': ")
    assert expected in message


def test_error_excerpt_points_at_the_column():
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse("age(dob) >= 18 and\nveteran_status = = 1")
    assert caught.value.excerpt() == "veteran_status = = 1\n                 ^"


def test_deep_nesting_is_refused_cleanly():
    with pytest.raises(ExpressionSyntaxError, match="nested more than"):
        parse("+".join(["1"] * 1500))
    with pytest.raises(ExpressionSyntaxError, match=f"nested more than {MAX_DEPTH}"):
        parse("-(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5))
    assert parse("(" * 60 + "x" + ")" * 60) == Ref("x")  # brackets alone add no depth


def test_very_long_text_is_refused():
    with pytest.raises(ExpressionSyntaxError, match="longer than"):
        parse("x = '" + "a" * 5000 + "'")


def test_non_text_is_a_programming_error():
    with pytest.raises(TypeError):
        parse(42)  # type: ignore[arg-type]


def test_errors_survive_pickling_for_background_jobs():
    with pytest.raises(ExpressionError) as caught:
        parse("a +", source="report.yaml")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is ExpressionSyntaxError
    assert str(copy) == str(caught.value) and copy.text == "a +"
