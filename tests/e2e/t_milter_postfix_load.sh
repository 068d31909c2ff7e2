#!/bin/sh
# t_milter_postfix_load.sh - plainbounce-milter under concurrent load on a
# real Postfix, then frozen with SIGSTOP.
#  - 200 parallel SMTP sessions (milter_burst.py): every record carries
#    exactly the Subject, Message-ID and recipients the client sent under
#    that queue ID; then smtp-source with 200 sessions; 0 records dropped, one record
#    per message Postfix logged.
#  - SIGSTOP: mail is delayed no longer than the configured milter timeouts
#    and delivered exactly once.
set -u
. "$(dirname "$0")/milter_lib.sh"
. "$(dirname "$0")/harness.sh"
PB_ON_EXIT=cleanup

start_postfix_milter ""

M="{ unix:$SOCK, default_action=accept, connect_timeout=2s, command_timeout=2s, content_timeout=4s }"
PB_A_MAIN_EXTRA="smtpd_milters = $M
non_smtpd_milters = $M
enable_long_queue_ids = yes
default_process_limit = 250
smtpd_client_connection_count_limit = 0"
pb_start

# 1. 200 parallel sessions, one message each, each with its own Subject,
#    Message-ID and recipients (milter_burst.py)
/usr/bin/python3 "$(dirname "$0")/milter_burst.py" "$PB_PORT_A" 200 \
	> "$T/burst" || fail "burst: some message refused"
LC_ALL=C sort "$T/burst" > "$T/sent"
eq "burst queued" "$(wc -l < "$T/sent")" 200
i=0
while [ "$(q "SELECT count(*) FROM milter_records")" -lt 200 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "only $(q "SELECT count(*) FROM milter_records") of 200 records"
	sleep 0.1
done
# compare every record with what the client sent under that queue ID
q "SELECT m.queue_id || char(9) || m.message_id || char(9) || m.subject ||
   char(9) || (SELECT group_concat(address, ',') FROM (SELECT address
   FROM milter_recipients WHERE record = m.id ORDER BY address))
   FROM milter_records m" | LC_ALL=C sort > "$T/stored"
cmp -s "$T/sent" "$T/stored" || { diff "$T/sent" "$T/stored" | head; fail "records differ from what was sent"; }
echo "ok: 200 records, each with exactly its own Subject, Message-ID and recipients"

# 2. smtp-source: 200 sessions, 400 messages
off=$(pb_log_size)
smtp-source -s 200 -m 400 -f alice@client.test -t src@sink.test \
	-S "smtp-source load" "127.0.0.1:$PB_PORT_A" || fail "smtp-source"
n=0
i=0
while :; do
	n=$(pb_log_slice "$off" | grep -c 'postfix/cleanup\[[0-9]*\]: [0-9A-Za-z]*: message-id=')
	[ "$n" -ge 400 ] && break
	i=$((i + 1)); [ $i -gt 100 ] && fail "Postfix accepted only $n of 400"
	sleep 0.1
done
i=0
while [ "$(q "SELECT count(*) FROM milter_records")" -lt 600 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "only $(q "SELECT count(*) FROM milter_records") of 600 records"
	sleep 0.1
done
pb_log_slice "$off" | sed -n 's/.*postfix\/cleanup\[[0-9]*\]: \([0-9A-Za-z]*\): message-id=.*/\1/p' |
	LC_ALL=C sort > "$T/logged"
q "SELECT queue_id FROM milter_records WHERE subject = 'smtp-source load'" | LC_ALL=C sort > "$T/recorded"
cmp -s "$T/logged" "$T/recorded" || fail "smtp-source: records and log differ"
echo "ok: 400 smtp-source messages, one record each"
eq "nothing dropped" "$(q "SELECT ifnull(sum(value), 0) FROM counters")" 0
grep -q "dropped" "$T/milter.log" && fail "milter logged drops"

# 3. SIGSTOP: delay bounded by the timeouts (2s+2s+4s), delivered once
kill -STOP "$MPID"
t0=$(date +%s%N)
sqid=$(pb_send --from alice@client.test --to frozen@sink.test --subject "frozen") ||
	{ kill -CONT "$MPID"; fail "mail refused while the milter is stopped"; }
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "submission took ${ms} ms with the milter stopped"
[ "$ms" -lt 8000 ] || { kill -CONT "$MPID"; fail "delay ${ms} ms beyond the timeouts"; }
pb_wait_log -t 10 "]: $sqid: to=<frozen@sink.test>.*status=sent" >/dev/null ||
	{ kill -CONT "$MPID"; fail "not delivered while the milter is stopped"; }
kill -CONT "$MPID"
sleep 2
eq "delivered once" "$(grep -c "to=<frozen@sink.test>.*status=sent" "$PB_A_LOG")" 1
stop_milter
echo "PASS"
