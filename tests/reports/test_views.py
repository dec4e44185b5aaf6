"""The report library pages: list and search, run with parameters, results, drill-down, compare, download."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.models import AuditEvent
from hmis.models.reports import ReportRun

from .builders import World

ROOT = Path(__file__).resolve().parents[2]


def _setup():
    sync_folder(ROOT / "report_definitions")
    world = World()
    shelter = world.project(0, project_id="ES1", name="Harbor <Shelter>")
    world.enroll(world.client("1980-01-01"), shelter, "2026-01-01", exit="2026-02-01", destination=410)
    world.enroll(world.client("2016-01-01"), shelter, "2026-01-01")
    db.session.commit()


def test_library_run_results_drilldown_compare_and_download(signed_in):
    _setup()
    page = signed_in.get("/reports/?q=annual")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "CoC Annual Performance Report" in html and "Data quality" not in html
    assert signed_in.get("/reports/").get_data(as_text=True).count("report-card\"") >= 3

    form = signed_in.get("/reports/apr/run")
    assert form.status_code == 200 and "Harbor &lt;Shelter&gt; (ES1)" in form.get_data(as_text=True)
    bad = signed_in.post("/reports/apr/run", data={"start": "2026-09-30", "end": "2025-10-01",
                                                   "project_ids": ["ES1"]})
    assert bad.status_code == 422 and "before the start date" in bad.get_data(as_text=True)
    assert db.session.scalars(select(ReportRun)).all() == []

    ran = signed_in.post("/reports/apr/run", data={"start": "2025-10-01", "end": "2026-09-30",
                                                   "project_ids": ["ES1"]})
    assert ran.status_code == 303
    run_url = ran.headers["Location"]
    result = signed_in.get(run_url).get_data(as_text=True)
    assert "Q7a. Number of Persons Served" in result
    links = re.findall(r'href="(/reports/runs/\d+/cells/Q7a/1/0)"', result)
    assert links, "every cell links to its clients"
    drill = signed_in.get(links[0])
    assert drill.status_code == 200 and "2016" not in drill.get_data(as_text=True)  # no DOBs shown
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.drilldown")).all()

    second = signed_in.post("/reports/apr/run", data={"start": "2026-01-15", "end": "2026-09-30"})
    first_id, second_id = int(run_url.rsplit("/", 1)[1]), int(second.headers["Location"].rsplit("/", 1)[1])
    compare = signed_in.get(f"/reports/compare?a={first_id}&b={second_id}")
    assert compare.status_code == 200 and f"#{second_id}" in compare.get_data(as_text=True)

    for name in ("xlsx", "csv-zip", "hud-zip", "json"):
        download = signed_in.get(f"/reports/runs/{first_id}/download/{name}")
        assert download.status_code == 200 and download.data
    assert signed_in.get(f"/reports/runs/{first_id}/download/pdf").status_code == 404


def test_analysts_see_numbers_but_not_clients(client, make_account):
    _setup()
    make_account(email="analyst@example.org", role="analyst")
    client.post("/sign-in", data={"email": "analyst@example.org", "password": "correct horse battery"})
    ran = client.post("/reports/unduplicated-count/run", data={"start": "2025-10-01", "end": "2026-09-30"})
    assert ran.status_code == 303
    page = client.get(ran.headers["Location"]).get_data(as_text=True)
    assert "/cells/" not in page
    run_id = ran.headers["Location"].rsplit("/", 1)[1]
    assert client.get(f"/reports/runs/{run_id}/cells/persons/0/0").status_code == 403


def test_the_form_offers_only_the_parameters_a_report_takes(signed_in):
    _setup()
    apr = signed_in.get("/reports/apr/run").get_data(as_text=True)
    ce = signed_in.get("/reports/ce-apr/run").get_data(as_text=True)
    assert 'name="project_types"' in apr and 'name="project_types"' not in ce
    assert 'name="funders"' in ce and signed_in.get("/reports/nope/run").status_code == 404


def test_a_failed_run_shows_its_error_and_retries_from_the_page(signed_in, monkeypatch):
    from hmis.reports import service

    _setup()
    original = service.ReportEngine.run
    monkeypatch.setattr(service.ReportEngine, "run", lambda self, connection, progress=None: 1 / 0)
    ran = signed_in.post("/reports/unduplicated-count/run", data={"start": "2025-10-01", "end": "2026-09-30"})
    page = signed_in.get(ran.headers["Location"]).get_data(as_text=True)
    assert "This run failed: ZeroDivisionError" in page and "Try again with the same parameters" in page
    monkeypatch.setattr(service.ReportEngine, "run", original)
    run_id = int(ran.headers["Location"].rsplit("/", 1)[1])
    assert signed_in.post(f"/reports/runs/{run_id}/retry").status_code == 303
    assert db.session.get(ReportRun, run_id).status == "finished"
    assert "Persons and households served" in signed_in.get(ran.headers["Location"]).get_data(as_text=True)
