#!/usr/bin/env bash
# A plan of 2,000 variants as a job (POST /v1/plans) fanned out through the Pub/Sub fake to
# one worker process, then to two (one thread each, one subscription): wall time from submit
# to the composed answer (the plan row's created_at → finished_at), variants per second, the
# speed-up, and whether the two answers are the same. Figures only: it never fails on speed.
# Usage (from meson): with_postgres.sh with_pubsub.sh bench_plan_fanout.sh FLEETSIM-API
#   FLEETSIM-PUBSUB FLEETSIM
set -u
api=$1 worker=$2 fleetsim=$3
tmp=$(mktemp -d)
export GOOGLE_CLOUD_PROJECT=fsim-bench FLEETSIM_API_AUTH=none
export FLEETSIM_CONFIG_DIR=${FSIM_SOURCE_ROOT:?}/config
demo=$FSIM_SOURCE_ROOT/config/scenarios/demo.json
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
sql() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }

"$fleetsim" migrate --dir "${FSIM_MIGRATIONS_DIR:?}" >/dev/null || exit 1
sql "INSERT INTO fleets (id, name) VALUES ('$(jq -r .fleetId "$demo")', 'bench')" >/dev/null
"${FSIM_PUBSUB_SETUP:?}" plans bench >/dev/null || exit 1
# 10 × 5 × 10 × 4 = 2,000 variants, in batches of $FSIM_BENCH_BATCH (default 25: 80 batches)
batch=${FSIM_BENCH_BATCH:-25}
jq --argjson b "$batch" '.plan.vary = ["north.ac-19kw=8..17", "north.dc-50kw=0..4",
  "north.grid=100..550/50", "strategy=all"] | .plan.batchVariants = $b' "$demo" >"$tmp/plan.json"

env PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 FLEETSIM_API_WORKERS=0 FLEETSIM_PUBSUB_TOPIC=plans \
  "$api" >"$tmp/api.log" 2>&1 &
pids+=($!)
port=''
for _ in $(seq 1 600); do
  port=$(sed -n 's/.*"listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$tmp/api.log" | head -1)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "the API did not start"; cat "$tmp/api.log"; exit 1; }

start_worker() {
  env FLEETSIM_PUBSUB_SUBSCRIPTION=bench FLEETSIM_PUBSUB_WORKERS=1 \
    FLEETSIM_PUBSUB_RETRY_SECONDS=1 "$worker" --pull >"$tmp/$1.log" 2>&1 &
  pids+=($!)
  local i
  for i in $(seq 1 600); do grep -q 'pulling from' "$tmp/$1.log" && return 0; sleep 0.05; done
  return 1
}
# CPU seconds (user + system) a process has used so far
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null
}
stop_workers() { # all but the API; first says what each worker did and the CPU it got
  local p i=0
  for p in "${pids[@]:1}"; do
    i=$((i + 1))
    printf '  worker %d: %s batches stored, %s CPU s of %s s wall\n' "$i" \
      "$(grep -c 'batch [0-9]* (variants [0-9.]*) stored' "$tmp/$1-$i.log")" "$(cpu_seconds "$p")" \
      "$(cat "$tmp/$1.secs")"
    kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null
  done
  pids=("${pids[0]}")
}
# run NAME N: one plan on N worker processes; prints its line, leaves the answer in $tmp/NAME.json
run() {
  local name=$1 n=$2 i id st=''
  for i in $(seq 1 "$n"); do start_worker "$name-$i" || { echo "worker did not start"; exit 1; }; done
  id=$(curl -sS -X POST "http://127.0.0.1:$port/v1/plans" -H 'Content-Type: application/json' \
    --data-binary "@$tmp/plan.json" | jq -r .id)
  for i in $(seq 1 12000); do
    st=$(sql "SELECT status FROM plans WHERE id = '$id'")
    case $st in queued|running) sleep 0.1 ;; *) break ;; esac
  done
  local secs
  secs=$(sql "SELECT round(extract(epoch FROM finished_at - created_at)::numeric, 2) FROM plans WHERE id = '$id'")
  curl -sS "http://127.0.0.1:$port/v1/plans/$id/result" >"$tmp/$name.json"
  printf '%-34s %s: 2000 variants in %s s wall, %s variants/s\n' \
    "plan fan-out, $n worker process$( [ "$n" = 1 ] || echo es)" "$st" "$secs" \
    "$(echo "scale=1; 2000 / $secs" | bc)"
  echo "$secs" >"$tmp/$name.secs"
  stop_workers "$name"
}
echo "batches of $batch variants; load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
run one 1
run two 2
echo "speed-up, 2 workers vs 1: $(echo "scale=2; $(cat "$tmp/one.secs") / $(cat "$tmp/two.secs")" | bc)x"
if cmp -s "$tmp/one.json" "$tmp/two.json"; then
  echo "1 and 2 workers give byte-identical answers"
else
  echo "the answers of 1 and 2 workers differ"
fi
# The control: the same plan in one process, `fleetsim plan` on 1 and 2 threads — what this
# machine gives a second engine right now, whoever runs it.
for t in 1 2; do
  s0=$(date +%s.%N)
  "$fleetsim" plan "$tmp/plan.json" --threads "$t" --json --config "$FLEETSIM_CONFIG_DIR" \
    >"$tmp/local$t.json"
  printf '%-34s 2000 variants in %.2f s wall\n' "control: fleetsim plan, $t thread$( [ "$t" = 1 ] || echo s)" \
    "$(echo "$(date +%s.%N) - $s0" | bc)"
done
if cmp -s "$tmp/one.json" <(head -c -1 "$tmp/local1.json"); then
  echo "the fan-out's answer is fleetsim plan --json's, byte for byte"
else
  echo "the fan-out's answer differs from fleetsim plan --json's"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
