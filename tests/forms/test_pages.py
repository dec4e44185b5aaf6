"""The definition management and form pages, through the Flask test client."""
from __future__ import annotations

import textwrap

import pytest
from sqlalchemy import func, select

from hmis.definitions import service
from hmis.extensions import db
from hmis.models import AuditEvent, IncomeBenefits
from hmis.models.forms import FormResponse

from .sample import FORM, INCOME_FRAGMENT


@pytest.fixture
def published(signed_in, publish_form):
    publish_form(INCOME_FRAGMENT)
    publish_form(FORM)
    return signed_in


def test_list_view_and_diff(published, publish_form):
    page = published.get("/definitions/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "test-intake" in text and "fragment-test-income" in text and "fragment" in text
    publish_form(FORM.replace("Prior living situation", "Where did you stay"))
    show = published.get("/definitions/form/test-intake").get_data(as_text=True)
    assert "v2" in show and "Where did you stay" in show and "Preview as a case manager" in show
    diff = published.get("/definitions/form/test-intake/diff?a=1&b=2").get_data(as_text=True)
    assert "-    label: Prior living situation" in diff and "+    label: Where did you stay" in diff


def test_editing_shows_problems_at_their_line_and_publish_refuses(published):
    broken = FORM.replace("earned_amount / household_size", "earned_amount / houshold_size")
    broken = textwrap.dedent(broken).replace("  - id: pet\n", "  - id: pet\n    color: blue\n")
    response = published.post("/definitions/form/test-intake/edit", data={"source": broken})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Saved draft v2" in text
    assert "unknown name &#39;houshold_size&#39;" in text and "did you mean &#39;household_size&#39;" in text
    assert "color" in text and 'href="#line-' in text
    draft = service.latest("form", "test-intake")
    assert draft.status == "draft"
    refused = published.post(f"/definitions/form/test-intake/v{draft.version}/publish")
    assert refused.status_code == 422 and "was not published" in refused.get_data(as_text=True)
    assert service.published("form", "test-intake").version == 1


def test_malformed_yaml_is_not_saved_and_says_where(published):
    response = published.post("/definitions/form/test-intake/edit", data={"source": "id: test-intake\nitems: [\n"})
    assert response.status_code == 422
    assert 'href="#line-' in response.get_data(as_text=True)
    assert service.latest("form", "test-intake").version == 1


def test_upload_publish_and_retire(published):
    text = "id: local-note\nkind: form\ntitle: Note <b>bold</b>\nitems:\n  - {id: note, type: text, label: Note}\n"
    response = published.post("/definitions/new", data={"kind": "form", "source": text})
    assert response.status_code == 302
    assert published.post("/definitions/form/local-note/v1/publish").status_code == 302
    assert service.published("form", "local-note").version == 1
    listing = published.get("/definitions/").get_data(as_text=True)
    assert "Note &lt;b&gt;bold&lt;/b&gt;" in listing and "<b>bold</b>" not in listing
    assert published.post("/definitions/form/local-note/v1/retire").status_code == 302
    assert service.published("form", "local-note") is None


def test_preview_renders_and_a_test_submission_saves_nothing(published):
    page = published.get("/forms/preview/test-intake")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="preview-income_any"' in text and "js/forms.js" in text
    answers = {"preview-entry_date": "2026-10-01", "preview-income_any": "1", "preview-earned": "1",
               "preview-earned_amount": "50", "preview-physical": "0", "preview-notes": "<script>x</script>"}
    result = published.post("/forms/preview/test-intake", data=answers)
    text = result.get_data(as_text=True)
    assert "Test submission: nothing was saved" in text and "IncomeBenefits" in text and "EarnedAmount" in text
    assert "<script>x</script>" not in text and "&lt;script&gt;x&lt;/script&gt;" in text
    assert db.session.scalar(select(func.count()).select_from(FormResponse)) == 0
    assert db.session.scalar(select(func.count()).select_from(IncomeBenefits)) == 0
    missing = published.post("/forms/preview/test-intake", data={"preview-income_any": "1", "preview-earned": "1"})
    assert "This question is required." in missing.get_data(as_text=True)


def test_preview_of_a_broken_draft_lists_the_problems(published):
    published.post("/definitions/form/test-intake/edit",
                   data={"source": textwrap.dedent(FORM).replace("earned_amount / household_size", "earnd / household_size")})
    response = published.get("/forms/preview/test-intake?v=2")
    assert response.status_code == 422 and "earnd" in response.get_data(as_text=True)


def test_shown_endpoint_answers_what_to_show(published):
    version = service.published("form", "test-intake")
    response = published.post("/forms/shown", data={"_ctx_version_id": version.id, "_ctx_stage": "project_start",
                                                    "_ctx_prefix": "p-", "p-income_any": "0"})
    shown = response.get_json()["shown"]
    assert "income_any" in shown and "incomes" not in shown
    shown = published.post("/forms/shown", data={"_ctx_version_id": version.id, "_ctx_prefix": "p-",
                                                 "p-income_any": "1", "p-earned": "1"}).get_json()["shown"]
    assert "earned_amount" in shown


def test_form_rules_page_explains_why(published, make_enrollment):
    enrollment = make_enrollment(project_type=1, funders=(8,))
    from hmis.models import Project

    project = db.session.scalar(select(Project).where(Project.project_id == enrollment.project_id))
    page = published.get(f"/forms/rules?project={project.id}").get_data(as_text=True)
    assert "hud-bed-night" in page and "nbn-bed-nights" in page and "hud-services" in page


def test_looking_needs_definitions_view_and_changing_needs_manage(client, make_account):
    make_account("cm@example.org", role="case_manager")
    client.post("/sign-in", data={"email": "cm@example.org", "password": "correct horse battery"})
    assert client.get("/definitions/").status_code == 403
    assert client.post("/definitions/new", data={"kind": "form", "source": "id: x"}).status_code == 403
    assert client.get("/forms/rules").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) >= 1
