#!/bin/sh
# t_milter_postfix_locked.sh - the store locked by another process for
# 10 s while mail goes through a real Postfix with the milter: every
# submission is accepted at once, the records that do not fit the queue
# are dropped and counted, and recording resumes when the lock goes.
# milter.queue_size is 16 here (10000 in production) so the queue fills
# with few messages (30 parallel sessions while locked; after the lock,
# one message at a time).
set -u
. "$(dirname "$0")/milter_lib.sh"
. "$(dirname "$0")/harness.sh"
PB_ON_EXIT=cleanup

start_postfix_milter "queue_size = 16;"
M="{ unix:$SOCK, default_action=accept, connect_timeout=5s, command_timeout=5s, content_timeout=10s }"
PB_A_MAIN_EXTRA="smtpd_milters = $M
non_smtpd_milters = $M
enable_long_queue_ids = yes"
pb_start

lock_store 10

off=$(pb_log_size)
t0=$(date +%s%N)
pb_send --from alice@client.test --to locked@sink.test --subject locked \
	--burst 30 > "$T/qids" || fail "a submission was refused"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "30 submissions took ${ms} ms with the store locked"
kill -0 "$LPID" 2>/dev/null || fail "the lock ended before the submissions did (${ms} ms)"
wait "$LPID"
i=0
while [ "$(pb_log_slice "$off" | grep -c 'to=<locked@sink.test>.*status=sent')" -lt 30 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "not all 30 messages delivered"
	sleep 0.1
done
echo "ok: all 30 delivered"

wait_accounted 30 "WHERE subject LIKE 'locked #%'"
[ "$dropped" -gt 0 ] || fail "nothing dropped"
# the records kept are real ones: queue ID and Subject as the client saw
awk -F '\t' '{ print $1 "\t" $3 }' "$PB_SENT" | LC_ALL=C sort > "$T/sent"
q "SELECT queue_id || char(9) || subject FROM milter_records" |
	LC_ALL=C sort > "$T/stored"
[ "$(LC_ALL=C comm -13 "$T/sent" "$T/stored" | wc -l)" -eq 0 ] ||
	fail "a stored record matches no submission"
echo "ok: every stored record matches its submission"

# recording resumes
qid=$(pb_send --from alice@client.test --to after@sink.test --subject "after") ||
	fail "submission after the lock"
wait_resumed "SELECT count(*) = 1 FROM milter_records WHERE queue_id = '$qid'"
stop_milter
echo "PASS"
