#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the tests and print its URL on stdout.
#
#   scripts/pg_throwaway.sh start DIR PORT   -> prints postgresql+psycopg://... ; logs in DIR/log
#   scripts/pg_throwaway.sh stop DIR
#
# PostgreSQL refuses to run as root, so as root the cluster is owned by and run as
# the `postgres` system user; as a normal user it runs as that user.
set -euo pipefail

action=${1:?start or stop}
dir=${2:?data directory}
port=${3:-55432}

find_bin() {
    local candidate
    for candidate in /usr/lib/postgresql/*/bin; do
        [ -x "$candidate/pg_ctl" ] && { echo "$candidate"; return 0; }
    done
    command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return 0; }
    return 1
}

bin=$(find_bin) || { echo "PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2; exit 1; }
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "running as root needs the 'postgres' system user (created by Debian's postgresql package)" >&2
    exit 1
fi
# The server may run as another user (postgres) who cannot enter our working directory.
cd /

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$action" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -U booking --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # Tuned for throwaway speed: durability is not wanted here.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB" >/dev/null \
        || { cat "$dir/log" >&2; exit 1; }
    as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U booking -d postgres -qAtc "SELECT 1 FROM pg_database WHERE datname='booking_test'" | grep -q 1 \
        || as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U booking booking_test
    echo "postgresql+psycopg://booking@127.0.0.1:$port/booking_test"
    ;;
stop)
    [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
