#!/usr/bin/env bash
# Benchmark: `fleetsim import vins` of N rows (default 1,000,000) against the raw
# `psql -c "\copy vehicles …"` of the same file into the same table — `vehicles` itself
# (uuid key, unique VIN, the fleet foreign key, its CHECKs and index), emptied before each
# load — on the server of tests/db/with_postgres.sh. The raw COPY runs before and after each
# round's imports; their mean is the round's raw figure. The loads take turns for
# $FSIM_BENCH_ROUNDS rounds (default 3), so all see about the same machine; it prints every
# round and the medians: seconds, rows/s and the import's ratio to the raw COPY of its round.
# FSIM_BENCH_IMPORT_BASE=/path/to/an/older/fleetsim adds that binary's import to each round.
# Figures only, never a threshold. Usage: with_postgres.sh bench_import.sh FLEETSIM [N]
set -euo pipefail
fleetsim=$1
rows=${2:-${FSIM_BENCH_IMPORT_ROWS:-1000000}}
rounds=${FSIM_BENCH_ROUNDS:-3}
base=${FSIM_BENCH_IMPORT_BASE:-}
root=${FSIM_SOURCE_ROOT:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
q() { psql -X -qtA -v ON_ERROR_STOP=1 -c "$1"; }
now() { date +%s.%N; }

"$fleetsim" migrate --dir "$root/migrations" >/dev/null
fleet=$(q "INSERT INTO fleets (name) VALUES ('bench') RETURNING id")
python3 "$root/tests/db/gen_vins.py" "$rows" "$tmp/vins.csv" --fleet "$fleet"
printf '# file: %d rows, %d MB; machine: %d cores, load average %s\n' "$rows" \
  $(( $(stat -c %s "$tmp/vins.csv") / 1000000 )) "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"

empty() { q "TRUNCATE vehicles"; q "VACUUM ANALYZE vehicles"; }
# timed NAME CMD…: runs CMD, appends its seconds to $tmp/NAME
timed() {
  local name=$1 t0 t1; shift
  t0=$(now); "$@" >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc -l >>"$tmp/$name"
}
raw_copy() {
  psql -X -q -v ON_ERROR_STOP=1 -c "\\copy vehicles (vin, fleet_id, vehicle_type, depot, make, model, model_year) FROM '$tmp/vins.csv' WITH (FORMAT csv, HEADER true)"
}
import() { "$1" import vins "$tmp/vins.csv" --config "$root/config"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
line() { # line LABEL SECONDS [RAW_SECONDS]
  printf '%-38s %7.2f s  %9.0f rows/s' "$1" "$2" "$(echo "$rows / $2" | bc -l)"
  [ -z "${3:-}" ] || printf '  %sx raw COPY' "$(ratio "$2" "$3")"
  echo
}
names=(raw ours again)
labels=("raw \\copy into vehicles (empty)" "fleetsim import (empty)" "fleetsim import (again: unchanged)")
[ -z "$base" ] || { names+=(base); labels+=("base fleetsim import (empty)"); }
for r in $(seq "$rounds"); do
  empty; timed raw raw_copy
  empty; timed ours import "$fleetsim"
  timed again import "$fleetsim"
  [ -z "$base" ] || { empty; timed base import "$base"; }
  [ "$(q "SELECT count(*) FROM vehicles")" = "$rows" ] || { echo "bench_import: rows missing"; exit 1; }
  empty; timed raw_after raw_copy
  # the round's raw COPY: the mean of the one before and the one after its imports (the
  # machine may change within a round)
  raw=$(echo "($(sed -n "${r}p" "$tmp/raw") + $(sed -n "${r}p" "$tmp/raw_after")) / 2" | bc -l)
  echo "$raw" >>"$tmp/raw_mean"
  echo "round $r"
  line "  ${labels[0]}" "$raw"
  for k in "${!names[@]}"; do
    [ "$k" -gt 0 ] || continue
    s=$(sed -n "${r}p" "$tmp/${names[$k]}")
    ratio "$s" "$raw" >>"$tmp/${names[$k]}.ratio"; echo >>"$tmp/${names[$k]}.ratio"
    line "  ${labels[$k]}" "$s" "$raw"
  done
done
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "median of $rounds rounds (the ratio: the median of the rounds' ratios)"
line "  ${labels[0]}" "$(median <"$tmp/raw_mean")"
for k in "${!names[@]}"; do
  [ "$k" -gt 0 ] || continue
  printf '%-38s %7.2f s  %9.0f rows/s  %sx raw COPY\n' "  ${labels[$k]}" "$(median <"$tmp/${names[$k]}")" \
    "$(echo "$rows / $(median <"$tmp/${names[$k]}")" | bc -l)" "$(median <"$tmp/${names[$k]}.ratio")"
done
