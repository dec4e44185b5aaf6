"""A stored run is seen only by whoever ran it and by full-access roles (issue 6).

Everyone else gets 404, exactly as for a run id that does not exist, on every page that
takes a run id: the run page, download, drill-down, compare and retry; and the run is
left out of their history lists.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from hmis.access.operations import Actor, system_actor
from hmis.definitions.sync import sync_folder
from hmis.extensions import db
from hmis.models.reports import ReportRun
from hmis.reports import service

from .builders import World

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def _signed_in(app, make_account, email: str, role: str):
    account = make_account(email=email, role=role)
    browser = app.test_client()
    response = browser.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    return browser, account


@pytest.fixture
def setup(app, make_account):
    sync_folder(ROOT / "report_definitions")
    world = World()
    shelter = world.project(0, project_id="ES1")
    world.enroll(world.client("1980-01-01"), shelter, "2026-01-01", exit="2026-02-01", destination=410)
    db.session.commit()
    owner, owner_account = _signed_in(app, make_account, "owner@example.org", "case_manager")
    ran = owner.post("/reports/apr/run", data={"start": "2025-10-01", "end": "2026-09-30"})
    assert ran.status_code == 303
    run_id = int(ran.headers["Location"].rsplit("/", 1)[1])
    return {"owner": owner, "owner_account": owner_account, "run_id": run_id}


def _urls(run_id: int) -> list[str]:
    return [f"/reports/runs/{run_id}", f"/reports/runs/{run_id}/download/json",
            f"/reports/runs/{run_id}/cells/Q7a/0/0", f"/reports/compare?a={run_id}&b={run_id}"]


def test_the_runner_sees_their_run_and_its_clients(setup):
    owner, run_id = setup["owner"], setup["run_id"]
    for url in _urls(run_id):
        assert owner.get(url).status_code == 200, url
    assert f"/reports/runs/{run_id}" in owner.get("/reports/").get_data(as_text=True)


def test_another_case_manager_gets_404_as_for_a_missing_run(app, make_account, setup):
    other, _ = _signed_in(app, make_account, "other@example.org", "case_manager")
    run_id = setup["run_id"]
    for url in _urls(run_id):
        assert other.get(url).status_code == 404, url
        assert other.get(url.replace(str(run_id), "999999")).status_code == 404
    assert other.post(f"/reports/runs/{run_id}/retry").status_code == 404
    assert f"/reports/runs/{run_id}" not in other.get("/reports/").get_data(as_text=True)
    assert f"/reports/runs/{run_id}" not in other.get("/reports/apr/run").get_data(as_text=True)


@pytest.mark.parametrize("role", ["hmis_lead", "system_admin", "auditor"])
def test_full_access_roles_see_every_run(app, make_account, setup, role):
    browser, _ = _signed_in(app, make_account, f"{role}@example.org", role)
    run_id = setup["run_id"]
    assert browser.get(f"/reports/runs/{run_id}").status_code == 200
    assert browser.get(f"/reports/runs/{run_id}/download/json").status_code == 200
    assert f"/reports/runs/{run_id}" in browser.get("/reports/").get_data(as_text=True)


def test_the_service_refuses_someone_elses_run(setup):
    run_id = setup["run_id"]
    stranger = Actor(account_id=setup["owner_account"].id + 1000, role="case_manager")
    owner = Actor(account_id=setup["owner_account"].id, role="case_manager")
    with pytest.raises(service.RunNotFound):
        service.run_for(stranger, run_id)
    with pytest.raises(service.RunNotFound):
        service.drilldown(stranger, run_id, "Q7a", 0, 0)
    with pytest.raises(service.RunNotFound):
        service.retry_run(stranger, run_id)
    assert service.run_for(owner, run_id).id == run_id
    assert service.run_for(system_actor(), run_id).id == run_id
    # an actor with no account (not the system) owns nothing, even runs with no account
    db.session.get(ReportRun, run_id).account_id = None
    db.session.flush()
    with pytest.raises(service.RunNotFound):
        service.run_for(Actor(account_id=None, role="case_manager"), run_id)
    assert db.session.scalars(service.visible_runs(stranger)).all() == []
    assert [r.id for r in db.session.scalars(service.visible_runs(system_actor()))] == [run_id]
