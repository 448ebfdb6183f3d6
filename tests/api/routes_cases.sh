#!/usr/bin/env bash
# The router and the OpenAPI document list the same operations: every route of the table
# (`fleetsim-api --routes`, but the two that serve the documentation itself) is a method of
# a path in the served /openapi.json, and every method of every path there is a route — so
# neither can gain an endpoint the other does not know. Each documented operation also
# answers on the running server with something other than 404 / 405.
# Usage (from meson): routes_cases.sh FLEETSIM-API. Emits TAP.
api=$1
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/lib.sh"
key=routes-cases-test-key
export FLEETSIM_CONFIG_DIR=${FSIM_SOURCE_ROOT:?}/config

"$api" --routes >"$tmp/routes.txt"
check "fleetsim-api --routes lists the table" eval '[ "$(wc -l <"$tmp/routes.txt")" -ge 10 ]'
grep -v '(the documentation itself)$' "$tmp/routes.txt" | sort >"$tmp/router.txt"

api_start docs FLEETSIM_API_DOCS=1 FLEETSIM_API_KEYS=$key || bad "the API starts" "$(cat "$api_log")"
req GET /openapi.json
check "GET /openapi.json: 200" eval '[ "$status" = 200 ]'
jq -r '.paths | to_entries[] | .key as $p | .value | keys[]
       | select(. != "parameters") | "\(ascii_upcase) \($p)"' "$tmp/body" | sort >"$tmp/openapi.txt"

while read -r method path; do
  check "route $method $path is in /openapi.json" grep -qxF "$method $path" "$tmp/openapi.txt"
done <"$tmp/router.txt"
while read -r method path; do
  check "/openapi.json's $method $path is a route" grep -qxF "$method $path" "$tmp/router.txt"
  url=${path//\{id\}/00000000-0000-4000-8000-000000000000}
  body=()
  [ "$method" = POST ] && body=(-H 'Content-Type: application/json' --data-binary '{}')
  req "$method" "$url" -H "X-API-Key: $key" "${body[@]}"
  # an unknown id may well be 404; the path itself must be known
  check "$method $path is served (status $status: neither 405 nor an unknown path)" eval \
    '[ "$status" != 405 ] && { [ "$status" != 404 ] || [[ "$path" == *"{id}"* ]]; }'
done <"$tmp/openapi.txt"
api_stop
check "no sanitizer reports" sanitizer_clean "$api_log"
tap_done
