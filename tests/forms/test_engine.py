"""The engine without a database: definitions compile (or say every problem), posted
answers are read, typed, checked and mapped to HUD, and the HTML escapes everything."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import yaml

from hmis.definitions import check_source
from hmis.forms.compile import FormDefinitionError, compile_body, problems_of
from hmis.forms.context import FormContext
from hmis.forms.fragments import Fragment
from hmis.forms.read import read
from hmis.forms.render import render

from .sample import FORM, GOOD_ANSWERS, INCOME_FRAGMENT


def resolver(*texts: str):
    bodies = {body["id"]: body for body in (yaml.safe_load(text) for text in texts)}
    return lambda key: Fragment(key, bodies[key], None) if key in bodies else None


@pytest.fixture
def form():
    return compile_body(yaml.safe_load(FORM), "test-intake", resolver(INCOME_FRAGMENT))


def context(**kwargs):
    kwargs.setdefault("stage", "project_start")
    kwargs.setdefault("information_date", date(2026, 10, 1))
    return FormContext(**kwargs)


def problems(text: str, *fragments: str) -> list[str]:
    return [p.message for p in problems_of(yaml.safe_load(text), yaml.safe_load(text)["id"], resolver(*fragments))]


def test_fragment_items_take_the_include_place(form):
    assert list(form.by_id)[:6] == ["entry_date", "living_situation", "fragment_test_income_part", "income_any",
                                    "incomes", "earned"]
    assert form.by_id["income_any"].label("es") == "Ingresos de cualquier fuente"
    # HUD code list by reference, with Spanish labels where translated
    yes = next(c for c in form.by_id["income_any"].choices if c.value == 1)
    assert (yes.label("en"), yes.label("es")) == ("Yes", "Sí")


def test_good_answers_map_to_hud_rows_and_custom_data(form):
    submission = read(form, GOOD_ANSWERS, context())
    assert submission.errors == {}
    assert submission.answers["earned_amount"] == Decimal("1200.50")
    assert submission.answers["per_person"] == Decimal("600.25")  # calculated
    assert submission.records[("Enrollment", ())] == {"EntryDate": date(2026, 10, 1), "LivingSituation": 116}
    assert submission.records[("IncomeBenefits", ())] == {"IncomeFromAnySource": 1, "Earned": 1,
                                                          "EarnedAmount": Decimal("1200.50")}
    assert submission.records[("Disabilities", (("DisabilityType", 5),))] == {"DisabilityResponse": 1}
    assert submission.custom == {"test_household_size": 2, "test_pet": "dog", "test_notes": "Ok"}


def test_hidden_items_are_not_kept_or_required(form):
    answers = dict(GOOD_ANSWERS, income_any="0", earned_amount="")
    submission = read(form, answers, context())
    assert submission.errors == {}
    assert "earned" not in submission.answers
    assert submission.records[("IncomeBenefits", ())] == {"IncomeFromAnySource": 0}


def test_required_warn_if_empty_and_constraint(form):
    answers = dict(GOOD_ANSWERS, entry_date="", living_situation="", earned_amount="250000")
    submission = read(form, answers, context())
    assert submission.errors["entry_date"] == "This question is required."
    assert "more than this project's limit" in submission.errors["earned_amount"]
    assert "living_situation" in submission.warnings and "living_situation" not in submission.errors


def test_collected_about_and_stage_hide_items(form):
    child = read(form, GOOD_ANSWERS, context(relationship_to_hoh=2, age=9))
    assert "income_any" not in child.shown and "living_situation" not in child.shown
    assert ("IncomeBenefits", ()) not in child.records
    assert "veteran_note" not in read(form, {}, context(is_veteran=False)).shown
    assert "veteran_note" not in read(form, {}, context(stage="exit")).shown
    assert "veteran_note" in read(form, {}, context(is_veteran=True)).shown


def test_division_by_zero_gives_null_and_a_warning(form):
    submission = read(form, dict(GOOD_ANSWERS, household_size="0"), context())
    assert submission.answers["per_person"] is None
    assert "divides by zero" in submission.warnings["per_person"]
    assert submission.errors == {}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("notes", "a\x00b", "control characters"),
    ("notes", "x" * 1_000_000, "too long"),
    ("household_size", "2; DROP TABLE client", "whole number"),
    ("entry_date", "2026-02-30", "year-month-day"),
    ("living_situation", "12345", "listed answers"),
    ("earned_amount", "12.345", "dollars and cents"),
    ("household_size", "-1", "smallest allowed"),
])
def test_hostile_or_bad_answers_get_a_message_at_their_item(form, field, value, message):
    submission = read(form, dict(GOOD_ANSWERS, **{field: value}), context())
    assert message in submission.errors[field]


def test_script_and_sql_text_is_kept_as_text_and_escaped(form):
    hostile = "<script>alert(1)</script>'; DROP TABLE client; --"
    submission = read(form, dict(GOOD_ANSWERS, notes=hostile), context())
    assert submission.answers["notes"] == hostile
    html = str(render(form, context(), values=submission.answers, errors={"notes": "<b>bad</b>"}))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>bad</b>" not in html and "&lt;b&gt;bad&lt;/b&gt;" in html


def test_render_hides_irrelevant_items_and_prefixes_names(form):
    html = str(render(form, context(), values={"income_any": 0}, prefix="m2-"))
    assert 'name="m2-entry_date"' in html and 'id="m2-entry_date"' in html
    assert 'data-item="incomes" hidden' in html  # toggled by forms.js, not removed
    assert 'data-item="veteran_note"' in html  # veteran status unknown: asked
    child = str(render(form, context(relationship_to_hoh=2, age=9), values={}))
    assert 'data-item="income_any"' not in child  # not collected about children at all


def test_render_in_spanish(form):
    html = str(render(form, context(language="es"), values={"income_any": 1}))
    assert "Ingresos de cualquier fuente" in html and "Perro" in html


def test_composites_check_their_data_quality():
    text = """
    id: profile
    kind: form
    title: Profile
    items:
      - {id: name, type: name, label: Name}
      - {id: ssn, type: ssn, label: SSN}
      - {id: dob, type: dob, label: Date of birth}
    """
    form = compile_body(yaml.safe_load(text), "profile", resolver())
    bad = read(form, {"name.first": "Ana", "name.quality": "1", "ssn.ssn": "12345", "ssn.quality": "2",
                      "dob.dob": "2099-01-01", "dob.quality": "1"}, context())
    assert "first and a last name" in bad.errors["name"]
    assert "9 digits" in bad.errors["ssn"]
    assert "future" in bad.errors["dob"]
    good = read(form, {"name.first": "Ana", "name.last": "Ruiz", "name.quality": "1", "ssn.ssn": "123-45-6789",
                       "ssn.quality": "1", "dob.dob": "1990-02-03", "dob.quality": "1"}, context())
    assert good.errors == {}
    assert good.records[("Client", ())] == {
        "FirstName": "Ana", "MiddleName": None, "LastName": "Ruiz", "NameSuffix": None, "NameDataQuality": 1,
        "SSN": "123456789", "SSNDataQuality": 1, "DOB": date(1990, 2, 3), "DOBDataQuality": 1}


def test_every_problem_is_listed_with_its_place():
    text = """
    id: broken
    kind: form
    title: Broken
    items:
      - {id: a, type: integer, label: A, relevant: "agee > 3"}
      - {id: a, type: text, label: Again}
      - {id: b, type: choice, label: B, choices: "hud:9.99"}
      - {id: c, type: text, label: C, hud: Client.Nonsense}
      - {id: d, type: date, label: D, hud: IncomeBenefits.Earned}
      - {id: e, type: choice, label: E, choices: "local:missing"}
      - {id: f, type: text, label: F, hud: Enrollment.EnrollmentID}
      - {id: g, type: integer, label: G, calculate: "'text'"}
    """
    found = problems(text)
    assert any("unknown name 'agee'" in m for m in found)
    assert any("used twice" in m for m in found)
    assert any("no code list '9.99'" in m for m in found)
    assert any("no column 'Nonsense'" in m for m in found)
    assert any("holds integer values" in m for m in found)
    assert any("no local code list 'missing'" in m for m in found)
    assert any("filled in by the HMIS itself" in m for m in found)
    assert any("calculate gives text" in m for m in found)


def test_a_fragment_that_includes_itself_is_refused():
    loop = """
    id: fragment-loop
    kind: form
    title: Loop
    fragment: true
    items:
      - {id: x, type: text, label: X}
      - include: fragment-loop
    """
    assert any("includes itself" in m for m in problems(loop, loop))
    user = """
    id: uses-loop
    kind: form
    title: Uses
    items:
      - include: fragment-loop
    """
    assert any("fragment-loop -> fragment-loop" in m for m in problems(user, loop))
    assert any("there is no fragment 'nope'" in m
               for m in problems(user.replace("fragment-loop", "nope")))


def test_check_source_reports_malformed_yaml_and_unknown_types_with_lines():
    malformed = check_source("form", "id: x\nkind: form\ntitle: [unclosed\nitems: []\n")
    assert not malformed.readable and malformed.problems[0].line is not None
    unknown = check_source("form", "id: x\nkind: form\ntitle: X\nitems:\n  - id: a\n    type: slider\n    label: A\n")
    assert unknown.problems and unknown.problems[0].line in (5, 6)
    assert unknown.problems[0].message.startswith("unknown item type 'slider' (use one of group")


def test_compiling_a_broken_definition_raises_with_the_problems():
    with pytest.raises(FormDefinitionError) as raised:
        compile_body({"id": "x", "kind": "form", "title": "X", "items": [
            {"id": "a", "type": "text", "label": "A", "relevant": "nope = 1"}]}, "x", resolver())
    assert "unknown name 'nope'" in str(raised.value)


def test_ids_that_shadow_context_names_and_custom_on_lists_are_refused():
    text = """
    id: clash
    kind: form
    title: Clash
    items:
      - {id: information_date, type: date, label: Date}
      - {id: many, type: multi_choice, label: Many, choices: "hud:1.8", custom: local.many}
      - id: rows
        type: group
        label: Rows
        repeat: {max: 3}
        items:
          - {id: row_amount, type: currency, label: Amount, hud: IncomeBenefits.EarnedAmount}
    """
    found = problems(text)
    assert any("name rules already use" in m for m in found)
    assert any("cannot be a custom data element" in m for m in found)
    assert any("inside a repeating group" in m for m in found)
