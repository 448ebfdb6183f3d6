#!/usr/bin/env bash
# gcs mode end to end, with the real binaries and peers: fleetsim-api (FLEETSIM_RESULT_MODE
# =gcs) → pstest → fleetsim-pubsub --pull → Google's Storage emulator → GET …/result through
# the API, byte for byte the object, and the same bytes as the db-mode result of the same
# request (ids aside). Faults: the emulator stopped while a job stores its result — the job
# fails with a clear reason after the retry budget, or succeeds when the emulator is back
# within it; never "succeeded" without the object. The API: an object gone ⇒ 404
# result_missing, Cloud Storage not answering ⇒ 503 storage_unavailable.
# A body whose bytes fail their checksum is never completed (tests/gcs/fake_google.py in
# front of the emulator flips a byte).
# Usage (from meson): with_postgres.sh with_pubsub.sh with_storage.sh with_fake_google.sh
#   gcs_cases.sh FLEETSIM-API FLEETSIM-PUBSUB FLEETSIM. Emits TAP.
api=$1
worker=$2
fleetsim=$3
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/../api/lib.sh"
source "$(dirname "$0")/lib.sh"
# the demo week: a 365 kB result, more than the API's 256 kB stream buffer
demo=$FLEETSIM_CONFIG_DIR/scenarios/demo.json
bucket='fleetsim-results'
emu=${FSIM_STORAGE_EMULATOR_URL:?}
emu_pid=${FSIM_STORAGE_EMULATOR_PID:?}
emu_port=${emu##*:}
object_url() { echo "$emu/storage/v1/b/$bucket/o/simulations%2F$1%2Fresult.json"; }
# local ports of the worker's open connections to the emulator
worker_conns() {
  ss -Htnp state established "( dport = :$emu_port )" 2>/dev/null |
    awk -v p="pid=$worker_pid," 'index($0, p) { split($3, a, ":"); print a[length(a)] }'
}
trap 'kill -CONT "$emu_pid" 2>/dev/null; worker_stop >/dev/null 2>&1; api_stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT

setup_db "$demo" || { bad "migrate and create the fleet"; tap_done; exit 1; }
topology jobs worker || { bad "topic and subscription in the fake"; tap_done; exit 1; }
worker_start w1 FLEETSIM_GCS_BUCKET=$bucket || bad "the worker starts" "$(cat "$worker_log")"
check "the worker says where gcs results go" \
  grep -q "gcs-mode results go to gs://$bucket via http://127.0.0.1:$emu_port (emulator, no auth)" "$worker_log"

# ---- the db-mode result of the request, for comparison ---------------------------------------
api_start db FLEETSIM_PUBSUB_TOPIC=jobs FLEETSIM_API_WORKERS=0 || bad "the API starts" "$(cat "$api_log")"
submit "$demo" -H 'X-Request-Id: e2e-db-1'
db_id=$id
check "db mode: the job succeeds" eval '[ "$(wait_final "$db_id")" = succeeded ]'
req GET "/v1/simulations/$db_id/result" "${H[@]}"
cp "$tmp/body" "$tmp/db.json"
check "db mode: result fetched" eval '[ "$status" = 200 ]'
api_stop

# ---- gcs mode --------------------------------------------------------------------------------
gcs_env=(FLEETSIM_PUBSUB_TOPIC=jobs FLEETSIM_RESULT_MODE=gcs FLEETSIM_API_WORKERS=0
         FLEETSIM_GCS_MAX_ATTEMPTS=2 FLEETSIM_GCS_TIMEOUT_SECONDS=1)
api_start gcs "${gcs_env[@]}" || bad "the API starts" "$(cat "$api_log")"
check "start-up says the result mode" grep -q '(result mode gcs)' "$api_log"
submit "$demo" -H 'X-Request-Id: e2e-gcs-1'
id1=$id
check "gcs mode: 202, the row says result_mode gcs" eval \
  '[ "$status" = 202 ] && [ "$(sql "SELECT result_mode FROM simulations WHERE id = '"'$id1'"'")" = gcs ]'
check "gcs mode: the job succeeds" eval '[ "$(wait_final "$id1")" = succeeded ]'
uri=gs://$bucket/simulations/$id1/result.json
check "the row points at the object and keeps the summary, not the bulky parts" eval \
  '[ "$(sql "SELECT metadata->>'"'resultUri'"', metadata ? '"'summary'"', metadata ? '"'trips'"', time_series_data = '"'[]'"', charging_events = '"'[]'"' FROM simulations WHERE id = '"'$id1'"'")" = "$uri|t|f|t|t" ]'
check "the object is in the emulator" eval \
  '[ "$(curl -s -o "$tmp/object.json" -w "%{http_code}" "$(object_url "$id1")?alt=media")" = 200 ]'
check "the object is the whole SimulationResult of the job" eval \
  'jq -e ".simulationId == \"$id1\" and (.timeSeriesData | length) > 0 and (.trips | length) > 0 and .metadata.traceId == \"e2e-gcs-1\"" "$tmp/object.json" >/dev/null'
check "the worker logged where, uploaded in 1 attempt" eval \
  'grep "$id1" "$worker_log" | grep -q "job succeeded: result in $uri (uploaded in 1 attempt)"'
req GET "/v1/simulations/$id1/result" "${H[@]}"
cp "$tmp/body" "$tmp/api.json"
check "GET result through the API: 200 application/json with the object's length" eval \
  '[ "$status" = 200 ] && [ "$(hdr Content-Type)" = application/json ] &&
   [ "$(hdr Content-Length)" = "$(wc -c <"$tmp/object.json" | tr -d " ")" ]'
check "the API's bytes are the object's bytes ($(wc -c <"$tmp/object.json" | tr -d ' ') bytes)" \
  cmp -s "$tmp/api.json" "$tmp/object.json"
sed -e "s/$id1/SIMULATION-ID/g" -e 's/e2e-gcs-1/TRACE-ID/g' "$tmp/api.json" >"$tmp/gcs.norm"
sed -e "s/$db_id/SIMULATION-ID/g" -e 's/e2e-db-1/TRACE-ID/g' "$tmp/db.json" >"$tmp/db.norm"
check "and the same bytes as the db-mode result of the same request (ids aside)" \
  cmp -s "$tmp/gcs.norm" "$tmp/db.norm"
req GET "/v1/simulations/$id1/report" "${H[@]}"
cp "$tmp/body" "$tmp/api.html"
"$fleetsim" report "$tmp/api.json" -o "$tmp/cli.html" >/dev/null
check "GET report of a gcs result: 200 text/html, the bytes fleetsim report renders from it" \
  eval '[ "$status" = 200 ] && [ "$(hdr Content-Type)" = "text/html; charset=utf-8" ] && cmp -s "$tmp/api.html" "$tmp/cli.html"'
# the CLI's gcs mode: the same job through the same gcs sink, read back through the API
rc=0; FLEETSIM_GCS_BUCKET=$bucket "$fleetsim" run "$demo" --mode gcs >"$tmp/cli-gcs.out" \
  2>"$tmp/cli-gcs.err" || rc=$?
cli_id=$(sed -n 's/^ *stored *simulation \([0-9a-f-]*\) .*$/\1/p' "$tmp/cli-gcs.out")
check "fleetsim run --mode gcs: exit 0, the row points at its object" eval \
  '[ "$rc" = 0 ] && [ ${#cli_id} = 36 ] && [ "$(sql "SELECT status, metadata->>'"'resultUri'"' FROM simulations WHERE id = '"'$cli_id'"'")" = "succeeded|gs://$bucket/simulations/$cli_id/result.json" ]'
req GET "/v1/simulations/$cli_id/result" "${H[@]}"
jq -cS 'del(.simulationId, .metadata.traceId)' "$tmp/body" >"$tmp/cli-gcs.norm"
jq -cS 'del(.simulationId, .metadata.traceId)' "$tmp/db.json" >"$tmp/db-ids.norm"
check "its result through the API equals the db-mode result (ids and trace aside)" eval \
  '[ "$status" = 200 ] && cmp -s "$tmp/cli-gcs.norm" "$tmp/db-ids.norm"'
rc=0; env -u FLEETSIM_GCS_BUCKET "$fleetsim" run "$demo" --mode gcs >/dev/null 2>"$tmp/nobucket.err" || rc=$?
check "fleetsim run --mode gcs without FLEETSIM_GCS_BUCKET: exit 2 naming it" eval \
  '[ "$rc" = 2 ] && grep -q "FLEETSIM_GCS_BUCKET is not set" "$tmp/nobucket.err"'
req GET "/v1/simulations/$id1" "${H[@]}"
check "its status: succeeded, progress 1" eval \
  '[ "$status" = 200 ] && jq -e ".status == \"succeeded\" and .progress == 1" "$tmp/body" >/dev/null'
# a 10 MB result (1000 vehicles: more than the socket buffers and the stream buffer hold),
# and a client that reads slowly and hangs up mid-body: the download stops, the server goes on
jq --arg f "$(jq -r .fleetId "$demo")" '.fleetId = $f' "$FLEETSIM_CONFIG_DIR/scenarios/large.json" >"$tmp/large.json"
submit "$tmp/large.json"
big=$id
check "a 1000-vehicle job in gcs mode succeeds" eval '[ "$(wait_final "$big")" = succeeded ]'
curl -s -o "$tmp/big-object.json" "$(object_url "$big")?alt=media"
curl -s --limit-rate 20k -m 1 -o /dev/null "${H[@]}" "$base/v1/simulations/$big/result" || true
check "a client hanging up mid-body: the API stops the download" \
  wait_log "$api_log" "simulation $big: the client left before the end of the result"
req GET "/v1/simulations/$big/result" "${H[@]}"
check "the next fetch is whole ($(wc -c <"$tmp/big-object.json" | tr -d ' ') bytes, streamed)" eval \
  '[ "$status" = 200 ] && [ "$(wc -c <"$tmp/big-object.json")" -gt 5000000 ] && cmp -s "$tmp/body" "$tmp/big-object.json"'

# ---- the API reading from a Cloud Storage that fails -----------------------------------------
kill -STOP "$emu_pid"
req GET "/v1/simulations/$id1/result" "${H[@]}"
kill -CONT "$emu_pid"
check "Cloud Storage not answering: 503 storage_unavailable, Retry-After, the one error shape" eval \
  '[ "$status" = 503 ] && error_shape_ok && [ -n "$(hdr Retry-After)" ] &&
   jq -e ".error.code == \"storage_unavailable\"" "$tmp/body" >/dev/null'
req GET "/v1/simulations/$id1/result" "${H[@]}"
check "Cloud Storage back: 200 again, no restart" eval '[ "$status" = 200 ] && cmp -s "$tmp/body" "$tmp/object.json"'

# ---- the worker storing into a Cloud Storage that fails -----------------------------------------
worker_stop
worker_start w2 FLEETSIM_GCS_BUCKET=$bucket FLEETSIM_GCS_MAX_ATTEMPTS=2 FLEETSIM_GCS_TIMEOUT_SECONDS=1 ||
  bad "the worker starts" "$(cat "$worker_log")"
kill -STOP "$emu_pid"
submit "$small" -H 'X-Request-Id: e2e-gcs-down'
id2=$id
st2=$(wait_final "$id2")
kill -CONT "$emu_pid"
check "emulator stopped for the whole retry budget: the job failed, not succeeded" eval '[ "$st2" = failed ]'
req GET "/v1/simulations/$id2" "${H[@]}"
check "the reason: storage_failed, names the object and the attempts" eval \
  'jq -e ".error.code == \"storage_failed\" and (.error.message | contains(\"gs://$bucket/simulations/$id2/result.json\")) and (.error.message | contains(\"gave up after 2 attempts\"))" "$tmp/body" >/dev/null'
check "the failed row has no resultUri" eval \
  '[ "$(sql "SELECT metadata ? '"'resultUri'"' FROM simulations WHERE id = '"'$id2'"'")" = f ]'
req GET "/v1/simulations/$id2/result" "${H[@]}"
check "GET result: 409 simulation_failed with that reason" eval \
  '[ "$status" = 409 ] && error_shape_ok && jq -e ".error.code == \"simulation_failed\" and (.error.message | contains(\"gave up\"))" "$tmp/body" >/dev/null'

worker_stop
worker_start w3 FLEETSIM_GCS_BUCKET=$bucket FLEETSIM_GCS_MAX_ATTEMPTS=50 FLEETSIM_GCS_TIMEOUT_SECONDS=1 ||
  bad "the worker starts" "$(cat "$worker_log")"
kill -STOP "$emu_pid"
submit "$small" -H 'X-Request-Id: e2e-gcs-back'
id3=$id
# evidence instead of a clock: the first upload attempt's connection, then another one
first='' retried=''
for i in $(seq 1 1200); do
  ports=$(worker_conns)
  [ -z "$first" ] && first=$(head -1 <<<"$ports")
  if [ -n "$first" ] && [ -n "$ports" ] && grep -qvx "$first" <<<"$ports"; then retried=1; break; fi
  sleep 0.05
done
kill -CONT "$emu_pid"
check "emulator stopped during the upload: the worker retries (a new connection)" test -n "$retried"
check "the emulator back within the budget: the job succeeds" eval '[ "$(wait_final "$id3")" = succeeded ]'
check "the log says the upload was retried" eval \
  'grep "$id3" "$worker_log" | grep "job succeeded" | grep -qE "uploaded in ([2-9]|[1-9][0-9]) attempts"'
req GET "/v1/simulations/$id3/result" "${H[@]}"
curl -s -o "$tmp/object3.json" "$(object_url "$id3")?alt=media"
check "and its object is whole: the API serves it byte for byte" eval \
  '[ "$status" = 200 ] && cmp -s "$tmp/body" "$tmp/object3.json" && jq -e ".simulationId == \"$id3\"" "$tmp/body" >/dev/null'
check "no job is succeeded without its object" eval \
  '(for s in $(sql "SELECT id FROM simulations WHERE result_mode = '"'gcs'"' AND status = '"'succeeded'"'"); do
     [ "$(curl -s -o /dev/null -w "%{http_code}" "$(object_url "$s")")" = 200 ] || exit 1; done)'

