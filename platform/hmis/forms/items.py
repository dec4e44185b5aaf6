"""What a form is made of once compiled: items with their rules parsed and HUD mappings resolved.

A definition's YAML is plain data; :mod:`hmis.forms.compile` turns it into these
immutable objects once (at load), so rendering and reading a form never re-parse a rule
or look up a code list by name again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..expressions import Expr

#: Every item type a definition may use.
INPUT_TYPES = ("text", "textarea", "integer", "decimal", "currency", "date", "boolean",
               "choice", "multi_choice", "open_choice")
COMPOSITE_TYPES = ("name", "ssn", "dob")
ITEM_TYPES = ("group", "display") + INPUT_TYPES + COMPOSITE_TYPES

#: Who an item is collected about (HUD's "data collected about").
ABOUT = ("all_clients", "hoh", "adults", "hoh_and_adults", "children", "veterans", "adult_veterans")

#: HUD DataCollectionStage names and codes (list 5.03.1); the others are occurrence forms.
STAGE_CODES = {"project_start": 1, "update": 2, "exit": 3, "annual": 5, "post_exit": 6}
STAGES = tuple(STAGE_CODES) + ("profile", "cls", "service", "ce_event", "ce_assessment", "local")

#: The kind (for the expression checker) of each type's answer.
VALUE_KINDS = {
    "text": "text", "textarea": "text", "integer": "number", "decimal": "number", "currency": "number",
    "date": "date", "boolean": "yes/no", "open_choice": "text", "name": "text", "ssn": "text", "dob": "date",
}

#: Names every form rule may use besides item ids, and their kinds.
CONTEXT_NAMES = {
    "stage": "text",
    "project.type": "number",
    "project.funders": "list of number",
    "client.age": "number",
    "client.dob": "date",
    "client.is_veteran": "yes/no",
    "enrollment.entry_date": "date",
    "enrollment.relationship_to_hoh": "number",
    "information_date": "date",
}


@dataclass(frozen=True)
class Choice:
    value: int | str
    labels: dict[str, str]  #: language -> label

    def label(self, language: str = "en") -> str:
        return self.labels.get(language) or self.labels.get("en") or str(self.value)


@dataclass(frozen=True)
class HudField:
    """Where an answer lands in HUD's tables: ``IncomeBenefits.Earned``, with key columns
    that pick the row (``Disabilities`` rows are one per ``DisabilityType``)."""

    record: str  #: HUD file name, e.g. ``IncomeBenefits``
    column: str  #: HUD column name, e.g. ``Earned``
    key: tuple[tuple[str, Any], ...] = ()

    @property
    def target(self) -> tuple[str, tuple[tuple[str, Any], ...]]:
        return (self.record, self.key)


@dataclass
class Item:
    """One compiled item. ``children`` for groups; ``choices`` for choice types."""

    id: str
    type: str
    path: str  #: where it sits in the definition (``items[3].items[1]``), for messages
    labels: dict[str, str] = field(default_factory=dict)
    help: dict[str, str] = field(default_factory=dict)
    required: bool | Expr = False
    warn_if_empty: bool = False
    relevant: Expr | None = None
    constraint: Expr | None = None
    constraint_messages: dict[str, str] = field(default_factory=dict)
    calculate: Expr | None = None
    default: Any = None
    prefill: bool = False
    choices: tuple[Choice, ...] = ()
    code_list: str | None = None  #: "hud:1.8" or "local:xyz", for messages
    hud: HudField | None = None
    hud_columns: dict[Any, HudField] = field(default_factory=dict)  #: multi_choice: code -> column (1/0)
    custom: str | None = None
    custom_owner: str = "enrollment"
    about: str = "all_clients"
    stages: tuple[str, ...] = ()
    funders: tuple[int, ...] = ()
    project_types: tuple[int, ...] = ()
    max_length: int = 2000
    minimum: Any = None
    maximum: Any = None
    repeat: tuple[int, int] | None = None  #: (min, max) rows of a repeating group
    repeat_key: str | None = None  #: the child whose answer picks each row's HUD row (``repeat_rows``)
    hud_columns_by: str | None = None  #: in a repeat: the choice whose code picks this answer's column
    children: list[Item] = field(default_factory=list)
    #: What renderers work out once per compiled item (escaped choice labels, ...), by their own keys.
    render_cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def label(self, language: str = "en") -> str:
        return self.labels.get(language) or self.labels.get("en") or self.id

    def help_text(self, language: str = "en") -> str:
        return self.help.get(language) or self.help.get("en") or ""

    def constraint_message(self, language: str = "en") -> str:
        return (self.constraint_messages.get(language) or self.constraint_messages.get("en")
                or "This answer is not allowed here.")

    @property
    def is_input(self) -> bool:
        return self.type not in ("group", "display")

    @property
    def is_repeat(self) -> bool:
        return self.type == "group" and self.repeat is not None

    @cached_property
    def descendants(self) -> tuple[Item, ...]:
        """``walk(self.children)`` kept: read and evaluated on every request, the tree never
        changes once the form is compiled (don't use it while compiling)."""
        return tuple(walk(self.children))

    def choice_label(self, value: Any, language: str = "en") -> str | None:
        for choice in self.choices:
            if choice.value == value:
                return choice.label(language)
        return None


@dataclass
class CompiledForm:
    """A form ready to render and read: the items of one definition version, fragments
    included, every rule parsed."""

    key: str
    title: str
    titles: dict[str, str]
    version: int | None  #: the version number (None for an unsaved preview)
    version_id: int | None  #: the DefinitionVersion id a response records
    items: list[Item]
    fragment_versions: dict[str, int] = field(default_factory=dict)  #: fragment key -> version id
    languages: tuple[str, ...] = ("en",)
    by_id: dict[str, Item] = field(default_factory=dict)
    all_items: tuple[Item, ...] = ()  #: ``walk(items)``, computed once: every request walks it several times
    #: What renderers work out once per compiled form (its markup per language and context kind), by their own keys.
    render_cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.all_items:
            self.all_items = tuple(walk(self.items))
        if not self.by_id:
            for item in self.all_items:
                self.by_id[item.id] = item

    def title_in(self, language: str = "en") -> str:
        return self.titles.get(language) or self.title


def walk(items: list[Item]):
    """Every item, depth first, groups before their children."""
    for item in items:
        yield item
        if item.children:
            yield from walk(item.children)
