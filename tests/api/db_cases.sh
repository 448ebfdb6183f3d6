#!/usr/bin/env bash
# fleetsim-api against a real PostgreSQL (run under tests/db/with_postgres.sh): start-up
# refuses a database without migrations; submit → poll → fetch equals `fleetsim run`;
# idempotency (replay, 422, 409 under concurrency, one row); list pages; result 409 while
# queued and for a failed job; delete → 404; cancelling a queued job; /readyz 503 when the
# migrations stop being current; 503 in the error shape while the database is down and
# recovery without a restart.
# Usage (from meson): with_postgres.sh db_cases.sh FLEETSIM-API FLEETSIM. Emits TAP.
api=$1
fleetsim=$2
root=${FSIM_SOURCE_ROOT:?}
data=${FSIM_TEST_DATA:?}/api
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/lib.sh"
q() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }
key=db-cases-test-key
export FLEETSIM_CONFIG_DIR=$root/config FLEETSIM_API_KEYS=$key \
  FLEETSIM_MIGRATIONS_DIR=${FSIM_MIGRATIONS_DIR:?} FLEETSIM_API_JOB_POLL_MS=100
small=$data/small.json
fleet=$(jq -r .fleetId "$small")
H=(-H "X-API-Key: $key")
J=(-H "X-API-Key: $key" -H 'Content-Type: application/json')

# ---- start-up: migrations first -------------------------------------------------------
rc=0; PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 "$api" >"$tmp/o" 2>&1 || rc=$?
check "no migrations applied: start-up refuses (exit 1, says to migrate)" eval \
  '[ "$rc" = 1 ] && grep -q "fleetsim migrate" "$tmp/o"'
"$fleetsim" migrate --dir "$FSIM_MIGRATIONS_DIR" >/dev/null
q "INSERT INTO fleets (id, name) VALUES ('$fleet', 'api test fleet')" >/dev/null

# ---- a server without workers: jobs stay queued ----------------------------------------
api_start idle FLEETSIM_API_WORKERS=0 || bad "the server starts" "$(cat "$api_log")"
req GET /readyz
check "readyz: 200 with the database up and migrated" eval '[ "$status" = 200 ]'
req POST /v1/simulations "${J[@]}" --data-binary "@$small"
queued=$(jq -r .id "$tmp/body")
check "submit: 202 with id, status queued, links and Location" eval '[ "$status" = 202 ] &&
  jq -e ".status == \"queued\" and .links.self == \"/v1/simulations/$queued\" and .links.result == \"/v1/simulations/$queued/result\"" "$tmp/body" >/dev/null &&
  [ "$(hdr Location)" = "/v1/simulations/$queued" ]'
req GET "/v1/simulations/$queued/result" "${H[@]}"
check "result while queued: 409 not_finished" eval '[ "$status" = 409 ] && error_shape_ok && jq -e ".error.code == \"not_finished\"" "$tmp/body" >/dev/null'
req DELETE "/v1/simulations/$queued" "${H[@]}"
check "delete a queued job: 204, empty body" eval '[ "$status" = 204 ] && [ ! -s "$tmp/body" ]'
check "the queued job is cancelled and soft-deleted in the table" eval \
  '[ "$(q "SELECT status, deleted_at IS NOT NULL FROM simulations WHERE id = '"'"'$queued'"'"'")" = "cancelled|t" ]'
req GET "/v1/simulations/$queued" "${H[@]}"
check "status after delete: 404" eval '[ "$status" = 404 ] && error_shape_ok'
req GET "/v1/simulations/$queued/result" "${H[@]}"
check "result after delete: 404" eval '[ "$status" = 404 ] && error_shape_ok'
req DELETE "/v1/simulations/$queued" "${H[@]}"
check "delete again: 404" eval '[ "$status" = 404 ] && error_shape_ok'
req GET /v1/simulations/00000000-0000-4000-8000-000000000000 "${H[@]}"
check "unknown id: 404" eval '[ "$status" = 404 ] && error_shape_ok'
jq '.fleetId = "00000000-0000-4000-8000-000000000001"' "$small" >"$tmp/nofleet.json"
req POST /v1/simulations "${J[@]}" --data-binary "@$tmp/nofleet.json"
check "submit for an unknown fleet: 422 naming fleetId" eval \
  '[ "$status" = 422 ] && error_shape_ok && jq -e ".error.field == \"fleetId\"" "$tmp/body" >/dev/null'

