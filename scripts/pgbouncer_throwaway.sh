#!/usr/bin/env bash
# Start a throwaway PgBouncer in transaction mode in front of a PostgreSQL on loopback.
#
#   scripts/pgbouncer_throwaway.sh start DIR PORT PG_PORT  -> prints its libpq address; logs in DIR
#   scripts/pgbouncer_throwaway.sh stop DIR
#
# Every database name is passed through to the server (`* =`), so tests reach the
# database they created on PostgreSQL by the same name through PgBouncer. Transaction
# mode is what production pools run: a server connection is lent for one transaction,
# so nothing may rely on session state (the app uses SET LOCAL and transaction-level
# advisory locks only). PgBouncer refuses to run as root: as root it runs as `postgres`.
set -euo pipefail

action=${1:?start or stop}
dir=${2:?directory}
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
start)
    port=${3:?port}
    pg_port=${4:?PostgreSQL port}
    bouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
    [ -x "$bouncer" ] || { echo "pgbouncer not found (apt-get install -y pgbouncer)" >&2; exit 1; }
    mkdir -p "$dir"
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$pg_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
admin_users = booking
INI
    echo '"booking" ""' >"$dir/userlist.txt"
    if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; fi
    cd /
    as_owner "$bouncer" -d "$dir/pgbouncer.ini" >/dev/null 2>"$dir/start.err" \
        || { cat "$dir/start.err" "$dir/pgbouncer.log" >&2 2>/dev/null; exit 1; }
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { echo "postgresql://booking@127.0.0.1:$port"; exit 0; }
        sleep 0.1
    done
    echo "pgbouncer did not start listening on $port" >&2; cat "$dir/pgbouncer.log" >&2 || true; exit 1
    ;;
stop)
    if [ -f "$dir/pgbouncer.pid" ]; then
        kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
        for _ in $(seq 50); do [ -f "$dir/pgbouncer.pid" ] || break; sleep 0.1; done
    fi
    ;;
*)
    echo "usage: $0 start DIR PORT PG_PORT | stop DIR" >&2; exit 2 ;;
esac
