#!/usr/bin/env bash
# The status cache of GET /v1/simulations/{id} against a real PostgreSQL: a job's status
# follows its row through queued → running → succeeded poll after poll (nothing but a
# final status is ever kept), cached and uncached bodies are the same bytes, a DELETE on
# this instance is a 404 at once even for a cached job (also while others poll it), a
# delete made by another instance shows once the TTL has run out, and the cache holds at
# most FLEETSIM_API_STATUS_CACHE_ENTRIES jobs. Also: the HTTP threads never wait for the
# database — with the table locked and a read stuck on it, health probes and cached
# statuses still answer — and with FLEETSIM_API_POLL_THREADS=1 the polls behind a stuck read
# wait for it while other handlers answer.
# Job states are driven with SQL on servers without workers, so every step is deterministic;
# "another instance" is SQL setting deleted_at, exactly what its DELETE does.
# Usage (from meson): with_postgres.sh cache_cases.sh FLEETSIM-API FLEETSIM. Emits TAP.
api=$1
fleetsim=$2
root=${FSIM_SOURCE_ROOT:?}
data=${FSIM_TEST_DATA:?}/api
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/lib.sh"
q() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }
key=cache-cases-test-key
export FLEETSIM_CONFIG_DIR=$root/config FLEETSIM_API_KEYS=$key \
  FLEETSIM_MIGRATIONS_DIR=${FSIM_MIGRATIONS_DIR:?} FLEETSIM_API_WORKERS=0
small=$data/small.json
fleet=$(jq -r .fleetId "$small")
H=(-H "X-API-Key: $key")
"$fleetsim" migrate --dir "$FSIM_MIGRATIONS_DIR" >/dev/null
q "INSERT INTO fleets (id, name) VALUES ('$fleet', 'cache test fleet')" >/dev/null

# Several servers at once, by name: serve NAME [VAR=VALUE…]; on NAME (later req go there).
declare -A bases pids logs
serve() {
  local name=$1; shift
  api_start "$name" "$@" || bad "server $name starts" "$(cat "$api_log")"
  bases[$name]=$base pids[$name]=$api_pid logs[$name]=$api_log
  api_pid=''
}
on() { base=${bases[$1]}; }
stop() { # stop NAME: SIGTERM, exit 0, no sanitizer report
  local log=${logs[$1]}
  api_pid=${pids[$1]}
  api_stop
  unset "pids[$1]"
  check "server $1: exit 0 on SIGTERM, no sanitizer reports" eval \
    '[ "$api_rc" = 0 ] && sanitizer_clean "$log"'
}
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done; wait; rm -rf "$tmp"' EXIT

submit() { # a new queued job on the current server; its id on stdout
  curl -sS -X POST "${H[@]}" -H 'Content-Type: application/json' --data-binary "@$small" \
    "$base/v1/simulations" | jq -r .id
}
finish() { # finish ID STATUS: what a worker's last update does to the row
  local err=''
  [ "$2" = failed ] && err=", metadata = metadata || '{\"error\": {\"code\": \"invalid_config\", \"message\": \"boom\"}}'"
  q "UPDATE simulations SET status = '$2', progress = 1, started_at = coalesce(started_at, now()), finished_at = now()$err WHERE id = '$1'" >/dev/null
}
delete_elsewhere() { q "UPDATE simulations SET deleted_at = now() WHERE id = '$1'" >/dev/null; }
poll() { # poll ID [N]: N GETs (default 1); $status and $tmp/body are the last one's
  local i
  for i in $(seq 1 "${2:-1}"); do req GET "/v1/simulations/$1" "${H[@]}"; done
}
shows() { [ "$status" = 200 ] && jq -e "$1" "$tmp/body" >/dev/null; }

# cached: a TTL far longer than this test, so whatever is served from the cache stays
# visibly so; plain: no cache at all (the reference).
serve cached FLEETSIM_API_STATUS_CACHE_TTL_MS=3600000
serve plain FLEETSIM_API_STATUS_CACHE_ENTRIES=0

# ---- a job's status follows the row, poll after poll -------------------------------------
on cached
id=$(submit)
poll "$id" 3
check "queued, polled 3 times: queued" shows '.status == "queued" and .progress == 0'
q "UPDATE simulations SET status = 'running', started_at = now(), progress = 0.25 WHERE id = '$id'" >/dev/null
poll "$id"
check "then running: the next poll says running, progress 0.25 (queued was not kept)" \
  shows '.status == "running" and .progress == 0.25 and .startedAt'
q "UPDATE simulations SET progress = 0.75 WHERE id = '$id'" >/dev/null
poll "$id" 2
check "still running: progress 0.75 (running is not kept either)" shows '.status == "running" and .progress == 0.75'
finish "$id" succeeded
poll "$id"
check "then succeeded: the next poll says so, progress 1, finishedAt" \
  shows '.status == "succeeded" and .progress == 1 and .finishedAt'
