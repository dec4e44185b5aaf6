"""With no published ``form-rules`` definition, the rules file is parsed once per
version of the file (its modification time and size), not on every page."""
from __future__ import annotations

import os

import pytest

from hmis.forms import rules

RULES = """rules:
  - {id: everyone, stage: project_start, form: hud-intake}
"""


@pytest.fixture
def rules_path(tmp_path, monkeypatch):
    path = tmp_path / "form_rules.yaml"
    path.write_text(RULES, "utf-8")
    monkeypatch.setattr(rules, "rules_file", lambda: path)
    parsed = []
    real = rules.yaml.safe_load
    monkeypatch.setattr(rules.yaml, "safe_load", lambda text: parsed.append(text) or real(text))
    return path, parsed


def test_the_file_is_parsed_again_only_when_it_changes(rules_path):
    path, parsed = rules_path
    first = rules.load_rules()
    assert [r.form for r in first] == ["hud-intake"]
    first.clear()  # a caller changing its list does not change the kept rules
    assert [r.form for r in rules.load_rules()] == ["hud-intake"] and len(parsed) == 1
    path.write_text(RULES.replace("hud-intake", "hud-intake-short"), "utf-8")
    later = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(later, later))  # a clock too coarse to see the rewrite is not what is tested here
    assert [r.form for r in rules.load_rules()] == ["hud-intake-short"] and len(parsed) == 2


def test_a_file_with_problems_is_refused_every_time_until_fixed(rules_path):
    path, parsed = rules_path
    path.write_text("rules:\n  - {id: x, stage: nowhere, form: hud-intake}\n", "utf-8")
    for _ in range(2):
        with pytest.raises(rules.RulesError, match="stage must be one of"):
            rules.load_rules()
    path.write_text(RULES + "\n", "utf-8")
    assert [r.form for r in rules.load_rules()] == ["hud-intake"]
