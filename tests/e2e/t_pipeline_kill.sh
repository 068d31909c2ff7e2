#!/bin/sh
# t_pipeline_kill.sh - the whole suite on a real Postfix (pipeline_lib.sh),
# part three, with the responder's email going back through Postfix as in
# production (notice.smtp.relay = instance A; A routes client.test to the
# aiosmtpd capture, which refuses reject*@ with 550 5.1.1).  The watcher is
# killed with -9 while bounces are being logged and restarted; the
# responder is killed with -9 while notices are going out and restarted:
# every expected notice arrives, webhook deliveries are unique by
# webhook-id, email duplicates are no more than the responder kills and
# keep their Message-ID.  A notice whose own delivery fails (its Postfix
# bounce line is in the same log) gives no further notice (loop guard).
set -u
. "$(dirname "$0")/pipeline_lib.sh"
. "$(dirname "$0")/harness.sh"
PL_DEFER_AFTER=30s
pl_receivers
pl_postfix
sed -i '/^client\.test[[:space:]]/d' "$PB_A_ETC/transport"
pb_route client.test "smtp:[127.0.0.1]:$SMTP_PORT" || pl_fail "route"
pl_conf
sed -i "s|relay = \"smtp://127.0.0.1:$SMTP_PORT/pb.test\"|relay = \"smtp://127.0.0.1:$PB_PORT_A/notice.client.test\"|" "$CONF"
# each webhook answered after 1 s: the responder is surely caught mid-send
sed -i "s|:$WH_PORT/ok\"|:$WH_PORT/stall?secs=1\"|" "$CONF"
grep -q "stall?secs=1" "$CONF" || pl_fail "webhook url not set"
grep -q "127.0.0.1:$PB_PORT_A/" "$CONF" || pl_fail "relay not set"
pl_start_milter
pl_start_watcher
pl_start_responder

# notices SUMMARY - our notices (Message-ID <plainbounce.notice.*>) in the
# capture: "total distinct-ids" or, with an address, those to it
notices() {
	$PY - "$MAIL" "${1:-}" <<'PY'
import email, email.policy, glob, json, sys
n, ids = 0, set()
for j in glob.glob(sys.argv[1] + "/*.json"):
    env = json.load(open(j))
    if sys.argv[2] and env["rcpt_tos"] != [sys.argv[2]]:
        continue
    m = email.message_from_bytes(open(j[:-5] + ".eml", "rb").read(),
                                 policy=email.policy.default)
    if not str(m["Message-ID"] or "").startswith("<plainbounce.notice."):
        continue                     # Postfix's own bounce mail
    n += 1
    ids.add(str(m["Message-ID"]))
print(n, len(ids))
PY
}

# the loop guard: alice writes as rejectme@client.test; the original
# bounces, the notice to rejectme@ is refused by the capture (550 5.1.1)
# and Postfix logs its bounce
off=$(pb_log_size)
LG=$(pb_send $AUTH --from rejectme@client.test --to nouser9@remote.test \
	--message-id '<pl.loop@client.test>' --subject "loop") || pl_fail "send"
