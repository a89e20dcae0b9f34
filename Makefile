# Set-up and checks live here so a fresh Debian/Ubuntu machine needs nothing but `make`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: help venv system-deps docker lint typecheck imports check test test-fast gameday demo bench clean

help:
	@echo "make gameday   install everything, then run a game day end to end"
	@echo "make test      install everything, then run ruff, mypy, import-linter and pytest"
	@echo "make bench     print the benchmark figures (JSON lines)"

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	@scripts/install-system-deps.sh

docker:
	@scripts/ensure-docker.sh

lint: venv
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy harness target_engine chaos

imports: venv
	$(BIN)/lint-imports

check: lint typecheck imports

test: system-deps venv check docker
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Unit and contract tests only: the quick loop while developing.
test-fast: venv
	$(BIN)/python -m pytest tests/unit tests/contract -q $(PYTEST_ARGS)

demo: venv
	$(BIN)/margin-engine demo

gameday: system-deps venv
	$(BIN)/gameday run scenarios/binance-um-2025.yaml

bench: venv
	@for f in benchmarks/*.py; do echo "# $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
