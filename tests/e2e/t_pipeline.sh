#!/bin/sh
# t_pipeline.sh - the whole suite on a real Postfix: milter, watcher and
# responder from one configuration (pipeline_lib.sh), mail submitted to the
# harness's instance A.  A 550 5.1.1 gives the sender one email notice,
# threaded under the original, saying the address does not exist at their
# server, and the helpdesk one signed webhook, both within 30 s of the
# bounce line (measured and printed); a delivered message gives nothing; one
# message to five recipients (two delivered, two bounced, one deferred)
# gives one bounce notice listing the two, each with its own reason, and the
# deferred one's expiry its own notice; inbound mail (unauthenticated, from
# an untrusted client) whose delivery fails tells the helpdesk only; a
# greylisted recipient delivered before defer_notice_after tells nobody.
set -u
. "$(dirname "$0")/pipeline_lib.sh"
. "$(dirname "$0")/harness.sh"
PL_DEFER_AFTER=30s	# no deferral notice in this file (t_pipeline_defer.sh)
pl_all

# delivered: no notice (checked at the end, after every other notice)
DOK=$(pb_send $AUTH --from alice@client.test --to okay1@remote.test \
	--message-id '<pl.ok@client.test>' --subject "all fine") || pl_fail "send"

# greylisted, then accepted before the threshold: no notice
G=$(pb_send $AUTH --from alice@client.test --to grey1@remote.test \
	--message-id '<pl.grey@client.test>' --subject "greylisted") || pl_fail "send"
pb_wait_log -t 10 "]: $G: to=<grey1@remote.test>.*status=deferred.*4\.7\.1" >/dev/null ||
	pl_fail "no greylisting deferral"
pb_mx_lift grey1@remote.test
pb_retry "$G" >/dev/null
pb_wait_log -t 10 "]: $G: to=<grey1@remote.test>.*status=sent" >/dev/null ||
	pl_fail "greylisted mail not delivered on retry"

# 550 5.1.1 from our authenticated user
off=$(pb_log_size)
B=$(pb_send $AUTH --from alice@client.test --to nouser1@remote.test \
	--message-id '<pl.550@client.test>' --subject "Quarterly report") || pl_fail "send"
pb_wait_log -o "$off" -t 10 "]: $B: to=<nouser1@remote.test>.*status=bounced" >/dev/null ||
	pl_fail "no bounce line"
T0=$(pb_now_ns)
pl_time_to "sender email (550)" "mails_to alice@client.test" 1
pl_time_to "helpdesk webhook (550)" "hooks_for $B" 1
E=$(pl_mail_of alice@client.test '<pl.550@client.test>')
[ -n "$E" ] || pl_fail "the sender's notice is not threaded under <pl.550@client.test>"
$PY - "$E" <<'PY' || pl_fail "sender notice content: $(cat "$E")"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.strict)
assert m["In-Reply-To"] == "<pl.550@client.test>", m["In-Reply-To"]
assert m["Auto-Submitted"] == "auto-generated"
t = m.get_body(("plain",)).get_content()
assert "does not exist at their mail server" in t, t
assert "nouser1@remote.test" in t and "Quarterly report" in t, t
assert "User unknown" in t, t
PY
echo "ok: sender notice threaded, plain words, remote words quoted"
$PY - "$WHLOG" "$B" <<'PY' || pl_fail "webhook body: $(cat "$WHLOG")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(r["body"]) for r in recs
     if r["sig_ok"] and json.loads(r["body"])["message"]["queue_id"] == sys.argv[2]]
assert len(b) == 1, b
b = b[0]
assert b["kind"] == "bounced", b
assert b["message"]["message_id"] == "<pl.550@client.test>"
assert b["message"]["facts_source"] == "milter", b["message"]
assert b["message"]["submission"] == "authenticated", b["message"]
r = b["recipients"]
assert [x["address"] for x in r] == ["nouser1@remote.test"], r
assert r[0]["reason"] == "address_unknown" and r[0]["dsn"] == "5.1.1", r
PY
echo "ok: helpdesk webhook signed, same failure"

# five recipients, three failures with three reasons: one sender notice
off=$(pb_log_size)
F=$(pb_send $AUTH --from alice@client.test --message-id '<pl.five@client.test>' \
	--subject "Team lunch" --to okay2@remote.test --to nouser2@remote.test \
	--to policy2@remote.test --to full2@remote.test --to okay3@sink.test) || pl_fail "send"
