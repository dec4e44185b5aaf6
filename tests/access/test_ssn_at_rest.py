"""The SSN at rest, end to end (both backends): no table holds it in the clear after a
create, an update, an import, a merge or an undo; search, exports, matching, the profile
page and key rotation still work with it encrypted."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from hmis.access import crypto, sensitive
from hmis.access.operations import Actor
from hmis.extensions import db
from hmis.interchange.exporter import export_csv
from hmis.interchange.hashing import hash_ssn
from hmis.interchange.importer import import_export
from hmis.models import AuditEvent, Client
from hmis.models.privacy import ClientSSN
from hmis.records.clients import create_client, search_clients, ssn_on_file, update_client

from ..interchange.builders import base_records, write_export

LEAD = Actor(account_id=None, role="hmis_lead", name="Test lead")


def tables_holding(value: str) -> list[str]:
    """Every table with a row whose text (any column, JSON included) contains the SSN
    ``value``, with or without dashes."""
    forms = (value, f"{value[:3]}-{value[3:5]}-{value[5:]}")
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            texts = [json.dumps(v, default=str) if isinstance(v, (dict, list)) else str(v) for v in row]
            if any(f in t for f in forms for t in texts):
                found.append(table.name)
                break
    return found


def new_client(ssn: str = "123-45-6780", first: str = "Ada", last: str = "Lovelace") -> Client:
    client = create_client(LEAD, {"first_name": first, "last_name": last, "dob": "1980-05-17", "ssn": ssn})
    db.session.commit()
    return client


def test_create_and_update_keep_only_the_masked_form_in_client(app):
    client = new_client()
    assert client.ssn == "xxxxx6780" and client.ssn_data_quality == 1
    row = db.session.get(ClientSSN, client.id)
    assert row.ssn_valid and row.masked == "xxxxx6780" and row.key_id == crypto.key_id()
    assert ssn_on_file(client) == "123456780"
    assert tables_holding("123456780") == []

    update_client(LEAD, client, {"ssn": "219-09-9990"})
    db.session.commit()
    assert client.ssn == "xxxxx9990" and ssn_on_file(client) == "219099990"
    # Updating another field keeps the number (and its token) on file.
    token = db.session.get(ClientSSN, client.id).ssn_encrypted
    update_client(LEAD, client, {"first_name": "Augusta"})
    db.session.commit()
    assert db.session.get(ClientSSN, client.id).ssn_encrypted == token and ssn_on_file(client) == "219099990"
    assert tables_holding("219099990") == [] and tables_holding("123456780") == []

    update_client(LEAD, client, {"ssn": None, "ssn_data_quality": 99})
    db.session.commit()
    assert client.ssn is None and db.session.get(ClientSSN, client.id) is None


def test_a_partial_or_made_up_ssn_is_flagged_invalid_for_the_data_quality_checks(app):
    made_up = new_client("123-45-6789")
    partial = create_client(LEAD, {"first_name": "Bo", "last_name": "Ek", "dob": "1980-01-01", "ssn": "xxxxx4321",
                                   "ssn_data_quality": 2})
    db.session.commit()
    assert not db.session.get(ClientSSN, made_up.id).ssn_valid
    assert not db.session.get(ClientSSN, partial.id).ssn_valid
    assert [sensitive.is_valid(s) for s in ("219099990", "000123456", "666123456", "912345678", "123001234",
                                            "123450000", "555555555", "987654321")] == [True] + [False] * 7


def test_search_by_the_whole_ssn_finds_the_client_through_its_keyed_hash(app):
    wanted = new_client("219-09-9990", first="Ada", last="Lovelace")
    new_client("219-09-9991", first="Grace", last="Hopper")
    found = search_clients(LEAD, ssn_last4="219099990")
    assert found[0].client.id == wanted.id and "SSN same" in found[0].reasons
    assert all(m.client.id != wanted.id for m in search_clients(LEAD, ssn_last4="219-09-9992"))
    assert any(m.client.id == wanted.id for m in search_clients(LEAD, ssn_last4="9990"))  # last four still work


def _import(folder, records) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = write_export(folder / "export.zip", records)
    result = import_export(path)
    assert result.status == "imported", result.log


def _client_csv(path) -> dict[str, dict[str, str]]:
    with zipfile.ZipFile(path) as archive:
        rows = list(csv.DictReader(io.TextIOWrapper(archive.open("Client.csv"), encoding="utf-8")))
    return {r["PersonalID"]: r for r in rows}


def test_import_seals_ssns_and_both_exports_give_the_right_values(app, tmp_path):
    records = base_records()
    records["Client"][0]["SSN"] = "219099990"
    records["Client"][1].update({"SSN": "xxxxx1234", "SSNDataQuality": "2"})
    _import(tmp_path, records)
    clients = {c.personal_id: c for c in db.session.scalars(select(Client))}
    assert clients["C1"].ssn == "xxxxx9990" and clients["C2"].ssn == "xxxxx1234"
    assert db.session.query(ClientSSN).count() == 2
    assert tables_holding("219099990") == []

    plain = _client_csv(export_csv(tmp_path / "plain.zip").path)
    assert plain["C1"]["SSN"] == "219099990" and plain["C2"]["SSN"] == "xxxxx1234"
    hashed = _client_csv(export_csv(tmp_path / "hashed.zip", hashed=True).path)
    assert hashed["C1"]["SSN"] == hash_ssn("219099990") and hashed["C1"]["SSN"].startswith("9990")
    assert hashed["C2"]["SSN"] == hash_ssn("xxxxx1234")

    # A newer export of the same source changes one SSN and drops the other: the import
    # replaces the encrypted one and removes the one no longer given.
    records["Client"][0].update({"SSN": "219099991", "DateUpdated": "2026-01-01 00:00:00"})
    records["Client"][1].update({"SSN": "", "SSNDataQuality": "99", "DateUpdated": "2026-01-01 00:00:00"})
    _import(tmp_path / "again", records)
    db.session.expire_all()
    clients = {c.personal_id: c for c in db.session.scalars(select(Client))}
    assert clients["C1"].ssn == "xxxxx9991" and ssn_on_file(clients["C1"]) == "219099991"
    assert clients["C2"].ssn is None and db.session.get(ClientSSN, clients["C2"].id) is None


def test_merge_moves_the_encrypted_ssn_and_undo_puts_the_survivors_back(app):
    from hmis.identity.merge import merge_clients, undo_merge

    survivor = new_client("219-09-9990", first="Ada", last="Lovelace")
    merged = new_client("219-09-9991", first="Ada", last="Lovelace")
    record = merge_clients(LEAD, survivor.id, merged.id, {"ssn": "merged"})
    db.session.commit()
    assert survivor.ssn == "xxxxx9991" and ssn_on_file(survivor) == "219099991"
    assert tables_holding("219099990") == [] and tables_holding("219099991") == []
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "client.merge")).one()
    assert "old_encrypted" not in json.dumps(event.details)

    undo_merge(LEAD, record.id)
    db.session.commit()
    db.session.expire_all()
    survivor, merged = db.session.get(Client, survivor.id), db.session.get(Client, merged.id)
    assert ssn_on_file(survivor) == "219099990" and ssn_on_file(merged) == "219099991"
    assert tables_holding("219099990") == [] and tables_holding("219099991") == []


def test_a_wrong_key_fails_with_a_clear_message_not_garbage(app_factory, tmp_path):
    first = app_factory("sqlite")
    with first.app_context():
        new_client("219-09-9990")
        database = first.config["DATABASE_URL"]
    other = app_factory("sqlite", DATABASE_URL=database, ENCRYPTION_KEY=Fernet.generate_key().decode())
    with other.app_context():
        client = db.session.scalars(select(Client)).one()
        with pytest.raises(crypto.DecryptionError, match="HMIS_ENCRYPTION_KEY"):
            ssn_on_file(client)
        with pytest.raises(crypto.DecryptionError):
            export_csv(tmp_path / "out.zip")
        assert not (tmp_path / "out.zip").exists()


def test_rotation_re_encrypts_with_the_new_key_and_search_works_throughout(app_factory):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    first = app_factory("sqlite", ENCRYPTION_KEY=old_key)
    with first.app_context():
        wanted = new_client("219-09-9990").id
        database = first.config["DATABASE_URL"]
    rotating = app_factory("sqlite", DATABASE_URL=database, ENCRYPTION_KEY=new_key, RETIRED_ENCRYPTION_KEYS=(old_key,))
    with rotating.app_context():
        assert search_clients(LEAD, ssn_last4="219099990")[0].client.id == wanted  # old hash still found
        with db.engine.begin() as connection:
            assert sensitive.rotate(connection, batch_size=1) == 1
        assert db.session.get(ClientSSN, wanted).key_id == crypto.key_id()
    after = app_factory("sqlite", DATABASE_URL=database, ENCRYPTION_KEY=new_key)
    with after.app_context():
        client = db.session.get(Client, wanted)
        assert ssn_on_file(client) == "219099990"
        assert search_clients(LEAD, ssn_last4="219-09-9990")[0].client.id == wanted


def test_matching_sees_the_whole_numbers(app):
    from hmis.identity.cli import load_client_records

    new_client("219-09-9990")
    assert [r.ssn for r in load_client_records()] == ["219099990"]


def test_the_profile_shows_the_last_four_and_reveals_the_number_only_to_roles_allowed(app, make_account):
    client = new_client("219-09-9990")
    for role, allowed in (("hmis_lead", True), ("auditor", False)):
        browser = app.test_client()
        make_account(email=f"{role}@example.org", role=role)
        browser.post("/sign-in", data={"email": f"{role}@example.org", "password": "correct horse battery"})
        page = browser.get(f"/clients/{client.id}").get_data(as_text=True)
        assert "•••-••-9990" in page and "219-09-9990" not in page
        assert ("Show full SSN" in page) is allowed
        revealed = browser.post(f"/clients/{client.id}/ssn")
        assert revealed.status_code == (200 if allowed else 403)
        assert ("219-09-9990" in revealed.get_data(as_text=True)) is allowed
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "client.ssn_reveal")).all()
    assert len(events) == 1 and events[0].subject_id == str(client.id)
    assert "219099990" not in json.dumps(events[0].details)


def test_seal_encrypts_what_was_written_straight_into_client(app):
    client = new_client("219-09-9990")
    db.session.execute(text("UPDATE client SET ssn = '219099991' WHERE id = :id"), {"id": client.id})
    connection = db.session.connection()
    assert sensitive.seal_plaintext_ssns(connection) == 1
    assert sensitive.seal_plaintext_ssns(connection) == 0  # nothing left to seal
    db.session.commit()
    db.session.expire_all()
    client = db.session.get(Client, client.id)
    assert client.ssn == "xxxxx9991" and ssn_on_file(client) == "219099991"


def test_the_profile_screen_keeps_no_plain_ssn_in_the_saved_form(signed_in):
    from hmis.definitions.sync import sync_folder
    from hmis.forms.fragments import shipped_folder
    from hmis.forms.rules import rules_file

    from ..records.test_views import _new_client

    assert sync_folder(shipped_folder()).ok
    sync_folder(rules_file().parent)
    db.session.commit()
    response, _ = _new_client(signed_in, ssn="219-09-9990")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    client = db.session.scalars(select(Client)).one()
    assert client.ssn == "xxxxx9990" and ssn_on_file(client) == "219099990"
    assert tables_holding("219099990") == []


def test_the_rotate_command_re_encrypts_in_batches_and_says_so(cli_runner, monkeypatch, tmp_path):
    from hmis import create_app
    from hmis.cli import cli

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("HMIS_ENCRYPTION_KEY", old_key)
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    app = create_app({"TESTING": True})
    with app.app_context():
        ids = [new_client(f"219-09-999{n}", first=f"Person{n}").id for n in range(3)]
        db.session.remove()
        db.engine.dispose()
    monkeypatch.setenv("HMIS_ENCRYPTION_KEY", new_key)
    monkeypatch.setenv("HMIS_RETIRED_ENCRYPTION_KEYS", old_key)
    result = cli_runner.invoke(cli, ["ssn", "rotate", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "3 SSNs re-encrypted" in result.output
    monkeypatch.delenv("HMIS_RETIRED_ENCRYPTION_KEYS")
    after = create_app({"TESTING": True})
    with after.app_context():
        assert [ssn_on_file(db.session.get(Client, i)) for i in ids] == ["219099990", "219099991", "219099992"]
        db.session.remove()
        db.engine.dispose()
