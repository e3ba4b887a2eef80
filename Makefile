# rhel-viz: two commands for a newcomer.
#   make run   -> sets up .venv from requirements.txt and starts the app
#   make test  -> sets up .venv (plus test tools and the system Chromium) and runs every test
#   make test-fast -> core + lab + app tests only (no browser, no load), for day-to-day work
# Both keep XLA's compiled programs in .pytest_cache/jax-compilation-cache (tests/conftest.py): the first
# run on a machine compiles everything, later runs take less than half as long.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
CHROMIUM := /usr/bin/chromium
# core, lab and app tests in parallel processes (pytest-xdist), one test module per process at a time so
# that a module's shared fixtures are built once; browser and load tests run alone, after them (they start
# app servers and time them).
FAST_TESTS := -m "core or lab or app" -n auto --maxprocesses 4 --dist loadscope

.PHONY: run test test-fast lint bench browser clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt $(RUNTIME_STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(RUNTIME_STAMP)
	$(PY) -m streamlit run app.py

# Browser tests drive Debian's Chromium through Playwright (no browser download).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "browser tests need Chromium: sudo apt-get install chromium"; exit 1; \
	  fi; \
	fi

# ruff, and import-linter's layer contracts (.importlinter).
lint: $(DEV_STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

test: $(DEV_STAMP) browser lint
	$(PY) -m pytest -q $(FAST_TESTS)
	$(PY) -m pytest -q -m "not (core or lab or app)"

test-fast: $(DEV_STAMP) lint
	$(PY) -m pytest -q $(FAST_TESTS)

bench: $(DEV_STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
