"""Evaluation in Python: SQL's null rules, dates, lists, numbers, and runtime problems."""
from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal

import pytest

from hmis.expressions import ExpressionRuntimeError, evaluate, is_true, parse

T, F, N = True, False, None
LOGIC = {"true": T, "false": F, "null": N}


def ev(text: str, **env):
    return evaluate(parse(text), env, today=date(2025, 1, 15))


# -- three-valued logic ----------------------------------------------------------------------

def _and(a, b):
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a, b):
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


@pytest.mark.parametrize("left, right", list(itertools.product(LOGIC, LOGIC)))
def test_and_or_follow_sql_three_valued_logic(left, right):
    a, b = LOGIC[left], LOGIC[right]
    assert ev("a and b", a=a, b=b) is _and(a, b)
    assert ev("a or b", a=a, b=b) is _or(a, b)


def test_the_sql_truth_table_spelled_out():
    assert ev("null and false") is False and ev("false and null") is False
    assert ev("null or true") is True and ev("true or null") is True
    assert ev("null and true") is None and ev("null or false") is None
    assert ev("not x", x=None) is None and ev("not x", x=True) is False


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_comparisons_with_a_missing_value_are_null(op):
    assert ev(f"x {op} 1", x=None) is None
    assert ev(f"1 {op} x", x=None) is None
    assert ev(f"x {op} y", x=None, y=None) is None


def test_null_tests_are_the_only_comparisons_that_answer():
    assert ev("x is null", x=None) is True and ev("x is not null", x=None) is False
    assert ev("x is null", x=0) is False and ev("x is null", x="") is False
    assert ev("x is null", x=[]) is True  # an empty selection is a missing answer


def test_conditions_count_only_true():
    assert is_true(ev("x > 1", x=2))
    assert not is_true(ev("x > 1", x=None))
    assert not is_true(ev("x > 1", x=0))


def test_and_or_stop_early_like_a_careful_reader():
    problems: list = []
    assert evaluate("false and x / 0 > 1", {"x": 1}, problems=problems) is False
    assert evaluate("true or x / 0 > 1", {"x": 1}, problems=problems) is True
    assert problems == []


# -- membership ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, x, result", [
    ("x in [1, 2, 3]", 2, True),
    ("x in [1, 2, 3]", 4, False),
    ("x in [1, 2, 3]", None, None),
    ("x in [1, null]", 1, True),
    ("x in [1, null]", 2, None),  # not found, but the missing value might have been 2
    ("x not in [1, null]", 2, None),
    ("x not in [1, null]", 1, False),
    ("x not in [1, 2]", 3, True),
    ("x in []", None, False),  # nothing is in an empty list, not even a missing value
    ("x not in []", None, True),
    ("x in [1.0, 2]", 1, True),
    ("x in ['a', 'b']", "A", False),
])
def test_in_lists(text, x, result):
    assert ev(text, x=x) is result


def test_in_a_multiple_choice_answer():
    assert ev("2 in d", d=[1, 2]) is True
    assert ev("3 in d", d=[1, 2]) is False
    assert ev("3 in d", d=[1, None]) is None
    assert ev("3 in d", d=None) is False  # unanswered: nothing selected
    assert ev("3 not in d", d=[]) is True
    assert ev("count_selected(d)", d=[1, 2, 3]) == 3 and ev("count_selected(d)", d=None) == 0
    assert ev("answered(d)", d=[]) is False and ev("answered(d)", d=[4]) is True
    assert ev("2 in d", d=(2,)) is True and ev("2 in d", d=frozenset({2})) is True


# -- numbers --------------------------------------------------------------------------------

def test_arithmetic_and_precedence():
    assert ev("1 + 2 * 3 - 4 / 2") == 5.0
    assert ev("(1 + 2) * 3") == 9
    assert ev("2 - 3 - 4") == -5
    assert ev("-x * 2", x=3) == -6
    assert ev("x + 1", x=None) is None


def test_exact_decimals_stay_exact():
    assert ev("0.1 + 0.2 = 0.3") is True
    assert ev("x * 3", x=Decimal("1.10")) == Decimal("3.30")
    assert ev("x + 1", x=Decimal("2.50")) == Decimal("3.50")


