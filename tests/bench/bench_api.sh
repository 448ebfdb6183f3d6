#!/usr/bin/env bash
# Benchmark of fleetsim-api (figures only, never pass/fail): wrk at 64 connections for 5 s on
# GET /healthz and GET /v1/simulations/{id} of a finished job, twice: served from the status
# cache (the default) and with the cache off (FLEETSIM_API_STATUS_CACHE_ENTRIES=0: what every
# poll of a job another instance just changed costs — a database read), beside nginx serving
# a small static file as this machine's ceiling.
# FSIM_BENCH_API_BASE=/path/to/an/older/fleetsim-api adds that binary's two status figures to
# the same rounds (its lines say "base"), so before and after see the same machine.
# All wrk runs take turns for $FSIM_BENCH_ROUNDS rounds (default 3); each line gives
# requests/s, p50 and p99 and, for the API, its requests/s as a share of nginx's in the same
# round, and the CPU time per request of the API process and of all PostgreSQL backends
# (from /proc: the figure the machine's other load moves least); the last lines are the
# medians over the rounds (each column on its own, the share and the CPU too).
# FSIM_BENCH_API_ENV="VAR=VALUE …" adds settings to every API's environment (to compare).
# Usage (from meson, under tests/db/with_postgres.sh): bench_api.sh FLEETSIM-API FLEETSIM
set -eu
api=$1 fleetsim=$2
base_api=${FSIM_BENCH_API_BASE:-}
rounds=${FSIM_BENCH_ROUNDS:-3}
command -v wrk >/dev/null && command -v nginx >/dev/null ||
  { echo "bench_api: needs wrk and nginx (./dev.sh bench installs them)"; exit 77; }
tmp=$(mktemp -d)
export FLEETSIM_CONFIG_DIR=${FSIM_SOURCE_ROOT:?}/config
"$fleetsim" migrate --dir "$FSIM_SOURCE_ROOT/migrations" >/dev/null
scenario=$FLEETSIM_CONFIG_DIR/scenarios/tight.json
psql -X -qtA -c "INSERT INTO fleets (id, name) VALUES ('$(jq -r .fleetId "$scenario")', 'bench')" >/dev/null
pids=()
mkdir -p "$tmp/www" && echo '{"ok":true}' >"$tmp/www/healthz"
# nginx's workers run as an unprivileged user (when started as root): without this they
# cannot reach the file and the "ceiling" is a 403 page (wrk's Non-2xx, refused below)
chmod a+rx "$tmp" "$tmp/www" && chmod a+r "$tmp/www/healthz"
# A like-for-like ceiling: as many nginx workers as fleetsim-api has HTTP threads (two per
# CPU), and keepalive_requests — nginx closes a keep-alive connection after 1000 requests by
# default, fleetsim-api never does; without it nginx would pay reconnections the API does not.
# A free port, not a fixed one: other benchmarks on the machine may run their own nginx.
nginx_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$tmp/nginx.conf" <<CONF
worker_processes $((2 * $(nproc))); pid $tmp/nginx.pid; error_log $tmp/nginx.err; daemon off;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000;
       server { listen 127.0.0.1:$nginx_port; root $tmp/www; } }
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp" &
pids+=($!)
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

# start_api NAME BINARY [VAR=VALUE…]: starts one API on a free port; its URL in $tmp/NAME.url.
# The log lines go into a pipe that is drained, as on Cloud Run (a file on a busy disk
# would measure the disk); only the first lines, up to "listening", are kept.
start_api() {
  local name=$1 bin=$2 port=; shift 2
  mkfifo "$tmp/$name.fifo"
  : >"$tmp/$name.log" # read by the wait loop below before the first line arrives
  {
    while IFS= read -r l; do
      printf '%s\n' "$l" >>"$tmp/$name.log"
      case $l in *'"listening on'*) break ;; esac
    done
    cat >/dev/null
  } <"$tmp/$name.fifo" &
  # shellcheck disable=SC2086 # FSIM_BENCH_API_ENV is a list of words on purpose
  env PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 FLEETSIM_API_KEYS=bench-api-key-0001 \
    ${FSIM_BENCH_API_ENV:-} "$@" "$bin" >"$tmp/$name.fifo" 2>&1 &
  pids+=($!)
  echo $! >"$tmp/$name.pid"
  for _ in $(seq 100); do
    port=$(sed -n 's/.*"listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$tmp/$name.log" | head -1)
    [ -n "$port" ] && break; sleep 0.1
  done
  [ -n "$port" ] || { echo "bench_api: $name did not start:"; cat "$tmp/$name.log"; exit 1; }
  echo "http://127.0.0.1:$port" >"$tmp/$name.url"
}
start_api cached "$api"
start_api nocache "$api" FLEETSIM_API_STATUS_CACHE_ENTRIES=0
if [ -n "$base_api" ]; then
  start_api base_cached "$base_api"
  start_api base_nocache "$base_api" FLEETSIM_API_STATUS_CACHE_ENTRIES=0
fi
FLEETSIM_API_URL=$(cat "$tmp/cached.url")
export FLEETSIM_API_URL FLEETSIM_API_KEY=bench-api-key-0001
id=$("$fleetsim" submit "$scenario" --wait --json | jq -r .id)
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); API settings: ${FSIM_BENCH_API_ENV:-defaults}"
[ -z "$base_api" ] || echo "base: $base_api"

