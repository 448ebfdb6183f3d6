# shellcheck shell=bash
# Shared helpers of the whole-program shell tests (sourced, not run). They emit TAP:
#   ok NAME / bad NAME [DIAGNOSTIC…]   one test point, passed / failed
#   check NAME CMD…                    a point that passes when CMD succeeds
#   expect NAME CODE OUT ERR -- ARGS…  runs "$fleetsim" ARGS: passes on exit CODE with OUT
#                                      in stdout and ERR in stderr (empty = any) and no
#                                      sanitizer report
#   tap_done                           prints the plan; exits non-zero after any failure
# Sets $tmp, a scratch folder removed on exit. The caller sets $fleetsim for expect.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
# the command's own output goes to stderr: stdout is the TAP stream
check() { local name=$1; shift; if "$@" >&2; then ok "$name"; else bad "$name" "failed: $*"; fi; }
expect() {
  local name=$1 code=$2 out=$3 errf=$4; shift 5
  local rc=0
  "$fleetsim" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" = "$code" ] && { [ -z "$out" ] || grep -qF -- "$out" "$tmp/out"; } &&
     { [ -z "$errf" ] || grep -qF -- "$errf" "$tmp/err"; } &&
     ! grep -q 'runtime error\|AddressSanitizer' "$tmp/err"; then
    ok "$name"
  else
    bad "$name" "exit $rc (expected $code)" "stdout: $(head -c 300 "$tmp/out" | tr '\n' ' ')" \
      "stderr: $(head -c 300 "$tmp/err" | tr '\n' ' ')"
  fi
}
tap_done() { echo "1..$n"; [ "$failed" = 0 ]; }
