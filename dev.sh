#!/usr/bin/env bash
# fleetsim developer entry point. README's Quick start is two of these commands:
#   ./dev.sh demo    install what is missing, build, run the main job on the bundled config
#   ./dev.sh test    install, build with ASan+UBSan, run every suite, print "N passed, N failed"
# Others: ./dev.sh build | bench | fuzz [SECONDS] | soak [MINUTES] | valgrind | clean | db (a
# local PostgreSQL in .devdb/)
#         ./dev.sh packages demo|test   the Debian packages each one installs
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages, installed only when missing. The build needs these (all three programs
# link the one core library, so every library's headers) — and they are all `demo` installs:
BUILD_PACKAGES=(
  gcc libc6-dev pkg-config meson ninja-build python3
  libyaml-dev libcjson-dev libgeos-dev libcsv-dev nettle-dev libssl-dev
  libpq-dev uuid-dev                # the store (libpq)
  libmicrohttpd-dev                 # fleetsim-api
  zlib1g-dev                        # fleetsim-api: gzip for results and reports
  libcurl4-openssl-dev              # Cloud Storage / credentials (core/gcs, core/gcp)
  libgrpc-dev protobuf-c-compiler libprotobuf-c-dev   # Pub/Sub client (core/pubsub)
)
# What the tests add (and Node.js for the pinned npm tools, checked in ensure_packages).
TEST_PACKAGES=(
  postgresql                        # a real server for the store and API tests
  sumo jq                           # the independent reference model (tests/reference)
  curl                              # the API tests drive the server with it
  iproute2                          # ss: the e2e tests watch upload retries on the wire
  python3-jsonschema                # API responses checked against /openapi.json
  golang-go golang-google-cloud-dev # Google's pstest Pub/Sub fake, built for the tests
  chromium                          # the HTML report opened in a real browser (tests/report)
  shellcheck                        # every shell script of the repository (tests/docs)
)
PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}")
NEED_NODE=1
# ./dev.sh fuzz only: clang with libFuzzer and its sanitizer runtimes.
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)
# The container suite: podman images built from a debootstrapped base.
CONTAINER_PACKAGES=(podman debootstrap runc)

log() { printf '==> %s\n' "$*" >&2; }

