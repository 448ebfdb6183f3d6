#!/usr/bin/env bash
# The API publishing jobs (FLEETSIM_PUBSUB_TOPIC) end to end, with the real binaries and
# peers: fleetsim-api → Google's pstest Pub/Sub fake → fleetsim-pubsub --pull → PostgreSQL →
# GET through the API, equal to `fleetsim run` of the same scenario. The job never runs in
# the API process (its workers are on); an idempotent replay publishes nothing. The outbox:
# Publish failing — the fake stopped, or the topic missing — still answers 202 with the row
# queued; once Pub/Sub is back the job is published and completes. A message Pub/Sub took
# and then lost: the outbox publishes the job again, and it runs once.
# Usage (from meson): with_postgres.sh with_pubsub.sh publish_cases.sh FLEETSIM-API
#   FLEETSIM-PUBSUB FLEETSIM. Emits TAP.
api=$1
worker=$2
fleetsim=$3
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/../api/lib.sh"
source "$(dirname "$0")/lib.sh"
# the outbox at test speed: rows left alone for 1 s, then retried every 1, 2, 4 … s
fast_outbox=(FLEETSIM_API_OUTBOX_DELAY_SECONDS=1 FLEETSIM_API_OUTBOX_BACKOFF_SECONDS=1
             FLEETSIM_API_OUTBOX_POLL_MS=100 FLEETSIM_API_PUBLISH_TIMEOUT_MS=1000)

setup_db "$small" || { bad "migrate and create the fleet"; tap_done; exit 1; }
topology jobs worker || { bad "topic and subscription in the fake"; tap_done; exit 1; }

# ---- settings refused at start-up -------------------------------------------------------
rc=0; env PORT=0 FLEETSIM_RESULT_MODE=s3 "$api" >"$tmp/o" 2>&1 || rc=$?
check "FLEETSIM_RESULT_MODE=s3: start-up refused (exit 2, names the variable)" eval \
  '[ "$rc" = 2 ] && grep -q "FLEETSIM_RESULT_MODE" "$tmp/o"'
rc=0; env PORT=0 FLEETSIM_RESULT_MODE=gcs "$api" >"$tmp/o" 2>&1 || rc=$?
check "FLEETSIM_RESULT_MODE=gcs without a topic: refused, says it needs FLEETSIM_PUBSUB_TOPIC" eval \
  '[ "$rc" = 2 ] && grep -q "FLEETSIM_PUBSUB_TOPIC" "$tmp/o"'

# ---- publish → worker → row → API --------------------------------------------------------
api_start pub FLEETSIM_PUBSUB_TOPIC=jobs FLEETSIM_API_WORKERS=2 "${fast_outbox[@]}" ||
  bad "the API starts" "$(cat "$api_log")"
check "start-up names the full topic and the mode" \
  grep -q 'published to projects/fsim-e2e/topics/jobs via .*(emulator) (result mode db)' "$api_log"
submit "$small" -H 'X-Request-Id: e2e-pub-1'
id1=$id
check "submit: 202 with an id" eval '[ "$status" = 202 ] && [ ${#id1} = 36 ]'
check "the row: queued, result_mode db, published" eval \
  '[ "$(sql "SELECT status, result_mode, published_at IS NOT NULL FROM simulations WHERE id = '"'$id1'"'")" = "queued|db|t" ]'
check "the API logged the publish with the request id" eval \
  'grep "e2e-pub-1" "$api_log" | grep -q "simulation $id1: published to projects/fsim-e2e/topics/jobs"'

worker_start w1 || bad "the worker starts" "$(cat "$worker_log")"
check "the worker ran it: succeeded" eval '[ "$(wait_final "$id1")" = succeeded ]'
req GET "/v1/simulations/$id1/result" "${H[@]}"
cp "$tmp/body" "$tmp/fetched.json"
check "GET result through the API: 200, simulationId is the job" eval \
  '[ "$status" = 200 ] && jq -e ".simulationId == \"$id1\"" "$tmp/fetched.json" >/dev/null'
