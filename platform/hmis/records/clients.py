"""Client operations: search before create, create, update.

A new client is written to the ``local`` data source with a fresh PersonalID. The
client's DateUpdated is its version: a screen sends the value it showed, and an update
refuses to overwrite a record someone else saved in between (:class:`StaleRecord`).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from ..access import audit, sensitive
from ..access.operations import Actor, operation
from ..extensions import db
from ..models import Client
from . import search
from .errors import RecordInvalid, StaleRecord
from .hud_values import FieldError, clean_date, clean_row
from .ids import local_source, new_key
from .stamps import stamp_changed, stamp_new
from .visibility import claim_new_client, require_client, visible_clients

#: Client.csv race and ethnicity columns (3.04): 1 when it applies, else 0.
RACE_COLUMNS = ("am_ind_ak_native", "asian", "black_af_american", "hispanic_latinao", "mid_east_n_african",
                "native_hi_pacific", "white")
#: V1 veteran information (adult veterans), Client.csv's last HUD columns.
VETERAN_COLUMNS = ("year_entered_service", "year_separated", "world_war_ii", "korean_war", "vietnam_war",
                   "desert_storm", "afghanistan_oef", "iraq_oif", "iraq_ond", "other_theater", "military_branch",
                   "discharge_status")
#: What a screen or form may set on a client (HUD 3.01-3.07, 4.21 and V1): every Client
#: column the HMIS does not fill itself.
CLIENT_FIELDS = ("first_name", "middle_name", "last_name", "name_suffix", "name_data_quality", "ssn",
                 "ssn_data_quality", "dob", "dob_data_quality", "sex", "race_none", "additional_race_ethnicity",
                 "veteran_status") + RACE_COLUMNS + VETERAN_COLUMNS
#: HUD's "client doesn't know", "prefers not to answer" and "data not collected".
NOT_KNOWN = (8, 9, 99)
DATA_NOT_COLLECTED = 99
_SSN_TYPED = re.compile(r"[\s-]")


def _live(statement):
    return statement.where(Client.date_deleted.is_(None))


# -- search -------------------------------------------------------------------------------

def _ssn_typed(value: str | None) -> tuple[str | None, str | None]:
    """``(last four, whole SSN)`` from the SSN box: four digits, or all nine (dashes are fine)."""
    text = _SSN_TYPED.sub("", value or "")
    if not text:
        return None, None
    if re.fullmatch(r"\d{4}", text):
        return text, None
    if re.fullmatch(r"\d{9}", text):
        return text[-4:], text
    raise RecordInvalid({"ssn_last4": "Enter the last four digits of the SSN, or all nine."})


@operation("clients.search", permission="clients.search")
def search_clients(actor: Actor, name: str = "", dob: date | str | None = None, ssn_last4: str | None = None,
                   limit: int = 25) -> list[search.Match]:
    """Clients that may be the person described, best first, each with its reasons.

    Tolerates typos, nicknames, swapped first and last names and small DOB errors.
    A whole PersonalID typed as the name finds that client first.
    """
    errors = {}
    try:
        dob_value = clean_date(dob, allow_future=True)
    except FieldError as exc:
        errors["dob"], dob_value = str(exc), None
    try:
        last4, whole_ssn = _ssn_typed(ssn_last4)
    except RecordInvalid as exc:
        errors.update(exc.errors)
        last4 = whole_ssn = None
    name = (name or "").strip()[:200]
    if errors:
        raise RecordInvalid(errors)
    base = _live(visible_clients(actor, select(Client)))
    query = search.SearchQuery(name=name, dob=dob_value, ssn_last4=last4, ssn=whole_ssn)
    min_score = 2.0 if (dob_value or last4) else 1.0
    found = search.run(base, query, limit=limit, min_score=min_score)
    if name and " " not in name and len(name) <= 32:
        exact = db.session.scalars(base.where(Client.personal_id == name)).all()
        found = [search.Match(c, 99.0, ["Personal ID"]) for c in exact] + [
            m for m in found if m.client.id not in {c.id for c in exact}]
    return found[:limit]


@operation("clients.possible_matches", permission="clients.search")
def possible_matches(actor: Actor, fields: Mapping[str, Any], limit: int = 10) -> list[search.Match]:
    """Existing clients who may be the person about to be created (shown before creating)."""
    try:
        dob = clean_date(fields.get("dob"), allow_future=True)
    except FieldError:
        dob = None
    ssn = _SSN_TYPED.sub("", str(fields.get("ssn") or ""))
    query = search.SearchQuery(first=(fields.get("first_name") or "").strip()[:50] or None,
                               last=(fields.get("last_name") or "").strip()[:50] or None, dob=dob,
                               ssn_last4=ssn[-4:] if re.fullmatch(r"\d{9}", ssn) else None,
                               ssn=ssn if re.fullmatch(r"\d{9}", ssn) else None)
    base = _live(visible_clients(actor, select(Client)))
    return search.run(base, query, limit=limit, min_score=3.0)


# -- create and update -----------------------------------------------------------------------

def _clean_client(raw: Mapping[str, Any], current: Client | None = None) -> dict[str, Any]:
    """Typed Client values from a screen's answers, with HUD's data-quality rules applied.

    ``raw`` may carry ``race`` (a list of race columns that apply) instead of the columns.
    """
    raw = dict(raw)
    unknown = sorted(set(raw) - set(CLIENT_FIELDS) - {"race"})
    if unknown:
        raise RecordInvalid({k: "This is not a client field." for k in unknown})
    if "race" in raw:
        chosen = raw.pop("race") or []
        chosen = [chosen] if isinstance(chosen, str) else list(chosen)
        bad = [c for c in chosen if c not in RACE_COLUMNS]
        if bad:
            raise RecordInvalid({"race": "Choose from the listed races and ethnicities."})
        for col in RACE_COLUMNS:
            raw[col] = 1 if col in chosen else 0
    if isinstance(raw.get("ssn"), str):
        raw["ssn"] = _SSN_TYPED.sub("", raw["ssn"])
    values = clean_row("Client", raw)
    merged = {f: getattr(current, f) for f in CLIENT_FIELDS} if current is not None else {}
    if current is not None:
        merged["ssn"] = ssn_on_file(current)  # the number itself, not the masked client.ssn
    merged.update(values)
    errors: dict[str, str] = {}

    # 3.01 Name: a full name needs both parts; an unknown one needs a reason.
    first, last, name_dq = merged.get("first_name"), merged.get("last_name"), merged.get("name_data_quality")
    if name_dq is None:
        if first and last:
            name_dq = 1
        elif first or last:
            name_dq = 2
        else:
            errors["first_name"] = "Enter the client's name, or choose why it is missing under Name data quality."
    elif name_dq == 1 and not (first and last):
        errors["last_name" if first else "first_name"] = "A full name needs both a first and a last name."
    elif name_dq in NOT_KNOWN and (first or last):
        errors["name_data_quality"] = "A name was entered: choose 'Full name' or 'Partial, street or code name'."
    merged["name_data_quality"] = name_dq

    # 3.02 SSN: nine digits (x for a digit not known, with 'approximate or partial').
    ssn, ssn_dq = merged.get("ssn"), merged.get("ssn_data_quality")
    if ssn is not None and not re.fullmatch(r"[0-9xX]{9}", ssn):
        errors["ssn"] = "Enter the nine digits of the SSN (dashes are fine), or leave it empty."
    elif ssn is not None and not ssn.isdigit() and ssn_dq == 1:
        errors["ssn_data_quality"] = "An SSN with unknown digits is 'Approximate or partial'."
    if ssn_dq is None:
        ssn_dq = (1 if ssn.isdigit() else 2) if ssn else DATA_NOT_COLLECTED
    elif ssn_dq in (1, 2) and not ssn:
        errors["ssn"] = "Enter the SSN, or choose why it is missing under SSN data quality."
    elif ssn_dq in NOT_KNOWN and ssn:
        errors["ssn_data_quality"] = "An SSN was entered: choose 'Full' or 'Approximate or partial'."
    merged["ssn_data_quality"] = ssn_dq
    if ssn:
        merged["ssn"] = ssn.lower()

    # 3.03 Date of birth.
    dob, dob_dq = merged.get("dob"), merged.get("dob_data_quality")
    if dob_dq is None:
        dob_dq = 1 if dob else DATA_NOT_COLLECTED
    elif dob_dq in (1, 2) and dob is None:
        errors["dob"] = "Enter the date of birth, or choose why it is missing under DOB data quality."
    elif dob_dq in NOT_KNOWN and dob is not None:
        errors["dob_data_quality"] = "A date of birth was entered: choose 'Full' or 'Approximate or partial'."
    merged["dob_data_quality"] = dob_dq

    # 3.04 Race and ethnicity: at least one, or why none.
    any_race = any(merged.get(c) == 1 for c in RACE_COLUMNS)
    for col in RACE_COLUMNS:
        merged[col] = 1 if merged.get(col) == 1 else 0
    if any_race:
        if merged.get("race_none") is not None and "race_none" in values:
            errors["race_none"] = "A race or ethnicity is chosen: leave 'why none' empty."
        merged["race_none"] = None
    elif merged.get("race_none") is None:
        merged["race_none"] = DATA_NOT_COLLECTED

    for col in ("sex", "veteran_status"):
        if merged.get(col) is None:
            merged[col] = DATA_NOT_COLLECTED
    if errors:
        raise RecordInvalid(errors)
    return merged


def _write(client: Client, values: Mapping[str, Any]) -> None:
    """Set cleaned values on an existing client: the one place an update writes its fields."""
    for name, value in values.items():
        if name == "ssn":  # kept encrypted in client_ssn; client.ssn gets the masked form
            sensitive.store(db.session, client, value)
        else:
            setattr(client, name, value)


def snapshot(client: Client) -> dict[str, Any]:
    """The client's fields for the audit log. The SSN itself is never logged: only its
    masked form (``xxxxx1234``, what the profile shows), so that a new number shows as a change."""
    values = {f: getattr(client, f) for f in CLIENT_FIELDS}
    # Masked again: a row a bulk import wrote may hold the number until it is sealed.
    values["ssn"] = sensitive.mask(client.ssn) if client.ssn else None
    return values


@operation("clients.create", permission="clients.edit")
def create_client(actor: Actor, fields: Mapping[str, Any], organization_id: int | None = None) -> Client:
    """Create a client in the local data source (flushed, not committed), owned by the
    actor's agency (``organization_id`` when they work for several)."""
    values = _clean_client(fields)
    ssn = values.pop("ssn", None)
    source = local_source()
    client = Client(data_source_id=source.id, personal_id=new_key(), **values)
    stamp_new(client, actor)
    db.session.add(client)
    db.session.flush()
    sensitive.store(db.session, client, ssn)  # encrypted in client_ssn; client.ssn gets the masked form
    claim_new_client(actor, client, organization_id)
    audit.record("record.create", subject_type="client", subject_id=client.id,
                 details=audit.changes(None, snapshot(client)))
    return client


