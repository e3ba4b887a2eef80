# rhel-viz: two commands for a newcomer.
#   make run   -> sets up .venv from requirements.txt and starts the app
#   make test  -> sets up .venv (plus test tools and the system Chromium) and runs every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint bench browser clean

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

lint: $(DEV_STAMP)
	$(PY) -m ruff check .

test: $(DEV_STAMP) browser lint
	$(PY) -m pytest -q

bench: $(RUNTIME_STAMP)
	$(PY) -m rhel_viz bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
