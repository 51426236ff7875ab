# Two commands on a fresh Debian machine: `make run` and `make test` (each sets itself up).
SHELL := /bin/bash
PYTEST_ARGS ?=
PYTEST_WORKERS ?= auto

.PHONY: run test venv clean

## run: migrate and seed the SQLite database, then start web + worker + scheduler
run:
	@bash scripts/bootstrap.sh run
	.venv/bin/python scripts/run.py

## test: the whole suite on a real PostgreSQL 15 and redis-server, one pytest worker per core
## (each with its own cluster and Redis); PYTEST_ARGS passed through, PYTEST_WORKERS=0 runs serially
test:
	@bash scripts/bootstrap.sh test
	.venv/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## venv: create .venv and install the Python dependencies
venv:
	@bash scripts/bootstrap.sh venv

## clean: remove the venv, the local database and caches
clean:
	rm -rf .venv var .pytest_cache .ruff_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
