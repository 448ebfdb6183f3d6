#!/usr/bin/env bash
# A depot plan as a job (POST /v1/plans, docs/plan.md "As a job"), every program and peer
# real: PostgreSQL, Google's pstest fake, fleetsim-api, two fleetsim-pubsub --pull workers.
#   - without Pub/Sub the API's own workers run the batches: the answer equals `fleetsim plan
#     --json` byte for byte; bad specs are 422 naming the part;
#   - with Pub/Sub the batches fan out to two workers, every batch also delivered a second
#     time (while it runs and after the plan is done): the answer equals the local one, each
#     worker ran batches, the plan was composed exactly once;
#   - a worker SIGKILLed mid-batch: the batch is redelivered, taken over after its lease by
#     the other worker (attempts 2), and the answer is still the local one, composed once.
# Usage (from meson): with_postgres.sh with_pubsub.sh plans_cases.sh FLEETSIM-API
#   FLEETSIM-PUBSUB FLEETSIM. Emits TAP.
api=$1
worker=$2
fleetsim=$3
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/../api/lib.sh"
source "$(dirname "$0")/lib.sh"
publish_raw=${FSIM_PUBLISH_RAW:?}
hand=$FSIM_TEST_DATA/plan/hand.json
demo=$FSIM_SOURCE_ROOT/config/scenarios/demo.json

# the local answer of a scenario, as `fleetsim plan --json` prints it
local_plan() { "$fleetsim" plan "$1" --json --config "$FLEETSIM_CONFIG_DIR" >"$2"; }
submit_plan() {
  req POST /v1/plans "${H[@]}" -H 'Content-Type: application/json' --data-binary "@$1"
  id=$(jq -r '.id // empty' "$tmp/body" 2>/dev/null)
}
wait_plan() {
  local st='' i
  for i in $(seq 1 1800); do
    st=$(sql "SELECT status FROM plans WHERE id = '$1'")
    case $st in queued|running|'') sleep 0.1 ;; *) break ;; esac
  done
  echo "$st"
}
# the API's answer, with the newline `fleetsim plan` ends with
fetch_result() { req GET "/v1/plans/$1/result" "${H[@]}"; { cat "$tmp/body"; echo; } >"$2"; }
composed() { sql "SELECT count(*) FROM fsim_test_composed WHERE plan_id = '$1'"; }
# publishes every batch of a plan once more, as Pub/Sub may deliver a message twice
duplicate_batches() {
  local b
  for b in $(sql "SELECT batch FROM plan_batches WHERE plan_id = '$1' ORDER BY batch"); do
    "$publish_raw" "$2" "{\"planId\":\"$1\",\"batch\":$b}" kind=plan-batch "planId=$1" \
      "batch=$b" || return 1
  done
}

# waits until the workers' logs (w1, w2) say N times that a batch of plan $1 was stored already
wait_log_sum() {
  local i
  for i in $(seq 1 1200); do
    [ "$(cat "$log1" "$log2" | grep -c "plan $1: batch [0-9]* was stored already")" -ge "$2" ] &&
      return 0
    sleep 0.1
  done
  return 1
}

setup_db "$hand" || { bad "migrate and create the fleet"; tap_done; exit 1; }
sql "INSERT INTO fleets (id, name) VALUES ('$(jq -r .fleetId "$demo")', 'demo fleet')" >/dev/null
# every time a plan turns succeeded, one row: "composed exactly once" is one row per plan
sql "CREATE TABLE fsim_test_composed (plan_id uuid, at timestamptz DEFAULT clock_timestamp())" >/dev/null
sql "CREATE FUNCTION fsim_test_composed() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN
     IF NEW.status = 'succeeded' AND OLD.status <> 'succeeded' THEN
     INSERT INTO fsim_test_composed (plan_id) VALUES (NEW.id); END IF; RETURN NEW; END \$\$" >/dev/null
sql "CREATE TRIGGER fsim_test_composed AFTER UPDATE ON plans FOR EACH ROW
     EXECUTE FUNCTION fsim_test_composed()" >/dev/null
topology plans worker || { bad "topic and subscription in the fake"; tap_done; exit 1; }

# ---- without Pub/Sub: the API's own workers --------------------------------------------------
jq '.plan.batchVariants = 4' "$hand" >"$tmp/hand4.json"
local_plan "$tmp/hand4.json" "$tmp/hand.local.json"
check "fleetsim plan --json answers (the reference)" eval '[ -s "$tmp/hand.local.json" ]'
api_start inproc FLEETSIM_API_WORKERS=2 FLEETSIM_API_JOB_POLL_MS=100 ||
  bad "the API starts" "$(cat "$api_log")"
