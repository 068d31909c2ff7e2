#!/bin/sh
# t_harness.sh - prove the e2e harness produces every outcome in A's real log
# with the expected shape, and that it leaves nothing behind on success,
# failure or a signal.  Runs as root; about 10-20 s.
set -u
here=$(cd "$(dirname "$0")" && pwd)
PB_E2E=$here
. "$here/harness.sh"

# main_checks - the outcome checks, inside one harness run.
main_checks() {
	local state=$1 ok nouser full grey policy content closed lq ndr sub line m n
	pb_start
	echo "$PB_T $PB_SINK_PID $PB_MASTERS" >"$state"
	echo "startup_ms $PB_STARTUP_MS"
	R='127\.0\.0\.1\[127\.0\.0\.1\]'
	D='delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+'

	# Submit every outcome at once; each has its own recipient.
	ok=$(pb_send --to ok@remote.test --subject "h sent") || pb_fail "ok not queued"
	nouser=$(pb_send --to nouser@remote.test --subject "h unknown") || pb_fail "nouser not queued"
	full=$(pb_send --to full@remote.test --subject "h full") || pb_fail "full not queued"
	grey=$(pb_send --to grey@remote.test --subject "h grey") || pb_fail "grey not queued"
	policy=$(pb_send --to policy@remote.test --subject "h policy") || pb_fail "policy not queued"
	content=$(pb_send --to ok2@remote.test --subject "h CONTENT-REJECT") || pb_fail "content not queued"
	closed=$(pb_send --to x@closed.test --subject "h closed") || pb_fail "closed not queued"

	# The helpers agree with each other about queue IDs.
	[ "$(pb_qid_by_subject "h sent")" = "$ok" ] || pb_fail "pb_qid_by_subject"
	m=$(awk -F '\t' -v q="$ok" '$1 == q { print $2 }' "$PB_SENT")
	[ "$(pb_qid_by_msgid "$m")" = "$ok" ] || pb_fail "pb_qid_by_msgid"

	# sent, with B's long queue ID in the reply, and B's own line for it.
	line=$(pb_wait_log "smtp\[[0-9]+\]: $ok: to=<ok@remote.test>, relay=$R:$PB_PORT_B, $D, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as [0-9A-Za-z]{12,}\)\$") ||
		pb_fail "sent line"
	lq=$(printf '%s\n' "$line" | sed 's/.*queued as \([0-9A-Za-z]*\))$/\1/')
	pb_expect_log -f "$PB_B_LOG" "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} mx postfix-mx/discard\[[0-9]+\]: $lq: to=<ok@remote\.test>, relay=none, $D, dsn=2\.0\.0, status=sent \(accepted by test MX\)\$"

	# 550 5.1.1 bounce, the NDR's own queue ID and its delivery to the sink.
	pb_expect_log "smtp\[[0-9]+\]: $nouser: to=<nouser@remote.test>, relay=$R:$PB_PORT_B, $D, dsn=5\.1\.1, status=bounced \(host $R said: 550 5\.1\.1 <nouser@remote\.test>: Recipient address rejected: User unknown in relay recipient table \(in reply to RCPT TO command\)\)\$"
	ndr=$(pb_notice_qid "$nouser") || pb_fail "no NDR for $nouser"
	[ -n "$ndr" ] && [ "$ndr" != "$nouser" ] || pb_fail "NDR queue ID '$ndr'"
	pb_expect_log "qmgr\[[0-9]+\]: $ndr: from=<>, size=[0-9]+, nrcpt=1 \(queue active\)\$"
	pb_expect_log "smtp\[[0-9]+\]: $ndr: to=<alice@client.test>, relay=$R:$PB_PORT_SINK, $D, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok\)\$"
	pb_wait_removed "$ndr" || pb_fail "NDR $ndr not removed"
	grep -q 'nouser@remote.test' "$PB_SINK_DUMP" 2>/dev/null ||
		pb_fail "the NDR did not reach smtp-sink's dump"

	# 452 4.2.2 deferred, then postsuper -e: force-expired without a new attempt.
	pb_expect_log "smtp\[[0-9]+\]: $full: to=<full@remote.test>, relay=$R:$PB_PORT_B, $D, dsn=4\.2\.2, status=deferred \(host $R said: 452 4\.2\.2 <full@remote\.test>: Recipient address rejected: Mailbox full \(in reply to RCPT TO command\)\)\$"
	n=$(pb_log_size)
	pb_expire "$full" 2>/dev/null || pb_fail "pb_expire"
	pb_expect_log -o "$n" "postsuper\[[0-9]+\]: $full: expired\$"
	pb_expect_log -o "$n" "qmgr\[[0-9]+\]: $full: from=<alice@client.test>, status=force-expired, returned to sender\$"
	pb_notice_qid "$full" >/dev/null || pb_fail "no NDR after force-expiry"
	pb_wait_removed "$full" || pb_fail "$full not removed"
	tail -c +"$((n + 1))" "$PB_A_LOG" | grep -q "$full: to=<full@remote.test>" &&
		pb_fail "force-expiry made a new delivery attempt"

	# 451 4.7.1 greylisted, lifted at B, retried now: sent.
	pb_expect_log "smtp\[[0-9]+\]: $grey: to=<grey@remote.test>, relay=$R:$PB_PORT_B, $D, dsn=4\.7\.1, status=deferred \(host $R said: 451 4\.7\.1 <grey@remote\.test>: Recipient address rejected: Greylisted, please try again later \(in reply to RCPT TO command\)\)\$"
	pb_mx_lift grey@remote.test || pb_fail "pb_mx_lift"
	pb_retry "$grey" || pb_fail "pb_retry"
	pb_expect_log "smtp\[[0-9]+\]: $grey: to=<grey@remote.test>, relay=$R:$PB_PORT_B, $D, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as [0-9A-Za-z]+\)\$"

	# 554 5.7.1 at RCPT; 550 5.7.1 at end of DATA.
	pb_expect_log "smtp\[[0-9]+\]: $policy: to=<policy@remote.test>, relay=$R:$PB_PORT_B, $D, dsn=5\.7\.1, status=bounced \(host $R said: 554 5\.7\.1 <policy@remote\.test>: Recipient address rejected: Rejected by local policy \(in reply to RCPT TO command\)\)\$"
	pb_expect_log "smtp\[[0-9]+\]: $content: to=<ok2@remote.test>, relay=$R:$PB_PORT_B, $D, dsn=5\.7\.1, status=bounced \(host $R said: 550 5\.7\.1 Message content rejected by policy \(in reply to end of DATA command\)\)\$"

	# Closed port: Connection refused, relay=none.
	pb_expect_log "smtp\[[0-9]+\]: connect to $R:$PB_PORT_CLOSED: Connection refused\$"
	pb_expect_log "smtp\[[0-9]+\]: $closed: to=<x@closed.test>, relay=none, $D, dsn=4\.4\.1, status=deferred \(connect to $R:$PB_PORT_CLOSED: Connection refused\)\$"

	# NOQUEUE reject by A's own access map; smtpsend reports it and exits 2.
	pb_send --to x@blocked.test --subject "h blocked" 2>"$PB_T/blocked.err"
	[ $? = 2 ] || pb_fail "blocked recipient: smtpsend did not exit 2"
	grep -q 'refused RCPT <x@blocked.test>: 554 5.7.1' "$PB_T/blocked.err" || pb_fail "smtpsend refusal report"
	pb_expect_log "smtpd\[[0-9]+\]: NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 554 5\.7\.1 <x@blocked\.test>: Recipient address rejected: Access denied; from=<alice@client\.test> to=<x@blocked\.test> proto=ESMTP helo=<client\.test>\$"

	# Local submission through sendmail -C: pickup uid=0.
	sub=$(pb_sendmail -s "h local" ok3@remote.test) || pb_fail "pb_sendmail"
	pb_expect_log "pickup\[[0-9]+\]: $sub: uid=0 from=<alice@client\.test>\$"
	pb_expect_log "smtp\[[0-9]+\]: $sub: to=<ok3@remote.test>, .*status=sent "
	[ "$(pb_qid_by_subject "h local")" = "$sub" ] || pb_fail "pb_qid_by_subject (local)"

	# pb_conf_a takes effect after its reload: a new banner.
	pb_conf_a 'smtpd_banner=$myhostname ESMTP harness-check' || pb_fail "pb_conf_a"
	"$PB_PY" -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),5); print(s.recv(200).decode().strip())' \
		"$PB_PORT_A" | grep -q '^220 mail.client.test ESMTP harness-check' || pb_fail "pb_conf_a had no effect"

	# An extra smtp-sink that answers RCPT with 4xx, reached by a new route.
	n=$(pb_sink_start -r RCPT) || pb_fail "pb_sink_start"
	echo "$n" >"$state.extra"
	pb_route soft.test "smtp:[127.0.0.1]:$n" || pb_fail "pb_route"
	sub=$(pb_send --to x@soft.test --subject "h soft") || pb_fail "soft not queued"
	pb_expect_log "smtp\[[0-9]+\]: $sub: to=<x@soft.test>, relay=$R:$n, $D, dsn=4\.[0-9.]+, status=deferred \(host $R said: 4[0-9][0-9] .*\(in reply to RCPT TO command\)\)\$"

	# A burst of parallel submissions all get their own queue ID.
	n=$(pb_send --burst 5 --to ok-burst@remote.test --subject "h burst" | sort -u | wc -l)
	[ "$n" = 5 ] || pb_fail "burst queued $n distinct messages, not 5"

	echo "main checks passed"
}

