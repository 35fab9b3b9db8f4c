# Two commands: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
DEMO   ?= 1
# pytest workers: one per CPU this process may use, at most 4 (each builds its own demo county)
WORKERS ?= $(shell $(PYTHON) -c 'import os; print(min(4, len(os.sched_getaffinity(0))))')
PIP    := $(BIN)/python -m pip install --disable-pip-version-check --no-warn-script-location -q

.PHONY: run prestart test bench lint lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(PIP) -r requirements.lock
	@touch $@

$(VENV)/.installed-test: requirements-test.lock $(VENV)/.installed
	$(PIP) -r requirements-test.lock
	@touch $@

## run: install, create/migrate the database, load the demo county if empty (DEMO=0 skips), serve on PORT
run: $(VENV)/.installed
	DEMO=$(DEMO) $(BIN)/python -m lib.prestart
	$(BIN)/python -m streamlit run app.py --server.port $(PORT)

prestart: $(VENV)/.installed
	DEMO=$(DEMO) $(BIN)/python -m lib.prestart

## test: install what the tests need, then lint, type-check and run the whole suite
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy lib app.py pages tests
	$(BIN)/python -m pytest -n $(WORKERS) $(PYTEST_ARGS)

## bench: time every page cold and warm at county and city scale (SQLite, PostgreSQL); writes bench/results.json
## (BENCH_ARGS="--runs county:sqlite,city:sqlite,city:postgresql,province:postgresql --repeat 3"),
## then 1, 10 and 30 leaders at once on a real server, city on SQLite and PostgreSQL: bench/load.json
## (LOAD_ARGS="--database sqlite --sessions 30 --rounds 3")
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python -m bench.load $(LOAD_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lock:
	scripts/lock.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
