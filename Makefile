# The two quick-start commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test test-fast fuzz lint format bench golden lock clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "microgov needs Python >= 3.12 (found " + sys.version.split()[0] + ")"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs take the exact versions in constraints.txt, so the golden outputs hold.
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(TEST_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,viz]'
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
