"""The forms engine: versioned YAML/JSON definitions rendered, read and saved as HUD records.

The interface other rooms use (see README.md beside this file)::

    from hmis import forms
    form = forms.load("hud-intake")                      # published version, fragments resolved
    context = forms.context_for(enrollment, "project_start")
    html = forms.render(form, context, values=..., errors=..., prefix="m1-")
    submission = forms.read(form, request.form, context, prefix="m1-")
    forms.responses.save_response(actor, form, context, request.form, submit=True)
    forms.applicable(project, "project_start")           # which forms, and why

Modules, one job each: ``items`` (compiled shapes), ``compile`` (definition -> form,
every check), ``schema`` (JSON Schema + registration with the definitions store),
``fragments``, ``context``, ``logic`` (what is shown, calculations), ``render``,
``read``, ``responses`` (saving, concurrency), ``rules`` (admin/form_rules.yaml),
``views`` (preview and the form-rules page).
"""
from __future__ import annotations

from . import responses, sharing
from .context import FormContext, context_for, contexts_for
from .items import CompiledForm, Item
from .loading import FormNotPublished, load, load_version
from .read import Submission, read
from .render import render
from .rules import Applicable, applicable

__all__ = [
    "Applicable", "CompiledForm", "FormContext", "FormNotPublished", "Item", "Submission", "applicable",
    "context_for", "contexts_for", "load", "load_version", "read", "render", "responses", "sharing",
]
