# `make run` and `make test` set everything up on a fresh clone.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run run-scale load test test-postgres lint check bench bench-data clean help
.DEFAULT_GOAL := help

help:
	@echo "make run   - set up and start Imagior (web + worker) with a demo account on http://127.0.0.1:8000"
	@echo "make run-scale - the same on PostgreSQL, Redis, Celery and S3 (moto), two web processes"
	@echo "make test  - set up and run every test"
	@echo "make lint  - ruff and the migration check"
	@echo "make load  - Locust, 8 users for 60 s against make run-scale (docs/benchmarks.md)"
	@echo "make bench - time the reference card: API and pipeline against naive CairoSVG (docs/benchmarks.md)"
	@echo "make bench-data - a big account (1M images, 1M ledger rows, 5M logged requests) against a small one, SQLite and PostgreSQL"

$(PY):
	@python=$$(bin/find-python) && echo "Using $$python" && "$$python" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(PY) requirements.txt
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# Collected again only when a static file or the installed packages change.
staticfiles/staticfiles.json: $(VENV)/.installed $(shell find static api/static -type f 2>/dev/null)
	$(PY) manage.py collectstatic --noinput --verbosity 0

run: $(VENV)/.installed staticfiles/staticfiles.json
	$(PY) manage.py migrate --noinput
	bin/run

# PostgreSQL, Redis, an S3 server, 2 gunicorn processes, 2 Celery workers (docs/deploy.md).
run-scale: $(VENV)/.installed-dev staticfiles/staticfiles.json
	bin/run-scale

test: $(VENV)/.installed-dev
	bin/ensure-chromium
	bin/ensure-redis
	bin/ensure-postgres
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest
	bin/test-postgres

# The unit tests again on PostgreSQL (Debian's postgresql package, as root); `make test` runs it too.
test-postgres: $(VENV)/.installed-dev
	bin/test-postgres

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

# Locust for 60 s against `make run-scale`; figures into docs/benchmarks.md ("Load").
load: $(VENV)/.installed-dev
	$(PY) bench/load.py

bench: $(VENV)/.installed-dev
	$(PY) bench/bench_render.py

# Every API GET and dashboard page, big account against small, on SQLite and on run-scale's PostgreSQL (docs/benchmarks.md).
bench-data: $(VENV)/.installed-dev
	bin/ensure-postgres
	bin/ensure-redis
	$(PY) bench/bench_data.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
