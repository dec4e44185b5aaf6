"""A form's markup, rendered once and filled in per request.

A compiled form never changes, so the template (``templates/forms/_form.html``) is
rendered once per form, language and kind of context (which items apply) with
*recording* helpers: wherever a request differs (answers, checked options, errors,
warnings, ``hidden``, the context facts) they leave a numbered mark, and the member's
prefix is left as a mark too. :func:`skeleton` splits that output into fixed text and
the calls that fill each mark; :func:`fill` makes a request's HTML from it with a
:class:`Fill`, the same helpers the template calls when rendered afresh
(:func:`render_afresh`, which gives the same HTML: the tests check it).

What keeps this safe: the fixed text holds only the definition's (escaped) text and
the template's own tags, never an answer or a message; every value goes in through
``escape`` as the slot is filled. The prefix mark contains a raw ``<``, which escaped
text never does, so only the marks the template left are replaced by the prefix.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from operator import methodcaller
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .items import CompiledForm, Item

__all__ = ["Fill", "as_text", "choice_markup", "fill", "render_afresh", "skeleton"]

_environment = Environment(loader=PackageLoader("hmis.forms", "templates"), autoescape=select_autoescape(default=True),
                           trim_blocks=True, lstrip_blocks=True)
#: Compiled once at import: the environment's own cache would still check the file's
#: modification time on every render.
TEMPLATE = _environment.get_template("forms/_form.html")

#: Where the recorded markup has the member's prefix. Escaped text never holds a raw
#: ``<``, so neither a label nor a filled-in answer can contain this.
_PREFIX_MARK = "<\x01>"
_EMPTY = Markup("")
_HIDDEN = Markup(" hidden")
_ERROR_CLASS = Markup(" form-item--error")
#: Slots that only ever show errors and warnings: left out when a request has neither.
_MESSAGE_SLOTS = frozenset({"error_class", "described", "messages"})


def as_text(value: Any) -> str:
    """A typed answer as an input's value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (date, Decimal, int)):
        return value.isoformat() if isinstance(value, date) else str(value)
    return str(value)


def choice_markup(item: Item, language: str) -> tuple[tuple[Any, Markup, Markup], ...]:
    """``(value, escaped value, escaped label)`` of each choice in ``language``. A compiled
    item never changes, so this is worked out once per item and language, not for every
    member and every page (a HUD list can have thirty choices)."""
    key = ("choices", language)
    found = item.render_cache.get(key)
    if found is None:
        found = tuple((choice.value, escape(choice.value), escape(choice.label(language))) for choice in item.choices)
        item.render_cache[key] = found
    return found


def _picked(kind: str, value: Any, choice_value: Any) -> bool:
    """Whether an answer picks an option (a choice, one of several, a data quality, yes or no)."""
    if kind == "choice":
        return choice_value in [value]
    if kind == "multi":
        return choice_value in (value or [])
    if kind == "quality":
        return (value or {}).get("quality") == choice_value
    return value is (kind == "true")


class _Helpers:
    """What the template asks of ``h`` besides the definition itself."""

    prefix: Any = ""
    language: str = "en"

    def help(self, item: Item) -> Markup:
        # Fixed per item and language: the prefix in its id is the one part a request changes.
        text = item.help_text(self.language)
        if not text:
            return _EMPTY
        return Markup('<p class="form-item__help" id="{}-help">{}</p>').format(self.prefix + item.id, text)


