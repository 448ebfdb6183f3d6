#!/usr/bin/env bash
# Table-driven HTTP cases against the real fleetsim-api without a database
# (tests/data/api/http_cases.txt: routing, auth, content types, limits, malformed and
# invalid bodies, queries): each case is one TAP point — the status, and for every 4xx/5xx
# the one error shape with the expected `field` and requestId = X-Request-Id.
# Usage (from meson): http_cases.sh FLEETSIM-API. Emits TAP.
api=$1
root=${FSIM_SOURCE_ROOT:?}
data=${FSIM_TEST_DATA:?}/api
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/lib.sh"
key=http-cases-key-1
small=$data/small.json

# Bodies the table cannot hold literally.
gen_body() {
  case $1 in
    big) head -c 1100000 /dev/zero | tr '\0' ' ' ;;
    chunked-big) head -c 1100000 /dev/zero | tr '\0' ' ' ;;
    deep) python3 -c 'print("[" * 100000 + "]" * 100000)' ;;
    digits70) sed 's/"days": 2/"days": 1234567890123456789012345678901234567890123456789012345678901234567890/' "$small" ;;
    nan) sed 's/"ambientTemperatureC": -5/"ambientTemperatureC": NaN/' "$small" ;;
    infinity) sed 's/"ambientTemperatureC": -5/"ambientTemperatureC": Infinity/' "$small" ;;
    dupkey) sed 's/"days": 2,/"days": 2, "days": 3,/' "$small" ;;
    *) echo "unknown generated body $1" >&2; return 1 ;;
  esac
}
gen_value() {
  case $1 in
    gen:pad20k) head -c 20000 /dev/zero | tr '\0' a ;;
    gen:key256) head -c 256 /dev/zero | tr '\0' k ;;
    *) printf '%s' "$1" ;;
  esac
}
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

api_start plain FLEETSIM_CONFIG_DIR="$root/config" FLEETSIM_API_KEYS="http-cases-key-1, http-cases-key-2" ||
  bad "the server starts" "$(cat "$api_log")"

