"""``hmis duplicates find`` on both databases."""
import csv

from hmis.identity.cli import duplicates_group
from hmis.interchange.importer import import_export
from hmis.synth import generate


def test_duplicates_find_writes_scored_pairs_with_reasons(app, tmp_path):
    summary = generate(400, tmp_path / "synth.zip", seed=3)
    assert import_export(summary.out).status == "imported"
    out = tmp_path / "pairs.csv"
    result = app.test_cli_runner().invoke(duplicates_group, ["find", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "400 clients" in result.output and "candidate pairs (score >= 9" in result.output
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, result.output
    assert list(rows[0]) == ["PersonalIDA", "DataSourceA", "PersonalIDB", "DataSourceB", "Score", "Reasons"]
    scores = [float(r["Score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert all(r["Reasons"] and r["DataSourceA"] and r["PersonalIDA"] != r["PersonalIDB"] for r in rows)
    with open(summary.truth, newline="", encoding="utf-8") as fh:
        person = {r["PersonalID"]: r["PersonKey"] for r in csv.DictReader(fh)}
    same = sum(person[r["PersonalIDA"]] == person[r["PersonalIDB"]] for r in rows)
    assert same / len(rows) >= 0.9

    strict = app.test_cli_runner().invoke(duplicates_group, ["find", "--out", str(out), "--threshold", "30"])
    assert strict.exit_code == 0 and "0 candidate pairs" in strict.output


def test_broken_settings_file_is_a_clear_error(sqlite_app, tmp_path):
    bad = tmp_path / "matching.yaml"
    bad.write_text("threshold: lots\n")
    result = sqlite_app.test_cli_runner().invoke(
        duplicates_group, ["find", "--out", str(tmp_path / "x.csv"), "--config", str(bad)])
    assert result.exit_code != 0
    assert "'threshold' must be a number" in result.output
