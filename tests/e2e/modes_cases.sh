#!/usr/bin/env bash
# One job, three entry points, one runner: the same request run by `fleetsim run --mode db`,
# by the API's in-process workers and by the Pub/Sub worker (published by the API) is stored
# byte for byte the same (ids, trace ids and times aside), and the same kind of failure — the
# result can never be stored (a trigger raises a retryable SQLSTATE 40001) — ends each of
# them failed with the same code, attempts_exhausted, after its allowed attempts.
# Usage (from meson): with_postgres.sh with_pubsub.sh modes_cases.sh FLEETSIM-API
#   FLEETSIM-PUBSUB FLEETSIM. Emits TAP.
api=$1
worker=$2
fleetsim=$3
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/../api/lib.sh"
source "$(dirname "$0")/lib.sh"
# what a row stores, without what differs by design: its id, times and trace id
stored() {
  sql "SELECT jsonb_build_object('status', status, 'name', name, 'progress', progress,
         'metadata', metadata - 'traceId', 'timeSeriesData', time_series_data,
         'chargingEvents', charging_events)::text FROM simulations WHERE id = '$1'"
}
error_code() { sql "SELECT metadata->'error'->>'code' FROM simulations WHERE id = '$1'"; }

setup_db "$small" || { bad "migrate and create the fleet"; tap_done; exit 1; }
topology modes worker || { bad "topic and subscription in the fake"; tap_done; exit 1; }

# ---- the same job in each mode --------------------------------------------------------------
"$fleetsim" run "$small" --mode db >"$tmp/cli.out" 2>"$tmp/cli.err"
id_cli=$(sed -n 's/^ *stored *simulation \([0-9a-f-]*\)$/\1/p' "$tmp/cli.out")
check "fleetsim run --mode db: stored" eval '[ ${#id_cli} = 36 ]'

api_start inproc FLEETSIM_API_WORKERS=1 FLEETSIM_API_JOB_POLL_MS=100 ||
  bad "the API starts" "$(cat "$api_log")"
submit "$small"
id_api=$id
check "the API's in-process worker: succeeded" eval '[ "$(wait_final "$id_api")" = succeeded ]'
api_stop

api_start pub FLEETSIM_PUBSUB_TOPIC=modes FLEETSIM_API_WORKERS=0 ||
  bad "the API starts with a topic" "$(cat "$api_log")"
worker_start w1 || bad "the worker starts" "$(cat "$worker_log")"
submit "$small"
id_ps=$id
check "the Pub/Sub worker: succeeded" eval '[ "$(wait_final "$id_ps")" = succeeded ]'

stored "$id_cli" >"$tmp/cli.json"
stored "$id_api" >"$tmp/api.json"
stored "$id_ps" >"$tmp/ps.json"
check "CLI and API rows: byte-identical (ids, times, trace ids aside)" cmp "$tmp/cli.json" "$tmp/api.json"
check "CLI and Pub/Sub worker rows: byte-identical" cmp "$tmp/cli.json" "$tmp/ps.json"
check "the rows hold a result (time series present)" eval \
  '[ "$(jq ".timeSeriesData | length" "$tmp/cli.json")" -gt 0 ]'

# ---- the same failure in each mode ------------------------------------------------------------
sql "CREATE FUNCTION fsim_test_refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
     IF NEW.status = 'succeeded' AND NEW.name = 'never stored' THEN
     RAISE EXCEPTION 'injected: could not serialize access' USING ERRCODE = 'serialization_failure';
     END IF; RETURN NEW; END \$\$" >/dev/null
sql "CREATE TRIGGER fsim_test_refuse BEFORE UPDATE ON simulations FOR EACH ROW
     EXECUTE FUNCTION fsim_test_refuse()" >/dev/null
jq '.name = "never stored"' "$small" >"$tmp/never.json"

rc=0; "$fleetsim" run "$tmp/never.json" --mode db >"$tmp/cli2.out" 2>"$tmp/cli2.err" || rc=$?
f_cli=$(sql "SELECT id FROM simulations WHERE name = 'never stored' ORDER BY created_at LIMIT 1")
check "CLI: exit 1, the row failed with attempts_exhausted" eval \
  '[ "$rc" = 1 ] && [ "$(error_code "$f_cli")" = attempts_exhausted ]'
check "CLI: the message says why" grep -q 'gave up after 1 attempts.*40001' "$tmp/cli2.err"

worker_stop
submit "$tmp/never.json"
f_ps=$id
worker_start w2 FLEETSIM_PUBSUB_MAX_ATTEMPTS=2 || bad "the worker starts" "$(cat "$worker_log")"
check "Pub/Sub worker: failed with attempts_exhausted" eval \
  '[ "$(wait_final "$f_ps")" = failed ] && [ "$(error_code "$f_ps")" = attempts_exhausted ]'
worker_stop
api_stop

api_start inproc2 FLEETSIM_API_WORKERS=1 FLEETSIM_API_JOB_POLL_MS=100 \
  FLEETSIM_API_JOB_MAX_ATTEMPTS=2 || bad "the API starts" "$(cat "$api_log")"
submit "$tmp/never.json"
f_api=$id
check "API in-process worker: failed with attempts_exhausted" eval \
  '[ "$(wait_final "$f_api")" = failed ] && [ "$(error_code "$f_api")" = attempts_exhausted ]'
check "API and worker: handed back once, then given up (2 attempts each)" eval \
  '[ "$(sql "SELECT attempts FROM simulations WHERE id = '"'$f_api'"'")" = 2 ] &&
   [ "$(sql "SELECT attempts FROM simulations WHERE id = '"'$f_ps'"'")" = 2 ]'
api_stop
check "no sanitizer reports" eval 'sanitizer_clean "$api_log" && sanitizer_clean "$worker_log" &&
  sanitizer_clean "$tmp/cli.err" && sanitizer_clean "$tmp/cli2.err"'
tap_done
