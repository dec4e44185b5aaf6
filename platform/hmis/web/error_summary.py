"""The error summary at the top of a refused form (the GOV.UK pattern).

After a refused submit the page starts with one box listing every problem, each a link
to the field it is about; ``static/js/app.js`` moves focus to the box (on page load, or
after an htmx swap that a submit caused), so a screen reader announces it and a keyboard
user starts from it. The fields themselves carry ``aria-invalid`` and
``aria-describedby`` pointing at their message (the forms engine's markup and
``records/_fields.html`` do that).

This module works out the links for forms rendered by the forms engine; the markup is
``templates/_error_summary.html``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

#: Where a composite item's first input is: ``<name>.<part>``.
_FIRST_PART = {"name": "first", "ssn": "ssn", "dob": "dob"}
#: Item types drawn as a group of radios or checkboxes, whose inputs have no id: the link
#: goes to the item's message and the script focuses the first input beside it.
_GROUPED = frozenset({"boolean", "multi_choice"})
_ROW = re.compile(r"^.*\]\.")


@dataclass(frozen=True)
class ErrorLink:
    """One line of the summary: the message, and the id of the element it links to (if any)."""

    message: str
    target: str | None = None


def form_error_links(form: Any, errors: dict[str, str], prefix: str = "", language: str = "en") -> list[ErrorLink]:
    """The summary lines of one compiled form's ``errors`` (item key -> message), in the
    order the form asks its items; a form-wide message (``_form``) comes first, unlinked.

    A key inside a repeating group (``incomes[1].amount``) links to that row's field.
    """
    order = {item.id: index for index, item in enumerate(form.all_items)}
    links = [ErrorLink(errors["_form"])] if errors.get("_form") else []
    keys = sorted((k for k in errors if k != "_form"), key=lambda k: (order.get(_ROW.sub("", k), len(order)), k))
    for key in keys:
        item = form.by_id.get(_ROW.sub("", key))
        if item is None:  # a message for something the form does not draw: shown, not linked
            links.append(ErrorLink(errors[key]))
            continue
        links.append(ErrorLink(f"{item.label(language)}: {errors[key]}", _target(item, prefix + key)))
    return links


def _target(item: Any, name: str) -> str:
    if item.type in _FIRST_PART:
        return f"{name}.{_FIRST_PART[item.type]}"
    if item.type in _GROUPED or (item.type == "choice" and len(item.choices) <= 6):
        return f"{name}-error"
    return name


def page_error_links(entries: Iterable[Any]) -> list[ErrorLink]:
    """The summary lines of a page of forms: each entry has ``form``, ``errors``, ``prefix``
    and ``context`` (its language), as the profile and assessment screens keep them. On a
    household's page (entries with a ``client``) each line starts with whose form it is,
    and a member's ``problem`` (a form that could not be saved at all) is a line too."""
    links: list[ErrorLink] = []
    for entry in entries:
        language = getattr(getattr(entry, "context", None), "language", "en") or "en"
        client = getattr(entry, "client", None)
        who = " ".join(p for p in (getattr(client, "first_name", None), getattr(client, "last_name", None)) if p)
        lines = ([ErrorLink(entry.problem)] if getattr(entry, "problem", None) else []) + form_error_links(
            entry.form, entry.errors or {}, entry.prefix, language)
        links += [ErrorLink(f"{who}: {line.message}", line.target) for line in lines] if who else lines
    return links
