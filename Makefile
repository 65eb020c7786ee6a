# The two commands a newcomer needs: `make run` and `make test`. Both install what they need
# into .venv first.
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install checks run test demo messages

$(VENV)/.installed: pyproject.toml
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# axe-core (the browser test's accessibility check) and Lighthouse come from npm; without
# npm the browser checks are skipped.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: browser accessibility checks will be skipped"; fi

install: $(VENV)/.installed

checks: node_modules/.installed

# The site on SQLite with the demo issues, at http://127.0.0.1:8000
run: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py import_markdown archive/demo --publish
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# The whole suite; DATABASE_URL=postgres://... runs it on PostgreSQL.
test: install checks
	$(PY) -m pytest

# After changing interface strings: refresh the catalogs, translate what is new or marked
# fuzzy in locale/*/LC_MESSAGES/django.po, then run this again to compile them.
MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=tests --ignore=staticfiles
messages: install
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans -l en --add-location=file --no-obsolete $(MESSAGES_IGNORE)
	DEBUG=1 $(PY) manage.py compilemessages $(MESSAGES_IGNORE)
