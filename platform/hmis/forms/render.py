"""A compiled form as an HTML fragment: labels, help, inputs, errors at their items.

Rendered with the package's own autoescaping Jinja environment (not the app's), so a
form renders wherever it is embedded: a staff screen, a workflow step, a preview, a
test. Items that do not apply to the context (stage, "collected about", funder,
project type) are left out; items whose ``relevant`` rule is false are rendered
``hidden`` and toggled without a reload by ``static/js/forms.js``, which asks the
server (the one expression evaluator) what is shown after each change.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import has_request_context, url_for
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .context import FormContext
from .items import CompiledForm, Item
from .logic import applies, evaluate_form
from .read import answers_from_json, field_name

__all__ = ["render", "initial_values"]

_environment = Environment(loader=PackageLoader("hmis.forms", "templates"), autoescape=select_autoescape(default=True),
                           trim_blocks=True, lstrip_blocks=True)
#: Compiled once at import: the environment's own cache would still check the file's
#: modification time on every render.
_TEMPLATE = _environment.get_template("forms/_form.html")


def _as_text(value: Any) -> str:
    """A typed answer as an input's value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (date, Decimal, int)):
        return value.isoformat() if isinstance(value, date) else str(value)
    return str(value)


class _Messages:
    """The per-item bits of markup every input repeats (its ``aria-describedby``, its
    error and warning, its help), as plain functions: the template calls them for every
    item and a Jinja macro call costs several times what these strings do."""

    def __init__(self, prefix: str, errors: dict[str, str], warnings: dict[str, str], language: str) -> None:
        self.prefix, self.errors, self.warnings, self.language = prefix, errors, warnings, language

    def described(self, key: str) -> Markup:
        error, warning = self.errors.get(key), self.warnings.get(key)
        if not error and not warning:
            return Markup("")
        ids = [f"{self.prefix}{key}-error"] if error else []
        if warning:
            ids.append(f"{self.prefix}{key}-warning")
        html = Markup(' aria-describedby="{}"').format(" ".join(ids))
        return html + Markup(' aria-invalid="true"') if error else html

    def messages(self, key: str) -> Markup:
        html = Markup("")
        if self.errors.get(key):
            html += Markup('<p class="form-item__error" id="{}-error">{}</p>').format(self.prefix + key,
                                                                                     self.errors[key])
        if self.warnings.get(key):
            html += Markup('<p class="form-item__warning" id="{}-warning">{}</p>').format(self.prefix + key,
                                                                                         self.warnings[key])
        return html

    def help(self, item: Item) -> Markup:
        text = item.help_text(self.language)
        if not text:
            return Markup("")
        return Markup('<p class="form-item__help" id="{}-help">{}</p>').format(self.prefix + item.id, text)


def _choice_markup(item: Item, language: str) -> tuple[tuple[Any, Markup, Markup], ...]:
    """``(value, escaped value, escaped label)`` of each choice in ``language``. A compiled
    item never changes, so this is worked out once per item and language, not for every
    member and every page (a HUD list can have thirty choices)."""
    key = ("choices", language)
    found = item.render_cache.get(key)
    if found is None:
        found = tuple((choice.value, escape(choice.value), escape(choice.label(language))) for choice in item.choices)
        item.render_cache[key] = found
    return found


def initial_values(form: CompiledForm, context: FormContext) -> dict[str, Any]:
    """What a new form starts with: defaults, then the previous assessment's answers for
    items marked ``prefill``."""
    values: dict[str, Any] = {}
    previous = answers_from_json(form, context.previous) if context.previous else {}
    for item_id, item in form.by_id.items():
        if item.prefill and previous.get(item_id) is not None:
            values[item_id] = previous[item_id]
        elif item.default is not None:
            values[item_id] = item.default
    return values


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
    errors = errors or {}
    warnings = {**evaluated.runtime, **(warnings or {})}
    helpers = _Messages(prefix, errors, warnings, context.language)
    # Which items the context asks, worked out once here rather than per item in the template.
    applying = {item.id for item in form.all_items if applies(item, context)}
    html = _TEMPLATE.render(
        form=form, items=[item for item in form.items if item.id in applying], context=context,
        language=context.language, values=values, errors=errors, warnings=warnings,
        shown=evaluated.shown, prefix=prefix, refresh_url=refresh_url, facts=facts, applying=applying,
        as_text=_as_text, field_name=field_name, described=helpers.described, messages=helpers.messages,
        help=helpers.help, choice_markup=lambda item: _choice_markup(item, context.language),
    )
    return Markup(html)
