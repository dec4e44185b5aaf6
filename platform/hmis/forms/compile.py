"""Definition body -> :class:`CompiledForm`, collecting every problem on the way.

One pass does both jobs, so "valid" and "what the engine runs" can never disagree: the
definitions registry calls :func:`problems_of` (through ``schema.py``) when a definition
is validated or published, and :func:`compile_body` when a form is loaded to render.

Checked here (beyond the JSON Schema's shapes): includes resolve and do not loop; item
ids are unique across fragments; every rule parses, names only known items or context
names, and gives the right kind; code lists exist (HUD's or the definition's own);
HUD field mappings name a real, writable column whose type fits the item; choices
offered for a HUD column are codes of its list.
"""
from __future__ import annotations

from typing import Any

from ..definitions.problems import DefinitionProblem
from ..expressions import ExpressionError, check, parse
from ..hud import codelists
from ..hud.spec import SPEC
from . import repeat_rows, translations
from .fragments import Fragment, Resolver
from .items import (
    CONTEXT_NAMES, INPUT_TYPES, ITEM_TYPES, STAGE_CODES, VALUE_KINDS, Choice, CompiledForm, HudField, Item, walk,
)

__all__ = ["WRITABLE_RECORDS", "compile_body", "problems_of"]

#: HUD record types a form may write, and the columns the engine fills itself.
WRITABLE_RECORDS = ("Client", "Enrollment", "Exit", "IncomeBenefits", "HealthAndDV", "EmploymentEducation",
                    "Disabilities", "YouthEducationStatus", "CurrentLivingSituation", "Services", "Event",
                    "Assessment")
SYSTEM_COLUMNS = frozenset({"PersonalID", "EnrollmentID", "ProjectID", "ExitID", "HouseholdID", "DataCollectionStage",
                            "DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID"})

#: Which HUD column types each item type may be written to.
_COLUMN_FITS = {
    "text": {"string"}, "textarea": {"string"}, "open_choice": {"string"},
    "integer": {"integer"}, "boolean": {"integer"}, "choice": {"integer", "string"},
    "decimal": {"money", "integer"}, "currency": {"money"}, "date": {"date"},
}

#: The Client columns the composite types fill: value part -> column.
COMPOSITE_COLUMNS = {
    "name": {"first": "FirstName", "middle": "MiddleName", "last": "LastName", "suffix": "NameSuffix",
             "quality": "NameDataQuality"},
    "ssn": {"ssn": "SSN", "quality": "SSNDataQuality"},
    "dob": {"dob": "DOB", "quality": "DOBDataQuality"},
}
#: Item types a custom data element can hold (one typed value each).
_CUSTOM_TYPES = frozenset({"text", "textarea", "open_choice", "integer", "decimal", "currency", "date", "boolean",
                           "choice"})
COMPOSITE_QUALITY_LISTS = {"name": "3.01.5", "ssn": "3.02.2", "dob": "3.03.2"}
MAX_INCLUDE_DEPTH = 8


class _Build:
    """The state of one compilation: problems found, ids seen, fragments used."""

    def __init__(self, body: dict[str, Any], resolve: Resolver) -> None:
        self.body = body
        self.resolve = resolve
        self.problems: list[DefinitionProblem] = []
        self.seen: dict[str, str] = {}
        self.fragments: dict[str, int] = {}
        self.local_lists = body.get("code_lists") if isinstance(body.get("code_lists"), dict) else {}
        self.pending_rules: list[tuple[Item, str, str, Any, str | None]] = []

    def problem(self, path: str, message: str) -> None:
        # Problems inside an included fragment say so ("fragment 'x': ..."); the form's own do not.
        self.problems.append(DefinitionProblem(path, None, message.removeprefix("this form: ")))


def _texts(value: Any) -> dict[str, str]:
    """``"Label"`` or ``{en: Label, es: Etiqueta}`` -> ``{language: text}``."""
    if isinstance(value, str):
        return {"en": value}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}
    return {}


