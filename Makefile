# The two quick-start commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "microgov needs Python >= 3.12 (found " + sys.version.split()[0] + ")"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,viz]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/microgov run baseline

test: $(TEST_STAMP)
	$(BIN)/ruff check simulation tests experiments
	$(BIN)/ruff format --check simulation tests experiments
	$(BIN)/python -m pytest -n 2 -q

lint: $(TEST_STAMP)
	$(BIN)/ruff check simulation tests experiments
	$(BIN)/ruff format --check simulation tests experiments

format: $(TEST_STAMP)
	$(BIN)/ruff format simulation tests experiments
	$(BIN)/ruff check --fix simulation tests experiments

bench: $(STAMP)
	$(BIN)/python experiments/benchmark.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache
