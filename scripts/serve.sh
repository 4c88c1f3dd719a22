#!/usr/bin/env bash
# Command 1: install, migrate, load the demo and serve Booking Manager with gunicorn.
#
#   scripts/serve.sh                       # SQLite in instance/, http://127.0.0.1:8000
#   DATABASE_URL=postgresql+psycopg://user:pass@host/db scripts/serve.sh
#   BIND=0.0.0.0:8080 scripts/serve.sh
#   SERVE_WORKER=0 scripts/serve.sh        # without the background worker
#
# BOOKING_ENV defaults to "development" here (a local demo: generated secret key,
# cookies without the Secure flag so plain http works). For production set
# BOOKING_ENV=production and SECRET_KEY; see README.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

# shellcheck disable=SC2046  # word splitting of the package list is intended
install_debian_packages $(python_packages_missing) $(npm_missing)
ensure_venv
ensure_assets

export BOOKING_ENV=${BOOKING_ENV:-development}
export BIND=${BIND:-127.0.0.1:8000}
flask=("$VENV/bin/flask" --app webapp)

say "applying migrations (flask --app webapp db upgrade)"
if ! output=$("${flask[@]}" db upgrade 2>&1); then
    printf '%s\n' "$output" >&2
    die "the migrations failed (see above)"
fi

say "loading the demo restaurant (flask --app webapp demo)"
"${flask[@]}" demo

# The worker sends what is due after commit: reminders and webhooks only go out through
# it (booking e-mails are also tried right after their commit). SERVE_WORKER=0: without.
worker=""
if [ "${SERVE_WORKER:-1}" != 0 ]; then
    say "starting the worker (flask --app webapp worker: e-mails, reminders, webhooks)"
    "${flask[@]}" worker --interval 5 &
    worker=$!
    trap '[ -n "$worker" ] && kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null || true' EXIT
fi

say "serving on http://$BIND/ (gunicorn -c gunicorn.conf.py; Ctrl-C stops it)"
"$VENV/bin/gunicorn" -c gunicorn.conf.py