def _expand(build: _Build, raw_items: Any, path: str, where: str, stack: tuple[str, ...]) -> list[tuple[dict, str, str]]:
    """Replace ``include`` items by their fragment's items: ``(item, path, where)`` triples,
    where ``path`` is the place to report problems in *this* document and ``where``
    names the fragment for messages."""
    out: list[tuple[dict, str, str]] = []
    if not isinstance(raw_items, list):
        return out
    for index, raw in enumerate(raw_items):
        item_path = f"{path}[{index}]"
        if not isinstance(raw, dict):
            continue
        include = raw.get("include")
        if include is None:
            out.append((raw, item_path, where))
            continue
        if not isinstance(include, str):
            build.problem(f"{item_path}.include", "include must name a fragment (its id)")
            continue
        if include in stack:
            chain = " -> ".join(stack + (include,))
            build.problem(f"{item_path}.include", f"fragment '{include}' includes itself ({chain})")
            continue
        if len(stack) > MAX_INCLUDE_DEPTH:
            build.problem(f"{item_path}.include", f"fragments are nested more than {MAX_INCLUDE_DEPTH} deep")
            continue
        fragment: Fragment | None = build.resolve(include)
        if fragment is None:
            build.problem(f"{item_path}.include", f"there is no fragment '{include}' (save or publish it first)")
            continue
        if fragment.body.get("fragment") is not True:
            build.problem(f"{item_path}.include", f"'{include}' is a form, not a fragment (it needs 'fragment: true')")
            continue
        if fragment.draft_only:
            build.problem(f"{item_path}.include", f"fragment '{include}' has no published version yet: "
                                                  "publish it before this form")
        if fragment.version_id is not None:
            build.fragments[include] = fragment.version_id
        inner = _expand(build, fragment.body.get("items"), item_path, f"fragment '{include}'", stack + (include,))
        # Conditions on the include item apply to every item it brings in: wrap them in a group.
        wrapper_keys = {"relevant", "about", "stages", "funders", "project_types"} & set(raw)
        if wrapper_keys:
            group = {key: raw[key] for key in wrapper_keys}
            group.update({"id": raw.get("id") or f"{include.replace('-', '_').replace('.', '_')}_part",
                          "type": "group", "_expanded": inner})
            out.append((group, item_path, where))
        else:
            out.extend(inner)
    return out


def _choices(build: _Build, raw: dict, item_path: str, where: str, hud: HudField | None,
             languages: tuple[str, ...]) -> tuple[tuple[Choice, ...], str | None]:
    spec = raw.get("choices")
    if spec is None and hud is not None:
        column = SPEC[hud.record].column(hud.column)
        if column is not None and column.code_list:
            spec = f"hud:{column.code_list}"
    if spec is None:
        return (), None
    if isinstance(spec, list):
        found = []
        for index, option in enumerate(spec):
            if isinstance(option, dict) and "value" in option:
                found.append(Choice(option["value"], _texts(option.get("label", str(option["value"])))))
            else:
                build.problem(f"{item_path}.choices[{index}]", f"{where}: a choice needs a value and a label")
        return tuple(found), "inline"
    if not isinstance(spec, str) or ":" not in spec:
        build.problem(f"{item_path}.choices", f"{where}: choices must be a list, 'hud:<list id>' or 'local:<name>'")
        return (), None
    source, _, name = spec.partition(":")
    if source == "hud":
        try:
            code_list = codelists.get(name)
        except KeyError:
            build.problem(f"{item_path}.choices", f"{where}: HUD has no code list '{name}'")
            return (), spec
        spanish = translations.code_list(name, "es")
        return tuple(Choice(code, {"en": text, **({"es": spanish[code]} if code in spanish else {})})
                     for code, text in code_list.codes.items() if code not in code_list.retired), spec
    if source == "local":
        options = build.local_lists.get(name)
        if not isinstance(options, list):
            known = ", ".join(sorted(build.local_lists)) or "none are defined"
            build.problem(f"{item_path}.choices", f"{where}: no local code list '{name}' in code_lists ({known})")
            return (), spec
        return tuple(Choice(o["value"], _texts(o.get("label", str(o["value"]))))
                     for o in options if isinstance(o, dict) and "value" in o), spec
    build.problem(f"{item_path}.choices", f"{where}: unknown code list source '{source}' (use hud: or local:)")
    return (), None


