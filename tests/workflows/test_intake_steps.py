"""The intake steps through the test client: choose a project (with beds tonight), choose each
member's relationship to the head, and create a client after seeing the possible matches."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from hmis.extensions import db
from hmis.models import Client, Enrollment, Exit, Project
from hmis.models.workflows import WorkflowInstance
from hmis.records.ids import new_key
from hmis.workflows import engine, intake_steps
from hmis.workflows.engine import WorkflowRefused

from ..web.conftest import browser, serving, sign_in  # noqa: F401 - the browser fixture
from .conftest import WORKFLOWS, World, publish, publish_profile, publish_shipped, staff


@pytest.fixture
def agency_staff(client, make_account, world):
    """A case manager of the world's agency only (not a full-access role), signed in."""
    other = World(project_type=3, beds=None, name="Other Agency Housing")
    other.organization.organization_name = "Elsewhere"
    db.session.commit()
    make_account(email="cm@example.org", role="case_manager", organizations=[world.organization.id])
    signed = client.post("/sign-in", data={"email": "cm@example.org", "password": "correct horse battery"})
    assert signed.status_code in (302, 303)
    client.other = other
    return client


def _start(web) -> tuple[str, int]:
    started = web.post("/workflows/start/project-intake", data={"project_id": ""})
    assert started.status_code == 302
    url = started.headers["Location"]
    return url, int(url.rstrip("/").rsplit("/", 1)[1])


def _instance(instance_id: int) -> WorkflowInstance:
    db.session.expire_all()
    return db.session.get(WorkflowInstance, instance_id)


def _to_enroll_step(web, url: str, head: Client, child: Client) -> None:
    assert web.post(url, data={"revision": "1", "step": "search", "member_ids": [str(head.id)]}).status_code == 302
    moved = web.post(url, data={"revision": "2", "step": "household", "member_ids": [str(child.id), str(head.id)],
                                f"relationship-{child.id}": "2", f"relationship-{head.id}": "1"})
    assert moved.status_code == 302, moved.get_data(as_text=True)


def test_intake_from_the_workflows_page_chooses_project_and_relationships(app, world, agency_staff):
    publish_shipped("project-intake")
    head, child = world.client("Ana", "Doe"), world.client("Ben", "Doe")
    # Tonight the shelter has two people in and one who left: 40 - 2 = 38 beds available.
    for person in (world.client("In", "One"), world.client("In", "Two"), world.client("Gone", "Three")):
        world.enroll(person, date(2025, 1, 1))
    gone = db.session.scalars(select(Enrollment).order_by(Enrollment.id.desc())).first()
    db.session.add(Exit(data_source_id=gone.data_source_id, exit_id=new_key(), enrollment_id=gone.enrollment_id,
                        personal_id=gone.personal_id, exit_date=date(2025, 6, 1), destination=99))
    db.session.commit()

    url, instance_id = _start(agency_staff)
    household_page = None
    assert agency_staff.post(url, data={"revision": "1", "step": "search",
                                        "member_ids": [str(head.id)]}).status_code == 302
    household_page = agency_staff.get(url + "?q=Doe").get_data(as_text=True)
    assert f'name="relationship-{head.id}"' in household_page and f'name="relationship-{child.id}"' in household_page
    assert "Spouse or partner" in household_page and "Data not collected" not in household_page

    # The child is listed first; the head is chosen by the select, and put first by the engine.
    moved = agency_staff.post(url, data={"revision": "2", "step": "household",
                                         "member_ids": [str(child.id), str(head.id)],
                                         f"relationship-{child.id}": "2", f"relationship-{head.id}": "1"})
    assert moved.status_code == 302, moved.get_data(as_text=True)
    state = _instance(instance_id).data
    assert state["member_ids"] == [head.id, child.id] and state["member_relationships"] == [1, 2]

    page = agency_staff.get(url).get_data(as_text=True)
    assert "Harbor Night Shelter" in page and "38 of 40" in page and "40 beds, 40 units" in page
    assert "Other Agency Housing" not in page  # another agency's project is not offered

    done = agency_staff.post(url, data={"revision": "3", "step": "enroll", "project_id": str(world.project.id),
                                        "entry_date": "2026-11-01"})
    assert done.status_code == 302, done.get_data(as_text=True)
    instance = _instance(instance_id)
    assert instance.project_id == world.project.id and instance.data["project_id"] == world.project.id
    rows = db.session.execute(select(Enrollment.personal_id, Enrollment.relationship_to_hoh)
                              .where(Enrollment.id.in_(instance.data["enrollment_ids"]))
                              .order_by(Enrollment.relationship_to_hoh)).all()
    assert [tuple(r) for r in rows] == [(head.personal_id, 1), (child.personal_id, 2)]
    assert "37 of 40" not in page  # (taken before enrolling)
    after = {c.project.id: c for c in intake_steps.project_choices(staff())}[world.project.id]
    assert after.available == 36  # the household of two now counts against tonight's beds


