#!/usr/bin/env bash
# The served /openapi.json through a real OpenAPI validator: Redocly's `redocly lint`
# (@redocly/cli, version pinned in tests/api/redocly/package.json + package-lock.json,
# installed once into the build directory by tests/lib/npm_pinned.sh), with the rules of
# tests/api/redocly/redocly.yaml — Redocly's recommended set. Fails on any error or warning
# the linter reports (each is listed) but those kept on purpose, each with its reason, in
# tests/api/redocly/.redocly.lint-ignore.yaml.
# Usage (from meson): openapi_lint.sh FLEETSIM-API (FSIM_NPM_CACHE: where to install). Emits TAP.
api=$1
root=${FSIM_SOURCE_ROOT:?}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/tap.sh"
source "$here/lib.sh"
source "$here/../lib/npm_pinned.sh"
rc=0
npm_pinned "$here/redocly" "${FSIM_NPM_CACHE:?}" redocly-cli \
  node_modules/@redocly/cli/package.json || rc=$?
[ "$rc" = 77 ] && { echo "1..0 # SKIP node or npm missing"; exit 0; }
check "the pinned @redocly/cli is installed" test "$rc" = 0
[ "$rc" = 0 ] || { tap_done; exit 1; }
version=$(jq -r .version "$npm_dir/node_modules/@redocly/cli/package.json")
# no telemetry and no update check: the test talks to nothing but the server under test
redocly() {
  REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
    node "$npm_dir/node_modules/@redocly/cli/bin/cli.js" "$@"
}

api_start docs FLEETSIM_CONFIG_DIR="$root/config" FLEETSIM_API_DOCS=1 ||
  bad "the server starts" "$(cat "$api_log")"
req GET /openapi.json
cp "$tmp/body" "$tmp/openapi.json"
check "GET /openapi.json: 200" test "$status" = 200
api_stop

# the config and the ignore file sit next to the document: the ignore file names it
mkdir "$tmp/lint"
cp "$tmp/openapi.json" "$here/redocly/redocly.yaml" "$here/redocly/.redocly.lint-ignore.yaml" \
  "$tmp/lint/"
lint_rc=0
redocly lint --config "$tmp/lint/redocly.yaml" --format json "$tmp/lint/openapi.json" \
  >"$tmp/lint.json" 2>"$tmp/lint.err" || lint_rc=$?
# one line per problem: "severity rule: message (where)"
jq -r '.problems[] | "\(.severity) \(.ruleId): \(.message) (\(.location[0].pointer // "-"))"' \
  "$tmp/lint.json" >"$tmp/problems" 2>/dev/null ||
  { echo "error redocly: no JSON report (exit $lint_rc): $(head -c 600 "$tmp/lint.err")" >"$tmp/problems"; }
mapfile -t errors < <(grep '^error ' "$tmp/problems")
mapfile -t warnings < <(grep -v '^error ' "$tmp/problems")
if ((${#errors[@]} == 0)) && [ "$lint_rc" = 0 ]; then
  ok "redocly lint ($version): no errors"
else
  bad "redocly lint ($version): no errors (exit $lint_rc)" "${errors[@]}"
fi
if ((${#warnings[@]} == 0)); then
  ok "redocly lint ($version): no warnings"
else
  bad "redocly lint ($version): no warnings" "${warnings[@]}"
fi
tap_done
