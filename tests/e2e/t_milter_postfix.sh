#!/bin/sh
# t_milter_postfix.sh - plainbounce-milter wired into a real Postfix (the
# harness's instance A) through smtpd_milters and non_smtpd_milters, as
# contrib/postfix-main.cf says.  The store's rows must match the log's
# message-id= and from= lines for SMTP, for sendmail submissions and for
# a SASL-authenticated submission (Postfix's dovecot SASL client against
# the harness's private Dovecot, PB_SASL=1); a missing Message-ID is the
# one cleanup adds; with the milter stopped, mail is still delivered and
# costs under 0.5 s more.
set -u
. "$(dirname "$0")/milter_lib.sh"
. "$(dirname "$0")/harness.sh"
PB_ON_EXIT=cleanup

# Postfix's smtpd and cleanup (user postfix) must reach the socket
start_postfix_milter ""

# SASL: the harness starts Dovecot (Debian's dovecot-core) for A's smtpd
PB_SASL=1 PB_SASL_USERS=alice:s3cret

M="{ unix:$SOCK, default_action=accept, connect_timeout=5s, command_timeout=5s, content_timeout=10s }"
PB_A_MAIN_EXTRA="smtpd_milters = $M
non_smtpd_milters = $M
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
enable_long_queue_ids = yes"
pb_start

# wait_record QID - until the milter's row for QID is in the store
wait_record() {
	i=0
	while [ "$(q "SELECT count(*) FROM milter_records WHERE queue_id = '$1'")" != 1 ]; do
		i=$((i + 1)); [ $i -gt 50 ] && fail "no milter record for $1"
		sleep 0.1
	done
}

# log_field QID FIELD - the value of FIELD=<...> on QID's log line
log_field() {
	pb_wait_log -t 10 "]: $1: .*$2=" | sed -n "s/.*$2=\\(<[^>]*>\\).*/\\1/p" | head -n 1
}

# check_against_log QID WHAT - record's Message-ID and sender = the log's
check_against_log() {
	wait_record "$1"
	eq "$2: message-id= matches" \
	   "$(q "SELECT message_id FROM milter_records WHERE queue_id = '$1'")" \
	   "$(log_field "$1" message-id)"
	eq "$2: from= matches" \
	   "<$(q "SELECT sender FROM milter_records WHERE queue_id = '$1'")>" \
	   "$(log_field "$1" from)"
}

# 1. SMTP from a trusted client, encoded Subject, NOTIFY, two recipients
qid=$(pb_send --from alice@client.test --to ok1@sink.test --to ok2@sink.test \
	--subject "=?UTF-8?Q?caf=C3=A9_report?=" --notify FAILURE,DELAY) ||
	fail "SMTP submission refused"
echo "smtp qid $qid"
check_against_log "$qid" smtp
eq "smtp facts" "$(q "SELECT instance || '|' || submission || '|' || subject ||
  '|' || client_addr || '|' || daemon_name FROM milter_records
  WHERE queue_id = '$qid'")" "postfix|trusted|café report|127.0.0.1|mail.client.test"
eq "smtp recipients" "$(q "SELECT group_concat(address || ' ' || notify, ',')
  FROM (SELECT r.address, r.notify FROM milter_recipients r JOIN milter_records m
  ON m.id = r.record WHERE m.queue_id = '$qid' ORDER BY r.address)")" \
  "ok1@sink.test FAILURE,DELAY,ok2@sink.test FAILURE,DELAY"
pb_wait_log -t 10 "]: $qid: to=<ok2@sink.test>.*status=sent" >/dev/null ||
	fail "smtp message not delivered"

# 2. sendmail (pickup): a local submission
lqid=$(pb_sendmail -f root@client.test -s "cron output" ops@sink.test) ||
	fail "sendmail submission"
echo "sendmail qid $lqid"
check_against_log "$lqid" sendmail
eq "sendmail facts" "$(q "SELECT submission || '|' || subject || '|' ||
  client_name || '|' || client_addr FROM milter_records
  WHERE queue_id = '$lqid'")" "local|cron output|localhost|127.0.0.1"

# 3. no Message-ID from a local SMTP client: the milter sees cleanup's own
nqid=$(pb_send --from bob@client.test --to ok3@sink.test --message-id '' \
	--subject "no id") || fail "SMTP submission without Message-ID"
check_against_log "$nqid" "missing Message-ID"
q "SELECT message_id FROM milter_records WHERE queue_id = '$nqid'" |
	grep -q "^<$nqid@mail.client.test>$" ||
	fail "expected cleanup's Message-ID <$nqid@mail.client.test>"

# 4. SASL-authenticated submission: the log's sasl_username= and the record
aqid=$(pb_send --auth alice:s3cret --from alice@client.test --to ok6@sink.test \
	--subject "authenticated") || fail "SASL submission refused"
check_against_log "$aqid" sasl
pb_wait_log -t 10 "]: $aqid: client=localhost\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice$" >/dev/null ||
	fail "log has no sasl_username=alice for $aqid"
eq "sasl facts" "$(q "SELECT submission || '|' || sasl_user FROM milter_records
  WHERE queue_id = '$aqid'")" "authenticated|alice"

# 5. the milter stopped: mail still flows, and fast.  Each timing is the
#    median of three submissions, so one scheduling hiccup on a busy
#    machine does not decide the result.
# send_ms TAG - milliseconds per submission, median of three; last QID in $T/last
send_ms() {
	: > "$T/ms"
	for n in 1 2 3; do
		t0=$(date +%s%N)
		pb_send --from alice@client.test --to "$1$n@sink.test" \
			--subject "$1 $n" > "$T/last" || fail "submission $1 $n refused"
		echo $(( ($(date +%s%N) - t0) / 1000000 )) >> "$T/ms"
	done
	sort -n "$T/ms" | sed -n 2p
}
with_ms=$(send_ms up) || fail "$with_ms"
stop_milter
off=$(pb_log_size)
down_ms=$(send_ms down) || fail "mail refused with the milter down: $down_ms"
dqid=$(cat "$T/last")
echo "send took ${with_ms} ms with the milter, ${down_ms} ms without (medians)"
[ $((down_ms - with_ms)) -lt 500 ] || fail "milter down added $((down_ms - with_ms)) ms"
pb_wait_log -o "$off" -t 10 "]: $dqid: to=<down3@sink.test>.*status=sent" >/dev/null ||
	fail "mail not delivered with the milter down"
pb_wait_log -o "$off" -F "connect to Milter service unix:$SOCK" >/dev/null ||
	fail "Postfix did not notice the milter was down"
# sendmail with the milter down is delivered too
off=$(pb_log_size)
sqid=$(pb_sendmail -f root@client.test -s "down local" ops2@sink.test) ||
	fail "sendmail with milter down"
pb_wait_log -o "$off" -t 10 "]: $sqid: to=<ops2@sink.test>.*status=sent" >/dev/null ||
	fail "local mail not delivered with the milter down"
eq "no record while down" "$(q "SELECT count(*) FROM milter_records
  WHERE queue_id IN ('$dqid', '$sqid')")" 0
echo "PASS"
