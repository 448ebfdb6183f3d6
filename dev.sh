#!/usr/bin/env bash
# fleetsim developer entry point. README's Quick start is two of these commands:
#   ./dev.sh demo    install what is missing, build, run the main job on the bundled config
#   ./dev.sh test    install, build with ASan+UBSan, run every suite, print "N passed, N failed"
# Others: ./dev.sh build | bench | clean
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the build and the tests need; installed only when missing.
PACKAGES=(
  gcc libc6-dev pkg-config meson ninja-build python3
  libyaml-dev libcjson-dev libgeos-dev libcsv-dev libssl-dev
  postgresql libpq-dev uuid-dev     # the store and its tests (a real server)
  sumo jq                           # the independent reference model (tests/reference)
)

log() { printf '==> %s\n' "$*" >&2; }

# Why dpkg-query and not apt-get every time: a machine that has everything should not touch
# the network at all, and apt-get update is the slow part.
ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# setup_build DIR [meson options…]: configure once, reconfigure if options changed.
setup_build() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

build_release() {
  ensure_packages
  setup_build build --buildtype=release -Dwerror=false -Dtests=false
  ninja -C build --quiet
}

cmd_demo() {
  build_release
  # The bundled demo depot week (config/scenarios/demo.json): summary on stdout, the four
  # result files in out/.
  ./build/cli/fleetsim run --config config --out out "$@"
}

cmd_test() {
  ensure_packages
  setup_build build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
    -Dwerror=true -Dtests=true
  ninja -C build-asan
  local rc=0
  meson test -C build-asan --no-suite bench --print-errorlogs "$@" >&2 || rc=$?
  # meson's own summary counts executables; ours counts every TAP test point.
  python3 tests/summarize.py build-asan/meson-logs/testlog.json || rc=1
  return $rc
}

cmd_bench() {
  ensure_packages
  setup_build build --buildtype=release -Dwerror=false -Dtests=true
  ninja -C build --quiet
  meson test -C build --suite bench --verbose --timeout-multiplier 4 "$@"
}

case "${1:-}" in
  demo) shift; cmd_demo "$@" ;;
  test) shift; cmd_test "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  build) shift; build_release ;;
  clean) rm -rf build build-asan ;;
  *) echo "usage: ./dev.sh demo|test|bench|build|clean" >&2; exit 2 ;;
esac