def test_beds_available_tonight_counts_open_enrollments(app, world):
    for n in range(3):
        world.enroll(world.client("Guest", str(n)), date(2025, 1, 1))
    future = world.client("Later", "Guest")
    world.enroll(future, date(2099, 1, 1))  # not in tonight
    db.session.commit()
    found = {c.project.id: c for c in intake_steps.project_choices(staff("case_manager"))}
    assert (found[world.project.id].beds, found[world.project.id].open_enrollments) == (40, 3)
    assert found[world.project.id].available == 37


def test_no_project_or_another_agencys_project_is_refused_and_writes_nothing(app, world, agency_staff):
    publish_shipped("project-intake")
    head, child = world.client("Ana", "Doe"), world.client("Ben", "Doe")
    db.session.commit()
    url, instance_id = _start(agency_staff)
    _to_enroll_step(agency_staff, url, head, child)

    none = agency_staff.post(url, data={"revision": "3", "step": "enroll", "entry_date": "2026-11-01"})
    assert none.status_code == 422 and "&#39;Project&#39; is required at step" in none.get_data(as_text=True)

    other = agency_staff.other.project
    theirs = agency_staff.post(url, data={"revision": "3", "step": "enroll", "project_id": str(other.id),
                                          "entry_date": "2026-11-01"})
    text = theirs.get_data(as_text=True)
    assert theirs.status_code == 422 and "Other Agency Housing&#39; is run by another agency" in text

    missing = agency_staff.post(url, data={"revision": "3", "step": "enroll", "project_id": "999999",
                                           "entry_date": "2026-11-01"})
    assert missing.status_code == 422 and "there is no project 999999" in missing.get_data(as_text=True)
    fraction = agency_staff.post(url, data={"revision": "3", "step": "enroll",
                                            "project_id": f"{world.project.id}.5", "entry_date": "2026-11-01"})
    assert fraction.status_code == 422 and "is not a project" in fraction.get_data(as_text=True)
    assert _instance(instance_id).revision == 3 and _instance(instance_id).project_id is None
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 0


def test_a_step_offers_only_its_project_types(app, world):
    apartments = Project(data_source_id=world.source.id, project_id=new_key(), organization_id=world.organization.organization_id,
                         project_name="Harbor Apartments", project_type=3, continuum_project=1,
                         operating_start_date=date(2020, 1, 1))
    db.session.add(apartments)
    db.session.commit()
    text = (WORKFLOWS / "shelter-check-in.yaml").read_text(encoding="utf-8")
    body = text.replace("id: shelter-check-in", "id: es-only-check-in").replace(
        "    type: choose_project\n", "    type: choose_project\n    project_types: [hud-1]\n", 1)
    assert body != text
    publish("workflow", "es-only-check-in", body)
    actor = staff("case_manager")
    offered = [c.project.id for c in intake_steps.project_choices(actor, ("hud-1",))]
    assert world.project.id in offered and apartments.id not in offered
    instance = engine.start(actor, "es-only-check-in")
    db.session.commit()
    with pytest.raises(WorkflowRefused, match="'Harbor Apartments' is not of the project types step"):
        engine.advance(actor, instance.id, revision=1, step="night",
                       values={"project_id": apartments.id, "night": "2026-11-01"})
    db.session.rollback()
    engine.advance(actor, instance.id, revision=1, step="night", values={"project_id": world.project.id,
                                                                        "night": "2026-11-01"})
    assert db.session.get(WorkflowInstance, instance.id).project_id == world.project.id


def test_a_step_project_type_outside_the_catalogue_is_refused_at_publish(app):
    from hmis.definitions import service

    text = (WORKFLOWS / "project-intake.yaml").read_text(encoding="utf-8")
    body = text.replace("    type: choose_project\n", "    type: choose_project\n    project_types: [hud-99]\n", 1)
    service.save_draft("workflow", "project-intake", body)
    problems = service.validate("workflow", "project-intake")
    assert any("'hud-99' is not a project type" in str(p) for p in problems)


