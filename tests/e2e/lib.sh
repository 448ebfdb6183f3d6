# shellcheck shell=bash
# Helpers of the end-to-end tests (sourced after tests/lib/tap.sh and tests/api/lib.sh):
# the API publishing to the Pub/Sub fake, the real fleetsim-pubsub pulling, PostgreSQL.
#   setup_db                       `fleetsim migrate`, the scenarios' fleet
#   topology TOPIC SUB             topic + pull subscription in the fake (GOOGLE_CLOUD_PROJECT)
#   worker_start NAME [VAR=VAL…]   fleetsim-pubsub --pull on $sub, waits for its first line;
#                                  sets $worker_pid, $worker_log
#   worker_stop                    SIGTERM, waits; $worker_rc is its exit code
#   submit FILE [curl args…]       POST /v1/simulations; $status, the id in $id
#   wait_final ID                  polls the row until it leaves queued/running; prints status
#   wait_log FILE PATTERN [N]      polls until FILE has N (default 1) lines matching PATTERN
#   sql QUERY                      one value from PostgreSQL
# The caller sets $api, $worker, $fleetsim. Waits are bounded polling loops (at most ~2
# minutes each), never timing assertions. Shared settings: the API key ($key, and $H the
# header that carries it), the bundled config and migrations, $small a small two-day request.
worker_pid='' worker_log='' worker_rc=''
export GOOGLE_CLOUD_PROJECT=fsim-e2e
export FLEETSIM_CONFIG_DIR=${FSIM_SOURCE_ROOT:?}/config FLEETSIM_MIGRATIONS_DIR=${FSIM_MIGRATIONS_DIR:?}
key=e2e-cases-test-key
export FLEETSIM_API_KEYS=$key
H=(-H "X-API-Key: $key")
small=${FSIM_TEST_DATA:?}/api/small.json
sql() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }

setup_db() {
  "$fleetsim" migrate --dir "${FSIM_MIGRATIONS_DIR:?}" >/dev/null &&
    sql "INSERT INTO fleets (id, name) VALUES ('$(jq -r .fleetId "$1")', 'e2e fleet')" >/dev/null
}

topology() { "${FSIM_PUBSUB_SETUP:?}" "$1" "$2" >/dev/null; }

worker_start() {
  local name=$1; shift
  worker_log=$tmp/$name.log
  env FLEETSIM_PUBSUB_SUBSCRIPTION="${sub:-worker}" FLEETSIM_PUBSUB_RETRY_SECONDS=1 \
    FLEETSIM_PUBSUB_ACK_DEADLINE_SECONDS=10 "$@" "$worker" --pull >"$worker_log" 2>&1 &
  worker_pid=$!
  local i
  for i in $(seq 1 600); do
    grep -q 'pulling from' "$worker_log" && return 0
    kill -0 "$worker_pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

worker_stop() {
  worker_rc=0
  if [ -n "$worker_pid" ]; then
    kill -TERM "$worker_pid" 2>/dev/null || true
    wait "$worker_pid" || worker_rc=$?
  fi
  worker_pid=''
}

submit() {
  local file=$1; shift
  req POST /v1/simulations -H "X-API-Key: $key" -H 'Content-Type: application/json' "$@" \
    --data-binary "@$file"
  id=$(jq -r '.id // empty' "$tmp/body" 2>/dev/null)
}

wait_final() {
  local st='' i
  for i in $(seq 1 1200); do
    st=$(sql "SELECT status FROM simulations WHERE id = '$1'")
    case $st in queued|running|'') sleep 0.1 ;; *) break ;; esac
  done
  echo "$st"
}

wait_log() {
  local i want=${3:-1}
  for i in $(seq 1 1200); do
    [ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$want" ] && return 0
    sleep 0.1
  done
  return 1
}

# Stops what is still running when the script exits early.
trap 'worker_stop >/dev/null 2>&1; api_stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
