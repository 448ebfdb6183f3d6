#!/usr/bin/env bash
# fleetsim-api service conventions without a database: x-request-id (echoed when safe,
# replaced otherwise, in the body and the JSON log line), the Cloud Logging access line,
# the docs toggle, start-up refusals, and SIGTERM draining an in-flight request.
# Usage (from meson): conventions.sh FLEETSIM-API. Emits TAP.
api=$1
root=${FSIM_SOURCE_ROOT:?}
data=${FSIM_TEST_DATA:?}/api
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/lib.sh"
key=conventions-key-$$
export FLEETSIM_CONFIG_DIR=$root/config FLEETSIM_API_KEYS=$key

# ---- x-request-id ---------------------------------------------------------------------
api_start ids || bad "the server starts" "$(cat "$api_log")"
log_line() { grep -F "\"requestId\":\"$1\"" "$api_log" | grep -F '"httpRequest"' | tail -1; }

req GET /healthz -H 'X-Request-Id: abc-123_XYZ.9'
check "a good x-request-id is echoed" eval '[ "$(hdr X-Request-Id)" = abc-123_XYZ.9 ]'
id128=$(head -c 128 /dev/zero | tr '\0' r)
req GET /healthz -H "X-Request-Id: $id128"
check "128 bytes is still echoed" eval '[ "$(hdr X-Request-Id)" = "$id128" ]'
req GET /healthz
gen=$(hdr X-Request-Id)
check "no x-request-id: one is made (32 hex digits)" eval '[[ "$gen" =~ ^[0-9a-f]{32}$ ]]'
req GET /healthz
check "each request gets its own" eval '[ "$(hdr X-Request-Id)" != "$gen" ]'
for bad_id in "$(head -c 129 /dev/zero | tr '\0' r)" 'has space' 'tab	inside' 'caf€' ''; do
  req GET /healthz -H "X-Request-Id: $bad_id"
  got=$(hdr X-Request-Id)
  check "x-request-id \"${bad_id:0:20}…\" (${#bad_id} bytes) is replaced, not echoed" eval \
    '[[ "$got" =~ ^[0-9a-f]{32}$ ]] && [ "$got" != "$bad_id" ]'
done
# CR/LF cannot be sent as a header by curl; send it raw.
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\rb\r\nConnection: close\r\n\r\n' |
  timeout 10 python3 -c '
import socket, sys
u = sys.argv[1].split(":")
s = socket.create_connection((u[1][2:], int(u[2])))
s.sendall(sys.stdin.buffer.read())
out = b""
while True:
    d = s.recv(65536)
    if not d: break
    out += d
sys.stdout.write(out.decode("latin-1"))' "$base" >"$tmp/raw" 2>&1 || true
# exactly one X-Request-Id, and it is a generated one (32 hex digits): never "a", "b" or
# "a<CR>b" (a prefix test would also reject the one generated id in 16 that starts with a)
raw_ids=$(grep -ai '^X-Request-Id:' "$tmp/raw" | tr -d '\r' | cut -d' ' -f2-)
check "x-request-id with a bare CR never comes back: a new one instead" eval \
  'grep -q "200 OK" "$tmp/raw" && [[ "$raw_ids" =~ ^[0-9a-f]{32}$ ]]'