@pytest.mark.parametrize("relationships, message", [
    ({"a": "1", "b": "1"}, "exactly one head of household, but Ana Doe and Ben Doe are each marked"),
    ({"a": "2", "b": "3"}, "choose one member as the head of household"),
    ({"a": "1"}, "choose how Ben Doe is related to the head of household"),
    ({"a": "1", "b": "7"}, "7 is not a relationship to the head of household for Ben Doe"),
])
def test_household_relationship_mistakes_are_refused(app, world, agency_staff, relationships, message):
    publish_shipped("project-intake")
    people = {"a": world.client("Ana", "Doe"), "b": world.client("Ben", "Doe")}
    db.session.commit()
    url, instance_id = _start(agency_staff)
    agency_staff.post(url, data={"revision": "1", "step": "search", "member_ids": [str(people["a"].id)]})
    form = {"revision": "2", "step": "household", "member_ids": [str(p.id) for p in people.values()]}
    form.update({f"relationship-{people[k].id}": code for k, code in relationships.items()})
    refused = agency_staff.post(url, data=form)
    assert refused.status_code == 422 and message in refused.get_data(as_text=True).replace("&#39;", "'")
    assert _instance(instance_id).revision == 2 and _instance(instance_id).step == "household"


def test_engine_refuses_two_heads_for_api_callers(app, world):
    publish_shipped("project-intake")
    head, other = world.client("Ana", "Doe"), world.client("Cy", "Doe")
    actor = staff("intake")
    instance = engine.start(actor, "project-intake")
    db.session.commit()
    engine.advance(actor, instance.id, revision=1, step="search", values={"member_ids": [head.id]})
    with pytest.raises(WorkflowRefused, match="exactly one head of household"):
        engine.advance(actor, instance.id, revision=2, step="household",
                       values={"member_ids": [head.id, other.id], "member_relationships": [1, 1]})


#: The client-profile form's fields, as the step's new-client panel posts them.
P = "hud-client-profile-"


def _typed(first: str, last: str, dob: str, **more) -> dict:
    return {f"{P}name.first": first, f"{P}name.last": last, f"{P}dob.dob": dob, **{P + k: v for k, v in more.items()}}


def _panel_token(web, url: str) -> str:
    import re

    return re.search(r'name="token" value="([^"]+)"', web.get(url).get_data(as_text=True)).group(1)


def test_new_client_shows_possible_matches_before_creating(app, world, agency_staff):
    publish_shipped("project-intake")
    publish_profile()
    world.client("Rosa", "Parks")  # born 1980-01-01
    db.session.commit()
    url, instance_id = _start(agency_staff)
    before = db.session.scalar(select(func.count()).select_from(Client))
    typed = {**_typed("Rosa", "Parks", "1980-01-01"), "token": _panel_token(agency_staff, url)}
    asked = agency_staff.post(f"{url}/new-client", data=typed)
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "1 possible match already on file" in text and "Rosa Parks" in text
    assert 'name="confirm_new" value="1"' in text
    assert f'name="{P}name.first" value="Rosa"' in text  # what was typed stays in the panel
    assert db.session.scalar(select(func.count()).select_from(Client)) == before  # nothing created yet

    made = agency_staff.post(f"{url}/new-client", data={**typed, "confirm_new": "1"})
    assert made.status_code == 303 and "added=" in made.headers["Location"]
    new_id = int(made.headers["Location"].rsplit("added=", 1)[1])
    assert db.session.scalar(select(func.count()).select_from(Client)) == before + 1
    again = agency_staff.post(f"{url}/new-client", data={**typed, "confirm_new": "1"})  # a double click
    assert again.status_code == 303 and again.headers["Location"] == made.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Client)) == before + 1
    page = agency_staff.get(made.headers["Location"]).get_data(as_text=True)
    assert f'value="{new_id}" checked' in page  # ticked, ready to add to the step
    moved = agency_staff.post(url, data={"revision": "1", "step": "search", "member_ids": [str(new_id)]})
    assert moved.status_code == 302 and _instance(instance_id).data["member_ids"] == [new_id]


