# Every target installs what it needs on a fresh machine (Debian 12, Python 3.11, root or sudo).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEB_PACKAGES := postgresql chromium clamav-daemon age curl

.PHONY: demo test lint bench load serve clean system-packages notices image

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

# The test tools from npm (axe-core, Spectral); npm writes node_modules/.package-lock.json on every install.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

# Debian packages the tests use for real parts: PostgreSQL, Chromium, clamd, age (benchmark reference).
system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-upgrade $$missing >/dev/null; \
	fi

demo: $(BIN)/activate
	HUB_DATA_DIR=$${HUB_DATA_DIR:-./var/demo} $(BIN)/hub demo

serve: $(BIN)/activate
	$(BIN)/hub init && $(BIN)/hub serve

# One pytest worker per logical core (pytest-xdist, at most TEST_WORKERS); each worker starts its own PostgreSQL
# cluster, SeaweedFS, clamd and Chromium. A test file goes to one worker as a whole, so its module fixtures are built
# once and its tests run in their order (--dist loadgroup would not: xdist 3.8 cannot group under pytest 9.2).
TEST_WORKERS ?= 4
test: $(BIN)/activate node_modules/.package-lock.json system-packages
	$(BIN)/pytest -q -p no:cacheprovider -n logical --maxprocesses $(TEST_WORKERS) --dist loadfile

lint: $(BIN)/activate
	$(BIN)/ruff check hub crypto tests migrations bench tools examples
	$(BIN)/ruff format --check hub crypto tests migrations bench tools examples
	$(BIN)/mypy

# THIRD_PARTY_NOTICES.md from the installed runtime dependencies (pip-licenses); refuses a licence the EUPL-1.2
# cannot live with (the allow-list in tools/notices.py).
notices: $(BIN)/activate
	$(BIN)/python -m tools.notices

# The container image (Containerfile), tagged with the version in pyproject.toml; podman, else docker.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
CONTAINER_BUILDER ?= $(shell command -v podman || command -v docker)
image:
	@test -n "$(CONTAINER_BUILDER)" || { echo "no container builder: install podman (or docker)"; exit 2; }
	$(CONTAINER_BUILDER) build -f Containerfile -t hub:$(VERSION) .

bench: $(BIN)/activate system-packages
	$(BIN)/python -m bench

# Two servers and two workers on PostgreSQL and SeaweedFS (S3) under 50 simulated users for 5 minutes, with a SIGKILL
# of one server and one worker, then the exactly-once check (README "Load"). LOAD_USERS, LOAD_SECONDS shorten it.
load: $(BIN)/activate system-packages
	$(BIN)/python -m bench.load

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
