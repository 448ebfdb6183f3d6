#!/usr/bin/env bash
# The GitHub Actions workflows (.github/workflows/*.yml) through a pinned workflow linter:
# action-validator (@action-validator/cli, version pinned in tests/ci/action-validator/
# package.json + package-lock.json, installed once into the build directory by
# tests/lib/npm_pinned.sh), which checks each file against the workflow schema. Every
# workflow must pass, and a broken one (tests/data/workflows/broken.yml) must fail, so the
# check is seen to bite. Usage (from meson): workflows_lint.sh (FSIM_NPM_CACHE: where to
# install). Emits TAP.
root=${FSIM_SOURCE_ROOT:?}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/tap.sh"
source "$here/../lib/npm_pinned.sh"
rc=0
npm_pinned "$here/action-validator" "${FSIM_NPM_CACHE:?}" action-validator \
  node_modules/@action-validator/cli/package.json || rc=$?
[ "$rc" = 77 ] && { echo "1..0 # SKIP node or npm missing"; exit 0; }
check "the pinned @action-validator/cli is installed" test "$rc" = 0
[ "$rc" = 0 ] || { tap_done; exit 1; }
validate() { node "$npm_dir/node_modules/@action-validator/cli/cli.mjs" "$1" >"$tmp/out" 2>&1; }
n_workflows=0
for f in "$root"/.github/workflows/*.yml; do
  [ -e "$f" ] || continue
  n_workflows=$((n_workflows + 1))
  if validate "$f"; then
    ok "${f#"$root"/} is a valid workflow"
  else
    bad "${f#"$root"/} is a valid workflow" "$(grep -E '"(detail|title|path)"' "$tmp/out" | head -6 | tr -s ' ')"
  fi
done
check "the workflows are there: test on push and pull request, deploy on main" \
  test -f "$root/.github/workflows/ci.yml" -a -f "$root/.github/workflows/deploy.yml"
if validate "$root/tests/data/workflows/broken.yml"; then
  bad "a broken workflow fails the check"
else
  ok "a broken workflow fails the check"
fi
# the deploy order the issue asks for: images, then the migration job, then the services
check "deploy: migrate needs the images, the services need migrate" eval \
  'grep -A1 "^  migrate:" "$root/.github/workflows/deploy.yml" | grep -q "needs: images" &&
   grep -A1 "^  deploy:" "$root/.github/workflows/deploy.yml" | grep -q "needs: migrate"'
check "deploy: Workload Identity Federation, no key file" eval \
  'grep -q "workload_identity_provider" "$root/.github/workflows/deploy.yml" &&
   ! grep -qi "credentials_json\|GOOGLE_APPLICATION_CREDENTIALS" "$root/.github/workflows/deploy.yml"'
tap_done