cp "$tmp/body" "$tmp/first.json"
poll "$id" 3
cp "$tmp/body" "$tmp/again.json"
on plain
poll "$id"
cp "$tmp/body" "$tmp/plain.json"
check "a finished job's status: first poll, later polls and a server without cache give the same bytes" \
  eval 'cmp -s "$tmp/first.json" "$tmp/again.json" && cmp -s "$tmp/first.json" "$tmp/plain.json"'

# ---- deletes ------------------------------------------------------------------------------
# The job above deleted by another instance: the cached server may answer from memory until
# its TTL runs out (that is the staleness the README states); the one without cache cannot.
delete_elsewhere "$id"
on plain
poll "$id"
check "deleted elsewhere: a server without cache says 404" eval '[ "$status" = 404 ] && error_shape_ok'
on cached
poll "$id"
check "deleted elsewhere: the caching server still serves its copy within the TTL (so the bytes above were cached)" \
  eval '[ "$status" = 200 ] && cmp -s "$tmp/body" "$tmp/first.json"'
req DELETE "/v1/simulations/$id" "${H[@]}"
check "DELETE here of a job already deleted elsewhere: 404" eval '[ "$status" = 404 ] && error_shape_ok'
poll "$id"
check "and that DELETE dropped the cached status: 404" eval '[ "$status" = 404 ] && error_shape_ok'

for final in succeeded failed; do
  id=$(submit)
  finish "$id" "$final"
  poll "$id" 3
  check "$final job polled 3 times: $final" shows ".status == \"$final\""
  req DELETE "/v1/simulations/$id" "${H[@]}"
  check "$final job: DELETE 204" eval '[ "$status" = 204 ]'
  poll "$id"
  check "$final job: the GET right after DELETE is 404, not the cached status" \
    eval '[ "$status" = 404 ] && error_shape_ok'
  req GET "/v1/simulations/$id/result" "${H[@]}"
  check "$final job: its result is 404 too" eval '[ "$status" = 404 ] && error_shape_ok'
done

# cancelled is final too, but it is never kept: a status that came from a DELETE's cancel
# is of no use, and one set otherwise is read from the row every time
id=$(submit)
q "UPDATE simulations SET status = 'cancelled', finished_at = now() WHERE id = '$id'" >/dev/null
poll "$id" 3
check "cancelled job polled 3 times: cancelled" shows '.status == "cancelled"'
delete_elsewhere "$id"
poll "$id"
check "cancelled is never cached: deleted elsewhere, 404 at once" eval '[ "$status" = 404 ]'

# Polled by 4 clients while it is deleted: no GET that starts after the 204 sees the job.
id=$(submit)
finish "$id" succeeded
poll "$id" 2
rm -f "$tmp/deleted"
pollers=()
for c in 1 2 3 4; do
  (after=0
   while [ "$after" -lt 15 ]; do
     seen=0; [ -e "$tmp/deleted" ] && seen=1
     code=$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" "$base/v1/simulations/$id")
     echo "$seen $code"
     after=$((after + seen))
   done >"$tmp/poller$c") &
  pollers+=($!)
done
sleep 0.3
req DELETE "/v1/simulations/$id" "${H[@]}"
touch "$tmp/deleted"
wait "${pollers[@]}"
cat "$tmp"/poller? >"$tmp/polls"
check "4 clients polling through a DELETE (204): every GET begun after it is 404 ($(grep -c '^1 ' "$tmp/polls") of them)" \
  eval '[ "$status" = 204 ] && [ "$(grep -c "^1 " "$tmp/polls")" -ge 60 ] && ! grep -q "^1 [^4]" "$tmp/polls" && ! grep -qvE " (200|404)$" "$tmp/polls"'

# ---- bounds: the TTL and the number of entries ---------------------------------------------
serve short FLEETSIM_API_STATUS_CACHE_TTL_MS=200
on short
id=$(submit)
finish "$id" succeeded
poll "$id" 3
delete_elsewhere "$id"
for i in $(seq 1 600); do poll "$id"; [ "$status" = 404 ] && break; sleep 0.1; done
check "TTL 200 ms: a delete made elsewhere reaches this instance (404)" eval '[ "$status" = 404 ] && error_shape_ok'
stop short

serve small FLEETSIM_API_STATUS_CACHE_ENTRIES=2 FLEETSIM_API_STATUS_CACHE_TTL_MS=3600000
on small
ids=()
for k in 1 2 3; do ids+=("$(submit)"); finish "${ids[-1]}" succeeded; poll "${ids[-1]}"; done
for k in 0 1 2; do delete_elsewhere "${ids[$k]}"; done
poll "${ids[0]}"
first=$status
poll "${ids[2]}"
check "2 entries, 3 finished jobs polled: the oldest was evicted (read again: 404), the newest is kept (200)" \
  eval '[ "$first" = 404 ] && [ "$status" = 200 ]'
stop small

