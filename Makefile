# The two commands of the README's quick start. Each sets up .venv from the lock file first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --no-deps -e .  # setuptools warns about editable installs of top-level packages
	touch $(STAMP)

## Serve the bundled demo site, crawl it into ./corpus, print a summary.
demo: $(STAMP)
	$(BIN)/govcorpus demo

## Lint (ruff) and type-check (mypy) the repository, then run the whole test suite
## (starts SeaweedFS and the fixture sites itself). Any of the three failing fails the target.
## The suite runs on every core (pytest-xdist), a test file's tests on one worker: most tests wait
## on servers and subprocesses, and each worker starts its own SeaweedFS and Redis on free ports.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n auto --dist loadfile --durations=10; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; \
	exit $$status

## Re-resolve the pinned versions after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --quiet -o requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info