# Postfix's own bounce mail to rejectme@ bounces too; ours is the one
# whose Message-ID is a notice's
i=0
while :; do
	NQ=$(q "SELECT m.queue_id FROM messages m JOIN recipients r ON r.message = m.id
	  WHERE m.message_id LIKE '<plainbounce.notice.%' AND r.state = 'bounced'
	  AND r.address = 'rejectme@client.test'")
	[ -n "$NQ" ] && break
	i=$((i + 1)); [ $i -gt 100 ] && pl_fail "the notice to rejectme@ did not bounce in Postfix"
	sleep 0.1
done
i=0
until grep -q "queue id $NQ.*loop guard" "$P/responder.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && pl_fail "no loop-guard verdict for $NQ"
	sleep 0.1
done
q "SELECT message_id FROM messages WHERE queue_id = '$NQ'" |
	grep -q '^<plainbounce.notice.*@notice.client.test>$' ||
	pl_fail "the bounced notice is not ours"
echo "ok: the notice's own bounce ($NQ) is seen and stopped by the loop guard"

# watcher killed -9 while four bounces are logged, then restarted
: >"$P/qids"
(
	for n in 1 2 3 4; do
		pb_send $AUTH --from alice@client.test --to "nouser$n@remote.test" \
			--message-id "<pl.kill.$n@client.test>" --subject "kill $n" >>"$P/qids"
	done
) &
SENDER=$!
i=0
until [ "$(q "SELECT count(*) FROM events e JOIN messages m ON m.id = e.message WHERE m.message_id LIKE '<pl.kill.%'")" -ge 1 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && pl_fail "no kill-test event"
	sleep 0.05
done
pl_stop WPID KILL
echo "watcher killed -9 after $(q "SELECT count(*) FROM events") events"
sleep 0.5
pl_start_watcher
wait "$SENDER" || pl_fail "a kill-test submission failed"
[ "$(wc -l <"$P/qids")" -eq 4 ] || pl_fail "not four submissions"

# responder killed -9 while notices go out (some sent, some not), twice
kills=0 prev=0
for k in 1 2; do
	i=0
	while :; do
		sent=$(q "SELECT count(*) FROM outbox WHERE channel <> 'route' AND state = 'sent'")
		left=$(q "SELECT count(*) FROM outbox WHERE channel <> 'route' AND state <> 'sent'")
		[ "$sent" -gt "$prev" ] && [ "$left" -ge 1 ] && break
		i=$((i + 1)); [ $i -gt 300 ] && break
		sleep 0.02
	done
	[ $i -gt 300 ] && break
	pl_stop RPID KILL
	kills=$((kills + 1))
	echo "responder killed -9 with $sent sent, $left not yet"
	prev=$sent
	pl_start_responder
done
[ "$kills" -ge 1 ] || pl_fail "never caught the responder mid-send"

# every expected notice arrives: per kill message one sender email, one
# helpdesk email, one webhook; the loop message one helpdesk email and
# one webhook; the bounced notice nothing
T0=$(pb_now_ns)
for n in 1 2 3 4; do
	i=0
	until [ -n "$(pl_mail_of alice@client.test "<pl.kill.$n@client.test>")" ]; do
		i=$((i + 1)); [ $i -gt 300 ] && pl_fail "no sender notice for kill $n"
		sleep 0.1
	done
done
for Q in $(cat "$P/qids") $LG; do
	i=0
	until [ "$(hooks_for "$Q")" -ge 1 ]; do
		i=$((i + 1)); [ $i -gt 300 ] && pl_fail "no webhook for $Q"
		sleep 0.1
	done
done
i=0
until [ "$(q "SELECT count(*) FROM outbox WHERE channel <> 'route' AND state <> 'sent'")" = 0 ]; do
	i=$((i + 1)); [ $i -gt 300 ] && pl_fail "outbox not drained: $(q "SELECT id, channel, target, state, last_error FROM outbox")"
	sleep 0.1
done
echo "all notices in $(pb_elapsed_ms "$T0") ms after the last restart"
pb_wait_quiet
sleep 1

set -- $(notices alice@client.test)
echo "sender notices: $1 received, $2 distinct"
eq "one distinct sender notice per kill message" "$2" 4
[ $(($1 - $2)) -le "$kills" ] || pl_fail "$(($1 - $2)) email duplicates > $kills kills"
set -- $(notices helpdesk@client.test)
echo "helpdesk notices: $1 received, $2 distinct"
# the kill messages, the loop message, and Postfix's own bounce mail to
# rejectme@ (null sender: the helpdesk hears of it, nobody else)
eq "helpdesk: distinct notices" "$2" 6
[ $(($1 - $2)) -le "$kills" ] || pl_fail "$(($1 - $2)) helpdesk duplicates > $kills kills"
eq "no notice reached rejectme@" "$(notices rejectme@client.test)" "0 0"
# a webhook in flight when the responder died is posted again under the
# same webhook-id: the receiver dedupes on it
ids() { grep '"sig_ok": true' "$WHLOG" | grep "$1" | grep -o '"id": "[^"]*"' | sort -u | wc -l; }
for Q in $(cat "$P/qids") $LG; do
	eq "one webhook-id for $Q" "$(ids "$Q")" 1
done
posts=$(grep -c '"sig_ok": true' "$WHLOG")
distinct=$(grep '"sig_ok": true' "$WHLOG" | grep -o '"id": "[^"]*"' | sort -u | wc -l)
echo "webhooks: $posts posts, $distinct webhook-ids"
[ $((posts - distinct)) -le "$kills" ] || pl_fail "$((posts - distinct)) webhook repeats > $kills kills"
eq "no webhook about the bounced notice" "$(hooks_for "$NQ")" 0
eq "events derived twice" "$(q "SELECT count(*) - count(DISTINCT ukey) FROM events")" 0
echo "PASS"
