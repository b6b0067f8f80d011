#!/usr/bin/env bash
# Install tsumugi with its test tools (and Chromium + poppler-utils from Debian), then run the whole
# test suite. Extra arguments go to pytest, e.g. scripts/test.sh tests/areas -x
# With no DATABASE_URL the suite runs on SQLite; .ci/run runs it again on PostgreSQL.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/install.sh" --test

# The browser tests drive Django's live server from sync Playwright code.
export DJANGO_ALLOW_ASYNC_UNSAFE=true
# Two workers: each has its own test database and its own live server.
# --durations: the slowest tests are printed, so a suite that grows slow shows where.
exec .venv/bin/pytest -p xdist -n "${TSUMUGI_TEST_WORKERS:-2}" --durations=10 "$@"
