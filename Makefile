# Two commands for a fresh machine with Python 3.11+ and make:
#   make run    create .venv if missing, install the project, run every pipeline on the bundled data
#   make test   same venv; lint, format check and the whole test suite (builds .venv-aeon
#               first: aeon 1.6.0 in its own venv, for the .ts reader's parity test)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# aeon pins pandas < 3.1 and our venv has pandas 3.1, so aeon gets its own environment,
# used only by tests/ingest/test_ts_parity_with_aeon.py (built once, kept by its stamp).
AEON_VENV := .venv-aeon
AEON_STAMP := $(AEON_VENV)/.installed
AEON_VERSION := 1.6.0
# bench/classification.py runs aeon's FCNClassifier (aeon[dl]: TensorFlow inside) in a third
# venv, with our TensorFlow/Keras versions so both sides run the same kernels. Built only by
# `make bench-aeon`; `make test` never needs it.
AEON_DL_VENV := .venv-aeon-dl
AEON_DL_STAMP := $(AEON_DL_VENV)/.installed
AEON_DL_PINS := "tensorflow~=2.21.0" "keras==3.15.*"

# tests/test_viz.py opens the kedro-viz site in Debian's chromium (installed when missing)
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# .venv-airflow: Airflow 3 and the packaged project (tests/test_airflow.py), see make/airflow.mk
include make/airflow.mk

# No prompts, no network at run time: Kedro telemetry stays off (also .telemetry in the repo).
export KEDRO_DISABLE_TELEMETRY := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: run test lint install lock clean-data bench-aeon

run: $(STAMP)
	$(BIN)/kedro run

test: $(STAMP) $(AEON_STAMP) $(AIRFLOW_STAMP) lint
	$(BIN)/pytest --durations=25

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

install: $(STAMP)

# The lock pins every package of .venv (the dev, notebook and viz extras included); the
# project itself goes in editable, without resolving anything again. `make lock` refreshes it.
LOCK := requirements/lock.txt
UV_VERSION := 0.13.9

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; found " + sys.version.split()[0] + ". Run: make PYTHON=python3.11 ...")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	test -x $(CHROMIUM) || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }
	touch $(STAMP)

$(AEON_VENV): $(AEON_STAMP)

$(AEON_STAMP):
	test -x $(AEON_VENV)/bin/python || $(PYTHON) -m venv $(AEON_VENV)
	$(AEON_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AEON_VENV)/bin/python -m pip install --quiet aeon==$(AEON_VERSION)
	touch $(AEON_STAMP)

bench-aeon: $(AEON_DL_STAMP)

$(AEON_DL_STAMP):
	test -x $(AEON_DL_VENV)/bin/python || $(PYTHON) -m venv $(AEON_DL_VENV)
	$(AEON_DL_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AEON_DL_VENV)/bin/python -m pip install --quiet "aeon[dl]==$(AEON_VERSION)" $(AEON_DL_PINS)
	touch $(AEON_DL_STAMP)

# Re-resolve the lock from pyproject.toml's dependencies and extras (needs PyPI), then
# `make install` installs it.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra notebook --extra viz \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28 --upgrade -o $(LOCK)

# Remove generated stage outputs (keeps the bundled raw data).
clean-data:
	find data -mindepth 2 -type f ! -name .gitkeep ! -path 'data/01_raw/*' -delete