submit_plan "$tmp/hand4.json"
check "POST /v1/plans: 202 with the plan's links" eval \
  '[ "$status" = 202 ] && [ "$(jq -r .links.result "$tmp/body")" = "/v1/plans/$id/result" ]'
local_id=$id
check "five batches of at most 4 of the 18 variants" eval \
  '[ "$(sql "SELECT count(*) || '"'"'/'"'"' || sum(variant_count) FROM plan_batches WHERE plan_id = '"'"'$local_id'"'"'")" = 5/18 ]'
check "the API's workers: succeeded" eval '[ "$(wait_plan "$local_id")" = succeeded ]'
fetch_result "$local_id" "$tmp/hand.api.json"
check "GET …/result: 200, byte for byte fleetsim plan --json" eval \
  '[ "$status" = 200 ] && cmp "$tmp/hand.local.json" "$tmp/hand.api.json"'
req GET "/v1/plans/$local_id" "${H[@]}"
check "GET /v1/plans/{id}: succeeded, 5 of 5 batches, progress 1" eval \
  '[ "$(jq -c "[.status, .batchesDone, .batches, .variants, .progress]" "$tmp/body")" = "[\"succeeded\",5,5,18,1]" ]'
check "composed once" eval '[ "$(composed "$local_id")" = 1 ]'
req GET /v1/plans/00000000-0000-4000-8000-000000000000 "${H[@]}"
check "an unknown plan: 404" eval '[ "$status" = 404 ] && error_shape_ok'

# bad specs: 422 naming the part, before anything is queued
bad_spec() { # NAME FIELD MESSAGE-PART SPEC…
  local name=$1 field=$2 part=$3; shift 3
  jq '.plan.vary = $ARGS.positional' --args "$@" <"$hand" >"$tmp/bad.json"
  submit_plan "$tmp/bad.json"
  if [ "$status" = 422 ] && [ "$(jq -r .error.field "$tmp/body")" = "$field" ] &&
     jq -r .error.message "$tmp/body" | grep -qF -- "$part"; then
    ok "422: $name"
  else
    bad "422: $name" "status $status: $(head -c 400 "$tmp/body")"
  fi
}
plans_before=$(sql "SELECT count(*) FROM plans")
bad_spec "unknown depot" 'plan.vary[0]' 'unknown depot "south" (known: hub)' south.ac-7kw=0..2
bad_spec "unknown charger type" 'plan.vary[0]' 'unknown charger type "dc-175kw"' hub.dc-175kw=1
bad_spec "empty range" 'plan.vary[1]' 'empty range "3..1"' hub.ac-7kw=0..2 hub.dc-50kw=3..1
bad_spec "a range over the cap" 'plan.vary[0]' 'has 5001 values (at most 1000)' hub.ac-7kw=0..5000
bad_spec "a plan over the cap" 'plan.vary' '1000000 variants (at most 100000)' \
  hub.ac-7kw=0..999 hub.dc-50kw=0..999
jq 'del(.plan)' "$hand" >"$tmp/noplan.json"
submit_plan "$tmp/noplan.json"
check "422: no plan block (plan.vary)" eval \
  '[ "$status" = 422 ] && [ "$(jq -r .error.field "$tmp/body")" = plan.vary ]'
check "no bad spec queued a plan" eval '[ "$(sql "SELECT count(*) FROM plans")" = "$plans_before" ]'
api_stop
check "the API stopped cleanly" eval '[ "$api_rc" = 0 ] && sanitizer_clean "$api_log"'

# ---- with Pub/Sub: two workers, every batch delivered twice -------------------------------------
jq '.plan.vary = ["north.ac-19kw=8..16/4", "north.dc-50kw=0..2", "north.grid=150..300/50",
                  "strategy=all"] | .plan.batchVariants = 12' "$demo" >"$tmp/demo144.json"
local_plan "$tmp/demo144.json" "$tmp/demo.local.json"
api_start pub FLEETSIM_PUBSUB_TOPIC=plans FLEETSIM_API_WORKERS=0 ||
  bad "the API starts with a topic" "$(cat "$api_log")"
