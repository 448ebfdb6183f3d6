#!/usr/bin/env bash
# Benchmark: `fleetsim import vins` of N rows (default 1,000,000) against the raw
# `psql -c "\copy vehicles …"` of the same file into the same table — `vehicles` itself
# (uuid key, unique VIN, the fleet foreign key, its CHECKs and index), emptied before each
# load — on the server of tests/db/with_postgres.sh. Three imports: into the empty fleet
# (the staging table, then one upsert), the same file again (the upsert, all unchanged),
# and the file into a table already holding its first half (the upsert, half new; the half
# is loaded by an untimed raw COPY). The raw COPY runs before and after each round's
# imports; their mean is the round's raw figure. The loads take turns for
# $FSIM_BENCH_ROUNDS rounds (default 3), so all see about the same machine; it prints every
# round and the medians: seconds, rows/s and the import's ratio to the raw COPY of its round,
# and the CPU seconds the load cost (the client plus every PostgreSQL process of the server:
# on a shared machine a steadier figure than the wall clock) with their ratio.
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
head -n $(( rows / 2 + 1 )) "$tmp/vins.csv" >"$tmp/half.csv"
printf '# file: %d rows, %d MB; machine: %d cores, load average %s\n' "$rows" \
  $(( $(stat -c %s "$tmp/vins.csv") / 1000000 )) "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"

empty() { q "TRUNCATE vehicles"; q "VACUUM ANALYZE vehicles"; }
# CPU ticks so far of this shell's finished children and of the server: the postmaster, the
# children it reaped (a connection's backend) and the live ones
tck=$(getconf CLK_TCK)
pm=$(head -1 "${FSIM_PG_DIR:?}/data/postmaster.pid")
cpu() {
  { awk '{print $16 + $17}' /proc/$$/stat; awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
    for c in $(pgrep -P "$pm"); do awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || true; done
  } | awk '{s += $1} END {print s}'
}
# timed NAME CMD…: runs CMD, appends its seconds to $tmp/NAME and its CPU seconds (client and
# server) to $tmp/NAME.cpu
timed() {
  local name=$1 t0 t1 c0 c1; shift
  sleep 0.3; c0=$(cpu)
  t0=$(now); "$@" >/dev/null; t1=$(now)
  sleep 0.3; c1=$(cpu) # the load's backend has exited and been reaped
  echo "$t1 - $t0" | bc -l >>"$tmp/$name"
  echo "($c1 - $c0) / $tck" | bc -l >>"$tmp/$name.cpu"
}
raw_copy() { # raw_copy [FILE]
  psql -X -q -v ON_ERROR_STOP=1 -c "\\copy vehicles (vin, fleet_id, vehicle_type, depot, make, model, model_year) FROM '${1:-$tmp/vins.csv}' WITH (FORMAT csv, HEADER true)"
}
import() { "$1" import vins "$tmp/vins.csv" --config "$root/config"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
line() { # line LABEL SECONDS CPU_SECONDS [RAW_SECONDS RAW_CPU_SECONDS]
  printf '%-38s %7.2f s  %9.0f rows/s  cpu %6.2f s' "$1" "$2" "$(echo "$rows / $2" | bc -l)" "$3"
  [ -z "${4:-}" ] || printf '  %sx raw COPY (cpu %sx)' "$(ratio "$2" "$4")" "$(ratio "$3" "$5")"
  echo
}
names=(raw ours again half)
labels=("raw \\copy into vehicles (empty)" "fleetsim import (empty fleet)" "fleetsim import (again: unchanged)"
        "fleetsim import (half new)")
[ -z "$base" ] || { names+=(base); labels+=("base fleetsim import (empty fleet)"); }
for r in $(seq "$rounds"); do
  empty; timed raw raw_copy
  empty; timed ours import "$fleetsim"
  timed again import "$fleetsim"
  [ -z "$base" ] || { empty; timed base import "$base"; }
  empty; raw_copy "$tmp/half.csv" >/dev/null; q "VACUUM ANALYZE vehicles"
  timed half import "$fleetsim"
  [ "$(q "SELECT count(*) FROM vehicles")" = "$rows" ] || { echo "bench_import: rows missing"; exit 1; }
  empty; timed raw_after raw_copy
  # the round's raw COPY: the mean of the one before and the one after its imports (the
  # machine may change within a round)
  raw=$(echo "($(sed -n "${r}p" "$tmp/raw") + $(sed -n "${r}p" "$tmp/raw_after")) / 2" | bc -l)
  rawc=$(echo "($(sed -n "${r}p" "$tmp/raw.cpu") + $(sed -n "${r}p" "$tmp/raw_after.cpu")) / 2" | bc -l)
  echo "$raw" >>"$tmp/raw_mean"; echo "$rawc" >>"$tmp/raw_mean.cpu"
  echo "round $r"
  line "  ${labels[0]}" "$raw" "$rawc"
  for k in "${!names[@]}"; do
    [ "$k" -gt 0 ] || continue
    s=$(sed -n "${r}p" "$tmp/${names[$k]}") c=$(sed -n "${r}p" "$tmp/${names[$k]}.cpu")
    ratio "$s" "$raw" >>"$tmp/${names[$k]}.ratio"; echo >>"$tmp/${names[$k]}.ratio"
    ratio "$c" "$rawc" >>"$tmp/${names[$k]}.cpuratio"; echo >>"$tmp/${names[$k]}.cpuratio"
    line "  ${labels[$k]}" "$s" "$c" "$raw" "$rawc"
  done
done
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "median of $rounds rounds (the ratios: the medians of the rounds' ratios)"
line "  ${labels[0]}" "$(median <"$tmp/raw_mean")" "$(median <"$tmp/raw_mean.cpu")"
for k in "${!names[@]}"; do
  [ "$k" -gt 0 ] || continue
  printf '%-38s %7.2f s  %9.0f rows/s  cpu %6.2f s  %sx raw COPY (cpu %sx)\n' "  ${labels[$k]}" \
    "$(median <"$tmp/${names[$k]}")" "$(echo "$rows / $(median <"$tmp/${names[$k]}")" | bc -l)" \
    "$(median <"$tmp/${names[$k]}.cpu")" "$(median <"$tmp/${names[$k]}.ratio")" \
    "$(median <"$tmp/${names[$k]}.cpuratio")"
done