def test_the_step_is_the_profile_form_with_its_rules_and_ssn_handling(app, world, agency_staff):
    from hmis.models.forms import FormResponse
    from hmis.records.clients import ssn_on_file

    publish_shipped("project-intake")
    publish_profile()
    db.session.commit()
    url, _ = _start(agency_staff)
    html = agency_staff.get(url + "?q=Mia+Stone").get_data(as_text=True)
    assert 'data-form="hud-client-profile"' in html  # the published definition, not fixed fields
    assert f'name="{P}name.first" value="Mia"' in html and f'name="{P}name.last" value="Stone"' in html
    assert f'name="{P}ssn.ssn"' in html and f'name="{P}race"' in html and f'name="{P}name.quality"' in html

    made = agency_staff.post(f"{url}/new-client", data={
        **_typed("Mia", "Stone", "1990-02-03", **{"ssn.ssn": "219-09-9990", "race": ["2"], "sex": "0"}),
        "token": _panel_token(agency_staff, url)})
    assert made.status_code == 303, made.get_data(as_text=True)[:2000]
    client = db.session.scalar(select(Client).where(Client.last_name == "Stone"))
    # Data quality worked out from what was typed; the SSN kept encrypted, only its mask on the row.
    assert (client.name_data_quality, client.dob_data_quality, client.ssn_data_quality) == (1, 1, 1)
    assert ssn_on_file(client) == "219099990" and client.ssn == "xxxxx9990"
    assert (client.asian, client.white, client.sex) == (1, 0, 0)
    saved = db.session.scalar(select(FormResponse).where(FormResponse.client_id == client.id))
    assert saved.form_key == "hud-client-profile" and saved.status == "submitted"
    assert "219099990" not in str(saved.answers)  # a saved answer never holds the number


def test_an_item_the_hmis_lead_adds_to_the_profile_appears_in_the_step(app, world, agency_staff):
    import yaml

    from hmis.custom_data import values_for
    from hmis.definitions import service

    from .conftest import ROOT

    publish_shipped("project-intake")
    body = yaml.safe_load((ROOT / "form_definitions" / "hud-client-profile.yaml").read_text(encoding="utf-8"))
    body["items"].append({"id": "preferred_name", "type": "text", "label": "Preferred name", "required": True,
                          "custom": "local.preferred_name", "custom_owner": "client", "max_length": 60})
    service.publish(service.save_draft("form", "hud-client-profile", yaml.safe_dump(body)).id)
    db.session.commit()
    url, _ = _start(agency_staff)
    assert f'name="{P}preferred_name"' in agency_staff.get(url).get_data(as_text=True)
    refused = agency_staff.post(f"{url}/new-client", data={**_typed("Lee", "Park", "1970-07-07"),
                                                           "token": _panel_token(agency_staff, url)})
    assert refused.status_code == 422 and "Preferred name: This question is required." in refused.get_data(as_text=True)
    made = agency_staff.post(f"{url}/new-client", data={**_typed("Lee", "Park", "1970-07-07", preferred_name="Lee"),
                                                        "token": _panel_token(agency_staff, url)})
    assert made.status_code == 303
    client = db.session.scalar(select(Client).where(Client.last_name == "Park"))
    assert values_for("client", client.id)["local.preferred_name"] == "Lee"


@pytest.mark.parametrize("answers, message", [
    (_typed("", "", ""), "Name: This question is required."),
    (_typed("Ana", "Ruiz", "1850-01-01"), "Date of birth: Enter a date between 1900"),
    (_typed("Ana", "Ruiz", "1990-01-01", **{"ssn.ssn": "12-34"}), "An SSN has 9 digits"),
    (_typed("Ana", "Ruiz", "1990-01-01", **{"name.quality": "8"}), "choose"),
])
def test_bad_answers_are_refused_at_their_item_and_create_nothing(app, world, agency_staff, answers, message):
    from hmis.models.forms import FormResponse

    publish_shipped("project-intake")
    publish_profile()
    db.session.commit()
    url, _ = _start(agency_staff)
    before = db.session.scalar(select(func.count()).select_from(Client))
    bad = agency_staff.post(f"{url}/new-client", data={**answers, "token": _panel_token(agency_staff, url)})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and message in text, text[:3000]
    assert "The new client was not created" in text and "data-error-summary" in text
    assert 'aria-invalid="true"' in text and '<details class="wf-new-client" id="new-client" open>' in text
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Client)) == before
    assert db.session.scalar(select(func.count()).select_from(FormResponse)) == 0