# ---- bytes that do not match their checksum (tests/gcs/fake_google.py in front of the emulator)
api_stop
api_start proxied "${gcs_env[@]}" STORAGE_EMULATOR_HOST="${FSIM_FAKE_GOOGLE:?}" \
  FLEETSIM_API_HTTP_THREADS=1 FLEETSIM_GCS_TIMEOUT_SECONDS=30 ||
  bad "the API starts" "$(cat "$api_log")"
curl -s -X POST -o /dev/null "$FSIM_FAKE_GOOGLE/control?corrupt_download=1"
rc=0
curl -sS -o "$tmp/bad.json" -D "$tmp/headers" "${H[@]}" "$base/v1/simulations/$id1/result" \
  2>"$tmp/curl.err" || rc=$?
got=$(wc -c <"$tmp/bad.json" | tr -d ' ')
check "a body that fails its checksum is never completed: curl exit $rc, $got of $(hdr Content-Length) bytes" \
  eval '[ "$rc" != 0 ] && [ "$got" -lt "$(wc -c <"$tmp/object.json")" ]'
check "the API log says the stream broke, and why" eval \
  'grep "$id1" "$api_log" | grep "result stream" | grep -q "checksum mismatch"'
req GET "/v1/simulations/$id1/result" "${H[@]}"
check "the next fetch is whole" eval '[ "$status" = 200 ] && cmp -s "$tmp/body" "$tmp/object.json"'