# ---- the HTTP thread never waits for the database ------------------------------------------
# One HTTP thread: if a handler ran on it, a read stuck on a lock would stall everything.
serve one FLEETSIM_API_HTTP_THREADS=1 FLEETSIM_API_STATUS_CACHE_TTL_MS=3600000
on one
done_id=$(submit)
finish "$done_id" succeeded
poll "$done_id"
waiting_id=$(submit)
mkfifo "$tmp/locker"
psql -X -q -v ON_ERROR_STOP=1 <"$tmp/locker" >"$tmp/locker.out" 2>&1 &
locker=$!
exec 7>"$tmp/locker"
echo "BEGIN; LOCK TABLE simulations IN ACCESS EXCLUSIVE MODE;" >&7
lock_held() { [ "$(q "SELECT count(*) FROM pg_locks WHERE relation = 'simulations'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ]; }
for i in $(seq 1 600); do lock_held && break; sleep 0.05; done
curl -sS -o "$tmp/waiting.json" -w '%{http_code}' "${H[@]}" "$base/v1/simulations/$waiting_id" \
  >"$tmp/waiting.code" 2>&1 &
reader=$!
# (the status statement, core/store/store_stmts.c S_STATUS, by its column list)
stuck() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%status, progress, created_at%'")" -ge 1 ]; }
for i in $(seq 1 600); do stuck && break; sleep 0.05; done
check "the simulations table is locked and a status read waits on it" eval 'lock_held && stuck && kill -0 "$reader"'
req GET /healthz --max-time 60 # (a hang would otherwise last until the lock goes)
check "meanwhile, on the one HTTP thread: /healthz answers 200" eval '[ "$status" = 200 ] && kill -0 "$reader"'
req GET "/v1/simulations/$done_id" "${H[@]}" --max-time 60
check "meanwhile: a finished job's status answers 200 from the cache" \
  eval 'shows ".status == \"succeeded\"" && kill -0 "$reader"'
echo "COMMIT;" >&7
exec 7>&-
wait "$locker"
wait "$reader"
check "the lock released, the waiting read answers: 200, queued" eval \
  '[ "$(cat "$tmp/waiting.code")" = 200 ] && jq -e ".status == \"queued\"" "$tmp/waiting.json" >/dev/null'
stop one

# ---- polls wait for the poll threads, other requests do not --------------------------------
# FLEETSIM_API_POLL_THREADS=1: one status read at a time. With it stuck on the lock, the polls
# that come next wait for that thread (no second read reaches the database) and are read
# together once it is free, while /readyz, another handler, still answers.
serve onepoll FLEETSIM_API_POLL_THREADS=1 FLEETSIM_API_STATUS_CACHE_ENTRIES=0
on onepoll
running_id=$(submit)
q "UPDATE simulations SET status = 'running', started_at = now(), progress = 0.5 WHERE id = '$running_id'" >/dev/null
done_id=$(submit)
finish "$done_id" succeeded
mkfifo "$tmp/locker2"
psql -X -q -v ON_ERROR_STOP=1 <"$tmp/locker2" >"$tmp/locker2.out" 2>&1 &
locker=$!
exec 7>"$tmp/locker2"
echo "BEGIN; LOCK TABLE simulations IN ACCESS EXCLUSIVE MODE;" >&7
for i in $(seq 1 600); do lock_held && break; sleep 0.05; done
poll_bg() { # poll_bg NAME ID: a GET in the background; $tmp/NAME.json, .code
  curl -sS -o "$tmp/$1.json" -w '%{http_code}' "${H[@]}" "$base/v1/simulations/$2" \
    >"$tmp/$1.code" 2>&1 &
}
poll_bg first "$running_id"
first=$!
reads_waiting() { q "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%status, progress, created_at%'"; }
for i in $(seq 1 600); do [ "$(reads_waiting)" -ge 1 ] && break; sleep 0.05; done
poll_bg second "$done_id"
second=$!
poll_bg third "$running_id"
third=$!
sleep 0.5 # time for a second read to reach the lock, were it not held back
check "one poll thread: a poll's read waits on the lock, the two polls after it wait for the thread (one read at the database)" \
  eval '[ "$(reads_waiting)" = 1 ] && kill -0 "$first" "$second" "$third"'
req GET /readyz --max-time 60
check "meanwhile another handler answers: /readyz 200" eval '[ "$status" = 200 ] && kill -0 "$second"'
echo "COMMIT;" >&7
exec 7>&-
wait "$locker" "$first" "$second" "$third"
check "the lock released, the three polls answer, each its own job's status" eval \
  '[ "$(cat "$tmp/first.code" "$tmp/second.code" "$tmp/third.code")" = 200200200 ] &&
   jq -se "all(.[]; .status == \"running\" and .progress == 0.5)" "$tmp/first.json" "$tmp/third.json" >/dev/null &&
   jq -e ".status == \"succeeded\"" "$tmp/second.json" >/dev/null'
stop onepoll

stop cached
stop plain
tap_done
