#!/usr/bin/env bash
# A report in a real browser (Debian's chromium, from dev.sh's PACKAGES), opened and checked
# by browser_check.py in headless Chromium, leaving a screenshot in OUT_DIR:
#   run   `fleetsim run --report` on the bundled demo: report.html beside result.json
#   plan  `fleetsim plan --report` on the demo with a small --vary set (18 variants) and the
#         same plan's --json, for browser_check.py's plan mode
# Usage: browser_demo.sh FLEETSIM OUT_DIR [run|plan]   (env: FSIM_SOURCE_ROOT)
set -euo pipefail
fleetsim=$1 out=$2 mode=${3:-run}
src=${FSIM_SOURCE_ROOT:?}
chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
  echo "1..0 # SKIP chromium is not installed (./dev.sh test installs it)"
  exit 0
fi
rm -rf "$out"
check=$(dirname "$0")/browser_check.py
if [ "$mode" = plan ]; then
  mkdir -p "$out"
  "$fleetsim" plan "$src/config/scenarios/demo.json" --config "$src/config" \
    --vary north.ac-19kw=8..16/4 --vary north.grid=100..200/50 \
    --vary strategy=cost,peak_shaving --json --report="$out/plan.html" >"$out/plan.json"
  exec python3 "$check" "$chromium" "$out/plan.html" "$out/plan.json" "$out/plan.png" plan
fi
"$fleetsim" run --config "$src/config" --out "$out" --report >/dev/null
exec python3 "$check" "$chromium" "$out/report.html" "$out/result.json" "$out/report.png"
