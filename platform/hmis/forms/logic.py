"""Which items apply, which are relevant, what calculated items hold: one pass in
document order, shared by :mod:`render` (what to show) and :mod:`read` (what to keep).

An item is *shown* when its group is shown, it applies to the context (stage, "data
collected about", funders, project types) and its ``relevant`` rule is true. A hidden
item's answer counts as missing for every later rule, and is never saved.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..expressions import ExpressionError, evaluate, is_true
from .context import FormContext
from .items import CompiledForm, Item
from .markup import remember

__all__ = ["Evaluated", "applies", "applies_key", "applying_items", "evaluate_form", "expression_value"]


def applies(item: Item, context: FormContext) -> bool:
    """Whether HUD (or the definition) asks this item in this context, before ``relevant``.

    Unknown facts (no relationship yet, no date of birth) do not hide an item: staff see
    the question rather than the HMIS guessing it away.
    """
    if item.stages and context.stage not in item.stages:
        return False
    if item.funders and context.project is not None and not set(item.funders) & set(context.funders):
        return False
    if item.project_types and context.project_type is not None and context.project_type not in item.project_types:
        return False
    hoh, adult, veteran = context.is_hoh, context.is_adult, context.is_veteran
    about = item.about
    if about == "hoh":
        return hoh is not False
    if about == "adults":
        return adult is not False
    if about == "hoh_and_adults":
        return hoh is not False or adult is not False
    if about == "children":
        return adult is not True
    if about == "veterans":
        return veteran is not False
    if about == "adult_veterans":
        return veteran is not False and adult is not False
    return True


def applies_key(context: FormContext) -> tuple:
    """Everything of ``context`` that :func:`applies` reads: two contexts with the same key
    ask the same items, so what depends only on that is worked out once per key.
    Keep the two functions in step."""
    return (context.stage, None if context.project is None else tuple(sorted(set(context.funders))),
            context.project_type, context.is_hoh, context.is_adult, context.is_veteran)


def applying_items(form: CompiledForm, context: FormContext) -> frozenset[str]:
    """The ids of the items the context asks (before ``relevant``): worked out once per
    form and kind of context (:func:`applies_key`), not per item per request. Contexts
    asking the same items get the same (hashed once) set, and so share kept markup."""
    key = ("applying", applies_key(context))
    found = form.render_cache.get(key)
    if found is None:
        found = frozenset(item.id for item in form.all_items if applies(item, context))
        for kept in list(form.render_cache.values()):
            if kept == found and isinstance(kept, frozenset):
                found = kept
                break
        remember(form, key, found)
    return found


def expression_value(item: Item, answer: Any) -> Any:
    """An answer as rules see it: composites give their main part."""
    if answer is None:
        return None
    if item.type == "name" and isinstance(answer, dict):
        return " ".join(part for part in (answer.get("first"), answer.get("last")) if part) or None
    if item.type == "ssn" and isinstance(answer, dict):
        return answer.get("ssn")
    if item.type == "dob" and isinstance(answer, dict):
        return answer.get("dob")
    return answer


@dataclass
class Evaluated:
    shown: set[str] = field(default_factory=set)  #: ids of shown items (rows of repeats: "group[0].child")
    values: dict[str, Any] = field(default_factory=dict)  #: answers with calculated ones filled in
    runtime: dict[str, str] = field(default_factory=dict)  #: item id -> rule that could not be computed
    env: dict[str, Any] = field(default_factory=dict)  #: what rules see after the pass (hidden items are null)


def _run(rule: Any, env: dict[str, Any], today: date, item: Item, name: str, out: Evaluated) -> Any:
    problems: list[ExpressionError] = []
    try:
        value = evaluate(rule, env, today=today, problems=problems)
    except ExpressionError as error:
        out.runtime[item.id] = f"The rule '{name}' of this question could not be worked out: {error.message}."
        return None
    if problems:
        out.runtime[item.id] = (f"The rule '{name}' of this question divides by zero, so it counts as "
                                "unanswered; tell your HMIS lead so the definition can be fixed.")
    return value


def _typed_result(item: Item, value: Any) -> Any:
    """A calculated value in the item's own type (whole numbers for integers, cents for amounts)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return value
    if item.type == "integer":
        return int(value) if value == int(value) else None
    if item.type == "currency":
        return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if item.type == "decimal":
        return Decimal(str(value))
    return value


def evaluate_form(form: CompiledForm, context: FormContext, answers: dict[str, Any]) -> Evaluated:
    """Work out what is shown and what calculated items hold, for these answers."""
    out = Evaluated(values=dict(answers))
    today = date.today()  # what today() means in a rule; the information date is a context name
    env = dict(context.names())
    for item in form.all_items:
        env[item.id] = expression_value(item, answers.get(item.id))
    _visit(form.items, True, applying_items(form, context), env, today, out, "")
    out.env = env
    return out


def _visit(items: list[Item], parent_shown: bool, applying: frozenset[str], env: dict[str, Any], today: date,
           out: Evaluated, prefix: str) -> None:
    for item in items:
        key = prefix + item.id
        shown = parent_shown and item.id in applying
        if shown and item.relevant is not None:
            shown = is_true(_run(item.relevant, env, today, item, "relevant", out))
        if shown:
            out.shown.add(key)
            if item.calculate is not None:
                value = _typed_result(item, _run(item.calculate, env, today, item, "calculate", out))
                env[item.id] = value
                if not prefix:
                    out.values[item.id] = value
        else:
            env[item.id] = None
        if item.is_repeat:
            rows = out.values.get(item.id) if shown else None
            for index, row in enumerate(rows or []):
                row_env = dict(env)
                for child in item.descendants:
                    row_env[child.id] = expression_value(child, row.get(child.id))
                _visit(item.children, shown, applying, row_env, today, out, f"{key}[{index}].")
        elif item.children:
            _visit(item.children, shown, applying, env, today, out, prefix)
