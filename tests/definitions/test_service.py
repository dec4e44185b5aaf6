"""Draft, publish, retire, validate and diff against the database, on both backends."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hmis.definitions import DefinitionError, DefinitionNotFound, service
from hmis.extensions import db
from hmis.models.definitions import Definition, DefinitionVersion

from .conftest import report


def test_lifecycle(app, report_kind):
    first = service.save_draft("report", "adults", report(), note="first cut")
    assert (first.version, first.status, first.note) == (1, "draft", "first cut")
    assert first.body["cells"][0]["filter"] == "age >= 18"
    again = service.save_draft("report", "adults", report(title="Adults (all)"))
    assert again.id == first.id and again.version == 1  # the one draft is edited in place
    assert service.published("report", "adults") is None

    service.publish(first.id)
    db.session.commit()
    assert service.published("report", "adults").version == 1
    assert db.session.execute(select(Definition.title)).scalar() == "Adults (all)"

    second = service.save_draft("report", "adults", report(filter_="age >= 21"))
    assert (second.version, second.status) == (2, "draft")
    assert service.published("report", "adults").version == 1  # a draft changes nothing in use
    service.publish(second.id)
    db.session.commit()
    assert [(v.version, v.status) for v in service.history("report", "adults")] == [(2, "published"), (1, "retired")]
    assert service.get_version("report", "adults", 1).retired_dt is not None

    third = service.save_draft("report", "adults", report(filter_="age >= 25"))
    assert third.version == 3
    service.retire(third.id)  # discarding a draft
    assert service.save_draft("report", "adults", report()).version == 4

    service.retire(second.id)
    db.session.commit()
    assert service.published("report", "adults") is None


def test_publish_is_idempotent_and_can_roll_back(app, report_kind):
    v1 = service.save_draft("report", "adults", report())
    service.publish(v1.id)
    service.publish(v1.id)
    v2 = service.save_draft("report", "adults", report(filter_="age > 30"))
    service.publish(v2.id)
    service.publish(v1.id)  # roll back to v1
    db.session.commit()
    assert service.published("report", "adults").version == 1
    assert service.get_version("report", "adults", 2).status == "retired"


def test_a_draft_may_be_invalid_but_publishing_refuses_it_listing_every_problem(app, report_kind):
    text = report(key="adults", filter_="agee >= 18", extra="colour: red\n").replace("title: Adults served\n", "")
    draft = service.save_draft("report", "adults", text)
    db.session.commit()
    problems = service.validate("report", "adults")
    assert [(p.line, p.path) for p in problems] == [(1, ""), (5, "cells[0].filter")]
    with pytest.raises(DefinitionError) as raised:
        service.publish(draft.id)
    assert raised.value.problems == problems
    assert "report 'adults' v1: 2 problems" in str(raised.value)
    assert "line 5: cells[0].filter: in the rule: unknown name 'agee'" in str(raised.value)
    db.session.rollback()
    assert service.get_version("report", "adults", 1).status == "draft"
    assert service.validate("report", draft) == problems
    assert service.validate("report", "adults", version=1) == problems


def test_text_that_does_not_parse_is_not_even_a_draft(app):
    with pytest.raises(DefinitionError) as raised:
        service.save_draft("form", "intake", "id: intake\ntitle: [unclosed\n")
    assert raised.value.problems[0].line is not None
    with pytest.raises(DefinitionError, match="not a usable id"):
        service.save_draft("form", "Bad Key!", "id: x\n")
    assert db.session.execute(select(func.count()).select_from(Definition)).scalar() == 0


def test_lookups_of_what_does_not_exist(app):
    assert service.published("form", "nope") is None
    assert service.get_version("form", "nope", 1) is None
    with pytest.raises(DefinitionNotFound):
        service.history("form", "nope")
    with pytest.raises(DefinitionNotFound):
        service.validate("form", "nope")
    with pytest.raises(DefinitionNotFound):
        service.publish(12345)


def test_the_database_allows_only_one_published_version(app):
    definition = Definition(kind="form", key="intake", title="Intake")
    db.session.add(definition)
    db.session.flush()
    for number in (1, 2):
        db.session.add(DefinitionVersion(definition_id=definition.id, version=number, status="published",
                                         body={}, source_text="{}", checksum="x"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_diff_shows_the_changed_line(app, report_kind):
    service.publish(service.save_draft("report", "adults", report()).id)
    service.save_draft("report", "adults", "# reordered, commented, same meaning\n" + report(filter_="age >= 21"))
    text = service.diff("report", "adults", 1, 2)
    assert "--- report adults v1 (published)" in text
    assert "+++ report adults v2 (draft)" in text
    assert "-  - filter: age >= 18" in text and "+  - filter: age >= 21" in text
    assert "title" not in text  # only the change, with a little context
    assert service.diff("report", "adults", 1, 1) == ""
    with pytest.raises(DefinitionNotFound, match="no version 9"):
        service.diff("report", "adults", 1, 9)


def test_two_concurrent_publishes_leave_exactly_one_published(app, report_kind):
    v1 = service.save_draft("report", "adults", report())
    service.publish(v1.id)
    definition = v1.definition
    drafts = [service.add_version(definition, report(filter_=f"age >= {n}"), {"id": "adults"}, None, None).id
              for n in (20, 30)]  # publishing checks the source text
    db.session.commit()

    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def publish(version_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                service.publish(version_id)
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=publish, args=(version_id,)) for version_id in drafts + [drafts[0]]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    db.session.expire_all()
    statuses = dict(db.session.execute(select(DefinitionVersion.version, DefinitionVersion.status)).all())
    assert statuses[1] == "retired"
    assert sorted([statuses[2], statuses[3]]) == ["published", "retired"]
