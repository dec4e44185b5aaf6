"""The `hmis` command builds the app itself: no FLASK_APP needed."""
import zipfile

import pytest

from hmis.cli import cli

from .interchange.builders import write_export


@pytest.fixture
def runner(cli_runner):
    return cli_runner


def test_import_then_export(runner, tmp_path):
    source = write_export(tmp_path / "in.zip")
    result = runner.invoke(cli, ["import-csv", str(source), "--issues", str(tmp_path / "issues.csv")])
    assert result.exit_code == 0, result.output
    assert "imported (FY2026, source TEST1/XX-501)" in result.output
    assert (tmp_path / "issues.csv").read_text().startswith("severity,file,row")
    result = runner.invoke(cli, ["export-csv", "--out", str(tmp_path / "out.zip"), "--start", "2025-10-01",
                                 "--end", "2026-09-30"])
    assert result.exit_code == 0, result.output
    assert len(zipfile.ZipFile(tmp_path / "out.zip").namelist()) == 24


def test_rejected_import_exits_non_zero_with_the_reason(runner, tmp_path):
    source = write_export(tmp_path / "in.zip", skip=("Client",))
    result = runner.invoke(cli, ["import-csv", str(source)])
    assert result.exit_code == 1
    assert "Client.csv is missing" in result.output


def test_bad_date_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli, ["export-csv", "--out", str(tmp_path / "o.zip"), "--start", "2025-13-01",
                                 "--end", "2026-01-01"])
    assert result.exit_code == 2 and "not a date in YYYY-MM-DD form" in result.output


def test_garbage_setting_stops_the_command(runner, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "http://nope")
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 2 and "REDIS_URL" in result.output