class Fill(_Helpers):
    """One request's answers, errors, warnings, shown items, prefix and context facts, as
    the markup at each slot. Every method returns escaped markup."""

    def __init__(self, form: CompiledForm, *, values: dict[str, Any], errors: dict[str, str],
                 warnings: dict[str, str], shown: set[str], prefix: str, language: str, applying: frozenset[str],
                 refresh_url: str | None, facts: dict[str, Any]) -> None:
        self.form, self.values, self.errors, self.warnings, self.shown = form, values, errors, warnings, shown
        self.prefix, self.language, self.applying = prefix, language, applying
        self.refresh_url, self.facts = refresh_url, facts

    def opening(self) -> Markup:
        """The form's wrapper with the facts ``forms.js`` posts back, and the form-wide error."""
        # Joined from escaped pieces rather than ``Markup.format``: this runs for every member's
        # every form, and the formatter's parsing cost more than the rest of the fill.
        html = ['<div class="hmis-form" data-form="', escape(self.form.key), '"']
        if self.refresh_url:
            html += (' data-refresh-url="', escape(self.refresh_url), '"')
        for name, value in self.facts.items():
            html += (" data-context-", escape(name), '="', escape(value), '"')
        html.append(">")
        if self.errors.get("_form"):
            html += ('<p class="flash flash--error" role="alert">', escape(self.errors["_form"]), "</p>")
        return Markup("".join(html))

    def value(self, item_id: str, row: dict[str, Any] | None) -> Any:
        return (self.values if row is None else row).get(item_id)

    def text(self, item_id: str, row: dict[str, Any] | None) -> Markup:
        return escape(as_text(self.value(item_id, row)))

    def part(self, item_id: str, row: dict[str, Any] | None, part: str) -> Markup:
        return escape(as_text((self.value(item_id, row) or {}).get(part)))

    def flag(self, item_id: str, row: dict[str, Any] | None, kind: str, choice_value: Any, word: str) -> Markup:
        """``word`` (`` checked``, `` selected``) when the answer picks this option."""
        return Markup(word) if _picked(kind, self.value(item_id, row), choice_value) else _EMPTY

    def rows(self, item_id: str, row: dict[str, Any] | None) -> list[dict[str, Any]]:
        return self.value(item_id, row) or []

    def hidden(self, key: str) -> Markup:
        return _EMPTY if key in self.shown else _HIDDEN

    def error_class(self, key: str) -> Markup:
        return _ERROR_CLASS if self.errors.get(key) else _EMPTY

    def described(self, key: str) -> Markup:
        error, warning = self.errors.get(key), self.warnings.get(key)
        if not error and not warning:
            return _EMPTY
        ids = [f"{self.prefix}{key}-error"] if error else []
        if warning:
            ids.append(f"{self.prefix}{key}-warning")
        html = Markup(' aria-describedby="{}"').format(" ".join(ids))
        return html + Markup(' aria-invalid="true"') if error else html

    def messages(self, key: str) -> Markup:
        html = _EMPTY
        if self.errors.get(key):
            html += Markup('<p class="form-item__error" id="{}-error">{}</p>').format(self.prefix + key,
                                                                                     self.errors[key])
        if self.warnings.get(key):
            html += Markup('<p class="form-item__warning" id="{}-warning">{}</p>').format(self.prefix + key,
                                                                                         self.warnings[key])
        return html

    def repeat(self, item: Item, row: dict[str, Any] | None, key_prefix: str) -> Markup:
        """A repeating group, rows and all, rendered afresh: how many rows it has is an answer."""
        module = TEMPLATE.make_module(self.variables(items=[]))
        return Markup(module.render_item(item, "", row, key_prefix))

    def variables(self, items: list[Item]) -> dict[str, Any]:
        """The template's variables to render ``items`` afresh for this request."""
        language = self.language
        return {"h": self, "recording": False, "items": items, "language": language, "prefix": self.prefix,
                "applying": self.applying, "choice_markup": lambda item: choice_markup(item, language)}


