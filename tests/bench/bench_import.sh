#!/usr/bin/env bash
# Benchmark: `fleetsim import vins` of N rows (default 1,000,000) against the raw
# `psql -c "\copy vehicles …"` of the same file into the same table, in the same run, on the
# server of tests/db/with_postgres.sh. Prints rows/s and the ratio (target: <= 1.5x).
# Figures only, never a threshold. Usage: with_postgres.sh bench_import.sh FLEETSIM [N]
set -euo pipefail
fleetsim=$1
rows=${2:-${FSIM_BENCH_IMPORT_ROWS:-1000000}}
root=${FSIM_SOURCE_ROOT:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
q() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }
now() { date +%s.%N; }

"$fleetsim" migrate --dir "$root/migrations" >/dev/null
fleet=$(q "INSERT INTO fleets (name) VALUES ('bench') RETURNING id")
python3 "$root/tests/db/gen_vins.py" "$rows" "$tmp/vins.csv" --fleet "$fleet"
printf '# file: %d rows, %d MB\n' "$rows" $(( $(stat -c %s "$tmp/vins.csv") / 1000000 ))

t0=$(now)
psql -X -q -v ON_ERROR_STOP=1 -c "\\copy vehicles (vin, fleet_id, vehicle_type, depot, make, model, model_year) FROM '$tmp/vins.csv' WITH (FORMAT csv, HEADER true)"
t1=$(now)
raw=$(echo "$t1 - $t0" | bc -l)
q "TRUNCATE vehicles"
q "VACUUM ANALYZE vehicles" 2>/dev/null || true

t0=$(now)
"$fleetsim" import vins "$tmp/vins.csv" --config "$root/config"
t1=$(now)
ours=$(echo "$t1 - $t0" | bc -l)

t0=$(now)
"$fleetsim" import vins "$tmp/vins.csv" --config "$root/config"
t1=$(now)
again=$(echo "$t1 - $t0" | bc -l)

printf 'raw \\copy into vehicles:  %8.2f s  %10.0f rows/s\n' "$raw" "$(echo "$rows / $raw" | bc -l)"
printf 'fleetsim import (empty): %8.2f s  %10.0f rows/s  (%.2fx raw COPY)\n' "$ours" "$(echo "$rows / $ours" | bc -l)" "$(echo "$ours / $raw" | bc -l)"
printf 'fleetsim import (again): %8.2f s  %10.0f rows/s  (all unchanged)\n' "$again" "$(echo "$rows / $again" | bc -l)"
