#!/usr/bin/env bash
# The OpenAPI document's examples are real (run under with_postgres.sh): every request body and
# every response with content in /openapi.json carries an example, each validates against its
# schema, and each is what the service answers today — this script makes every one of them
# again on a fresh database (the example request is the bundled demo scenario cut to one day
# and five vehicles; its :run result, :compare, a fleet, a submitted job that ran, the pages,
# a plan's status and answer, a 422, the config sections, the health answers, the report) and openapi_examples.py compares
# them with core/wire/examples/*.json (ids, times and cursors compared by shape only).
#   with_postgres.sh openapi_examples.sh FLEETSIM-API FLEETSIM            check (TAP)
#   with_postgres.sh openapi_examples.sh FLEETSIM-API FLEETSIM --update   rewrite the files
# After --update, rebuild: the files are compiled into the document (core/wire/meson.build).
api=$1
fleetsim=$2
mode=${3:-check}
root=${FSIM_SOURCE_ROOT:?}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/tap.sh"
source "$here/lib.sh"
examples=$root/core/wire/examples
key="openapi-examples-test-key"
export FLEETSIM_CONFIG_DIR=$root/config FLEETSIM_API_KEYS=$key \
  FLEETSIM_MIGRATIONS_DIR=${FSIM_MIGRATIONS_DIR:?}
H=(-H "X-API-Key: $key")
J=(-H "X-API-Key: $key" -H 'Content-Type: application/json')
real=$tmp/real
mkdir "$real"
"$fleetsim" migrate --dir "$FSIM_MIGRATIONS_DIR" --seed-demo >/dev/null

# the example request: from the bundled demo (its fleet is the one --seed-demo makes)
if [ "$mode" = --update ]; then
  jq '.name = "north depot, one winter day" | .days = 1 | .outputIntervalSeconds = 3600 |
      .vehicles = [(.vehicles[0] | .count = 2), (.vehicles[1] | .count = 3)]' \
    "$root/config/scenarios/demo.json" >"$real/SimulationRequest.json"
else
  cp "$examples/SimulationRequest.json" "$real/SimulationRequest.json"
fi
request=$real/SimulationRequest.json

api_start examples FLEETSIM_API_DOCS=1 FLEETSIM_API_WORKERS=1 FLEETSIM_API_JOB_POLL_MS=100 ||
  bad "the server starts" "$(cat "$api_log")"
openapi=$tmp/openapi.json
curl -sS -o "$openapi" "$base/openapi.json"

# keep NAME STATUS: the last response, expected with STATUS, as $real/NAME.json
keep() {
  if [ "$status" = "$2" ]; then
    cp "$tmp/body" "$real/$1.json"
  else
    bad "$1: a real answer ($status, expected $2)" "$(head -c 300 "$tmp/body")"
  fi
}
req GET /healthz; keep healthz.200 200
req GET /readyz; keep readyz.200 200
req GET /v1/config/vehicles "${H[@]}"; keep getVehicleConfig.200 200
req GET /v1/config/chargers "${H[@]}"; keep getChargerConfig.200 200
req GET /v1/config/routes "${H[@]}"; keep getRoutes.200 200
req POST /v1/simulations:run "${J[@]}" --data-binary "@$request"; keep SimulationResult 200
req POST /v1/simulations:compare "${J[@]}" --data-binary "@$request"; keep StrategyComparison 200
echo '{"name": "east depot", "stateCode": "CA"}' >"$real/NewFleet.json"
req POST /v1/fleets "${J[@]}" --data-binary "@$real/NewFleet.json"; keep Fleet 201
req GET '/v1/fleets?limit=1' "${H[@]}"; keep FleetPage 200
req POST /v1/simulations "${J[@]}" --data-binary "@$request"; keep SubmitResponse 202
id=$(jq -r .id "$real/SubmitResponse.json")
for _ in $(seq 1 300); do
  req GET "/v1/simulations/$id" "${H[@]}"
  jq -e '.status == "succeeded" or .status == "failed"' "$tmp/body" >/dev/null 2>&1 && break
  sleep 0.2
