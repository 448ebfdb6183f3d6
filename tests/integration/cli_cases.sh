#!/usr/bin/env bash
# Table-driven whole-program test: runs the real `fleetsim` binary on each case of a table
# and checks its exit code and that stderr names the place. Emits TAP.
#
# Table format (tests/data/cli/*.cases), one case per line, fields separated by " | ":
#   name | expected exit code | expected stderr fragment | arguments…
# Arguments are split by the shell, after substituting @DATA@ (tests/data), @CONFIG@ (the
# bundled config dir) and @TMP@ (a scratch dir). Lines starting with # are comments.
set -u
fleetsim=$1; shift
data=${FSIM_TEST_DATA:?}
config=${FSIM_SOURCE_ROOT:?}/config
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
for table in "$@"; do
  while IFS= read -r line || [ -n "$line" ]; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    IFS='|' read -r name code fragment args <<<"$line"
    name=$(sed "s/^ *//;s/ *$//" <<<"$name")
    code=$(echo "$code" | tr -d ' ')
    fragment=$(echo "$fragment" | sed 's/^ *//;s/ *$//')
    args=${args//@DATA@/$data}
    args=${args//@CONFIG@/$config}
    args=${args//@TMP@/$tmp}
    n=$((n + 1))
    out=$(cd "$tmp" && eval "\"$fleetsim\" $args" 2>"$tmp/stderr" >"$tmp/stdout"; echo $?)
    err=$(cat "$tmp/stderr")
    if [ "$out" = "$code" ] && [[ "$err" == *"$fragment"* ]] && ! grep -q 'runtime error\|AddressSanitizer' "$tmp/stderr"; then
      echo "ok $n - $name"
    else
      failed=$((failed + 1))
      echo "not ok $n - $name"
      echo "# exit $out (expected $code); stderr: $(head -c 400 "$tmp/stderr" | tr '\n' ' ')"
      echo "# expected stderr to contain: $fragment"
    fi
  done <"$table"
done
echo "1..$n"
[ "$failed" = 0 ]
