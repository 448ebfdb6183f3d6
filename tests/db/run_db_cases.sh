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
check "stored and local: the same cost and CO2 from the config's default tariff" eval \
  '[ "$(q "SELECT metadata->'"'"'summary'"'"'->>'"'"'totalCost'"'"' FROM simulations WHERE id = '"'"'$id'"'"'")" = "$(jq .summary.totalCost "$tmp/result.json")" ] && [ "$(jq -r .summary.depots[0].tariff "$tmp/result.json")" = default ]'

# A fleet in a state with imported state data: its depots without a tariff of their own are
# priced by the state's flat price and grid intensity instead of the config's default.
"$fleetsim" import state-data "$root/tests/data/import/state_data.csv" >/dev/null
q "UPDATE fleets SET state_code = 'CA' WHERE id = '$fleet'" >/dev/null
price=$(q "SELECT electricity_usd_per_kwh FROM state_data WHERE state_code = 'CA'")
co2=$(q "SELECT grid_co2_g_per_kwh FROM state_data WHERE state_code = 'CA'")
rc=0; "$fleetsim" run "$demo" --mode db >"$tmp/out2" 2>>"$tmp/err" || rc=$?
id2=$(sed -n 's/^ *stored *simulation \([0-9a-f-]*\)$/\1/p' "$tmp/out2")
q "SELECT metadata->'summary' FROM simulations WHERE id = '$id2'" >"$tmp/state.json"
check "state data: the depot is priced by the state's flat tariff" eval \
  '[ "$rc" = 0 ] && [ "$(jq -r .depots[0].tariff "$tmp/state.json")" = state-CA ]'
check "state data: energy cost = grid kWh × the state's price, to the cent" eval \
  '[ "$(jq -r "(.gridEnergyKwh * $price * 100 | round) / 100 == .energyCost" "$tmp/state.json")" = true ]'
check "state data: CO2 = grid kWh × the state's intensity, to the gram; no demand charge" eval \
  '[ "$(jq -r "(.gridEnergyKwh * $co2 | round) / 1000 == .co2Kg and .demandCost == 0" "$tmp/state.json")" = true ]'
# A result bigger than a row's JSONB envelope holds (FSIM_JOB_DB_RESULT_MAX, 200 MiB):
# large.json over 150 days (about 230 MB) is refused with the way out, and its row says so.
large_fleet=$(jq -r .fleetId "$root/config/scenarios/large.json")
q "INSERT INTO fleets (id, name) VALUES ('$large_fleet', 'large fleet') ON CONFLICT DO NOTHING" >/dev/null
jq '.days = 150' "$root/config/scenarios/large.json" >"$tmp/big.json"
rc=0; "$fleetsim" run "$tmp/big.json" --mode db >"$tmp/out3" 2>"$tmp/err3" || rc=$?
check "a 230 MB result in db mode: exit 2" eval '[ "$rc" = 2 ]'
check "the error says the size, the 200 MiB limit and the way out (mode gcs, outputs off)" \
  eval 'grep -q "the result is 2[0-9][0-9] MiB, more than the 200 MiB a database row holds: use mode \"gcs\", or turn off outputs" "$tmp/err3"'
check "its row failed as invalid_request, no result stored" eval \
  '[ "$(q "SELECT status || '"'"' '"'"' || (metadata->'"'"'error'"'"'->>'"'"'code'"'"') || '"'"' '"'"' || (metadata ? '"'"'summary'"'"') FROM simulations WHERE fleet_id = '"'"'$large_fleet'"'"'")" = "failed invalid_request false" ]'
cat "$tmp/err3" >>"$tmp/err"
check "no sanitizer reports" eval '! grep -q "runtime error\|AddressSanitizer" "$tmp/err"'
tap_done
