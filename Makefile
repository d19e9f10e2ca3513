# The two commands of the README: `make build` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: build install test fuzz serve bench audit clean
build: $(VENV)/.installed
	$(BIN)/newsgen build .
	@echo "newsgen is installed in $(BIN)/: run '. $(BIN)/activate' to type plain 'newsgen'"

# newsgen and its runtime dependencies only: no test tools in a venv made to build sites
install: $(VENV)/.installed

test: $(VENV)/.installed-test node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

serve: $(VENV)/.installed
	$(BIN)/newsgen serve .

# The differential test (tests/test_differential.py) run long: FUZZ_EXAMPLES random edit sequences from
# FUZZ_SEED.
FUZZ_EXAMPLES ?= 300
FUZZ_SEED ?= 17
fuzz: $(VENV)/.installed-test
	NEWSGEN_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) NEWSGEN_FUZZ_SEED=$(FUZZ_SEED) \
		$(BIN)/python -m pytest tests/test_differential.py -k any_edits $(PYTEST_ARGS)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf build .build.newsgen-* $(VENV) node_modules test-artifacts

# Lighthouse (mobile) on the built default site served on localhost; prints the four category scores.
audit: $(VENV)/.installed node_modules/.installed
	$(BIN)/python tools/audit.py . $(AUDIT_ARGS)

# `make bench` (sizes 1000 and 10000) or `make bench N=1000`; RUNS=5 for medians of 5; PHOTOS=off or only
# for the photo column (every article with a 3000 px lead photo). See README "Performance".
N ?= 1000 10000
BENCH_VENV := bench/.venv
bench: $(VENV)/.installed $(BENCH_VENV)/.installed
	$(BIN)/python bench/run.py $(N) $(if $(RUNS),--runs $(RUNS)) $(if $(PHOTOS),--photos $(PHOTOS))

$(BENCH_VENV)/.installed: bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements.txt
	touch $@
