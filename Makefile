# movi: `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench bench-scale clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/movi demo

test: $(STAMP) lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/movi bench
	$(BIN)/python benchmarks/handle_latency.py --backend sqlite
	$(BIN)/python benchmarks/demo_build.py --trips 100000 --backend sqlite

# A million trips on both backends (~15 min; PostgreSQL via $MOVI_TEST_PG_DSN or 127.0.0.1:5432/test).
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale.py --backend sqlite
	$(BIN)/python benchmarks/scale.py --backend postgres

clean:
	rm -rf $(VENV) movi.db movi.db-wal movi.db-shm .pytest_cache .mypy_cache .ruff_cache
