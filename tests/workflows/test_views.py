"""The workflow screens through the test client: start, take steps, refusals, races, lists."""
from __future__ import annotations

from datetime import date

from hmis.extensions import db
from hmis.models.workflows import WorkflowInstance

from .conftest import publish_shipped


def test_index_lists_published_workflows_and_shelters(app, world, signed_in):
    publish_shipped("shelter-check-in")
    html = signed_in.get("/workflows/").get_data(as_text=True)
    assert "Shelter check-in (night by night)" in html
    assert "Harbor Night Shelter" in html
    assert 'href="/workflows/"' in signed_in.get("/").get_data(as_text=True)  # in the main navigation


def test_take_steps_in_the_browser_and_lose_a_race_politely(app, world, signed_in):
    publish_shipped("project-intake")
    person = world.client("Rosa", "Parks")
    db.session.commit()
    started = signed_in.post("/workflows/start/project-intake", data={"project_id": ""})
    assert started.status_code == 302
    url = started.headers["Location"]
    instance_id = int(url.rstrip("/").rsplit("/", 1)[1])

    page = signed_in.get(url + "?q=Ros").get_data(as_text=True)
    assert "Find the head of household" in page and "Rosa Parks" in page and 'name="revision" value="1"' in page

    empty = signed_in.post(url, data={"revision": "1", "step": "search"})
    assert empty.status_code == 422 and "is required at step" in empty.get_data(as_text=True)

    moved = signed_in.post(url, data={"revision": "1", "step": "search", "member_ids": [str(person.id)]})
    assert moved.status_code == 302
    stale = signed_in.post(url, data={"revision": "1", "step": "search", "member_ids": [str(person.id)]})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone else moved this workflow on by Test Staff" in text
    db.session.expire_all()
    assert db.session.get(WorkflowInstance, instance_id).revision == 2
    history = signed_in.get(url).get_data(as_text=True)
    assert "Household members" in history and "Test Staff" in history


def test_due_and_prioritization_pages(app, world, signed_in):
    head = world.client("Hana", "Head")
    world.enroll(head, date(2025, 3, 10), "HH", 1)
    db.session.commit()
    html = signed_in.get(f"/workflows/due/{world.project.id}?today=2026-04-15").get_data(as_text=True)
    assert "Hana Head" in html and "Overdue" in html and "2026-02-08 – 2026-04-09" in html
    publish_shipped("ce-referral")
    page = signed_in.get("/workflows/prioritization/ce-referral")
    assert page.status_code == 200 and "Vulnerability score" in page.get_data(as_text=True)
    assert signed_in.get("/workflows/prioritization/project-intake").status_code == 404


def test_form_step_lists_the_forms_the_rules_pick(app, world, signed_in):
    from hmis.workflows import engine

    from .conftest import staff

    publish_shipped("annual-assessment")
    instance = engine.start(staff(), "annual-assessment", project_id=world.project.id)
    db.session.commit()
    html = signed_in.get(f"/workflows/instances/{instance.id}").get_data(as_text=True)
    assert "Annual assessment for each member" in html
    from hmis.forms.rules import applicable

    expected = [a.form for a in applicable(world.project, "annual")]
    assert all(key in html for key in expected)
    assert expected or "No form rule applies" in html


def test_notices_show_on_the_index(app, world, signed_in):
    from hmis.models.workflows import Notification

    db.session.add(Notification(queue="ce-referrals", message="A referral is waiting for Harbor."))
    db.session.commit()
    assert "A referral is waiting for Harbor." in signed_in.get("/workflows/").get_data(as_text=True)
    notice_id = db.session.scalar(db.select(Notification.id))
    assert signed_in.post(f"/workflows/notices/{notice_id}/dismiss").status_code == 303
    assert "A referral is waiting for Harbor." not in signed_in.get("/workflows/").get_data(as_text=True)


def test_shelter_check_in_workflow_in_the_browser(app, world, signed_in):
    from datetime import timedelta

    from hmis.models import Services

    publish_shipped("shelter-check-in")
    night = date.today() - timedelta(days=1)
    guests = world.many(2, night - timedelta(days=3))
    db.session.commit()
    started = signed_in.post("/workflows/start/shelter-check-in", data={"project_id": str(world.project.id)})
    url = started.headers["Location"]
    assert signed_in.post(url, data={"revision": "1", "step": "night", "project_id": str(world.project.id),
                                     "night": night.isoformat()}).status_code == 302
    page = signed_in.get(url).get_data(as_text=True)
    assert "Guest0000 Sample" in page and "Guest0001 Sample" in page  # tonight's roster as choices
    done = signed_in.post(url, data={"revision": "2", "step": "check_in",
                                     "enrollment_ids": [str(g.id) for g in guests]})
    assert done.status_code == 302
    assert "Checked in 2 for" in signed_in.get(url).get_data(as_text=True)
    assert db.session.query(Services).count() == 2


def test_index_links_prioritization_and_due_lists(app, world, signed_in):
    publish_shipped("ce-referral")
    html = signed_in.get("/workflows/").get_data(as_text=True)
    assert 'href="/workflows/prioritization/ce-referral"' in html
    picked = signed_in.get(f"/workflows/due?project_id={world.project.id}")
    assert picked.status_code == 302 and picked.headers["Location"].endswith(f"/workflows/due/{world.project.id}")


def test_every_shipped_workflow_renders_each_step_it_reaches(app, world, signed_in):
    from .conftest import WORKFLOWS

    lot = world.project
    for path in sorted(WORKFLOWS.glob("*.yaml")):
        publish_shipped(path.stem)
    from hmis.workflows import definition

    for path in sorted(WORKFLOWS.glob("*.yaml")):
        workflow = definition.published(path.stem)
        if "safe-parking" in workflow.project_types:
            continue  # needs the catalogue to list a project (test_safe_parking)
        started = signed_in.post(f"/workflows/start/{path.stem}", data={"project_id": str(lot.id)})
        assert started.status_code == 302, path.stem
        page = signed_in.get(started.headers["Location"])
        html = page.get_data(as_text=True)
        assert page.status_code == 200, (path.stem, html[:300])
        first = workflow.step(workflow.start)
        assert first.title in html and 'name="revision" value="1"' in html, path.stem
        for name in first.collects:
            assert f'name="{name}"' in html or workflow.fields[name].type == "list of number", (path.stem, name)
