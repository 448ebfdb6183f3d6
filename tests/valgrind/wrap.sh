#!/usr/bin/env bash
# meson test --wrap for `./dev.sh valgrind`: runs a test under valgrind memcheck.
#
#   wrap.sh PROGRAM [ARGS…]
#
# A compiled test program runs under valgrind itself. A script (the CLI suites are bash
# scripts that get the `fleetsim` binary as an argument) runs as it is, but every argument
# that is one of our ELF executables is replaced by a shim that runs it under valgrind: so
# each `fleetsim` the script starts is checked, and bash, jq and python are not.
#
# Every checked process writes its own log into $FSIM_VALGRIND_LOGS; this wrapper fails the
# test (exit 1) when a log of this test reports an error or a leak, and prints those logs.
# Valgrind's own exit code is left alone (--error-exitcode is not used), so a test that
# expects `fleetsim` to exit 2 still sees 2.
set -uo pipefail

logs=${FSIM_VALGRIND_LOGS:?}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$logs"
tag=$(basename "$1").$$
# shellcheck disable=SC2054  # the commas belong to valgrind's option values, not the array
vg=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --num-callers=30
    --suppressions="$here/valgrind.supp" --log-file="$logs/$tag.%p.log")

is_elf() { [ -f "$1" ] && [ -x "$1" ] && [ "$(head -c 4 "$1" | tr -d '\0')" = $'\x7fELF' ]; }

rc=0
if is_elf "$1"; then
  "${vg[@]}" "$@" || rc=$?
else
  shims=$(mktemp -d)
  args=("$1")
  shift
  for a in "$@"; do
    if is_elf "$a"; then
      a=$(realpath "$a")
      shim=$shims/$(basename "$a")
      printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$(printf '%q ' "${vg[@]}")" "$a" >"$shim"
      chmod +x "$shim"
      a=$shim
    fi
    args+=("$a")
  done
  "${args[@]}" || rc=$?
  rm -rf "$shims"
fi

# The verdict: any log of this test with an error (leaks count as errors, see above).
bad=0
for f in "$logs/$tag".*.log; do
  [ -e "$f" ] || continue
  if grep -q 'ERROR SUMMARY: [1-9]' "$f"; then
    bad=1
    echo "valgrind: errors in $f:" >&2
    cat "$f" >&2
  fi
done
[ $bad = 0 ] || exit 1
exit $rc
