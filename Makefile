# Everything a fresh clone needs: `make run` and `make test` create the environment themselves.
# The first interpreter that runs and is 3.11 or newer (pyenv shims may exist for versions that do not run).
PY ?= $(shell for p in python3 python3.11 python3.12 python3.13; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run test fuzz migrate demo schema portal clean

$(STAMP): pyproject.toml
	@test -n "$(PY)" || { echo "complaintdesk needs Python 3.11 or newer: install it, or set PY=/path/to/python3.11"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: install portal
	$(BIN)/complaintdesk run

# The reference portal (portal/README.md), served at / by `complaintdesk run` once built.
NODE_20 := node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)'

portal: portal/node_modules/.package-lock.json frontend-contract/node_modules/.package-lock.json
	cd frontend-contract && npm run --silent codegen
	cd portal && npm run --silent build

portal/node_modules/.package-lock.json frontend-contract/node_modules/.package-lock.json: %/node_modules/.package-lock.json: %/package-lock.json
	@command -v npm >/dev/null && $(NODE_20) 2>/dev/null || { echo "the portal needs Node 20 or newer with npm: install them (or serve the API alone: $(BIN)/complaintdesk run)"; exit 1; }
	cd $* && npm ci --no-audit --no-fund

test: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

# The long fuzzing run: every query and mutation argument, FUZZ_EXAMPLES cases each (CI runs 4).
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-300} $(BIN)/pytest tests/test_fuzz.py -q

migrate: install
	$(BIN)/complaintdesk migrate

demo: install
	$(BIN)/complaintdesk demo

schema: install
	$(BIN)/complaintdesk export-schema
	$(BIN)/python -m schema.contract

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache portal/dist
