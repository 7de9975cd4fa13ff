# Set-up and everyday commands. `make run` and `make test` do all the set-up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Local runs are development runs: static files served by Django, debug pages on, plain HTTP and a
# development secret key. With DEBUG off the settings are production's (HTTPS only, SECRET_KEY required).
RUN_ENV := DEBUG=$${DEBUG:-true}

.PHONY: run test lint bench bench-pages install install-test assets migrate demo worker beat clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(VENV)/bin/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed assets
install-test: $(VENV)/.installed-test assets
assets: node_modules/.installed

migrate: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput

demo: migrate
	$(RUN_ENV) $(PY) manage.py seed_demo --if-empty

run: demo
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: install
	$(RUN_ENV) $(VENV)/bin/celery -A turnaround worker --loglevel=INFO

beat: install
	$(RUN_ENV) $(VENV)/bin/celery -A turnaround beat --loglevel=INFO

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install-test
	$(VENV)/bin/ruff check .
	$(RUN_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

# The benchmarks need PostgreSQL; they build their data set in a database of their own. The API
# benchmark runs gunicorn on loopback against the data set the recompute benchmark built.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/turnaround_bench
bench: install-test
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.recompute
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.api

# The pages' server time with 1,000 contracts (PostgreSQL; its own database, built on first run).
BENCH_PAGES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/turnaround_bench_pages
bench-pages: install-test
	DATABASE_URL=$(BENCH_PAGES_DATABASE_URL) $(PY) -m bench.pages

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
