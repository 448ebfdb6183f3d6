#!/usr/bin/env bash
# test_containers.sh — build both images (Dockerfile: fleetsim-pubsub, Dockerfile.api:
# fleetsim-api) with podman and run them, as Cloud Run would, against the test harness's
# real PostgreSQL (tests/db/with_postgres.sh over TCP loopback), the Pub/Sub fake
# (tests/fakes/with_pubsub.sh) and the Storage emulator (tests/fakes/with_storage.sh).
# TAP on stdout. Suite 'containers' (not in the default run: a cold run builds images).
#
#   tests/containers/test_containers.sh            wraps itself in the three harnesses
#
# Containers use --network host, so they reach the loopback services as the host does, and
# podman's facts on this machine: --runtime runc (crun fails here), raised ulimits.
# FSIM_CONTAINERS_KEEP=1 keeps the images afterwards (they are kept anyway: the build cache
# makes the next run warm; `podman rmi localhost/fleetsim-api:test …` to drop them).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# The build context (default: this work tree). FSIM_CONTAINERS_CONTEXT=DIR builds another
# checkout, e.g. a clean export while the work tree is mid-change.
context=${FSIM_CONTAINERS_CONTEXT:-$root}

# ---- wrap: PostgreSQL (TCP), Pub/Sub fake, Storage emulator --------------------------------
if [ -z "${FSIM_CONTAINERS_WRAPPED:-}" ]; then
  export FSIM_CONTAINERS_WRAPPED=1 FSIM_PG_TCP=1
  wrap=("$root/tests/db/with_postgres.sh")
  [ -x "$root/tests/fakes/with_pubsub.sh" ] && wrap+=("$root/tests/fakes/with_pubsub.sh")
  [ -x "$root/tests/fakes/with_storage.sh" ] && wrap+=("$root/tests/fakes/with_storage.sh")
  rc=0
  "${wrap[@]}" "$0" "$@" || rc=$?
  # 77 from a harness that cannot start (e.g. no Go for the Pub/Sub fake): run without it
  if [ "$rc" = 77 ] && [ ${#wrap[@]} -gt 1 ]; then
    "$root/tests/db/with_postgres.sh" "$0" "$@"
    exit $?
  fi
  exit $rc
fi

. "$root/tests/lib/tap.sh"
P=(podman --runtime runc)
RUN=("${P[@]}" run --network host --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
# (FSIM_CONTAINERS_API_IMG / _WORKER_IMG / _PREFIX, the containers' names: other names, for a
# run beside another one)
ct=${FSIM_CONTAINERS_PREFIX:-fsim-ct}
API_IMG=${FSIM_CONTAINERS_API_IMG:-localhost/fleetsim-api:test}
WORKER_IMG=${FSIM_CONTAINERS_WORKER_IMG:-localhost/fleetsim-pubsub:test}
key=container-test-key
containers=()
cleanup_containers() {
  local c
  for c in "${containers[@]}"; do "${P[@]}" rm -f -t 2 "$c" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup_containers EXIT
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
secs() { python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.1f}')" "$1" "$2"; }

# norm RESULT.json: the result without what differs between two runs of one request (its
# id and trace id), canonical, for comparing a db-mode and a gcs-mode result.
norm() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r.pop("simulationId",None); r["metadata"].pop("traceId",None); print(json.dumps(r,sort_keys=True))' "$1" 2>/dev/null; }

# wait_http URL CODE SECONDS: polls until URL answers CODE.
wait_http() {
  local i
  for ((i = 0; i < $3 * 5; i++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = "$2" ] && return 0
    sleep 0.2
  done
  return 1
}

# ---- images -------------------------------------------------------------------------------
t0=$(now)
if "$root/tests/containers/base_images.sh" >"$tmp/base.log" 2>&1; then
  ok "base images localhost/debian:bookworm and :bookworm-slim present ($(secs "$t0" "$(now)") s)"
else
  bad "base images" "$(tail -5 "$tmp/base.log")"
  tap_done
  exit 1
fi

build() { # build NAME DOCKERFILE TAG
  local t1 rc=0
  t1=$(now)
  # the API image's docs-assets stage runs npm: the machine's CA bundle (a TLS-inspecting
  # proxy's CA, here) as a build secret, never a layer
  local ca=()
  [ -f /etc/ssl/certs/ca-certificates.crt ] && ca=(--secret "id=npm-ca,src=/etc/ssl/certs/ca-certificates.crt")
  "${P[@]}" build --pull=never --network host "${ca[@]}" -f "$2" -t "$3" "$context" >"$tmp/build-$1.log" 2>&1 || rc=$?
  if [ $rc = 0 ]; then
    ok "$1 image builds ($(secs "$t1" "$(now)") s, $("${P[@]}" image inspect "$3" --format '{{.Size}}' | awk '{printf "%.1f MB", $1/1e6}'))"
  else
    bad "$1 image builds" "$(tail -15 "$tmp/build-$1.log")"
  fi
  return $rc
}

api_built=0 worker_built=0
build api "$context/Dockerfile.api" "$API_IMG" && api_built=1
build worker "$context/Dockerfile" "$WORKER_IMG" && worker_built=1

# ---- image properties ---------------------------------------------------------------------
for img in "$API_IMG" "$WORKER_IMG"; do
  "${P[@]}" image exists "$img" || { bad "$img exists"; continue; }
  user=$("${P[@]}" image inspect "$img" --format '{{.Config.User}}')
  [ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] &&
    ok "$img runs as a non-root user ($user)" || bad "$img non-root" "User=$user"
  ep=$("${P[@]}" image inspect "$img" --format '{{json .Config.Entrypoint}}')
  case $ep in '["/usr/bin/'*) ok "$img: exec-form entry point $ep" ;; *) bad "$img entry point" "$ep" ;; esac
  env=$("${P[@]}" image inspect "$img" --format '{{json .Config.Env}}')
  case $env in *FLEETSIM_CONFIG_DIR=/usr/share/fleetsim/config*) ok "$img sets FLEETSIM_CONFIG_DIR" ;;
    *) bad "$img FLEETSIM_CONFIG_DIR" "$env" ;; esac
  out=$("${RUN[@]}" --rm --entrypoint /bin/sh "$img" -c \
    'dpkg-query -W -f "\${Package}\n" | grep -E -- "-dev$|^gcc(-[0-9]+)?$|^cpp|^meson|^ninja" ; ls /usr/share/fleetsim/config/vehicles.yaml /usr/share/fleetsim/migrations/0001_init.sql' 2>&1)
  if ! grep -qE -- '-dev$|^gcc(-[0-9]+)?$|^cpp|^meson|^ninja' <<<"$out" && grep -q vehicles.yaml <<<"$out" && grep -q 0001_init.sql <<<"$out"; then
    ok "$img: no compiler or -dev package; config/ and migrations/ bundled"
  else
    bad "$img contents" "$out"
  fi
done

# The bundled demo with the CLI in the image: the runtime libraries are all there.
if [ $api_built = 1 ]; then
  "${RUN[@]}" --rm --entrypoint /usr/bin/fleetsim "$API_IMG" run --json --out /tmp/out >"$tmp/demo.json" 2>"$tmp/demo.err"
  rc=$?
  [ $rc = 0 ] && grep -q '"summary"' "$tmp/demo.json" &&
    ok "fleetsim run (bundled demo) inside the image" ||
    bad "fleetsim run in the image" "exit $rc" "$(head -c 400 "$tmp/demo.err")"
fi

# ---- migrations: the pipeline step, from the image ------------------------------------------
if [ -z "${DATABASE_URL:-}" ]; then
  bad "DATABASE_URL from with_postgres.sh"
  tap_done
  exit 1
fi
"${RUN[@]}" --rm -e DATABASE_URL --entrypoint /usr/bin/fleetsim "$API_IMG" migrate >"$tmp/mig.out" 2>"$tmp/mig.err"
rc=$?
[ $rc = 0 ] && ok "fleetsim migrate from the API image (the deploy pipeline's step)" ||
  bad "fleetsim migrate from the image" "exit $rc" "$(head -c 400 "$tmp/mig.err")"
psql=("$FSIM_PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1)
fleet=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fleetId"])' "$root/config/scenarios/demo.json")
"${psql[@]}" -c "INSERT INTO fleets (id, name) VALUES ('$fleet', 'container test fleet') ON CONFLICT DO NOTHING" >/dev/null

# ---- the API image: /readyz, submit → fetch, SIGTERM ----------------------------------------
# start_api NAME [-e VAR=…]…: runs the API image detached on a free port; sets $api_url.
start_api() {
  local name=$1; shift
  local port; port=$(free_port)
  "${RUN[@]}" -d --name "$name" -e PORT="$port" -e DATABASE_URL -e FLEETSIM_API_KEYS="$key" \
    "$@" "$API_IMG" >/dev/null
  containers+=("$name")
  api_url=http://127.0.0.1:$port
}

# submit_and_fetch URL OUTFILE: POST the demo scenario, poll until finished, GET the result.
submit_and_fetch() {
  local url=$1 out=$2 limit=${3:-120} id status i
  curl -s -X POST "$url/v1/simulations" -H "X-API-Key: $key" -H 'Content-Type: application/json' \
    --data-binary @"$root/config/scenarios/demo.json" -o "$tmp/submit.json" -w '%{http_code}' >"$tmp/submit.code"
  id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$tmp/submit.json" 2>/dev/null)
  [ -n "$id" ] || { echo "submit: $(cat "$tmp/submit.code") $(head -c 300 "$tmp/submit.json")"; return 1; }
  for ((i = 0; i < limit * 5; i++)); do
    status=$(curl -s "$url/v1/simulations/$id" -H "X-API-Key: $key" |
      python3 -c 'import json,sys; print(json.load(sys.stdin).get("status",""))' 2>/dev/null)
    case $status in succeeded|failed|cancelled) break ;; esac
    sleep 0.2
  done
  [ "$status" = succeeded ] || { echo "job $id ended as '$status'"; return 1; }
  [ "$(curl -s -o "$out" -w '%{http_code}' "$url/v1/simulations/$id/result" -H "X-API-Key: $key")" = 200 ] ||
    { echo "result: $(head -c 300 "$out")"; return 1; }
  echo "$id"
}

if [ $api_built = 1 ]; then
  start_api "$ct-api"
  if wait_http "$api_url/readyz" 200 60; then
    ok "API container answers /readyz 200 (database reachable, schema current)"
  else
    bad "API /readyz" "$("${P[@]}" logs "$ct-api" 2>&1 | tail -5)"
  fi
  if msg=$(submit_and_fetch "$api_url" "$tmp/result-db.json"); then
    grep -q '"summary"' "$tmp/result-db.json" &&
      ok "API container: submit → status → fetch (in-process workers, job $msg)" ||
      bad "API result has no summary"
  else
    bad "API container: submit → fetch" "$msg" "$("${P[@]}" logs "$ct-api" 2>&1 | tail -5)"
  fi
  t1=$(now)
  "${P[@]}" stop -t 10 "$ct-api" >/dev/null 2>&1
  code=$("${P[@]}" inspect "$ct-api" --format '{{.State.ExitCode}}')
  logs=$("${P[@]}" logs "$ct-api" 2>&1)
  if [ "$code" = 0 ] && grep -q SIGTERM <<<"$logs"; then
    ok "API container: SIGTERM reaches the program, clean exit 0 in $(secs "$t1" "$(now)") s"
  else
    bad "API container: SIGTERM" "exit $code" "$("${P[@]}" logs "$ct-api" 2>&1 | tail -3)"
  fi
  # the documentation the image carries: /docs and /docs/redoc from its own assets, offline
  start_api "$ct-docs" -e FLEETSIM_API_DOCS=1
  if wait_http "$api_url/docs" 200 60 &&
     curl -s "$api_url/docs/assets/versions.json" | python3 -c '
import json, sys
pins = json.load(open(sys.argv[1]))["dependencies"]
got = json.load(sys.stdin)
sys.exit(0 if all(got.get(k) == v for k, v in pins.items()) else 1)' "$root/api/docs-assets/package.json"; then
    ok "API container: /docs served from the image's docs-assets, the pinned versions"
  else
    bad "API container: /docs" "$("${P[@]}" logs "$ct-docs" 2>&1 | tail -3)"
  fi
  if command -v chromium >/dev/null; then
    curl -s -o "$tmp/docs-openapi.json" "$api_url/openapi.json"
    if python3 "$root/tests/api/docs_browser.py" "$(command -v chromium)" "$api_url" \
         "$tmp/docs-openapi.json" "$tmp/docs-shots" >"$tmp/docs-browser.tap" 2>&1; then
      ok "API container: both docs pages draw every operation in headless Chromium, no request leaves 127.0.0.1"
    else
      bad "API container: docs pages in Chromium" "$(grep -A2 '^not ok' "$tmp/docs-browser.tap" | head -8)"
    fi
  else
    skip "API container: docs pages in Chromium" "chromium is not installed"
  fi
  "${P[@]}" rm -f -t 2 "$ct-docs" >/dev/null 2>&1 || true
else
  skip "API container tests" "the API image did not build"
fi

# ---- the worker image -----------------------------------------------------------------------
if [ $worker_built = 0 ]; then
  skip "worker container tests" "the worker image did not build"
else
  # --push: one push envelope (as Pub/Sub's push subscription sends it) with a db-mode job.
  port=$(free_port)
  "${RUN[@]}" -d --name "$ct-push" -e PORT="$port" -e DATABASE_URL -e FLEETSIM_PUSH_AUTH=none "$WORKER_IMG" --push >/dev/null
  containers+=("$ct-push")
  if wait_http "http://127.0.0.1:$port/healthz" 200 30 || sleep 2; then :; fi
  before=$("${psql[@]}" -c "SELECT count(*) FROM simulations WHERE status = 'succeeded'")
  data=$(python3 -c 'import json,sys,base64; m=json.load(open(sys.argv[1])); m["mode"]="db"; print(base64.b64encode(json.dumps(m).encode()).decode())' "$root/config/scenarios/demo.json")
  env_json=$(printf '{"message":{"data":"%s","attributes":{"traceId":"ct-push-1"},"messageId":"ct-push-1","publishTime":"2026-01-05T00:00:00Z"},"subscription":"projects/fleetsim-test/subscriptions/fleetsim-push","deliveryAttempt":1}' "$data")
  code=$(curl -s -o "$tmp/push.out" -w '%{http_code}' -X POST "http://127.0.0.1:$port/" \
    -H 'Content-Type: application/json' --data-binary "$env_json")
  after=$("${psql[@]}" -c "SELECT count(*) FROM simulations WHERE status = 'succeeded'")
  if [ "${code:0:1}" = 2 ] && [ "$after" -gt "$before" ]; then
    ok "worker --push: envelope acknowledged (HTTP $code), the job's row succeeded"
  else
    bad "worker --push" "HTTP $code $(head -c 200 "$tmp/push.out")" "succeeded rows $before → $after" \
      "$("${P[@]}" logs "$ct-push" 2>&1 | tail -5)"
  fi
  "${P[@]}" stop -t 10 "$ct-push" >/dev/null 2>&1
  code=$("${P[@]}" inspect "$ct-push" --format '{{.State.ExitCode}}')
  [ "$code" = 0 ] && ok "worker --push: clean exit on SIGTERM" || bad "worker --push SIGTERM" "exit $code"

  # gcs mode through --push: the worker stores the result in the Storage emulator; the object
  # must equal the db-mode result of the same request (ids aside), and the API serves it.
  if [ -z "${STORAGE_EMULATOR_HOST:-}" ]; then
    skip "gcs mode end to end" "no Storage emulator (tests/fakes/with_storage.sh could not start)"
  else
    bucket=fleetsim-results
    port=$(free_port)
    "${RUN[@]}" -d --name "$ct-push-gcs" -e PORT="$port" -e DATABASE_URL -e STORAGE_EMULATOR_HOST \
      -e FLEETSIM_GCS_BUCKET=$bucket -e FLEETSIM_PUSH_AUTH=none "$WORKER_IMG" --push >/dev/null
    containers+=("$ct-push-gcs")
    wait_http "http://127.0.0.1:$port/healthz" 200 30 || sleep 2
    data=$(python3 -c 'import json,sys,base64; m=json.load(open(sys.argv[1])); m["mode"]="gcs"; print(base64.b64encode(json.dumps(m).encode()).decode())' "$root/config/scenarios/demo.json")
    env_json=$(printf '{"message":{"data":"%s","attributes":{"traceId":"ct-gcs-1"},"messageId":"ct-gcs-1","publishTime":"2026-01-05T00:00:00Z"},"subscription":"projects/fleetsim-test/subscriptions/fleetsim-push","deliveryAttempt":1}' "$data")
    code=$(curl -s -o "$tmp/push-gcs.out" -w '%{http_code}' -X POST "http://127.0.0.1:$port/" \
      -H 'Content-Type: application/json' --data-binary "$env_json")
    id=$("${psql[@]}" -c "SELECT id FROM simulations WHERE metadata->>'resultUri' LIKE 'gs://%' ORDER BY created_at DESC LIMIT 1" 2>/dev/null)
    if [ -n "$id" ] && curl -sf -o "$tmp/result-gcs-obj.json" \
         "$FSIM_STORAGE_EMULATOR_URL/storage/v1/b/$bucket/o/simulations%2F$id%2Fresult.json?alt=media" &&
       [ -n "$(norm "$tmp/result-gcs-obj.json")" ] &&
       [ "$(norm "$tmp/result-gcs-obj.json")" = "$(norm "$tmp/result-db.json")" ]; then
      ok "gcs mode: worker --push stored gs://$bucket/simulations/$id/result.json, equal to the db-mode result"
      start_api "$ct-api-gcs" -e STORAGE_EMULATOR_HOST -e FLEETSIM_GCS_BUCKET=$bucket
      wait_http "$api_url/readyz" 200 60
      if [ "$(curl -s -o "$tmp/result-gcs-api.json" -w '%{http_code}' "$api_url/v1/simulations/$id/result" -H "X-API-Key: $key")" = 200 ] &&
         cmp -s "$tmp/result-gcs-api.json" "$tmp/result-gcs-obj.json"; then
        ok "gcs mode: the API streams the object back byte for byte"
      else
        bad "gcs mode: API fetch of a gcs result" "$(head -c 300 "$tmp/result-gcs-api.json")"
      fi
    else
      bad "gcs mode end to end" "push HTTP $code: $(head -c 200 "$tmp/push-gcs.out")" "row: '$id'" \
        "$("${P[@]}" logs "$ct-push-gcs" 2>&1 | tail -3)"
    fi
  fi

  # --pull: API (publishing to the topic) → Pub/Sub fake → worker → PostgreSQL → API fetch;
  # then the same in gcs mode through the Storage emulator.
  if [ -z "${PUBSUB_EMULATOR_HOST:-}" ]; then
    skip "worker --pull" "no Pub/Sub fake (tests/fakes/with_pubsub.sh could not start)"
  else
    project=fleetsim-test topic=fleetsim-jobs sub=fleetsim-jobs-worker bucket=fleetsim-results
    common=(-e DATABASE_URL -e PUBSUB_EMULATOR_HOST -e "GOOGLE_CLOUD_PROJECT=$project"
            -e "FLEETSIM_PUBSUB_TOPIC=$topic" -e "FLEETSIM_PUBSUB_SUBSCRIPTION=$sub")
    [ -n "${STORAGE_EMULATOR_HOST:-}" ] && common+=(-e STORAGE_EMULATOR_HOST -e "FLEETSIM_GCS_BUCKET=$bucket")
    # pstest starts empty: topic and subscription come from tests/containers/pubsub_setup
    # (FSIM_PUBSUB_SETUP, built by meson). The API runs with no in-process workers, so only
    # the pull worker can finish the job.
    if [ -x "${FSIM_PUBSUB_SETUP:-}" ]; then
      GOOGLE_CLOUD_PROJECT=$project "$FSIM_PUBSUB_SETUP" "$topic" "$sub" >/dev/null 2>"$tmp/setup.err" ||
        bad "Pub/Sub topic and subscription" "$(cat "$tmp/setup.err")"
    fi
    "${RUN[@]}" -d --name "$ct-pull" "${common[@]}" "$WORKER_IMG" --pull >/dev/null
    containers+=("$ct-pull")
    start_api "$ct-api2" "${common[@]}" -e FLEETSIM_API_WORKERS=0
    wait_http "$api_url/readyz" 200 60
    if msg=$(submit_and_fetch "$api_url" "$tmp/result-pull.json" 60); then
      ok "worker --pull: API → Pub/Sub → worker → PostgreSQL → API fetch (job $msg)"
    else
      bad "worker --pull" "$msg" "$("${P[@]}" logs "$ct-pull" 2>&1 | tail -5)"
    fi
    # The same through an API that asks for gcs results (FLEETSIM_RESULT_MODE=gcs): the pull
    # worker uploads the object, the API streams it back; it must equal the object's bytes and
    # the db-mode result of the same request.
    if [ -z "${STORAGE_EMULATOR_HOST:-}" ]; then
      skip "worker --pull, gcs mode" "no Storage emulator (tests/fakes/with_storage.sh could not start)"
    else
      start_api "$ct-api3" "${common[@]}" -e FLEETSIM_API_WORKERS=0 -e FLEETSIM_RESULT_MODE=gcs
      wait_http "$api_url/readyz" 200 60
      if msg=$(submit_and_fetch "$api_url" "$tmp/result-pull-gcs.json" 60) &&
         curl -sf -o "$tmp/result-pull-gcs-obj.json" \
           "$FSIM_STORAGE_EMULATOR_URL/storage/v1/b/$bucket/o/simulations%2F$msg%2Fresult.json?alt=media" &&
         cmp -s "$tmp/result-pull-gcs.json" "$tmp/result-pull-gcs-obj.json" &&
         [ "$(norm "$tmp/result-pull-gcs.json")" = "$(norm "$tmp/result-db.json")" ]; then
        ok "worker --pull, gcs mode: API → Pub/Sub → worker → Storage → API fetch equals the object and the db-mode result (job $msg)"
      else
        bad "worker --pull, gcs mode" "$msg" "$("${P[@]}" logs "$ct-pull" 2>&1 | tail -5)"
      fi
    fi
  fi
fi

tap_done
