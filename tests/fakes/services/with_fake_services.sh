#!/bin/bash
# with_fake_services.sh CMD ARGS… — starts fake_services.py on a free loopback port, points
# the service settings at it (FAKE_SERVICES_URL, FLEETSIM_ROUTING_URL, …), gives CMD a fresh
# FLEETSIM_CACHE_DIR, runs CMD and stops the fake. FLEETSIM_OFFLINE=0 here: the tests that
# use the fake are the ones that go past the cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
python3 "$here/fake_services.py" >"$tmp/fake.out" 2>"$tmp/fake.err" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
for _ in $(seq 100); do
  grep -q FAKE_SERVICES_READY "$tmp/fake.out" 2>/dev/null && break
  sleep 0.05
done
url=$(sed -n 's/^FAKE_SERVICES_READY //p' "$tmp/fake.out")
[ -n "$url" ] || { echo "fake_services.py did not start:" >&2; cat "$tmp/fake.err" >&2; exit 1; }
export FAKE_SERVICES_URL=$url
export FLEETSIM_ROUTING_URL=$url/directions/v5/mapbox
export FLEETSIM_ELEVATION_URL=$url/v1/elevation
export FLEETSIM_WEATHER_URL=$url/v1/forecast
export FLEETSIM_WEATHER_ARCHIVE_URL=$url/v1/archive
export FLEETSIM_CACHE_DIR=$tmp/cache
export FLEETSIM_OFFLINE=0
export MAPBOX_ACCESS_TOKEN=${MAPBOX_ACCESS_TOKEN-pk.test-token}
"$@"
