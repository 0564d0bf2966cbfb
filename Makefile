# RDC Tracker. Two commands for a new user: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK  := $(BIN)/flask --app run

.PHONY: run test install install-dev migrate demo scheduler clean bench bench-writes bench-ocds api-fuzz translations

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load

# Serve the app and run the one scheduler process beside it; Ctrl-C stops both.
run: demo
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl-C stops the web server and the scheduler)"
	@trap 'kill $$SCHEDULER_PID 2>/dev/null; wait $$SCHEDULER_PID 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python -m scheduler & SCHEDULER_PID=$$!; \
	$(FLASK) run --host $(HOST) --port $(PORT)

scheduler: migrate
	$(BIN)/python -m scheduler

# The suite runs on as many workers as there are cores (pytest-xdist); PYTEST_ARGS adds options.
test: install-dev
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# schemathesis against the JSON API with more examples and its coverage phase (minutes, not seconds).
api-fuzz: install-dev
	RDC_SCHEMATHESIS_EXAMPLES=100 RDC_SCHEMATHESIS_COVERAGE=1 $(BIN)/python -m pytest -q tests/api/test_schemathesis.py $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python -m bench.run

# Single reading corrections through gunicorn against the same write in SQL (PostgreSQL).
bench-writes: install-dev
	$(BIN)/python -m bench.writes

# The nightly open-data publication (OCDS packages, CSVs, data.json) of 10,000 contracts and
# 1,000,000 readings: wall, CPU and peak memory against SQL floors (PostgreSQL; BENCH_ARGS=--sqlite adds SQLite).
bench-ocds: install-dev
	$(BIN)/python -m bench.ocds_scale $(BENCH_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

# Re-extract the interface text into the catalogue, bring each language's .po up to date with it
# and compile the .mo files the app reads (commit all three; tests/test_translations.py checks).
TRANSLATIONS := contracts_app/translations
translations: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project "RDC Tracker" --copyright-holder "RDC Tracker contributors" -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel -q update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS) --statistics
