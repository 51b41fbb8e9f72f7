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

.PHONY: run test screenshots install clean

run: $(INSTALL_STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py loaddemo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(INSTALL_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)

# Rewrites docs/screenshots/ from the demo data, for the README.
screenshots: $(INSTALL_STAMP)
	UPDATE_SCREENSHOTS=1 $(BIN)/pytest tests/browser/test_screenshots.py -p no:randomly

install: $(INSTALL_STAMP)

$(BIN)/python:
	$(or $(PYTHON),$(error $(PYTHON_MISSING))) -m venv $(VENV)

$(INSTALL_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e . --group test
	touch $@

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles
