"""Posted form data -> typed answers, errors, warnings and what maps to HUD.

Nothing here writes: :func:`read` is pure, so a preview can show exactly what a
submission would save, and :mod:`responses` saves only what read accepted. Hostile
input is refused here with a message at the item: control characters, text over the
item's length limit, codes not in the item's list, values that are not numbers or dates.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..expressions import is_true, references
from .context import FormContext
from .items import COMPOSITE_TYPES, CompiledForm, Item
from .logic import Evaluated, _run, evaluate_form, expression_value
from .repeat_rows import map_rows

__all__ = ["MAX_FIELD_CHARS", "Submission", "answers_from_json", "answers_to_json", "field_name", "read",
           "shown_items"]

#: No single posted value is read beyond this, whatever an item's own limit.
MAX_FIELD_CHARS = 100_000
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}
_SSN = re.compile(r"^[0-9xX]{9}$")
COMPOSITE_PARTS = {"name": ("first", "middle", "last", "suffix", "quality"), "ssn": ("ssn", "quality"),
                   "dob": ("dob", "quality")}


@dataclass
class Submission:
    """What a posted form says. ``ok`` when there are no errors (warnings do not block)."""

    answers: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    records: dict[tuple[str, tuple], dict[str, Any]] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    custom_owners: dict[str, str] = field(default_factory=dict)  #: custom key -> client | enrollment
    custom_types: dict[str, str] = field(default_factory=dict)  #: custom key -> item type (to define it)
    custom_labels: dict[str, str] = field(default_factory=dict)
    shown: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors


def field_name(prefix: str, item_id: str, part: str | None = None) -> str:
    """The HTML name of an item's input (``part`` for composites): ``m2-income_total``."""
    return f"{prefix}{item_id}" + (f".{part}" if part else "")


def _get(formdata: Any, name: str) -> list[str]:
    if hasattr(formdata, "getlist"):
        values = formdata.getlist(name)
    else:
        value = formdata.get(name)
        values = [] if value is None else (list(value) if isinstance(value, (list, tuple)) else [value])
    return [str(v) for v in values]


class _Bad(ValueError):
    """A value that cannot be read; the message is shown at the item."""


def _clean_text(raw: str, item: Item) -> str | None:
    if len(raw) > MAX_FIELD_CHARS or len(raw) > item.max_length:
        raise _Bad(f"This answer is too long ({len(raw):,} characters; at most {item.max_length:,}).")
    for character in raw:
        if unicodedata.category(character) == "Cc" and character not in _ALLOWED_CONTROLS:
            raise _Bad("This answer contains control characters (invisible codes); please retype it.")
    text = unicodedata.normalize("NFC", raw).strip()
    if item.type != "textarea":
        text = " ".join(text.split())
    return text or None


def _choice_value(raw: str, item: Item) -> int | str:
    for choice in item.choices:
        if str(choice.value) == raw:
            return choice.value
    raise _Bad("Pick one of the listed answers.")


def _convert(item: Item, raw: str) -> Any:
    """One posted string -> the item's typed value (``None`` when blank)."""
    if item.type in ("text", "textarea", "open_choice"):
        return _clean_text(raw, item)
    text = raw.strip()
    if len(text) > 200:
        raise _Bad("This answer is too long for this question.")
    if not text:
        return None
    if item.type == "integer":
        if not re.fullmatch(r"[+-]?\d{1,15}", text):
            raise _Bad("Enter a whole number, like 3.")
        value: Any = int(text)
    elif item.type in ("decimal", "currency"):
        cleaned = text.replace(",", "").removeprefix("$") if item.type == "currency" else text
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise _Bad("Enter a number, like 120.50." if item.type == "currency" else "Enter a number.") from None
        if not value.is_finite() or abs(value) >= Decimal("1e12"):
            raise _Bad("Enter a number of a usable size.")
        if item.type == "currency":
            if value.as_tuple().exponent < -2:
                raise _Bad("Enter an amount in dollars and cents, like 120.50.")
            if value < 0:
                raise _Bad("An amount cannot be negative.")
    elif item.type == "date":
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise _Bad("Enter a date as year-month-day, like 2026-10-01.") from None
        if not date(1900, 1, 1) <= value <= date(2100, 12, 31):
            raise _Bad("Enter a date between 1900 and 2100.")
    elif item.type == "boolean":
        if text not in ("1", "0", "true", "false", "yes", "no", "on"):
            raise _Bad("Answer yes or no.")
        value = text in ("1", "true", "yes", "on")
    elif item.type == "choice":
        value = _choice_value(text, item)
    else:  # pragma: no cover - every input type is listed above
        raise _Bad(f"Unknown item type {item.type}.")
    if item.minimum is not None and isinstance(value, (int, Decimal)) and value < Decimal(str(item.minimum)):
        raise _Bad(f"The smallest allowed answer is {item.minimum}.")
    if item.maximum is not None and isinstance(value, (int, Decimal)) and value > Decimal(str(item.maximum)):
        raise _Bad(f"The largest allowed answer is {item.maximum}.")
    return value


