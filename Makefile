# Two commands matter: `make run` (install, migrate, seed, serve) and `make test` (install, whole suite).
# Both need only Python 3.11 on the machine: uv is installed with pip, and uv installs the locked set.
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif
RUN := $(UV) run --frozen

.PHONY: install run serve seed test test-postgres test-store-tz check format bench bench-million coverage mutation clean

install:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --frozen

run: install
	$(RUN) archive db upgrade
	$(RUN) archive seed
	$(RUN) archive serve

test: install
	$(RUN) pytest

# The event store's contract and the pinned hash format under a non-UTC TZ (UTC+05:45, POSIX form, no
# tzdata needed): SQLite hands back naive times, and a reader taking them as local time passes under UTC.
test-store-tz: install
	TZ="ARC-05:45" $(RUN) pytest -q -p no:cacheprovider \
	  tests/contract/test_event_store.py tests/contract/test_event_store_inputs.py tests/contract/test_hash_format.py

check: install
	$(RUN) ruff check archive api tests migrations
	$(RUN) ruff format --check archive api tests migrations
	$(RUN) mypy

format: install
	$(RUN) ruff format archive api tests migrations
	$(RUN) ruff check --fix archive api tests migrations

# The benchmark suite (bench/README.md): both databases, 10^4 and 10^5, about 26 minutes here (budget 30); BENCH_ARGS adds flags.
bench: install
	$(RUN) python -m bench --backend sqlite,postgres --million never $(BENCH_ARGS)

# The 10^6 tier (cases 4, 5 and 6 at 10^6, after their 10^4 and 10^5 runs), both databases: 89 and
# 112 minutes for the two halves in the last run (bench/README.md); run when a change is about scale.
bench-million: install
	$(RUN) python -m bench --backend sqlite,postgres --cases 4,5,6 --million always --budget 7200 $(BENCH_ARGS)

# Branch coverage of archive/ over the whole suite, the CLI's subprocesses included (pyproject's
# [tool.coverage.run]); writes docs/coverage.md. Target: 85% of branches.
coverage: install
	rm -rf var/coverage && mkdir -p var/coverage
	$(RUN) pytest --cov --cov-report= $(COVERAGE_ARGS); status=$$?; \
	$(RUN) coverage combine -q 2>/dev/null; \
	$(RUN) coverage json -q -o var/coverage/coverage.json && \
	$(RUN) python docs/coverage_summary.py var/coverage/coverage.json; \
	exit $$status

# Mutation testing of the core modules against their fast tests on SQLite (pyproject's [tool.mutmut]);
# slow, so not part of CI: one worker, niced. Writes docs/mutation.md. MUTANTS narrows the run to
# mutant names (globs), e.g. MUTANTS='archive.domain.time*'.
mutation: install
	env -u ARCHIVE_TEST_POSTGRES_URL nice -n 10 $(RUN) mutmut run --max-children 1 $(MUTANTS)
	$(RUN) python docs/mutation_report.py

clean:
	rm -rf var mutants .pytest_cache .mypy_cache .ruff_cache
