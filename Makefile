# The two quick-start commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: run test test-fast docs docs-strict validation fuzz lint format bench golden lock clean

# The venv's Python must be PYTHON_MIN or newer (Mesa 3.5 needs 3.12). Checked by make
# itself, so a Python that is too old (or missing) gives one line that names the fix.
PYTHON_MIN := 3.12
PYTHON_FOUND = $(shell $(PYTHON) -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)
PYTHON_OK = $(shell $(PYTHON) -c 'import sys; print(int(sys.version_info[:2] >= tuple(map(int, "$(PYTHON_MIN)".split(".")))))' 2>/dev/null)
PYTHON_HINT = microgov needs Python >= $(PYTHON_MIN) (found $(or $(PYTHON_FOUND),no working '$(PYTHON)')): run make run PYTHON=python$(PYTHON_MIN), or select $(PYTHON_MIN) with pyenv

# What ruff checks and formats (mkdocs_hooks.py: the documentation site's build hook).
LINTED := simulation tests experiments mkdocs_hooks.py

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

# The test install has the documentation's extra too: make test builds the site strictly.
$(TEST_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -c constraints.txt -e '.[test,viz,docs]'
	touch $@ $(STAMP) $(DOCS_STAMP)

$(DOCS_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -c constraints.txt -e '.[viz,docs]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/microgov run baseline

test: $(TEST_STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(MAKE) --no-print-directory docs-strict
	$(BIN)/python -m pytest -n 2 -q

# The documentation site (mkdocs.yml): docs/ and the tutorial notebooks. `make docs` runs
# every tutorial so that its figures show (a few minutes) and writes site/ (open
# site/index.html); docs-strict, part of make test, builds it without running them, into
# build/, and fails on a broken link, a missing page or a page left out of the nav.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs
docs: $(DOCS_STAMP)
	MICROGOV_DOCS_EXECUTE=true $(MKDOCS) build --strict --site-dir site

docs-strict: $(DOCS_STAMP)
	$(MKDOCS) build --strict --quiet --site-dir build/site-strict

# The project's validation report, docs/validation.md and docs/validation/ (about 25 min).
# `microgov validate-model` alone writes to out/validation/.
validation: $(STAMP)
	$(BIN)/python -m simulation.validation --out docs

# Everything but the tests marked slow (each over about 10 s).
test-fast: $(TEST_STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/python -m pytest -n 2 -q -m 'not slow'

# The fuzz tests of scenario files and --set with ten times the cases of make test
# (2,500 per test, 5,000 in all; a few minutes).
fuzz: $(TEST_STAMP)
	MICROGOV_FUZZ_EXAMPLES=2500 $(BIN)/python -m pytest -n 2 -q tests/test_fuzz.py

lint: $(TEST_STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

format: $(TEST_STAMP)
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

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
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache site build/site-strict
