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

from ..expressions import ExpressionError, evaluate, is_true, references
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


#: Outcomes one rule keeps (by the values it read); past this its memory starts over.
_OUTCOMES_SIZE = 256
_ABSENT = object()  #: a name the rule reads but ``env`` lacks (evaluating it fails)


def _run_kept(rule: Any, env: dict[str, Any], today: date, item: Item, name: str, out: Evaluated) -> Any:
    """:func:`_run`, its outcome kept per rule and the values of the names it reads (and
    ``today``): a rule's value depends on nothing else, and most pages and re-evaluations
    give a rule the values it has seen before (unanswered, the same context facts)."""
    kept = item.render_cache.get(("outcomes", name))
    if kept is None or kept[0] is not rule:
        kept = (rule, tuple(sorted(references(rule))), {})
        item.render_cache[("outcomes", name)] = kept
    _, names, outcomes = kept
    try:
        key = (today, *(_typed(env.get(reads, _ABSENT)) for reads in names))
        outcome = outcomes.get(key)
    except TypeError:  # text, a date, or a value that cannot be a key: worked out every time
        return _run(rule, env, today, item, name, out)
    if outcome is None:
        runtime: dict[str, str] = {}
        value = _run(rule, env, today, item, name, Evaluated(runtime=runtime))
        outcome = (value, runtime.get(item.id))
        if len(outcomes) >= _OUTCOMES_SIZE:
            outcomes.clear()
        outcomes[key] = outcome
    value, problem = outcome
    if problem is not None:
        out.runtime[item.id] = problem
    return value


#: What a kept outcome's key may hold of a client's answers: codes, numbers, yes/no. Text and
#: dates (names, a date of birth) are never kept across requests in the process's memory: a
#: rule reading one is worked out every time.
_KEPT_KINDS = (type(None), bool, int, float, Decimal)


def _typed(value: Any) -> Any:
    """``value`` as part of a key that tells apart what compares equal (1, 1.0, true, ...)."""
    if isinstance(value, list):
        return list, tuple(_typed(part) for part in value)
    if value is not _ABSENT and not isinstance(value, _KEPT_KINDS):
        raise TypeError("not kept")  # text or a date: see _KEPT_KINDS
    return value.__class__, value


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
    env.update(_unanswered(form))  # every item's name, then the answers given: most items have none
    by_id = form.by_id
    for item_id, answer in answers.items():
        item = by_id.get(item_id)
        if item is not None and answer is not None:
            env[item_id] = expression_value(item, answer)
    applying = applying_items(form, context)
    _visit_planned(_plan(form, applying), True, applying, env, today, out)
    out.env = env
    return out


def _unanswered(form: CompiledForm) -> dict[str, None]:
    """Every item's id, as a rule sees it unanswered (once per compiled form)."""
    found = form.render_cache.get("unanswered")
    if found is None:
        found = dict.fromkeys(item.id for item in form.all_items)
        remember(form, "unanswered", found)
    return found


class _Fixed:
    """A run of neighbouring items with no rule in them (no ``relevant``, no ``calculate``,
    no repeating group): which are shown depends only on which apply, so it is worked
    out once per form and set of applying items, not item by item on every request."""

    __slots__ = ("shown", "hidden", "every")

    def __init__(self) -> None:
        self.shown: list[str] = []  #: ids shown when the run's parent is
        self.hidden: dict[str, None] = {}  #: ids hidden (as rules see them) when the parent is shown
        self.every: dict[str, None] = {}  #: every id in the run: all hidden when the parent is

    def add(self, item: Item, parent_shown: bool, applying: frozenset[str]) -> None:
        shown = parent_shown and item.id in applying
        if shown:
            self.shown.append(item.id)
        else:
            self.hidden[item.id] = None
        self.every[item.id] = None
        for child in item.children:
            self.add(child, shown, applying)


#: A plan step: a :class:`_Fixed` run, or ``(item, whether it applies, its children's plan)``
#: for an item with a rule or rows in it.
_Step = _Fixed | tuple[Item, bool, tuple]


def _has_rules(item: Item) -> bool:
    return item.relevant is not None or item.calculate is not None or item.is_repeat or any(
        _has_rules(child) for child in item.children)


def _plan(form: CompiledForm, applying: frozenset[str]) -> tuple[_Step, ...]:
    """:func:`_visit`'s walk of the form's top level for these applying items, with the
    runs that have no rule done ahead (once per compiled form and set of applying items)."""
    key = ("plan", applying)
    found = form.render_cache.get(key)
    if found is None:
        found = _plan_of(form.items, applying)
        remember(form, key, found)
    return found


def _plan_of(items: list[Item], applying: frozenset[str]) -> tuple[_Step, ...]:
    steps: list[_Step] = []
    for item in items:
        if _has_rules(item):
            children = () if item.is_repeat else _plan_of(item.children, applying)
            steps.append((item, item.id in applying, children))
            continue
        if not steps or not isinstance(steps[-1], _Fixed):
            steps.append(_Fixed())
        steps[-1].add(item, True, applying)
    return tuple(steps)


def _visit_planned(steps: tuple[_Step, ...], parent_shown: bool, applying: frozenset[str], env: dict[str, Any],
                   today: date, out: Evaluated) -> None:
    """:func:`_visit` of the top level (no prefix) from its plan: the same order, the same results."""
    for step in steps:
        if step.__class__ is _Fixed:
            if parent_shown:
                out.shown.update(step.shown)
                env.update(step.hidden)
            else:
                env.update(step.every)
            continue
        item, applies, children = step
        shown = _show(item, parent_shown and applies, env, today, out, "")
        if item.is_repeat:
            _visit_rows(item, shown, applying, env, today, out, "")
        elif item.children:
            _visit_planned(children, shown, applying, env, today, out)


def _visit(items: list[Item], parent_shown: bool, applying: frozenset[str], env: dict[str, Any], today: date,
           out: Evaluated, prefix: str) -> None:
    for item in items:
        shown = _show(item, parent_shown and item.id in applying, env, today, out, prefix)
        if item.is_repeat:
            _visit_rows(item, shown, applying, env, today, out, prefix)
        elif item.children:
            _visit(item.children, shown, applying, env, today, out, prefix)


def _show(item: Item, shown: bool, env: dict[str, Any], today: date, out: Evaluated, prefix: str) -> bool:
    """Whether ``item`` is shown (``shown``: its group is and it applies), its ``relevant``
    rule run if so; what rules later see of it put in ``env``."""
    if shown and item.relevant is not None:
        shown = is_true(_run_kept(item.relevant, env, today, item, "relevant", out))
    if shown:
        out.shown.add(prefix + item.id)
        if item.calculate is not None:
            value = _typed_result(item, _run_kept(item.calculate, env, today, item, "calculate", out))
            env[item.id] = value
            if not prefix:
                out.values[item.id] = value
    else:
        env[item.id] = None
    return shown


def _visit_rows(item: Item, shown: bool, applying: frozenset[str], env: dict[str, Any], today: date,
                out: Evaluated, prefix: str) -> None:
    """Each row of a shown repeating group, with the row's answers in its own copy of ``env``."""
    rows = out.values.get(item.id) if shown else None
    for index, row in enumerate(rows or []):
        row_env = dict(env)
        for child in item.descendants:
            row_env[child.id] = expression_value(child, row.get(child.id))
        _visit(item.children, shown, applying, row_env, today, out, f"{prefix}{item.id}[{index}].")
