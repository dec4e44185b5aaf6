"""docs/safe-parking.md, step by step: a new program type by definitions alone.

The YAML is read from the walkthrough itself, so the page and the product stay in step.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from hmis.definitions import DefinitionError, service
from hmis.extensions import db
from hmis.models import Services
from hmis.models.workflows import Notification
from hmis.records.ids import new_key
from hmis.workflows import engine, project_types
from hmis.workflows.engine import WorkflowRefused

from .conftest import World, publish, staff

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "safe-parking.md"


def doc_blocks() -> dict[str, str]:
    """The walkthrough's YAML blocks, by the file (or rules file) their first line names."""
    blocks = {}
    for block in re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        first, _, rest = block.partition("\n")
        blocks[first.split(":", 1)[1].strip()] = rest
    return blocks


def test_walkthrough_matches_the_shipped_definitions():
    blocks = doc_blocks()
    shipped_workflow = yaml.safe_load((ROOT / "workflows" / "safe-parking-check-in.yaml").read_text())
    assert yaml.safe_load(blocks["workflows/safe-parking-check-in.yaml"]) == shipped_workflow
    shipped_types = yaml.safe_load((ROOT / "admin" / "project_types.yaml").read_text())
    documented = yaml.safe_load(blocks["admin/project_types.yaml"])
    for entry in documented["local_types"]:
        entry["projects"] = []  # the shipped catalogue names no project of the CoC's
    assert documented == shipped_types


def test_a_project_manager_adds_safe_parking_by_definitions_alone(app):
    blocks = doc_blocks()
    # 0. The project, HUD type 1, ProjectID SP-001 (and an ordinary shelter beside it).
    lot = World(project_type=1, beds=25, name="Riverside Safe Parking", project_id="SP-001")
    shelter = World(project_type=1, name="Harbor Night Shelter")
    db.session.commit()
    assert "safe-parking" not in project_types.type_keys_of(lot.project)  # shipped: no project listed

    # 1. The catalogue; a broken version is refused at publish, naming the line.
    broken = blocks["admin/project_types.yaml"].replace("hud_type: 1", "hud_type: 5")
    draft = service.save_draft("admin", "project-types", broken)
    with pytest.raises(DefinitionError) as refused:
        service.publish(draft.id)
    assert "hud_type 5 is not a current HUD project type" in str(refused.value)
    db.session.rollback()
    publish("admin", "project-types", blocks["admin/project_types.yaml"])
    assert project_types.type_keys_of(lot.project) == {"hud-1", "safe-parking"}
    assert project_types.type_keys_of(shelter.project) == {"hud-1"}
    assert [t.label for t in project_types.catalogue() if t.local] == ["Safe Parking"]

    # 2 and 3. The local form and its rule (added to whatever rules the CoC already has).
    rules_module = pytest.importorskip("hmis.forms.rules")
    publish("form", "local-safe-parking-vehicle", blocks["form_definitions/local-safe-parking-vehicle.yaml"])
    rules_file = ROOT / "admin" / "form_rules.yaml"
    rules_body = yaml.safe_load(rules_file.read_text()) if rules_file.exists() else {
        "id": "form-rules", "kind": "admin", "title": "Form rules", "rules": []}
    rules_body["rules"] += yaml.safe_load(blocks["admin/form_rules.yaml"])
    publish("admin", "form-rules", yaml.safe_dump(rules_body, sort_keys=False))
    intake_forms = [a.form for a in rules_module.applicable(lot.project, "project_start", funders=[])]
    assert "local-safe-parking-vehicle" in intake_forms
    assert "local-safe-parking-vehicle" not in [a.form for a in rules_module.applicable(
        shelter.project, "project_start", funders=[])]

    # 4. The workflow.
    publish("workflow", "safe-parking-check-in", blocks["workflows/safe-parking-check-in.yaml"])

    # 5. Using it: only for Safe Parking projects; check in tonight's vehicles.
    with pytest.raises(WorkflowRefused, match="is for project types safe-parking"):
        engine.start(staff(), "safe-parking-check-in", project_id=shelter.project.id)
    db.session.rollback()
    night = date.today() - timedelta(days=1)
    parked = [lot.enroll(lot.client(f"Driver{i}"), night - timedelta(days=10), new_key()) for i in range(3)]
    db.session.commit()
    actor = staff("case_manager", name="Pat Manager")
    instance = engine.start(actor, "safe-parking-check-in", project_id=lot.project.id)
    engine.advance(actor, instance.id, revision=1, step="night",
                   values={"project_id": lot.project.id, "night": night.isoformat()})
    done = engine.advance(actor, instance.id, revision=2, step="check_in",
                          values={"enrollment_ids": [p.id for p in parked], "lot_full": "yes"})
    db.session.commit()
    assert done.instance.status == "completed"
    assert done.messages == [f"Checked in 3 for {night.isoformat()}."]
    nights = db.session.scalars(select(Services).where(Services.date_provided == night)).all()
    assert sorted(s.enrollment_id for s in nights) == sorted(p.enrollment_id for p in parked)
    assert {(s.record_type, s.type_provided) for s in nights} == {(200, 200)}
    assert db.session.scalar(select(Notification.queue)) == "safe-parking"