worker_start w1 FLEETSIM_PUBSUB_WORKERS=1 || bad "worker 1 starts" "$(cat "$worker_log")"
pid1=$worker_pid log1=$worker_log
worker_start w2 FLEETSIM_PUBSUB_WORKERS=1 || bad "worker 2 starts" "$(cat "$worker_log")"
pid2=$worker_pid log2=$worker_log
submit_plan "$tmp/demo144.json"
ps_id=$id
check "POST /v1/plans with a topic: 202" eval '[ "$status" = 202 ] && [ ${#ps_id} = 36 ]'
check "every batch published" eval \
  '[ "$(sql "SELECT count(*) FROM plan_batches WHERE plan_id = '"'"'$ps_id'"'"' AND published_at IS NULL")" = 0 ]'
duplicate_batches "$ps_id" plans
check "every batch published a second time (duplicates in flight)" test $? = 0
check "the fan-out: succeeded" eval '[ "$(wait_plan "$ps_id")" = succeeded ]'
fetch_result "$ps_id" "$tmp/demo.api.json"
check "the fan-out's answer is fleetsim plan --json's, byte for byte" \
  cmp "$tmp/demo.local.json" "$tmp/demo.api.json"
check "both workers ran batches" eval \
  '[ "$(grep -c "plan $ps_id: batch .* stored" "$log1")" -gt 0 ] &&
   [ "$(grep -c "plan $ps_id: batch .* stored" "$log2")" -gt 0 ]'
check "12 batches stored once each (the duplicates changed nothing)" eval \
  '[ "$(cat "$log1" "$log2" | grep -c "plan $ps_id: batch [0-9]* (variants [0-9.]*) stored")" = 12 ]'
check "composed exactly once" eval '[ "$(composed "$ps_id")" = 1 ]'
done_before=$(cat "$log1" "$log2" | grep -c "plan $ps_id: batch [0-9]* was stored already")
duplicate_batches "$ps_id" plans
check "duplicates after the end: acked as stored already" \
  wait_log_sum "$ps_id" $((done_before + 12))
fetch_result "$ps_id" "$tmp/demo.api2.json"
check "…and the answer and the composition are unchanged" eval \
  'cmp "$tmp/demo.api.json" "$tmp/demo.api2.json" && [ "$(composed "$ps_id")" = 1 ]'

# ---- a worker killed mid-batch ---------------------------------------------------------------------
worker_pid=$pid2; worker_stop
worker_pid=$pid1; worker_stop
worker_start k1 FLEETSIM_PUBSUB_WORKERS=1 FLEETSIM_PUBSUB_LEASE_SECONDS=3 \
  FLEETSIM_PUBSUB_ACK_DEADLINE_SECONDS=3 || bad "worker k1 starts" "$(cat "$worker_log")"
pid1=$worker_pid
jq '.name = "killed mid-batch"' "$tmp/demo144.json" >"$tmp/demo_kill.json"
submit_plan "$tmp/demo_kill.json"
kill_id=$id
running=''
for i in $(seq 1 600); do
  running=$(sql "SELECT batch FROM plan_batches WHERE plan_id = '$kill_id' AND status = 'running'
                 AND EXISTS (SELECT 1 FROM plan_batches WHERE plan_id = '$kill_id' AND status = 'done')
                 LIMIT 1")
  [ -n "$running" ] && break
  sleep 0.05
done
kill -KILL "$pid1"; wait "$pid1" 2>/dev/null; worker_pid=''
check "a worker SIGKILLed while batch ${running:-?} ran (after another was stored)" \
  eval '[ -n "$running" ]'
worker_start k2 FLEETSIM_PUBSUB_WORKERS=1 FLEETSIM_PUBSUB_LEASE_SECONDS=3 \
  FLEETSIM_PUBSUB_ACK_DEADLINE_SECONDS=3 || bad "worker k2 starts" "$(cat "$worker_log")"
check "the other worker finished the plan: succeeded" eval '[ "$(wait_plan "$kill_id")" = succeeded ]'
check "the killed batch was taken over (attempts 2)" eval \
  '[ "$(sql "SELECT attempts FROM plan_batches WHERE plan_id = '"'"'$kill_id'"'"' AND batch = ${running:-0}")" -ge 2 ]'
fetch_result "$kill_id" "$tmp/kill.api.json"
local_plan "$tmp/demo_kill.json" "$tmp/kill.local.json"
check "its answer is still the local one, composed once" eval \
  'cmp "$tmp/kill.local.json" "$tmp/kill.api.json" && [ "$(composed "$kill_id")" = 1 ]'
worker_stop
check "the worker stopped cleanly" eval '[ "$worker_rc" = 0 ] && sanitizer_clean "$worker_log"'
api_stop
check "the API stopped cleanly" eval '[ "$api_rc" = 0 ] && sanitizer_clean "$api_log"'
tap_done
