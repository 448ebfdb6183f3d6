#!/usr/bin/env bash
# The first thing a new user types: --help, -h and --version of the three programs, and
# every fleetsim command's --help. Each exits 0 with its text on stdout and nothing on
# stderr; --version names the project version, the git revision of the source tree and the
# libraries; a command's help explains every option its usage line names. Emits TAP.
# Usage: help_cases.sh VERSION FLEETSIM FLEETSIM_API FLEETSIM_PUBSUB   (env: FSIM_SOURCE_ROOT)
set -u
version=$1 fleetsim=$2 api=$3 pubsub=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); failed=$((failed + 1))
    echo "not ok $n - $1"
    shift
    for line in "$@"; do echo "# $line"; done
}

# run NAME CMD...: runs CMD, stdout in $tmp/out, stderr in $tmp/err, exit code in $rc
run() {
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# expect_help LABEL CMD...: exit 0, usage and exit codes on stdout, nothing on stderr
expect_help() {
    local label=$1; shift
    run "$@"
    if [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && grep -q '^usage: ' "$tmp/out" &&
        grep -q 'exit codes' "$tmp/out"; then
        ok "$label: exit 0, usage and exit codes"
    else
        not_ok "$label: exit 0, usage and exit codes" "exit $rc" \
            "stdout: $(head -c 300 "$tmp/out" | tr '\n' '|')" "stderr: $(tr '\n' '|' <"$tmp/err")"
    fi
}

rev=
if git -C "${FSIM_SOURCE_ROOT:?}" rev-parse --short HEAD >/dev/null 2>&1; then
    rev=$(git -C "$FSIM_SOURCE_ROOT" rev-parse --short HEAD)
fi

# expect_version PROGRAM BINARY LIBRARY...: the version text names all of them
expect_version() {
    local prog=$1 bin=$2; shift 2
    for flag in --version -V; do
        run "$bin" "$flag"
        local first problems=()
        first=$(head -n1 "$tmp/out")
        [ "$rc" = 0 ] || problems+=("exit $rc")
        [ -s "$tmp/err" ] && problems+=("stderr: $(tr '\n' '|' <"$tmp/err")")
        [ "$first" = "$prog $version" ] || problems+=("first line \"$first\", not \"$prog $version\"")
        # the revision of this very tree (when it is a git checkout), else "unknown"
        if [ -n "$rev" ]; then
            grep -Eq "^revision +$rev(-dirty)?\$" "$tmp/out" ||
                problems+=("no \"revision $rev\" line")
        else
            grep -Eq '^revision +[^ ]+$' "$tmp/out" || problems+=("no revision line")
        fi
        grep -Eq '^build type +[a-z]+' "$tmp/out" || problems+=("no build type line")
        for lib in "$@"; do
            grep -Eq "^  $lib +[^ ]*[0-9]" "$tmp/out" || problems+=("no version of $lib")
        done
        if [ ${#problems[@]} = 0 ]; then
            ok "$prog $flag: version, revision, build type, libraries"
        else
            not_ok "$prog $flag: version, revision, build type, libraries" "${problems[@]}" \
                "stdout: $(tr '\n' '|' <"$tmp/out")"
        fi
    done
}

core_libs=(cJSON libyaml GEOS Nettle libcsv libpq libcurl OpenSSL 'gRPC core' protobuf-c)
expect_version fleetsim "$fleetsim" "${core_libs[@]}"
expect_version fleetsim-api "$api" "${core_libs[@]}" libmicrohttpd
expect_version fleetsim-pubsub "$pubsub" "${core_libs[@]}" libmicrohttpd
for flag in --help -h help; do expect_help "fleetsim $flag" "$fleetsim" "$flag"; done
for flag in --help -h; do
    expect_help "fleetsim-api $flag" "$api" "$flag"
    expect_help "fleetsim-pubsub $flag" "$pubsub" "$flag"
done

# the servers' help lists their settings and their options
run "$api" --help
if grep -q -- '--routes' "$tmp/out" && grep -q 'FLEETSIM_API_KEYS' "$tmp/out"; then
    ok "fleetsim-api --help: its options and its settings"
else
    not_ok "fleetsim-api --help: its options and its settings"
fi
run "$pubsub" --help
if grep -q -- '--pull' "$tmp/out" && grep -q -- '--push' "$tmp/out" &&
    grep -q 'FLEETSIM_PUBSUB_SUBSCRIPTION' "$tmp/out"; then
    ok "fleetsim-pubsub --help: its options and its settings"
else
    not_ok "fleetsim-pubsub --help: its options and its settings"
fi

# every command fleetsim --help lists: its own help explains each option of its usage line
run "$fleetsim" --help
commands=$(awk '/^commands:/ {on = 1; next} on && /^$/ {exit} on {print $1}' "$tmp/out")
[ -n "$commands" ] || not_ok "fleetsim --help lists commands" "stdout: $(tr '\n' '|' <"$tmp/out")"
for cmd in $commands; do
    [ "$cmd" = help ] || [ "$cmd" = version ] && continue
    expect_help "fleetsim $cmd --help" "$fleetsim" "$cmd" --help
    cp "$tmp/out" "$tmp/long"
    expect_help "fleetsim $cmd -h" "$fleetsim" "$cmd" -h
    cmp -s "$tmp/long" "$tmp/out" || not_ok "fleetsim $cmd -h is --help"
    run "$fleetsim" help "$cmd"
    cmp -s "$tmp/long" "$tmp/out" || not_ok "fleetsim help $cmd is $cmd --help"
    missing=()
    for opt in $(sed -n 's/^usage: //p' "$tmp/long" | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        # an explanation: an indented line that starts with the option (or "-o, --out")
        grep -Eq -- "^  +(-[a-zA-Z], )?$opt([ =[]|\$)" "$tmp/long" || missing+=("$opt")
    done
    if [ ${#missing[@]} = 0 ]; then
        ok "fleetsim $cmd --help explains every option of its usage line"
    else
        not_ok "fleetsim $cmd --help explains every option of its usage line" \
            "not explained: ${missing[*]}"
    fi
done

# what has not changed: a wrong command is still a usage error
run "$fleetsim" --no-such-thing
if [ "$rc" = 2 ] && grep -q 'unknown command' "$tmp/err" && [ ! -s "$tmp/out" ]; then
    ok "fleetsim --no-such-thing: exit 2, unknown command"
else
    not_ok "fleetsim --no-such-thing: exit 2, unknown command" "exit $rc"
fi
run "$api" --no-such-thing
if [ "$rc" = 2 ]; then ok "fleetsim-api --no-such-thing: exit 2"
else not_ok "fleetsim-api --no-such-thing: exit 2" "exit $rc"; fi
echo "1..$n"
exit 0  # the test points carry the verdict