def _read_item(item: Item, formdata: Any, prefix: str) -> Any:
    if item.type not in COMPOSITE_TYPES and field_name(prefix, item.id) not in formdata:
        return None  # not posted, as most of a long form's items: unanswered, without reading it
    if item.type == "multi_choice":
        raws = [raw for raw in _get(formdata, field_name(prefix, item.id)) if raw.strip()]
        if len(raws) > len(item.choices):
            raise _Bad("More answers were sent than this question offers.")
        picked = []
        for raw in raws:
            value = _choice_value(raw.strip(), item)
            if value not in picked:
                picked.append(value)
        return picked or None
    if item.type in COMPOSITE_TYPES:
        return _read_composite(item, formdata, prefix)
    raws = _get(formdata, field_name(prefix, item.id))
    if len(raws) > 1:
        raise _Bad("This question was sent twice with different answers; please reload the form.") \
            if len(set(raws)) > 1 else _Bad("This question was sent twice; please reload the form.")
    return _convert(item, raws[0]) if raws else None


def _read_composite(item: Item, formdata: Any, prefix: str) -> dict[str, Any] | None:
    parts: dict[str, Any] = {}
    text_item = Item(id=item.id, type="text", path=item.path, max_length=100)
    for part in COMPOSITE_PARTS[item.type]:
        raws = _get(formdata, field_name(prefix, item.id, part))
        raw = raws[0] if raws else ""
        if part == "quality":
            parts[part] = _choice_value(raw.strip(), item) if raw.strip() else None
        elif part == "dob":
            parts[part] = _convert(Item(id=item.id, type="date", path=item.path), raw)
        elif part == "ssn":
            cleaned = _clean_text(raw, text_item)
            parts[part] = cleaned.replace("-", "").replace(" ", "") if cleaned else None
        else:
            parts[part] = _clean_text(raw, text_item)
    return parts if any(value is not None for value in parts.values()) else None


def _composite_problem(item: Item, value: dict[str, Any], today: date) -> str | None:
    """HUD's data-quality companions must agree with what was entered."""
    quality = value.get("quality")
    if quality is None:
        return "Say how complete this answer is (the data quality)."
    if item.type == "name":
        if quality in (1, 2) and not (value.get("first") or value.get("last")):
            return "Enter the name, or pick a data quality that says why there is none."
        if quality == 1 and not (value.get("first") and value.get("last")):
            return "A full name needs a first and a last name; otherwise pick 'Partial'."
    if item.type == "ssn":
        ssn = value.get("ssn")
        if ssn is not None and not _SSN.match(ssn):
            return "An SSN has 9 digits (use x for digits you do not know)."
        if quality == 1 and not (ssn and ssn.isdigit()):
            return "A full SSN needs all 9 digits; otherwise pick 'Approximate or partial'."
        if quality in (1, 2) and not ssn:
            return "Enter the SSN, or pick a data quality that says why there is none."
    if item.type == "dob":
        dob = value.get("dob")
        if quality in (1, 2) and dob is None:
            return "Enter the date of birth, or pick a data quality that says why there is none."
        if dob is not None and dob > today:
            return "The date of birth cannot be in the future."
    return None