"$fleetsim" run "$small" --json --out "$tmp/local-files" >"$tmp/local.json"
for part in summary timeSeriesData chargingEvents trips; do
  check "fetched $part equals fleetsim run's" eval \
    "[ \"\$(jq -S .$part \"\$tmp/fetched.json\")\" = \"\$(jq -S .$part \"\$tmp/local.json\")\" ]"
done
check "X-Request-Id → message attributes → worker log and metadata.traceId" eval \
  'jq -e ".metadata.traceId == \"e2e-pub-1\"" "$tmp/fetched.json" >/dev/null &&
   grep "job started" "$worker_log" | grep "$id1" | grep -q "\"requestId\":\"e2e-pub-1\""'
check "run by the Pub/Sub worker, never by the API's in-process workers" eval \
  '[ "$(grep -c "job started" "$worker_log" | tr -d " ")" -ge 1 ] &&
   grep "job started" "$worker_log" | grep -q "$id1" && ! grep -q "simulation $id1: job started" "$api_log"'

# an idempotent replay is the same job: one row, one publish, one run
jq '.days = 2' "$small" >"$tmp/two.json"
submit "$tmp/two.json" -H 'Idempotency-Key: e2e-key-1'
id2=$id
submit "$tmp/two.json" -H 'Idempotency-Key: e2e-key-1'
check "replay: 202, same id" eval '[ "$status" = 202 ] && [ "$id" = "$id2" ] && [ "$(hdr Idempotent-Replayed)" = true ]'
check "the replayed job succeeds" eval '[ "$(wait_final "$id2")" = succeeded ]'
check "published once, run once" eval \
  '[ "$(grep -c "simulation $id2: published" "$api_log")" = 1 ] &&
   [ "$(grep "job started" "$worker_log" | grep -c "$id2")" = 1 ]'

# ---- the outbox: the Pub/Sub fake stopped ----------------------------------------------------
kill -STOP "${FSIM_PUBSUB_FAKE_PID:?}"
jq '.days = 3' "$small" >"$tmp/three.json"
submit "$tmp/three.json" -H 'X-Request-Id: e2e-stopped-1'
id3=$id
row3=$(sql "SELECT status, published_at IS NULL FROM simulations WHERE id = '$id3'")
check "Pub/Sub not answering: still 202 (the row is durable)" eval '[ "$status" = 202 ] && [ ${#id3} = 36 ]'
check "the row is queued and unpublished: in the outbox" eval '[ "$row3" = "queued|t" ]'
check "a WARNING says the job waits in the outbox" eval \
  'grep "\"WARNING\"" "$api_log" | grep "$id3" | grep -q "could not publish"'
kill -CONT "$FSIM_PUBSUB_FAKE_PID"
check "Pub/Sub back: the job is published and completes" eval '[ "$(wait_final "$id3")" = succeeded ]'
api_stop
check "API: exit 0 on SIGTERM" test "$api_rc" = 0

# ---- the outbox: the topic missing ------------------------------------------------------------
api_start later FLEETSIM_PUBSUB_TOPIC=later "${fast_outbox[@]}" || bad "the API starts" "$(cat "$api_log")"
submit "$small" -H 'X-Request-Id: e2e-later-1'
id4=$id
check "topic missing: 202" eval '[ "$status" = 202 ] && [ ${#id4} = 36 ]'
check "the WARNING names the cause (NOT_FOUND)" eval \
  'grep "\"WARNING\"" "$api_log" | grep "$id4" | grep -q "NOT_FOUND"'
check "the relayer retries it with backoff while the topic is missing" \
  wait_log "$api_log" "simulation $id4: outbox publish attempt 2 failed, next in 2 s"
check "still queued and unpublished meanwhile" eval \
  '[ "$(sql "SELECT status, published_at IS NULL, publish_attempts >= 2 FROM simulations WHERE id = '"'$id4'"'")" = "queued|t|t" ]'
