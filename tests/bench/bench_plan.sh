#!/usr/bin/env bash
# fleetsim plan on config/scenarios/demo.json with its plan block (972 variants: ac-19kw
# 8..16/4 x dc-50kw 0..2 x dc-150kw 0..4/2 x grid 100..500/50 kW x every strategy), on 1 and
# 2 threads, every variant run and then with --prune: the wall time and variants per second
# of each, and the chosen design with its cost breakdown. Figures only, never a threshold.
# Usage: bench_plan.sh FLEETSIM   (env: FSIM_SOURCE_ROOT)
set -u
fleetsim=$1
config=${FSIM_SOURCE_ROOT:?}/config
demo=$config/scenarios/demo.json
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() { # LABEL ARGS...: one timed plan, its JSON kept as $out/LABEL.json
  local label=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$fleetsim" plan "$demo" --config "$config" --json "$@" >"$out/$label.json" || {
    echo "plan $label failed"; return 1; }
  t1=$(date +%s.%N)
  python3 - "$out/$label.json" "$t0" "$t1" "$label" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = float(sys.argv[3]) - float(sys.argv[2])
print(f"plan demo.json {sys.argv[4]:<18} {r['variants']} variants, {r['evaluated']} run, "
      f"{r['pruned']} pruned: {s:.2f} s wall, {r['evaluated'] / s:.1f} variants/s")
PY
}

run "1 thread" --threads 1 || exit 1
run "2 threads" --threads 2 || exit 1
run "2 threads --prune" --threads 2 --prune || exit 1
cmp -s "$out/1 thread.json" "$out/2 threads.json" &&
  echo "1 and 2 threads give byte-identical answers" ||
  echo "NOTE: 1 and 2 threads differ"
python3 - "$out/2 threads.json" "$out/2 threads --prune.json" <<'PY'
import json, sys
r, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
b = r["best"]
print("pruned search finds the same best design:", p["best"] == b)
d = "; ".join(f"{x['id']}: " + " + ".join(f"{c['count']} {c['type']}" for c in x["chargers"])
              + f", grid {x.get('gridLimitKw', '-')} kW" for x in b["depots"])
c = b["cost"]
print(f"best: variant {b['variant']}, {d}, {b['strategy']}")
for k in ("annualCost", "chargerCapital", "chargerMaintenance", "gridCapital", "energyCost",
          "demandCost", "fixedCost", "capitalOutlay"):
    print(f"  {k:<20} {c[k]:>12.2f} {c.get('currency', '')}")
s = b["summary"]
print(f"  peak {s['peakKw']:.1f} kW, p95 wait {s.get('waitSecondsP95', 0):.0f} s, "
      f"trips {s['tripsCompleted']}/{s['trips']}; front {len(r['front'])} designs, "
      f"wait front {len(r['waitFront'])}, infeasible {r['infeasible']}")
PY