def _hud_field(build: _Build, text: Any, key: Any, path: str, where: str) -> HudField | None:
    if not isinstance(text, str) or "." not in text:
        build.problem(path, f"{where}: a HUD field is written Record.Column, e.g. IncomeBenefits.Earned")
        return None
    record, _, column_name = text.partition(".")
    if record not in WRITABLE_RECORDS:
        build.problem(path, f"{where}: forms cannot write HUD record '{record}' "
                            f"(one of {', '.join(WRITABLE_RECORDS)})")
        return None
    column = SPEC[record].column(column_name)
    if column is None:
        build.problem(path, f"{where}: HUD's {record} has no column '{column_name}'")
        return None
    if column.name in SYSTEM_COLUMNS or column.name == SPEC[record].key.name:
        build.problem(path, f"{where}: {record}.{column.name} is filled in by the HMIS itself, not by a form")
        return None
    pairs: list[tuple[str, Any]] = []
    if key is not None:
        if not isinstance(key, dict):
            build.problem(path, f"{where}: hud_key must map key columns to values")
        else:
            for name, value in sorted(key.items()):
                key_column = SPEC[record].column(str(name))
                if key_column is None:
                    build.problem(path, f"{where}: HUD's {record} has no column '{name}' (in hud_key)")
                    continue
                if key_column.code_list and not codelists.is_valid(key_column.code_list, value):
                    build.problem(path, f"{where}: {value!r} is not a code of {record}.{key_column.name}")
                pairs.append((key_column.name, value))
    return HudField(record, column.name, tuple(pairs))


