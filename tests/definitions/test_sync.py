"""Installing shipped folders: dry run, new/changed/unchanged/invalid, idempotence."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from hmis.definitions import service
from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.models.definitions import Definition, DefinitionVersion

from .conftest import report


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "report_definitions"
    folder.mkdir()
    (folder / "README.md").write_text("not a definition\n")
    (folder / "fragments").mkdir()
    (folder / "fragments" / "part.yaml").write_text("just: a fragment\n")
    return folder


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_dry_run_writes_nothing_and_says_what_would_change(app, report_kind, tmp_path):
    service.publish(service.save_draft("report", "changed", report("changed")).id)
    service.publish(service.save_draft("report", "same", report("same")).id)
    db.session.commit()
    folder = _folder(tmp_path)
    (folder / "new.yaml").write_text(report("new"))
    (folder / "changed.yaml").write_text(report("changed", filter_="age >= 65"))
    # Same meaning, different spelling: comments, key order, JSON.
    (folder / "same.json").write_text('{"title": "Adults served", "kind": "report", "id": "same",'
                                      ' "cells": [{"filter": "age >= 18", "id": "total"}]}')
    (folder / "broken.yml").write_text(report("broken", filter_="age >="))
    before = (_count(Definition), _count(DefinitionVersion))

    result = sync_folder(folder, dry_run=True)

    assert (_count(Definition), _count(DefinitionVersion)) == before
    assert result.dry_run and not result.ok
    assert result.counts == {"new": 1, "changed": 1, "unchanged": 1, "invalid": 1}
    entries = {entry.path.name: entry for entry in result.entries}
    assert set(entries) == {"new.yaml", "changed.yaml", "same.json", "broken.yml"}
    assert (entries["new.yaml"].status, entries["new.yaml"].version) == ("new", 1)
    assert "+title: Adults served" in entries["new.yaml"].diff
    changed = entries["changed.yaml"]
    assert (changed.status, changed.version) == ("changed", 2)
    assert "-  - filter: age >= 18" in changed.diff and "+  - filter: age >= 65" in changed.diff
    same = entries["same.json"]
    assert (same.status, same.version, same.diff) == ("unchanged", 1, "")
    broken = entries["broken.yml"]
    assert broken.status == "invalid" and broken.problems[0].line == 6
    assert broken.problems[0].path == "cells[0].filter"


def test_sync_installs_and_is_idempotent(app, report_kind, tmp_path):
    folder = _folder(tmp_path)
    (folder / "adults.yaml").write_text(report("adults"))
    (folder / "vets.yaml").write_text(report("vets", filter_="veteran_status = 1"))

    first = sync_folder(folder)
    db.session.commit()
    assert first.counts == {"new": 2, "changed": 0, "unchanged": 0, "invalid": 0}
    assert service.published("report", "vets").body["cells"][0]["filter"] == "veteran_status = 1"
    assert service.published("report", "adults").note == "synced from adults.yaml"
    assert service.published("report", "adults").source_text == report("adults")

    second = sync_folder(folder)
    db.session.commit()
    assert second.counts == {"new": 0, "changed": 0, "unchanged": 2, "invalid": 0}
    assert _count(DefinitionVersion) == 2

    (folder / "vets.yaml").write_text("# now with a comment\n" + report("vets", filter_="veteran_status = 0"))
    third = sync_folder(folder)
    db.session.commit()
    assert third.counts == {"new": 0, "changed": 1, "unchanged": 1, "invalid": 0}
    assert [(v.version, v.status) for v in service.history("report", "vets")] == [(2, "published"), (1, "retired")]


def test_sync_leaves_a_draft_alone(app, report_kind, tmp_path):
    service.publish(service.save_draft("report", "adults", report("adults")).id)
    draft = service.save_draft("report", "adults", report("adults", title="Work in progress"))
    db.session.commit()
    folder = _folder(tmp_path)
    (folder / "adults.yaml").write_text(report("adults", filter_="age >= 19"))
    result = sync_folder(folder)
    db.session.commit()
    (entry,) = result.entries
    assert (entry.status, entry.version) == ("changed", 3)
    assert entry.note == "the unpublished draft v2 is left as it is"
    db.session.expire_all()
    assert db.session.get(DefinitionVersion, draft.id).status == "draft"
    assert db.session.get(DefinitionVersion, draft.id).body["title"] == "Work in progress"


def test_two_files_with_one_id_are_both_refused(app, report_kind, tmp_path):
    folder = _folder(tmp_path)
    (folder / "a.yaml").write_text(report("adults"))
    (folder / "b.yaml").write_text(report("adults", filter_="age > 40"))
    result = sync_folder(folder)
    assert result.counts["invalid"] == 2
    assert "the report id 'adults' is also used by" in result.entries[0].problems[0].message
    assert _count(Definition) == 0


def test_first_start_installs_only_unknown_definitions(app, report_kind, tmp_path):
    """Starting the app must never replace what an HMIS lead published in the browser."""
    from hmis.definitions.sync import sync_paths

    folder = _folder(tmp_path)
    (folder / "edited.yaml").write_text(report("edited"))
    first = sync_paths([folder], only_new=True)
    db.session.commit()
    assert first.counts["new"] == 1

    # The lead publishes a change in the browser; the shipped file still holds the old one.
    service.publish(service.save_draft("report", "edited", report("edited", filter_="age >= 65")).id)
    db.session.commit()
    (folder / "arrived.yaml").write_text(report("arrived"))  # shipped with an upgrade

    second = sync_paths([folder], only_new=True)
    db.session.commit()

    entries = {entry.path.name: entry for entry in second.entries}
    assert entries["edited.yaml"].status == "unchanged"
    assert entries["arrived.yaml"].status == "new"
    assert service.published("report", "edited").version == 2
    assert "age >= 65" in service.published("report", "edited").source_text
