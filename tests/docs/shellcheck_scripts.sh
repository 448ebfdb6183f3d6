#!/usr/bin/env bash
# Every shell script of the repository passes shellcheck (warnings and errors), one TAP point
# per script so a failure names it; and a known-broken script (tests/data/shellcheck/) fails,
# so the check is seen to bite. Scripts: *.sh and files whose first line is a sh/bash
# shebang, outside build trees, node_modules and .devdb. Two checks are off: SC2154
# (referenced but not assigned) and SC2034 (assigned but unused) — the test scripts share
# variables with the libraries they source (tests/lib/tap.sh sets $tmp, lib.sh reads $api),
# which shellcheck cannot follow without a source directive in each of them.
# Usage: shellcheck_scripts.sh SOURCE_ROOT. Emits TAP.
set -u
root=$1
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
command -v shellcheck >/dev/null || { echo "1..0 # SKIP shellcheck is not installed (./dev.sh test installs it)"; exit 0; }
check_args=(-S warning -e "SC2154,SC2034")
cd "$root" || exit 1
mapfile -t scripts < <(find . \( -name 'build' -o -name 'build-*' -o -name node_modules -o -name .devdb \
    -o -name .git \) -prune -o -type f -print |
  while read -r f; do
    case $f in
      *.sh) echo "${f#./}" ;;
      *.in|*.md|*.c|*.h|*.py|*.json|*.yaml|*.csv|*.txt|*.sql|*.geojson) ;;
      *) head -c 40 "$f" 2>/dev/null | head -n1 | grep -qE '^#!(/usr/bin/env )?(/bin/)?(ba)?sh' &&
           echo "${f#./}" ;;
    esac
  done | sort)
[ ${#scripts[@]} -ge 20 ] && ok "found ${#scripts[@]} shell scripts" || bad "found the shell scripts" "${#scripts[@]}"
for s in "${scripts[@]}"; do
  if out=$(shellcheck "${check_args[@]}" "$s" 2>&1); then
    ok "shellcheck $s"
  else
    bad "shellcheck $s" "$(grep -E 'SC[0-9]+' <<<"$out" | head -5 | sed 's/^ *//')"
  fi
done
if shellcheck "${check_args[@]}" tests/data/shellcheck/broken.sh.in >/dev/null 2>&1; then
  bad "a broken script fails the check"
else
  ok "a broken script fails the check"
fi
echo "1..$n"
exit 0
