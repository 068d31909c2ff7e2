#!/bin/sh
# t_watcher_postfix.sh - plainbounce-watcher following a real Postfix's
# maillog (the harness's instance A): a 550 5.1.1 bounce is one bounced
# event (address_unknown) with one outbox row on channel "route"; a
# deferral past a 2 s defer_notice_after is one deferred_long; postsuper
# -e makes an expired event with the last deferral's reason; kill -9 and
# a restart repeat nothing, and a greylisted recipient delivered after the
# restart is delivered_after_delay with its sender still known; importing
# the same log afterwards adds no event that would be notified.
set -u
. "$(dirname "$0")/watcher_lib.sh"
. "$(dirname "$0")/harness.sh"
PB_ON_EXIT=wcleanup
pb_start
LOG=$PB_A_LOG
write_conf ""
start_watcher

ev() { q "SELECT count(*) FROM events e JOIN messages m ON m.id = e.message WHERE m.queue_id = '$1' AND e.kind = '$2'"; }

# a bounce: one event, one route row
B=$(pb_send --from alice@client.test --to nouser1@remote.test) || wfail "send"
wait_q "SELECT count(*) FROM events e JOIN messages m ON m.id = e.message WHERE m.queue_id = '$B'" 1
eq "bounce kind/reason/dsn/code/historical" \
   "$(q "SELECT e.kind, e.reason, e.who_acts, e.dsn, e.smtp_code, e.historical, e.attempts FROM events e JOIN messages m ON m.id = e.message WHERE m.queue_id = '$B'")" \
   "bounced|address_unknown|sender|5.1.1|550|0|1"
eq "bounce facts from the log" \
   "$(q "SELECT sender, sender_src, message_id_src FROM messages WHERE queue_id = '$B'")" \
   "alice@client.test|log|log"
eq "retry_until = arrival + 5d" \
   "$(q "SELECT e.retry_until - m.first_seen FROM events e JOIN messages m ON m.id = e.message WHERE m.queue_id = '$B'")" \
   432000
eq "one route row for it" \
   "$(q "SELECT o.channel, o.target, o.state FROM outbox o JOIN outbox_events x ON x.outbox = o.id JOIN events e ON e.id = x.event JOIN messages m ON m.id = e.message WHERE m.queue_id = '$B'")" \
   "route||pending"

# a deferral: deferred_long once, then expired with the last reason
D=$(pb_send --from alice@client.test --to full1@remote.test) || wfail "send"
wait_q "SELECT count(*) FROM recipients r JOIN messages m ON m.id = r.message WHERE m.queue_id = '$D' AND r.state = 'deferred'" 1
wait_q "$(printf "SELECT count(*) FROM events e JOIN messages m ON m.id = e.message WHERE m.queue_id = '%s' AND e.kind = 'deferred_long'" "$D")" 1 6
eq "deferred_long reason" \
   "$(q "SELECT e.reason, e.first_deferral > 0, e.historical FROM events e JOIN messages m ON m.id = e.message WHERE m.queue_id = '$D' AND e.kind = 'deferred_long'")" \
   "mailbox_full|1|0"
pb_retry "$D" >/dev/null
sleep 1
eq "deferred_long once after more attempts and ticks" "$(ev "$D" deferred_long)" 1

# greylisted: deferred long before the kill, delivered after the restart
G=$(pb_send --from bob@client.test --to grey1@remote.test) || wfail "send"
wait_q "$(printf "SELECT count(*) FROM events e JOIN messages m ON m.id = e.message WHERE m.queue_id = '%s' AND e.kind = 'deferred_long'" "$G")" 1 6

pb_expire "$D" >/dev/null
wait_q "$(printf "SELECT count(*) FROM events e JOIN messages m ON m.id = e.message WHERE m.queue_id = '%s' AND e.kind = 'expired'" "$D")" 1
eq "expired reason / last_reason" \
   "$(q "SELECT e.reason, e.last_reason FROM events e JOIN messages m ON m.id = e.message WHERE m.queue_id = '$D' AND e.kind = 'expired'")" \
   "delivery_expired|mailbox_full"

sleep 0.3
before=$(q "SELECT count(*) FROM events")
routes=$(q "SELECT count(*) FROM outbox")
stop_watcher KILL
start_watcher
sleep 1
eq "restart: no new event" "$(q "SELECT count(*) FROM events")" "$before"

pb_mx_lift grey1@remote.test
pb_retry "$G" >/dev/null
wait_q "$(printf "SELECT count(*) FROM events e JOIN messages m ON m.id = e.message WHERE m.queue_id = '%s' AND e.kind = 'delivered_after_delay'" "$G")" 1
eq "delivered after delay: sender kept across the restart" \
   "$(q "SELECT m.sender, r.state FROM messages m JOIN recipients r ON r.message = m.id WHERE m.queue_id = '$G'")" \
   "bob@client.test|sent"

stop_watcher TERM
grep -q 'stopped:' "$W/watcher.log" || wfail "no clean stop on SIGTERM"
live=$(q "SELECT count(*) FROM events WHERE historical = 0")
routes=$(q "SELECT count(*) FROM outbox")
TR=$("$PB_BUILDDIR/plainbounce" trace --store -c "$CONF" --queue-id "$B") || wfail "trace --store"
echo "$TR" | grep -q "^Message $B (postfix)" || wfail "trace --store: $TR"
echo "$TR" | grep -q 'To nouser1@remote.test: bounced since' || wfail "trace --store: $TR"
echo "$TR" | grep -q 'event bounced: address_unknown (who acts: sender)' || wfail "trace --store: $TR"
echo "$TR" | grep -q 'notice: route:pending' || wfail "trace --store: $TR"
ST=$("$PB_BUILDDIR/plainbounce" status -c "$CONF") || wfail "status"
echo "$ST" | grep -qx "source file:$LOG" || wfail "status: no source line: $ST"
echo "$ST" | grep -q '^  lag          0 bytes unread$' || wfail "status: lag: $ST"
echo "$ST" | grep -q "^events         $(q "SELECT count(*) FROM events") " || wfail "status: events: $ST"
echo "$ST" | grep -q '^events derived twice   0$' || wfail "status: repeats: $ST"
"$WATCHER" -c "$CONF" --import "$LOG" 2>>"$W/watcher.log" || wfail "import"
"$PB_BUILDDIR/plainbounce" import -c "$CONF" "$LOG" | grep -q ': 0 new events' ||
	wfail "plainbounce import added events"
eq "import adds no notified event" "$(q "SELECT count(*) FROM events WHERE historical = 0")" "$live"
eq "import adds no route row" "$(q "SELECT count(*) FROM outbox")" "$routes"
eq "no duplicate ukey (schema)" "$(q "SELECT count(*) - count(DISTINCT ukey) FROM events")" 0
echo "PASS"
