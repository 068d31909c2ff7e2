#!/bin/sh
# t_responder_bench.sh - throughput of the whole worker to a local webhook:
# N routed events become N signed posts to the real Python receiver
# (route lease, policy, route commit, delivery lease, render, JSON, sign,
# POST, finish), timed from start to the last recorded outcome.  Prints
# notices/s; asserts only that every notice arrived exactly once.
set -eu
. "$PB_SRCDIR/tests/e2e/responder_lib.sh"
N=${PB_RESPONDER_BENCH_N:-400}
start_capture
start_server wh
HELPDESK= GROUP_DELAY=0s write_conf "http://127.0.0.1:$port/ok" 'batch = 100;'
event --qid 4BENCH --count "$N" --submission inbound --rcpt "b@example.net"
t0=$(date +%s%N)
"$RESP" -f -c "$tmp/pb.conf" --once 2>"$tmp/bench.log" || fail "responder: $(cat "$tmp/bench.log")"
t1=$(date +%s%N)
[ "$(count_state sent)" -eq "$N" ] || fail "sent $(count_state sent) of $N: $(tail -3 "$tmp/bench.log")"
[ "$(grep -c '"sig_ok": true' "$tmp/wh.log")" -eq "$N" ] || fail "posts recorded: $(wc -l <"$tmp/wh.log")"
ms=$(( (t1 - t0) / 1000000 ))
[ "$ms" -gt 0 ] || ms=1
echo "responder throughput: $N webhook notices in ${ms} ms = $(( N * 1000 / ms )) notices/s (local Python receiver, whole worker)"
