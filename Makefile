# The two commands of the quickstart: `make run` and `make test`. Each installs what it needs: `run` only what
# the server needs, `test` (and `lint`, `bench`) also the test toolchain (pytest, schemathesis, ruff, mypy, ...).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pytest-xdist worker processes for `make test`: more than the cores, as the suite spends much of its time
# waiting on servers, sockets and databases rather than computing.
TEST_WORKERS ?= 4
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint pytest bench console screenshots clean

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

# Lint and the suite run side by side; `make test` fails if either fails.
test: $(TEST_STAMP)
	@$(MAKE) --no-print-directory -j2 lint pytest

# The browser tests need Chromium, and the console's accessibility test axe-core: installed when missing (in CI,
# a failure to install fails the run).
pytest: $(TEST_STAMP)
	scripts/ensure-chromium
	scripts/ensure-axe
	$(BIN)/pytest -n $(TEST_WORKERS)

bench: $(TEST_STAMP)
	scripts/ensure-wrk
	$(BIN)/python -m bench

# The web console's assets (src/twinhub/console/static, committed, so running twinhub needs no Node): installed
# from web/console's lockfile and built. A test fails when the sources changed without this being run.
console:
	cd web/console && npm ci --no-audit --no-fund && npm run build

# The README's pictures of the console (docs/screenshots), from a real server in headless Chromium.
screenshots: $(TEST_STAMP)
	scripts/ensure-chromium
	$(BIN)/python -m tests.e2e.screenshots docs/screenshots

clean:
	rm -rf $(VENV) twinhub-data .pytest_cache .mypy_cache .ruff_cache
