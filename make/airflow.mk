# Airflow 3 in its own environment, .venv-airflow: apache-airflow and kedro-airflow (the
# project's `airflow` extra) pinned by a committed constraints file, plus this project's wheel
# from `kedro package`. Included by the Makefile; uses its PYTHON, BIN and STAMP.
#   make airflow-env          build it: the venv once, the wheel again whenever src/, conf/ or
#                             pyproject.toml change (tests/test_airflow.py needs it)
#   make dags [KEDRO_ENV=x]   the DAGs of the scheduled pipelines, into dags/ (not committed)
#   make airflow-constraints  refresh the constraints file in a scratch venv (needs the network)
AIRFLOW_VERSION := 3.3.2
AIRFLOW_VENV := .venv-airflow
AIRFLOW_BIN := $(AIRFLOW_VENV)/bin
# Airflow's own constraint files are not on PyPI: this one is a `pip freeze` of a venv built
# from PyPI for Python 3.11 (make airflow-constraints).
AIRFLOW_CONSTRAINTS := airflow/constraints-$(AIRFLOW_VERSION)-python3.11.txt
AIRFLOW_VENV_STAMP := $(AIRFLOW_VENV)/.created
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed
PROJECT_VERSION := $(shell $(PYTHON) -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
PROJECT_WHEEL := dist/lstm_pipeline-$(PROJECT_VERSION)-py3-none-any.whl
PROJECT_CONF_TARBALL := dist/conf-lstm_pipeline.tar.gz
PROJECT_SOURCES := pyproject.toml $(shell find src -name '*.py') \
	$(shell find conf -type f ! -path 'conf/local/*')
# the pipelines worth scheduling: the full run, a retrain, and the forecasts after it
AIRFLOW_PIPELINES ?= __default__,training_evaluation,prediction
KEDRO_ENV ?= local

.PHONY: airflow-env dags airflow-constraints

airflow-env: $(AIRFLOW_STAMP)

# `kedro package`: the wheel and the conf tarball (conf/ without local/*.yml), both in dist/
$(PROJECT_WHEEL) $(PROJECT_CONF_TARBALL) &: $(STAMP) $(PROJECT_SOURCES)
	$(BIN)/kedro package

$(AIRFLOW_VENV_STAMP):
	test -x $(AIRFLOW_BIN)/python || $(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_BIN)/python -m pip install --quiet --upgrade pip
	touch $@

# Dependencies resolved under the constraints (quick once installed), then the project's code
# replaced: pip skips a wheel whose version is already installed unless forced.
$(AIRFLOW_STAMP): $(AIRFLOW_VENV_STAMP) $(AIRFLOW_CONSTRAINTS) $(PROJECT_WHEEL)
	$(AIRFLOW_BIN)/python -m pip install --quiet -c $(AIRFLOW_CONSTRAINTS) "$(PROJECT_WHEEL)[airflow]"
	$(AIRFLOW_BIN)/python -m pip install --quiet --no-deps --force-reinstall "$(PROJECT_WHEEL)"
	touch $@

dags: $(AIRFLOW_STAMP) $(PROJECT_CONF_TARBALL)
	$(AIRFLOW_BIN)/kedro airflow create --env $(KEDRO_ENV) --pipelines $(AIRFLOW_PIPELINES) \
		--jinja-file airflow/dag_template.j2 --target-dir dags/ \
		--conf-source $(CURDIR)/$(PROJECT_CONF_TARBALL) --params project_path=$(CURDIR)

airflow-constraints: $(PROJECT_WHEEL)
	rm -rf $(AIRFLOW_VENV)-fresh
	$(PYTHON) -m venv $(AIRFLOW_VENV)-fresh
	$(AIRFLOW_VENV)-fresh/bin/python -m pip install --quiet --upgrade pip
	$(AIRFLOW_VENV)-fresh/bin/python -m pip install --quiet "$(PROJECT_WHEEL)[airflow]"
	{ echo "# Constraints for the airflow extra (apache-airflow $(AIRFLOW_VERSION), kedro-airflow) with"; \
	  echo "# this project's dependencies, Python 3.11: a pip freeze of a venv built from PyPI by"; \
	  echo "# 'make airflow-constraints' (Airflow's own constraint files are not on PyPI)."; \
	  $(AIRFLOW_VENV)-fresh/bin/python -m pip freeze --exclude lstm-pipeline; } > $(AIRFLOW_CONSTRAINTS)
	rm -rf $(AIRFLOW_VENV)-fresh
