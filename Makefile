# mmkd quick start:  make demo  |  make test
# The first run creates .venv and compiles mmcv (about 15 minutes on 2 cores, once); later runs reuse both.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
export VENV

.PHONY: env demo test clean-demo

env:
	@tools/setup_env.sh

demo: env
	@$(PY) tools/demo.py $(DEMO_ARGS)

# pytest exits 5 when it collects no tests: that is a failure here, never a silent pass.
test: env
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "[mmkd] pytest collected no tests: failing."; exit 1; fi; exit $$rc

clean-demo:
	rm -rf work_dirs/demo data/demo_coco
