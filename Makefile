# kam — one entry point for setting up, running the demo and testing.
# Only Python 3.11, pip and make are needed; everything else goes into .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup prepare demo test lint ui docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,spark]"
	touch $(STAMP)

# Parse the dbt project once: the Dagster definitions load its manifest.
prepare: setup
	$(BIN)/kam prepare

# Generate demo data (if absent) and run the nightly job for its newest business date.
demo: prepare
	$(BIN)/kam demo
	$(BIN)/kam run --date latest

# The suite runs one test module per worker at a time: a module's fixtures (a home a whole job
# ran in) are built once and shared by its tests. One worker per core, at least three and at
# most four: on two cores a third worker keeps both busy while another waits on a child process
# or the disk (one pair of runs, same code, idle machine: 1,168 s against 1,202 s).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -lt 3 ] && n=3; echo $$n)

test: prepare
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --maxprocesses 4 --dist loadfile --no-loadscope-reorder

PY_DIRS := ingestion warehouse demo orchestration scoring expectations report tests bench

lint: setup
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)
	cd dbt_project && ../$(BIN)/sqlfluff lint models

# The Dagster home `kam run` uses, which `kam prepare` has given kam's dagster.yaml.
# `make ui UI_PORT=3001` serves the UI on another port.
UI_PORT ?= 3000

ui: prepare
	DAGSTER_HOME=$${DAGSTER_HOME:-$${KAM_HOME:-$(CURDIR)/var}/dagster} $(BIN)/dagster dev -w workspace.yaml -p $(UI_PORT)

# The dbt docs with the score tables, on http://127.0.0.1:$(DOCS_PORT) (kam docs).
DOCS_PORT ?= 8080

docs: prepare
	$(BIN)/kam docs --port $(DOCS_PORT)

clean:
	rm -rf $(VENV) var dbt_project/target dbt_project/logs
