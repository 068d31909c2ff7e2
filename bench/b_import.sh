#!/bin/sh
# b_import.sh - `plainbounce import` into a fresh store (every outcome
# stored: messages, recipients, attempts, events), beside parse-only
# (bench_parse) and pflogsumm on the same generated file in the same run
# (issue 5 point 7).
#
# Uses the logs b_parse.sh generates under $PB_BENCH_DIR (default
# /tmp/pb-bench), generating the one it needs when absent.  File:
# PB_IMPORT_N messages (default 1000000; 100000 for a quick look).
# Targets checked: import >= 15x faster than pflogsumm, <= 3x slower than
# parse-only; peak RSS <= 64 MiB.  Also printed: the SQLite floor, the
# time the sqlite3 CLI takes to insert the rows the import wrote into the
# same schema, so the figures show how far the store alone is from the
# targets, and two lower floors: the rows with no secondary index, and
# the secondary indexes built once at the end.
set -u
. "$(dirname "$0")/bench_lib.sh"
f=$(bench_log "${PB_IMPORT_N:-1000000}") || exit 1
t=$(mktemp -d "${TMPDIR:-/tmp}/pb-bimport.XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT
cat > "$t/pb.conf" <<CONF
store = { path = "$t/store.db"; };
classify = { rules = "$PB_SRCDIR/config/classify.rules"; };
CONF
lines=$(wc -l < "$f")
echo "file: $f ($lines lines, $(du -m "$f" | cut -f1) MB); load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$f" > /dev/null
/usr/bin/time -f '%e %M' -o "$t/parse" "$PB_BUILDDIR/bench/bench_parse" -l 7200 "$f" > /dev/null 2>&1
cat "$f" > /dev/null
TZ=UTC /usr/bin/time -f '%e %M' -o "$t/import" "$PB_BUILDDIR/plainbounce" import -c "$t/pb.conf" "$f" || exit 1
cat "$f" > /dev/null
/usr/bin/time -f '%e' -o "$t/pfl" /usr/sbin/pflogsumm "$f" > /dev/null 2>&1
read -r tp _ < "$t/parse"
read -r ti rss < "$t/import"
read -r tf < "$t/pfl"
rows=$(sqlite3 "$t/store.db" "SELECT (SELECT count(*) FROM messages) || ' messages, ' || (SELECT count(*) FROM recipients) || ' recipients, ' || (SELECT count(*) FROM attempts) || ' attempts, ' || (SELECT count(*) FROM events) || ' events'")
echo "rows: $rows"
# The SQLite floor: the same rows into an empty store of the same schema,
# one INSERT ... SELECT per table from the sqlite3 CLI, with the import's
# settings (WAL, synchronous NORMAL, no CHECKs, 24 MiB cache).  "WHERE 1"
# keeps SQLite from copying the b-trees wholesale (its transfer
# optimisation), so every row and index entry is inserted as import does.
sqlite3 "$t/store.db" .schema > "$t/schema.sql"
grep -v '^CREATE \(UNIQUE \)\{0,1\}INDEX' "$t/schema.sql" > "$t/tables.sql"
grep '^CREATE \(UNIQUE \)\{0,1\}INDEX' "$t/schema.sql" > "$t/indexes.sql"
# floor NAME SCHEMA [AFTER] - time the copy into a new store made from
# SCHEMA, running the statements in AFTER inside the same transaction;
# prints "wall user sys"
floor() {
	rm -f "$t/$1.db" "$t/$1.db-wal" "$t/$1.db-shm"
	sqlite3 "$t/$1.db" "PRAGMA journal_mode = WAL" > /dev/null
	sqlite3 "$t/$1.db" < "$2"
	{
		echo "PRAGMA synchronous = NORMAL; PRAGMA ignore_check_constraints = ON;"
		echo "PRAGMA cache_size = -24576; ATTACH '$t/store.db' AS src; BEGIN;"
		for tb in messages recipients attempts events; do
			echo "INSERT INTO main.$tb SELECT * FROM src.$tb WHERE 1;"
		done
		[ -n "${3:-}" ] && cat "$3"
		echo "COMMIT;"
	} > "$t/$1.sql"
	/usr/bin/time -f '%e %U %S' -o "$t/$1.time" sqlite3 "$t/$1.db" < "$t/$1.sql" || return 1
	rm -f "$t/$1.db" "$t/$1.db-wal" "$t/$1.db-shm"
	cat "$t/$1.time"
}
floor full "$t/schema.sql" > "$t/f1" || exit 1
read -r tfl tflu tfls < "$t/f1"
# Two lower floors: no secondary index at all (each table keeps only its
# own UNIQUE constraints, which dedupe needs), and the secondary indexes
# built once at the end instead of row by row.
floor noindex "$t/tables.sql" > "$t/f2" || exit 1
floor late "$t/tables.sql" "$t/indexes.sql" > "$t/f3" || exit 1
read -r tnoi _ < "$t/f2"
read -r tlate _ < "$t/f3"
echo "$tp $ti $tf $rss $lines $tfl $tflu $tfls $tnoi $tlate" | awk '{
	printf "parse-only %.2f s; import %.2f s (%d lines/s); pflogsumm %.2f s\n", $1, $2, $5 / $2, $3;
	target = $3 / 15 < $1 * 3 ? $3 / 15 : $1 * 3;
	printf "sqlite floor (same rows, same schema, INSERT ... SELECT per table): %.2f s (%.2f user %.2f sys); the targets allow import %.2f s: the store alone is %.1fx that\n", $6, $7, $8, target, $6 / target;
	printf "sqlite floor, rows only (no secondary index): %.2f s; secondary indexes built once at the end: %.2f s\n", $9, $10;
	printf "import vs pflogsumm: %.1fx faster (need >= 15)  %s\n", $3 / $2, ($3 / $2 >= 15 ? "ok" : "FAIL");
	printf "import vs parse-only: %.1fx slower (need <= 3)  %s\n", $2 / $1, ($2 / $1 <= 3 ? "ok" : "FAIL");
	printf "import peak RSS: %.1f MiB (need <= 64)  %s\n", $4 / 1024, ($4 <= 65536 ? "ok" : "FAIL");
	exit (($3 / $2 >= 15 && $2 / $1 <= 3 && $4 <= 65536) ? 0 : 1) }'
