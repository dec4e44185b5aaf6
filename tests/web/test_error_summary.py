"""The error summary's lines: each message linked to the element that takes focus for it."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml

from hmis.forms.compile import compile_body
from hmis.forms.fragments import from_shipped_folder
from hmis.web.error_summary import ErrorLink, form_error_links, page_error_links

FORM = """
id: summary-test
kind: form
title: Summary test
languages: [en, es]
items:
  - {id: note, type: text, label: {en: Note, es: Nota}}
  - {id: name, type: name, label: Name}
  - {id: pets, type: boolean, label: Any pets}
  - id: incomes
    type: group
    label: Incomes
    repeat: {min: 0, max: 4}
    items:
      - {id: amount, type: currency, label: Amount}
"""


@pytest.fixture(scope="module")
def form():
    body = yaml.safe_load(FORM)
    return compile_body(body, body["id"], from_shipped_folder(), version=1, version_id=1)


def test_each_message_links_to_its_field_in_the_forms_order(form):
    errors = {"incomes[1].amount": "Enter an amount.", "pets": "This question is required.",
              "name": "A full name needs a first and a last name.", "note": "Too long.", "_form": "Cannot save here."}
    links = form_error_links(form, errors, prefix="m7-")
    assert links == [
        ErrorLink("Cannot save here."),  # form-wide: first, not linked
        ErrorLink("Note: Too long.", "m7-note"),
        ErrorLink("Name: A full name needs a first and a last name.", "m7-name.first"),  # a composite's first input
        ErrorLink("Any pets: This question is required.", "m7-pets-error"),  # radios have no id: their message
        ErrorLink("Amount: Enter an amount.", "m7-incomes[1].amount"),  # that row's field
    ]
    assert form_error_links(form, {"note": "Demasiado largo."}, language="es")[0].message == "Nota: Demasiado largo."


def test_a_message_for_something_the_form_does_not_draw_is_shown_unlinked(form):
    assert form_error_links(form, {"no_such_item": "Odd."}) == [ErrorLink("Odd.")]
    assert form_error_links(form, {}) == []


def test_a_household_page_says_whose_form_each_line_is_about(form):
    rosa = SimpleNamespace(first_name="Rosa", last_name="Diaz")
    entries = [SimpleNamespace(form=form, errors={"note": "Too long."}, prefix="m1-", client=rosa, problem=None,
                               context=SimpleNamespace(language="en")),
               SimpleNamespace(form=form, errors={}, prefix="m2-", client=SimpleNamespace(first_name="Luis",
                                                                                          last_name=None),
                               problem="Someone else saved this form.", context=None)]
    assert page_error_links(entries) == [ErrorLink("Rosa Diaz: Note: Too long.", "m1-note"),
                                         ErrorLink("Luis: Someone else saved this form.")]