# a failed job returns its error from /result
req POST /v1/simulations "${J[@]}" --data-binary "@$small"
failed_id=$(jq -r .id "$tmp/body")
q "UPDATE simulations SET status = 'failed', finished_at = now(), metadata = metadata || '{\"error\": {\"code\": \"invalid_request\", \"message\": \"boom\", \"field\": \"vehicles[0].type\"}}' WHERE id = '$failed_id'" >/dev/null
req GET "/v1/simulations/$failed_id/result" "${H[@]}"
check "result of a failed job: 409 with its error and field" eval '[ "$status" = 409 ] && error_shape_ok &&
  jq -e ".error.code == \"simulation_failed\" and (.error.message | contains(\"boom\")) and .error.field == \"vehicles[0].type\"" "$tmp/body" >/dev/null'
req GET "/v1/simulations/$failed_id" "${H[@]}"
check "status of a failed job: its error whole, its times to the second" eval '[ "$status" = 200 ] &&
  jq -e ".status == \"failed\" and .error == {\"code\": \"invalid_request\", \"message\": \"boom\", \"field\": \"vehicles[0].type\"} and (.finishedAt | test(\"^[0-9-]{10}T[0-9:]{8}Z$\"))" "$tmp/body" >/dev/null'

# ---- idempotency --------------------------------------------------------------------------
req POST /v1/simulations "${J[@]}" -H 'Idempotency-Key: key-one' --data-binary "@$small"
cp "$tmp/body" "$tmp/first.json"; first_status=$status
jq . "$small" | sed 's/^/  /' >"$tmp/reformatted.json" # same request, other bytes
req POST /v1/simulations "${J[@]}" -H 'Idempotency-Key: key-one' --data-binary "@$tmp/reformatted.json"
check "same key + same request: the first response again (202, identical body, replay header)" eval \
  '[ "$first_status" = 202 ] && [ "$status" = 202 ] && cmp -s "$tmp/first.json" "$tmp/body" && [ "$(hdr Idempotent-Replayed)" = true ]'
check "same key twice: one row" eval '[ "$(q "SELECT count(*) FROM simulations WHERE idempotency_key = '"'"'key-one'"'"'")" = 1 ]'
jq '.days = 1' "$small" >"$tmp/other.json"
req POST /v1/simulations "${J[@]}" -H 'Idempotency-Key: key-one' --data-binary "@$tmp/other.json"
check "same key + another request: 422 naming Idempotency-Key" eval '[ "$status" = 422 ] && error_shape_ok &&
  jq -e ".error.field == \"Idempotency-Key\"" "$tmp/body" >/dev/null'
req POST /v1/simulations "${J[@]}" -H "Idempotency-Key: $(head -c 256 /dev/zero | tr '\0' k)" --data-binary "@$small"
check "a 256-character key: 400" eval '[ "$status" = 400 ] && error_shape_ok'
req POST /v1/simulations "${J[@]}" -H "Idempotency-Key: $(head -c 255 /dev/zero | tr '\0' k)" --data-binary "@$small"
check "a 255-character key: 202" eval '[ "$status" = 202 ]'
# 50 concurrent submits with one key: every answer is the same job, or 409 while it is made
jq '.days = 3' "$small" >"$tmp/c.json"
seq 1 50 | xargs -P 50 -I{} curl -sS -o "$tmp/c{}.body" -w '%{http_code}\n' -X POST \
  -H "X-API-Key: $key" -H 'Content-Type: application/json' -H 'Idempotency-Key: key-race' \
  --data-binary "@$tmp/c.json" "$base/v1/simulations" >"$tmp/c.codes" 2>/dev/null
ids=$(for i in $(seq 1 50); do jq -r 'select(.id) | .id' "$tmp/c$i.body"; done | sort -u)
check "50 concurrent submits, one key: one row" eval '[ "$(q "SELECT count(*) FROM simulations WHERE idempotency_key = '"'"'key-race'"'"'")" = 1 ]'
check "50 concurrent submits, one key: every answer 202 for that row or 409" eval '
  [ "$(grep -cvE "^(202|409)$" "$tmp/c.codes")" = 0 ] && [ "$(wc -l <"$tmp/c.codes")" = 50 ] &&
  [ "$(echo "$ids" | wc -l)" = 1 ] && [ "$ids" = "$(q "SELECT id FROM simulations WHERE idempotency_key = '"'"'key-race'"'"'")" ]'
check "every 409 is the error shape" eval 'for i in $(seq 1 50); do jq -e "has(\"id\") or (.error.code == \"idempotency_key_in_use\")" "$tmp/c$i.body" >/dev/null || exit 1; done'
# polls arriving together are read together (handler_pool.c batches them): each still gets
# its own job's answer
req POST /v1/simulations "${J[@]}" --data-binary "@$small"
waiting=$(jq -r .id "$tmp/body")
poll_ids=("$waiting" "$failed_id" 00000000-0000-4000-8000-000000000000 "$queued" not-a-uuid)
poll_want=("200 queued" "200 failed" 404 404 400)
pollers=()
for i in $(seq 0 59); do
  curl -sS -o "$tmp/p$i.body" -w '%{http_code}' "${H[@]}" "$base/v1/simulations/${poll_ids[i % 5]}" >"$tmp/p$i.code" &
  pollers+=($!)