# Why dpkg-query and not apt-get every time: a machine that has everything should not touch
# the network at all, and apt-get update is the slow part.
ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
  done
  # The Storage emulator (tests/fakes/storage) and the OpenAPI linter (tests/api/redocly)
  # are npm packages, pinned and installed by the tests themselves: they need node and npm.
  if [ "$NEED_NODE" = 1 ]; then
    { command -v npm && command -v node; } >/dev/null 2>&1 || missing+=(nodejs npm)
  fi
  ((${#missing[@]} == 0)) && { check_node; return 0; }
  log "installing Debian packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  check_node
}

# firebase-tools wants Node.js 20, @redocly/cli 2.x 20.19 (or 22.12+); Debian 12's own
# nodejs is 18, so say so here rather than let two suites fail with engine errors.
check_node() {
  local v
  [ "$NEED_NODE" = 1 ] || return 0
  v=$(node -e 'const [a, b] = process.versions.node.split(".").map(Number);
               console.log(a > 22 || (a === 22 && b >= 12) || (a === 20 && b >= 19) ? "" : process.version)')
  [ -z "$v" ] || log "warning: node $v is too old for the gcs and api-openapi-lint tests (they need 20.19+ or 22.12+, e.g. from NodeSource)"
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

# The release build, quiet: its output goes to build-release.log, shown (the end of it, and
# where the rest is) only when it fails — a user of the demo wants the summary, not Meson.
build_release() {
  ensure_packages
  local out=build-release.log
  if ! { setup_build build --buildtype=release -Dwerror=false -Dtests=false &&
         ninja -C build --quiet; } >"$out" 2>&1; then
    tail -n 20 "$out" >&2
    log "the build failed; the whole log is in $out"
    return 1
  fi
}

# The demo needs only the build's packages (no PostgreSQL server, SUMO, Go, Chromium, Node).
cmd_demo() {
  PACKAGES=("${BUILD_PACKAGES[@]}")
  NEED_NODE=0
  build_release
  # The bundled demo depot week (config/scenarios/demo.json): summary on stdout, the five
  # result files in out/.
  ./build/cli/fleetsim run --config config --out out "$@"
}

# run_tests MESON_TEST_ARGS…: build with ASan+UBSan and run the selected suites; the last
# line is ours, "N passed, N failed" (meson's own summary counts executables, ours every TAP
# test point).
run_tests() {
  ensure_packages
  setup_build build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
    -Dwerror=true -Dtests=true
  ninja -C build-asan
  local rc=0
  meson test -C build-asan --print-errorlogs "$@" >&2 || rc=$?
  python3 tests/summarize.py build-asan/meson-logs/testlog.json || rc=1
  return $rc
}

# Every suite but the benchmarks, the container images included (podman; a cold run makes
# the base images and builds both images: a few minutes; warm, seconds).
cmd_test() {
  PACKAGES+=("${CONTAINER_PACKAGES[@]}")
  run_tests --no-suite bench "$@"
}

# Only the container images (suite 'containers').
cmd_test_containers() {
  PACKAGES+=("${CONTAINER_PACKAGES[@]}")
  run_tests --suite containers "$@"
}

cmd_bench() {
  PACKAGES+=(wrk nginx-light) # the API benchmark and its static-file ceiling
  ensure_packages
  setup_build build --buildtype=release -Dwerror=false -Dtests=true
  ninja -C build --quiet
  meson test -C build --suite bench --verbose --timeout-multiplier 4 "$@"
}

# ./dev.sh fuzz [SECONDS] [TARGET…]: builds the libFuzzer harnesses of tests/fuzz with clang
# into build-fuzz/ (ASan+UBSan, -Dfuzz=true) and runs each TARGET (default: all) for SECONDS
# (default 60), niced, one at a time, then prints one table row per target. Each run starts
# from the committed seeds plus what earlier runs found (build-fuzz/corpus/<target>/, kept);
# crashes land in build-fuzz/findings/<target>/ — keep one in tests/fuzz/crashes/<target>/
# once it is fixed, and ./dev.sh test replays it from then on (docs/fuzzing.md).
# The inputs libFuzzer wrote to DIR for a crash, leak, timeout or out-of-memory (not its
# slow-unit-* reports).
count_findings() {
  find "$1" -type f -regex '.*/\(crash\|leak\|timeout\|oom\)-.*' | wc -l
}

cmd_fuzz() {
  local seconds=${1:-60}
  [ $# -gt 0 ] && shift
  PACKAGES=("${BUILD_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}")
  NEED_NODE=0
  ensure_packages
  CC=clang-14 setup_build build-fuzz --buildtype=debugoptimized -Db_sanitize=address,undefined \
    -Db_lundef=false -Dwerror=false -Dtests=false -Dfuzz=true
  local targets=("$@") t
  if ((${#targets[@]} == 0)); then
    for t in tests/fuzz/fuzz_*.c; do t=${t##*/fuzz_}; targets+=("${t%.c}"); done
  fi
  # only the harnesses (and the library they link), not the programs
  ninja -C build-fuzz "${targets[@]/#/tests/fuzz/fuzz_}" >build-fuzz/build.log 2>&1 ||
    { cat build-fuzz/build.log >&2; return 1; }
  local rows=()
  for t in "${targets[@]}"; do
    local corpus=build-fuzz/corpus/$t findings=build-fuzz/findings/$t log=build-fuzz/fuzz-$t.log
    mkdir -p "$corpus" "$findings"
    local before
    before=$(count_findings "$findings")
    log "fuzzing $t for ${seconds}s"
    # -print_final_stats: the executions and exec/s; the last "#N" status line: cov.
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 nice "build-fuzz/tests/fuzz/fuzz_$t" \
      -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$findings/" "$corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1 || true
    local execs rate cov found
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2) || true # none: it stopped on its first input
    found=$(($(count_findings "$findings") - before))
    rows+=("$t ${execs:-?} ${rate:-?} ${cov:-?} $found")
  done
  printf '%-12s %12s %8s %8s %9s\n' target executions exec/s cov findings
  local r
  for r in "${rows[@]}"; do
    # shellcheck disable=SC2086
    printf '%-12s %12s %8s %8s %9s\n' $r
  done
}

# ./dev.sh soak [MINUTES]: the whole system (PostgreSQL, the Pub/Sub fake, two APIs, two pull
# workers, one push worker) under load for MINUTES (default 15) while workers are SIGKILLed,
# PostgreSQL and the fake are restarted and an API is replaced; prints the end-of-run table
# (tests/soak/soak.py). Not part of `test`: it takes its minutes. Release build, as in
# production: the figures are about leaks and lost jobs, not the sanitizers.
cmd_soak() {
  local minutes=${1:-15}
  ensure_packages
  setup_build build --buildtype=release -Dwerror=false -Dtests=true
  ninja -C build --quiet
  FSIM_SOURCE_ROOT=$(pwd) FSIM_PUBSUB_FAKE_DIR=$(pwd)/build/pstest-fake \
    tests/db/with_postgres.sh tests/fakes/with_pubsub.sh python3 tests/soak/soak.py \
    build/api/fleetsim-api build/pubsub/fleetsim-pubsub build/cli/fleetsim \
    build/tests/containers/pubsub_setup "$minutes"
}

# ./dev.sh valgrind: the unit and CLI (integration) suites under valgrind memcheck, on a build
# without sanitizers (build-valgrind/); fails on any leak or invalid access
# (tests/valgrind/wrap.sh) and prints the totals over every process it checked.
cmd_valgrind() {
  PACKAGES+=(valgrind)
  ensure_packages
  setup_build build-valgrind --buildtype=debug -Dwerror=true -Dtests=true
  ninja -C build-valgrind
  local logs rc=0
  logs=$(pwd)/build-valgrind/valgrind-logs
  rm -rf "$logs"
  FSIM_VALGRIND_LOGS=$logs meson test -C build-valgrind --suite unit --suite integration \
    --wrap="$(pwd)/tests/valgrind/wrap.sh" --timeout-multiplier 20 --print-errorlogs "$@" >&2 ||
    rc=$?
  # (meson names the log after the wrapper)
  python3 tests/summarize.py build-valgrind/meson-logs/testlog-wrap.sh.json || rc=1
  python3 tests/valgrind/totals.py "$logs" || rc=1
  return $rc
}

# ./dev.sh db: a persistent PostgreSQL for development in .devdb/ (gitignored), unix socket
# only, started once; prints the DATABASE_URL to use. Stop it: ./dev.sh db stop.
cmd_db() {
  ensure_packages
  local bin=/usr/lib/postgresql/15/bin dir
  dir="$(pwd)/.devdb"
  local as_pg=() me
  me=$(id -un)
  [ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
  local url="postgresql:///fleetsim?host=$dir&user=$me"
  if [ "${1:-}" = stop ]; then
    "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop
    return
  fi
  if [ -f "$dir/data/postmaster.pid" ] && "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    log "PostgreSQL is already running in .devdb/"
    echo "DATABASE_URL=$url"
    return
  fi
  mkdir -p "$dir" && chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if [ ! -d "$dir/data" ]; then
    "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -s \
    -o "-c listen_addresses='' -k $dir -c unix_socket_permissions=0777" start
  local psql=("${as_pg[@]}" "$bin/psql" -X -q -h "$dir" -U postgres -d postgres)
  "${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'fleetsim'" | grep -q 1 ||
    "${psql[@]}" -c "CREATE DATABASE fleetsim" >/dev/null
  if [ "$me" != postgres ]; then
    "${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$me'" | grep -q 1 ||
      "${psql[@]}" -c "CREATE ROLE \"$me\" SUPERUSER LOGIN" >/dev/null
  fi
  log "PostgreSQL started in .devdb/ (apply the schema: DATABASE_URL=... fleetsim migrate)"
  echo "DATABASE_URL=$url"
}

# ./dev.sh packages demo|test: the Debian packages each command installs, one per line.
cmd_packages() {
  case "${1:-}" in
    demo) printf '%s\n' "${BUILD_PACKAGES[@]}" ;;
    test) printf '%s\n' "${PACKAGES[@]}" "${CONTAINER_PACKAGES[@]}" nodejs npm ;;
    *) echo "usage: ./dev.sh packages demo|test" >&2; return 2 ;;
  esac
}

case "${1:-}" in
  db) shift; cmd_db "$@" ;;
  packages) shift; cmd_packages "$@" ;;
  demo) shift; cmd_demo "$@" ;;
  test) shift; cmd_test "$@" ;;
  test-containers) shift; cmd_test_containers "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  soak) shift; cmd_soak "$@" ;;
  valgrind) shift; cmd_valgrind "$@" ;;
  build) shift; build_release ;;
  fuzz) shift; cmd_fuzz "$@" ;;
  clean) rm -rf build build-asan build-fuzz build-valgrind ;;
  *) echo "usage: ./dev.sh demo|test|test-containers|bench|build|fuzz [SECONDS] [TARGET…]|soak [MINUTES]|valgrind|clean|db [stop]|packages demo|test" >&2; exit 2 ;;
esac