done
keep JobStatus 200
fleet=$(jq -r .fleetId "$request")
req GET "/v1/simulations?fleetId=$fleet&limit=1" "${H[@]}"; keep SimulationPage 200
# a plan of the same request: two charger counts under two strategies, run by the API's worker
if [ "$mode" = --update ]; then
  jq '.plan = {"vary": ["north.ac-19kw=1..2", "strategy=cost,peak_shaving"]}' "$request" \
    >"$real/submitPlan.request.json"
else
  cp "$examples/submitPlan.request.json" "$real/submitPlan.request.json"
fi
req POST /v1/plans "${J[@]}" --data-binary "@$real/submitPlan.request.json"
plan=$(jq -r .id "$tmp/body")
[ "$status" = 202 ] || bad "submitPlan: a real answer ($status, expected 202)" "$(head -c 300 "$tmp/body")"
for _ in $(seq 1 300); do
  req GET "/v1/plans/$plan" "${H[@]}"
  jq -e '.status == "succeeded" or .status == "failed"' "$tmp/body" >/dev/null 2>&1 && break
  sleep 0.2
done
keep PlanStatus 200
req GET "/v1/plans/$plan/result" "${H[@]}"; keep PlanResult 200
jq '.vehicles[1].initialSoc = 1.5 | .vehicles[0].count = 0' "$request" >"$tmp/bad.json"
req POST /v1/simulations:run "${J[@]}" --data-binary "@$tmp/bad.json"; keep ErrorResponse 422
req GET "/v1/simulations/$id/report" "${H[@]}"
# the report is a whole HTML page (hundreds of KB): its example is its first lines
[ "$status" = 200 ] && head -n 6 "$tmp/body" | jq -Rs . >"$real/getSimulationReport.200.json"
api_stop
check "no sanitizer reports" sanitizer_clean "$api_log"

if [ "$mode" = --update ]; then
  if python3 "$here/openapi_examples.py" update "$openapi" "$examples" "$real"; then
    ok "core/wire/examples/ rewritten from this run: rebuild to embed them"
  else
    bad "core/wire/examples/ rewritten"
  fi
else
  python3 "$here/openapi_examples.py" check "$openapi" "$examples" "$real" >"$tmp/points" ||
    true
  while IFS= read -r line; do
    case $line in
      "OK "*) ok "${line#OK }" ;;
      "BAD "*) bad "${line#BAD }" ;;
      *) echo "$line" ;;
    esac
  done <"$tmp/points"
  grep -q '^OK \|^BAD ' "$tmp/points" || bad "openapi_examples.py ran" "$(tail -5 "$tmp/points")"
  # the controls: a document missing an example, one with an example its schema refuses, an
  # example file the service no longer answers — each must be caught
  mkdir "$tmp/stale"
  cp "$examples"/*.json "$tmp/stale/"
  echo '{"status": "stale"}' >"$tmp/stale/healthz.200.json"
  jq 'del(.paths["/v1/fleets"].post.requestBody.content["application/json"].example) |
      .paths["/readyz"].get.responses["200"].content["application/json"].example = {"status": 7}' \
    "$openapi" >"$tmp/broken.json"
  python3 "$here/openapi_examples.py" check "$tmp/broken.json" "$tmp/stale" "$real" >"$tmp/control"
  check "control: a missing example, an invalid one and a stale file are each caught" eval \
    'grep -q "^BAD every request body and response with content has an example" "$tmp/control" &&
     grep -q "^# no example: POST /v1/fleets request body" "$tmp/control" &&
     grep -q "^BAD every example validates" "$tmp/control" && grep -q "^# GET /readyz 200" "$tmp/control" &&
     grep -q "^BAD healthz.200.json" "$tmp/control" && [ "$(grep -c "^BAD" "$tmp/control")" = 3 ]'
fi
tap_done
