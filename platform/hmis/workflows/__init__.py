"""Configured workflows, scheduled work and night-by-night shelter check-in (issue 4).

Modules, one job each:

``schema``         the JSON Schema and publish checks of kind ``workflow`` (graph, guards, roles, actions)
``definition``     a published version as typed objects; value coercion per field kind
``engine``         start, advance (optimistic lock), cancel, history, prioritization lists
``actions``        what steps do: enroll, exit, CE assessment/event, check in, queue a job, due items, notify
``checkin``        the night's roster and the bulk bed-night write (``services.check_in``)
``due``            HUD's annual assessment window and the due-soon / overdue list per project
``scheduler``      annual due, consent expirations, nightly data quality; ``hmis schedule run``
``project_types``  HUD's project types plus local ones (``admin/project_types.yaml``)
``views``/``cli``  the screens and the ``hmis workflow`` / ``hmis schedule`` commands
"""
