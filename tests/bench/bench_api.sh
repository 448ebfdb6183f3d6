#!/usr/bin/env bash
# Benchmark of fleetsim-api (figures only, never pass/fail): wrk at 64 connections for 5 s on
# GET /healthz and GET /v1/simulations/{id} (a finished job), and the same wrk against nginx
# serving a small static file as this machine's ceiling. Prints requests/s and p50/p99.
# Usage (from meson, under tests/db/with_postgres.sh): bench_api.sh FLEETSIM-API FLEETSIM
set -eu
api=$1 fleetsim=$2
command -v wrk >/dev/null && command -v nginx >/dev/null ||
  { echo "bench_api: needs wrk and nginx (./dev.sh bench installs them)"; exit 77; }
tmp=$(mktemp -d)
export FLEETSIM_CONFIG_DIR=${FSIM_SOURCE_ROOT:?}/config
"$fleetsim" migrate --dir "$FSIM_SOURCE_ROOT/migrations" >/dev/null
scenario=$FLEETSIM_CONFIG_DIR/scenarios/tight.json
psql -X -qtA -c "INSERT INTO fleets (id, name) VALUES ('$(jq -r .fleetId "$scenario")', 'bench')" >/dev/null
env PORT=0 FLEETSIM_API_LISTEN=127.0.0.1 FLEETSIM_API_KEYS=bench "$api" >"$tmp/api.log" 2>&1 &
api_pid=$!
mkdir -p "$tmp/www" && echo '{"ok":true}' >"$tmp/www/healthz"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 2; pid $tmp/nginx.pid; error_log $tmp/nginx.err; daemon off;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:18089; root $tmp/www; } }
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp" &
nginx_pid=$!
trap 'kill $api_pid $nginx_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
  port=$(sed -n 's/.*"listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$tmp/api.log" | head -1)
  [ -n "$port" ] && break; sleep 0.1
done
base=http://127.0.0.1:$port
export FLEETSIM_API_URL=$base FLEETSIM_API_KEY=bench
id=$("$fleetsim" submit "$scenario" --wait | jq -r .id)
report() { # NAME URL [wrk args]
  local name=$1 url=$2; shift 2
  wrk -t2 -c64 -d5s --latency "$@" "$url" >"$tmp/wrk" 2>&1
  printf '%-34s %10s req/s   p50 %8s   p99 %8s\n' "$name" \
    "$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk")" \
    "$(awk '$1 == "50%" {print $2}' "$tmp/wrk")" "$(awk '$1 == "99%" {print $2}' "$tmp/wrk")"
}
report "nginx static file (ceiling)" "http://127.0.0.1:18089/healthz"
report "fleetsim-api GET /healthz" "$base/healthz"
report "fleetsim-api GET /v1/simulations/{id}" "$base/v1/simulations/$id" -H "X-API-Key: bench"