def test_division_is_always_true_division_in_floating_point():
    assert ev("7 / 2") == 3.5
    assert isinstance(ev("6 / 3"), float)
    assert ev("x / 4", x=Decimal("1.00")) == 0.25
    assert ev("1 / 3") == 1 / 3
    assert ev("x / 2 > 0.1", x=Decimal("0.2")) is False  # 0.1 (float) vs 0.1: compared as floats, like PostgreSQL


def test_division_by_zero_raises_by_default_with_where():
    with pytest.raises(ExpressionRuntimeError) as caught:
        evaluate("income_total / household.size", {"income_total": 100, "household.size": 0},
                 source="intake.yaml, item 'per_person'")
    assert str(caught.value) == ("intake.yaml, item 'per_person': division by zero at 1:14 "
                                 "('household.size' is 0; the result is null)")


def test_division_by_zero_is_null_when_problems_are_collected():
    problems: list = []
    value = evaluate("coalesce(a / b, 0) + a % b", {"a": 1, "b": 0}, problems=problems, source="f.yaml")
    assert value is None
    assert [str(p) for p in problems] == [
        "f.yaml: division by zero at 1:12 ('b' is 0; the result is null)",
        "f.yaml: division by zero at 1:24 ('b' is 0; the result is null)",
    ]
    assert evaluate("a / b", {"a": None, "b": 0}, problems=problems) is None and len(problems) == 2


def test_guarding_with_if_avoids_the_division():
    problems: list = []
    assert evaluate("if(b != 0, a / b, 0)", {"a": 1, "b": 0}, problems=problems) == 0
    assert evaluate("if(b != 0, a / b, 0)", {"a": 1, "b": 4}) == 0.25
    assert problems == []


@pytest.mark.parametrize("a, b, result", [(7, 3, 1), (-7, 3, -1), (7, -3, 1), (-7, -3, -1), (6, 3, 0),
                                          (Decimal("7.0"), 2, 1), (7.0, 2, 1)])
def test_remainder_takes_the_sign_of_the_dividend_like_sql(a, b, result):
    assert ev("a % b", a=a, b=b) == result


def test_remainder_needs_whole_numbers():
    with pytest.raises(ExpressionRuntimeError, match="'%' works on whole numbers; 'a' is 7.5"):
        ev("a % 2", a=Decimal("7.5"))


# -- dates -------------------------------------------------------------------------------------

@pytest.mark.parametrize("born, on, years", [
    ("2000-01-15", "2025-01-15", 25),  # on the birthday
    ("2000-01-16", "2025-01-15", 24),  # the day before
    ("2000-01-14", "2025-01-15", 25),
    ("2000-02-29", "2001-02-28", 0),  # leap-day birthday in a common year: not until 1 March
    ("2000-02-29", "2001-03-01", 1),
    ("2000-02-29", "2004-02-29", 4),
    ("2000-02-29", "2004-02-28", 3),
    ("2000-03-01", "2004-02-29", 3),
    ("2000-12-31", "2001-01-01", 0),
    ("2020-06-01", "2020-01-01", -1),  # born after the date: negative, so data-quality rules can find it
    ("2020-06-01", "2020-06-01", 0),
])
def test_age_in_whole_years(born, on, years):
    assert ev(f"age(date('{born}'), date('{on}'))") == years
    assert ev(f"years_between(date('{born}'), date('{on}'))") == years


def test_age_defaults_to_today():
    assert ev("age(dob)", dob=date(2007, 1, 15)) == 18
    assert ev("age(dob)", dob=date(2007, 1, 16)) == 17
    assert ev("age(dob)", dob=None) is None


def test_days_between_is_signed():
    assert ev("days_between(date('2024-02-28'), date('2024-03-01'))") == 2  # leap year
    assert ev("days_between(date('2023-02-28'), date('2023-03-01'))") == 1
    assert ev("days_between(b, a)", a=date(2024, 1, 1), b=date(2024, 1, 31)) == -30
    assert ev("days_between(entry, today()) > 365", entry=date(2023, 1, 1)) is True
    assert ev("days_between(entry, today())", entry=None) is None