def _compile_item(build: _Build, raw: dict, item_path: str, where: str, languages: tuple[str, ...],
                  inherited: dict[str, Any]) -> Item | None:
    item_id = raw.get("id")
    item_type = raw.get("type")
    if not isinstance(item_id, str) or not isinstance(item_type, str):
        return None  # the schema says what is missing
    if item_type not in ITEM_TYPES:
        build.problem(f"{item_path}.type", f"{where}: unknown item type '{item_type}' (use one of "
                                           f"{', '.join(ITEM_TYPES)})")
        return None
    if item_id in CONTEXT_NAMES:
        build.problem(f"{item_path}.id", f"{where}: '{item_id}' is a name rules already use for the context; "
                                         "pick another id")
        return None
    if item_id in build.seen:
        build.problem(f"{item_path}.id", f"{where}: the id '{item_id}' is used twice (also at {build.seen[item_id]})")
        return None
    build.seen[item_id] = item_path if where == "this form" else f"{item_path} ({where})"

    hud = None
    if "hud" in raw:
        hud = _hud_field(build, raw["hud"], raw.get("hud_key"), f"{item_path}.hud", where)
    item = Item(
        id=item_id, type=item_type, path=item_path, labels=_texts(raw.get("label")), help=_texts(raw.get("help")),
        warn_if_empty=bool(raw.get("warn_if_empty", False)), default=raw.get("default"),
        prefill=bool(raw.get("prefill", False)), hud=hud, custom=raw.get("custom"),
        custom_owner=raw.get("custom_owner", "enrollment"),
        about=raw.get("about", inherited.get("about", "all_clients")),
        stages=tuple(raw.get("stages", ())), funders=tuple(raw.get("funders", ())),
        project_types=tuple(raw.get("project_types", ())), max_length=int(raw.get("max_length", 2000)),
        minimum=raw.get("min"), maximum=raw.get("max"),
        constraint_messages=_texts(raw.get("constraint_message")),
    )
    if item_type == "textarea" and "max_length" not in raw:
        item.max_length = 10000
    if item.is_input and item_type not in ("boolean",) and not item.labels and item_type != "display":
        build.problem(f"{item_path}.label", f"{where}: item '{item_id}' needs a label")
    if item_type == "display" and not item.labels:
        build.problem(f"{item_path}.label", f"{where}: a display item needs its text in label")
    if item_type == "boolean" and not item.labels:
        build.problem(f"{item_path}.label", f"{where}: item '{item_id}' needs a label")

    if item_type in ("choice", "multi_choice", "open_choice"):
        item.choices, item.code_list = _choices(build, raw, item_path, where, hud, languages)
        if not item.choices and item_type != "open_choice" and item.code_list is None:
            build.problem(f"{item_path}.choices", f"{where}: choice item '{item_id}' needs choices")
    if hud is not None:
        _check_hud_fit(build, item, item_path, where)
    in_repeat = bool(inherited.get("in_repeat"))
    item.hud_columns_by = raw.get("hud_columns_by")
    if item.hud_columns_by is not None and not in_repeat:
        build.problem(f"{item_path}.hud_columns_by", f"{where}: hud_columns_by is for items of a repeating group")
    if "hud_columns" in raw and (item_type == "multi_choice" or in_repeat):  # a repeat's rows: see repeat_rows
        columns = raw["hud_columns"]
        if isinstance(columns, dict):
            for code, target in columns.items():
                value = _as_choice_value(code, item.choices)
                found = _hud_field(build, target, None, f"{item_path}.hud_columns", where)
                if found is not None:
                    item.hud_columns[value] = found
    if item.custom is not None and item_type not in _CUSTOM_TYPES:
        build.problem(f"{item_path}.custom", f"{where}: a {item_type} item cannot be a custom data element "
                                             "(use text, number, date, yes/no or single choice)")
    if item_type in COMPOSITE_COLUMNS:
        item.hud = HudField("Client", next(iter(COMPOSITE_COLUMNS[item_type].values())))
        quality = COMPOSITE_QUALITY_LISTS[item_type]
        item.choices = tuple(Choice(code, {"en": text}) for code, text in codelists.get(quality).codes.items())
    if item_type == "group":
        repeat = raw.get("repeat")
        if repeat is not None:
            low = int(repeat.get("min", 0)) if isinstance(repeat, dict) else 0
            high = int(repeat.get("max", 20)) if isinstance(repeat, dict) else 20
            if high < max(low, 1) or high > 50:
                build.problem(f"{item_path}.repeat", f"{where}: repeat needs 1 <= max <= 50 and min <= max")
            item.repeat = (low, high)
            item.repeat_key = repeat.get("key") if isinstance(repeat, dict) else None
            if hud is not None:
                build.problem(f"{item_path}.hud", f"{where}: a repeating group cannot map to one HUD field")
        children = raw["_expanded"] if "_expanded" in raw else _expand(
            build, raw.get("items"), f"{item_path}.items", where, ())
        if "_expanded" not in raw and not raw.get("items"):
            build.problem(f"{item_path}.items", f"{where}: group '{item_id}' has no items")
        for child_raw, child_path, child_where in children:
            child = _compile_item(build, child_raw, child_path, child_where, languages,
                                  {"about": item.about, "in_repeat": in_repeat or item.repeat is not None})
            if child is not None:
                item.children.append(child)
        if item.repeat is not None:  # what its rows write to HUD (or why they cannot)
            for path, message in repeat_rows.problems(item):
                build.problem(path, f"{where}: {message}")
    for rule in ("relevant", "required", "constraint", "calculate"):
        if rule in raw and not (rule == "required" and isinstance(raw[rule], bool)):
            build.pending_rules.append((item, rule, f"{item_path}.{rule}", raw[rule], where))
    if raw.get("required") is True:
        item.required = True
    return item


def _as_choice_value(code: Any, choices: tuple[Choice, ...]) -> Any:
    for choice in choices:
        if str(choice.value) == str(code):
            return choice.value
    return code


def _check_hud_fit(build: _Build, item: Item, item_path: str, where: str) -> None:
    hud = item.hud
    column = SPEC[hud.record].column(hud.column)
    fits = _COLUMN_FITS.get(item.type)
    if fits is None:
        build.problem(f"{item_path}.hud", f"{where}: a {item.type} item cannot map to a single HUD field")
        return
    if column.type not in fits:
        build.problem(f"{item_path}.hud", f"{where}: {hud.record}.{hud.column} holds {column.type} values; "
                                          f"a {item.type} item cannot fill it")
        return
    code_list = codelists.list_for(column, dict(hud.key)) if hud.key else column.code_list
    if item.type == "choice" and code_list:
        for choice in item.choices:
            if not codelists.is_valid(code_list, choice.value):
                build.problem(f"{item_path}.choices", f"{where}: {choice.value!r} is not a FY2026 code of "
                                                      f"{hud.record}.{hud.column} (list {code_list})")
    if item.type == "boolean" and code_list and not (codelists.is_valid(code_list, 1)
                                                     and codelists.is_valid(code_list, 0)):
        build.problem(f"{item_path}.hud", f"{where}: a yes/no item needs a column whose list has 1 and 0")


