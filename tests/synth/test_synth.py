"""hmis synth: determinism, file layout, integrity and realism of the synthetic export."""
from __future__ import annotations

import csv
import io
import random
import zipfile
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from hmis.hud import SPEC
from hmis.synth import generate
from hmis.synth.cli import synth_command
from hmis.synth.people import make_duplicate, make_person, make_ssn, typo

ALL_TYPES = {0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14}
N = 1500


def read(zf: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    with zf.open(f"{name}.csv") as fh:
        return list(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8", newline="")))


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> tuple[Path, Path, dict[str, list[dict[str, str]]]]:
    out = tmp_path_factory.mktemp("synth") / "export.zip"
    summary = generate(N, out, seed=7)
    with zipfile.ZipFile(out) as zf:
        data = {f.name: read(zf, f.name) for f in SPEC}
    return out, summary.truth, data


def test_same_arguments_give_identical_bytes(tmp_path):
    a, b = tmp_path / "a.zip", tmp_path / "b" / "b.zip"
    generate(300, a, seed=3)
    generate(300, b, seed=3)
    assert a.read_bytes() == b.read_bytes()
    assert (tmp_path / "a.truth.csv").read_bytes() == (tmp_path / "b" / "b.truth.csv").read_bytes()
    generate(300, tmp_path / "c.zip", seed=4)
    assert (tmp_path / "c.zip").read_bytes() != a.read_bytes()


def test_all_24_files_with_exact_headers(export):
    out, _, _ = export
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == [f.filename for f in SPEC]
        for f in SPEC:
            first = zf.open(f.filename).readline().decode("utf-8").rstrip("\n")
            assert first == ",".join(c.name for c in f.columns), f.name


def test_row_counts_and_export_row(export):
    _, _, data = export
    assert len(data["Client"]) == N
    (row,) = data["Export"]
    assert (row["ExportPeriodType"], row["ExportDirective"], row["HashStatus"]) == ("3", "2", "1")
    assert row["CSVVersion"] == "2026 v1.0" and row["SoftwareName"] == "hmis synth"
    for name, rows in data.items():
        assert all(r["ExportID"] == row["ExportID"] for r in rows), name
        for r in rows:
            assert len(r) == len(SPEC[name].columns)


def test_referential_integrity(export):
    _, _, data = export
    ids = {name: {r[SPEC[name].key.name] for r in rows} for name, rows in data.items()}
    for hud_file in SPEC:
        for column in hud_file.references:
            target_file, target_col = column.references.split(".")
            targets = {r[target_col] for r in data[target_file]}
            values = {r[column.name] for r in data[hud_file.name] if r[column.name]}
            assert values <= targets, f"{column.element} -> {column.references}"
    users = ids["User"]
    for name, rows in data.items():
        if name not in ("User", "Export"):
            assert {r["UserID"] for r in rows} <= users, name
    enrollments = {r["EnrollmentID"]: r for r in data["Enrollment"]}
    for name in ("Exit", "IncomeBenefits", "HealthAndDV", "Disabilities", "Services",
                 "CurrentLivingSituation", "Assessment", "Event"):
        for r in data[name]:
            assert enrollments[r["EnrollmentID"]]["PersonalID"] == r["PersonalID"], name


def test_every_project_type_has_projects_and_clients(tmp_path):
    generate(500, tmp_path / "small.zip", seed=11)
    with zipfile.ZipFile(tmp_path / "small.zip") as zf:
        projects = {r["ProjectID"]: int(r["ProjectType"]) for r in read(zf, "Project")}
        enrolled = {projects[r["ProjectID"]] for r in read(zf, "Enrollment")}
        rows = read(zf, "Project")
    assert set(projects.values()) == ALL_TYPES
    assert enrolled == ALL_TYPES
    for r in rows:
        assert (r["RRHSubType"] != "") == (r["ProjectType"] == "13")


def test_duplicates_and_truth_file(export):
    _, truth, data = export
    with open(truth, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["PersonalID", "PersonKey", "DuplicateOf", "ErrorKinds"]
    assert [r["PersonalID"] for r in rows] == [r["PersonalID"] for r in data["Client"]]
    dups = [r for r in rows if r["DuplicateOf"]]
    assert abs(len(dups) / N - 0.10) <= 0.01
    by_id = {r["PersonalID"]: r for r in rows}
    originals = [r for r in rows if not r["DuplicateOf"]]
    assert len({r["PersonKey"] for r in originals}) == len(originals)
    kinds = Counter()
    for d in dups:
        original = by_id[d["DuplicateOf"]]
        assert not original["DuplicateOf"] and original["PersonKey"] == d["PersonKey"]
        kinds.update(k for k in d["ErrorKinds"].split(";") if k)
    assert {"typo_first", "typo_last", "missing_ssn", "swap_names"} <= set(kinds)
    # Every duplicate record has its own enrollments.
    enrolled = {r["PersonalID"] for r in data["Enrollment"]}
    assert all(d["PersonalID"] in enrolled for d in dups)


def test_duplicate_errors_are_applied():
    rng = random.Random(5)
    person = make_person(rng, "1", "K1", date(1980, 3, 14).toordinal(), 1)
    for i in range(200):
        dup, kinds = make_duplicate(rng, person, str(i + 2))
        if "missing_ssn" in kinds:
            assert dup.ssn == "" and dup.ssn_dq == 99
        if "partial_ssn" in kinds:
            assert dup.ssn.startswith("xxxxx") and dup.ssn_dq == 2
        if any(k.startswith("dob") for k in kinds):
            assert dup.dob_text != person.dob_text
            date.fromisoformat(dup.dob_text)
        if kinds == ["swap_names"]:
            assert (dup.first, dup.last) == (person.last, person.first)
    for _ in range(100):
        changed = typo(rng, "Johnson", 2)
        assert changed[0] == "J" and abs(len(changed) - 7) <= 2


def test_ssns_look_valid():
    rng = random.Random(1)
    for _ in range(5000):
        ssn = make_ssn(rng)
        assert len(ssn) == 9 and ssn.isdigit()
        assert ssn[:3] not in ("000", "666") and ssn[0] != "9"
        assert ssn[3:5] != "00" and ssn[5:] != "0000"


def test_bed_nights_only_in_night_by_night_shelters(export):
    _, _, data = export
    ptype = {r["ProjectID"]: r["ProjectType"] for r in data["Project"]}
    enrollment_type = {r["EnrollmentID"]: ptype[r["ProjectID"]] for r in data["Enrollment"]}
    nights = [r for r in data["Services"] if r["RecordType"] == "200"]
    assert nights
    assert all(r["TypeProvided"] == "200" for r in nights)
    assert {enrollment_type[r["EnrollmentID"]] for r in nights} == {"1"}


def test_dates_are_ordered(export):
    _, _, data = export
    exits = {r["EnrollmentID"]: r for r in data["Exit"]}
    for e in data["Enrollment"]:
        x = exits.get(e["EnrollmentID"])
        if x:
            assert x["ExitDate"] >= e["EntryDate"]
        if e["MoveInDate"]:
            assert e["MoveInDate"] >= e["EntryDate"]
            assert x is None or e["MoveInDate"] <= x["ExitDate"]
        assert "2020-10-01" <= e["EntryDate"] <= "2026-09-30"
    for r in data["Services"]:
        e_id = r["EnrollmentID"]
        x = exits.get(e_id)
        assert x is None or r["DateProvided"] <= x["ExitDate"]
    for r in data["Client"]:
        assert len(r["DateCreated"]) == 19 and r["DateCreated"][10] == " "


def test_one_head_of_household_per_household(export):
    _, _, data = export
    heads = Counter(r["HouseholdID"] for r in data["Enrollment"] if r["RelationshipToHoH"] == "1")
    households = {r["HouseholdID"] for r in data["Enrollment"]}
    assert all(heads[h] == 1 for h in households)
    projects = defaultdict(set)
    for r in data["Enrollment"]:
        projects[r["HouseholdID"]].add(r["ProjectID"])
    assert all(len(p) == 1 for p in projects.values())
    relations = Counter(r["RelationshipToHoH"] for r in data["Enrollment"])
    assert {"1", "2", "3", "4", "5"} <= set(relations)


def test_money_and_income_flags_agree(export):
    _, _, data = export
    for r in data["IncomeBenefits"]:
        if r["IncomeFromAnySource"] == "1":
            amounts = [r[c.name] for c in SPEC["IncomeBenefits"].columns
                       if c.name.endswith("Amount") and r[c.name]]
            assert amounts and all(a.count(".") == 1 and len(a.split(".")[1]) == 2 for a in amounts)
            assert abs(sum(map(float, amounts)) - float(r["TotalMonthlyIncome"])) < 0.01
        elif r["IncomeFromAnySource"] == "0":
            assert r["TotalMonthlyIncome"] == "0.00"
    stages = Counter(r["DataCollectionStage"] for r in data["IncomeBenefits"])
    assert {"1", "3", "5"} <= set(stages)


def test_race_none_only_without_race(export):
    _, _, data = export
    races = ("AmIndAKNative", "Asian", "BlackAfAmerican", "HispanicLatinao", "MidEastNAfrican",
             "NativeHIPacific", "White")
    for r in data["Client"]:
        ticked = any(r[c] == "1" for c in races)
        assert ticked != bool(r["RaceNone"])


def _chronic(e: dict[str, str], ptype: int, impaired: bool) -> str:
    """HUD's 3.917 chronic-at-start test for one adult (reports.md §1.1), simplified."""
    dc = "1" if impaired else e["DisablingCondition"]
    if dc != "1":
        return "NO" if dc == "0" else "UNKNOWN"
    living = int(e["LivingSituation"] or 99)
    if ptype not in (0, 1, 4, 8) and not 100 <= living < 200:
        if e["LOSUnderThreshold"] != "1" or e["PreviousStreetESSH"] != "1":
            return "NO"
    if e["DateToStreetESSH"]:
        days = (date.fromisoformat(e["EntryDate"]) - date.fromisoformat(e["DateToStreetESSH"])).days
        if days >= 365:
            return "YES"
    if e["TimesHomelessPastThreeYears"] != "4":
        return "NO" if e["TimesHomelessPastThreeYears"] in ("1", "2", "3") else "UNKNOWN"
    if e["MonthsHomelessPastThreeYears"] in ("112", "113"):
        return "YES"
    return "NO" if e["MonthsHomelessPastThreeYears"].startswith("1") else "UNKNOWN"


def test_chronic_homelessness_is_represented(export):
    _, _, data = export
    ptype = {r["ProjectID"]: int(r["ProjectType"]) for r in data["Project"]}
    impaired = {r["EnrollmentID"] for r in data["Disabilities"]
                if r["DataCollectionStage"] == "1" and r["IndefiniteAndImpairs"] == "1"}
    results = Counter(_chronic(e, ptype[e["ProjectID"]], e["EnrollmentID"] in impaired)
                      for e in data["Enrollment"] if e["LivingSituation"])
    total = sum(results.values())
    assert 0.08 < results["YES"] / total < 0.4
    assert results["NO"] / total > 0.4
    assert results["UNKNOWN"] > 0


def test_every_code_is_valid(export):
    from hmis.hud.codelists import is_valid, list_for

    _, _, data = export
    bad = Counter()
    for hud_file in SPEC:
        for row in data[hud_file.name]:
            for column in hud_file.columns:
                value = row[column.name]
                if value == "":
                    continue
                list_id = list_for(column, row)
                if list_id and not is_valid(list_id, value):
                    bad[(column.element, value)] += 1
    assert not bad, bad.most_common(10)


def test_cli_standalone(tmp_path):
    out = tmp_path / "cli.zip"
    result = CliRunner().invoke(synth_command, ["--clients", "120", "--out", str(out), "--seed", "2",
                                                "--duplicates", "0.2", "--truth", str(tmp_path / "t.csv")])
    assert result.exit_code == 0, result.output
    assert "Client.csv" in result.output and out.exists() and (tmp_path / "t.csv").exists()
    with open(tmp_path / "t.csv", newline="") as fh:
        dups = sum(1 for r in csv.DictReader(fh) if r["DuplicateOf"])
    assert dups == 24
