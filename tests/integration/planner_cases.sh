#!/usr/bin/env bash
# The planner's answer from the real `fleetsim` binary (issue 12, items 1, 6 and 7):
#   - `run --strict` exits 3 exactly when the run's summary says it is not feasible, 0
#     otherwise; plain runs exit 0 either way; `run --json` writes no files;
#   - `compare` prints one table row per strategy, and `compare --json` is a
#     StrategyComparison whose summaries equal those of separate `run --json` runs;
#   - vehicles.csv has its header, one row per vehicle, and columns that sum to the summary.
# No figure is hard-coded: each expectation is read from the same binary's JSON answer.
# Usage: planner_cases.sh FLEETSIM   (env: FSIM_TEST_DATA, FSIM_SOURCE_ROOT). Emits TAP.
set -u
fleetsim=$(realpath "$1") # absolute: the test runs in a scratch folder
config=${FSIM_SOURCE_ROOT:?}/config
data=${FSIM_TEST_DATA:?}
. "$(dirname "$0")/../lib/tap.sh"
command -v jq >/dev/null || { echo "Bail out! jq is not installed"; exit 1; }
mkdir "$tmp/cwd" && cd "$tmp/cwd" || exit 1 # where a default out/ would appear
strategies="immediate balanced peak_shaving cost"
tight=$config/scenarios/tight.json
demo=$config/scenarios/demo.json
jq_true() { jq -e "$@" >/dev/null; }

# ---- run --strict ------------------------------------------------------------------------
nochargers=$data/cli/scenarios/no-chargers.json
expect "no chargers, --strict: exit 3, the verdict first" 3 "feasible     NO: " "" -- \
  run "$nochargers" --config "$config" --strict --out "$tmp/nc"
expect "no chargers without --strict: exit 0" 0 "feasible     NO: " "" -- \
  run "$nochargers" --config "$config" --out "$tmp/nc"
expect "no chargers, --strict --json: exit 3" 3 '"feasible":false' "" -- \
  run "$nochargers" --config "$config" --strict --json
feasible_seen=0
for scenario in "$demo" "$tight"; do
  for s in $strategies; do
    label="$(basename "$scenario") $s"
    "$fleetsim" run "$scenario" --config "$config" --strategy "$s" --json >"$tmp/run-$s.json" \
      2>"$tmp/err" || bad "$label: run --json" "$(head -c 300 "$tmp/err")"
    feasible=$(jq -r .summary.feasible "$tmp/run-$s.json")
    want=3
    [ "$feasible" = true ] && { want=0; feasible_seen=$((feasible_seen + 1)); }
    expect "$label: --strict exits $want (feasible $feasible)" "$want" "feasible" "" -- \
      run "$scenario" --config "$config" --strategy "$s" --strict --out "$tmp/strict"
  done
  # ---- compare: the same summaries, side by side ----------------------------------------
  name=$(basename "$scenario")
  "$fleetsim" compare "$scenario" --config "$config" --json >"$tmp/cmp.json" 2>"$tmp/err" ||
    bad "$name: compare --json" "$(head -c 300 "$tmp/err")"
  check "$name: compare --json has one outcome per strategy, in order" \
    test "$(jq -r '[.results[].strategy] | join(" ")' "$tmp/cmp.json")" = "$strategies"
  check "$name: compare --json carries the scenario's name" \
    test "$(jq -r .name "$tmp/cmp.json")" = "$(jq -r .name "$scenario")"
  for s in $strategies; do
    check "$name: compare's $s summary equals run --strategy $s --json's" \
      jq_true --slurpfile run "$tmp/run-$s.json" --arg s "$s" \
        '(.results[] | select(.strategy == $s) | .summary) == $run[0].summary' "$tmp/cmp.json"
  done
  expect "$name: compare prints a table" 0 "strategy      feasible" "" -- \
    compare "$scenario" --config "$config"
  rows=$(grep -cE '^  (immediate|balanced|peak_shaving|cost) ' "$tmp/out")
  check "$name: the table has one row per strategy ($rows)" test "$rows" = 4
done
check "at least one bundled run is feasible and exits 0 with --strict" test "$feasible_seen" -gt 0
expect "compare --strategies picks and orders" 0 "" "" -- \
  compare "$tight" --config "$config" --strategies peak_shaving,immediate --json
check "compare --strategies peak_shaving,immediate: two outcomes in that order" \
  test "$(jq -r '[.results[].strategy] | join(",")' "$tmp/out")" = "peak_shaving,immediate"
expect "compare: an unknown strategy is a usage error" 2 "" '--strategies: "fastest" is not one of' -- \
  compare "$tight" --config "$config" --strategies balanced,fastest
expect "compare: a strategy named twice is a usage error" 2 "" '"cost" is named twice' -- \
  compare "$tight" --config "$config" --strategies cost,cost
expect "compare: a bad scenario names the file" 2 "" "malformed.json:" -- \
  compare "$data/cli/scenarios/malformed.json" --config "$config"

# ---- run --json writes nothing; vehicles.csv ----------------------------------------------
expect "run --json" 0 '"summary"' "" -- run "$demo" --config "$config" --json
check "run --json writes no out/ folder" test ! -e "$tmp/cwd/out"
cp "$tmp/out" "$tmp/demo.json"
expect "run --out" 0 "vehicles.csv" "" -- run "$demo" --config "$config" --out "$tmp/files"
csv=$tmp/files/vehicles.csv
check "vehicles.csv: the header names the vehicle, its depot and its totals" \
  grep -qx 'vehicle_id,type,depot,trips_completed,trips_missed,trips_stranded,min_soc,end_soc,distance_km,energy_used_kwh,charged_energy_kwh,sessions,wait_seconds' <(head -1 "$csv")
vehicles=$(jq .summary.vehicles "$tmp/demo.json")
check "vehicles.csv: one row per vehicle ($vehicles)" test "$(($(wc -l <"$csv") - 1))" = "$vehicles"
sum() { awk -F, -v col="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
                              { s += $c } END { printf "%.3f", s }' "$csv"; }
for pair in trips_completed:tripsCompleted trips_missed:tripsMissed sessions:chargingEvents \
            distance_km:distanceKm charged_energy_kwh:chargedEnergyKwh; do
  col=${pair%%:*} key=${pair##*:}
  want=$(jq -r ".summary.$key | . * 1000 | round / 1000 | tostring" "$tmp/demo.json")
  check "vehicles.csv: $col sums to the summary's $key ($want)" \
    awk -v a="$(sum "$col")" -v b="$want" 'BEGIN { exit !((a - b) ^ 2 < 1e-4) }'
done
check "the five files are written together" \
  test -s "$tmp/files/result.json" -a -s "$tmp/files/timeseries.csv" -a \
       -s "$tmp/files/charging_events.csv" -a -s "$tmp/files/trips.csv" -a -s "$csv"
tap_done
