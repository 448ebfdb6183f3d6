#!/usr/bin/env bash
# `./dev.sh demo` installs only what the demo needs (issue 18): its package list
# (`./dev.sh packages demo`) is a strict part of `./dev.sh test`'s, leaves out the test
# toolchain (PostgreSQL server, SUMO, Go, Chromium, Node.js, podman), and is the list the
# images' build stage builds the same programs with (Dockerfile, Dockerfile.api) — so the
# images prove the list is enough. Emits TAP.
# Usage: dev_packages.sh SOURCE_ROOT
set -u
root=$1
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
demo=$("$root/dev.sh" packages demo | sort -u)
test=$("$root/dev.sh" packages test | sort -u)
[ -n "$demo" ] && [ -n "$test" ] && ok "dev.sh packages demo and test answer" ||
  bad "dev.sh packages demo and test answer"
extra=$(comm -23 <(echo "$demo") <(echo "$test"))
fewer=$(comm -13 <(echo "$demo") <(echo "$test") | wc -l)
if [ -z "$extra" ] && [ "$fewer" -gt 0 ]; then
  ok "demo installs $(echo "$demo" | wc -l) packages, test $(echo "$test" | wc -l): demo's are a strict part"
else
  bad "demo's packages are a strict part of test's" "only in demo: $extra" "only in test: $fewer"
fi
heavy=()
for p in postgresql sumo chromium golang-go golang-google-cloud-dev nodejs npm podman jq; do
  grep -qx "$p" <<<"$demo" && heavy+=("$p")
done
[ ${#heavy[@]} = 0 ] && ok "the demo installs no test tool" || bad "the demo installs no test tool" "${heavy[*]}"
for f in Dockerfile Dockerfile.api; do
  # the apt-get install line(s) of the build stage: from FROM … AS build to WORKDIR
  image=$(awk '/^FROM .* AS build/ {on = 1} on && /^WORKDIR/ {exit} on' "$root/$f" |
    tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' |
    grep -vxE 'apt-get|update|install|rm|DEBIAN_FRONTEND=noninteractive|FROM|AS|build|debian:bookworm|RUN|&&' |
    sort -u)
  diff=$(diff <(echo "$image") <(grep -vx python3 <<<"$demo"))
  [ -z "$diff" ] && ok "$f's build stage installs the demo's packages (python3 comes with meson)" ||
    bad "$f's build stage installs the demo's packages" "$(tr '\n' ' ' <<<"$diff")"
done
echo "1..$n"
exit 0
