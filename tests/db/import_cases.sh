#!/usr/bin/env bash
# Whole-program tests of `fleetsim import` against the server of with_postgres.sh: quoting
# edge cases (BOM, CRLF, embedded commas/quotes/newlines), header mapping, row errors with
# FILE:LINE: column, a 10,000-row file bad at line 9,999 (nothing written), re-import
# counts, two concurrent imports, a process killed mid-import, simulation series.
# Usage (from meson): with_postgres.sh import_cases.sh FLEETSIM. Emits TAP.
fleetsim=$1
data=${FSIM_TEST_DATA:?}/import
config=${FSIM_SOURCE_ROOT:?}/config
gen=${FSIM_SOURCE_ROOT}/tests/db/gen_vins.py
source "$(dirname "$0")/../lib/tap.sh"
q() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }
eq() { [ "$(q "$1")" = "$2" ] || { echo "# $1 -> $(q "$1") (expected $2)"; return 1; }; }
imp() { "$fleetsim" import "$@" --config "$config"; }

"$fleetsim" migrate --dir "${FSIM_MIGRATIONS_DIR:?}" >/dev/null || { echo "Bail out! migrate failed"; exit 1; }

# ---- vins: quoting and header mapping
expect "quoting: BOM, CRLF, any order, embedded comma/quote/newline" 0 \
  "2 rows: 2 inserted, 0 updated, 0 unchanged" "" -- import vins "$data/vins_quoting.csv" --config "$config"
check "embedded quotes and comma kept" eq "SELECT model FROM vehicles WHERE vin = '1FTVW1EL7NWG00001'" 'E-Transit, long "L3" roof'
check "embedded newline kept" eq "SELECT model = E'multi\\r\\nline' FROM vehicles WHERE vin = '5YJ3E1EA8KF000001'" t
check "a new fleet name creates the fleet" eq "SELECT count(*) FROM fleets WHERE name IN ('north', 'fleet \"two\"')" 2
check "empty optional field is NULL" eq "SELECT make IS NULL AND model_year IS NULL FROM vehicles WHERE vin = '5YJ3E1EA8KF000001'" t
expect "same file again: unchanged" 0 "0 inserted, 0 updated, 2 unchanged" "" -- import vins "$data/vins_quoting.csv" --config "$config"

# ---- row errors: FILE:LINE: column: message, exit 2, nothing written
expect "bad check digit" 2 "" "vins_bad_vin.csv:3: vin: check digit" -- import vins "$data/vins_bad_vin.csv" --config "$config"
expect "unknown column" 2 "" "vins_unknown_column.csv:1: color: unknown column" -- import vins "$data/vins_unknown_column.csv" --config "$config"
expect "--ignore-unknown-columns" 0 "1 rows" "" -- import vins "$data/vins_unknown_column.csv" --ignore-unknown-columns --config "$config"
expect "missing column" 2 "" "vins_missing_column.csv:1: depot: missing column" -- import vins "$data/vins_missing_column.csv" --config "$config"
expect "vehicle type unknown to the config" 2 "" "vins_unknown_type.csv:2: vehicle_type: is not a vehicle type" -- import vins "$data/vins_unknown_type.csv" --config "$config"
expect "duplicate VIN in the file" 2 "" "vins_duplicate.csv:3: vin: duplicate of line 2" -- import vins "$data/vins_duplicate.csv" --config "$config"
expect "... and in a dry run" 2 "" "vins_duplicate.csv:3: vin: duplicate of line 2" -- import vins "$data/vins_duplicate.csv" --dry-run --config "$config"
expect "unterminated quote" 2 "" "vins_unterminated.csv:2: malformed CSV" -- import vins "$data/vins_unterminated.csv" --config "$config"
expect "short row" 2 "" "vins_short_row.csv:2: row has 3 fields, the header has 4" -- import vins "$data/vins_short_row.csv" --config "$config"
expect "unknown fleet uuid" 2 "" "vins_unknown_fleet.csv:2: fleet: fleet \"00000000-0000-4000-8000-000000000000\" does not exist" -- import vins "$data/vins_unknown_fleet.csv" --config "$config"
expect "missing file" 2 "" "nope.csv: could not open" -- import vins "$tmp/nope.csv" --config "$config"
expect "unknown kind" 2 "" "unknown kind" -- import cars "$data/vins_quoting.csv"

# ---- 10,000 rows, one bad at line 9,999
python3 "$gen" 10000 "$tmp/10k.csv" --bad-line 9999
before=$(q "SELECT count(*) FROM vehicles")
expect "10,000 rows, bad row at line 9,999: named" 2 "" "10k.csv:9999: vin: check digit" -- import vins "$tmp/10k.csv" --config "$config"
check "... and nothing written" eq "SELECT count(*) FROM vehicles" "$before"
check "... no fleet created either" eq "SELECT count(*) FROM fleets" 2
expect "--dry-run validates only" 0 "2 rows valid" "" -- import vins "$data/vins_quoting.csv" --dry-run --config "$config"
python3 "$gen" 10000 "$tmp/10k.csv" --fleet depot-a
expect "10,000 rows" 0 "10000 inserted, 0 updated, 0 unchanged" "" -- import vins "$tmp/10k.csv" --config "$config"
python3 "$gen" 10000 "$tmp/10k.csv" --fleet depot-a --model E-Transit-2
head -5001 "$tmp/10k.csv" >"$tmp/half.csv"
python3 "$gen" 10000 "$tmp/10k.csv" --fleet depot-a
tail -n +5002 "$tmp/10k.csv" >>"$tmp/half.csv"
expect "re-import of a changed file counts updates" 0 "0 inserted, 5000 updated, 5000 unchanged" "" -- import vins "$tmp/half.csv" --config "$config"

