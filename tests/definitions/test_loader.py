"""Reading definition text: JSON data out, every problem with its line, hostile input refused."""
from __future__ import annotations

import json

import pytest

from hmis.definitions import MAX_SOURCE_BYTES, format_path, parse_path, parse_source

from .conftest import doc


def test_yaml_becomes_json_data_with_lines():
    parsed = parse_source(doc("""
        id: intake   # a comment
        title: Intake
        items:
          - id: dob
            relevant: age >= 18
          - id: vet
        """))
    assert parsed.ok, parsed.problems
    assert parsed.body == {"id": "intake", "title": "Intake",
                           "items": [{"id": "dob", "relevant": "age >= 18"}, {"id": "vet"}]}
    assert parsed.line_of(("items", 0, "relevant")) == 5
    assert parsed.line_of(("items", 1)) == 6
    assert parsed.line_of(("items", 1, "missing")) == 6  # the nearest ancestor


def test_yaml_1_1_surprises_stay_text():
    parsed = parse_source(doc("""
        answer: no
        label: Yes
        start: 2025-10-01
        time: 10:30
        zip: 01234
        flag: true
        count: 12
        share: 0.5
        big: 1e3
        nothing: null
        """))
    assert parsed.ok, parsed.problems
    assert parsed.body == {"answer": "no", "label": "Yes", "start": "2025-10-01", "time": "10:30", "zip": "01234",
                           "flag": True, "count": 12, "share": 0.5, "big": 1000.0, "nothing": None}
    json.dumps(parsed.body)


def test_unclosed_bracket_has_line_and_column():
    parsed = parse_source("id: x\ntitle: X\nchoices: [1, 2\nother: 3\n")
    assert parsed.body is None
    (problem,) = parsed.problems
    assert problem.line is not None and problem.column is not None
    assert problem.line >= 3
    assert "flow sequence that starts at line 3" in problem.message
    assert str(problem).startswith(f"line {problem.line}, column {problem.column}: ")


def test_tab_indentation_is_explained():
    parsed = parse_source("id: x\nitems:\n\t- id: a\n")
    (problem,) = parsed.problems
    assert (problem.line, problem.column) == (3, 1)
    assert "tab" in problem.message and "spaces" in problem.message


def test_duplicate_keys_are_refused_with_both_lines():
    parsed = parse_source(doc("""
        id: x
        title: One
        items:
          - id: a
            label: A
            label: B
        title: Two
        """))
    assert parsed.body is None
    messages = {(p.path, p.line): p.message for p in parsed.problems}
    assert messages[("title", 7)] == "duplicate key 'title' (first at line 2, again at line 7)"
    assert messages[("items[0].label", 6)] == "duplicate key 'label' (first at line 5, again at line 6)"


def test_alias_bomb_is_refused():
    bomb = doc("""
        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
        """)
    parsed = parse_source(bomb)
    assert parsed.body is None
    (problem,) = parsed.problems
    assert problem.line == 2 and "aliases (*a) are not allowed" in problem.message


def test_merge_key_without_alias_is_fine():
    parsed = parse_source("id: x\n<<: {title: T}\n")
    assert parsed.ok and parsed.body == {"id": "x", "title": "T"}


def test_oversize_source_is_refused():
    parsed = parse_source("a: " + "x" * MAX_SOURCE_BYTES)
    assert parsed.body is None
    assert "limit is 1,000,000" in parsed.problems[0].message
    assert "limit" in parse_source(b"a" * (MAX_SOURCE_BYTES + 1)).problems[0].message


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("# only a comment\n", "empty"),
    ("id: a\n---\nid: b\n", "another document"),
    ("id: !!python/object:os.system x\n", "could not determine a constructor"),
    ("1: one\n", "key 1 is not text"),
    ("when: !!timestamp 2025-01-01\n", "a date is not allowed"),
    ("x: !!binary aGVsbG8=\n", "binary data is not allowed"),
    ("x: !!float .nan\n", "not-a-number"),
    ("x: \x07\n", "character #x0007"),
])
def test_unusable_text_is_refused_clearly(text, words):
    parsed = parse_source(text)
    assert parsed.body is None
    assert any(words in p.message for p in parsed.problems), parsed.problems


def test_not_utf8():
    parsed = parse_source(b"id: caf\xe9\n")
    assert "not UTF-8" in parsed.problems[0].message


def test_deep_nesting_is_refused_without_crashing():
    assert "nested more than" in parse_source("[" * 5000 + "]" * 5000).problems[0].message
    assert "nested more than" in parse_source("a: " + "[" * 100 + "]" * 100).problems[0].message


def test_json_with_lines_and_tabs():
    text = '{\n\t"id": "x",\n\t"items": [\n\t\t{"id": "a", "relevant": "age > 1"}\n\t]\n}\n'
    parsed = parse_source(text, "x.json")
    assert parsed.ok, parsed.problems
    assert parsed.body["items"][0]["relevant"] == "age > 1"
    assert parsed.line_of(("items", 0, "relevant")) == 4


def test_bad_json_and_duplicate_json_keys():
    (problem,) = parse_source('{\n  "id": "x",\n  "title": \n}\n', "x.json").problems
    assert (problem.line, problem.message) == (4, "not valid JSON: Expecting value")
    (problem,) = parse_source('{\n  "id": "x",\n  "id": "y"\n}\n', "x.json").problems
    assert problem.line == 3 and "first at line 2" in problem.message


def test_yaml_flow_mapping_is_not_mistaken_for_json():
    assert parse_source("{id: x, title: T}").body == {"id": "x", "title": "T"}


def test_paths_round_trip():
    for path in [(), ("items", 3, "relevant"), ("a.b", 0, "c d"), ("x", "y-z")]:
        assert parse_path(format_path(path)) == path
    assert format_path(("items", 3, "relevant")) == "items[3].relevant"
    assert parse_path("items[") is None
