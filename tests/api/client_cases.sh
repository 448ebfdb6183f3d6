#!/usr/bin/env bash
# `fleetsim submit | status | fetch` against the real fleetsim-api and PostgreSQL: submit
# --wait ends succeeded and prints the run's summary as `fleetsim run` does (tight.json under
# immediate charging: "feasible NO", as locally); a failed job is exit 1 with its error; status and fetch by id;
# fetch --out says what it wrote and the files equal `fleetsim run`'s; the client sends
# User-Agent fleetsim/VERSION; API errors reach the user as code + message with exit 2; an
# unreachable API is exit 1.
# Usage (from meson): with_postgres.sh client_cases.sh FLEETSIM-API FLEETSIM. Emits TAP.
api=$1
fleetsim=$2
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/lib.sh"
export FLEETSIM_CONFIG_DIR=${FSIM_SOURCE_ROOT:?}/config
key=client-cases-test-key
"$fleetsim" migrate --dir "${FSIM_MIGRATIONS_DIR:?}" >/dev/null
# tight.json under immediate charging: it runs, but above the grid limit (feasible NO)
scenario=$tmp/tight-immediate.json
jq '.strategy = "immediate"' "$FLEETSIM_CONFIG_DIR/scenarios/tight.json" >"$scenario"
fleet=$(jq -r .fleetId "$scenario")
psql -X -qtA -c "INSERT INTO fleets (id, name) VALUES ('$fleet', 'client test')" >/dev/null
api_start client FLEETSIM_API_KEYS=$key
export FLEETSIM_API_URL=$base FLEETSIM_API_KEY=$key

"$fleetsim" run "$scenario" --out "$tmp/local" >"$tmp/local.txt"
check "tight.json is not feasible when run locally" grep -q '^  feasible     NO' "$tmp/local.txt"
expect "submit --wait: exit 0, the run's summary" 0 "feasible     NO" "" -- submit "$scenario" --wait
id=$(sed -n 's/^  stored       simulation \([0-9a-f-]*\) .*/\1/p' "$tmp/out")
check "the summary names the stored simulation" test ${#id} = 36
# the summary of the job equals the local run's, line for line (but the last: where it went)
check "submit --wait's summary is fleetsim run's" cmp -s <(head -n -1 "$tmp/out") \
  <(head -n -1 "$tmp/local.txt")
expect "submit --wait --json: the final JobStatus" 0 '"status": "succeeded"' "" -- \
  submit "$scenario" --wait --json
expect "status ID" 0 "\"id\": \"$id\"" "" -- status "$id"
expect "status ID --wait: the summary" 0 "feasible     NO" "" -- status "$id" --wait
expect "fetch ID --out DIR says what it wrote" 0 "$tmp/fetched/{result.json" "" -- \
  fetch "$id" --out "$tmp/fetched"
for f in timeseries.csv charging_events.csv trips.csv vehicles.csv; do
  check "fetched $f equals fleetsim run's" cmp -s "$tmp/fetched/$f" "$tmp/local/$f"
done
expect "submit without waiting prints the id" 0 "-" "" -- submit "$scenario"
expect "unknown id: 404 as code and message, exit 2" 2 "" "HTTP 404" -- status 00000000-0000-4000-8000-000000000000
echo "{" >"$tmp/bad.json"
expect "bad scenario: named locally, nothing sent" 2 "" "bad.json:" -- submit "$tmp/bad.json"
FLEETSIM_API_KEY=wrong expect "wrong key: 403, exit 2" 2 "" "HTTP 403" -- status "$id"
FLEETSIM_API_URL=http://127.0.0.1:1 expect "API unreachable: exit 1" 1 "" "could not reach the API" -- status "$id"
check "the API's access log names the client and its version" \
  grep -q "\"userAgent\":\"fleetsim/$("$fleetsim" --version | sed -n '1s/^fleetsim //p')\"" "$api_log"
api_stop
check "the API exited cleanly" test "$api_rc" = 0

# a job that failed: exit 1 and its error, whether submitted with --wait or waited on later
# (an API without workers, so the row stays as the test sets it)
api_start idle FLEETSIM_API_KEYS=$key FLEETSIM_API_WORKERS=0
export FLEETSIM_API_URL=$base
failed_id=$("$fleetsim" submit "$scenario")
psql -X -qtA -c "UPDATE simulations SET status = 'failed', finished_at = now(), metadata = metadata || '{\"error\": {\"code\": \"invalid_request\", \"message\": \"boom\", \"field\": \"vehicles[0].type\"}}' WHERE id = '$failed_id'" >/dev/null
expect "status --wait of a failed job: exit 1, its code, message and field" 1 "" \
  "simulation $failed_id failed: invalid_request: boom (field vehicles[0].type)" -- \
  status "$failed_id" --wait
check "nothing on stdout for a failed job" test ! -s "$tmp/out"
expect "status --wait --json of a failed job: exit 1, the JobStatus" 1 '"status": "failed"' "" \
  -- status "$failed_id" --wait --json
api_stop
check "the idle API exited cleanly" test "$api_rc" = 0
check "no sanitizer reports from the API" sanitizer_clean "$api_log"
tap_done