# ---- two imports of the same file at once: no duplicates, no error surfaced
python3 "$gen" 20000 "$tmp/20k.csv" --fleet depot-b
imp vins "$tmp/20k.csv" >"$tmp/a.out" 2>&1 & pa=$!
imp vins "$tmp/20k.csv" >"$tmp/b.out" 2>&1 & pb=$!
ra=0 rb=0; wait $pa || ra=$?; wait $pb || rb=$?
if [ "$ra$rb" = 00 ] && [ "$(q "SELECT count(*) FROM vehicles v JOIN fleets f ON f.id = v.fleet_id WHERE f.name = 'depot-b'")" = 20000 ] &&
   [ "$(q "SELECT count(*) FROM fleets WHERE name = 'depot-b'")" = 1 ]; then
  ok "two concurrent imports: 20000 rows once, one fleet, both succeed"
else
  bad "two concurrent imports: 20000 rows once, one fleet, both succeed" "exit $ra $rb" "$(cat "$tmp/a.out" "$tmp/b.out" | tr '\n' ' ')"
fi

# ---- a process killed mid-import writes nothing
python3 "$gen" 300000 "$tmp/300k.csv" --fleet depot-c
before=$(q "SELECT count(*) FROM vehicles")
imp vins "$tmp/300k.csv" >/dev/null 2>&1 & pk=$!
for _ in $(seq 1 200); do
  [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY fsim_stage%'")" != 0 ] && break
  sleep 0.05
done
sleep 0.3
kill -9 $pk 2>/dev/null; wait $pk 2>/dev/null
sleep 0.3
check "killed mid-import: nothing written" eq "SELECT count(*) FROM vehicles" "$before"
check "killed mid-import: no fleet left behind" eq "SELECT count(*) FROM fleets WHERE name = 'depot-c'" 0

# ---- state data
expect "state data" 0 "3 rows: 3 inserted" "" -- import state-data "$data/state_data.csv"
check "codes upper-cased, empty diesel is NULL" eq "SELECT diesel_usd_per_gallon IS NULL FROM state_data WHERE state_code = 'TX'" t
expect "state data changed" 0 "4 rows: 1 inserted, 2 updated, 1 unchanged" "" -- import state-data "$data/state_data_changed.csv"
expect "unknown state code" 2 "" "state_bad_code.csv:3: state_code: must be a US state" -- import state-data "$data/state_bad_code.csv"
expect "negative price" 2 "" "state_negative.csv:2: electricity_usd_per_kwh: must be between 0 and 100" -- import state-data "$data/state_negative.csv"
expect "hex is not a number" 2 "" "state_hex.csv:2: electricity_usd_per_kwh: must be a number" -- import state-data "$data/state_hex.csv"

# ---- simulation series
q "UPDATE fleets SET state_code = 'CA' WHERE name = 'north'" >/dev/null
expect "simulation import" 0 "4 rows: simulation" "" -- import simulation "$data/sim_series.csv" --fleet north --name "measured week"
id=$(q "SELECT id FROM simulations WHERE name = 'measured week'")
check "stored as status imported" eq "SELECT status FROM simulations WHERE id = '$id'" imported
check "time series in the envelope" eq "SELECT jsonb_array_length(time_series_data) FROM simulations WHERE id = '$id'" 4
check "summary peak and energy" eq "SELECT metadata->'summary'->>'peakKw' FROM simulations WHERE id = '$id'" 80
check "energy cost from CA state data" eq "SELECT (metadata->'summary'->>'energyCost')::float8 > 0 FROM simulations WHERE id = '$id'" t
expect "same series again: unchanged" 0 "unchanged" "" -- import simulation "$data/sim_series.csv" --fleet north --name "measured week"
check "still one row" eq "SELECT count(*) FROM simulations WHERE name = 'measured week'" 1
expect "unknown fleet" 2 "" "fleet \"nowhere\" does not exist" -- import simulation "$data/sim_series.csv" --fleet nowhere --name x
expect "bad time" 2 "" "sim_bad_time.csv:3: t: must be an RFC 3339" -- import simulation "$data/sim_bad_time.csv" --fleet north --name y
expect "header and no rows: an error naming the file" 2 "" "sim_header_only.csv: no data rows" -- import simulation "$data/sim_header_only.csv" --fleet north --name z
expect "... in a dry run too" 2 "" "sim_header_only.csv: no data rows" -- import simulation "$data/sim_header_only.csv" --fleet north --name z --dry-run
check "... and nothing stored" eq "SELECT count(*) FROM simulations WHERE name = 'z'" 0
expect "--fleet required" 2 "" "--fleet and --name" -- import simulation "$data/sim_series.csv"
tap_done
