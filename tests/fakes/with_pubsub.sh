#!/usr/bin/env bash
# with_pubsub.sh — run one command against a fresh in-memory Pub/Sub (Google's pstest fake).
#
#   tests/fakes/with_pubsub.sh CMD [ARGS…]
#
# What it does, in order:
#   1. builds the launcher tests/fakes/pstest/main.go once, offline, in GOPATH mode against
#      Debian's golang-google-cloud-dev (GO111MODULE=off, GOPATH=/usr/share/gocode), into
#      ${FSIM_PUBSUB_FAKE_DIR:-${FSIM_CACHE_DIR:-~/.cache/fleetsim}}/pstest-<hash>, where the
#      hash covers main.go, the Go version and the pstest source: rebuilt only when one of
#      them changes (parallel callers wait on a lock instead of building twice);
#   2. starts it on a free 127.0.0.1 port (the kernel picks it: no race between choosing a
#      port and binding it) and waits for its ready line;
#   3. runs CMD with
#        PUBSUB_EMULATOR_HOST     127.0.0.1:PORT (the convention of Google's client libraries)
#        FSIM_PUBSUB_FAKE_PID     the fake's process id (fault tests may stop it)
#   4. stops the fake (SIGTERM, then SIGKILL after 5 s) and removes its files — also when CMD
#      fails or on a signal (trap). The exit code is CMD's; 77 (skip) when Go or the pstest
#      source is missing.
#
# Composes with tests/db/with_postgres.sh: `with_postgres.sh with_pubsub.sh test_program`.
# FSIM_PUBSUB_FAKE_LOG=FILE keeps the fake's stderr there (for debugging).
#
# FSIM_PUBSUB_FAKE_TLS=1 plays the real service instead: a certificate for 127.0.0.1 made
# now with openssl, TLS, and every call must carry `authorization: Bearer tok-…|meta-…` (the
# tokens tests/gcs/fake_google.py issues). Then CMD gets FSIM_PUBSUB_TLS_HOST (127.0.0.1:PORT)
# and FSIM_PUBSUB_TLS_CA (the certificate, to trust) instead of PUBSUB_EMULATOR_HOST.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: with_pubsub.sh CMD [ARGS…]" >&2
  exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/peer.sh"
src=$here/pstest
gopath=/usr/share/gocode
pstest_src=$gopath/src/cloud.google.com/go/pubsub/pstest/fake.go
if ! command -v go >/dev/null || [ ! -f "$pstest_src" ]; then
  echo "with_pubsub.sh: the Pub/Sub fake needs golang-go and golang-google-cloud-dev (apt-get install golang-go golang-google-cloud-dev)" >&2
  exit 77
fi

cache_root=${FSIM_PUBSUB_FAKE_DIR:-${FSIM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fleetsim}}
mkdir -p "$cache_root"
hash=$( { cat "$src/main.go" "$pstest_src"; go version; } | sha256sum | cut -c1-16)
bin=$cache_root/pstest-$hash

# Build once. flock serializes parallel test programs; the binary is written under a
# scratch name and renamed into place, so a killed build never leaves a broken one.
if [ ! -x "$bin" ]; then
  exec 9>"$cache_root/pstest.lock"
  flock 9
  if [ ! -x "$bin" ]; then
    echo "with_pubsub.sh: building the Pub/Sub fake into $bin (once)" >&2
    gocache=$cache_root/go-build-cache
    mkdir -p "$gocache"
    if ! (cd "$src" && GO111MODULE=off GOPATH=$gopath GOCACHE=$gocache GOFLAGS='' \
            GOPROXY=off CGO_ENABLED=0 go build -o "$bin.tmp.$$" . ) 2>"$cache_root/pstest-build.log"; then
      cat "$cache_root/pstest-build.log" >&2
      rm -f "$bin.tmp.$$"
      exit 1
    fi
    mv "$bin.tmp.$$" "$bin"
  fi
  flock -u 9
  exec 9>&-
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/fsim-pubsub.XXXXXX")
pid=
cleanup() {
  local rc=$?
  peer_stop "$pid"
  if [ -n "${FSIM_PUBSUB_FAKE_LOG:-}" ] && [ -f "$dir/fake.err" ]; then
    cp "$dir/fake.err" "$FSIM_PUBSUB_FAKE_LOG" || true
  fi
  rm -rf "$dir"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tls_args=()
if [ "${FSIM_PUBSUB_FAKE_TLS:-0}" = 1 ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/tls.key" -out "$dir/tls.crt" \
    -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>/dev/null
  tls_args=(-tls-cert "$dir/tls.crt" -tls-key "$dir/tls.key" -require-bearer "tok-,meta-")
fi

peer_start "$dir/fake.out" "$dir/fake.err" \
  "$bin" -port 0 -min-ack-deadline 1 "${tls_args[@]}"
pid=$peer_pid
addr=$(peer_wait_ready "with_pubsub.sh: the Pub/Sub fake" "$dir/fake.out" "$dir/fake.err" "$pid" \
  '/^pstest ready on /{print $4; exit}' 15) || exit 1

export FSIM_PUBSUB_FAKE_PID=$pid
if [ "${FSIM_PUBSUB_FAKE_TLS:-0}" = 1 ]; then
  unset PUBSUB_EMULATOR_HOST
  export FSIM_PUBSUB_TLS_HOST=$addr FSIM_PUBSUB_TLS_CA=$dir/tls.crt
else
  export PUBSUB_EMULATOR_HOST=$addr
fi

rc=0
"$@" || rc=$?
exit $rc
