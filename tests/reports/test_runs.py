"""Runs as jobs with stored results, retries, drill-down with its audit event, exports and the CLI."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from hmis.access.operations import Actor, PermissionDenied, system_actor
from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.models import AuditEvent
from hmis.models.reports import ReportRun
from hmis.reports import exports, service
from hmis.reports.parameters import ParameterError

from .builders import World

ROOT = Path(__file__).resolve().parents[2]
RANGE = {"start": "2025-10-01", "end": "2026-09-30"}


@pytest.fixture
def published(app):
    report = sync_folder(ROOT / "report_definitions")
    db.session.commit()
    assert report.ok, report
    return report


def _family(world: World) -> dict[str, str]:
    """A PSH family (mother 35, son 7) who moved in, and a single adult who left an ES for a rental."""
    psh, shelter = world.project(3, project_id="PSH1"), world.project(0, project_id="ES1")
    mom, son, single = world.client("1990-06-01"), world.client("2018-05-01"), world.client("1960-01-01")
    world.enroll(mom, psh, "2025-12-01", household="F1", move_in_date=__import__("datetime").date(2026, 1, 15))
    world.enroll(son, psh, "2025-12-01", household="F1", relationship=2)
    world.enroll(single, shelter, "2026-02-01", exit="2026-03-03", destination=410)
    db.session.commit()
    return {"mom": mom, "son": son, "single": single}


def _table(run: ReportRun, table_id: str) -> dict[str, list]:
    table = next(t for t in run.results["tables"] if t["id"] == table_id)
    return {row["label"]: row["cells"] for row in table["rows"]}


def test_apr_core_tables_by_hand(world, published):
    _family(world)
    run = service.start_run(system_actor(), "apr", RANGE)
    run = db.session.get(ReportRun, run.id)
    assert run.status == "finished", run.error
    q5a = _table(run, "Q5a")
    assert q5a["Total Number of Persons Served"] == [3, 3]
    assert q5a["Number of Adults (Age 18 or Over)"] == [2, 2]
    assert q5a["Number of Leavers"] == [1, 1]
    assert q5a["Number of Adult Heads of Household"] == [2, 2]
    q7a = _table(run, "Q7a")
    # columns: Total, Without Children, With Children and Adults, With Only Children, Unknown
    assert q7a["Adults"] == [2, 1, 1, None, 0]            # E2 grayed
    assert q7a["Children"] == [1, None, 1, 0, 0]           # C3 grayed
    assert q7a["For PSH & RRH - the total persons served who moved into housing"] == [2, 0, 2, 0, 0]
    assert _table(run, "Q8a")["Total Households"] == [2, 1, 1, 0, 0]
    q11 = _table(run, "Q11")
    assert q11["5 - 12"] == [1, None, 1, 0, 0] and q11["35 - 44"][0] == 1 and q11["65+"][0] == 1
    q22 = _table(run, "Q22a1")
    assert q22["30 days or less"] == [1, 1, 0]             # the single adult: 2026-02-01 to 03-03 is 30 days
    assert q22["181 to 365 days"] == [2, 0, 2]             # the family: 2025-12-01 to report end + 1 is 304 days
    q23c = _table(run, "Q23c")
    assert q23c["Rental by client, no ongoing subsidy"][0] == 1
    assert q23c["Percentage"][0] == 1.0
    assert q23c["Homeless Situations"] == [None] * 5       # a section header: blank cells


def test_run_keeps_parameters_version_and_who_ran_it(world, published, make_account):
    _family(world)
    account = make_account(role="analyst")
    actor = Actor(account_id=account.id, role="analyst")
    run = service.start_run(actor, "unduplicated-count", {**RANGE, "coc_codes": ["XX-501"]})
    stored = db.session.get(ReportRun, run.id)
    assert stored.status == "finished" and stored.account_id == account.id and stored.version == 1
    assert stored.parameters["coc_codes"] == ["XX-501"] and stored.job_id
    persons = next(t for t in stored.results["tables"] if t["id"] == "persons")
    assert persons["rows"][0]["cells"] == [3, 1, 2, 0, 0]
    assert persons["rows"][1]["cells"] == [2, 1, 1, 0, 0]


def test_bad_parameters_are_refused_before_anything_is_stored(world, published):
    _family(world)
    with pytest.raises(ParameterError) as raised:
        service.start_run(system_actor(), "apr", {"start": "2026-09-30", "end": "2025-10-01",
                                                  "project_ids": ["NOPE"], "coc_codes": ["bad"]})
    assert set(raised.value.problems) == {"end", "project_ids", "coc_codes"}
    assert "before the start date" in raised.value.problems["end"]
    assert "NOPE" in raised.value.problems["project_ids"]
    db.session.rollback()
    assert db.session.scalars(select(ReportRun)).all() == []


def test_a_failed_run_shows_its_error_and_can_be_retried(world, published, monkeypatch):
    _family(world)
    original = service.ReportEngine.run

    def broken(self, connection, progress=None):
        raise RuntimeError("database went away")

    monkeypatch.setattr(service.ReportEngine, "run", broken)
    run = service.start_run(system_actor(), "unduplicated-count", RANGE)
    failed = db.session.get(ReportRun, run.id)
    assert failed.status == "failed" and "database went away" in failed.error and failed.results is None
    monkeypatch.setattr(service.ReportEngine, "run", original)
    service.retry_run(system_actor(), run.id)
    again = db.session.get(ReportRun, run.id)
    assert again.status == "finished" and again.error is None and again.results["universe_rows"] == 3


def test_drilldown_lists_the_clients_behind_a_cell_and_is_audited(world, published, make_account):
    people = _family(world)
    run = service.start_run(system_actor(), "apr", RANGE)
    # Q7a row "Children" (1), column "Total" (0)
    found = service.drilldown(system_actor(), run.id, "Q7a", 1, 0)
    assert [row["personal_id"] for row in found["rows"]] == [people["son"]] and found["total"] == 1
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.drilldown")).one()
    assert event.subject_id == str(run.id) and event.details["table"] == "Q7a"
    analyst = make_account(email="analyst@example.org", role="analyst")
    with pytest.raises(PermissionDenied):
        service.drilldown(Actor(account_id=analyst.id, role="analyst"), run.id, "Q7a", 1, 0)
    with pytest.raises(LookupError):
        service.drilldown(system_actor(), run.id, "Q7a", 0, 3)  # a grayed cell


def test_exports_hud_zip_csv_xlsx_json(world, published):
    _family(world)
    run = db.session.get(ReportRun, service.start_run(system_actor(), "apr", RANGE).id)
    meta = {"title": run.title}
    with zipfile.ZipFile(io.BytesIO(exports.write("hud-zip", run.results, run.parameters, meta))) as archive:
        names = archive.namelist()
        assert "Q7a.csv" in names and "Q23c.csv" in names and all("/" not in n for n in names)
        q7a = archive.read("Q7a.csv").decode()
    lines = q7a.splitlines()
    assert lines[0].startswith('"","Total","Without Children"')
    assert lines[1] == '"Adults",2,1,1,"",0'
    rows = list(csv.reader(io.StringIO(q7a)))
    assert len(rows) == 7 and rows[6][0].startswith("For PSH")
    with zipfile.ZipFile(io.BytesIO(exports.write("csv-zip", run.results, run.parameters, meta))) as archive:
        assert "parameters.csv" in archive.namelist()
    workbook = exports.write("xlsx", run.results, run.parameters, meta)
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:  # an xlsx is a zip of sheets
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert len(sheets) == 1 + len(run.results["tables"])
    data = json.loads(exports.write("json", run.results, run.parameters, meta))
    assert data["parameters"]["start"] == "2025-10-01" and len(data["tables"]) == len(run.results["tables"])


def test_cli_runs_and_writes_a_report(cli_runner, tmp_path):
    from hmis.cli import cli

    assert cli_runner.invoke(cli, ["definitions", "sync", str(ROOT / "report_definitions")]).exit_code == 0
    listed = cli_runner.invoke(cli, ["report", "list"])
    assert listed.exit_code == 0 and "apr" in listed.output and "data-quality" in listed.output
    out = tmp_path / "apr.zip"
    result = cli_runner.invoke(cli, ["report", "run", "apr", "--start", "2025-10-01", "--end", "2026-09-30",
                                     "--format", "hud-zip", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 rows in the universe" in result.output
    with zipfile.ZipFile(out) as archive:
        assert "Q5a.csv" in archive.namelist()
    bad = cli_runner.invoke(cli, ["report", "run", "apr", "--start", "2026-10-01", "--end", "2026-01-01",
                                  "--project", "NOPE", "--format", "json", "--out", str(tmp_path / "x.json")])
    assert bad.exit_code == 2
    assert "before the start date" in bad.output and "NOPE" in bad.output
    assert not (tmp_path / "x.json").exists()
    missing = cli_runner.invoke(cli, ["report", "run", "nope", "--start", "2025-10-01", "--end", "2026-09-30",
                                      "--out", str(tmp_path / "y.xlsx")])
    assert missing.exit_code == 2 and "no published report 'nope'" in missing.output


def test_drilldown_shows_only_what_the_access_policy_allows(world, published, make_account):
    _family(world)
    staff = make_account(email="cm@example.org", role="case_manager")
    case_manager = Actor(account_id=staff.id, role="case_manager")
    run = service.start_run(case_manager, "apr", RANGE)  # a run is seen only by its runner (and full access)
    # a case manager of no agency may run drill-downs but sees no client behind the number
    found = service.drilldown(case_manager, run.id, "Q7a", 1, 0)
    assert found["total"] == 0 and found["rows"] == []
    assert service.drilldown(system_actor(), run.id, "Q7a", 1, 0)["total"] == 1
