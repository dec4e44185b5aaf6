"""``hmis definitions validate | sync | diff``."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from hmis.cli import cli

from .conftest import report


@pytest.fixture
def runner(cli_runner):
    return cli_runner


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "report_definitions"
    folder.mkdir()
    (folder / "adults.yaml").write_text(report("adults"))
    (folder / "vets.yaml").write_text(report("vets", filter_="veteran_status = 1"))
    return folder


def test_validate_valid_folder(folder, report_kind, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # no database needed
    result = CliRunner().invoke(cli, ["definitions", "validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 definitions valid"


def test_validate_lists_every_problem_and_exits_1(folder, report_kind):
    (folder / "vets.yaml").write_text(report("vets", filter_="veteran = 1", extra="colour: red\ncolour: blue\n"))
    (folder / "tabs.yaml").write_text("id: tabs\n\tkind: report\n")
    result = CliRunner().invoke(cli, ["definitions", "validate", str(folder), str(folder / "adults.yaml")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    tabs, vets = str(folder / "tabs.yaml"), str(folder / "vets.yaml")
    assert lines[0].startswith(f"{tabs}:2:1: a tab character here")
    assert lines[1] == f"{vets}:8:1: colour: duplicate key 'colour' (first at line 7, again at line 8)"
    assert lines[-1] == "2 problems in 2 of 3 definitions"

    (folder / "vets.yaml").write_text(report("vets", filter_="veteran = 1"))
    result = CliRunner().invoke(cli, ["definitions", "validate", str(folder / "vets.yaml")])
    assert result.exit_code == 1
    assert f"{vets}:6: cells[0].filter: in the rule: unknown name 'veteran'" in result.output


def test_validate_needs_a_kind_outside_the_known_folders(tmp_path, report_kind):
    path = tmp_path / "adults.yaml"
    path.write_text(report("adults"))
    result = CliRunner().invoke(cli, ["definitions", "validate", str(path)])
    assert result.exit_code == 1 and "pass --kind" in result.output
    result = CliRunner().invoke(cli, ["definitions", "validate", "--kind", "report", str(path)])
    assert result.exit_code == 0, result.output


def test_sync_then_diff(runner, folder, report_kind):
    result = runner.invoke(cli, ["definitions", "sync", "--dry-run", str(folder)])
    assert result.exit_code == 0, result.output
    assert "would add    report adults v1" in result.output
    assert "2 new, 0 changed, 0 unchanged, 0 invalid (dry run: nothing written)" in result.output

    result = runner.invoke(cli, ["definitions", "sync", str(folder)])
    assert result.exit_code == 0, result.output
    assert "2 new, 0 changed, 0 unchanged, 0 invalid" in result.output
    result = runner.invoke(cli, ["definitions", "sync", str(folder)])
    assert "0 new, 0 changed, 2 unchanged, 0 invalid" in result.output

    (folder / "adults.yaml").write_text(report("adults", filter_="age >= 21"))
    (folder / "vets.yaml").write_text("id: vets\n")
    result = runner.invoke(cli, ["definitions", "sync", str(folder)])
    assert result.exit_code == 1
    assert "updated      report adults v2" in result.output and "'kind' is missing" in result.output

    result = runner.invoke(cli, ["definitions", "diff", "report", "adults", "1", "2"])
    assert result.exit_code == 0, result.output
    assert "+  - filter: age >= 21" in result.output
    result = runner.invoke(cli, ["definitions", "diff", "report", "adults", "1", "7"])
    assert result.exit_code == 1 and "no version 7 of report definition 'adults'" in result.output


def test_shipped_folders_validate(real_registry):
    """Whatever the Forms, Workflows and Reports issues ship must pass their own checks."""
    result = CliRunner().invoke(cli, ["definitions", "validate"])
    assert result.exit_code == 0, result.output
