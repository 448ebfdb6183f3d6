#!/usr/bin/env bash
# Whole-program tests of `fleetsim run --mode db` against the server of with_postgres.sh: a
# scenario whose fleet is missing is refused before it runs (fleetId named, nothing stored);
# with the fleet present the demo week is stored as one `simulations` row whose envelope
# holds the same summary the CLI prints with --json.
# Usage (from meson): with_postgres.sh run_db_cases.sh FLEETSIM. Emits TAP.
fleetsim=$1
root=${FSIM_SOURCE_ROOT:?}
source "$(dirname "$0")/../lib/tap.sh"
q() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }
export FLEETSIM_CONFIG_DIR=$root/config
demo=$root/config/scenarios/demo.json
fleet=$(jq -r .fleetId "$demo")

"$fleetsim" migrate --dir "${FSIM_MIGRATIONS_DIR:?}" >/dev/null
rc=0; "$fleetsim" run "$demo" --mode db >"$tmp/out" 2>"$tmp/err" || rc=$?
check "missing fleet: exit 2" eval '[ "$rc" = 2 ]'
check "missing fleet: the error names fleetId and the uuid" eval \
  'grep -qF "fleetId: no fleet $fleet" "$tmp/err"'
check "missing fleet: nothing stored" eval '[ "$(q "SELECT count(*) FROM simulations")" = 0 ]'

q "INSERT INTO fleets (id, name) VALUES ('$fleet', 'demo fleet')" >/dev/null
rc=0; "$fleetsim" run "$demo" --mode db >"$tmp/out" 2>"$tmp/err" || rc=$?
check "with the fleet: exit 0" eval '[ "$rc" = 0 ]'
id=$(sed -n 's/^ *stored *simulation \([0-9a-f-]*\)$/\1/p' "$tmp/out")
check "the summary names the stored simulation" eval '[ ${#id} = 36 ]'
check "one row, succeeded, in the scenario's fleet" eval \
  '[ "$(q "SELECT status || '"'"' '"'"' || fleet_id FROM simulations")" = "succeeded $fleet" ]'
"$fleetsim" run "$demo" --json --out "$tmp/files" >"$tmp/result.json"
check "the stored summary equals the local run's" eval \
  '[ "$(q "SELECT metadata->'"'"'summary'"'"' FROM simulations WHERE id = '"'"'$id'"'"'" | jq -S .)" = "$(jq -S .summary "$tmp/result.json")" ]'
check "the stored time series has every point" eval \
  '[ "$(q "SELECT jsonb_array_length(time_series_data) FROM simulations WHERE id = '"'"'$id'"'"'")" = "$(jq ".timeSeriesData | length" "$tmp/result.json")" ]'
check "no sanitizer reports" eval '! grep -q "runtime error\|AddressSanitizer" "$tmp/err"'
tap_done
