# Development tasks. `make run` serves the portal, `make test` runs ruff and pytest.

PORT ?= 8000
PYTEST_ARGS ?=

VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install, so a newer pyproject.toml triggers a reinstall.
INSTALL_STAMP := $(VENV)/.install-stamp

# Interpreter that creates .venv: PYTHON if set, otherwise the first candidate that
# runs and reports 3.12 or newer. The pyenv paths find pyenv's versions even when its
# shims are not on PATH, trying the version named in .python-version first.
PYENV_ROOT ?= $(or $(shell pyenv root 2>/dev/null),$(HOME)/.pyenv)
PYENV_VERSION_WANTED := $(firstword $(file < .python-version))
PYTHON_CANDIDATES = python3.13 python3.12 python3 \
    $(if $(PYENV_VERSION_WANTED),$(wildcard $(PYENV_ROOT)/versions/$(PYENV_VERSION_WANTED)*/bin/python)) \
    $(wildcard $(PYENV_ROOT)/versions/3.1[2-9]*/bin/python) \
    $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python)
PYTHON ?= $(shell for candidate in $(PYTHON_CANDIDATES); do \
    "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
    && { echo "$$candidate"; break; }; done)
PYTHON_MISSING = Python 3.12 or newer is required to create $(VENV), but none was \
    found as python3.13, python3.12 or python3 on PATH or under $(PYENV_ROOT)/versions. \
    Install one, for example with `pyenv install 3.13`, or name it with \
    `make PYTHON=/path/to/python3.13`

# Translation catalogs: each locale/*/LC_MESSAGES/django.po compiles to the
# django.mo beside it, which Django reads. The .mo files are not committed.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
MSGFMT_MISSING = msgfmt from GNU gettext is required to compile the translations \
    in locale/, but it is not on PATH. Install it, for example with \
    'sudo apt-get install gettext' on Debian or 'brew install gettext' on macOS

.PHONY: run serve test screenshots install messages makemessages clean

run: $(INSTALL_STAMP) messages
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py loaddemo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Production settings for checks and for `make serve`. The key is made anew
# for each run; `make serve` drops the HTTPS redirect because loopback has no
# TLS proxy in front.
PRODUCTION_ENV = DEBUG=false ALLOWED_HOSTS=127.0.0.1,localhost \
    SECRET_KEY=$$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')

# The browser tests run in a process and test database of their own: in one
# run with the rest, a run on SQLite once hung in them (see the note in
# pyproject.toml). Exit status 5 means PYTEST_ARGS selected none of them.
test: $(INSTALL_STAMP) messages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PRODUCTION_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING
	$(PRODUCTION_ENV) $(BIN)/python manage.py collectstatic --no-input --clear -v0
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)
	$(BIN)/pytest -m browser $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Serves the portal as in production, on loopback: DEBUG off, static files
# collected and served by WhiteNoise, gunicorn with WEB_CONCURRENCY workers.
serve: $(INSTALL_STAMP) messages
	$(PRODUCTION_ENV) $(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py loaddemo
	$(PRODUCTION_ENV) SECURE_SSL_REDIRECT=false BIND=127.0.0.1:$(PORT) \
	    $(BIN)/gunicorn -c config/gunicorn.py

# Rewrites docs/screenshots/ from the demo data, for the README.
screenshots: $(INSTALL_STAMP) messages
	UPDATE_SCREENSHOTS=1 $(BIN)/pytest tests/browser/test_screenshots.py -p no:randomly

install: $(INSTALL_STAMP)

messages: $(MO_FILES)

# Adds the strings marked since the last run to the French catalog and drops
# those no longer marked; new entries then need a translation. Without source
# locations, moving code leaves the catalog unchanged. tests/test_translations.py
# runs the same command on a copy of the project.
makemessages: $(INSTALL_STAMP)
	$(BIN)/python manage.py makemessages --locale fr_CA --no-location --no-obsolete \
	    --ignore staticfiles --ignore tests

# --check rejects a translation whose placeholders differ from its msgid's.
%.mo: %.po
	@command -v msgfmt >/dev/null || { echo "$(MSGFMT_MISSING)." >&2; exit 1; }
	msgfmt --check --output-file=$@ $<

$(BIN)/python:
	$(or $(PYTHON),$(error $(PYTHON_MISSING))) -m venv $(VENV)

$(INSTALL_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e . --group test
	touch $@

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles $(MO_FILES)
