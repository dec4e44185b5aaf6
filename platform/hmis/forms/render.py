"""A compiled form as an HTML fragment: labels, help, inputs, errors at their items.

Rendered with the package's own autoescaping Jinja environment (not the app's), so a
form renders wherever it is embedded: a staff screen, a workflow step, a preview, a
test. Items that do not apply to the context (stage, "collected about", funder,
project type) are left out; items whose ``relevant`` rule is false are rendered
``hidden`` and toggled without a reload by ``static/js/forms.js``, which asks the
server (the one expression evaluator) what is shown after each change.

A compiled form never changes, so its markup is worked out once per language and kind
of context (which items apply) and kept on the form with a slot wherever a request
differs (the member's prefix, answers, checked options, errors, warnings, ``hidden``);
each request only fills in the slots, every value escaped as it goes in
(:mod:`hmis.forms.markup`). An answer is never part of the kept markup.
"""
from __future__ import annotations

from typing import Any

from flask import has_request_context, url_for
from markupsafe import Markup

from .context import FormContext
from .items import CompiledForm, Item
from .logic import applying_items, evaluate_form
from .markup import Fill, fill, remember, render_afresh, skeleton
from .read import answers_from_json

__all__ = ["render", "initial_values"]


def initial_values(form: CompiledForm, context: FormContext) -> dict[str, Any]:
    """What a new form starts with: defaults, then the previous assessment's answers for
    items marked ``prefill``."""
    values: dict[str, Any] = {}
    previous = answers_from_json(form, context.previous) if context.previous else {}
    for item_id, item in _starting_items(form):
        if item.prefill and previous.get(item_id) is not None:
            values[item_id] = previous[item_id]
        elif item.default is not None:
            values[item_id] = item.default
    return values


def _starting_items(form: CompiledForm) -> tuple[tuple[str, Item], ...]:
    """``(id, item)`` of the items with a default or prefill, in ``by_id`` order (once per
    compiled form: most items have neither, and every new form on a page asks)."""
    found = form.render_cache.get("starting_items")
    if found is None:
        found = tuple((item_id, item) for item_id, item in form.by_id.items()
                      if item.prefill or item.default is not None)
        remember(form, "starting_items", found)
    return found


def render(form: CompiledForm, context: FormContext, *, values: dict[str, Any] | None = None,
           errors: dict[str, str] | None = None, warnings: dict[str, str] | None = None, prefix: str = "",
           refresh_url: str | None = None, context_fields: dict[str, Any] | None = None) -> Markup:
    """The form's items as HTML (no ``<form>`` element: the page owns it and its buttons).

    :param values: typed answers (as :func:`hmis.forms.read` returns them); ``None`` for
        a new form (defaults and prefill apply).
    :param prefix: prepended to every field name and id, so several people's forms fit
        in one page (``m1-``, ``m2-``).
    :param refresh_url: where ``forms.js`` posts to learn what is shown after a change
        (default: the forms blueprint's endpoint).
    :param context_fields: facts that endpoint needs to rebuild the context
        (``enrollment_id`` or ``project_id``, ``stage``, ...), written as data attributes.
    """
    helpers, items, applying = _prepare(form, context, values=values, errors=errors, warnings=warnings,
                                        prefix=prefix, refresh_url=refresh_url, context_fields=context_fields)
    parts = skeleton(form, items, applying, context.language)
    return render_afresh(helpers, items) if parts is None else fill(parts, helpers)


def _prepare(form: CompiledForm, context: FormContext, *, values: dict[str, Any] | None,
             errors: dict[str, str] | None, warnings: dict[str, str] | None, prefix: str,
             refresh_url: str | None, context_fields: dict[str, Any] | None) -> tuple[Fill, list[Item], frozenset[str]]:
    """This request's helpers, the top-level items that apply and the ids of all that apply."""
    if values is None:
        values = initial_values(form, context)
    evaluated = evaluate_form(form, context, values)
    if refresh_url is None and has_request_context():
        try:
            refresh_url = url_for("forms.shown")
        except Exception:  # noqa: BLE001 - the forms blueprint is not registered (a bare test app)
            refresh_url = None
    facts = {"stage": context.stage, "version_id": form.version_id or "", "prefix": prefix}
    if context.enrollment is not None:
        facts["enrollment_id"] = context.enrollment.id
    elif context.project is not None:
        facts["project_id"] = context.project.id
    for name, value in (("relationship", context.relationship_to_hoh), ("age", context.age),
                        ("veteran", None if context.is_veteran is None else int(context.is_veteran))):
        if value is not None:
            facts[name] = value
    facts.update(context_fields or {})
    applying = applying_items(form, context)  # kept per form and kind of context
    helpers = Fill(form, values=values, errors=errors or {}, warnings={**evaluated.runtime, **(warnings or {})},
                   shown=evaluated.shown, prefix=prefix, language=context.language, applying=applying,
                   refresh_url=refresh_url, facts=facts)
    return helpers, [item for item in form.items if item.id in applying], applying
