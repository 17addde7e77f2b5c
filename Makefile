# The two commands of the README: `make report` and `make test`. Each does its own set-up.
#   make report [YEAR=2025] [AREAS=skolan,miljo] [PDF=0]   (PDF=0: the website only)
#   make test           make lint, then the whole suite, end-to-end tests included
#   make test-fast      make lint, then the unit tests only (skips tests marked slow)
#   make fetch YEAR=2025  fetch the plan's KPIs from Kolada into data/kolada/ ($KOLADA_BASE_URL overrides the API)
#   make local          after editing data/local/values.csv: check it and record its hash
#   make verify [MANIFEST=reports/2025/manifest.json]   prove a report (default: the latest build)
#   make verify MANIFEST=reports/2025/manifest.json DRAFT=reports/2025-utkast/manifest.json   differs only in the status?
#   make publish        archive the built report in reports/<year>/ for committing
#   make example-data   regenerate data/example/ from data/example/generator.yml
#   make lab            JupyterLab on localhost with one ready notebook per goal area (in lab/, git-ignored)
#   make bench          incremental builds against a naive papermill loop, then data scale (bench/README.md)
#   make screenshots    the README's screenshots (docs/screenshots/) from the built website (after make report)
#   make lint           ruff check, ruff format --check (settings in pyproject.toml) and notebooks without outputs
PY := .venv/bin/python
YEAR ?=
AREAS ?=
PDF ?= 1

ARGS := $(if $(YEAR),--year $(YEAR)) $(if $(AREAS),--areas $(AREAS)) $(if $(filter 0 no false,$(PDF)),--no-pdf)

.PHONY: setup report fetch local verify publish test test-fast lint lab example-data clean bench screenshots

setup:
	@bash scripts/setup.sh

report: setup
	$(PY) run_all.py build $(ARGS)

fetch: setup
	@test -n "$(YEAR)" || { echo "make fetch needs the report year: make fetch YEAR=2025"; exit 2; }
	$(PY) run_all.py fetch --year $(YEAR)

local: setup
	$(PY) run_all.py local

verify: setup
	$(PY) run_all.py verify $(MANIFEST) $(if $(DRAFT),--draft $(DRAFT))

publish: setup
	$(PY) run_all.py publish

test: lint
	$(PY) -m pytest

test-fast: lint
	$(PY) -m pytest -m "not slow"

# Checks only, fixes nothing (`.venv/bin/ruff check --fix .` and `.venv/bin/ruff format .` fix);
# the same checks as the git hook (.pre-commit-config.yaml). All three run, and lint fails if any fails.
lint: setup
	@status=0; \
	.venv/bin/ruff check . || status=1; \
	.venv/bin/ruff format --check . || status=1; \
	.venv/bin/nbstripout --keep-id --verify notebooks/*.ipynb || status=1; \
	exit $$status

lab: setup
	$(PY) -m followup.lab

bench: setup
	$(PY) bench/incremental.py
	$(PY) bench/data_scale.py

screenshots: report
	$(PY) scripts/screenshots.py

example-data: setup
	$(PY) -m followup.example_data

clean: setup
	$(PY) run_all.py clean