def _names(items: list[Item]) -> dict[str, str]:
    names = dict(CONTEXT_NAMES)
    for item in walk(items):
        kind = _kind_of(item)
        if kind is not None:
            names[item.id] = kind
    return names


def _kind_of(item: Item) -> str | None:
    if item.type in VALUE_KINDS:
        return VALUE_KINDS[item.type]
    if item.type in ("choice", "multi_choice"):
        numeric = all(isinstance(c.value, int) and not isinstance(c.value, bool) for c in item.choices)
        element = "number" if numeric else "text"
        return element if item.type == "choice" else f"list of {element}"
    return None


def _check_rules(build: _Build, items: list[Item]) -> None:
    """Parse and check every rule, now that every item id (fragments included) is known."""
    names = _names(items)
    repeat_children = {child.id for item in walk(items) if item.is_repeat for child in walk(item.children)}
    for item, rule, path, text, where in build.pending_rules:
        if not isinstance(text, str):
            build.problem(path, f"{where}: {rule} must be a rule (text) or true/false")
            continue
        expect = "yes/no" if rule in ("relevant", "required", "constraint") else None
        scope = names if item.id in repeat_children else {k: v for k, v in names.items() if k not in repeat_children}
        try:
            tree = parse(text)
            kind = check(tree, scope, expect=expect)
        except ExpressionError as error:
            located = f" at {error.line}:{error.column}" if error.line is not None else ""
            hint = f" ({error.hint})" if error.hint else ""
            prefix = "" if where == "this form" else f"{where}, "
            build.problem(path, f"{prefix}item '{item.id}', {rule}: {error.message}{located}{hint}")
            continue
        if rule == "calculate":
            wanted = _kind_of(item)
            if wanted is not None and str(kind) not in (wanted, "null", "any"):
                build.problem(path, f"item '{item.id}', calculate gives {kind.phrase} but the item holds {wanted}")
        setattr(item, rule, tree)


def _build(body: dict[str, Any], resolve: Resolver, *, key: str) -> tuple[list[Item], _Build]:
    build = _Build(body, resolve)
    languages = tuple(body.get("languages") or ("en",))
    stack = (key,) if body.get("fragment") else ()
    expanded = _expand(build, body.get("items"), "items", "this form", stack)
    items = []
    for raw, path, where in expanded:
        item = _compile_item(build, raw, path, where, languages, {})
        if item is not None:
            items.append(item)
    _check_rules(build, items)
    for item in walk(items):
        if item.stages:
            for stage in item.stages:
                if stage not in STAGE_CODES and stage not in ("profile", "cls", "service", "ce_event",
                                                              "ce_assessment", "local"):
                    build.problem(f"{item.path}.stages", f"unknown stage '{stage}'")
        if item.type in INPUT_TYPES and item.custom is not None and item.hud is not None:
            build.problem(item.path, f"item '{item.id}' maps to both a HUD field and a custom element; pick one")
    return items, build


def problems_of(body: dict[str, Any], key: str, resolve: Resolver) -> list[DefinitionProblem]:
    """Every problem the engine finds in a (schema-valid) definition body."""
    return _build(body, resolve, key=key)[1].problems


def compile_body(body: dict[str, Any], key: str, resolve: Resolver, *, version: int | None = None,
                 version_id: int | None = None) -> CompiledForm:
    """The form to render and read. Raises :class:`FormDefinitionError` if it has problems
    (a published definition never does; a preview of a broken draft does)."""
    items, build = _build(body, resolve, key=key)
    if build.problems:
        raise FormDefinitionError(key, build.problems)
    return CompiledForm(key=key, title=str(body.get("title") or key), titles=_texts(body.get("title_i18n")),
                        version=version, version_id=version_id, items=items, fragment_versions=build.fragments,
                        languages=tuple(body.get("languages") or ("en",)))


class FormDefinitionError(Exception):
    """A definition that cannot be compiled; ``problems`` lists why."""

    def __init__(self, key: str, problems: list[DefinitionProblem]) -> None:
        self.key = key
        self.problems = problems
        listing = "; ".join(str(problem) for problem in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"form '{key}' has {len(problems)} problem(s): {listing}{more}")
