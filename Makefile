# mmkd quick start:  make demo  |  make test
# The first run creates .venv and compiles mmcv (about 15 minutes on 2 cores, once); later runs reuse both.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
export VENV

.PHONY: env demo test lint clean-demo

env:
	@tools/setup_env.sh

demo: env
	@$(PY) tools/demo.py $(DEMO_ARGS)

# pytest exits 5 when it collects no tests: that is a failure here, never a silent pass.
test: env
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "[mmkd] pytest collected no tests: failing."; exit 1; fi; exit $$rc

# flake8 + isort, configured in setup.cfg (120 columns); .ci/run runs it before the tests.
LINT_PATHS := mmkd tools tests setup.py
lint: env
	@$(PY) -m flake8 $(LINT_PATHS) && $(PY) -m isort --check-only --diff $(LINT_PATHS) && echo "[mmkd] lint: no findings"

clean-demo:
	rm -rf work_dirs/demo data/demo_coco