def _is_empty(value: Any) -> bool:
    return value is None or value == [] or value == ""


def read(form: CompiledForm, formdata: Any, context: FormContext, *, prefix: str = "") -> Submission:
    """Read a posted form for ``context``; see :class:`Submission`."""
    submission = Submission()
    raw_answers: dict[str, Any] = {}
    for item in form.items:
        _read_into(item, formdata, prefix, raw_answers, submission)
    evaluated = evaluate_form(form, context, raw_answers)
    submission.shown = evaluated.shown
    today = date.today()
    for item in form.all_items:
        if item.id not in evaluated.shown or not item.is_input:
            submission.errors.pop(item.id, None)  # a hidden item's bad input does not matter
            continue
        if item.id in submission.errors:
            continue
        value = evaluated.values.get(item.id)
        if item.calculate is None:
            _check_answer(item, value, evaluated, context, today, submission)
        if item.id not in submission.errors:
            submission.answers[item.id] = value
    for item in form.all_items:
        if item.is_repeat and item.id in evaluated.shown:
            submission.answers[item.id] = _repeat_rows(item, evaluated, context, today, submission)
    for item_id, message in evaluated.runtime.items():  # rules that failed at run time (division by zero)
        submission.warnings.setdefault(item_id, message)
    _map(form, submission)
    return submission


def shown_items(form: CompiledForm, formdata: Any, context: FormContext, *, prefix: str = "") -> set[str]:
    """What :func:`read` gives as ``shown`` for this posted form, reading only the answers
    that can change it: those the ``relevant`` and ``calculate`` rules name, and the rows
    of repeating groups (each row's items are shown or not). What ``forms.js`` asks after
    every change, so it skips the checks and HUD mapping a save needs."""
    answers: dict[str, Any] = {}
    ignored = Submission()  # a bad answer counts as unanswered, as read() has it for the rules
    for item in _rule_reads(form):
        if item.is_repeat:  # every row read, as read() does: which rows there are is an answer
            _read_into(item, formdata, prefix, answers, ignored)
            continue
        try:
            answers[item.id] = _read_item(item, formdata, prefix)
        except _Bad:
            answers[item.id] = None
    return evaluate_form(form, context, answers).shown


def _rule_reads(form: CompiledForm) -> tuple[Item, ...]:
    """What :func:`shown_items` reads, in document order (once per compiled form): the
    repeating groups, and the other items the rules name."""
    found = form.render_cache.get("rule_reads")
    if found is None:
        found = []
        _collect_rule_reads(form.items, _rule_inputs(form), found)
        found = tuple(found)
        form.render_cache["rule_reads"] = found  # kept with the form it describes, as rule_inputs
    return found


def _rule_inputs(form: CompiledForm) -> frozenset[str]:
    """The item ids the form's ``relevant`` and ``calculate`` rules read (once per compiled form)."""
    found = form.render_cache.get("rule_inputs")
    if found is None:
        found = frozenset(name for item in form.all_items for rule in (item.relevant, item.calculate)
                          if rule is not None for name in references(rule))
        form.render_cache["rule_inputs"] = found  # a few dozen names, kept with the form it describes
    return found


def _collect_rule_reads(items: list[Item], needed: frozenset[str], found: list[Item]) -> None:
    for item in items:
        if item.is_repeat:
            found.append(item)
            continue
        if item.is_input and item.id in needed:
            found.append(item)
        _collect_rule_reads(item.children, needed, found)


def _read_into(item: Item, formdata: Any, prefix: str, answers: dict[str, Any], submission: Submission) -> None:
    if item.is_repeat:
        rows = []
        for index in range(item.repeat[1]):
            row: dict[str, Any] = {}
            row_prefix = f"{prefix}{item.id}[{index}]."
            for child in item.descendants:
                if not child.is_input:
                    continue
                try:
                    row[child.id] = _read_item(child, formdata, row_prefix)
                except _Bad as bad:
                    submission.errors[f"{item.id}[{index}].{child.id}"] = str(bad)
            if any(not _is_empty(value) for value in row.values()):
                rows.append(row)
        answers[item.id] = rows
        return
    if item.is_input:
        try:
            answers[item.id] = _read_item(item, formdata, prefix)
        except _Bad as bad:
            submission.errors[item.id] = str(bad)
            answers[item.id] = None
    for child in item.children:
        _read_into(child, formdata, prefix, answers, submission)


