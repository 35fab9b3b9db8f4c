# Two commands: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
DEMO   ?= 1
PIP    := $(BIN)/python -m pip install --disable-pip-version-check --no-warn-script-location -q

.PHONY: run prestart test lint lock clean

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
	$(BIN)/mypy lib app.py views
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lock:
	scripts/lock.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
