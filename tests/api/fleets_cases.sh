#!/usr/bin/env bash
# Fleets as a resource against a real PostgreSQL (run under with_postgres.sh): POST /v1/fleets
# (201 + Location, 409 for a taken name, 422 naming the field), GET /v1/fleets/{id} (counts of
# vehicles and simulations; 404), GET /v1/fleets paged by name, GET /v1/simulations without
# fleetId across fleets (paged), auth; `fleetsim fleet create | list`; `fleetsim migrate
# --seed-demo` makes the demo's fleet so the demo is accepted (it is a 422 before), twice.
# Every response body is checked against /openapi.json.
# Usage (from meson): with_postgres.sh fleets_cases.sh FLEETSIM-API FLEETSIM. Emits TAP.
api=$1
fleetsim=$2
root=${FSIM_SOURCE_ROOT:?}
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/lib.sh"
key=fleets-cases-test-key
export FLEETSIM_CONFIG_DIR=$root/config FLEETSIM_API_KEYS=$key \
  FLEETSIM_MIGRATIONS_DIR=${FSIM_MIGRATIONS_DIR:?}
demo=$FLEETSIM_CONFIG_DIR/scenarios/demo.json
demo_fleet=$(jq -r .fleetId "$demo")
H=(-H "X-API-Key: $key")
J=(-H "X-API-Key: $key" -H 'Content-Type: application/json')
"$fleetsim" migrate --dir "$FSIM_MIGRATIONS_DIR" >/dev/null

api_start fleets FLEETSIM_API_WORKERS=0 FLEETSIM_API_DOCS=1 ||
  bad "the server starts" "$(cat "$api_log")"
openapi=$tmp/openapi.json
curl -sS -o "$openapi" "$base/openapi.json"
export FLEETSIM_API_URL=$base FLEETSIM_API_KEY=$key

# ---- before: the demo's fleet does not exist ---------------------------------------------
req POST /v1/simulations "${J[@]}" --data-binary "@$demo"
check "fresh database: submitting the demo is 422 naming fleetId" eval \
  '[ "$status" = 422 ] && jq -e ".error.field == \"fleetId\"" "$tmp/body" >/dev/null'

# ---- POST /v1/fleets ----------------------------------------------------------------------
req POST /v1/fleets "${J[@]}" -d '{"name": "north depot", "stateCode": "CA"}'
north=$(jq -r .id "$tmp/body")
check "create: 201, Location, a Fleet with no vehicles or simulations yet" eval \
  '[ "$status" = 201 ] && [ "$(hdr Location)" = "/v1/fleets/$north" ] &&
   jq -e ".name == \"north depot\" and .stateCode == \"CA\" and .vehicles == 0 and .simulations == 0" "$tmp/body" >/dev/null &&
   conforms Fleet'
req POST /v1/fleets "${J[@]}" -d '{"name": "north depot"}'
check "the same name again: 409 fleet_exists naming name and the fleet" eval \
  '[ "$status" = 409 ] && error_shape_ok && jq -e ".error.code == \"fleet_exists\" and .error.field == \"name\" and (.error.message | contains(\"$north\"))" "$tmp/body" >/dev/null'
req POST /v1/fleets "${J[@]}" -d '{"name": "x", "stateCode": "ca"}'
check "a lower-case state code: 422 naming stateCode" eval \
  '[ "$status" = 422 ] && error_shape_ok && jq -e ".error.field == \"stateCode\"" "$tmp/body" >/dev/null'
req POST /v1/fleets "${J[@]}" -d '{"stateCode": "CALIFORNIA", "id": "nope", "extra": 1}'
check "four problems (three bad keys, name missing): 422 with four details, in order" eval \
  '[ "$status" = 422 ] && error_shape_ok &&
   jq -e "[.error.details[].field] == [\"stateCode\", \"id\", \"extra\", \"name\"]" "$tmp/body" >/dev/null'
req POST /v1/fleets -H 'Content-Type: application/json' -d '{"name": "y"}'
check "no key: 401" eval '[ "$status" = 401 ] && error_shape_ok'

# ---- GET /v1/fleets/{id} --------------------------------------------------------------------
req GET "/v1/fleets/$north" "${H[@]}"
check "get: 200, the fleet" eval '[ "$status" = 200 ] && jq -e ".id == \"$north\"" "$tmp/body" >/dev/null && conforms Fleet'
req GET /v1/fleets/00000000-0000-4000-8000-000000000000 "${H[@]}"
check "get an unknown fleet: 404" eval '[ "$status" = 404 ] && error_shape_ok'
req GET "/v1/fleets/$north" -H 'X-API-Key: wrong'
check "get with a wrong key: 403" eval '[ "$status" = 403 ]'

