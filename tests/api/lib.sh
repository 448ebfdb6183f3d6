# shellcheck shell=bash
# Helpers of the fleetsim-api whole-program tests (sourced after tests/lib/tap.sh).
#   api_start NAME [VAR=VALUE…]   starts "$api" with PORT=0 on 127.0.0.1 (plus the given
#                                 environment), waits for its "listening" line; sets
#                                 $base (http://127.0.0.1:PORT), $api_pid, $api_log
#   api_stop                      SIGTERM, waits; $api_rc is its exit code
#   req METHOD PATH [curl args…]  one request: status in $status, body in $tmp/body,
#                                 headers in $tmp/headers
#   hdr NAME                      a response header of the last req (case-insensitive)
#   error_shape_ok                the last body is the one error shape and its requestId
#                                 equals the X-Request-Id header
#   sanitizer_clean LOG           no ASan/UBSan report in LOG
# The caller sets $api (the binary) and $key (a valid API key).
api_pid='' base='' api_log='' api_rc=''

api_start() {
  local name=$1; shift
  api_log=$tmp/$name.log
  : >"$api_log" # exists before the background job opens it: the wait loop reads it at once
  env PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 "$@" "$api" >"$api_log" 2>&1 &
  api_pid=$!
  local port='' i
  for i in $(seq 1 600); do
    port=$(sed -n 's/.*"listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$api_log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$api_pid" 2>/dev/null || break
    sleep 0.05
  done
  base=http://127.0.0.1:$port
  [ -n "$port" ]
}

api_stop() {
  api_rc=0
  if [ -n "$api_pid" ]; then
    kill -TERM "$api_pid" 2>/dev/null || true
    wait "$api_pid" || api_rc=$?
  fi
  api_pid=''
}

req() {
  local method=$1 path=$2; shift 2
  status=$(curl -sS -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' -X "$method" \
    "$@" "$base$path" 2>"$tmp/curl.err") || status=000
}

hdr() {
  tr -d '\r' <"$tmp/headers" | awk -v n="$1" 'BEGIN{n=tolower(n)} {i=index($0,":"); if (tolower(substr($0,1,i-1))==n) {print substr($0,i+2)}}' | tail -1
}

# The one error shape; a 422 also lists its problems (details[], the first at error.field).
error_shape_ok() {
  jq -e --arg rid "$(hdr X-Request-Id)" --arg st "${status:-}" '
    (keys == ["error"]) and (.error | type == "object") and
    (.error.code | type == "string" and length > 0) and
    (.error.message | type == "string" and length > 0) and
    (.error.requestId == $rid) and
    ((.error | keys) - ["code", "message", "field", "requestId", "details"] == []) and
    (if $st == "422" then
       (.error.details | type == "array" and length >= 1 and length <= 20) and
       (.error.details[0].field == .error.field) and
       all(.error.details[]; (.message | type == "string" and length > 0))
     else (.error | has("details") | not) end)' \
    "$tmp/body" >/dev/null 2>&1
}

sanitizer_clean() { ! grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$1"; }

# Stops a server left running when the script exits early.
trap 'api_stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT

# conforms SCHEMA [FILE]: FILE (default the last body) matches components.schemas.SCHEMA of
# $openapi (an /openapi.json the caller fetched).
conforms() { python3 "$(dirname "${BASH_SOURCE[0]}")/conforms.py" "$openapi" "$1" "${2:-$tmp/body}"; }
