#!/bin/sh
# t_responder_reliability.sh - leases and retries with real peers: the
# webhook down then up is delivered once with the same webhook-id; a
# responder killed with -9 while its post is in flight causes at most one
# duplicate, with the same id; 410 Gone disables the endpoint; SIGTERM
# lets the post in flight finish; two responders on one store never send
# the same notice twice.
set -eu
. "$PB_SRCDIR/tests/e2e/responder_lib.sh"
start_capture
L=$tmp/wh.log

# all_done - every delivery row reached a final state
all_done() {
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE state IN ('pending','leased')")" -eq 0 ]
}

# 1. webhook down, then up on the same port: one delivery, same id
start_server wh
whport=$port
kill "$pid"; wait "$pid" 2>/dev/null || true
HELPDESK= write_conf "http://127.0.0.1:$whport/ok"
event --qid 4DOWN01 --submission inbound --rcpt "x@example.net"
start_responder down
wait_for 10 sh -c "[ \"\$(sqlite3 '$DB' \"SELECT attempts FROM outbox WHERE channel = 'webhook'\")\" -ge 1 ] 2>/dev/null" \
	|| fail "no failed attempt recorded: $(cat "$tmp/down.log")"
sqlite3 "$DB" "SELECT last_error FROM outbox WHERE channel = 'webhook'" | grep -q "http 0" \
	|| fail "expected a connection failure: $(sqlite3 "$DB" 'SELECT * FROM outbox')"
start_server wh --port "$whport"
wait_for 10 all_done || fail "not delivered after the receiver came back"
stop_responder "$rpid"
id=$(sqlite3 "$DB" "SELECT webhook_id FROM outbox WHERE channel = 'webhook'")
[ "$(records "$L" "$id")" -eq 1 ] || fail "down/up: $id recorded $(records "$L" "$id") times"
[ "$(sqlite3 "$DB" "SELECT state FROM outbox WHERE channel = 'webhook'")" = sent ] || fail "down/up: not sent"
echo "down/up: delivered once as $id"

# 1b. 410 Gone: a dead letter, and the endpoint gets nothing more
rm -f "$DB"*
: >"$L"
HELPDESK= GROUP_DELAY=0s write_conf "http://127.0.0.1:$whport/gone"
event --qid 4GONE --count 3 --submission inbound --rcpt "g@example.net"
"$RESP" -f -c "$tmp/pb.conf" --once 2>"$tmp/gone.log" || fail "responder --once"
[ "$(wc -l <"$L")" -eq 1 ] || fail "410: posted $(wc -l <"$L") times"
[ "$(count_state dead)" -eq 3 ] || fail "410: $(count_state dead) dead"
grep -q "answered 410 Gone: disabled" "$tmp/gone.log" || fail "410 not logged"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE last_error LIKE 'endpoint disabled%'")" -eq 2 ] \
	|| fail "410: $(sqlite3 "$DB" 'SELECT id, state, last_error FROM outbox')"
echo "410: one post, three dead letters"
# ... and stays disabled across a restart: a new event posts nothing
"$PB" status -c "$tmp/pb.conf" >"$tmp/status.txt" || fail "status: $(cat "$tmp/status.txt")"
grep -q "^  helpdesk since .*: http 410" "$tmp/status.txt" || fail "status does not show the disabled endpoint: $(cat "$tmp/status.txt")"
event --qid 4GONE2 --submission inbound --rcpt "g2@example.net"
"$RESP" -f -c "$tmp/pb.conf" --once 2>"$tmp/gone2.log" || fail "responder --once after restart"
[ "$(wc -l <"$L")" -eq 1 ] || fail "410: posted again after a restart: $(cat "$L")"
[ "$(count_state dead)" -eq 4 ] || fail "410 after restart: $(count_state dead) dead"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE last_error LIKE 'endpoint disabled%'")" -eq 3 ] \
	|| fail "410 after restart: $(sqlite3 "$DB" 'SELECT id, state, last_error FROM outbox')"
echo "410: still disabled after a restart"
# ... until the admin enables it again: then a resent notice goes out
"$PB" enable-endpoint -c "$tmp/pb.conf" helpdesk >"$tmp/enable.txt" \
	|| fail "enable-endpoint: $(cat "$tmp/enable.txt")"
