#!/usr/bin/env bash
# HTTP niceties of fleetsim-api against a real PostgreSQL (run under with_postgres.sh):
# results and reports gzip-encoded when the client accepts gzip (decoded: byte-identical to
# the plain body), identity otherwise, always with Vary: Accept-Encoding; CORS from the
# FLEETSIM_API_CORS_ORIGINS allow-list — preflight OPTIONS allowed or denied by the list
# (without an API key, as browsers send it), the allowed origin named on every answer, no
# cross-origin at all by default.
# Usage (from meson): with_postgres.sh encoding_cases.sh FLEETSIM-API FLEETSIM. Emits TAP.
api=$1
fleetsim=$2
root=${FSIM_SOURCE_ROOT:?}
data=${FSIM_TEST_DATA:?}/api
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/lib.sh"
key=encoding-cases-test-key
app=https://app.example.com
export FLEETSIM_CONFIG_DIR=$root/config FLEETSIM_API_KEYS=$key \
  FLEETSIM_MIGRATIONS_DIR=${FSIM_MIGRATIONS_DIR:?}
small=$data/small.json
H=(-H "X-API-Key: $key")
"$fleetsim" migrate --dir "$FSIM_MIGRATIONS_DIR" >/dev/null
psql -X -qtA -c "INSERT INTO fleets (id, name) VALUES ('$(jq -r .fleetId "$small")', 'enc')" >/dev/null

api_start cors "FLEETSIM_API_CORS_ORIGINS=http://localhost:3000, $app" ||
  bad "the server starts" "$(cat "$api_log")"
id=$(FLEETSIM_API_URL=$base FLEETSIM_API_KEY=$key "$fleetsim" submit "$small" --wait --json |
  jq -r .id)