def test_without_a_published_profile_form_the_step_says_so(app, world, agency_staff):
    publish_shipped("project-intake")
    db.session.commit()
    url, _ = _start(agency_staff)
    assert "Ask your HMIS lead to publish it" in agency_staff.get(url).get_data(as_text=True)
    refused = agency_staff.post(f"{url}/new-client", data=_typed("Zed", "Unique", "1990-05-05"))
    assert refused.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Client).where(Client.last_name == "Unique")) == 0


def test_a_hostile_client_name_is_stored_as_text_and_shown_escaped(app, world, agency_staff):
    publish_shipped("project-intake")
    publish_profile()
    db.session.commit()
    url, _ = _start(agency_staff)
    hostile = '<script>alert("x")</script>'
    made = agency_staff.post(f"{url}/new-client", data={**_typed(hostile, "Doe", "1991-01-01"),
                                                        "token": _panel_token(agency_staff, url)})
    assert made.status_code == 303  # a name is text: stored as typed, never interpreted
    page = agency_staff.get(made.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    # Typed again, it is offered as a possible match, escaped there too.
    again = agency_staff.post(f"{url}/new-client", data={**_typed(hostile, "Doe", "1991-01-01"),
                                                         "token": _panel_token(agency_staff, url)})
    text = again.get_data(as_text=True)
    assert again.status_code == 200 and "possible match" in text
    assert "<script>alert" not in text and "&lt;script&gt;alert(" in text


def test_a_client_cannot_be_created_at_a_step_that_is_not_a_search(app, world, agency_staff):
    publish_shipped("project-intake")
    publish_profile()
    head, child = world.client("Ana", "Doe"), world.client("Ben", "Doe")
    db.session.commit()
    url, _ = _start(agency_staff)
    _to_enroll_step(agency_staff, url, head, child)
    before = db.session.scalar(select(func.count()).select_from(Client))
    refused = agency_staff.post(f"{url}/new-client", data=_typed("Late", "Comer", "1990-01-01"))
    assert refused.status_code == 422 and "only at a search or household step" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Client)) == before


@pytest.mark.browser
def test_intake_steps_in_a_phone_browser(sqlite_app, browser):  # noqa: F811
    """Create a client from the search step, pick relationships and a project; no CSP error."""
    from playwright.sync_api import expect

    from hmis.access.accounts import create_account

    create_account("staff@example.org", "Sam Staff", "correct horse battery", "hmis_lead")
    world = World(beds=12)
    world.client("Hana", "Head")
    publish_shipped("project-intake")
    publish_profile()
    db.session.commit()
    problems: list[str] = []
    with serving(sqlite_app) as base:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        sign_in(page, base)
        url, _ = _start_in(page, base)

        page.get_by_text("No match is right? Create a new client").click()
        page.locator(f"[id='{P}name.first']").fill("Kid")
        page.locator(f"[id='{P}name.last']").fill("Newcomer")
        page.locator(f"[id='{P}dob.dob']").fill("2015-04-04")
        page.get_by_role("button", name="Check for matches and create").click()
        expect(page.locator(".flash--success")).to_contain_text("Client created")
        page.get_by_role("button", name="Continue to household").click()

        page.get_by_label("Search clients by name").fill("Hana")
        page.get_by_role("button", name="Search").click()
        page.get_by_label("Hana Head", exact=False).first.check()
        page.get_by_label("Relationship of Hana Head", exact=False).select_option(label="Self (head of household)")
        page.get_by_label("Relationship of Kid Newcomer", exact=False).select_option(label="Child")
        page.get_by_role("button", name="Continue to enroll").click()

        expect(page.locator(".wf-projects")).to_contain_text("12 of 12")
        page.get_by_label("Harbor Night Shelter").check()
        page.get_by_label("Project start date").fill("2026-11-01")
        page.get_by_role("button", name="Continue to intake forms").click()
        expect(page.locator(".flash--success")).to_contain_text("Enrolled 2 in Harbor Night Shelter")
        assert page.url.startswith(url)
    assert problems == []


def _start_in(page, base: str) -> tuple[str, int]:
    page.goto(base + "/workflows/")
    page.locator("form[action$='/workflows/start/project-intake'] button[type=submit]").click()
    page.wait_for_url("**/workflows/instances/*")
    return page.url, int(page.url.rstrip("/").rsplit("/", 1)[1])