@operation("clients.update", permission="clients.edit")
def update_client(actor: Actor, client: Client, fields: Mapping[str, Any],
                  expected_date_updated: datetime | str | None = None) -> Client:
    """Change some of a client's fields; refuse if it changed since ``expected_date_updated``."""
    require_client(actor, client)
    if client.date_deleted is not None:
        raise RecordInvalid("This client record was deleted; it cannot be changed.")
    require_unchanged(client, expected_date_updated)
    before = snapshot(client)
    _write(client, _clean_client(fields, current=client))
    stamp_changed(client, actor)
    db.session.flush()
    audit.record("record.update", subject_type="client", subject_id=client.id,
                 details=audit.changes(before, snapshot(client)))
    return client


@operation("clients.apply_form", permission="clients.edit")
def apply_client_fields(actor: Actor, client: Client, fields: Mapping[str, Any], *,
                        blanks_clear: bool = False) -> bool:
    """Set the Client fields a form collected (``fields``: Client attribute -> typed value),
    checked as :func:`create_client` checks them; True when something changed (then audited).

    This is how the forms engine writes a client (``hmis.records.assessments``): the
    profile form of the new and edit client screens, and any assessment that asks a
    Client field. A blank answer keeps the value on file, unless ``blanks_clear`` (the
    profile screen shows every current value, so a blank there is a deliberate clear);
    a blank SSN always keeps the number on file, which no screen ever shows.
    """
    require_client(actor, client)
    if client.date_deleted is not None:
        raise RecordInvalid("This client record was deleted; it cannot be changed.")
    wanted = {name: value for name, value in fields.items()
              if value is not None or (blanks_clear and name != "ssn")}
    if not wanted:
        return False
    before = snapshot(client)
    values = _clean_client(wanted, current=client)
    changed = {name: value for name, value in values.items()
               if (ssn_on_file(client) if name == "ssn" else getattr(client, name)) != value}
    if not changed:
        return False
    _write(client, changed)
    stamp_changed(client, actor)
    db.session.flush()
    audit.record("record.update", subject_type="client", subject_id=client.id,
                 details=audit.changes(before, snapshot(client)))
    return True


