#!/usr/bin/env bash
# Command 1: install, migrate, load the demo and serve Booking Manager with gunicorn.
#
#   scripts/serve.sh                       # SQLite in instance/, http://127.0.0.1:8000
#   DATABASE_URL=postgresql+psycopg://user:pass@host/db scripts/serve.sh
#   BIND=0.0.0.0:8080 scripts/serve.sh
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

say "serving on http://$BIND/ (gunicorn -c gunicorn.conf.py; Ctrl-C stops it)"
exec "$VENV/bin/gunicorn" -c gunicorn.conf.py
