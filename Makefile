# The two quick-start commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test test-fast fuzz lint format bench golden lock clean

# The venv's Python must be PYTHON_MIN or newer (Mesa 3.5 needs 3.12). Checked by make
# itself, so a Python that is too old (or missing) gives one line that names the fix.
PYTHON_MIN := 3.12
PYTHON_FOUND = $(shell $(PYTHON) -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)
PYTHON_OK = $(shell $(PYTHON) -c 'import sys; print(int(sys.version_info[:2] >= tuple(map(int, "$(PYTHON_MIN)".split(".")))))' 2>/dev/null)
PYTHON_HINT = microgov needs Python >= $(PYTHON_MIN) (found $(or $(PYTHON_FOUND),no working '$(PYTHON)')): run make run PYTHON=python$(PYTHON_MIN), or select $(PYTHON_MIN) with pyenv

# Warnings that only say an install is editable are information, not news: keep them out
# of the install's output (the project's own warnings still show).
PIP_INSTALL := PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet

$(BIN)/python:
	$(if $(filter 1,$(PYTHON_OK)),,$(error $(PYTHON_HINT)))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs take the exact versions in constraints.txt, so the golden outputs hold.
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -c constraints.txt -e .
	touch $@

$(TEST_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -c constraints.txt -e '.[test,viz]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/microgov run baseline

test: $(TEST_STAMP)
	$(BIN)/ruff check simulation tests experiments
	$(BIN)/ruff format --check simulation tests experiments
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q

# Everything but the tests marked slow (each over about 10 s).
test-fast: $(TEST_STAMP)
	$(BIN)/ruff check simulation tests experiments
	$(BIN)/python -m pytest -n 2 -q -m 'not slow'

# The fuzz tests of scenario files and --set with ten times the cases of make test
# (2,500 per test, 5,000 in all; a few minutes).
fuzz: $(TEST_STAMP)
	MICROGOV_FUZZ_EXAMPLES=2500 $(BIN)/python -m pytest -n 2 -q tests/test_fuzz.py

lint: $(TEST_STAMP)
	$(BIN)/ruff check simulation tests experiments
	$(BIN)/ruff format --check simulation tests experiments
	$(BIN)/mypy

format: $(TEST_STAMP)
	$(BIN)/ruff format simulation tests experiments
	$(BIN)/ruff check --fix simulation tests experiments

bench: $(STAMP)
	$(BIN)/python experiments/benchmark.py

# Record the golden outputs again and print what moved (for changes of behaviour).
golden: $(TEST_STAMP)
	$(BIN)/python -m tests.golden.regenerate

# Pin the installed versions again (after changing dependencies in pyproject.toml).
lock: $(TEST_STAMP)
	{ sed -n '/^#/p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache
