#!/usr/bin/env bash
# fresh_timing.sh — how long the Quick start takes on a fresh Debian 12 machine (issue 18).
#
#   tests/containers/fresh_timing.sh [OUT_DIR]     (root; default OUT_DIR: ./fresh-timing)
#
# Each measurement starts a new container from the bare debootstrapped base image
# (localhost/debian:bookworm, made by base_images.sh: minbase, nothing of ours installed)
# with this commit's tree (git archive HEAD) in /src, and the host network (apt reaches
# this machine's Debian mirror, as on a real fresh machine):
#
#   demo      `./dev.sh demo` from nothing: apt-get update, the build's packages, the
#             release build, the demo run — timed whole, and its package step alone
#   test-pkgs then, in the same container, what `./dev.sh test` adds: `./dev.sh packages
#             test` less what is installed (apt-get install of the test set)
#   test-all  a second fresh container: apt-get install of the whole `./dev.sh packages
#             test` set from nothing (what `./dev.sh test` installs on a fresh machine)
#   sizes     what each set downloads (apt-get --print-uris), nothing installed
# (tests/containers/fresh_timing.sh OUT_DIR STEP… runs only those steps.)
#
# Measured on this 2-core machine (2026-12-07, the Debian mirror behind a proxy, other work
# running beside it, so read them as orders of magnitude): `./dev.sh demo` from nothing
# 169 s — 19 names, 115 Debian packages (86 MB); in a second, busier run its package step
# took 126 s and the build and demo run 99 s;
# the test set from nothing: 34 names, 839 packages (612 MB) in 15 s + 553 s; after the demo,
# `./dev.sh test` adds 723 packages in 393 s.
#
# Each step prints TIME (seconds), COUNT (names listed, Debian packages installed) and
# DOWNLOAD lines and leaves its log in OUT_DIR. Not part of ./dev.sh test: it
# takes minutes and downloads a few hundred MB. Container names are fleetsim-fresh-*.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-fresh-timing}")
mkdir -p "$out"
[ "$(id -u)" = 0 ] || { echo "fresh_timing.sh: run as root (podman, base images)" >&2; exit 2; }
tests/containers/base_images.sh
image=localhost/debian:bookworm
P=(podman --runtime runc)
RUN=("${P[@]}" run --rm -i --network host --ulimit nofile=20000:20000
     --ulimit nproc=32768:32768)
tag=fleetsim-fresh-$$

# The script each container runs: /src from stdin (a tar), then the steps; every step's
# wall time on a "TIME name seconds" line, every count on a "COUNT name n" line.
inner=$(cat <<'EOF'
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
mkdir -p /src && tar -C /src -xf - && cd /src
t() { local name=$1 s e; shift; s=$(date +%s.%N); "$@"; e=$(date +%s.%N)
      echo "TIME $name $(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.1f", e - s}')" >&2; }
installed() { dpkg-query -W -f='${db:Status-Status}\n' | grep -cx installed; }
echo "COUNT base-installed $(installed)"
case "$1" in
demo)
  echo "COUNT demo-names $(./dev.sh packages demo | wc -l)"
  # the package step alone, as ensure_packages runs it (dev.sh's own lines), then the rest
  t demo-apt bash -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      $(./dev.sh packages demo) >/tmp/apt-demo.log'
  echo "COUNT demo-installed $(installed)"
  t demo-build-run ./dev.sh demo >/tmp/demo.out
  tail -n 12 /tmp/demo.out
  names=$(./dev.sh packages test | sort -u)
  echo "COUNT test-names $(echo "$names" | wc -l)"
  echo "DOWNLOAD test-after-demo $(apt-get install -s --no-install-recommends $names 2>/dev/null | grep -c '^Inst ') packages"
  t test-after-demo-apt bash -c "apt-get install -y -qq --no-install-recommends $(echo $names) >/tmp/apt-test.log"
  echo "COUNT test-installed $(installed)"
  ;;
demo-whole)
  t demo-whole ./dev.sh demo >/tmp/demo.out
  tail -n 12 /tmp/demo.out
  echo "COUNT demo-installed $(installed)"
  ;;
sizes)
  apt-get update -qq
  for set in demo test; do
    apt-get install --no-install-recommends --print-uris -qq $(./dev.sh packages $set | sort -u) |
      awk -v s="$set" '{n++; b += $3} END {printf "DOWNLOAD %s %d packages, %.0f MB\n", s, n, b / 1e6}'
  done
  ;;
test-all)
  names=$(./dev.sh packages test | sort -u)
  echo "COUNT test-names $(echo "$names" | wc -l)"
  t test-all-apt-update apt-get update -qq
  apt-get install -s --no-install-recommends $names >/tmp/sim.txt
  echo "COUNT test-to-install $(grep -c '^Inst ' /tmp/sim.txt)"
  apt-get install --no-install-recommends --print-uris -qq $names \
    | awk '{s += $3} END {printf "DOWNLOAD test-all %.0f MB\n", s / 1e6}'
  t test-all-apt apt-get install -y -qq --no-install-recommends $names >/tmp/apt-test.log
  echo "COUNT test-installed $(installed)"
  ;;
esac
EOF
)

run_step() { # run_step NAME: a fresh container, its output in OUT_DIR/NAME.log
  local name=$1
  echo "==> $name (container $tag-$name)" >&2
  git archive --format=tar HEAD |
    "${RUN[@]}" --name "$tag-$name" "$image" bash -c "$inner" inner "$name" \
      >"$out/$name.log" 2>&1 || { tail -n 30 "$out/$name.log" >&2; return 1; }
  grep -E '^(TIME|COUNT|DOWNLOAD) ' "$out/$name.log" >&2
}

for s in "${@:2}"; do run_step "$s"; done
[ $# -ge 2 ] || { run_step demo-whole; run_step test-all; run_step demo; run_step sizes; }
echo "==> logs in $out" >&2
