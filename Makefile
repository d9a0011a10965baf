# The two commands of the quickstart: `make run` and `make test`. Each installs what it needs: `run` only what
# the server needs, `test` (and `lint`, `bench`) also the test toolchain (pytest, schemathesis, ruff, mypy, ...).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(RUN_STAMP) $(TEST_STAMP)

run: $(RUN_STAMP)
	$(BIN)/twinhub serve --dev

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: $(TEST_STAMP) lint
	$(BIN)/pytest

bench: $(TEST_STAMP)
	scripts/ensure-wrk
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) twinhub-data .pytest_cache .mypy_cache .ruff_cache