# CPU time (clock ticks) of a process, and of all PostgreSQL backends (the postmaster's
# children): per request, the figure that the machine's other load moves least.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
postmaster=$(head -1 "${FSIM_PG_DIR:?}/data/postmaster.pid")
pg_ticks() { local t=0 c; for c in $(pgrep -P "$postmaster"); do t=$((t + $(ticks "$c"))); done; echo "$t"; }
hz=$(getconf CLK_TCK)
declare -A server_of=([healthz]=cached [status]=cached [status_nocache]=nocache
                      [base_status]=base_cached [base_status_nocache]=base_nocache)
# run NAME URL [wrk args]: one wrk, its figures appended to $tmp/NAME as "rps p50_ms p99_ms",
# and for an API the CPU per request (µs) of it and of PostgreSQL to $tmp/NAME.cpu
ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) print v / 1000; else if (v ~ /ms$/) print v + 0; else print v * 1000 }'; }
run() {
  local name=$1 url=$2 server='' a0=0 g0=0; shift 2
  server=${server_of[$name]:-}
  [ -z "$server" ] || { a0=$(ticks "$(cat "$tmp/$server.pid")"); g0=$(pg_ticks); }
  wrk -t2 -c64 -d5s --latency "$@" "$url" >"$tmp/wrk" 2>&1
  if grep -q 'Non-2xx' "$tmp/wrk"; then echo "bench_api: $name answered errors:"; cat "$tmp/wrk"; exit 1; fi
  if [ -n "$server" ]; then
    local a1 g1 n
    a1=$(ticks "$(cat "$tmp/$server.pid")"); g1=$(pg_ticks); n=$(awk '/requests in/ {print $1}' "$tmp/wrk")
    awk -v a=$((a1 - a0)) -v g=$((g1 - g0)) -v n="$n" -v hz="$hz" \
      'BEGIN {printf "%.1f %.1f\n", a * 1e6 / hz / n, g * 1e6 / hz / n}' >>"$tmp/$name.cpu"
  fi
  echo "$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk") $(ms "$(awk '$1 == "50%" {print $2}' "$tmp/wrk")") $(ms "$(awk '$1 == "99%" {print $2}' "$tmp/wrk")")" >>"$tmp/$name"
}
line() { # line LABEL "rps p50 p99" [share of nginx, %] ["api_us pg_us" CPU per request]
  set -- "$1" $2 "${3:-}" ${4:-}
  printf '%-52s %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms' "$1" "$2" "$3" "$4"
  [ -z "$5" ] || printf '  %5.1f %% of nginx' "$5"
  [ -z "${6:-}" ] || printf '  CPU/req: API %5.1f us, PostgreSQL %5.1f us' "$6" "$7"
  echo
}
share() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", 100 * a / b}'; }
names=(nginx healthz status status_nocache)
labels=("nginx static file (ceiling)" "fleetsim-api GET /healthz" "fleetsim-api GET /v1/simulations/{id}"
        "fleetsim-api GET /v1/simulations/{id}, cache off")
urls=("http://127.0.0.1:$nginx_port/healthz" "$(cat "$tmp/cached.url")/healthz"
      "$(cat "$tmp/cached.url")/v1/simulations/$id" "$(cat "$tmp/nocache.url")/v1/simulations/$id")
if [ -n "$base_api" ]; then
  names+=(base_status base_status_nocache)
  labels+=("base: GET /v1/simulations/{id}" "base: GET /v1/simulations/{id}, cache off")
  urls+=("$(cat "$tmp/base_cached.url")/v1/simulations/$id" "$(cat "$tmp/base_nocache.url")/v1/simulations/$id")
fi
for r in $(seq "$rounds"); do
  for k in "${!names[@]}"; do
    run "${names[$k]}" "${urls[$k]}" -H "X-API-Key: bench-api-key-0001"
  done
  ceiling=$(sed -n "${r}p" "$tmp/nginx" | cut -d' ' -f1)
  echo "round $r"
  line "  ${labels[0]}" "$(sed -n "${r}p" "$tmp/nginx")"
  for k in "${!names[@]}"; do
    [ "$k" -gt 0 ] || continue
    figures=$(sed -n "${r}p" "$tmp/${names[$k]}")
    share "${figures%% *}" "$ceiling" >>"$tmp/${names[$k]}.share"; echo >>"$tmp/${names[$k]}.share"
    line "  ${labels[$k]}" "$figures" "$(tail -1 "$tmp/${names[$k]}.share")" "$(sed -n "${r}p" "$tmp/${names[$k]}.cpu")"
  done
done
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
med() { # med NAME: "rps p50 p99", each the median of its column over the rounds
  echo "$(cut -d' ' -f1 "$tmp/$1" | median) $(cut -d' ' -f2 "$tmp/$1" | median) $(cut -d' ' -f3 "$tmp/$1" | median)"
}
echo "median of $rounds rounds"
line "  ${labels[0]}" "$(med nginx)"
for k in "${!names[@]}"; do
  [ "$k" -gt 0 ] || continue
  line "  ${labels[$k]}" "$(med "${names[$k]}")" "$(median <"$tmp/${names[$k]}.share")" \
    "$(cut -d' ' -f1 "$tmp/${names[$k]}.cpu" | median) $(cut -d' ' -f2 "$tmp/${names[$k]}.cpu" | median)"
done
