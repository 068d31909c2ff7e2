#!/bin/sh
# b_milter.sh - what plainbounce-milter costs the mail flow, measured on
# the e2e harness's real Postfix: runs alternate between smtpd_milters
# unset ("without"), set to plainbounce-milter ("with"), and set to
# null_milter, a milter that negotiates the same and does nothing ("null",
# Postfix's and libmilter's own share of the cost); ROUNDS each, default 5.  Per run: throughput of smtp-source
# (MSGS messages over SESSIONS parallel sessions, msgs/s) and per-message
# latency of SEQ sequential transactions on one connection (smtplat.py,
# MAIL to final 250).  Prints every run, then medians and spread (min-max)
# with and without, the throughput ratio and the added p99 latency.
# Targets (issue 6): added p99 latency <= 5 ms, throughput ratio >= 0.98
# (or within the run-to-run spread).
set -u
: "${PB_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${PB_BUILDDIR:=$PB_SRCDIR/build/default}"
ROUNDS=${ROUNDS:-5} MSGS=${MSGS:-1000} SESSIONS=${SESSIONS:-20} SEQ=${SEQ:-300}
PB_E2E=$PB_SRCDIR/tests/e2e
. "$PB_E2E/milter_lib.sh"
. "$PB_E2E/harness.sh"
PB_ON_EXIT=cleanup

chmod 755 "$T"
write_conf ""
sed -i 's/socket_group = "";/socket_group = "postfix";/; s/instance = "postfix-test";/instance = "postfix";/' "$CONF"
start_milter
NSOCK=$T/null.sock
"$PB_BUILDDIR/bench/null_milter" "unix:$NSOCK" 2>>"$T/null.log" &
NPID=$!
PB_ON_EXIT="kill $NPID; cleanup"
N="{ unix:$NSOCK, default_action=accept, connect_timeout=5s, command_timeout=5s, content_timeout=10s }"
M="{ unix:$SOCK, default_action=accept, connect_timeout=5s, command_timeout=5s, content_timeout=10s }"
PB_A_MAIN_EXTRA="enable_long_queue_ids = yes
default_process_limit = 250"
pb_start >/dev/null

# one_run LABEL - throughput and latency; appends "LABEL rate p50 p99"
one_run() {
	label=$1
	t0=$(date +%s%N)
	smtp-source -s "$SESSIONS" -m "$MSGS" -f bench@client.test \
		-t bench@sink.test "127.0.0.1:$PB_PORT_A" || fail "smtp-source"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	rate=$(awk -v n="$MSGS" -v ms="$ms" 'BEGIN { printf "%.1f", n * 1000 / ms }')
	lat=$(/usr/bin/python3 "$PB_SRCDIR/bench/smtplat.py" "$PB_PORT_A" "$SEQ") ||
		fail "smtplat"
	set -- $lat
	echo "$label $rate $3 $5" >> "$T/runs"
	printf '%-8s %8s msgs/s   latency p50 %s ms  p99 %s ms  max %s ms\n' \
		"$label" "$rate" "$3" "$5" "$7"
	# let the queue drain so runs do not pile up on each other
	i=0
	while [ "$(pb_queue_count)" -gt 0 ] && [ $i -lt 300 ]; do
		i=$((i + 1)); sleep 0.1
	done
}

# cpu_ticks - user+system clock ticks the milter has used so far
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$MPID/stat"; }
cpu0=$(cpu_ticks)

echo "milter bench: $ROUNDS rounds, $MSGS msgs x $SESSIONS sessions, $SEQ sequential"
r=1
while [ $r -le "$ROUNDS" ]; do
	pb_conf_a "smtpd_milters=$M"
	one_run with
	pb_conf_a "smtpd_milters="
	one_run without
	pb_conf_a "smtpd_milters=$N"
	one_run null
	r=$((r + 1))
done

# summary: median and spread per label, then the comparison
awk '
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function lo(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] < m) m = a[i]; return m }
function hi(a, n,   i, m) { m = a[1]; for (i = 2; i <= n; i++) if (a[i] > m) m = a[i]; return m }
$1 == "with"    { wr[++nw] = $2; w50[nw] = $3; w99[nw] = $4 }
$1 == "without" { or_[++no] = $2; o50[no] = $3; o99[no] = $4 }
$1 == "null"    { nr[++nn] = $2; n50[nn] = $3; n99[nn] = $4 }
END {
	printf "with:    %.1f msgs/s (spread %.1f-%.1f), p50 %.3f ms, p99 %.3f ms (spread %.3f-%.3f)\n",
		median(wr, nw), lo(wr, nw), hi(wr, nw), median(w50, nw), median(w99, nw), lo(w99, nw), hi(w99, nw)
	printf "without: %.1f msgs/s (spread %.1f-%.1f), p50 %.3f ms, p99 %.3f ms (spread %.3f-%.3f)\n",
		median(or_, no), lo(or_, no), hi(or_, no), median(o50, no), median(o99, no), lo(o99, no), hi(o99, no)
	printf "null:    %.1f msgs/s (spread %.1f-%.1f), p50 %.3f ms, p99 %.3f ms (spread %.3f-%.3f)\n",
		median(nr, nn), lo(nr, nn), hi(nr, nn), median(n50, nn), median(n99, nn), lo(n99, nn), hi(n99, nn)
	printf "null milter vs without: throughput ratio %.3f, added p99 %.3f ms (Postfix+libmilter share)\n",
		median(nr, nn) / median(or_, no), median(n99, nn) - median(o99, no)
	printf "plainbounce vs null:    throughput ratio %.3f, added p99 %.3f ms (plainbounce share)\n",
		median(wr, nw) / median(nr, nn), median(w99, nw) - median(n99, nn)
	ratio = median(wr, nw) / median(or_, no)
	added = median(w99, nw) - median(o99, no)
	printf "throughput ratio %.3f (goal >= 0.98; spread without %.1f-%.1f)\n", ratio, lo(or_, no), hi(or_, no)
	printf "added p99 latency %.3f ms (target <= 5 ms)\n", added
	printf "added p50 latency %.3f ms\n", median(w50, nw) - median(o50, no)
}' "$T/runs"
n=$(q "SELECT count(*) FROM milter_records")
awk -v t="$(( $(cpu_ticks) - cpu0 ))" -v hz="$(getconf CLK_TCK)" -v n="$n" \
	'BEGIN { printf "milter CPU: %.2f s for %d messages = %.0f us/message\n", t / hz, n, t / hz * 1e6 / n }'
dropped=$(q "SELECT ifnull(sum(value), 0) FROM counters")
echo "milter records $(q "SELECT count(*) FROM milter_records"), dropped $dropped"
kill "$NPID" 2>/dev/null
stop_milter
