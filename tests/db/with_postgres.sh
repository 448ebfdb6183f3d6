#!/usr/bin/env bash
# with_postgres.sh — run one command against a fresh, throw-away PostgreSQL server.
#
#   tests/db/with_postgres.sh CMD [ARGS…]
#
# What it does, in order:
#   1. initdb into a new mktemp directory (owned by an unprivileged user: initdb and
#      postgres refuse to run as root, so as root it runs them as the `postgres` system user
#      via runuser; as any other user it runs them as that user);
#   2. starts postgres listening ONLY on a unix socket inside that directory (no TCP:
#      listen_addresses=''), tuned for tests (fsync, full_page_writes and
#      synchronous_commit off), and waits until it accepts connections;
#   3. creates the database `fleetsim` and a role named like the calling OS user (so a root
#      client authenticates by peer/trust on the socket);
#   4. runs CMD with these variables set:
#        DATABASE_URL   libpq URI, e.g. postgresql:///fleetsim?host=/tmp/fsim-pg.XXXX
#        PGHOST PGDATABASE PGUSER   the same, for psql and libpq defaults
#        FSIM_PG_DIR    the temp directory (data in $FSIM_PG_DIR/data, log in …/postgres.log)
#        FSIM_PG_BIN    the PostgreSQL binaries directory
#   5. stops the server (fast shutdown) and deletes the directory — also when CMD fails or
#      the script is interrupted (trap). The exit code is CMD's.
#
# Environment knobs: FSIM_PG_BIN (default /usr/lib/postgresql/15/bin),
# FSIM_PG_KEEP=1 keeps the directory (for debugging), FSIM_PG_TCP=1 also listens on a free
# 127.0.0.1 port (then DATABASE_URL uses it and FSIM_PG_PORT is set).
#
# Reused by the store, API and Pub/Sub tests: one server per test program, not per case.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: with_postgres.sh CMD [ARGS…]" >&2
  exit 2
fi

bin=${FSIM_PG_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$bin/postgres" ]; then
  echo "with_postgres.sh: no PostgreSQL binaries in $bin (install the postgresql package)" >&2
  exit 77
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/fsim-pg.XXXXXX")
chmod 755 "$dir"

as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  as_pg=(runuser -u postgres --)
fi

started=0
cleanup() {
  local rc=$?
  if [ "$started" = 1 ]; then
    "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ "${FSIM_PG_KEEP:-0}" = 1 ]; then
    echo "with_postgres.sh: kept $dir" >&2
  else
    rm -rf "$dir"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
  --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }

port=5432
listen=''
if [ "${FSIM_PG_TCP:-0}" = 1 ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  listen='127.0.0.1'
fi

# -c settings: test speed over durability; small shared memory so many servers can coexist.
"${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -s \
  -o "-c listen_addresses='$listen' -p $port -k $dir -c unix_socket_permissions=0777 \
      -c fsync=off -c full_page_writes=off -c synchronous_commit=off \
      -c shared_buffers=32MB -c max_connections=60 -c log_min_messages=warning" \
  start || { cat "$dir/postgres.log" >&2; exit 1; }
started=1

me=$(id -un)
psql_pg=("${as_pg[@]}" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres)
"${psql_pg[@]}" -c "CREATE DATABASE fleetsim" >/dev/null
if [ "$me" != postgres ]; then
  "${psql_pg[@]}" -c "CREATE ROLE \"$me\" SUPERUSER LOGIN" >/dev/null
fi

export FSIM_PG_DIR=$dir FSIM_PG_BIN=$bin PGDATABASE=fleetsim PGUSER=$me
if [ "${FSIM_PG_TCP:-0}" = 1 ]; then
  export PGHOST=127.0.0.1 PGPORT=$port FSIM_PG_PORT=$port
  export DATABASE_URL="postgresql://$me@127.0.0.1:$port/fleetsim"
else
  export PGHOST=$dir PGPORT=$port
  export DATABASE_URL="postgresql:///fleetsim?host=$dir&port=$port&user=$me"
fi

rc=0
"$@" || rc=$?
exit $rc