"$PB" status -c "$tmp/pb.conf" >"$tmp/status2.txt" || fail "status"
! grep -q "^  helpdesk since" "$tmp/status2.txt" || fail "still listed as disabled"
rc=0; "$PB" enable-endpoint -c "$tmp/pb.conf" helpdesk 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "enabling twice: exit $rc"
HELPDESK= GROUP_DELAY=0s write_conf "http://127.0.0.1:$whport/ok"
dead=$(sqlite3 "$DB" "SELECT id FROM outbox WHERE channel LIKE 'webhook%' AND state = 'dead' ORDER BY id DESC LIMIT 1")
"$PB" resend -c "$tmp/pb.conf" "$dead" >/dev/null || fail "resend $dead"
"$RESP" -f -c "$tmp/pb.conf" --once 2>"$tmp/gone3.log" || fail "responder --once after enable"
[ "$(wc -l <"$L")" -eq 2 ] || fail "enabled: posted $(wc -l <"$L") times in all, want 2"
[ "$(sqlite3 "$DB" "SELECT state FROM outbox WHERE id = $dead")" = sent ] \
	|| fail "enabled: $(sqlite3 "$DB" "SELECT state, last_error FROM outbox WHERE id = $dead")"
echo "410: enable-endpoint and resend deliver again"

# 2. kill -9 while the post is in flight (the receiver stalls 2 s after
# recording it): the next responder sends again after the lease, same id
rm -f "$DB"*
: >"$L"
HELPDESK= write_conf "http://127.0.0.1:$whport/stall?secs=2"
event --qid 4KILL01 --submission inbound --rcpt "y@example.net"
start_responder kill1
wait_for 10 grep -q '"path": "/stall"' "$L" || fail "no post reached the receiver"
kill -9 "$rpid"; wait "$rpid" 2>/dev/null || true
HELPDESK= write_conf "http://127.0.0.1:$whport/ok"
start_responder kill2
wait_for 10 all_done || fail "not sent after the kill: $(cat "$tmp/kill2.log")"
stop_responder "$rpid"
id=$(sqlite3 "$DB" "SELECT webhook_id FROM outbox WHERE channel = 'webhook'")
n=$(records "$L" "$id")
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "kill: $id recorded $n times"
[ "$(grep -c "\"id\": \"pb_" "$L")" -eq "$n" ] || fail "kill: other ids appeared: $(cat "$L")"
echo "kill -9: $id recorded $n times (at most one duplicate, one id)"

# 2b. SIGTERM while a post is in flight: the send finishes and is recorded
rm -f "$DB"*
HELPDESK= write_conf "http://127.0.0.1:$whport/stall?secs=2"
event --qid 4TERM01 --submission inbound --rcpt "t@example.net"
before=$(grep -c '"path": "/stall"' "$L" || true)
start_responder term
wait_for 10 sh -c "[ \$(grep -c '\"path\": \"/stall\"' '$L') -gt $before ]" || fail "no post for the SIGTERM test"
kill -TERM "$rpid"
wait "$rpid" || fail "responder exit status after SIGTERM"
[ "$(sqlite3 "$DB" "SELECT state FROM outbox WHERE channel = 'webhook'")" = sent ] \
	|| fail "SIGTERM: the send in flight was not finished: $(sqlite3 "$DB" 'SELECT * FROM outbox')"
grep -q "stopping: 1 routed, 1 sent" "$tmp/term.log" || fail "SIGTERM log: $(cat "$tmp/term.log")"
echo "SIGTERM: the post in flight finished and was recorded"

# 3. two responders on one store, 30 messages: each notice exactly once
rm -f "$DB"*
: >"$L"
write_conf "http://127.0.0.1:$whport/ok" 'batch = 4; sender_rate = 0;'
event --qid 4TWO --count 30 --rcpt "z@example.net"
start_responder twoA; pa=$rpid
start_responder twoB; pb=$rpid
wait_for 15 all_done || fail "two responders did not finish: $(sqlite3 "$DB" "SELECT channel, state, count(*), max(attempts), max(last_error) FROM outbox GROUP BY 1, 2"); $(tail -5 "$tmp/twoA.log")"
stop_responder "$pa"; stop_responder "$pb"
[ "$(count_state sent)" -eq 90 ] || fail "expected 90 sent notices, got $(count_state sent)"
[ "$(wc -l <"$L")" -eq 30 ] || fail "expected 30 posts, got $(wc -l <"$L")"
[ "$(grep -o '"id": "[^"]*"' "$L" | sort -u | wc -l)" -eq 30 ] || fail "a webhook was posted twice"
[ "$(mails)" -eq 60 ] || fail "expected 60 emails, got $(mails)"
$PY - "$tmp/mail" <<'PY' || fail "an email was sent twice"
import email, email.policy, glob, sys
ids = [email.message_from_binary_file(open(f, "rb"), policy=email.policy.strict)["Message-ID"]
       for f in glob.glob(sys.argv[1] + "/*.eml")]
assert len(ids) == 60 and len(set(ids)) == 60, (len(ids), len(set(ids)))
PY
a=$(grep -c "" "$tmp/twoA.log"); b=$(grep -c "" "$tmp/twoB.log")
echo "two responders: 90 notices, each once (logs $a/$b lines)"
echo ok
