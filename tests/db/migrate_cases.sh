#!/usr/bin/env bash
# Whole-program tests of `fleetsim migrate` against the server of with_postgres.sh: empty
# database, rerun (no-op), --check, a tampered file (refused, exit 2, file named), a broken
# migration (file and line named, nothing recorded), two concurrent runs (serialized).
# Usage (from meson): with_postgres.sh migrate_cases.sh FLEETSIM. Emits TAP.
fleetsim=$1
src=${FSIM_MIGRATIONS_DIR:?}
source "$(dirname "$0")/../lib/tap.sh"
q() { psql -X -qtA -v ON_ERROR_STOP=1 "$@"; }

mkdir "$tmp/m" && cp "$src"/*.sql "$tmp/m/"
expect "migrate an empty database" 0 "applied 0001_init" "" -- migrate --dir "$tmp/m"
expect "second run is a no-op" 0 "nothing to apply" "" -- migrate --dir "$tmp/m"
expect "--check: current" 0 "up to date" "" -- migrate --dir "$tmp/m" --check
[ "$(q -c 'SELECT count(*) FROM schema_migrations')" = "$(ls "$tmp/m"/*.sql | wc -l)" ] &&
  ok "schema_migrations has one row per file" || bad "schema_migrations has one row per file"
[ "$(q -c "SELECT length(checksum) FROM schema_migrations WHERE version = '0001'")" = 64 ] &&
  ok "checksum is a sha256" || bad "checksum is a sha256"

echo "-- edited after it was applied" >>"$tmp/m/0001_init.sql"
expect "tampered migration refused" 2 "" "0001_init.sql: checksum changed" -- migrate --dir "$tmp/m"
expect "--check reports it" 1 "" "checksum changed" -- migrate --dir "$tmp/m" --check
cp "$src/0001_init.sql" "$tmp/m/0001_init.sql"

printf 'CREATE TABLE fsim_ok (a int);\n\nSELECT nonsense FROM nowhere;\n' >"$tmp/m/9000_broken.sql"
expect "broken migration: file and line named" 1 "" "9000_broken.sql:3:" -- migrate --dir "$tmp/m"
[ "$(q -c "SELECT count(*) FROM schema_migrations WHERE version = '9000'")" = 0 ] &&
  [ "$(q -c "SELECT to_regclass('fsim_ok') IS NULL")" = t ] &&
  ok "broken migration rolled back entirely" || bad "broken migration rolled back entirely"
rm "$tmp/m/9000_broken.sql"
printf 'SELECT 1;\n' >"$tmp/m/bad-name.sql"
expect "file not named NNNN_name.sql" 2 "" "bad-name.sql" -- migrate --dir "$tmp/m"
rm "$tmp/m/bad-name.sql"

# two concurrent runs on a fresh database: one applies everything, the other waits and
# finds nothing (a slow migration makes them overlap)
q -c "CREATE DATABASE concurrent"
url2=${DATABASE_URL/\/fleetsim/\/concurrent}
mkdir "$tmp/c" && cp "$src"/*.sql "$tmp/c/" && printf 'SELECT pg_sleep(1);\n' >"$tmp/c/9001_slow.sql"
DATABASE_URL=$url2 "$fleetsim" migrate --dir "$tmp/c" >"$tmp/c1" 2>&1 & p1=$!
DATABASE_URL=$url2 "$fleetsim" migrate --dir "$tmp/c" >"$tmp/c2" 2>&1 & p2=$!
r1=0 r2=0; wait $p1 || r1=$?; wait $p2 || r2=$?
applied=$(cat "$tmp/c1" "$tmp/c2" | grep -c '^applied ')
nothing=$(cat "$tmp/c1" "$tmp/c2" | grep -c 'nothing to apply')
total=$(ls "$tmp/c"/*.sql | wc -l)
if [ "$r1$r2" = 00 ] && [ "$applied" = "$total" ] && [ "$nothing" = 1 ] &&
   [ "$(q -d concurrent -c 'SELECT count(*) FROM schema_migrations')" = "$total" ]; then
  ok "concurrent migrate: serialized, each file applied once"
else
  bad "concurrent migrate: serialized, each file applied once" "exit $r1 $r2" "$(cat "$tmp/c1" "$tmp/c2" | tr '\n' ' ')"
fi

(unset DATABASE_URL; expect "DATABASE_URL unset: usage error" 2 "" "DATABASE_URL" -- migrate --dir "$tmp/m"; echo "$n $failed" >"$tmp/counts")
read -r n failed <"$tmp/counts"
tap_done
