#!/usr/bin/env bash
# The demo's report in a real browser: `fleetsim run --report` on the bundled demo writes
# report.html beside result.json; browser_check.py opens it in headless Chromium (Debian's
# chromium, from dev.sh's PACKAGES) and checks it, leaving a screenshot in the build dir.
# Usage: browser_demo.sh FLEETSIM OUT_DIR   (env: FSIM_SOURCE_ROOT)
set -euo pipefail
fleetsim=$1 out=$2
src=${FSIM_SOURCE_ROOT:?}
chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
  echo "1..0 # SKIP chromium is not installed (./dev.sh test installs it)"
  exit 0
fi
rm -rf "$out"
"$fleetsim" run --config "$src/config" --out "$out" --report >/dev/null
exec python3 "$(dirname "$0")/browser_check.py" "$chromium" "$out/report.html" \
  "$out/result.json" "$out/report.png"
