# talent-scout: `make demo` runs the main job offline; `make test` runs lint and every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-fast lint format bench fuzz clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/scout demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Two workers, one test module each at a time (module fixtures are built once); most of the
# suite waits on crawls in other processes. TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= 2
test: lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

# The everyday loop (under a minute): every test not marked slow (see SLOW_MODULES in
# tests/conftest.py), no lint.
test-fast: $(STAMP)
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m bench

# >= 10,000 mutated payloads through every parser; prints the count and undeclared exceptions.
fuzz: $(STAMP)
	SCOUT_FUZZ_PROFILE=fuzz $(BIN)/python -m bench fuzz

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
