# Learnify: `make run` serves the whole service on embedded defaults, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1

.PHONY: install run serve migrate seed test test-security test-fast lint format typecheck schema docs bench bench-recommender clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the lock file changes.
$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: migrate
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py check
	@echo "Learnify on http://$(HOST):$(PORT)/  (admin: /admin/, health: /api/health/)"
	$(BIN)/uvicorn learnify.asgi:application --host $(HOST) --port $(PORT) --workers $(WORKERS) --lifespan off

test: install
	$(BIN)/pytest

# The security suites alone (bad input, fuzz, authorization matrix, tokens, websocket protocol, faults).
# Set DATABASE_URL and REDIS_URL to include the PostgreSQL and Redis ones, as CI does.
test-security: install
	$(BIN)/pytest -m security

# ruff, and import-linter's contracts (pyproject.toml): which way imports flow between the layers.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install
	$(BIN)/mypy learnify api portal recommender bench

docs: install
	$(BIN)/python manage.py export_er_diagram --output docs/data-model.md

# Throughput, latency and SQL per operation against hand-written ceilings, on its own database (learnify_bench)
# and Redis db 12; writes docs/performance.md. Scale 1 and 10 by default (about 25 minutes); SCALE=1 for one,
# DURATION=<seconds> per figure, QUICK=1 for a 2-3 minute smoke run, BENCH_ARGS for anything else.
bench: install
	$(BIN)/python -m bench.run $(if $(QUICK),--quick) $(if $(SCALE),--scale $(SCALE)) $(if $(DURATION),--duration $(DURATION)) $(BENCH_ARGS)

# The recommender's offline evaluation on simulated learners (about 7 minutes on 2 cores; QUICK=1 for a minute).
bench-recommender: install
	$(BIN)/python manage.py evaluate_recommender $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles .pytest_cache .mypy_cache .ruff_cache

schema: install
	$(BIN)/python manage.py export_schema api.schema:schema --path schema.graphql