# inner_fail - a run under `set -e` that fails after start-up the way a
# test does when a command fails (no pb_fail): cleanup must still happen.
inner_fail() {
	set -e
	pb_start
	echo "$PB_T $PB_SINK_PID $PB_MASTERS" >"$1"
	pb_send --to ok@remote.test --subject "before failing" >/dev/null
	grep -q "this line is never logged" "$PB_A_LOG"
	echo "set -e did not stop the failing run" >&2
}

# inner_signal - a run that waits to be killed by a signal.
inner_signal() {
	pb_start
	echo "$PB_T $PB_SINK_PID $PB_MASTERS" >"$1.tmp"
	mv "$1.tmp" "$1"
	i=0
	while [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	pb_fail "inner_signal was not killed"
}

# assert_gone - the temp dir and every master (and its process group) are gone.
assert_gone() {
	local what=$1 state=$2 t sink m
	[ -s "$state" ] || { echo "FAIL: $what: no state recorded" >&2; return 1; }
	read -r t sink m <"$state"
	if [ -z "$sink" ] || kill -0 "$sink" 2>/dev/null; then
		echo "FAIL: $what: smtp-sink '$sink' still alive" >&2
		return 1
	fi
	set -- $m
	[ $# = 2 ] || { echo "FAIL: $what: expected 2 masters, got '$m'" >&2; return 1; }
	[ -e "$t" ] && { echo "FAIL: $what: temp dir $t left behind" >&2; return 1; }
	for m in "$@"; do
		# A zombie (not yet reaped by PID 1) is not a live process.
		if pgrep -g "$m" -r R,S,D,T,t,W,I >/dev/null; then
			echo "FAIL: $what: process group $m still alive" >&2
			return 1
		fi
	done
	echo "$what: cleanup ok ($t removed, masters $* and smtp-sink $sink gone)"
}

case ${1:-} in
--inner-main) main_checks "$2"; exit 0 ;;
--inner-fail) inner_fail "$2" ;;
--inner-signal) inner_signal "$2" ;;
esac

