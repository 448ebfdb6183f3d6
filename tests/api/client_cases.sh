#!/usr/bin/env bash
# `fleetsim submit | status | fetch` against the real fleetsim-api and PostgreSQL: submit
# --wait ends succeeded; status and fetch by id; the fetched files equal `fleetsim run`'s;
# API errors reach the user as code + message with exit 2; an unreachable API is exit 1.
# Usage (from meson): with_postgres.sh client_cases.sh FLEETSIM-API FLEETSIM. Emits TAP.
api=$1
fleetsim=$2
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/lib.sh"
export FLEETSIM_CONFIG_DIR=${FSIM_SOURCE_ROOT:?}/config
key=client-cases-test-key
"$fleetsim" migrate --dir "${FSIM_MIGRATIONS_DIR:?}" >/dev/null
scenario=$FLEETSIM_CONFIG_DIR/scenarios/tight.json
fleet=$(jq -r .fleetId "$scenario")
psql -X -qtA -c "INSERT INTO fleets (id, name) VALUES ('$fleet', 'client test')" >/dev/null
api_start client FLEETSIM_API_KEYS=$key
export FLEETSIM_API_URL=$base FLEETSIM_API_KEY=$key

expect "submit --wait: the job succeeds" 0 '"status": "succeeded"' "" -- submit "$scenario" --wait
id=$(jq -r .id "$tmp/out")
check "the printed status is a JobStatus with the job id" test ${#id} = 36
expect "status ID" 0 "\"id\": \"$id\"" "" -- status "$id"
expect "fetch ID --out DIR" 0 "" "" -- fetch "$id" --out "$tmp/fetched"
"$fleetsim" run "$scenario" --out "$tmp/local" >/dev/null
for f in timeseries.csv charging_events.csv trips.csv vehicles.csv; do
  check "fetched $f equals fleetsim run's" cmp -s "$tmp/fetched/$f" "$tmp/local/$f"
done
expect "submit without waiting prints the id" 0 "-" "" -- submit "$scenario"
expect "unknown id: 404 as code and message, exit 2" 2 "" "HTTP 404" -- status 00000000-0000-4000-8000-000000000000
echo "{" >"$tmp/bad.json"
expect "bad scenario: named locally, nothing sent" 2 "" "bad.json:" -- submit "$tmp/bad.json"
FLEETSIM_API_KEY=wrong expect "wrong key: 403, exit 2" 2 "" "HTTP 403" -- status "$id"
FLEETSIM_API_URL=http://127.0.0.1:1 expect "API unreachable: exit 1" 1 "" "could not reach the API" -- status "$id"
api_stop
check "the API exited cleanly" test "$api_rc" = 0
check "no sanitizer reports from the API" sanitizer_clean "$api_log"
tap_done
