#!/bin/sh
# b_follow.sh - plainbounce-watcher following a live log (issue 5 point
# 7): lag from a line written to its event stored, and the watcher's CPU.
#
# Starts plainbounce-watcher -f on a fresh store following an empty file,
# then follow_lag.py appends lines of a generated log (bench/gen_log, the
# file b_import.sh uses; time stamps rewritten to the moment of writing)
# at PB_FOLLOW_RATE lines/s (default 2000) for PB_FOLLOW_SECONDS (default
# 60), and polls the store every 10 ms for new event rows.  Lag of an
# event = when its row first appears in the store - when the line that
# makes it (status=bounced) was written.  CPU = the watcher's utime +
# stime over the run / wall time, in % of one core.
# Targets: p99 lag < 1 s, CPU < 5%.  The watcher commits a batch when
# watcher.batch_interval has passed since its first line (or at
# batch_lines 1000), and looks for new lines every 50 ms.  Each commit
# also saves the state of the messages in flight (~0.5 MB here), so the
# interval trades CPU for lag.  The bench runs the default (500ms);
# PB_FOLLOW_BATCH_INTERVAL=200ms (say) tries another, and the output says
# which ran.
set -u
: "${PB_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${PB_BUILDDIR:=$PB_SRCDIR/build/default}"
. "$PB_SRCDIR/bench/bench_lib.sh"
rate=${PB_FOLLOW_RATE:-2000}
secs=${PB_FOLLOW_SECONDS:-60}
bi=${PB_FOLLOW_BATCH_INTERVAL:-}
f=$(bench_log "${PB_FOLLOW_N:-100000}") || exit 1
t=$(mktemp -d "${TMPDIR:-/tmp}/pb-bfollow.XXXXXX") || exit 1
wpid=
trap '[ -n "$wpid" ] && kill "$wpid" 2>/dev/null; rm -rf "$t"' EXIT
: > "$t/mail.log"
bikey=
[ -n "$bi" ] && bikey="batch_interval = \"$bi\";"
cat > "$t/pb.conf" <<CONF
store = { path = "$t/store.db"; };
classify = { rules = "$PB_SRCDIR/config/classify.rules"; };
watcher = { log_file = "$t/mail.log"; $bikey };
CONF
"$PB_BUILDDIR/plainbounce-watcher" -f -c "$t/pb.conf" 2> "$t/watcher.log" &
wpid=$!
i=0
until grep -q following "$t/watcher.log"; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$wpid" 2>/dev/null; then
		echo "watcher did not start:"; cat "$t/watcher.log"; exit 1
	fi
	sleep 0.05
done
echo "source: $f; $rate lines/s for $secs s; watcher timing: batch_interval ${bi:-500ms (default)}, batch_lines 1000, tick 10s (defaults); load $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$PB_SRCDIR/bench/follow_lag.py" "$f" "$t/mail.log" \
    "$t/store.db" "$wpid" "$rate" "$secs" > "$t/out" || exit 1
kill -TERM "$wpid"
wait "$wpid"
wrc=$?
wpid=
[ $wrc -eq 0 ] || { echo "watcher exited $wrc:"; tail -20 "$t/watcher.log"; exit 1; }
v() { sed -n "s/^$1 //p" "$t/out"; }
echo "written: $(v lines) lines in $(v write_seconds) s ($(v rate) lines/s); events stored: $(v events) ($(v historical) historical), $(v events_matched) matched to their line; bounce lines without an event: $(v event_lines_without_event)"
echo "watcher: $(v cpu_seconds) s CPU over $(v wall_seconds) s; rows: $(sqlite3 "$t/store.db" "SELECT (SELECT count(*) FROM messages) || ' messages, ' || (SELECT count(*) FROM recipients) || ' recipients, ' || (SELECT count(*) FROM attempts) || ' attempts, ' || (SELECT count(*) FROM outbox) || ' route rows'")"
awk -v p50="$(v lag_p50)" -v p99="$(v lag_p99)" -v max="$(v lag_max)" \
    -v cpu="$(v cpu_pct)" -v m="$(v events_matched)" \
    -v miss="$(v event_lines_without_event)" 'BEGIN {
	printf "lag line -> stored event: p50 %.3f s, p99 %.3f s, max %.3f s (%d events)\n", p50, p99, max, m;
	ok1 = m > 0 && miss == 0 && p99 < 1.0; ok2 = cpu < 5.0;
	printf "p99 lag < 1 s: %s\n", ok1 ? "PASS" : "FAIL";
	printf "watcher CPU %.2f%% of one core < 5%%: %s\n", cpu, ok2 ? "PASS" : "FAIL";
	exit (ok1 && ok2) ? 0 : 1 }'
