#!/usr/bin/env bash
# with_storage.sh — run one command against a fresh local Cloud Storage emulator.
#
#   tests/fakes/with_storage.sh CMD [ARGS…]
#
# The emulator is Google's own, from the npm package firebase-tools (version pinned in
# tests/fakes/storage/package.json + package-lock.json), started offline by
# tests/fakes/storage/launch.js (why a launcher of our own: see its header).
#
# What it does, in order:
#   1. makes sure the pinned package is installed: `npm ci` into a cache folder keyed by the
#      lock file's hash, ${FSIM_CACHE_DIR:-~/.cache/fleetsim}/storage-emulator-<hash>/ — once
#      per machine, never again while the lock file is unchanged (parallel tests wait on a
#      lock instead of installing twice);
#   2. starts the emulator on a free 127.0.0.1 port (the kernel picks it) and waits for its
#      ready line;
#   3. runs CMD with
#        STORAGE_EMULATOR_HOST       127.0.0.1:PORT (Google's convention: plain HTTP, no auth)
#        FSIM_STORAGE_EMULATOR_URL   http://127.0.0.1:PORT
#        FSIM_STORAGE_EMULATOR_PID   the emulator's process id (fault tests stop/resume it)
#   4. stops the emulator and removes its files — also when CMD fails or on a signal (trap).
#      The exit code is CMD's; 77 (skip) when node or npm is missing.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: with_storage.sh CMD [ARGS…]" >&2
  exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
pkg=$here/storage
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "with_storage.sh: node and npm are needed for the Storage emulator (apt-get install nodejs npm)" >&2
  exit 77
fi

cache_root=${FSIM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fleetsim}
hash=$(cat "$pkg/package.json" "$pkg/package-lock.json" | sha256sum | cut -c1-16)
cache=$cache_root/storage-emulator-$hash
mkdir -p "$cache_root"

# Install once. flock serializes parallel test programs; the install goes to a scratch
# folder renamed into place, so a killed install never leaves a half cache behind.
if [ ! -f "$cache/node_modules/firebase-tools/package.json" ]; then
  exec 9>"$cache_root/storage-emulator.lock"
  flock 9
  if [ ! -f "$cache/node_modules/firebase-tools/package.json" ]; then
    echo "with_storage.sh: installing the pinned Storage emulator into $cache (once)" >&2
    scratch=$(mktemp -d "$cache_root/.install.XXXXXX")
    cp "$pkg/package.json" "$pkg/package-lock.json" "$scratch/"
    if ! (cd "$scratch" && npm ci --ignore-scripts --no-audit --no-fund --omit=dev \
            --loglevel=error >"$scratch/npm.log" 2>&1); then
      cat "$scratch/npm.log" >&2
      rm -rf "$scratch"
      exit 1
    fi
    rm -f "$scratch/npm.log"
    rm -rf "$cache"
    mv "$scratch" "$cache"
  fi
  flock -u 9
  exec 9>&-
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/fsim-storage.XXXXXX")
pid=
cleanup() {
  local rc=$?
  if [ -n "$pid" ]; then
    kill -CONT "$pid" 2>/dev/null || true   # a test may have left it stopped
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# created before the start: the background job opens them only when it runs, and awk
# must not find them missing (exit 2 under set -e)
: >"$dir/emulator.out"; : >"$dir/emulator.err"
# TMPDIR: the emulator's blob folder goes under our scratch folder, removed at the end.
FSIM_STORAGE_EMULATOR_MODULES=$cache/node_modules TMPDIR=$dir \
  node "$pkg/launch.js" --host 127.0.0.1 --port 0 >"$dir/emulator.out" 2>"$dir/emulator.err" &
pid=$!

url=
for _ in $(seq 600); do
  url=$(awk '/^STORAGE_EMULATOR_READY /{print $2; exit}' "$dir/emulator.out")
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "with_storage.sh: the Storage emulator exited before it was ready:" >&2
    cat "$dir/emulator.err" >&2
    pid=
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "with_storage.sh: the Storage emulator was not ready within 60 s" >&2
  cat "$dir/emulator.err" >&2
  exit 1
fi

export STORAGE_EMULATOR_HOST=${url#http://}
export FSIM_STORAGE_EMULATOR_URL=$url FSIM_STORAGE_EMULATOR_PID=$pid

rc=0
"$@" || rc=$?
exit $rc
