"""A form's markup is rendered once and filled in per request (hmis.forms.markup): the
filled-in markup must equal the template rendered afresh, for every shipped form, kind
of context, language, answer, error and prefix; no answer may ever be kept in it."""
from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from hmis.forms import FormContext, markup
from hmis.forms.compile import compile_body
from hmis.forms.fragments import from_shipped_folder
from hmis.forms.render import _prepare, render

SHIPPED = Path(__file__).resolve().parents[2] / "form_definitions"
HOSTILE = ['<script>alert(1)</script>', '" onmouseover="x', "a&b'c", "<\x01>", "\x000\x00"]
STAGES = ["project_start", "update", "annual", "exit", "post_exit", "profile", "cls", "service", "ce_event",
          "ce_assessment", "local"]


def _compile(text_or_body, key: str = "test-form"):
    body = yaml.safe_load(text_or_body) if isinstance(text_or_body, str) else text_or_body
    return compile_body(body, body.get("id", key), from_shipped_folder(), version=1, version_id=7)


def _shipped_forms():
    for path in sorted(SHIPPED.glob("*.yaml")):
        body = yaml.safe_load(path.read_text("utf-8"))
        if not body.get("fragment"):
            yield path.stem, body


def _answer(item, rnd: random.Random):
    """A random answer of the item's type (hostile text included), or None."""
    kind = item.type
    if rnd.random() < 0.3:
        return None
    if kind in ("text", "textarea", "open_choice"):
        return rnd.choice(HOSTILE)
    if kind == "integer":
        return rnd.choice([0, 3])
    if kind in ("decimal", "currency"):
        return Decimal("12.50")
    if kind == "date":
        return date(2026, 1, 2)
    if kind == "boolean":
        return rnd.choice([True, False])
    if kind == "choice":
        return rnd.choice([c.value for c in item.choices])
    if kind == "multi_choice":
        return rnd.sample([c.value for c in item.choices], k=min(2, len(item.choices)))
    if kind == "name":
        return {"first": "<b>Ana</b>", "last": "O'Neil", "quality": 1}
    if kind == "ssn":
        return {"ssn": "12345678x", "quality": 2}
    if kind == "dob":
        return {"dob": date(2000, 1, 1), "quality": 1}
    if item.is_repeat:
        return [{child.id: _answer(child, rnd) for child in item.descendants if child.is_input}]
    return None


def _afresh(form, context, **kwargs) -> str:
    helpers, items, _ = _prepare(form, context, refresh_url=None, context_fields=None, **kwargs)
    return str(markup.render_afresh(helpers, items))


@pytest.mark.parametrize("key,body", list(_shipped_forms()), ids=lambda value: value if isinstance(value, str) else "")
def test_kept_markup_filled_in_equals_the_template_rendered_afresh(key, body):
    form = _compile(body)
    rnd = random.Random(key)
    items = list(form.all_items)
    for trial in range(10):
        context = FormContext(stage=rnd.choice(STAGES), relationship_to_hoh=rnd.choice([None, 1, 2]),
                              age=rnd.choice([None, 10, 30]), is_veteran=rnd.choice([None, True, False]),
                              language=rnd.choice(["en", "es"]), information_date=date(2026, 1, 1))
        kwargs = {
            "values": None if trial % 3 == 0 else {item.id: _answer(item, rnd) for item in items},
            "errors": {} if trial % 2 else {item.id: rnd.choice(HOSTILE) for item in rnd.sample(items, k=min(4, len(items)))}
            | ({"_form": "<i>not saved</i>"} if trial % 4 == 0 else {}),
            "warnings": {} if trial % 5 else {item.id: "check <this>" for item in items[:3]},
            "prefix": rnd.choice(["", "m12-hud-intake-", 'x"<']),
        }
        expected = _afresh(form, context, **kwargs)
        assert str(render(form, context, **kwargs)) == expected  # the first time builds the kept markup
        assert str(render(form, context, **kwargs)) == expected  # later times fill it in


def test_answers_errors_and_prefixes_are_escaped_and_never_kept():
    form = _compile((SHIPPED / "hud-intake.yaml").read_text("utf-8"))
    context = FormContext(stage="project_start", relationship_to_hoh=1, age=40, information_date=date(2026, 1, 1))
    script = "<script>alert('x')</script>"
    html = str(render(form, context, values={"length_of_stay": None, "date_to_street": None,
                                             "living_situation": 116},
                      errors={"living_situation": script, "_form": script}, prefix='m1"<-'))
    assert script not in html and "&lt;script&gt;" in html
    assert 'm1"<-' not in html and "m1&#34;&lt;-living_situation" in html
    assert "<\x01>" not in html and "\x00" not in html
    kept = [part for entry in form.render_cache.values() if isinstance(entry, tuple) and len(entry) == 2
            and isinstance(entry[0], tuple) for parts in entry for part in parts if isinstance(part, str)]
    assert kept, "the markup was kept"
    assert not any("script" in part or "m1" in part for part in kept)
    again = str(render(form, context, prefix="m2-"))
    assert "script" not in again and "m1" not in again and 'name="m2-living_situation"' in again


FORM_BY_AGE = """
id: test-form
kind: form
title: Test
languages: [en, es]
items:
  - {id: adult_question, type: text, label: {en: For adults, es: Para adultos}, about: adults}
  - {id: child_question, type: text, label: {en: For children, es: Para niños}, about: children}
  - {id: everyone, type: choice, label: Pet, choices: [{value: dog, label: {en: Dog, es: Perro}}, {value: cat, label: Cat}]}
"""


def test_kept_markup_is_per_language_and_kind_of_context():
    form = _compile(FORM_BY_AGE)
    adult = FormContext(stage="project_start", age=30)
    child = FormContext(stage="project_start", age=8)
    for _ in range(2):  # alternating, with the markup of both kept
        adult_html, child_html = str(render(form, adult)), str(render(form, child))
        assert "For adults" in adult_html and "For children" not in adult_html
        assert "For children" in child_html and "For adults" not in child_html
    spanish = str(render(form, FormContext(stage="project_start", age=30, language="es")))
    assert "Para adultos" in spanish and "Perro" in spanish and "Dog" not in spanish
    checked = str(render(form, adult, values={"everyone": "cat"}))
    assert 'value="cat" checked' in checked and 'value="dog" checked' not in checked
    assert 'value="cat" checked' not in str(render(form, adult))


def test_a_definition_text_that_looks_like_a_slot_is_rendered_afresh():
    body = yaml.safe_load(FORM_BY_AGE)
    body["items"][2]["label"] = "Pet\x000\x00 (see \x00p\x00)"
    form = _compile(body)
    context = FormContext(stage="project_start", age=30)
    html = str(render(form, context, values={"adult_question": "<b>"}, prefix="m9-"))
    assert html == _afresh(form, context, values={"adult_question": "<b>"}, errors=None, warnings=None,
                           prefix="m9-")
    assert "&lt;b&gt;" in html and 'name="m9-adult_question"' in html
    assert [kept for key, kept in form.render_cache.items() if key[0] == "skeleton"] == [None]