def require_unchanged(client: Client, expected_date_updated: datetime | str | None) -> None:
    """Lock the client's row and refuse if it was saved after ``expected_date_updated``
    (the version the screen showed): the second of two editors is told, nothing overwritten."""
    # Lock the row so two saves at the same moment are taken one after the other.
    db.session.execute(select(Client.id).where(Client.id == client.id).with_for_update())
    db.session.refresh(client)
    if expected_date_updated is None:
        return
    expected = (datetime.fromisoformat(expected_date_updated) if isinstance(expected_date_updated, str)
                else expected_date_updated)
    if client.date_updated != expected:
        raise StaleRecord("Someone else saved this client after you opened it. Your changes were not "
                          "saved: reload the page to see theirs, then make your changes again.")


def ssn_on_file(client: Client) -> str | None:
    """The client's SSN as kept, for checking a form again on the server when the person
    left the (never pre-filled) SSN box empty. Never send it to a browser."""
    return sensitive.ssn_of(db.session, client)


@operation("clients.get", permission="clients.view")
def get_client(actor: Actor, client_id: int) -> Client | None:
    """The live client with this surrogate id, if ``actor`` may see it."""
    client = db.session.get(Client, client_id)
    if client is None or client.date_deleted is not None:
        return None
    require_client(actor, client)
    return client
