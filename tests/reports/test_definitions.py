"""Definitions of kind "report": the shipped ones are valid; bad ones are refused at publish with every error."""
from __future__ import annotations

from pathlib import Path

import pytest

from hmis.definitions import check_source
from hmis.definitions import service as definitions
from hmis.definitions.problems import DefinitionError
from hmis.extensions import db

ROOT = Path(__file__).resolve().parents[2]

BAD = """\
id: broken
kind: report
title: Broken
attributes:
  - name: band
    expression: "age >= "
tables:
  - id: T
    title: T
    columns: no_such_set
    rows:
      - {label: A, when: "agee > 3"}
      - {group: destination, codes: "9.99"}
      - {group: destination, codes: "3.12", only: [410, 12345]}
      - {label: B, measure: {sum: "household_type"}}
  - id: T
    title: Same id
    rows:
      - {label: C, when: "project_type"}
"""


@pytest.mark.parametrize("path", sorted((ROOT / "report_definitions").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_report_definitions_are_valid(path):
    checked = check_source("report", path.read_text(), path.stem, filename=path.name)
    assert checked.problems == []


def test_every_problem_is_reported_with_its_line():
    checked = check_source("report", BAD, "broken", filename="broken.yaml")
    messages = {(p.path, p.line): p.message for p in checked.problems}
    paths = {path for path, _ in messages}
    assert "attributes[0].expression" in paths            # bad syntax
    assert "tables[0].columns" in paths                   # unknown column set
    assert "tables[0].rows[0].when" in paths              # unknown name, with a suggestion
    assert "tables[0].rows[1].codes" in paths             # missing code list
    assert "tables[0].rows[2].only" in paths              # a code not in the list
    assert "tables[0].rows[3].measure.sum" in paths       # a sum of text
    assert "tables[1].id" in paths                        # duplicate table id
    assert "tables[1].rows[0].when" in paths              # a number where yes/no is needed
    assert "did you mean 'age'" in messages[("tables[0].rows[0].when", 12)]
    assert all(line is not None for _, line in messages)


def test_publish_refuses_a_bad_report_and_keeps_nothing_published(app):
    version = definitions.save_draft("report", "broken", BAD)
    db.session.commit()
    with pytest.raises(DefinitionError) as raised:
        definitions.publish(version.id)
    assert len(raised.value.problems) >= 8
    db.session.rollback()
    assert definitions.published("report", "broken") is None