class _Recorder(_Helpers):
    """Stands in for :class:`Fill` while a form's fixed markup is rendered: each
    per-request helper leaves a numbered mark and notes the call that fills it."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.prefix = Markup(_PREFIX_MARK)
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def _slot(self, name: str, *args: Any) -> Markup:
        self.calls.append((name, args))
        return Markup(f"\x00{len(self.calls) - 1}\x00")

    def opening(self) -> Markup:
        return self._slot("opening")

    def text(self, *args: Any) -> Markup:
        return self._slot("text", *args)

    def part(self, *args: Any) -> Markup:
        return self._slot("part", *args)

    def flag(self, *args: Any) -> Markup:
        return self._slot("flag", *args)

    def hidden(self, *args: Any) -> Markup:
        return self._slot("hidden", *args)

    def error_class(self, *args: Any) -> Markup:
        return self._slot("error_class", *args)

    def described(self, *args: Any) -> Markup:
        return self._slot("described", *args)

    def messages(self, *args: Any) -> Markup:
        return self._slot("messages", *args)

    def repeat(self, *args: Any) -> Markup:
        return self._slot("repeat", *args)


class _Options:
    """The options of one question with their ``checked``/``selected`` slots, as one slot:
    unanswered (most of a new form), they are one fixed string."""

    __slots__ = ("item_id", "row", "kind", "word", "pieces", "blank")

    def __init__(self, item_id: str, row: Any, kind: str, word: str, choice_value: Any) -> None:
        self.item_id, self.row, self.kind, self.word = item_id, row, kind, word
        #: ``(option's value, the fixed text after its slot)``, completed by :func:`_compile`
        self.pieces: list[tuple[Any, str]] = [(choice_value, "")]
        self.blank = ""

    def close(self) -> None:
        self.blank = "".join(text for _, text in self.pieces)

    def __call__(self, helpers: Fill) -> str:
        value = helpers.value(self.item_id, self.row)
        if value is None:
            return self.blank
        kind, word = self.kind, self.word
        return "".join((word + text) if _picked(kind, value, choice_value) else text
                       for choice_value, text in self.pieces)


Part = str | methodcaller | _Options


def _split(html: str, calls: list[tuple[str, tuple[Any, ...]]]) -> list[str | tuple[str, tuple[Any, ...]]] | None:
    """The recorded markup as fixed text and the calls that fill its marks, in order; None
    if the marks cannot be told from the definition's own text (a NUL in a label): that
    form is then rendered afresh every time."""
    pieces = html.split("\x00")
    if len(pieces) != 2 * len(calls) + 1:
        return None
    parts: list[str | tuple[str, tuple[Any, ...]]] = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            parts.append(piece)
        elif piece != str(index // 2):
            return None
        else:
            parts.append(calls[index // 2])
    return parts


def _compile(parts: list[str | tuple[str, tuple[Any, ...]]], leave_out: frozenset[str]) -> tuple[Part, ...]:
    """Calls as ready-made callables, a question's option slots folded into one
    :class:`_Options`, the ``leave_out`` slots dropped, neighbouring text joined."""
    out: list[Part] = []
    options: _Options | None = None
    for part in parts:
        if isinstance(part, str):
            if options is not None:
                choice_value, text = options.pieces[-1]
                options.pieces[-1] = (choice_value, text + part)
            elif out and isinstance(out[-1], str):
                out[-1] += part
            elif part:
                out.append(part)
            continue
        name, args = part
        if name in leave_out:
            continue
        if name == "flag":
            item_id, row, kind, choice_value, word = args
            if options is not None and (options.item_id, options.row, options.kind, options.word) == (
                    item_id, row, kind, word):
                options.pieces.append((choice_value, ""))
                continue
            options = _Options(item_id, row, kind, word, choice_value)
            out.append(options)
            continue
        options = None
        out.append(methodcaller(name, *args))
    for part in out:
        if isinstance(part, _Options):
            part.close()
    return tuple(out)


def skeleton(form: CompiledForm, items: list[Item], applying: frozenset[str],
             language: str) -> tuple[tuple[Part, ...], tuple[Part, ...]] | None:
    """The form's markup for this language and these applying items as fixed text and
    slots: ``(every slot, the slots without errors and warnings)``, worked out once per
    compiled form, language and set of applying items. None: render afresh."""
    cache_key = ("skeleton", language, applying)
    found = form.render_cache.get(cache_key, _MISSING)
    if found is _MISSING:
        recorder = _Recorder(language)
        html = TEMPLATE.render(h=recorder, recording=True, items=items, language=language, prefix=recorder.prefix,
                               applying=applying, choice_markup=lambda item: choice_markup(item, language))
        parts = _split(html, recorder.calls)
        found = None if parts is None else (_compile(parts, frozenset()), _compile(parts, _MESSAGE_SLOTS))
        remember(form, cache_key, found)
    return found


def fill(parts: tuple[tuple[Part, ...], tuple[Part, ...]], helpers: Fill) -> Markup:
    """A request's HTML: the fixed text with each slot filled in and the prefix put in."""
    every, quiet = parts
    chosen = quiet if not helpers.errors and not helpers.warnings else every
    html = "".join([part if part.__class__ is str else part(helpers) for part in chosen])
    return Markup(html.replace(_PREFIX_MARK, escape(helpers.prefix)))


def render_afresh(helpers: Fill, items: list[Item]) -> Markup:
    """The whole template rendered for this request, nothing kept: what :func:`fill` gives too."""
    return Markup(TEMPLATE.render(helpers.variables(items)))


_MISSING = object()
#: Entries one compiled form keeps (contexts differ by stage, funders, age group, ...; each
#: kind keeps which items apply, the markup and the evaluation's plan); past this its
#: cache starts over rather than growing without bound.
_FORM_CACHE_SIZE = 144


def remember(form: CompiledForm, key: Any, value: Any) -> None:
    """Keep ``value`` in the compiled form's render cache (bounded)."""
    if len(form.render_cache) >= _FORM_CACHE_SIZE:
        form.render_cache.clear()
    form.render_cache[key] = value
