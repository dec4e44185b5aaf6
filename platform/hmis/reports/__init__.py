"""Reports: declarative definitions compiled to SQL, runs as jobs, drill-down, exports.

Modules, one job each:

``library``     the names a definition may use: HUD fields and the built-in HUD derivations
``universe``    the universe as one layered ``SELECT`` (stays, household windows, latest stay, stage records)
``definition``  a report body as objects, and every check a JSON Schema cannot make
``schema``      the provider of definition kind ``report`` (JSON Schema + checks, registered on import)
``parameters``  date range, CoC, projects, project types, funders: parsed and checked once
``engine``      the universe into a temporary table, then one aggregate query per table; drill-down SQL
``service``     the library, runs (stored, as jobs, retried), drill-down through the access policy
``exports``     xlsx, CSV zip, HUD's upload zip, JSON
``cli``         ``hmis report list|run``
``views``       the report library in the browser

Counting people: :func:`hmis.reports.universe.person_key` is the one place that says who a person is.
"""
