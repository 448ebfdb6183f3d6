#!/usr/bin/env bash
# The report's CLI paths agree: `run --report` writes report.html beside the result files,
# equal to `fleetsim report result.json --scenario` (the same context: scenario, routes,
# tariffs); a result alone renders the same bytes twice; `compare --report` names every
# strategy with its verdict; `plan --report` writes the page of the plan --json answers.
# Usage: cli_cases.sh FLEETSIM (env: FSIM_SOURCE_ROOT). TAP.
fleetsim=$(readlink -f "$1")
source "$(dirname "$0")/../lib/tap.sh"
config=${FSIM_SOURCE_ROOT:?}/config
scenario=$config/scenarios/tight.json

expect "run --report: done, report.html listed" 0 "report.html}" "" -- \
  run "$scenario" --config "$config" --out "$tmp/run" --report
check "report.html is beside result.json" test -s "$tmp/run/report.html" -a -s "$tmp/run/result.json"
expect "report --scenario of that result" 0 "written" "" -- \
  report "$tmp/run/result.json" --scenario "$scenario" --config "$config" -o "$tmp/again.html"
check "it is byte-identical to run --report's" cmp -s "$tmp/run/report.html" "$tmp/again.html"
expect "report of the result alone" 0 "" "" -- report "$tmp/run/result.json" -o "$tmp/a.html"
expect "and again, to stdout" 0 "" "" -- report "$tmp/run/result.json" -o -
check "two renders of a result are byte-identical" cmp -s "$tmp/a.html" "$tmp/out"
check "the page alone shows result.json's verdict" \
  grep -qF "<p id=\"verdict-text\">$(jq -r .summary.verdict "$tmp/run/result.json")</p>" "$tmp/a.html"
expect "compare --report=FILE" 0 "" "" -- \
  compare "$scenario" --config "$config" --strategies immediate,cost --report="$tmp/cmp.html"
for s in immediate cost; do
  check "the comparison page has a row for $s" grep -q "<tr><td>$s</td>" "$tmp/cmp.html"
done
demo=$config/scenarios/demo.json
small=(--vary north.ac-19kw=8..12/4 --vary north.grid=100..150/50 --vary strategy=cost)
expect "plan --json" 0 "" "" -- plan "$demo" --config "$config" "${small[@]}" --json
cp "$tmp/out" "$tmp/plan.json"
cd "$tmp" || exit 1
expect "plan --report (default FILE) in the working directory" 0 "cheapest feasible" "" -- \
  plan "$demo" --config "$config" "${small[@]}" --report
check "plan-report.html is written there" test -s plan-report.html
best=$(jq -r '.best.variant' "$tmp/plan.json")
check "the page names --json's best variant ($best)" \
  grep -q "variant $best: " plan-report.html
sections=$(grep -o -e 'id="front"' -e 'id="wait-front"' -e 'id="rejected"' plan-report.html | wc -l)
check "the page draws both fronts and lists the failing designs" test "$sections" -eq 3
expect "plan --report into a folder that does not exist: exit 1 naming it" 1 "" "$tmp/no/such" -- \
  plan "$demo" --config "$config" "${small[@]}" --report="$tmp/no/such/p.html"
rm -f plan-report.html
tap_done