def test_today_is_what_the_caller_says():
    assert evaluate("today()", {}, today=date(2030, 6, 1)) == date(2030, 6, 1)
    assert evaluate("today()", {}) == date.today()


def test_date_times_are_read_as_dates():
    assert ev("created = date('2024-03-10')", created=datetime(2024, 3, 10, 23, 59)) is True
    assert ev("days_between(created, today())", created=datetime(2025, 1, 14, 8, 0)) == 1


def test_year_and_month():
    assert ev("year(d) * 100 + month(d)", d=date(2024, 7, 4)) == 202407


# -- text and other functions ------------------------------------------------------------------

def test_text_functions():
    assert ev("lower(x)", x="ÉMILE Zoë") == "Émile zoë"  # A-Z only, like SQLite
    assert ev("upper(x)", x="émile zoë") == "éMILE ZOë"
    assert ev("length(x)", x="Zoë") == 3
    assert ev("contains(x, 'Bri')", x="O'Brien") is True
    assert ev("contains(x, '')", x="abc") is True
    assert ev("contains(x, 'a')", x=None) is None
    assert ev("x < 'a'", x="B") is True  # code point order, as SQLite and PostgreSQL's "C" collation


def test_answered():
    assert [ev("answered(x)", x=v) for v in (None, "", "a", 0, False, [], [1])] == [
        False, False, True, True, True, False, True]


def test_coalesce_and_if():
    assert ev("coalesce(a, b, 3)", a=None, b=None) == 3
    assert ev("coalesce(a, b, 3)", a=None, b=2) == 2
    assert ev("if(c, 'yes', 'no')", c=None) == "no"  # a null condition takes the else branch, like CASE
    assert ev("if(c, 'yes', 'no')", c=True) == "yes"


def test_min_and_max_are_null_if_any_argument_is():
    assert ev("max(a, b, 0)", a=3, b=None) is None
    assert ev("max(a, b, 0)", a=3, b=-1) == 3
    assert ev("min(a, b)", a=date(2024, 1, 1), b=date(2023, 1, 1)) == date(2023, 1, 1)
    assert ev("min(a, 1.5)", a=2) == Decimal("1.5")
    assert ev("max(a / 2, 1)", a=5) == 2.5
    assert ev("min('b', 'B')") == "B"


def test_abs():
    assert ev("abs(x)", x=-3) == 3
    assert ev("abs(x)", x=Decimal("-2.5")) == Decimal("2.5")
    assert ev("abs(x)", x=None) is None


# -- runtime errors ----------------------------------------------------------------------------

def test_a_missing_name_is_an_error_not_a_null():
    with pytest.raises(ExpressionRuntimeError) as caught:
        evaluate("x > 1 and y", {"x": 2}, source="exit.yaml, item 'destination'")
    assert str(caught.value) == ("exit.yaml, item 'destination': no value was given for 'y' at 1:11 "
                                 "(pass None for an unanswered item)")


@pytest.mark.parametrize("text, env, message", [
    ("x + 1", {"x": "3"}, "expected a number but 'x' is text ('3') at 1:1"),
    ("x and true", {"x": 1}, "expected a yes/no value but 'x' is a number (1) at 1:1"),
    ("age(x)", {"x": "2000-01-01"}, "expected a date but 'x' is text ('2000-01-01') at 1:5"),
    ("x = 1", {"x": "1"}, "cannot combine text ('1') with a number (1) at 1:3"),
    ("x = 1", {"x": True}, "cannot combine a yes/no value (True) with a number (1)"),
    ("2 in x", {"x": 2}, "expected a list for 'x', got 2 at 1:6"),
])
def test_values_of_the_wrong_kind_are_reported(text, env, message):
    with pytest.raises(ExpressionRuntimeError, match="^" + message.replace("(", r"\(").replace(")", r"\)")
                       .replace("+", r"\+").replace("'", "'")):
        evaluate(text, env)


def test_evaluate_accepts_text_and_reports_syntax_errors_with_source():
    assert evaluate("1 + 1", {}) == 2
    with pytest.raises(Exception, match="^f.yaml: the expression ends too early"):
        evaluate("1 +", {}, source="f.yaml")
