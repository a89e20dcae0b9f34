# Set-up and checks live here so a fresh Debian/Ubuntu machine needs nothing but `make`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2

.PHONY: help venv native system-deps docker lint typecheck imports check test test-fast gameday demo bench clean

help:
	@echo "make gameday   install everything, then run a game day end to end"
	@echo "make test      install everything, then run ruff, mypy, import-linter and pytest"
	@echo "make bench     print the benchmark figures (JSON lines)"
	@echo "make native    compile the domain core with mypyc (NATIVE=0: remove it, run pure Python)"

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# The domain core compiled with mypyc (scripts/build_native.py, ~40 s, only when a compiled source
# changed). NATIVE=0 removes the build and runs the pure-Python domain. `make test` needs the build
# (CI measures and tests what runs); `make gameday` falls back to pure Python when it cannot build.
NATIVE ?= 1
native: venv
	@if [ "$(NATIVE)" = 0 ]; then $(BIN)/python scripts/build_native.py --clean; \
	else $(BIN)/python scripts/build_native.py --check >/dev/null || $(BIN)/python scripts/build_native.py; fi

system-deps:
	@scripts/install-system-deps.sh

docker:
	@scripts/ensure-docker.sh

lint: venv
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy harness target_engine chaos benchmarks

imports: venv
	$(BIN)/lint-imports

check: lint typecheck imports

# Three pytest runs, all always run, the target fails if any failed: everything but the e2e game
# days spread over PYTEST_WORKERS xdist workers (groups in tests/conftest.py), then the e2e game days
# one at a time (their MTTD and steady-state checks need the cores to themselves). Both run the
# compiled domain; a third run (~10 s, full runs only) repeats the domain and replay unit tests on the
# pure-Python domain, what runs where nothing could be compiled. With PYTEST_ARGS
# narrowing the selection, one half selecting nothing (pytest exit 5) is not a failure.
test: system-deps venv native check docker
	@rc1=0; rc2=0; rc3=0; \
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not e2e" $(PYTEST_ARGS) || rc1=$$?; \
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS) || rc2=$$?; \
	if [ -n "$(strip $(PYTEST_ARGS))" ] && [ $$((rc1 + rc2)) -ne 10 ]; then \
		[ $$rc1 -eq 5 ] && rc1=0; [ $$rc2 -eq 5 ] && rc2=0; fi; \
	[ -n "$(strip $(PYTEST_ARGS))" ] || GAMEDAY_PURE_DOMAIN=1 $(BIN)/python -m pytest -q tests/unit/target_engine/domain \
		tests/unit/target_engine/service/test_service_recovery_replay.py \
		tests/unit/target_engine/service/test_service_batch_encoding.py || rc3=$$?; \
	echo "pytest: not e2e (xdist) exit $$rc1, e2e (serial) exit $$rc2, domain on pure Python exit $$rc3"; \
	[ $$rc1 -eq 0 ] && [ $$rc2 -eq 0 ] && [ $$rc3 -eq 0 ]

# Unit and contract tests only: the quick loop while developing.
test-fast: venv
	$(BIN)/python -m pytest tests/unit tests/contract -q $(PYTEST_ARGS)

demo: venv
	$(BIN)/margin-engine demo

gameday: system-deps venv
	@$(MAKE) --no-print-directory native || echo "make gameday: no compiled domain, running the pure-Python one"
	$(BIN)/gameday run scenarios/binance-um-2025.yaml

# Every script in benchmarks/ prints figures, except these modules the others run or import (the
# load generator and its sink take arguments, the sink serves until stopped; engine_service.py runs
# engine_http_bench and reference_http).
BENCH_HELPERS := bench_common bench_probes engine_http_bench loadgen_http loadgen_sink loadgen_stats loadgen_wire reference_http
bench: venv
	@for f in benchmarks/*.py; do \
	  case " $(BENCH_HELPERS) " in *" $$(basename $$f .py) "*) continue;; esac; \
	  echo "# $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -f target_engine/domain/*.so target_engine/domain/_native.json
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
