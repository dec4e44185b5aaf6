"""The new and edit client screens' questions: the published profile form(s), not a fixed screen.

Which forms a client's profile has is the form rules' ``profile`` stage (shipped:
``hud-client-profile``, 3.01-3.07 with data quality, 4.21 and V1), so an item the HMIS
lead adds there appears on both screens and is saved (a HUD Client field or a custom
data element owned by the client) through the same service as everything else:
:func:`hmis.records.clients.create_client` makes the client (after the duplicate search),
then :func:`hmis.forms.responses.save_response` stores the answers and writes the rest.
:func:`create_from_page` is that whole path, shared by the new-client screen and the
workflow steps that create a client (so editing the profile form changes both).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from .. import forms
from ..access import audit
from ..access.operations import Actor, operation
from ..custom_data import values_for
from ..extensions import db
from ..expressions.functions import whole_years
from ..forms.compile import COMPOSITE_COLUMNS
from ..forms.read import field_name
from ..forms.render import initial_values
from ..hud.spec import SPEC
from ..models import Client
from .assessment_screen import keep_typed
from .clients import create_client, possible_matches, ssn_on_file
from .errors import RecordInvalid

#: The form-rules stage of the client profile.
STAGE = "profile"
_ATTR = {column.name: column.attr for column in SPEC["Client"].columns}


@dataclass
class ProfileForm:
    """One profile form on the screen, with what to show in it."""

    form: Any
    context: Any
    prefix: str
    values: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    submission: Any = None

    def html(self) -> Markup:
        return forms.render(self.form, self.context, values=self.values, errors=self.errors,
                            warnings=self.warnings, prefix=self.prefix)


def context_for(client: Client | None, dob: date | None = None) -> forms.FormContext:
    """The facts a profile form is filled under; ``dob`` (typed, for a new client) gives the age."""
    born = dob if dob is not None else (client.dob if client is not None else None)
    today = date.today()
    age = whole_years(born, today) if born is not None and born <= today else None
    veteran = None if client is None or client.veteran_status not in (0, 1) else client.veteran_status == 1
    return forms.FormContext(client=client, stage=STAGE, age=age, is_veteran=veteran, information_date=today)


def page_for(client: Client | None) -> list[ProfileForm]:
    """The profile forms the rules apply, each loaded (published) once.

    :raise hmis.forms.FormNotPublished: a form the rules name is not published.
    """
    context = context_for(client)
    return [ProfileForm(forms.load(chosen.form), context, f"{chosen.form}-")
            for chosen in forms.applicable(None, STAGE)]


def prefill(page: list[ProfileForm], first: str, last: str, dob: str) -> None:
    """Start a new client's forms from what was searched for (the name and date of birth)."""
    try:
        born = date.fromisoformat(dob) if dob else None
    except ValueError:
        born = None
    for entry in page:
        values = initial_values(entry.form, entry.context)
        for item in entry.form.all_items:
            if item.type == "name" and (first or last):
                values[item.id] = {"first": first or None, "last": last or None,
                                   "quality": 1 if first and last else 2}
            elif item.type == "dob" and born is not None:
                values[item.id] = {"dob": born, "quality": 1}
        entry.values = values


def values_on_file(form: Any, client: Client) -> dict[str, Any]:
    """The form's answers as the client's record holds them now (the SSN itself left out)."""
    custom = values_for("client", client.id)
    values: dict[str, Any] = {}
    for item in form.all_items:
        if item.type in COMPOSITE_COLUMNS:
            parts = {part: getattr(client, _ATTR[column]) for part, column in COMPOSITE_COLUMNS[item.type].items()}
            if item.type == "ssn":
                parts["ssn"] = None  # never sent to a browser: empty means "keep the number on file"
            values[item.id] = parts
        elif item.hud_columns:
            values[item.id] = [code for code, target in item.hud_columns.items()
                               if target.record == "Client" and getattr(client, _ATTR[target.column]) == 1]
        elif item.hud is not None and item.hud.record == "Client":
            value = getattr(client, _ATTR[item.hud.column])
            values[item.id] = (value == 1 if value in (0, 1) else None) if item.type == "boolean" else value
        elif item.custom is not None and item.custom_owner == "client" and item.custom in custom:
            values[item.id] = custom[item.custom]
    return values


def completed(page: list[ProfileForm], formdata: Any, client: Client | None) -> MultiDict:
    """The posted answers with what the screen works out for the person typing:

    * a data quality left empty is taken from what was typed (both names: full; one:
      partial; nine digits: full; digits with x: approximate; a date: full);
    * on an existing client, an empty SSN box keeps the number on file (it is checked
      again with the rest, never shown).
    """
    data = MultiDict(formdata)
    for entry in page:
        for item in entry.form.all_items:
            if item.type not in COMPOSITE_COLUMNS:
                continue
            def posted(part: str, prefix: str = entry.prefix, item_id: str = item.id) -> str:
                return (data.get(field_name(prefix, item_id, part)) or "").strip()

            if item.type == "ssn" and client is not None and not posted("ssn") and ssn_on_file(client):
                data[field_name(entry.prefix, item.id, "ssn")] = ssn_on_file(client) or ""
                if not posted("quality") and client.ssn_data_quality is not None:
                    data[field_name(entry.prefix, item.id, "quality")] = str(client.ssn_data_quality)
            if posted("quality"):
                continue
            quality = None
            if item.type == "name" and (posted("first") or posted("last")):
                quality = 1 if posted("first") and posted("last") else 2
            elif item.type == "ssn" and posted("ssn"):
                digits = posted("ssn").replace("-", "").replace(" ", "")
                quality = 1 if digits.isdigit() else 2
            elif item.type == "dob" and posted("dob"):
                quality = 1
            if quality is not None:
                data[field_name(entry.prefix, item.id, "quality")] = str(quality)
    return data


