# Two-command quick start: `make demo`, `make test` (`make check`: the unit tests, under a minute).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
REPLAY_VENV := .venv-replay
BIN := $(VENV)/bin
SCALE ?= 300

.PHONY: install replay-env browser demo test check lint bench bench-extract bench-schedule bench-catalog bench-growth clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

# pywb pins brotlipy, which breaks Scrapy's brotli: replay tooling lives in its own venv.
# `python -m archive qa` also needs a browser: Debian's chromium (Playwright's own browser
# download is unreachable from our machines) and a CJK font, installed through apt only
# where missing (as root, else with sudo).
replay-env: browser $(REPLAY_VENV)/.installed

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_INSTALL = $(SUDO) sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(1)'
NO_APT = echo "no apt-get here: install Chromium and a CJK font yourself, or point SZNEWS_CHROMIUM at a Chromium" >&2; exit 1

browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
		|| { command -v apt-get >/dev/null || { $(NO_APT); }; $(call APT_INSTALL,chromium fonts-noto-cjk); }
	@fc-list :lang=zh family 2>/dev/null | grep -q . \
		|| { command -v apt-get >/dev/null || { $(NO_APT); }; $(call APT_INSTALL,fonts-noto-cjk); }

$(REPLAY_VENV)/.installed: requirements-replay.txt
	test -x $(REPLAY_VENV)/bin/python || $(PYTHON) -m venv $(REPLAY_VENV)
	$(REPLAY_VENV)/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(REPLAY_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-replay.txt
	touch $@

demo: install
	$(BIN)/python scripts/demo.py --articles $(SCALE) --archive-dir data

# Two pytest workers (pytest-xdist), a test file each at a time: most of the suite waits on
# crawls and servers, so two at once halve the wall time on two cores (14.7 -> 7.7 min
# measured); `TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= 2
test: install replay-env
	$(BIN)/python -m pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

# The edit-test loop, under a minute: the unit tests only. A test that starts a crawl, a
# replica or a server is marked e2e by tests/lanes.py (from what it calls); `make test` runs all.
check: install
	$(BIN)/python -m pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS)) -m "not e2e and not slow and not replay"

lint: install
	$(BIN)/ruff check .

# `make bench` serves a 20,000-article replica; `make bench SCALE=5000` another size
# (the demo's SCALE default does not apply here); `LATENCY=50` adds 50 ms to every replica
# response; `SITE=http://HOST:PORT` benchmarks a replica you already run instead (used as the
# http proxy for the site; `SITE_SMALL=` a smaller one for the memory comparison).
# Results: docs/benchmarks.json.
BENCH_SCALE = $(if $(filter command line environment,$(origin SCALE)),$(SCALE),20000)
BENCH_ARGS = $(if $(SITE),--site $(SITE),--articles $(BENCH_SCALE)) \
	$(if $(SITE_SMALL),--site-small $(SITE_SMALL)) $(if $(LATENCY),--latency $(LATENCY))

bench: install bench-extract bench-schedule bench-catalog
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# Scheduled runs day by day (30 days at 1,400 articles with and without the schedule and
# without validators; 10 days at 20,000): requests and bytes a day, correction latency.
# Results: docs/benchmarks.md, docs/benchmarks-schedule.json. About half an hour.
bench-schedule: install
	$(BIN)/python scripts/bench_schedule.py

# A long life: the same quiet day's run on a young archive and on one grown 100x (photos of
# real size), page cache dropped (root): disk reads, CPU, wall, peak RSS. Results:
# docs/benchmarks.md, docs/benchmarks-growth.json. A few minutes, about 5 GB of disk.
bench-growth: install
	$(BIN)/python scripts/bench_growth.py

# Extraction accuracy per field: this project, GNE and trafilatura on the replica's three
# markups (in process, about a minute). Results: docs/benchmarks.md, docs/benchmarks-extract.json.
bench-extract: install
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[bench]'
	$(BIN)/python scripts/bench_extract.py

# The catalogue: search over 20,000 synthetic articles beside grep, and the catalogue update's
# share of a crawl's time (a few minutes). Results: docs/benchmarks-catalog.json, docs/search.md.
bench-catalog: install
	$(BIN)/python scripts/bench_catalog.py

clean:
	rm -rf data build *.egg-info