check "a job to read" test ${#id} = 36

# ---- gzip --------------------------------------------------------------------------------
# has_vary NAME: the last response's Vary headers include NAME
has_vary() { tr -d '\r' <"$tmp/headers" | grep -i '^vary:' | grep -qi "$1"; }
for what in result report; do
  req GET "/v1/simulations/$id/$what" "${H[@]}"
  cp "$tmp/body" "$tmp/plain"
  cp "$tmp/body" "$tmp/plain-$what"
  check "$what without Accept-Encoding: identity, Vary: Accept-Encoding" eval \
    '[ "$status" = 200 ] && [ -z "$(hdr Content-Encoding)" ] && has_vary Accept-Encoding'
  req GET "/v1/simulations/$id/$what" "${H[@]}" -H 'Accept-Encoding: gzip, deflate, br'
  check "$what with Accept-Encoding gzip: Content-Encoding gzip, Vary, smaller" eval \
    '[ "$status" = 200 ] && [ "$(hdr Content-Encoding)" = gzip ] && has_vary Accept-Encoding &&
     [ "$(stat -c %s "$tmp/body")" -lt "$(stat -c %s "$tmp/plain")" ]'
  check "$what: gzip decoded equals the plain body" eval \
    'gzip -dc <"$tmp/body" | cmp -s - "$tmp/plain"'
  echo "# $what: $(stat -c %s "$tmp/plain") bytes plain, $(stat -c %s "$tmp/body") gzip"
done
req GET "/v1/simulations/$id/result" "${H[@]}" -H 'Accept-Encoding: gzip;q=0, identity'
check "gzip;q=0: identity" eval '[ -z "$(hdr Content-Encoding)" ] && cmp -s "$tmp/body" "$tmp/plain-result"'
req GET "/v1/simulations/$id/result" "${H[@]}" -H 'Accept-Encoding: identity'
check "identity only: identity" eval '[ -z "$(hdr Content-Encoding)" ]'
req GET "/v1/simulations/$id/result" "${H[@]}" -H 'Accept-Encoding: *'
check "*: gzip" eval '[ "$(hdr Content-Encoding)" = gzip ]'
req GET "/v1/simulations/$id/result" "${H[@]}" --compressed
check "curl --compressed reads the same result" eval \
  '[ "$status" = 200 ] && [ "$(hdr Content-Encoding)" = gzip ] && cmp -s "$tmp/body" "$tmp/plain-result"'
req GET "/v1/simulations/$id" "${H[@]}" -H 'Accept-Encoding: gzip'
check "a small JobStatus stays identity" eval '[ "$status" = 200 ] && [ -z "$(hdr Content-Encoding)" ]'

# ---- CORS --------------------------------------------------------------------------------
req OPTIONS /v1/simulations -H "Origin: $app" -H 'Access-Control-Request-Method: POST' \
  -H 'Access-Control-Request-Headers: content-type, x-api-key'
check "preflight from an allowed origin, no key: 204 with the Access-Control-Allow-* headers" eval \
  '[ "$status" = 204 ] && [ "$(hdr Access-Control-Allow-Origin)" = "$app" ] &&
   hdr Access-Control-Allow-Methods | grep -q POST &&
   hdr Access-Control-Allow-Headers | grep -qi x-api-key && has_vary Origin'
req OPTIONS "/v1/simulations/$id/result" -H 'Origin: http://localhost:3000' \
  -H 'Access-Control-Request-Method: GET'
check "preflight from the other listed origin: 204" eval \
  '[ "$status" = 204 ] && [ "$(hdr Access-Control-Allow-Origin)" = http://localhost:3000 ]'
req OPTIONS /v1/simulations -H 'Origin: https://evil.example' \
  -H 'Access-Control-Request-Method: POST'
check "preflight from an origin not in the list: 403 naming Origin, no Allow-Origin" eval \
  '[ "$status" = 403 ] && error_shape_ok && jq -e ".error.field == \"Origin\"" "$tmp/body" >/dev/null &&
   [ -z "$(hdr Access-Control-Allow-Origin)" ]'
req GET "/v1/simulations/$id" "${H[@]}" -H "Origin: $app"
check "a request from an allowed origin names it and exposes X-Request-Id" eval \
  '[ "$status" = 200 ] && [ "$(hdr Access-Control-Allow-Origin)" = "$app" ] &&
   hdr Access-Control-Expose-Headers | grep -q X-Request-Id'
req GET "/v1/simulations/$id" -H "Origin: $app"
check "its errors too (401 without a key)" eval \
  '[ "$status" = 401 ] && [ "$(hdr Access-Control-Allow-Origin)" = "$app" ]'
req GET "/v1/simulations/$id" "${H[@]}" -H 'Origin: https://evil.example'
check "a request from another origin: no Allow-Origin" eval \
  '[ "$status" = 200 ] && [ -z "$(hdr Access-Control-Allow-Origin)" ]'
req OPTIONS /v1/simulations
check "OPTIONS without CORS: 204 with Allow" eval '[ "$status" = 204 ] && [ "$(hdr Allow)" = "POST, GET, HEAD" ]'
req OPTIONS /v1/nothing -H "Origin: $app" -H 'Access-Control-Request-Method: GET'
check "OPTIONS on an unknown path: 404" eval '[ "$status" = 404 ] && error_shape_ok'
api_stop
check "the API exited cleanly" test "$api_rc" = 0
check "no sanitizer reports" sanitizer_clean "$api_log"

api_start default || bad "the server starts" "$(cat "$api_log")"
req OPTIONS /v1/simulations -H "Origin: $app" -H 'Access-Control-Request-Method: POST'
check "default (no list): every preflight is denied" eval \
  '[ "$status" = 403 ] && [ -z "$(hdr Access-Control-Allow-Origin)" ]'
req GET "/v1/simulations/$id" "${H[@]}" -H "Origin: $app"
check "default: no Allow-Origin, no Vary: Origin" eval \
  '[ "$status" = 200 ] && [ -z "$(hdr Access-Control-Allow-Origin)" ] && ! has_vary Origin'
api_stop
check "no sanitizer reports (default server)" sanitizer_clean "$api_log"
tap_done