t0=$(pb_now_ns)
work=$(mktemp -d "${TMPDIR:-/tmp}/pbt.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
pb__locate
status=0

sh "$0" --inner-main "$work/main.state" || status=1
echo "main run: $(pb_elapsed_ms "$t0") ms"
assert_gone "successful run" "$work/main.state" || status=1
if pgrep -f "sink$(cat "$work/main.state.extra").test" >/dev/null; then
	echo "FAIL: the extra smtp-sink (pb_sink_start) was left running" >&2
	status=1
fi

# A failing run and a signalled run at the same time (also proves that
# parallel harnesses do not collide).  The failing run is first handed a
# port that another process holds, so it must notice and retry.
"$PB_PY" -c 'import socket,time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(60)' >"$work/held" &
ph=$!
i=0
while [ ! -s "$work/held" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
held=$(cat "$work/held")
PB_PORTS="$held $(pb_free_ports 4)" sh "$0" --inner-fail "$work/fail.state" >"$work/fail.out" 2>&1 &
pf=$!
sh "$0" --inner-signal "$work/sig.state" >"$work/sig.out" 2>&1 &
ps=$!
i=0
while [ ! -s "$work/sig.state" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$ps"
wait "$ps"; rc_s=$?
wait "$pf"; rc_f=$?
if [ "$rc_f" = 0 ]; then echo "FAIL: failing run exited 0" >&2; status=1; fi
{ kill "$ph"; wait "$ph"; } 2>/dev/null
grep -q "port(s) $held taken meanwhile, retrying" "$work/fail.out" ||
	{ echo "FAIL: a taken port did not make the harness retry" >&2; status=1; }
grep -q "tail of A's maillog" "$work/fail.out" ||
	{ echo "FAIL: failing run did not print the maillog tail" >&2; cat "$work/fail.out" >&2; status=1; }
assert_gone "failing run" "$work/fail.state" || status=1
[ "$rc_s" = 143 ] || { echo "FAIL: signalled run exited $rc_s, not 143" >&2; cat "$work/sig.out" >&2; status=1; }
assert_gone "signalled run" "$work/sig.state" || status=1
[ "$(cut -d' ' -f1 "$work/fail.state")" != "$(cut -d' ' -f1 "$work/sig.state")" ] ||
	{ echo "FAIL: parallel runs shared a temp dir" >&2; status=1; }

# A signal in the middle of start-up: with a private TMPDIR, nothing may be
# left in it and no process may carry it in its environment (the masters and
# their children inherit MAIL_CONFIG=<that dir>/..., smtp-sink TMPDIR).
mkdir "$work/early"
TMPDIR=$work/early sh "$0" --inner-signal "$work/early.state" >"$work/early.out" 2>&1 &
pe=$!
sleep 0.4
kill -TERM "$pe"
wait "$pe"
if [ -n "$(ls -A "$work/early")" ]; then
	echo "FAIL: signal during start-up left $(ls -A "$work/early")" >&2
	status=1
fi
left=$(grep -l -s -F "$work/early" /proc/[0-9]*/environ)
if [ -n "$left" ]; then
	echo "FAIL: signal during start-up left processes: $left" >&2
	status=1
else
	echo "signal during start-up: cleanup ok (the run said: $(grep -v '^Nov' "$work/early.out" | head -n 1))"
fi

echo "t_harness: total $(pb_elapsed_ms "$t0") ms, status $status"
exit $status
