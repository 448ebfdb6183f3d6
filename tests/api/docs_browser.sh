#!/usr/bin/env bash
# /docs and /docs/redoc in headless Chromium with the network off (docs_browser.py): the
# real fleetsim-api with FLEETSIM_API_DOCS=1 on 127.0.0.1, the pages drawn from the assets
# installed at build time, and no request allowed to leave 127.0.0.1. As root, the whole
# test — server and browser — runs in a network namespace of its own that has only loopback
# (unshare --net), so a request that tried to leave could not; docs_browser.py fails on any
# such attempt either way. Screenshots are left in SHOT_DIR.
# Usage (from meson): docs_browser.sh FLEETSIM-API SHOT_DIR (FSIM_DOCS_ASSETS). Emits TAP.
api=$1 shots=$2
if [ "$(id -u)" = 0 ] && [ -z "${FSIM_DOCS_NETNS:-}" ] && command -v unshare >/dev/null &&
   unshare --net true 2>/dev/null; then
  exec env FSIM_DOCS_NETNS=1 unshare --net bash -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi
root=${FSIM_SOURCE_ROOT:?}
source "$(dirname "$0")/../lib/tap.sh"
source "$(dirname "$0")/lib.sh"
chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
  echo "1..0 # SKIP chromium is not installed (./dev.sh test installs it)"
  exit 0
fi
if [ ! -f "${FSIM_DOCS_ASSETS:?}/versions.json" ]; then
  echo "1..0 # SKIP the docs assets are not built (npm missing: meson -Ddocs_assets=auto)"
  exit 0
fi
if [ -n "${FSIM_DOCS_NETNS:-}" ]; then
  ok "in a network namespace with only loopback: $(ip -o link | awk -F': ' '{print $2}' | tr '\n' ' ')"
fi
api_start docs FLEETSIM_CONFIG_DIR="$root/config" FLEETSIM_API_DOCS=1 ||
  bad "the server starts" "$(cat "$api_log")"
req GET /openapi.json
cp "$tmp/body" "$tmp/openapi.json"
# docs_browser.py numbers its own points: run it, then renumber after ours
python3 "$(dirname "$0")/docs_browser.py" "$chromium" "$base" "$tmp/openapi.json" "$shots" \
  >"$tmp/browser.tap" || true
while IFS= read -r line; do
  case $line in
    "ok "*) ok "${line#ok * - }" ;;
    "not ok "*) bad "${line#not ok * - }" ;;
    "# "*) echo "$line" ;;
  esac
done <"$tmp/browser.tap"
grep -q '^1\.\.' "$tmp/browser.tap" || bad "docs_browser.py finished" "$(tail -5 "$tmp/browser.tap")"
api_stop
check "no sanitizer reports" sanitizer_clean "$api_log"
tap_done
