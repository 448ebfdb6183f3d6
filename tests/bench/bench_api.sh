#!/usr/bin/env bash
# Benchmark of fleetsim-api (figures only, never pass/fail): wrk at 64 connections for 5 s on
# GET /healthz and GET /v1/simulations/{id} (a finished job: served from the status cache),
# and the same wrk against nginx serving a small static file as this machine's ceiling.
# The three run in turn for $FSIM_BENCH_ROUNDS rounds (default 3), so all see about the same
# machine; each line gives requests/s, p50 and p99 and, for the API, its requests/s as a
# share of nginx's in the same round; the last lines are the medians over the rounds (each
# column on its own, the share too).
# FSIM_BENCH_API_ENV="VAR=VALUE …" adds settings to the API's environment (to compare).
# Usage (from meson, under tests/db/with_postgres.sh): bench_api.sh FLEETSIM-API FLEETSIM
set -eu
api=$1 fleetsim=$2
rounds=${FSIM_BENCH_ROUNDS:-3}
command -v wrk >/dev/null && command -v nginx >/dev/null ||
  { echo "bench_api: needs wrk and nginx (./dev.sh bench installs them)"; exit 77; }
tmp=$(mktemp -d)
export FLEETSIM_CONFIG_DIR=${FSIM_SOURCE_ROOT:?}/config
"$fleetsim" migrate --dir "$FSIM_SOURCE_ROOT/migrations" >/dev/null
scenario=$FLEETSIM_CONFIG_DIR/scenarios/tight.json
psql -X -qtA -c "INSERT INTO fleets (id, name) VALUES ('$(jq -r .fleetId "$scenario")', 'bench')" >/dev/null
# The log lines go into a pipe that is drained, as on Cloud Run (a file on a busy disk
# would measure the disk); only the first lines, up to "listening", are kept.
mkfifo "$tmp/log"
: >"$tmp/api.log" # read by the wait loop below before the first line arrives
{
  while IFS= read -r l; do
    printf '%s\n' "$l" >>"$tmp/api.log"
    case $l in *'"listening on'*) break ;; esac
  done
  cat >/dev/null
} <"$tmp/log" &
# shellcheck disable=SC2086 # FSIM_BENCH_API_ENV is a list of words on purpose
env PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 FLEETSIM_API_KEYS=bench-api-key-0001 ${FSIM_BENCH_API_ENV:-} \
  "$api" >"$tmp/log" 2>&1 &
api_pid=$!
mkdir -p "$tmp/www" && echo '{"ok":true}' >"$tmp/www/healthz"
# A like-for-like ceiling: as many nginx workers as fleetsim-api has HTTP threads (two per
# CPU), and keepalive_requests — nginx closes a keep-alive connection after 1000 requests by
# default, fleetsim-api never does; without it nginx would pay reconnections the API does not.
cat >"$tmp/nginx.conf" <<CONF
worker_processes $((2 * $(nproc))); pid $tmp/nginx.pid; error_log $tmp/nginx.err; daemon off;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000;
       server { listen 127.0.0.1:18089; root $tmp/www; } }
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp" &
nginx_pid=$!
trap 'kill $api_pid $nginx_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
  port=$(sed -n 's/.*"listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$tmp/api.log" | head -1)
  [ -n "$port" ] && break; sleep 0.1
done
base=http://127.0.0.1:$port
export FLEETSIM_API_URL=$base FLEETSIM_API_KEY=bench-api-key-0001
id=$("$fleetsim" submit "$scenario" --wait --json | jq -r .id)
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); API settings: ${FSIM_BENCH_API_ENV:-defaults}"

# run NAME URL [wrk args]: one wrk, its figures appended to $tmp/NAME as "rps p50_ms p99_ms"
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) print v / 1000; else if (v ~ /ms$/) print v + 0; else print v * 1000 }'; }
run() {
  local name=$1 url=$2; shift 2
  wrk -t2 -c64 -d5s --latency "$@" "$url" >"$tmp/wrk" 2>&1
  echo "$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk") $(ms "$(awk '$1 == "50%" {print $2}' "$tmp/wrk")") $(ms "$(awk '$1 == "99%" {print $2}' "$tmp/wrk")")" >>"$tmp/$name"
}
line() { # line LABEL "rps p50 p99" [share of nginx, %]
  set -- "$1" $2 "${3:-}"
  printf '%-40s %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms' "$1" "$2" "$3" "$4"
  [ -z "$5" ] || printf '  %5.1f %% of nginx' "$5"
  echo
}
share() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", 100 * a / b}'; }
names=(nginx healthz status)
labels=("nginx static file (ceiling)" "fleetsim-api GET /healthz" "fleetsim-api GET /v1/simulations/{id}")
for r in $(seq "$rounds"); do
  run nginx "http://127.0.0.1:18089/healthz"
  run healthz "$base/healthz"
  run status "$base/v1/simulations/$id" -H "X-API-Key: bench-api-key-0001"
  ceiling=$(sed -n "${r}p" "$tmp/nginx" | cut -d' ' -f1)
  echo "round $r"
  line "  ${labels[0]}" "$(sed -n "${r}p" "$tmp/nginx")"
  for k in 1 2; do
    figures=$(sed -n "${r}p" "$tmp/${names[$k]}")
    share "${figures%% *}" "$ceiling" >>"$tmp/${names[$k]}.share"; echo >>"$tmp/${names[$k]}.share"
    line "  ${labels[$k]}" "$figures" "$(tail -1 "$tmp/${names[$k]}.share")"
  done
done
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
med() { # med NAME: "rps p50 p99", each the median of its column over the rounds
  echo "$(cut -d' ' -f1 "$tmp/$1" | median) $(cut -d' ' -f2 "$tmp/$1" | median) $(cut -d' ' -f3 "$tmp/$1" | median)"
}
echo "median of $rounds rounds"
line "  ${labels[0]}" "$(med nginx)"
for k in 1 2; do
  line "  ${labels[$k]}" "$(med "${names[$k]}")" "$(median <"$tmp/${names[$k]}.share")"
done