done
wait "${pollers[@]}" # not the server
polls_ok() {
  for i in $(seq 0 59); do
    local want=${poll_want[i % 5]} got
    got=$(cat "$tmp/p$i.code")
    [ "${want%% *}" = "$got" ] || return 1
    case $want in
      "200 queued") jq -e --arg id "$waiting" '.id == $id and .status == "queued" and (has("error") | not)' "$tmp/p$i.body" >/dev/null ;;
      "200 failed") jq -e --arg id "$failed_id" '.id == $id and .status == "failed" and .error.message == "boom"' "$tmp/p$i.body" >/dev/null ;;
      *) jq -e '.error.code' "$tmp/p$i.body" >/dev/null ;;
    esac || return 1
  done
}
check "60 concurrent polls of 5 ids (queued, failed, unknown, deleted, not a uuid): each its own answer" polls_ok
api_stop
check "idle server: exit 0" eval '[ "$api_rc" = 0 ]'
check "no sanitizer reports" sanitizer_clean "$api_log"

# ---- with workers: submit → poll → fetch --------------------------------------------------
q "DELETE FROM simulations" >/dev/null
api_start work FLEETSIM_API_WORKERS=2 FLEETSIM_API_DOCS=1 || bad "the server starts" "$(cat "$api_log")"
openapi=$tmp/openapi.json
curl -sS -o "$openapi" "$base/openapi.json"
seen=0 nonconform=()
# every response below is checked against the document: note(SCHEMA)
note() { seen=$((seen + 1)); conforms "$1" >"$tmp/conf" 2>&1 || nonconform+=("$1 ($(cat "$tmp/conf"))"); }
req POST /v1/simulations "${J[@]}" -H 'X-Request-Id: e2e-trace-1' --data-binary "@$small"
note SubmitResponse
id=$(jq -r .id "$tmp/body")
for i in $(seq 1 1200); do
  req GET "/v1/simulations/$id" "${H[@]}"
  note JobStatus
  st=$(jq -r .status "$tmp/body")
  [ "$st" = succeeded ] || [ "$st" = failed ] && break
  sleep 0.1
done
check "polled until succeeded; status has progress 1 and timestamps" eval '[ "$st" = succeeded ] &&
  jq -e ".id == \"$id\" and .fleetId == \"$fleet\" and .progress == 1 and (.createdAt and .startedAt and .finishedAt)" "$tmp/body" >/dev/null'
req GET "/v1/simulations/$id/result" "${H[@]}"
note SimulationResult
check "fetch: 200, simulationId is the job" eval '[ "$status" = 200 ] && jq -e ".simulationId == \"$id\"" "$tmp/body" >/dev/null'
cp "$tmp/body" "$tmp/fetched.json"
"$fleetsim" run "$small" --json --out "$tmp/files" >"$tmp/local.json"
for part in summary timeSeriesData chargingEvents trips vehicles; do
  check "fetched $part equals fleetsim run's" eval "[ \"\$(jq -S .$part \"\$tmp/fetched.json\")\" = \"\$(jq -S .$part \"\$tmp/local.json\")\" ]"
done
check "the request id travelled into the result's metadata.traceId" eval \
  'jq -e ".metadata.traceId == \"e2e-trace-1\"" "$tmp/fetched.json" >/dev/null'

# compare: the same answer as `fleetsim compare --json`, one outcome per strategy
req POST /v1/simulations:compare "${J[@]}" --data-binary "@$small"
note StrategyComparison
cp "$tmp/body" "$tmp/compared.json"
"$fleetsim" compare "$small" --json >"$tmp/local-compare.json"
check "compare: 200 with one outcome per strategy, in order" eval '[ "$status" = 200 ] &&
  jq -e "[.results[].strategy] == [\"immediate\", \"balanced\", \"peak_shaving\", \"cost\"]" "$tmp/compared.json" >/dev/null'
check "compare: the API's answer equals fleetsim compare --json's" eval \
  '[ "$(jq -S . "$tmp/compared.json")" = "$(jq -S . "$tmp/local-compare.json")" ]'
check "compare: its balanced summary equals the sync run's" eval \
  '[ "$(jq -S ".results[1].summary" "$tmp/compared.json")" = "$(jq -S .summary "$tmp/local.json")" ]'

