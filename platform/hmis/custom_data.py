"""Custom data elements: typed local values for questions HUD does not define.

A definition says what an element holds and what it attaches to (a client, an
enrollment or an assessment); values are stored in the column of their type, so
reports can filter and sum them in SQL like any HUD field.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from .extensions import db
from .hud import codelists
from .models import Assessment, Client, CustomDataElementDefinition, CustomDataElementValue, Enrollment

OWNERS = {"client": Client, "enrollment": Enrollment, "assessment": Assessment}
VALUE_TYPES = ("string", "integer", "decimal", "date", "boolean", "choice")


class CustomDataError(ValueError):
    """A definition or value that cannot be stored (the message says why)."""


def define_element(key: str, label: str, owner_type: str, value_type: str, *, code_list: str | None = None,
                   repeats: bool = False) -> CustomDataElementDefinition:
    """Add a custom element (flushed; the caller commits)."""
    if owner_type not in OWNERS:
        raise CustomDataError(f"{key}: owner must be one of {', '.join(OWNERS)}, not {owner_type!r}")
    if value_type not in VALUE_TYPES:
        raise CustomDataError(f"{key}: value type must be one of {', '.join(VALUE_TYPES)}, not {value_type!r}")
    if value_type == "choice":
        if not code_list:
            raise CustomDataError(f"{key}: a choice element needs a code list")
        try:
            codelists.get(code_list)
        except KeyError:
            raise CustomDataError(f"{key}: there is no code list {code_list!r}") from None
    if db.session.scalar(select(CustomDataElementDefinition.id).where(CustomDataElementDefinition.key == key)):
        raise CustomDataError(f"a custom element {key!r} already exists")
    definition = CustomDataElementDefinition(key=key, label=label, owner_type=owner_type, value_type=value_type,
                                             code_list=code_list, repeats=repeats)
    db.session.add(definition)
    db.session.flush()
    return definition


def _definition(key: str) -> CustomDataElementDefinition:
    definition = db.session.scalar(select(CustomDataElementDefinition).where(CustomDataElementDefinition.key == key))
    if definition is None:
        raise CustomDataError(f"there is no custom element {key!r}")
    return definition


def _typed(definition: CustomDataElementDefinition, value: Any) -> dict[str, Any]:
    """The value column to fill, with the value checked against the element's type."""
    kind = definition.value_type
    try:
        if kind == "string":
            if not isinstance(value, str):
                raise TypeError
            return {"value_string": value}
        if kind in ("integer", "choice"):
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise TypeError
            number = int(value)
            if kind == "choice" and not codelists.is_valid(definition.code_list, number):
                raise CustomDataError(f"{definition.key}: {number} is not a code of list {definition.code_list}")
            return {"value_integer": number}
        if kind == "decimal":
            if isinstance(value, bool):
                raise TypeError
            return {"value_decimal": Decimal(str(value))}
        if kind == "date":
            return {"value_date": value if isinstance(value, date) else date.fromisoformat(value)}
        if kind == "boolean":
            if not isinstance(value, bool):
                raise TypeError
            return {"value_boolean": value}
    except (TypeError, ValueError, InvalidOperation) as exc:
        if isinstance(exc, CustomDataError):
            raise
        raise CustomDataError(f"{definition.key}: {value!r} is not a {kind}") from None
    raise CustomDataError(f"{definition.key}: unknown value type {kind!r}")  # pragma: no cover


def set_value(key: str, owner_id: int, value: Any, *, data_collection_stage: int | None = None,
              information_date: date | None = None) -> CustomDataElementValue:
    """Record (or replace) an element's value for one owner record (flushed, not committed)."""
    definition = _definition(key)
    if db.session.get(OWNERS[definition.owner_type], owner_id) is None:
        raise CustomDataError(f"{key}: there is no {definition.owner_type} {owner_id}")
    columns = _typed(definition, value)
    existing = db.session.scalar(select(CustomDataElementValue).where(
        CustomDataElementValue.definition_id == definition.id,
        CustomDataElementValue.owner_type == definition.owner_type,
        CustomDataElementValue.owner_id == owner_id,
        CustomDataElementValue.data_collection_stage.is_(data_collection_stage)
        if data_collection_stage is None else CustomDataElementValue.data_collection_stage == data_collection_stage,
        CustomDataElementValue.information_date.is_(information_date)
        if information_date is None else CustomDataElementValue.information_date == information_date,
    ))
    if existing is None or definition.repeats:
        existing = CustomDataElementValue(definition_id=definition.id, owner_type=definition.owner_type,
                                          owner_id=owner_id, data_collection_stage=data_collection_stage,
                                          information_date=information_date)
        db.session.add(existing)
    for column in ("value_string", "value_integer", "value_decimal", "value_date", "value_boolean"):
        setattr(existing, column, columns.get(column))
    db.session.flush()
    return existing


def values_for(owner_type: str, owner_id: int) -> dict[str, Any]:
    """Every custom value of one record, by element key (a list for repeating elements)."""
    rows = db.session.execute(
        select(CustomDataElementDefinition, CustomDataElementValue)
        .join(CustomDataElementValue, CustomDataElementValue.definition_id == CustomDataElementDefinition.id)
        .where(CustomDataElementValue.owner_type == owner_type, CustomDataElementValue.owner_id == owner_id)
        .order_by(CustomDataElementValue.id)
    ).all()
    result: dict[str, Any] = {}
    for definition, value in rows:
        typed = next((getattr(value, c) for c in ("value_string", "value_integer", "value_decimal", "value_date",
                                                  "value_boolean") if getattr(value, c) is not None), None)
        if definition.repeats:
            result.setdefault(definition.key, []).append(typed)
        else:
            result[definition.key] = typed
    return result
