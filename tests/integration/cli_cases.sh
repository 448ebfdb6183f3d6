#!/usr/bin/env bash
# Table-driven whole-program test: runs the real `fleetsim` binary on each case of a table
# and checks its exit code and that stderr names the place. Emits TAP.
#
# Usage: cli_cases.sh FLEETSIM TABLE.cases…   (env: FSIM_TEST_DATA, FSIM_SOURCE_ROOT)
#
# Table format (tests/data/cli/*.cases), one case per line, fields separated by " | ":
#   name | expected exit code | expected stderr fragment | arguments…
# Lines starting with # are comments (a `# FAILS: …` comment above a case says why it does
# not pass yet). The fragment may not contain "|"; the arguments may.
#
# Arguments are split by the shell (quotes work; `$` and backquotes are evaluated, so quote
# JSON with single quotes), after substituting (here and in the fragment) @DATA@ (tests/data), @CONFIG@ (the bundled
# config dir), @SRC@ (the source root) and @TMP@ (the case's own empty scratch dir, which is
# also its working directory). Leading NAME=VALUE words set environment variables for that
# case only, e.g.
#   FLEETSIM_CONFIG_OVERRIDES='{"vehicles": {"cargo-van": {"batteryKwh": 0}}}' cycle …
# Every case starts with FLEETSIM_CONFIG_DIR=@CONFIG@ and no FLEETSIM_CONFIG_OVERRIDES.
# Leading mkdir:PATH words (before or among the assignments) create that directory first, to
# set up an obstacle, e.g. `mkdir:@TMP@/out/trips.csv run … --out @TMP@/out`.
#
# Checks, every case: the exit code; stderr contains the fragment (required when the
# expected code is not 0); no sanitizer report. A case expected to fail must also print
# nothing on stdout and leave no file in @TMP@ (a failed run writes nothing, not even a
# temporary file; an empty directory is tolerated).
set -u
fleetsim=$(realpath "$1"); shift  # absolute: each case runs in its own scratch dir
data=${FSIM_TEST_DATA:?}
src=${FSIM_SOURCE_ROOT:?}
config=$src/config
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset FLEETSIM_CONFIG_OVERRIDES
export FLEETSIM_CONFIG_DIR=$config
n=0 failed=0

subst() {  # subst TEXT SCRATCH -> TEXT with @DATA@ @CONFIG@ @SRC@ @TMP@ replaced
    local t=$1
    t=${t//@DATA@/$data}; t=${t//@CONFIG@/$config}; t=${t//@SRC@/$src}; t=${t//@TMP@/$2}
    printf '%s' "$t"
}
trim() { sed 's/^[[:space:]]*//;s/[[:space:]]*$//' <<<"$1"; }

# run_case SCRATCH ARGS -> exit status of fleetsim; stdout/stderr in $tmp/stdout, $tmp/stderr
run_case() {
    local scratch=$1 args=$2 assign=()
    : >"$tmp/stdout"; : >"$tmp/stderr"
    eval "set -- $args" || return 125
    while [ $# -gt 0 ] && [[ "$1" =~ ^([A-Za-z_][A-Za-z0-9_]*=|mkdir:) ]]; do
        if [[ "$1" == mkdir:* ]]; then mkdir -p "${1#mkdir:}" || return 125
        else assign+=("$1"); fi
        shift
    done
    (cd "$scratch" && exec env ${assign[@]+"${assign[@]}"} timeout 120 "$fleetsim" "$@") \
        </dev/null >"$tmp/stdout" 2>"$tmp/stderr"  # stdin: not the table being read
}

for table in "$@"; do
    lineno=0
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        [[ -z "${line//[[:space:]]/}" || "$line" =~ ^[[:space:]]*# ]] && continue
        IFS='|' read -r name code fragment args <<<"$line"
        name=$(trim "$name"); code=$(trim "$code"); fragment=$(trim "$fragment")
        n=$((n + 1))
        scratch="$tmp/case$n"
        mkdir -p "$scratch"
        args=$(subst "$args" "$scratch")
        fragment=$(subst "$fragment" "$scratch")
        problems=()
        if ! [[ "$code" =~ ^[0-9]+$ ]] || { [ "$code" != 0 ] && [ -z "$fragment" ]; }; then
            problems+=("$(basename "$table"):$lineno: bad case line (need name | code | fragment | args)")
            got=-
        else
            run_case "$scratch" "$args"; got=$?
            [ "$got" = "$code" ] || problems+=("exit $got, expected $code")
            [[ "$(cat "$tmp/stderr")" == *"$fragment"* ]] ||
                problems+=("stderr does not contain: $fragment")
            ! grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$tmp/stderr" ||
                problems+=("sanitizer report on stderr")
            if [ "$code" != 0 ]; then
                [ ! -s "$tmp/stdout" ] ||
                    problems+=("stdout not empty: $(head -c 200 "$tmp/stdout" | tr '\n' ' ')")
                left=$(cd "$scratch" && find . ! -type d | head -5 | tr '\n' ' ')
                [ -z "$left" ] || problems+=("files left behind in the scratch dir: $left")
            fi
        fi
        if [ ${#problems[@]} = 0 ]; then
            echo "ok $n - $(basename "$table" .cases): $name"
        else
            failed=$((failed + 1))
            echo "not ok $n - $(basename "$table" .cases): $name"
            {
                for p in "${problems[@]}"; do echo "# $p"; done
                [ "$got" = - ] || echo "# stderr: $(head -c 600 "$tmp/stderr" | tr '\n' ' ')"
            } | tee >(sed "s/^# /$(basename "$table") \"$name\": /" >&2)
        fi
        rm -rf "$scratch"
    done <"$table"
done
echo "1..$n"
# The test points carry the verdict (meson's TAP protocol calls a non-zero exit an ERROR);
# the details of each failure are on stderr too, for `meson test --print-errorlogs`.
[ "$failed" = 0 ] || echo "$failed of $n cases failed" >&2
exit 0