# list: keyset pages
for k in 1 2; do req POST /v1/simulations "${J[@]}" --data-binary "@$small"; done
req GET "/v1/simulations?fleetId=$fleet&limit=2" "${H[@]}"
cp "$tmp/body" "$tmp/page1.json"
note SimulationPage
cursor=$(jq -r .nextCursor "$tmp/page1.json")
check "list page 1: 2 items and a cursor" eval '[ "$status" = 200 ] && jq -e "(.items | length) == 2" "$tmp/page1.json" >/dev/null && [ "$cursor" != null ]'
req GET "/v1/simulations?fleetId=$fleet&limit=2&cursor=$(jq -rn --arg c "$cursor" '$c|@uri')" "${H[@]}"
note SimulationPage # the last page: nextCursor null
check "list page 2: the rest, no cursor, no overlap" eval '[ "$status" = 200 ] &&
  jq -e "(.items | length) == 1 and .nextCursor == null" "$tmp/body" >/dev/null &&
  [ -z "$(comm -12 <(jq -r ".items[].id" "$tmp/page1.json" | sort) <(jq -r ".items[].id" "$tmp/body" | sort))" ]'
req GET "/v1/simulations?fleetId=$fleet&status=succeeded" "${H[@]}"
check "list by status" eval '[ "$status" = 200 ] && jq -e "all(.items[]; .status == \"succeeded\") and any(.items[]; .id == \"$id\")" "$tmp/body" >/dev/null'
req GET "/v1/simulations?fleetId=$fleet&cursor=not-a-cursor" "${H[@]}"
note ErrorResponse
check "a bad cursor: 400 naming cursor" eval '[ "$status" = 400 ] && error_shape_ok && jq -e ".error.field == \"cursor\"" "$tmp/body" >/dev/null'
req DELETE "/v1/simulations/$id" "${H[@]}"
req GET "/v1/simulations/$id/result" "${H[@]}"
note ErrorResponse
check "a finished job deleted: 204 then 404" eval '[ "$status" = 404 ] && error_shape_ok'

req GET /readyz
note Health
req GET /healthz
note Health
if ! python3 -c 'import jsonschema' 2>/dev/null; then
  n=$((n + 1)); echo "ok $n - responses conform to /openapi.json # SKIP python3-jsonschema not installed"
elif ((${#nonconform[@]} == 0)) && ((seen >= 8)); then
  ok "every response of the end-to-end run ($seen) conforms to /openapi.json"
else
  bad "every response of the end-to-end run ($seen) conforms to /openapi.json" "${nonconform[@]}"
fi

# /readyz follows the migrations
q "CREATE TABLE sm_saved AS SELECT * FROM schema_migrations; DELETE FROM schema_migrations" >/dev/null
req GET /readyz
check "readyz: 503 in the error shape when migrations are missing" eval '[ "$status" = 503 ] && error_shape_ok'
q "INSERT INTO schema_migrations SELECT * FROM sm_saved; DROP TABLE sm_saved" >/dev/null
req GET /readyz
check "readyz: 200 again once they are back" eval '[ "$status" = 200 ]'

# the database goes away and comes back
pg_as=(); [ "$(id -u)" = 0 ] && pg_as=(runuser -u postgres --)
"${pg_as[@]}" "$FSIM_PG_BIN/pg_ctl" -D "$FSIM_PG_DIR/data" -m fast -w stop >/dev/null 2>&1
req GET "/v1/simulations/$(jq -r '.items[0].id' "$tmp/page1.json")" "${H[@]}"
check "database down: 503 in the error shape, no SQL" eval '[ "$status" = 503 ] && error_shape_ok && ! grep -qi "select\|libpq" "$tmp/body"'
req GET /readyz
check "database down: readyz 503" eval '[ "$status" = 503 ] && error_shape_ok'
"${pg_as[@]}" "$FSIM_PG_BIN/pg_ctl" -D "$FSIM_PG_DIR/data" -l "$FSIM_PG_DIR/postgres.log" -w -t 60 -s \
  -o "-c listen_addresses='' -p ${PGPORT:-5432} -k $FSIM_PG_DIR -c unix_socket_permissions=0777 -c fsync=off -c shared_buffers=32MB -c max_connections=60" start >/dev/null 2>&1
req GET "/v1/simulations/$(jq -r '.items[0].id' "$tmp/page1.json")" "${H[@]}"
check "database back: served again without a restart" eval '[ "$status" = 200 ]'
api_stop
check "worker server: exit 0 on SIGTERM" eval '[ "$api_rc" = 0 ]'
check "no sanitizer reports" sanitizer_clean "$api_log"
tap_done
