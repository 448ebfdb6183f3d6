#!/usr/bin/env bash
# README.md's "Try the API" block, run as written, so the README cannot rot: the first
# ```sh block under that heading is split into commands (a trailing backslash continues a
# line) and each runs in one bash, in order — one TAP point per command, which must exit 0.
# Only what a test must not do is mapped: build/cli/fleetsim and build/api/fleetsim-api are
# this build's binaries, `./dev.sh db` is the throw-away PostgreSQL of with_postgres.sh
# (its DATABASE_URL), port 8080 a free one. It runs in a scratch folder where config/ is the
# repository's (migrations/ too). Then: the result is a SimulationResult whose summary equals a local
# `fleetsim run` of the demo, the report is HTML, the API logged no sanitizer report.
# Usage (from meson): with_postgres.sh walkthrough.sh README.md FLEETSIM FLEETSIM-API.
set -u
readme=$(realpath "$1") fleetsim=$(realpath "$2") api=$(realpath "$3")
root=${FSIM_SOURCE_ROOT:?}
source "$root/tests/lib/tap.sh"
# the README's API is stopped by its last command; this stops it when a step failed first
trap '[ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
work=$tmp/work
mkdir -p "$work/build/cli" "$work/build/api"
ln -s "$root/config" "$work/config"
ln -s "$root/migrations" "$work/migrations"
ln -s "$fleetsim" "$work/build/cli/fleetsim"
ln -s "$api" "$work/build/api/fleetsim-api"

# the block, one logical command per line
awk '/^## Try the API/ {on = 1; next} on && /^## / {exit}
     on && /^```sh$/ {inblock = 1; next} inblock && /^```$/ {exit}
     inblock {print}' "$readme" |
  awk '{ if (sub(/\\$/, "")) { buf = buf $0 } else { print buf $0; buf = "" } }' >"$tmp/commands"
check "README has a \"Try the API\" block of at least 10 commands" \
  test "$(wc -l <"$tmp/commands")" -ge 10

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
db_url=${DATABASE_URL:?}
# a dev.sh stand-in for `./dev.sh db`: what it prints, for the with_postgres database
cat >"$work/dev.sh" <<EOS
#!/bin/sh
[ "\$1" = db ] && echo "DATABASE_URL=$db_url" && exit 0
echo "dev.sh stand-in: only db" >&2; exit 2
EOS
chmod +x "$work/dev.sh"

cd "$work" || exit 1
unset DATABASE_URL FLEETSIM_API_URL FLEETSIM_API_KEY
api_pid=
while IFS= read -r line; do
  cmd=${line//8080/$port}
  shown=$(sed 's/[[:space:]]*#.*$//' <<<"$line" | cut -c1-100)
  eval "$cmd" >>"$tmp/step.out" 2>"$tmp/step.err" </dev/null
  rc=$?
  if [ "$rc" = 0 ]; then
    ok "README: $shown"
  else
    bad "README: $shown" "exit $rc" "stderr: $(tail -c 400 "$tmp/step.err" | tr '\n' ' ')"
  fi
done <"$tmp/commands"
[ -n "${api_pid:-}" ] && wait "$api_pid" 2>/dev/null

check "the fetched result is a SimulationResult that succeeded" \
  jq -e '.status == "succeeded" and (.summary.trips > 0)' result.json
"$fleetsim" run --config "$root/config" --json >"$tmp/local.json" 2>/dev/null
check "its summary equals a local fleetsim run of the demo" \
  eval '[ "$(jq -S .summary result.json)" = "$(jq -S .summary "$tmp/local.json")" ]'
check "the report is an HTML page" grep -qi '<html' report.html
check "fetch --out wrote the five files" \
  test -s out-api/result.json -a -s out-api/trips.csv -a -s out-api/vehicles.csv
check "status --wait printed the summary" grep -q '^  feasible ' "$tmp/step.out"
check "the API logged no sanitizer report" eval '! grep -q "runtime error\|AddressSanitizer" api.log'
tap_done
