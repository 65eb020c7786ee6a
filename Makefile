# The two commands a newcomer needs: `make run` and `make test`. Both install what they need
# into .venv first.
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install run test demo

$(VENV)/.installed: pyproject.toml
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# The site on SQLite with the demo issues, at http://127.0.0.1:8000
run: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py import_markdown archive/demo --publish
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# The whole suite; DATABASE_URL=postgres://... runs it on PostgreSQL.
test: install
	$(PY) -m pytest