pb_wait_log -o "$off" -t 10 -n 2 "]: $F: to=.*status=bounced" >/dev/null ||
	pl_fail "not two bounces"
T0=$(pb_now_ns)
pl_time_to "sender email (five recipients)" "mails_to alice@client.test" 2
pl_time_to "helpdesk webhook (five recipients)" "hooks_for $F" 1
E=$(pl_mail_of alice@client.test '<pl.five@client.test>')
[ -n "$E" ] || pl_fail "no notice threaded under <pl.five@client.test>"
$PY - "$E" <<'PY' || pl_fail "five-recipient notice: $(cat "$E")"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.strict)
t = m.get_body(("plain",)).get_content()
for a in ("nouser2@remote.test", "policy2@remote.test"):
    assert "To: " + a in t, (a, t)
for a in ("okay2@remote.test", "okay3@sink.test", "full2@remote.test"):
    assert a not in t, (a, t)
assert "2 of the people" in t, t
assert "does not exist at their mail server" in t, t
assert "Rejected by local policy" in t, t
PY
$PY - "$WHLOG" "$F" <<'PY' || pl_fail "five-recipient webhook"
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    b = json.loads(r["body"])
    if b["message"]["queue_id"] != sys.argv[2]:
        continue
    if b["kind"] != "bounced":
        continue
    got = {x["address"]: x["reason"] for x in b["recipients"]}
    assert got == {"nouser2@remote.test": "address_unknown",
                   "policy2@remote.test": "policy_blocked"}, got
PY
echo "ok: one notice, only the two bounced recipients, each its own reason"
# the fifth recipient, still deferred (452 4.2.2), expires: its own notice
pb_expire "$F" >/dev/null
pb_wait_log -t 10 "]: $F: from=<alice@client.test>, status=(force-)?expired" >/dev/null ||
	pl_fail "no expiry line"
T0=$(pb_now_ns)
pl_time_to "sender email (five recipients, expiry)" "mails_to alice@client.test" 3
pl_time_to "helpdesk webhook (five recipients, expiry)" "hooks_for $F" 2

# inbound: an unauthenticated client outside trusted_networks, claiming a
# local sender; its delivery fails -> helpdesk only
off=$(pb_log_size)
I=$(pb_send --from carol@client.test --to nouser3@remote.test \
	--message-id '<pl.inbound@elsewhere.test>' --subject "from outside") || pl_fail "send"
pb_wait_log -o "$off" -t 10 "]: $I: to=<nouser3@remote.test>.*status=bounced" >/dev/null ||
	pl_fail "no inbound bounce"
T0=$(pb_now_ns)
pl_time_to "helpdesk webhook (inbound)" "hooks_for $I" 1
$PY - "$WHLOG" "$I" <<'PY' || pl_fail "inbound webhook: $(cat "$WHLOG")"
import json, sys
b = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
b = [x for x in b if x["message"]["queue_id"] == sys.argv[2]]
assert len(b) == 1 and b[0]["message"]["submission"] == "inbound", b
PY

# settle: group_delay and a poll or two, then count everything
sleep 3
eq "no notice to the inbound sender" "$(mails_to carol@client.test)" 0
eq "sender notices: the 550, the five-recipient bounce and expiry" "$(mails_to alice@client.test)" 3
eq "no webhook for the delivered message" "$(hooks_for "$DOK")" 0
eq "no webhook for the greylisted message" "$(hooks_for "$G")" 0
[ -z "$(pl_mail_of alice@client.test '<pl.grey@client.test>')" ] || pl_fail "greylisted mail notified"
[ -z "$(pl_mail_of alice@client.test '<pl.ok@client.test>')" ] || pl_fail "delivered mail notified"
eq "webhook ids unique" "$(grep -o '"id": "[^"]*"' "$WHLOG" | sort | uniq -d | wc -l)" 0
eq "webhooks: 550, five (bounce, expiry), inbound" "$(grep -c '"sig_ok": true' "$WHLOG")" 4
eq "helpdesk emails" "$(mails_to helpdesk@client.test)" 4
echo "PASS"
