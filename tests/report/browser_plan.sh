#!/usr/bin/env bash
# The plan's page in a real browser: `fleetsim plan --report` on the demo with a small
# --vary set writes the page, `--json` the same plan's PlanResult; browser_check.py (plan
# mode) opens the page in headless Chromium: no request, no console error, the sections
# drawn, the plan's best design and one dot per front design.
# Usage: browser_plan.sh FLEETSIM OUT_DIR   (env: FSIM_SOURCE_ROOT)
set -euo pipefail
fleetsim=$1 out=$2
src=${FSIM_SOURCE_ROOT:?}
chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
  echo "1..0 # SKIP chromium is not installed (./dev.sh test installs it)"
  exit 0
fi
rm -rf "$out"
mkdir -p "$out"
"$fleetsim" plan "$src/config/scenarios/demo.json" --config "$src/config" \
  --vary north.ac-19kw=8..16/4 --vary north.grid=100..200/50 \
  --vary strategy=cost,peak_shaving --json --report="$out/plan.html" >"$out/plan.json"
exec python3 "$(dirname "$0")/browser_check.py" "$chromium" "$out/plan.html" \
  "$out/plan.json" "$out/plan.png" plan
