#!/usr/bin/env bash
# Whole-program check of issue 2's "cycle distances equal the integral of the trace":
# `fleetsim cycle --json` on the EPA cycles of tests/data/cycles reports distanceKm
# UDDS ≈ 11.99, HWFET ≈ 16.51, US06 ≈ 12.89 km (±0.01; the exact integrals are 11.9904,
# 16.5068 and 12.8876 km). Emits TAP. Needs jq.
# Usage: cycle_distances.sh FLEETSIM   (env: FSIM_TEST_DATA, FSIM_SOURCE_ROOT)
set -u
fleetsim=$1
cycles=${FSIM_TEST_DATA:?}/cycles
config=${FSIM_SOURCE_ROOT:?}/config
command -v jq >/dev/null || { echo "Bail out! jq is not installed"; exit 1; }
n=0 failed=0
for row in "udds 11.99" "hwfet 16.51" "us06 12.89"; do
    read -r cycle want <<<"$row"
    n=$((n + 1))
    if ! out=$("$fleetsim" cycle --json --vehicle cargo-van --cycle "$cycles/$cycle.csv" \
                 --config "$config" 2>&1); then
        echo "not ok $n - $cycle: distance $want km"
        echo "# fleetsim cycle failed: $(tr '\n' ' ' <<<"$out")"
        failed=$((failed + 1))
        continue
    fi
    got=$(jq -r '.distanceKm' <<<"$out" 2>/dev/null)
    if jq -e --argjson want "$want" '(.distanceKm - $want) | fabs <= 0.01' <<<"$out" >/dev/null 2>&1
    then
        echo "ok $n - $cycle: distance $want km"
    else
        echo "not ok $n - $cycle: distance $want km"
        failed=$((failed + 1))
    fi
    echo "# $cycle: distanceKm $got (expected $want ± 0.01)"
done
echo "1..$n"
[ "$failed" = 0 ] || echo "$failed of $n cycles have a wrong distance" >&2
exit 0  # the test points carry the verdict
