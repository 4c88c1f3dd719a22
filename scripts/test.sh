#!/usr/bin/env bash
# Command 2: install what the tests need and run the whole suite on PostgreSQL and SQLite.
#
#   scripts/test.sh                      # everything (this is what CI runs: .ci/run)
#   scripts/test.sh tests/booking -x     # arguments go to pytest
#   TEST_DATABASE_URL=postgresql+psycopg://user@host/db scripts/test.sh
#                                        # use that server instead of a throwaway one;
#                                        # the tests create and drop <db>_<worker> databases
#
# Steps: Debian packages when missing (postgresql, chromium, default-jre-headless, memcached,
# pgbouncer,
# and python3-venv / npm on a bare machine; needs root or sudo), .venv with the test extras
# (skipped when pyproject.toml is unchanged), front-end assets, a throwaway PostgreSQL
# cluster on a free port (stopped on exit), ruff and mypy (a failure stops the run), then
# pytest. The exit code is then pytest's and its summary is the last line printed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

missing=()
missing+=($(python_packages_missing) $(npm_missing))
if [ -z "${TEST_DATABASE_URL:-}" ] && ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    missing+=(postgresql)
fi
if [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
    missing+=(chromium fonts-liberation)
fi
command -v java >/dev/null || missing+=(default-jre-headless)  # the TLA+ model checker
# A shared rate-limit store, for the test that limits hold across instances.
[ -x /usr/bin/memcached ] || command -v memcached >/dev/null || missing+=(memcached)
# PgBouncer in transaction mode, in front of the fault tests' cluster (tests/faults/test_pgbouncer.py).
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
install_debian_packages "${missing[@]}"

ensure_venv test
ensure_assets

# Lint and types before the tests, failing the run on any error (both pinned to a minor
# version in pyproject.toml; the settings are there too: mypy checks webapp, with
# webapp/booking as strictly as --strict).
say "ruff check ."
"$VENV/bin/python" -m ruff check . || die "ruff check failed (see above)"
say "mypy"
"$VENV/bin/python" -m mypy || die "mypy failed (see above)"

pg_dir=""
stop_postgres() {
    if [ -n "$pg_dir" ]; then
        "$ROOT/scripts/pg_throwaway.sh" stop "$pg_dir" >/dev/null 2>&1 || true
        rm -rf "$pg_dir"
    fi
}
trap stop_postgres EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${TEST_DATABASE_URL:-}" ]; then
    port=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/booking-pg.XXXXXX")
    say "starting a throwaway PostgreSQL on 127.0.0.1:$port"
    TEST_DATABASE_URL=$("$ROOT/scripts/pg_throwaway.sh" start "$pg_dir" "$port")
    export TEST_DATABASE_URL
fi

# Two workers for the two cores CI has; each worker gets its own PostgreSQL database and
# SQLite file (tests/conftest.py). PYTEST_WORKERS=0 runs in one process. "worksteal": a
# worker that runs out takes tests queued for the other, so the run does not end on one
# core behind a long model check or browser test.
workers=${PYTEST_WORKERS:-2}
xdist=()
[ "$workers" = 0 ] || xdist=(-n "$workers" --dist worksteal)
say "running pytest ${xdist[*]} $*"
status=0
"$VENV/bin/python" -m pytest "${xdist[@]}" "$@" || status=$?
exit "$status"