# ---- the CLI and --seed-demo ---------------------------------------------------------------
out=$("$fleetsim" fleet create "south depot" --state TX 2>"$tmp/err")
check "fleetsim fleet create: prints the new id" eval '[ ${#out} = 36 ]'
south=$out
"$fleetsim" fleet create "south depot" >/dev/null 2>"$tmp/err"; rc=$?
check "fleetsim fleet create, name taken: exit 2 with the API's message" eval \
  '[ "$rc" = 2 ] && grep -q "fleet_exists" "$tmp/err"'
"$fleetsim" migrate --dir "$FSIM_MIGRATIONS_DIR" --seed-demo >"$tmp/seed" 2>&1
check "migrate --seed-demo: the demo's fleet created" grep -q "demo fleet $demo_fleet (\"demo\") created" "$tmp/seed"
"$fleetsim" migrate --dir "$FSIM_MIGRATIONS_DIR" --seed-demo >"$tmp/seed" 2>&1; rc=$?
check "migrate --seed-demo again: exit 0, it is there" eval \
  '[ "$rc" = 0 ] && grep -q "demo fleet $demo_fleet (\"demo\") is there" "$tmp/seed"'
req POST /v1/simulations "${J[@]}" --data-binary "@$demo"
check "after --seed-demo the demo is accepted: 202" eval '[ "$status" = 202 ]'
jq --arg f "$north" '.fleetId = $f' "$demo" >"$tmp/north.json"
req POST /v1/simulations "${J[@]}" --data-binary "@$tmp/north.json"
req POST /v1/simulations "${J[@]}" --data-binary "@$tmp/north.json"
req GET "/v1/fleets/$north" "${H[@]}"
check "the fleet counts its simulations" eval 'jq -e ".simulations == 2" "$tmp/body" >/dev/null'
"$fleetsim" fleet list >"$tmp/list" 2>&1
check "fleetsim fleet list: every fleet, by name, with its counts" eval \
  '[ "$(awk "NR > 1 {print \$2}" "$tmp/list" | tr "\n" " ")" = "demo north south " ] &&
   grep -q "^$north  north depot  *CA  *0  *2$" "$tmp/list"'

# ---- GET /v1/fleets paged -------------------------------------------------------------------
for i in 1 2 3; do "$fleetsim" fleet create "fleet $i" >/dev/null; done
names=() cursor='' pages=0
while :; do
  req GET "/v1/fleets?limit=2${cursor:+&cursor=$cursor}" "${H[@]}"
  [ "$status" = 200 ] && conforms FleetPage || { bad "list page $pages" "status $status"; break; }
  mapfile -t -O ${#names[@]} names < <(jq -r '.items[].name' "$tmp/body")
  pages=$((pages + 1))
  cursor=$(jq -r '.nextCursor // empty' "$tmp/body")
  [ -n "$cursor" ] && [ "$pages" -lt 10 ] || break
done
check "list: 6 fleets in pages of 2, by name, the last page's nextCursor null" eval \
  '[ "$pages" = 3 ] && [ "${names[*]}" = "demo fleet 1 fleet 2 fleet 3 north depot south depot" ]'
req GET "/v1/fleets?cursor=00000000-0000-4000-8000-00000000000g" "${H[@]}"
check "list with a bad cursor: 400 naming cursor" eval \
  '[ "$status" = 400 ] && jq -e ".error.field == \"cursor\"" "$tmp/body" >/dev/null'

# ---- GET /v1/simulations without fleetId ----------------------------------------------------
req GET /v1/simulations "${H[@]}"
check "simulations without fleetId: every fleet's (3), newest first" eval \
  '[ "$status" = 200 ] && conforms SimulationPage &&
   jq -e "(.items | length == 3) and ([.items[].fleetId] | unique | length == 2)" "$tmp/body" >/dev/null'
req GET "/v1/simulations?limit=2" "${H[@]}"
c=$(jq -r .nextCursor "$tmp/body")
req GET "/v1/simulations?limit=2&cursor=$c" "${H[@]}"
check "simulations without fleetId: paged (2, then 1)" eval \
  'jq -e "(.items | length == 1) and .nextCursor == null" "$tmp/body" >/dev/null'
req GET "/v1/simulations?fleetId=$north" "${H[@]}"
check "with fleetId: that fleet's only" eval 'jq -e ".items | length == 2" "$tmp/body" >/dev/null'
api_stop
check "the API exited cleanly" test "$api_rc" = 0
check "no sanitizer reports" sanitizer_clean "$api_log"
tap_done
