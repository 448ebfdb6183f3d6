#!/usr/bin/env bash
# GET /v1/simulations/{id}/report against the real fleetsim-api and PostgreSQL: the page is
# text/html, behind the same key as the result, and byte-identical to what `fleetsim report`
# renders from the result fetched over the API; 404 / 409 / 400 as for the result.
# Usage (from meson): with_postgres.sh report_cases.sh FLEETSIM-API FLEETSIM. Emits TAP.
api=$1
fleetsim=$2
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/lib.sh"
export FLEETSIM_CONFIG_DIR=${FSIM_SOURCE_ROOT:?}/config
key=report-cases-test-key
"$fleetsim" migrate --dir "${FSIM_MIGRATIONS_DIR:?}" >/dev/null
scenario=$FLEETSIM_CONFIG_DIR/scenarios/tight.json
fleet=$(jq -r .fleetId "$scenario")
psql -X -qtA -c "INSERT INTO fleets (id, name) VALUES ('$fleet', 'report test')" >/dev/null
api_start report FLEETSIM_API_KEYS=$key
export FLEETSIM_API_URL=$base FLEETSIM_API_KEY=$key

expect "submit --wait --json: the job succeeds" 0 '"status": "succeeded"' "" -- submit "$scenario" --wait --json
id=$(jq -r .id "$tmp/out")
req GET "/v1/simulations/$id/result" -H "X-API-Key: $key"
cp "$tmp/body" "$tmp/result.json"
check "the result is there" test "$status" = 200
req GET "/v1/simulations/$id/report" -H "X-API-Key: $key"
cp "$tmp/body" "$tmp/api.html"
check "GET .../report: 200" test "$status" = 200
check "it is text/html" grep -qi '^text/html' <<<"$(hdr Content-Type)"
"$fleetsim" report "$tmp/result.json" -o "$tmp/cli.html" >/dev/null
check "the API's page is byte-identical to fleetsim report's from the fetched result" \
  cmp -s "$tmp/api.html" "$tmp/cli.html"
check "the page shows the result's verdict" \
  grep -qF "<p id=\"verdict-text\">$(jq -r .summary.verdict "$tmp/result.json")</p>" "$tmp/api.html"
req GET "/v1/simulations/$id/report"
check "no key: 401, as for the result" test "$status" = 401
req GET "/v1/simulations/$id/report" -H "X-API-Key: wrong"
check "wrong key: 403" test "$status" = 403
req GET "/v1/simulations/00000000-0000-4000-8000-000000000000/report" -H "X-API-Key: $key"
check "unknown id: 404 in the error shape" eval 'test "$status" = 404 && error_shape_ok'
req GET "/v1/simulations/not-a-uuid/report" -H "X-API-Key: $key"
check "malformed id: 400" test "$status" = 400
# a cancelled job (a row as DELETE of a queued job leaves it): no result, so no report
cancelled=$(psql -X -qtA -c "INSERT INTO simulations (fleet_id, status, metadata, time_series_data, charging_events) VALUES ('$fleet', 'cancelled', '{}', '[]', '[]') RETURNING id" | head -1)
req GET "/v1/simulations/$cancelled/report" -H "X-API-Key: $key"
check "a cancelled job: 409 simulation_cancelled" eval 'test "$status" = 409 && jq -e ".error.code == \"simulation_cancelled\"" "$tmp/body" >/dev/null'
api_stop
check "the API exited cleanly" test "$api_rc" = 0
check "no sanitizer reports from the API" sanitizer_clean "$api_log"
tap_done
