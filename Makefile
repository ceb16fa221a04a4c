# Two commands matter: `make run` (the demo on http://127.0.0.1:5000) and `make test`.
# Both create .venv on first use and reinstall only when setup.cfg or pyproject.toml changed,
# or a top-level package appeared (the editable install maps only the packages it saw).

VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.opsflow-installed
TEST_STAMP := $(VENV)/.opsflow-test-installed
PACKAGE_LIST := $(VENV)/.opsflow-packages
OPSFLOW := $(BIN)/opsflow
ORG_FILE := processes/org.yaml
# The demo's session key: random, made once, kept across runs (make clean removes it with the database).
SECRET_KEY_FILE := instance/secret_key

# `opsflow serve` reads these; they are set here only so the URL printed below matches.
OPSFLOW_HOST ?= 127.0.0.1
OPSFLOW_PORT ?= 5000
export OPSFLOW_HOST OPSFLOW_PORT

.PHONY: help run test bench translations clean FORCE

help:
	@echo "make run    deploy the processes and serve the demo on http://$(OPSFLOW_HOST):$(OPSFLOW_PORT)"
	@echo "make test   import contracts, ruff, mypy over engine/, then pytest in parallel"
	@echo "make bench  engine throughput benchmark"
	@echo "make translations  extract the UI's words, update the zh_Hant catalogue, compile it"
	@echo "make clean  remove the demo database and caches (keeps .venv)"

$(BIN)/python:
	@for py in python3.11 python3; do \
	  if $$py -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	    echo "creating $(VENV) with $$($$py --version)"; exec $$py -m venv $(VENV); \
	  fi; \
	done; \
	echo "opsflow needs Python 3.11 or newer as python3.11 or python3" >&2; exit 1

# Rewritten only when the list changes, so its age tells make whether a package appeared.
$(PACKAGE_LIST): FORCE | $(BIN)/python
	@echo '$(sort $(wildcard */__init__.py))' > $@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi

# Running needs opsflow's own dependencies and psycopg; only `make test` adds the test tooling.
$(RUN_STAMP): setup.cfg pyproject.toml $(PACKAGE_LIST) | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[postgres]'
	@touch $@

$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[test,postgres]'
	@touch $@

# The demo database is instance/opsflow.db (engine/config.py) unless OPSFLOW_DATABASE_URL is set.
run: $(RUN_STAMP) $(SECRET_KEY_FILE)
	$(OPSFLOW) init
	$(OPSFLOW) deploy processes/
	$(OPSFLOW) org load $(ORG_FILE)
	@echo
	@echo "opsflow on http://$(OPSFLOW_HOST):$(OPSFLOW_PORT)/ (database: $${OPSFLOW_DATABASE_URL:-instance/opsflow.db})"
	@$(BIN)/python -c "$$DEMO_LOGIN_PY" $(ORG_FILE)
	@echo
	OPSFLOW_SECRET_KEY="$${OPSFLOW_SECRET_KEY:-$$(cat $(SECRET_KEY_FILE))}" $(OPSFLOW) serve

# Readable by its owner only; written aside and moved, so an interrupted run leaves no half key.
$(SECRET_KEY_FILE): | $(BIN)/python
	@mkdir -p $(@D)
	@umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))' > $@.new && mv $@.new $@
	@echo "made a random session key in $@ (kept for the next runs)"

test: $(TEST_STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check engine webui tests
	$(BIN)/mypy
	$(BIN)/pytest -n auto tests $(PYTEST_ARGS)

bench: $(RUN_STAMP)
	$(OPSFLOW) bench engine

# Extract the UI's words into messages.pot, merge them into each catalogue, compile the .mo files
# the app reads (both are committed, so running opsflow needs no build step).
translations: $(RUN_STAMP)
	$(BIN)/pybabel extract --no-location --sort-output -F webui/babel.cfg -k _l -o webui/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i webui/translations/messages.pot -d webui/translations
	$(BIN)/pybabel compile --statistics -d webui/translations

clean:
	rm -rf instance build .pytest_cache .ruff_cache .mypy_cache tests/artifacts *.egg-info
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

# Prints a plain employee (heads and manages no one) of the demo organisation.
define DEMO_LOGIN_PY
import sys, yaml
with open(sys.argv[1], encoding="utf-8") as f:
    org = yaml.safe_load(f) or {}
users = [u for u in org.get("users", []) if u.get("active", True)]
bosses = {u.get("manager") for u in users} | {d.get("head") for d in org.get("departments", [])}
staff = sorted((u for u in users if u["username"] not in bosses), key=lambda u: len(u.get("roles", [])))
username = (staff or users)[0]["username"]
print(f"Demo login: {username} / demo-{username.replace('.', '-')}")
print(f"(every user in {sys.argv[1]} signs in with demo-<username with the dot replaced by a dash>)")
endef
export DEMO_LOGIN_PY