# topic and subscription appear together (a message published to a topic without a
# subscription is dropped by Pub/Sub): the API is paused meanwhile
kill -STOP "$api_pid"
topology later later-worker
kill -CONT "$api_pid"
worker_stop
sub=later-worker worker_start w2 || bad "the worker starts" "$(cat "$worker_log")"
check "the topic exists: the outbox publishes the job and it completes" eval \
  '[ "$(wait_final "$id4")" = succeeded ]'
check "the row is marked published, by the outbox" eval \
  '[ "$(sql "SELECT published_at IS NOT NULL FROM simulations WHERE id = '"'$id4'"'")" = t ] &&
   grep -q "simulation $id4: published to projects/fsim-e2e/topics/later from the outbox" "$api_log"'
check "its trace id survived the outbox" eval \
  'grep "job started" "$worker_log" | grep "$id4" | grep -q "e2e-later-1"'
api_stop
check "API: exit 0 on SIGTERM" test "$api_rc" = 0
worker_stop
check "worker: exit 0 on SIGTERM" test "$worker_rc" = 0

# ---- a message lost after Pub/Sub took it: the outbox publishes the job again -----------------
# The API publishes to topic "lossy", whose only subscription nobody reads; the worker's
# subscription is made afterwards, so the accepted message never reaches it — as when the
# fake is restarted, or a subscription deleted and made again. The row says published.
topology lossy lossy-void
api_start lossy FLEETSIM_PUBSUB_TOPIC=lossy FLEETSIM_API_OUTBOX_REPUBLISH_SECONDS=2 \
  "${fast_outbox[@]}" || bad "the API starts" "$(cat "$api_log")"
check "start-up says when a job is published again" \
  grep -q 'and jobs still queued 2 s after their publish' "$api_log"
jq '.days = 4' "$small" >"$tmp/four.json"
submit "$tmp/four.json" -H 'X-Request-Id: e2e-lossy-1'
id5=$id
check "lost message: 202, the row queued and published" eval \
  '[ "$status" = 202 ] && [ "$(sql "SELECT status, published_at IS NOT NULL FROM simulations WHERE id = '"'$id5'"'")" = "queued|t" ]'
topology lossy lossy-worker
sub=lossy-worker worker_start w3 || bad "the worker starts" "$(cat "$worker_log")"
check "still queued 2 s after its publish: the outbox republishes it" \
  wait_log "$api_log" "simulation $id5: republished to projects/fsim-e2e/topics/lossy: not done"
check "the republished job completes" eval '[ "$(wait_final "$id5")" = succeeded ]'
# a republish may race the claim (a second message while the row runs or is done): the
# worker's claim runs the row once whatever it receives
sleep 3
check "run once: one 'job started', attempts 1, one row for the request id" eval \
  '[ "$(grep "job started" "$worker_log" | grep -c "$id5")" = 1 ] &&
   [ "$(sql "SELECT attempts FROM simulations WHERE id = '"'$id5'"'")" = 1 ] &&
   [ "$(sql "SELECT count(*) FROM simulations WHERE metadata->>'"'traceId'"' = '"'e2e-lossy-1'"'")" = 1 ]'
n5=$(grep -c "simulation $id5: republished" "$api_log")
sleep 3
check "a finished job is not published again" eval \
  '[ "$(grep -c "simulation $id5: republished" "$api_log")" = "$n5" ]'
api_stop
check "API: exit 0 on SIGTERM" test "$api_rc" = 0
worker_stop
check "worker: exit 0 on SIGTERM" test "$worker_rc" = 0

check "no sanitizer reports (API, workers)" eval \
  'sanitizer_clean "$tmp/pub.log" && sanitizer_clean "$tmp/later.log" && sanitizer_clean "$tmp/lossy.log" &&
   sanitizer_clean "$tmp/w1.log" && sanitizer_clean "$tmp/w2.log" && sanitizer_clean "$tmp/w3.log"'
tap_done
