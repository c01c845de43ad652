# CloudLab: two commands on a fresh machine with Python 3.11.
#   make run    install, migrate, load the demo cloud, start Redis + Celery worker + Daphne
#   make test   install, then run every test (an embedded Redis unless REDIS_URL is set)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench messages clean

run: $(VENV)/.runtime
	$(PY) -m cloudlab run

test: $(VENV)/.dev
	$(PY) -m cloudlab test -- $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check cloudlab tests bench docs
	$(PY) -m mypy

bench: $(VENV)/.dev
	$(PY) bench/scheduler.py

# Re-extract UI strings (the engine's N_() sentences too) and compile the catalogues.
messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l zh_Hans
	$(PY) manage.py makemessages -d djangojs -l zh_Hans
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

$(VENV)/.runtime: requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "CloudLab needs Python 3.11, found " + sys.version' 
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) data