def _check_answer(item: Item, value: Any, evaluated: Evaluated, context: FormContext, today: date,
                  submission: Submission, key: str | None = None) -> None:
    """Required, "warn if empty", data quality and the constraint, for one shown answer."""
    key = key or item.id
    env = {**evaluated.env, item.id: expression_value(item, value)}
    if _is_empty(value):
        required = item.required if isinstance(item.required, bool) else is_true(
            _run(item.required, env, today, item, "required", evaluated))
        if required:
            submission.errors[key] = "This question is required."
        elif item.warn_if_empty:
            submission.warnings[key] = "This question is usually answered; it was left empty."
        return
    if item.type in COMPOSITE_TYPES:
        problem = _composite_problem(item, value, today)
        if problem:
            submission.errors[key] = problem
            return
    if item.constraint is not None:
        if _run(item.constraint, env, today, item, "constraint", evaluated) is False:
            submission.errors[key] = item.constraint_message(context.language)


def _repeat_rows(item: Item, evaluated: Evaluated, context: FormContext, today: date,
                 submission: Submission) -> list[dict[str, Any]]:
    rows = []
    for index, row in enumerate(evaluated.values.get(item.id) or []):
        kept = {}
        for child in item.descendants:
            key = f"{item.id}[{index}].{child.id}"
            if not child.is_input or key not in evaluated.shown or key in submission.errors:
                continue
            _check_answer(child, row.get(child.id), evaluated, context, today, submission, key)
            kept[child.id] = row.get(child.id)
        rows.append(kept)
    return rows


def _map(form: CompiledForm, submission: Submission) -> None:
    """What the accepted answers write: HUD fields and custom data elements."""
    for item in form.all_items:
        if item.id not in submission.answers or item.id not in submission.shown:
            continue
        value = submission.answers[item.id]
        if item.is_repeat:  # its rows, as HUD rows or columns (see repeat_rows)
            map_rows(item, value or [], submission)
            continue
        if item.custom is not None:
            if value is not None:
                submission.custom[item.custom] = value
                submission.custom_owners[item.custom] = item.custom_owner
                submission.custom_types[item.custom] = item.type
                submission.custom_labels[item.custom] = item.label()
            continue
        if item.type in COMPOSITE_TYPES:
            from .compile import COMPOSITE_COLUMNS

            row = submission.records.setdefault(("Client", ()), {})
            for part, column in COMPOSITE_COLUMNS[item.type].items():
                row[column] = (value or {}).get(part)
            continue
        if item.hud_columns:
            selected = set(value or [])
            for code, target in item.hud_columns.items():
                submission.records.setdefault(target.target, {})[target.column] = 1 if code in selected else 0
            continue
        if item.hud is None:
            continue
        if item.type == "boolean" and value is not None:
            value = 1 if value else 0
        submission.records.setdefault(item.hud.target, {})[item.hud.column] = value


def answers_to_json(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as JSON (dates as ISO text, amounts as text), for a FormResponse row."""
    def plain(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return {key: plain(value) for key, value in answers.items()}


def answers_from_json(form: CompiledForm, stored: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`answers_to_json`, typed by the form's items."""
    def typed(item: Item, value: Any) -> Any:
        if value is None:
            return None
        if item.type == "date" and isinstance(value, str):
            return date.fromisoformat(value)
        if item.type in ("decimal", "currency") and isinstance(value, str):
            return Decimal(value)
        if item.type == "dob" and isinstance(value, dict) and isinstance(value.get("dob"), str):
            return {**value, "dob": date.fromisoformat(value["dob"])}
        if item.is_repeat and isinstance(value, list):
            children = {child.id: child for child in item.descendants}
            return [{k: typed(children[k], v) if k in children else v for k, v in row.items()} for row in value]
        return value

    return {key: typed(form.by_id[key], value) if key in form.by_id else value for key, value in stored.items()}
