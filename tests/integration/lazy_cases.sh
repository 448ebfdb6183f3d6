#!/usr/bin/env bash
# Libraries loaded on first use (core/lazy, docs/design.md): the CLI does not link libpq,
# libcurl, libcrypto, GEOS, gRPC or protobuf-c, and a library that cannot be loaded makes
# the command that needs it exit 1 with one sentence naming the file, the Debian package and
# what needs it; --version says "not installed" and the rest still works. A library that
# cannot be loaded is made with LD_LIBRARY_PATH: a libpq.so.5 and a libgeos_c.so.1 that are
# another library (libcjson), so they load but lack every function. Emits TAP.
# Usage: lazy_cases.sh FLEETSIM   (env: FSIM_SOURCE_ROOT)
fleetsim=$1
root=${FSIM_SOURCE_ROOT:?}
source "$(dirname "$0")/../lib/tap.sh"

run() {
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
# expect_err LABEL CODE TEXT: the last command exited CODE and its stderr has TEXT
expect_err() {
    if [ "$rc" = "$2" ] && grep -qF -- "$3" "$tmp/err"; then
        ok "$1"
    else
        bad "$1" "exit $rc (expected $2)" "stderr: $(head -c 600 "$tmp/err" | tr '\n' '|')"
    fi
}

# Under ./dev.sh valgrind the binary is a shim script: nothing to read.
if [ "$(head -c 4 "$fleetsim" | tr -d '\0')" = $'\x7fELF' ]; then
    needed=$(readelf -d "$fleetsim" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    if grep -qE 'libpq|libcurl|libcrypto|libgeos|libgrpc|libprotobuf' <<<"$needed"; then
        bad "fleetsim links none of the libraries loaded on use" "NEEDED: $needed"
    else
        ok "fleetsim links none of the libraries loaded on use"
    fi
else
    ok "fleetsim links none of the libraries loaded on use # SKIP not an ELF file (a wrapper)"
fi

cjson=$(ldconfig -p | awk '$1 == "libcjson.so.1" {print $NF; exit}')
mkdir "$tmp/fake"
ln -s "$cjson" "$tmp/fake/libpq.so.5"
ln -s "$cjson" "$tmp/fake/libgeos_c.so.1"
fake() { LD_LIBRARY_PATH="$tmp/fake${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }

DATABASE_URL="postgresql:///nowhere?connect_timeout=1" run fake "$fleetsim" migrate --dir "$root/migrations"
expect_err "migrate without a usable libpq: exit 1, the sentence" 1 \
    "could not load libpq.so.5 (Debian package libpq5), which the PostgreSQL store needs: libpq.so.5 has no function"

# An empty route cache (core/geo/geo_disk.c): the routes must be parsed, so GEOS is needed.
mkdir "$tmp/cold"
FLEETSIM_CACHE_DIR="$tmp/cold" run fake "$fleetsim" run "$root/config/scenarios/demo.json" \
    --config "$root/config" --out "$tmp/o"
expect_err "run without a usable GEOS: exit 1, the sentence" 1 \
    "which route GeoJSON needs: libgeos_c.so.1 has no function"

# A warm one: a run that has parsed the routes once leaves them in the cache, and the next
# run takes them from there without ever loading GEOS.
FLEETSIM_CACHE_DIR="$tmp/warm" run "$fleetsim" run "$root/config/scenarios/demo.json" \
    --config "$root/config" --out "$tmp/o-warm1"
warm1=$rc
cp "$tmp/out" "$tmp/out-warm1"
FLEETSIM_CACHE_DIR="$tmp/warm" run fake "$fleetsim" run "$root/config/scenarios/demo.json" \
    --config "$root/config" --out "$tmp/o-warm2"
if [ "$warm1" = 0 ] && [ "$rc" = 0 ] && ls "$tmp/warm/routes/"*.bin >/dev/null 2>&1 &&
    cmp -s <(grep -v "^  written " "$tmp/out-warm1") <(grep -v "^  written " "$tmp/out") &&
    cmp -s "$tmp/o-warm1/result.json" "$tmp/o-warm2/result.json"; then
    ok "run with a warm route cache needs no GEOS: exit 0, the same summary"
else
    bad "run with a warm route cache needs no GEOS: exit 0, the same summary" \
        "exit $warm1 then $rc" "stderr: $(head -c 600 "$tmp/err" | tr '\n' '|')" \
        "cache entries: $(find "$tmp/warm" -name '*.bin' | wc -l)"
fi

run fake "$fleetsim" --version
if [ "$rc" = 0 ] && grep -qE '^  libpq +not installed$' "$tmp/out" &&
    grep -qE '^  GEOS +not installed$' "$tmp/out" && grep -qE '^  libcurl +[0-9]' "$tmp/out"; then
    ok "--version: not installed for those two, the others' versions"
else
    bad "--version: not installed for those two, the others' versions" "exit $rc" \
        "stdout: $(tr '\n' '|' <"$tmp/out")"
fi

run fake "$fleetsim" cycle --vehicle cargo-van --cycle "$root/tests/data/cycles/udds.csv" \
    --config "$root/config"
if [ "$rc" = 0 ] && grep -q '^cargo-van ' "$tmp/out"; then
    ok "a command that needs neither still works (cycle)"
else
    bad "a command that needs neither still works (cycle)" "exit $rc" "stderr: $(tr '\n' '|' <"$tmp/err")"
fi

tap_done
