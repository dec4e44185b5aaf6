"""The re-evaluation's lighter read (``shown_items``) and its lighter facts query give what
the full read and the full context give: the same items shown, for every shipped form."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from werkzeug.datastructures import MultiDict

from hmis.definitions.sync import sync_folder
from hmis.forms.compile import compile_body
from hmis.forms.context import FormContext, context_for
from hmis.forms.fragments import shipped_folder
from hmis.forms.loading import load
from hmis.forms.logic import applies_key
from hmis.forms.read import read, shown_items

from .sample import FORM, GOOD_ANSWERS, INCOME_FRAGMENT
from .test_engine import resolver

#: A repeating group whose rows' items have their own rule, and an item outside it that a
#: rule names: which rows there are, and the named answer, both change what is shown.
REPEATS = """
id: speed-repeats
kind: form
title: Repeats
items:
  - {id: has_pets, type: boolean, label: Has pets}
  - id: pets
    type: group
    label: Pets
    relevant: has_pets
    repeat: {max: 3}
    items:
      - {id: pet_kind, type: text, label: Kind}
      - {id: pet_age, type: integer, label: Age}
      - {id: pet_vaccinated, type: boolean, label: Vaccinated, relevant: pet_age > 1}
  - {id: notes, type: text, label: Notes}
  - {id: count, type: integer, label: Count}
  - {id: twice, type: integer, label: Twice, calculate: count * 2}
  - {id: many, type: text, label: Many, relevant: twice > 4}
"""

CONTEXTS = {
    "adult": dict(relationship_to_hoh=1, age=40, is_veteran=False),
    "child": dict(relationship_to_hoh=2, age=8, is_veteran=False),
    "unknown": dict(),
    "veteran": dict(relationship_to_hoh=1, age=60, is_veteran=True),
}


def _context(kind: str) -> FormContext:
    return FormContext(stage="project_start", information_date=date(2026, 10, 1), **CONTEXTS[kind])


def _same(form, answers: dict, prefix: str = "p-") -> None:
    formdata = MultiDict({f"{prefix}{key}": value for key, value in answers.items()})
    for kind in CONTEXTS:
        context = _context(kind)
        expected = read(form, formdata, context, prefix=prefix).shown
        assert shown_items(form, formdata, context, prefix=prefix) == expected, (form.key, kind, answers)


def test_the_sample_form_shows_the_same_items_as_a_full_read():
    form = compile_body(yaml.safe_load(FORM), "test-intake", resolver(INCOME_FRAGMENT))
    for answers in (GOOD_ANSWERS, {}, {"income_any": "0"}, {"income_any": "1", "earned": "0"},
                    {**GOOD_ANSWERS, "earned_amount": "lots"},  # a bad answer counts as unanswered
                    {**GOOD_ANSWERS, "household_size": "0"},  # the calculation divides by zero
                    {"income_any": "7"}):  # not one of the codes
        _same(form, answers)


def test_rows_of_a_repeating_group_and_calculated_values_show_the_same_items():
    form = compile_body(yaml.safe_load(REPEATS), "speed-repeats", resolver())
    rows = {"pets[0].pet_kind": "dog", "pets[0].pet_age": "3", "pets[2].pet_kind": "cat", "pets[2].pet_age": "1"}
    for answers in ({}, {"has_pets": "1"}, {"has_pets": "1", **rows}, {"has_pets": "0", **rows},
                    {"has_pets": "1", "pets[1].pet_age": "x"},  # a row with only a bad answer is no row
                    {"count": "3"}, {"count": "2"}, {"count": "two", "notes": "n"}):
        _same(form, answers)
    shown = shown_items(form, MultiDict({"p-has_pets": "1", **{f"p-{k}": v for k, v in rows.items()},
                                         "p-count": "3"}), _context("adult"), prefix="p-")
    assert {"pets[0].pet_vaccinated", "pets[1].pet_kind", "many"} <= shown  # worked out, not merely equal
    assert "pets[1].pet_vaccinated" not in shown and "pets[2].pet_kind" not in shown


@pytest.mark.parametrize("answers", [
    {},
    {"living_situation": "116", "length_of_stay": "5", "date_to_street": "2025-01-01", "times_homeless": "4",
     "months_homeless": "113", "disabling_condition": "1"},
    {"living_situation": "101", "length_of_stay": "2", "prior_living": "x", "income_any": "1", "earned": "1"},
    {"living_situation": "215", "length_of_stay": "10", "los_under_threshold": "1", "previous_street_essh": "1",
     "disabling_condition": "0", "domestic_violence": "1", "currently_fleeing": "1"},
])
def test_every_shipped_form_shows_the_same_items_as_a_full_read(app, answers):
    assert sync_folder(shipped_folder()).ok
    forms = []
    for path in sorted(Path(shipped_folder()).glob("*.yaml")):
        body = yaml.safe_load(path.read_text())
        if body.get("kind") == "form" and not body.get("fragment"):
            forms.append(load(body["id"]))
    assert len(forms) >= 5
    for form in forms:
        for prefix in ("", "m7-hud-intake-"):
            _same(form, answers, prefix)


def test_the_facts_query_gives_the_context_a_full_read_gives(app, make_enrollment):
    from hmis.access.operations import system_actor
    from hmis.forms.views import _enrollment_facts

    for enrollment in (make_enrollment(dob=date(1980, 5, 1), relationship=1, veteran=1, funders=(2, 43)),
                       make_enrollment(dob=date(2019, 5, 1), relationship=2, veteran=None, funders=()),
                       make_enrollment(dob=None, relationship=3, project_type=13)):
        for stage in ("project_start", "exit"):
            light = _enrollment_facts(enrollment.id, stage, system_actor())
            full = context_for(enrollment, stage, previous=False)
            assert applies_key(light) == applies_key(full)
            assert light.names() == full.names() and light.enrollment.id == enrollment.id