while IFS='|' read -r name method path headers body want field; do
  name=$(trim "$name")
  [ -z "$name" ] || [ "${name:0:1}" = '#' ] && continue
  method=$(trim "$method"); path=$(trim "$path"); headers=$(trim "$headers")
  body=$(trim "$body"); want=$(trim "$want"); field=$(trim "$field")
  args=()
  usekey=1 ct='application/json'
  if [ "$headers" != - ]; then
    IFS=';' read -ra toks <<<"$headers"
    for t in "${toks[@]}"; do
      t=$(trim "$t")
      case $t in
        nokey) usekey=0 ;;
        key=*) usekey=0; args+=(-H "X-API-Key: ${t#key=}") ;;
        noct) ct='' ;;
        ct=*) ct=${t#ct=} ;;
        H=*) h=${t#H=}; args+=(-H "${h%%: *}: $(gen_value "${h#*: }")") ;;
      esac
    done
  fi
  [ "$usekey" = 1 ] && args+=(-H "X-API-Key: $key")
  if [ "$body" != - ]; then
    case $body in
      raw:*) printf '%s' "${body#raw:}" >"$tmp/req" ;;
      jq:*) jq "${body#jq:}" "$small" >"$tmp/req" ;;
      gen:*) gen_body "${body#gen:}" >"$tmp/req" ;;
      *) if [ -f "$data/$body" ]; then cp "$data/$body" "$tmp/req"; else cp "$root/config/scenarios/$body" "$tmp/req"; fi ;;
    esac
    [ -n "$ct" ] && args+=(-H "Content-Type: $ct") || args+=(-H "Content-Type:")
    args+=(--data-binary "@$tmp/req")
  elif [ "$method" = POST ]; then
    [ -n "$ct" ] && args+=(-H "Content-Type: $ct")
    args+=(--data-binary '')
  fi
  if [ "$method" = HEAD ]; then req HEAD "$path" -I "${args[@]}"; else req "$method" "$path" "${args[@]}"; fi
  problems=()
  [ "$status" = "$want" ] || problems+=("status $status, expected $want")
  if [ "$status" -ge 400 ] 2>/dev/null; then
    error_shape_ok || problems+=("not the error shape")
    got_field=$(jq -r '.error.field // "-"' "$tmp/body" 2>/dev/null)
    [ "$got_field" = "$field" ] || problems+=("field \"$got_field\", expected \"$field\"")
    [ "$(hdr Content-Type)" = application/json ] || problems+=("content type $(hdr Content-Type)")
  fi
  if [ "$status" = 405 ] && [ -z "$(hdr Allow)" ]; then problems+=("405 without Allow"); fi
  if [ "$status" = 401 ] && [[ "$(hdr WWW-Authenticate)" != *X-API-Key* ]]; then
    problems+=("401 without WWW-Authenticate naming X-API-Key")
  fi
  if ((${#problems[@]} == 0)); then
    ok "$name: $method $path → $want"
  else
    bad "$name: $method $path → $want" "${problems[@]}" "body: $(head -c 300 "$tmp/body")"
  fi
done <"$data/http_cases.txt"

# A few cases need more than a status.
req PUT /v1/simulations -H "X-API-Key: $key"
check "405 lists the allowed methods" eval '[ "$(hdr Allow)" = "POST, GET, HEAD" ]'
req POST /v1/simulations:run -H "X-API-Key: $key" -H 'Content-Type: text/plain' -d '{}'
check "415 names the content type it got" eval 'jq -e ".error.message | contains(\"text/plain\")" "$tmp/body" >/dev/null'
req POST /v1/simulations:run -H "X-API-Key: $key" -H 'Content-Type: application/json' -d '{"days":'
check "malformed JSON: the message has line and column" eval \
  'jq -e ".error.message | test(\"^line 1, column [0-9]+: \")" "$tmp/body" >/dev/null'
req POST /v1/simulations:run -H "X-API-Key: $key" -H 'Content-Type: application/json' \
  --data-binary "@$root/config/scenarios/large.json"
check "413 for a big job points at POST /v1/simulations" eval \
  'jq -e ".error.code == \"job_too_large\" and (.error.message | contains(\"POST /v1/simulations\"))" "$tmp/body" >/dev/null'
req POST /v1/simulations:compare -H "X-API-Key: $key" -H 'Content-Type: application/json' \
  --data-binary "@$root/config/scenarios/large.json"
check "compare: 413 for a job over the synchronous limit" eval \
  'jq -e ".error.code == \"job_too_large\"" "$tmp/body" >/dev/null && [ "$status" = 413 ]'
req POST /v1/simulations:compare -H "X-API-Key: $key" -H 'Content-Type: application/json' \
  --data-binary "@$small"
cp "$tmp/body" "$tmp/compared.json"
"${FSIM_FLEETSIM:?}" compare "$small" --config "$root/config" --json >"$tmp/local-compare.json"
check "compare: four outcomes, equal to fleetsim compare --json's" eval \
  'jq -e ".results | length == 4" "$tmp/compared.json" >/dev/null &&
   [ "$(jq -S . "$tmp/compared.json")" = "$(jq -S . "$tmp/local-compare.json")" ]'
# a 422 lists every problem of the request, the first one also in error.field
req POST /v1/simulations:run -H "X-API-Key: $key" -H 'Content-Type: application/json' \
  --data-binary "@${FSIM_TEST_DATA:?}/wire/request_three_problems.json"
check "a request with three problems: 422 with three details, in order, first in field" eval \
  '[ "$status" = 422 ] && error_shape_ok && jq -e "[.error.details[].field] ==
     [\"days\", \"strategy\", \"vehicles[0].initialSoc\"] and .error.field == \"days\"" \
     "$tmp/body" >/dev/null'
req POST /v1/simulations -H "X-API-Key: $key" -H 'Content-Type: application/json' \
  --data-binary "@$FSIM_TEST_DATA/wire/request_three_problems.json"
check "POST /v1/simulations: the same three details" eval \
  '[ "$status" = 422 ] && jq -e ".error.details | length == 3" "$tmp/body" >/dev/null'
req GET /v1/config/routes -H "X-API-Key: $key"
check "routes are a GeoJSON FeatureCollection of LineStrings with ids" eval \
  'jq -e ".type == \"FeatureCollection\" and (.features | length > 0) and all(.features[]; .type == \"Feature\" and .geometry.type == \"LineString\" and (.properties.id | type == \"string\"))" "$tmp/body" >/dev/null && [ "$(hdr Content-Type)" = application/geo+json ]'
req GET /v1/config/vehicles -H "X-API-Key: $key"
check "vehicles config has the bundled types" eval 'jq -e ".vehicles[\"cargo-van\"].batteryKwh > 0" "$tmp/body" >/dev/null'

api_stop
check "SIGTERM: exit 0" eval '[ "$api_rc" = 0 ]'
check "no sanitizer reports" sanitizer_clean "$api_log"
check "every log line is JSON" eval 'jq -e . "$api_log" >/dev/null'
tap_done