# ---- Cloud Storage stalling mid-body, one HTTP thread for every connection: the stream waits
# with its connection suspended, so the thread keeps serving other clients meanwhile; the
# body completes once the bytes flow again.
curl -s -X POST -o /dev/null "$FSIM_FAKE_GOOGLE/control?stall_download=5"
curl -s -o "$tmp/stalled.json" "${H[@]}" "$base/v1/simulations/$big/result" &
stalled_pid=$!
for i in $(seq 1 600); do
  [ "$(curl -s "$FSIM_FAKE_GOOGLE/stats" | jq .stalled)" = 1 ] && break
  sleep 0.05
done
sleep 0.5 # the first half is through; the stream now waits for the rest
req GET /healthz
check "while a result stream waits for Cloud Storage, the same HTTP thread answers /healthz" eval \
  '[ "$status" = 200 ] && kill -0 "$stalled_pid" 2>/dev/null'
req GET "/v1/simulations/$id1" "${H[@]}"
check "… and a status poll" eval '[ "$status" = 200 ] && kill -0 "$stalled_pid" 2>/dev/null'
wait "$stalled_pid"
check "the stalled stream completes, byte for byte" cmp -s "$tmp/stalled.json" "$tmp/big-object.json"

# ---- an object that is gone ---------------------------------------------------------------------
curl -s -X DELETE -o /dev/null "$(object_url "$id1")"
req GET "/v1/simulations/$id1/result" "${H[@]}"
check "object deleted from the bucket: 404 result_missing in the one error shape" eval \
  '[ "$status" = 404 ] && error_shape_ok && jq -e ".error.code == \"result_missing\" and (.error.message | contains(\"$uri\"))" "$tmp/body" >/dev/null'

api_stop
check "API: exit 0 on SIGTERM" test "$api_rc" = 0
worker_stop
check "worker: exit 0 on SIGTERM" test "$worker_rc" = 0
check "no sanitizer reports (APIs, workers)" eval \
  '(for f in db gcs proxied w1 w2 w3; do sanitizer_clean "$tmp/$f.log" || exit 1; done)'
tap_done