def read_page(page: list[ProfileForm], formdata: Any) -> bool:
    """Read every form (the age for "adults only" items from the typed date of birth);
    True when all are answered well enough to save."""
    for entry in page:
        submission = forms.read(entry.form, formdata, entry.context, prefix=entry.prefix)
        born = _typed_dob(entry.form, submission)
        if born is not None and entry.context.client is None:
            entry.context = context_for(None, born)
            submission = forms.read(entry.form, formdata, entry.context, prefix=entry.prefix)
        entry.submission = submission
        entry.errors, entry.warnings = submission.errors, submission.warnings
        entry.values = keep_typed(entry.form, formdata, entry.prefix, submission.answers, submission.errors)
    return all(entry.submission.ok for entry in page)


def _typed_dob(form: Any, submission: Any) -> date | None:
    for item in form.all_items:
        if item.type == "dob":
            value = submission.answers.get(item.id) or {}
            if isinstance(value.get("dob"), date):
                return value["dob"]
    return None


def client_fields(page: list[ProfileForm]) -> dict[str, Any]:
    """The Client fields the read forms collected, by Client attribute (for the duplicate
    search and :func:`create_client`)."""
    fields: dict[str, Any] = {}
    for entry in page:
        for column, value in entry.submission.records.get(("Client", ()), {}).items():
            fields[_ATTR[column]] = value
    return fields


def save_page(actor: Actor, page: list[ProfileForm], client: Client, formdata: Any) -> None:
    """Store each form's answers for ``client`` and write what they map to (flushed).

    :raise hmis.forms.responses.FormInvalid: a form's answers cannot be written (its
        messages are then on the entry, at their items).
    """
    custom = {item.custom for entry in page for item in entry.form.all_items
              if item.custom is not None and item.custom_owner == "client"}
    before = _custom_values(client, custom)
    for entry in page:
        entry.context = context_for(client)
        try:
            forms.responses.save_response(actor, entry.form, entry.context, formdata, submit=True,
                                          prefix=entry.prefix)
        except forms.responses.FormInvalid as invalid:
            entry.errors, entry.warnings = invalid.submission.errors, invalid.submission.warnings
            entry.values = keep_typed(entry.form, formdata, entry.prefix, invalid.submission.answers, entry.errors)
            raise
    after = _custom_values(client, custom)
    if after != before:
        # The client's HUD fields are audited by the records service; the profile's own
        # (custom) questions are audited here, so the profile history has every field.
        audit.record("record.update", subject_type="client", subject_id=client.id,
                     details=audit.changes(before, after))


#: How a custom element's key is told from a Client field in the audit log's details.
CUSTOM_PREFIX = "custom:"


def _custom_values(client: Client, keys: set[str]) -> dict[str, Any]:
    if not keys:
        return {}
    return {CUSTOM_PREFIX + key: value for key, value in values_for("client", client.id).items() if key in keys}


def errors_at_items(page: list[ProfileForm], errors: dict[str, str]) -> None:
    """Put the records service's messages (by Client attribute) at the items that collect
    them; what no item collects goes at the top of the first form."""
    by_column = {("Client", column): errors[attr] for column, attr in _ATTR.items() if attr in errors}
    left = {attr: message for attr, message in errors.items() if attr not in _ATTR.values()}
    placed_anywhere: set[tuple[str, str]] = set()
    for entry in page:
        placed, unplaced = forms.responses.at_items(entry.form, by_column)
        entry.errors.update(placed)
        placed_anywhere |= {target for target, message in by_column.items() if message not in unplaced}
    messages = list(left.values()) + [m for t, m in by_column.items() if t not in placed_anywhere]
    if messages and page:
        page[0].errors["_form"] = " ".join(messages)


class ProfileRefused(Exception):
    """The answers cannot make a client; the messages are on the page's entries, at their items."""


@dataclass
class Created:
    """What asking to create a client gave: the client, or the possible matches to look at first."""

    client: Client | None
    matches: list[Any] = field(default_factory=list)


@operation("clients.create_from_profile", permission="clients.edit")
def create_from_page(actor: Actor, page: list[ProfileForm], formdata: Any, *, confirmed: bool) -> Created:
    """A new client from the profile form(s) of ``page``: search before create.

    The answers are read and checked as the form says (required items, data-quality
    companions worked out from what was typed); then, unless ``confirmed`` (the person
    saw the possible matches and chose none), the matches are returned and nothing is
    written; else the client is created and every form's answers are saved (the SSN
    stored encrypted by the records service). Flushed, not committed.

    :raise ProfileRefused: an answer is refused; nothing is written, and the messages
        are on the entries of ``page`` (``entry.errors``), beside their items.
    """
    formdata = completed(page, formdata, None)
    if not read_page(page, formdata):
        raise ProfileRefused()
    fields = client_fields(page)
    if not confirmed:
        matches = possible_matches(actor, fields)
        if matches:
            return Created(None, matches)
    try:
        # A savepoint: a form that fails after the client row was made takes the row back too.
        with db.session.begin_nested():
            client = create_client(actor, fields)
            save_page(actor, page, client, formdata)
    except RecordInvalid as invalid:
        errors_at_items(page, invalid.errors)
        raise ProfileRefused() from invalid
    except forms.responses.FormInvalid as invalid:
        raise ProfileRefused() from invalid
    return Created(client, [])
