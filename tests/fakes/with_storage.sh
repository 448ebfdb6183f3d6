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
#   1. makes sure the pinned package is installed (tests/lib/npm_pinned.sh): `npm ci` into a
#      cache folder keyed by the lock file's hash,
#      ${FSIM_CACHE_DIR:-~/.cache/fleetsim}/storage-emulator-<hash>/ — once per machine, never
#      again while the lock file is unchanged (parallel tests wait on a lock instead of
#      installing twice);
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
source "$here/../lib/peer.sh"
source "$here/../lib/npm_pinned.sh"
rc=0
npm_pinned "$here/storage" "${FSIM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fleetsim}" \
  storage-emulator node_modules/firebase-tools/package.json || rc=$?
[ "$rc" = 0 ] || exit "$rc"
cache=$npm_dir
pkg=$here/storage

dir=$(mktemp -d "${TMPDIR:-/tmp}/fsim-storage.XXXXXX")
pid=
cleanup() {
  local rc=$?
  peer_stop "$pid"
  rm -rf "$dir"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# TMPDIR: the emulator's blob folder goes under our scratch folder, removed at the end.
peer_start "$dir/emulator.out" "$dir/emulator.err" \
  env FSIM_STORAGE_EMULATOR_MODULES="$cache/node_modules" TMPDIR="$dir" \
  node "$pkg/launch.js" --host 127.0.0.1 --port 0
pid=$peer_pid
url=$(peer_wait_ready "with_storage.sh: the Storage emulator" "$dir/emulator.out" \
  "$dir/emulator.err" "$pid" '/^STORAGE_EMULATOR_READY /{print $2; exit}' 60) || exit 1

export STORAGE_EMULATOR_HOST=${url#http://}
export FSIM_STORAGE_EMULATOR_URL=$url FSIM_STORAGE_EMULATOR_PID=$pid

rc=0
"$@" || rc=$?
exit $rc
