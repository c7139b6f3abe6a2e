# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck pytest eval bench bench-extract clean browser postgres

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# The venv's bundled pip cannot resolve trafilatura's lxml extra; upgrade it first.
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/newswatch run

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy extractors storage flows

# Two processes (pytest-xdist), each test file in one of them: the suite's budget is 5 minutes
# on 2 cores. `$(BIN)/pytest` alone runs it in one process (for -s or --pdb).
pytest: $(STAMP) browser postgres
	$(BIN)/pytest -q -n 2 --dist loadfile

# The lake tests start a throw-away PostgreSQL 15 cluster themselves (tests/support/services.py) and
# an S3 endpoint (moto_server, from the dev extra); only the PostgreSQL binaries come from
# Debian (installed when missing and root; without them those tests are skipped, saying why).
PG_BIN ?= /usr/lib/postgresql/15/bin
postgres:
	@[ -x "$(PG_BIN)/initdb" ] || [ -n "$$NEWSWATCH_PG_BIN" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null) \
	      || echo "warning: could not install postgresql-15; the lake tests will be skipped"; \
	  else echo "warning: no PostgreSQL 15 under $(PG_BIN): the lake tests will be skipped"; fi; }

# The report test drives headless Chromium through playwright. Playwright's own browser
# download is not reachable here; Debian's chromium is (installed when missing and root).
browser:
	@command -v chromium >/dev/null 2>&1 || [ -n "$$NEWSWATCH_CHROMIUM" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; the report browser test will fail"; \
	  else echo "warning: no chromium: install Debian's chromium or set NEWSWATCH_CHROMIUM"; fi; }

eval: $(STAMP)
	$(BIN)/python eval/run_eval.py
	$(BIN)/python eval/run_eval.py --heldout
	$(BIN)/python eval/relevance/evaluate.py --misses held
	# Real pages with human gold (../shared/realpages, not in the repo); skipped when absent.
	$(BIN)/python eval/realpages.py
	# Real boilerplate lines from that corpus mixed into other pages' gold bodies (item 6).
	$(BIN)/python eval/boilermix.py
	# mozilla/readability's real test pages, when cloned next to the project; skipped when absent.
	$(BIN)/python eval/readability_pages.py

bench: $(STAMP)
	$(BIN)/python bench/bench_pipeline.py

bench-extract: $(STAMP)
	$(BIN)/python bench/bench_extract.py

.PHONY: eval-dedup bench-dedup bench-fetch bench-analytics bench-lake lake-up lake-down

# Fetching (issue 4): 1,000 pages over 20 hosts at 300 ms each; 50 unchanged feeds.
bench-fetch: $(STAMP)
	$(BIN)/python bench/bench_fetch.py

# README example queries over 1M synthetic articles on the analytics copy; publish time at 100k and 1M.
bench-analytics: $(STAMP)
	$(BIN)/python bench/bench_analytics.py

# Near-copy and story evaluation (eval/dedup, eval/stories): pair precision and recall.
eval-dedup: $(STAMP)
	$(BIN)/python eval/dedup/evaluate.py
	$(BIN)/python eval/stories/evaluate.py

# Near-copy index at scale (10k/30k/100k articles, 1M stored signatures); needs datasketch for the peer.
bench-dedup: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/bench_dedup.py

# The lake against the single file on 1,000 generated articles over 10 local hosts (throw-away
# PostgreSQL 15 + moto S3): throughput with 1 and 2 processes, commits, Parquet, catalog size.
bench-lake: $(STAMP) postgres
	$(BIN)/python bench/bench_lake.py

# Trying the lake on one machine (README, "Trying the lake on one machine"): a throw-away
# PostgreSQL 15 and S3 endpoint on free loopback ports; LAKE_DIR gets lake.yaml and lake.env.
LAKE_DIR ?= data/lake-dev
LAKE_BASE_CONFIG ?= seeds/sources.yaml
lake-up: $(STAMP) postgres
	$(BIN)/newswatch lake dev-services start --dir $(LAKE_DIR) --config $(LAKE_BASE_CONFIG)

lake-down: $(STAMP)
	$(BIN)/newswatch lake dev-services stop --dir $(LAKE_DIR)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
