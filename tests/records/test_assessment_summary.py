"""A refused household assessment starts with one error summary naming each member's
problems, each linked to its field (both backends)."""
from __future__ import annotations

import re

from hmis.models.forms import FormResponse
from hmis.extensions import db

from .test_assessment_screen import HEAD_ANSWERS, _prefixed, household  # noqa: F401 - the fixture


def test_a_refused_intake_lists_each_members_problems_linked_to_their_fields(household, client):  # noqa: F811
    head, child = household
    url = f"/records/enrollments/{head.id}/assessment/project_start"
    refused = client.post(url, data={"action": "submit", **_prefixed(head, {**HEAD_ANSWERS, "times_homeless": ""})})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    summary = re.search(r'<div class="error-summary"[^>]*data-error-summary>(.*?)</div>', html, re.S).group(1)
    lines = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    targets = {target for target, _ in lines}
    assert any(text.startswith("Luis Diaz: ") for _, text in lines)  # whose form each line is about
    assert any(text.startswith("Rosa Diaz: ") for _, text in lines)
    for target in targets:  # every link names an element on the page
        assert f'id="{target}"' in html, target
    assert db.session.query(FormResponse).count() == 0
