# shellcheck shell=bash
# Helpers of the harnesses that start a real peer for a test (tests/fakes/with_pubsub.sh,
# tests/fakes/with_storage.sh, tests/gcs/with_fake_google.sh). Sourced; bash.
#
#   peer_start OUT ERR CMD…          starts CMD in the background, stdout to OUT, stderr to
#                                    ERR (both created first: the wait may read OUT before
#                                    the background shell has opened it); sets $peer_pid
#   peer_wait_ready NAME OUT ERR PID AWK SECONDS
#                                    polls OUT with the awk program AWK until it prints the
#                                    ready value (an address), which goes to stdout; fails
#                                    with ERR shown when the peer exits or SECONDS pass
#   peer_stop PID                    SIGCONT (a test may have left it stopped), SIGTERM,
#                                    up to 5 s, then SIGKILL; reaps it

peer_start() {
  local out=$1 err=$2
  shift 2
  : >"$out"
  : >"$err"
  "$@" >"$out" 2>"$err" &
  peer_pid=$!
}

peer_wait_ready() {
  local name=$1 out=$2 err=$3 pid=$4 prog=$5 seconds=$6 value='' _
  for _ in $(seq $((seconds * 10))); do
    value=$(awk "$prog" "$out")
    [ -n "$value" ] && { echo "$value"; return 0; }
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited before it was ready:" >&2
      cat "$err" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$name was not ready within $seconds s" >&2
  cat "$err" >&2
  return 1
}

peer_stop() {
  local pid=$1 _
  [ -n "$pid" ] || return 0
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
