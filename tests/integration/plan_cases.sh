#!/usr/bin/env bash
# `fleetsim plan` from the real binary, as a planner runs it (docs/plan.md):
#   - bad --vary specs exit 2 naming the spec and the part that is wrong, print nothing on
#     stdout; the caps (1000 values a range, 100000 variants a plan) are said;
#   - --json is a PlanResult: best, front, waitFront, counts that add up, every front design
#     feasible, sorted by cost with its peak falling, best opening the front, every
#     infeasible design with its verdict;
#   - the hand-checked scenario's answer, with and without --prune; exit 3 when no variant
#     is feasible; the plan block's list is used when no --vary is given.
# No figure is hard-coded: expectations are read from the binary's own JSON.
# Usage: plan_cases.sh FLEETSIM   (env: FSIM_TEST_DATA, FSIM_SOURCE_ROOT). Emits TAP.
set -u
fleetsim=$(realpath "$1")
config=${FSIM_SOURCE_ROOT:?}/config
data=${FSIM_TEST_DATA:?}
. "$(dirname "$0")/../lib/tap.sh"
command -v jq >/dev/null || { echo "Bail out! jq is not installed"; exit 1; }
hand=$data/plan/hand.json
tight=$config/scenarios/tight.json
jq_true() { jq -e "$@" >/dev/null; }

# ---- bad specs: exit 2, the part named ------------------------------------------------------
bad_spec() { # NAME ERR SPEC...
  local name=$1 err=$2; shift 2
  local args=() s
  for s in "$@"; do args+=(--vary "$s"); done
  expect "$name" 2 "" "$err" -- plan "$hand" --config "$config" "${args[@]}"
  check "$name: nothing on stdout" test ! -s "$tmp/out"
}
bad_spec "unknown depot" '--vary[0]: "south.ac-7kw=0..2": unknown depot "south" (known: hub)' \
  south.ac-7kw=0..2
bad_spec "unknown charger type" '--vary[1]: "hub.ac-9kw=1": unknown charger type "ac-9kw"' \
  hub.grid=10 hub.ac-9kw=1
bad_spec "empty range" '--vary[0]: "hub.ac-7kw=4..1": empty range "4..1"' hub.ac-7kw=4..1
bad_spec "a range too large says the cap" 'has 1201 values (at most 1000)' hub.grid=1..1201
bad_spec "too many variants says the cap" '--vary: 160000 variants (at most 100000)' \
  hub.ac-7kw=0..399 hub.dc-50kw=0..399
bad_spec "a spec without =" 'expected DEPOT.CHARGER=LO..HI[/STEP]' hub
bad_spec "an unknown strategy" 'unknown strategy "fastest"' strategy=balanced,fastest
expect "--threads 0 is a usage error" 2 "" '--threads: "0" is not a whole number' -- \
  plan "$hand" --config "$config" --threads 0
expect "a bad scenario names the file" 2 "" "malformed.json:" -- \
  plan "$data/cli/scenarios/malformed.json" --config "$config"

# ---- --json: a PlanResult that adds up ------------------------------------------------------
expect "plan --json on tight.json" 0 '"best"' "" -- \
  plan "$tight" --config "$config" --json --vary north.dc-150kw=0..4 --vary strategy=all
cp "$tmp/out" "$tmp/tight.json"
check "variants = 5 x 4, all run, none pruned" \
  jq_true '.variants == 20 and .evaluated == 20 and .pruned == 0' "$tmp/tight.json"
check "infeasible counts the rejected, each with its verdict" \
  jq_true '.infeasible == (.rejected | length) and all(.rejected[]; .verdict | length > 0)' \
  "$tmp/tight.json"
check "every front design is feasible" \
  jq_true 'all(.front[], .waitFront[]; .summary.feasible)' "$tmp/tight.json"
check "the front: cost rising, peak falling" \
  jq_true '[.front[] | .cost.annualCost] as $c | [.front[] | .summary.peakKw] as $p |
           ($c == ($c | sort)) and all(range(1; $p | length); $p[.] < $p[. - 1])' "$tmp/tight.json"
check "the best design opens the front and no feasible design is cheaper" \
  jq_true '.best.variant == .front[0].variant and
           all(.front[], .waitFront[]; .cost.annualCost >= $best) ' \
  --argjson best "$(jq .best.cost.annualCost "$tmp/tight.json")" "$tmp/tight.json"
check "annualCost is the sum of its parts" \
  jq_true '.best.cost | (.chargerCapital + .chargerMaintenance + .gridCapital + .energyCost +
           .demandCost + .fixedCost - .annualCost) | fabs < 0.000001' "$tmp/tight.json"
check "a design's settings are a scenario's depots" \
  jq_true '.best.depots[0] | has("id") and has("chargers") and has("utcOffsetMinutes")' \
  "$tmp/tight.json"
# the best design, written into the scenario, runs to the same summary
jq --slurpfile p "$tmp/tight.json" '.depots = $p[0].best.depots | .strategy = $p[0].best.strategy' \
  "$tight" >"$tmp/best-scenario.json"
"$fleetsim" run "$tmp/best-scenario.json" --config "$config" --json >"$tmp/best-run.json" 2>"$tmp/err" ||
  bad "the best design runs" "$(head -c 300 "$tmp/err")"
check "the best design, run as a scenario, gives the plan's summary" \
  jq_true --slurpfile p "$tmp/tight.json" '.summary == $p[0].best.summary' "$tmp/best-run.json"

# ---- the hand-checked optimum, pruning, exit 3 ----------------------------------------------
for prune in "" --prune; do
  expect "hand.json ${prune:-exhaustive}: one ac-7kw on 10 kW" 0 "" "" -- \
    plan "$hand" --config "$config" --json $prune
  check "hand.json ${prune:-exhaustive}: the optimum worked out by hand" \
    jq_true '.best.depots[0] | .gridLimitKw == 10 and .chargers == [{"type": "ac-7kw", "count": 1}]' \
    "$tmp/out"
done
check "hand.json --prune skips variants" jq_true '.pruned > 0' "$tmp/out"
expect "no feasible variant: exit 3, said" 3 "no feasible design" "" -- \
  plan "$hand" --config "$config" --vary hub.ac-7kw=0 --vary hub.grid=10
expect "the report: the breakdown and both fronts" 0 "annual cost vs p95 wait" "" -- \
  plan "$hand" --config "$config"
check "the report says the cost breakdown" grep -q "chargers, capital" "$tmp/out"
check "the report lists infeasible designs with their verdicts" grep -q "^  variant 0 (hub: no chargers" "$tmp/out"

tap_done