req GET /v1/config/vehicles -H 'X-Request-Id: trace-me-1'
check "the error body carries the request id" eval 'jq -e ".error.requestId == \"trace-me-1\"" "$tmp/body" >/dev/null'
sleep 0.2
line=$(log_line trace-me-1)
check "one JSON access line per request, in Cloud Logging's shape" eval 'echo "$line" | jq -e "
  .severity == \"WARNING\" and .httpRequest.requestMethod == \"GET\" and
  .httpRequest.requestUrl == \"/v1/config/vehicles\" and .httpRequest.status == 401 and
  (.httpRequest.responseSize | tonumber > 0) and (.httpRequest.latency | test(\"^[0-9.]+s$\")) and
  .requestId == \"trace-me-1\"" >/dev/null'
req GET /healthz -H 'X-Request-Id: ok-line'
sleep 0.2
check "a 200 logs at INFO" eval 'log_line ok-line | jq -e ".severity == \"INFO\" and .httpRequest.status == 200" >/dev/null'
api_stop
check "exit 0 on SIGTERM" eval '[ "$api_rc" = 0 ]'
check "no sanitizer reports" sanitizer_clean "$api_log"

# ---- trace from X-Cloud-Trace-Context or traceparent ----------------------------------
api_start trace GOOGLE_CLOUD_PROJECT=proj-1 || bad "the server starts" "$(cat "$api_log")"
req GET /healthz -H 'X-Cloud-Trace-Context: 0123456789abcdef0123456789abcdef/1;o=1' -H 'X-Request-Id: tr-1'
sleep 0.2
check "logging.googleapis.com/trace from X-Cloud-Trace-Context" eval 'log_line tr-1 |
  jq -e ".[\"logging.googleapis.com/trace\"] == \"projects/proj-1/traces/0123456789abcdef0123456789abcdef\"" >/dev/null'
check "logging.googleapis.com/spanId: X-Cloud-Trace-Context's decimal span in hex" eval 'log_line tr-1 |
  jq -e ".[\"logging.googleapis.com/spanId\"] == \"0000000000000001\"" >/dev/null'
req GET /healthz -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' -H 'X-Request-Id: tr-2'
sleep 0.2
check "W3C traceparent: trace and spanId" eval 'log_line tr-2 |
  jq -e ".[\"logging.googleapis.com/trace\"] == \"projects/proj-1/traces/4bf92f3577b34da6a3ce929d0e0e4736\" and
         .[\"logging.googleapis.com/spanId\"] == \"00f067aa0ba902b7\"" >/dev/null'
api_stop

# ---- docs toggle ----------------------------------------------------------------------
api_start docs FLEETSIM_API_DOCS=1 || bad "the server starts" "$(cat "$api_log")"
req GET /openapi.json
check "FLEETSIM_API_DOCS=1: /openapi.json is OpenAPI 3.1 with every wire schema" eval '[ "$status" = 200 ] &&
  jq -e ".openapi == \"3.1.0\" and (.components.schemas | has(\"SimulationRequest\") and has(\"SimulationResult\") and has(\"JobStatus\") and has(\"ErrorResponse\"))" "$tmp/body" >/dev/null'
cp "$tmp/body" "$tmp/openapi.json"
check "every \$ref in the document resolves" eval 'jq -e "
  [.. | objects | .[\"\$ref\"]? // empty | select(startswith(\"#/components/schemas/\")) | ltrimstr(\"#/components/schemas/\")] - (.components.schemas | keys) == []" "$tmp/openapi.json" >/dev/null'
# (Redocly's linter checks the document in its own test: openapi_lint.sh.)
# (The pages and their assets have their own tests: docs_cases.sh, docs_browser.py.)
req GET /docs
check "FLEETSIM_API_DOCS=1: /docs is an HTML page (or 503 when the viewers are not built)" eval \
  '{ [ "$status" = 200 ] && grep -q "swagger-ui-bundle.js" "$tmp/body"; } ||
   { [ "$status" = 503 ] && grep -q docs_not_installed "$tmp/body"; }'
api_stop
api_start prod FLEETSIM_ENV=production || bad "the server starts" "$(cat "$api_log")"
req GET /openapi.json
check "production: docs off by default (404, error shape)" eval '[ "$status" = 404 ] && error_shape_ok'
api_stop
api_start prod-docs FLEETSIM_ENV=production FLEETSIM_API_DOCS=1 || bad "the server starts" "$(cat "$api_log")"
req GET /openapi.json
check "production with FLEETSIM_API_DOCS=1: docs on" eval '[ "$status" = 200 ]'
api_stop

# ---- start-up refusals ----------------------------------------------------------------
rc=0; PORT=http FLEETSIM_API_LISTEN=127.0.0.1 "$api" >"$tmp/o" 2>&1 || rc=$?
check "PORT=http: exit 2 naming PORT" eval '[ "$rc" = 2 ] && grep -q "PORT" "$tmp/o"'
rc=0; PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 FLEETSIM_API_MAX_BODY_BYTES=-5 "$api" >"$tmp/o" 2>&1 || rc=$?
check "a negative body limit: exit 2 naming the variable" eval '[ "$rc" = 2 ] && grep -q FLEETSIM_API_MAX_BODY_BYTES "$tmp/o"'
rc=0; PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 FLEETSIM_API_POLL_THREADS=0 "$api" >"$tmp/o" 2>&1 || rc=$?
check "no poll threads: exit 2 naming FLEETSIM_API_POLL_THREADS" eval '[ "$rc" = 2 ] && grep -q FLEETSIM_API_POLL_THREADS "$tmp/o"'
rc=0; PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 FLEETSIM_CONFIG_DIR=$tmp/none "$api" >"$tmp/o" 2>&1 || rc=$?
check "a missing config dir: exit 1, one JSON ERROR line" eval '[ "$rc" = 1 ] && jq -se "any(.[]; .severity == \"ERROR\")" "$tmp/o" >/dev/null'
rc=0; PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 FLEETSIM_CONFIG_OVERRIDES='{"vehicles":' "$api" >"$tmp/o" 2>&1 || rc=$?
check "bad FLEETSIM_CONFIG_OVERRIDES: exit 1 naming it" eval '[ "$rc" = 1 ] && grep -q FLEETSIM_CONFIG_OVERRIDES "$tmp/o"'
rc=0; PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 DATABASE_URL="postgresql:///nodb?host=$tmp/nosocket" "$api" >"$tmp/o" 2>&1 || rc=$?
check "an unreachable database: exit 1, clear message" eval '[ "$rc" = 1 ] && grep -q "could not connect to the database" "$tmp/o"'
# ---- fail closed (issue 17): production needs a usable key unless told otherwise -------
refuse() { rc=0; env PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 "$@" "$api" >"$tmp/o" 2>&1 || rc=$?; }
refuse FLEETSIM_ENV=production FLEETSIM_API_KEYS=' , '
check "production with FLEETSIM_API_KEYS=' , ': exit 2 naming FLEETSIM_API_KEYS" eval \
  '[ "$rc" = 2 ] && grep -q "FLEETSIM_API_KEYS" "$tmp/o"'
refuse K_SERVICE=fleetsim-api FLEETSIM_API_KEYS=
check "on Cloud Run (K_SERVICE set) without keys: exit 2 naming FLEETSIM_API_KEYS" eval \
  '[ "$rc" = 2 ] && grep -q "FLEETSIM_API_KEYS" "$tmp/o"'
refuse FLEETSIM_API_KEYS=short-key-15byt
check "a key shorter than 16 bytes: exit 2 naming FLEETSIM_API_KEYS, the key not logged" eval \
  '[ "$rc" = 2 ] && grep -q "FLEETSIM_API_KEYS" "$tmp/o" && ! grep -q "short-key-15byt" "$tmp/o"'
refuse FLEETSIM_API_KEYS="$key, tiny"
check "one short key among good ones: exit 2" eval '[ "$rc" = 2 ] && grep -q "FLEETSIM_API_KEYS" "$tmp/o"'
refuse FLEETSIM_API_DOCS=yes
check "a boolean it does not know (FLEETSIM_API_DOCS=yes): exit 2 naming it" eval \
  '[ "$rc" = 2 ] && grep -q "FLEETSIM_API_DOCS" "$tmp/o"'
refuse FLEETSIM_ENV=prod FLEETSIM_API_KEYS=
check "FLEETSIM_ENV=prod (a typo): exit 2 naming FLEETSIM_ENV, not an open API" eval \
  '[ "$rc" = 2 ] && grep -q "FLEETSIM_ENV" "$tmp/o"'
refuse FLEETSIM_API_AUTH=off
check "FLEETSIM_API_AUTH=off: exit 2 naming it" eval '[ "$rc" = 2 ] && grep -q "FLEETSIM_API_AUTH" "$tmp/o"'
refuse FLEETSIM_API_AUTH=none
check "FLEETSIM_API_AUTH=none with keys set: exit 2 (which one is meant?)" eval \
  '[ "$rc" = 2 ] && grep -q "FLEETSIM_API_AUTH" "$tmp/o"'
check "production with FLEETSIM_API_AUTH=none: starts with a WARNING and serves without a key" eval '
  api_start open FLEETSIM_ENV=production FLEETSIM_API_KEYS= FLEETSIM_API_AUTH=none &&
  req GET /v1/config/vehicles && api_stop && [ "$status" = 200 ] &&
  jq -se "any(.[]; .severity == \"WARNING\" and (.message | contains(\"FLEETSIM_API_AUTH=none\")))" "$api_log" >/dev/null'
api_start auth FLEETSIM_ENV=production || bad "production with a key starts" "$(cat "$api_log")"
req GET /v1/config/vehicles
check "401 carries WWW-Authenticate naming the X-API-Key header" eval \
  '[ "$status" = 401 ] && [[ "$(hdr WWW-Authenticate)" == *X-API-Key* ]]'
req GET /v1/config/vehicles -H "X-API-Key: $key"
check "production with a key: the key lets in" eval '[ "$status" = 200 ]'
api_stop

check "FLEETSIM_CONFIG_OVERRIDES is honoured by /v1/config/vehicles" eval '
  api_start ovr FLEETSIM_CONFIG_OVERRIDES="{\"vehicles\":{\"cargo-van\":{\"batteryKwh\":89}}}" &&
  req GET /v1/config/vehicles -H "X-API-Key: $key" && api_stop &&
  jq -e ".vehicles[\"cargo-van\"].batteryKwh == 89" "$tmp/body" >/dev/null'

# ---- slow clients: 200 idle connections are closed at the idle timeout, others are served
api_start idle FLEETSIM_API_IDLE_TIMEOUT_SECONDS=1 || bad "the server starts" "$(cat "$api_log")"
python3 - "$base" >"$tmp/idle.out" 2>&1 <<'PY'
import socket, subprocess, sys, time
host, port = sys.argv[1][len("http://"):].split(":")
conns = []
for _ in range(200):  # half a request each, then silence
    s = socket.create_connection((host, int(port)))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    conns.append(s)
served = sum(subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                             sys.argv[1] + "/healthz"], capture_output=True, text=True).stdout == "200"
             for _ in range(20))
print("served", served)
closed = 0
for s in conns:  # every one must be closed by the server (bounded wait, no timing claim)
    s.settimeout(120)
    try:
        while s.recv(4096):
            pass
        closed += 1
    except socket.timeout:
        pass  # still open: not closed by the server
    except OSError:
        closed += 1  # reset by the server counts as closed
    s.close()
print("closed", closed)
PY
check "with 200 idle connections open, other clients are served" eval 'grep -qx "served 20" "$tmp/idle.out"'
check "the 200 idle connections are closed by the server at the idle timeout" eval 'grep -qx "closed 200" "$tmp/idle.out"'
req GET /healthz
check "and the server still answers afterwards" eval '[ "$status" = 200 ]'
api_stop
check "no sanitizer reports" sanitizer_clean "$api_log"

# ---- SIGTERM drains an in-flight request -----------------------------------------------
# The body of a synchronous run is fed through a FIFO in two halves: the request is
# provably in flight (its headers were handled: the DEBUG line) when SIGTERM arrives.
api_start drain FLEETSIM_API_LOG_LEVEL=debug FLEETSIM_API_GRACE_SECONDS=120 ||
  bad "the server starts" "$(cat "$api_log")"
mkfifo "$tmp/fifo"
size=$(wc -c <"$data/small.json")
curl -sS -o "$tmp/drain.json" -w '%{http_code}' -X POST -H "X-API-Key: $key" \
  -H 'Content-Type: application/json' -H 'Expect:' -H "Content-Length: $size" \
  -T "$tmp/fifo" "$base/v1/simulations:run" >"$tmp/drain.status" 2>"$tmp/drain.err" &
curl_pid=$!
exec 3>"$tmp/fifo"
head -c 100 "$data/small.json" >&3
for i in $(seq 1 600); do grep -q 'request started: POST /v1/simulations:run' "$api_log" && break; sleep 0.05; done
kill -TERM "$api_pid"
for i in $(seq 1 600); do grep -q 'shutting down' "$api_log" && break; sleep 0.05; done
check "SIGTERM with a request in flight: the drain waits for it" eval \
  'grep -q "shutting down: 1 request(s) in flight" "$api_log" && kill -0 "$api_pid"'
rc=0; curl -sS -o /dev/null "$base/healthz" 2>/dev/null || rc=$?
check "while draining, new connections are refused" eval '[ "$rc" != 0 ]'
tail -c +101 "$data/small.json" >&3
exec 3>&-
wait "$curl_pid" || true
check "the in-flight run completes with 200 and its result" eval \
  '[ "$(cat "$tmp/drain.status")" = 200 ] && jq -e ".status == \"succeeded\"" "$tmp/drain.json" >/dev/null'
api_stop
check "after draining: exit 0" eval '[ "$api_rc" = 0 ]'
check "no sanitizer reports" sanitizer_clean "$api_log"

# The grace period ends: a request that never completes is cut and the process still exits 0.
api_start cut FLEETSIM_API_LOG_LEVEL=debug FLEETSIM_API_GRACE_SECONDS=1 ||
  bad "the server starts" "$(cat "$api_log")"
rm -f "$tmp/fifo"; mkfifo "$tmp/fifo"
curl -sS -o /dev/null -X POST -H "X-API-Key: $key" -H 'Content-Type: application/json' \
  -H 'Expect:' -H "Content-Length: $size" -T "$tmp/fifo" "$base/v1/simulations:run" \
  >/dev/null 2>&1 &
curl_pid=$!
exec 3>"$tmp/fifo"
head -c 100 "$data/small.json" >&3
for i in $(seq 1 600); do grep -q 'request started' "$api_log" && break; sleep 0.05; done
api_stop
exec 3>&-
wait "$curl_pid" || true
check "grace period over: the request is cut, exit 0" eval '[ "$api_rc" = 0 ] && grep -q "grace period over" "$api_log"'
check "no sanitizer reports" sanitizer_clean "$api_log"
tap_done
