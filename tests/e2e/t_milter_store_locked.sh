#!/bin/sh
# t_milter_store_locked.sh - another process holds the store's write lock
# for 6 s while 100 messages arrive: every callback still answers at
# once, records beyond the queue are dropped and counted, and recording
# resumes when the lock goes.  milter.queue_size is made small (16) so the
# queue fills; in production it is 10000.
set -u
. "$(dirname "$0")/milter_lib.sh"

write_conf "queue_size = 16;"
start_milter

# hold BEGIN IMMEDIATE for 6 s from a separate process
lock_store 6

start=$(date +%s%N)
mt many
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "100 messages took ${ms} ms with the store locked"
[ "$ms" -lt 4000 ] || fail "mail was held up: ${ms} ms for 100 messages"
kill -0 "$LPID" 2>/dev/null || fail "the lock ended before the messages did"
wait "$LPID"

# after the lock: the held batch and the queue are written, drops counted
wait_accounted 100
[ "$stored" -ge 16 ] || fail "fewer than a queue's worth stored: $stored"
[ "$dropped" -gt 0 ] || fail "nothing dropped"
grep -q "dropped [0-9]* milter record" "$T/milter.log" ||
	fail "drop not logged"
grep -q "store busy" "$T/milter.log" || fail "busy store not logged"
[ "$(grep -c 'dropped [0-9]* milter record' "$T/milter.log")" -eq 1 ] ||
	fail "drop warnings not rate limited"

# recording resumes: five more messages (one at a time: this queue of 16
# is meant to overflow under a lock, not under a burst)
for n in 1 2 3 4 5; do mt stages; done
wait_resumed "SELECT count(*) >= $((stored + 5)) FROM milter_records"
stop_milter
echo "PASS"
