# Two commands do all set-up on a fresh machine:
#   make run    start the app on the embedded default (SQLite, jobs inline, demo data)
#   make test   run the whole test suite (SQLite always; PostgreSQL and Redis when running)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench assets clean

$(BIN)/hmis: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/hmis

platform/hmis/web/static/vendor/htmx.min.js: package.json package-lock.json scripts/vendor_assets.py
	npm ci --silent --no-audit --no-fund
	$(PYTHON) scripts/vendor_assets.py

assets: platform/hmis/web/static/vendor/htmx.min.js

run: $(BIN)/hmis assets
	HMIS_DEMO_DATA=$${HMIS_DEMO_DATA:-1} $(BIN)/hmis start

test: $(BIN)/hmis assets
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(BIN)/hmis
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules platform/hmis/web/static/vendor instance
