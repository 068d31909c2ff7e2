#!/bin/sh
# t_responder.sh - the responder end to end against a real webhook
# receiver and a real SMTP server: one bounce of our user's mail gives one
# sender email (threaded under the original, parsed strictly) and one
# signed helpdesk webhook; five failed recipients of one message give one
# notice listing them; inbound mail (backscatter) tells the helpdesk only.
set -eu
. "$PB_SRCDIR/tests/e2e/responder_lib.sh"

start_server wh --log-bodies
base=http://127.0.0.1:$port
start_capture
write_conf "$base/ok"
"$RESP" -n -c "$tmp/pb.conf" >/dev/null || fail "config check"
"$PB" config -n -c "$tmp/pb.conf" >/dev/null || fail "plainbounce config -n"

# one bounce of alice's authenticated mail
event --qid 4AAA111 --msgid "<orig.1@example.com>" \
	--subject "Quarterly report" --rcpt "bob@example.net,address_unknown"
# five failed recipients of one message
event --qid 4BBB222 --msgid "<orig.5@example.com>" --subject "Team lunch" \
	--rcpt "r1@example.net" --rcpt "r2@example.net" --rcpt "r3@example.net" \
	--rcpt "r4@example.net,mailbox_full" --rcpt "r5@example.net"
# inbound mail from the Internet: the helpdesk hears, the sender never
event --qid 4CCC333 --msgid "<spam@elsewhere.example>" \
	--sender "forged@example.com" --submission inbound --rcpt "u@example.com"

start_responder r1
wait_for 10 sh -c "[ \$(sqlite3 '$DB' \"SELECT count(*) FROM outbox WHERE state <> 'sent'\") -eq 0 ] && [ \$(sqlite3 '$DB' \"SELECT count(*) FROM outbox\") -gt 3 ]" \
	|| fail "notices not all sent: $(sqlite3 "$DB" 'SELECT id, channel, target, state, last_error FROM outbox'); $(cat "$tmp/r1.log")"
stop_responder "$rpid"

# email: 2 to alice (one per message), 3 to the helpdesk; none to forged@
[ "$(mails)" -eq 5 ] || fail "expected 5 emails, got $(mails)"
[ "$(grep -l '"forged@example.com"' "$tmp"/mail/*.json | wc -l)" -eq 0 ] \
	|| fail "backscatter: the inbound sender was told"
$PY - "$tmp/mail" <<'PY' || fail "email checks"
import email, email.policy, glob, json, sys
d = sys.argv[1]
to = {}
for j in sorted(glob.glob(d + "/*.json")):
    env = json.load(open(j))
    raw = open(j[:-5] + ".eml", "rb").read()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), "bare LF"
    m = email.message_from_bytes(raw, policy=email.policy.strict)
    assert env["mail_from"] in ("", "<>"), "envelope sender must be null: %r" % env
    assert m["Auto-Submitted"] == "auto-generated"
    assert m["X-Auto-Response-Suppress"] == "All"
    assert m["Message-ID"].startswith("<plainbounce.notice.")
    assert m["Message-ID"].endswith("@notice.example.com>")
    to.setdefault(env["rcpt_tos"][0], []).append(m)
alice = to["alice@example.com"]
assert len(alice) == 2, len(alice)
assert len(to["helpdesk@example.com"]) == 3
threads = sorted(m["In-Reply-To"] for m in alice)
assert threads == ["<orig.1@example.com>", "<orig.5@example.com>"], threads
for m in alice:
    assert m["References"] == m["In-Reply-To"]
    text = m.get_body(("plain",)).get_content()
    if m["In-Reply-To"] == "<orig.5@example.com>":
        for r in ("r1", "r2", "r3", "r4", "r5"):
            assert r + "@example.net" in text, (r, text)
        assert "Team lunch" in str(m["Subject"])
    else:
        assert "bob@example.net" in text and "Quarterly report" in text
PY

# webhooks: 3, signed, one per message, the five recipients in one body
L=$tmp/wh.log
[ "$(grep -c '"sig_ok": true' "$L")" -eq 3 ] || fail "expected 3 signed webhooks: $(cat "$L")"
$PY - "$L" <<'PY' || fail "webhook body checks"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ids = [r["id"] for r in recs]
assert len(set(ids)) == 3, ids
bodies = {}
for r in recs:
    b = json.loads(r["body"])
    assert b["id"] == r["id"], (b["id"], r["id"])
    assert b["type"] == "plainbounce.bounced" and b["kind"] == "bounced"
    bodies[b["message"]["queue_id"]] = b
five = bodies["4BBB222"]["recipients"]
assert [x["address"] for x in five] == ["r%d@example.net" % i for i in range(1, 6)]
assert five[3]["reason"] == "mailbox_full"
one = bodies["4AAA111"]
assert one["message"]["message_id"] == "<orig.1@example.com>"
assert one["message"]["facts_source"] == "milter"
r = one["recipients"][0]
assert r["reason"] == "address_unknown" and r["who_acts"] == "sender"
assert "User unknown" in r["remote_words"] and r["dsn"] == "5.1.1"
for k in ("title", "explanation", "next_step", "who_acts_text"):
    assert r[k], k
assert bodies["4CCC333"]["message"]["submission"] == "inbound"
PY
grep -q "sender not told: not submitted by our users" "$tmp/r1.log" \
	|| fail "backscatter refusal not logged"

# a restart sends nothing again
start_responder r2 --once
wait "$rpid" || true
[ "$(mails)" -eq 5 ] || fail "restart sent mail again"
[ "$(wc -l <"$L")" -eq 3 ] || fail "restart posted again"

# CLI: a redirect is a dead letter; notices --dead lists it, resend queues
# it again and it goes out under the same webhook-id
HELPDESK= GROUP_DELAY=0s write_conf "$base/redirect"
event --qid 4DDD444 --submission inbound --rcpt "d@example.net"
"$RESP" -f -c "$tmp/pb.conf" --once 2>>"$tmp/r3.log" || fail "responder --once"
"$PB" notices -c "$tmp/pb.conf" --dead >"$tmp/dead.txt" || fail "notices --dead listed nothing"
[ "$(wc -l <"$tmp/dead.txt")" -eq 1 ] || fail "dead: $(cat "$tmp/dead.txt")"
grep -q "	webhook	helpdesk	.*error=http 302" "$tmp/dead.txt" || fail "dead row: $(cat "$tmp/dead.txt")"
nid=$(cut -f1 "$tmp/dead.txt")
wid=$(sqlite3 "$DB" "SELECT webhook_id FROM outbox WHERE id = $nid")
if "$PB" notices -c "$tmp/pb.conf" >/dev/null; then fail "pending should be empty"; fi
[ "$("$PB" notices -c "$tmp/pb.conf" --sent | wc -l)" -eq 8 ] || fail "sent list"
"$PB" resend -c "$tmp/pb.conf" "$nid" | grep -q "queued again" || fail "resend"
if "$PB" resend -c "$tmp/pb.conf" 1 2>/dev/null; then fail "a route row was resent"; fi
"$PB" notices -c "$tmp/pb.conf" --pending | grep -q "^$nid	pending" || fail "not pending after resend"
HELPDESK= GROUP_DELAY=0s write_conf "$base/ok"
"$RESP" -f -c "$tmp/pb.conf" --once 2>>"$tmp/r3.log" || fail "responder --once"
[ "$(records "$L" "$wid")" -eq 2 ] || fail "resend: $wid recorded $(records "$L" "$wid") times"
grep "\"id\": \"$wid\"" "$L" | tail -n 1 | grep -q '"path": "/ok"' || fail "resend went elsewhere"

# --dry-run prints instead of sending
GROUP_DELAY=0s write_conf "$base/ok"
event --qid 4EEE555 --msgid "<orig.dry@example.com>" --rcpt "e@example.net"
before=$(wc -l <"$L")
"$RESP" -c "$tmp/pb.conf" --dry-run --once >"$tmp/dry.txt" 2>>"$tmp/r3.log" || fail "dry run"
[ "$(wc -l <"$L")" -eq "$before" ] || fail "dry run posted"
[ "$(mails)" -eq 5 ] || fail "dry run mailed"
grep -q "^--- notice .* email to alice@example.com (sender)" "$tmp/dry.txt" || fail "dry run output: $(head "$tmp/dry.txt")"
grep -q "^--- notice .* webhook helpdesk id pb_" "$tmp/dry.txt" || fail "dry run webhook"
grep -q "^In-Reply-To: <orig.dry@example.com>" "$tmp/dry.txt" || fail "dry run threading"
[ "$(grep -c '^--- notice' "$tmp/dry.txt")" -eq 3 ] || fail "dry run printed $(grep -c '^--- notice' "$tmp/dry.txt") notices"
# nothing was consumed: the three notices wait, unattempted, for a real run
[ "$("$PB" notices -c "$tmp/pb.conf" | grep -c '	pending	.*attempts=0')" -eq 3 ] \
	|| fail "dry run consumed notices: $("$PB" notices -c "$tmp/pb.conf")"
"$RESP" -f -c "$tmp/pb.conf" --once 2>>"$tmp/r3.log" || fail "responder --once"
[ "$(mails)" -eq 7 ] || fail "after the dry run: $(mails) emails"
[ "$(wc -l <"$L")" -eq $((before + 1)) ] || fail "after the dry run: posts"

# hostile facts: a subject with CR/LF, an encoded CRLF, invalid UTF-8 and a
# template tag, a reply with control bytes; the email parses strictly with
# exactly the intended headers, the webhook is valid JSON
hs=$(printf 'Evil\r\nBcc: victim@example.org =?utf-8?q?x=0D=0AX-Injected:_1?= \377\376 {{subject}}')
rm -rf "$tmp/mail"/*
: >"$L"
GROUP_DELAY=0s write_conf "$base/ok"
event --qid 4FFF666 --msgid "<orig.evil@example.com>" --subject "$hs" --rcpt "h@example.net"
"$RESP" -f -c "$tmp/pb.conf" --once 2>>"$tmp/r3.log" || fail "responder --once"
[ "$(mails)" -eq 2 ] || fail "hostile: expected 2 emails, got $(mails)"
$PY - "$tmp/mail" "$L" <<'PY' || fail "hostile subject changed more than the quoted text"
import email, email.policy, glob, json, sys
want = {"Date", "From", "To", "Subject", "Message-ID", "In-Reply-To",
        "References", "Auto-Submitted", "X-Auto-Response-Suppress",
        "MIME-Version", "Content-Type"}
for f in glob.glob(sys.argv[1] + "/*.eml"):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.strict)
    keys = set(m.keys())
    assert keys - {"Content-Transfer-Encoding"} == want, keys ^ want
    assert m["Bcc"] is None and m["X-Injected"] is None
    subj = str(m["Subject"])
    assert "\r" not in subj and "\n" not in subj, repr(subj)
    assert m["In-Reply-To"] == "<orig.evil@example.com>"
for line in open(sys.argv[2]):
    b = json.loads(json.loads(line)["body"])
    s = b["message"]["subject"]
    assert "\r" not in s and "\n" not in s and "{{subject}}" in s, repr(s)
PY

# the slack format: {"text": ...} alone, signed like any other post
HELPDESK= GROUP_DELAY=0s write_conf "$base/ok" 'sender_rate = 0;'
sed -i 's/timeout = "3s";/timeout = "3s"; format = "slack";/' "$tmp/pb.conf"
: >"$L"
event --qid 4GGG777 --submission inbound --rcpt "s@example.net"
"$RESP" -f -c "$tmp/pb.conf" --once 2>>"$tmp/r3.log" || fail "responder --once"
$PY - "$L" <<'PY' || fail "slack body"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 1 and recs[0]["sig_ok"], recs
b = json.loads(recs[0]["body"])
assert list(b) == ["text"] and "s@example.net" in b["text"], b
PY
# several endpoints (notice.webhooks): each on its own receiver with its own
# secret gets exactly the events its kinds and reasons select; the first
# endpoint (notice.webhook) takes only delivered_after_delay here
SECRET2=whsec_$(head -c 32 /dev/urandom | base64)
SECRET3=whsec_$(head -c 32 /dev/urandom | base64)
for n in 2 3; do
	eval "sec=\$SECRET$n"
	rm -f "$tmp/wh$n.port"
	$PY "$E2E/webhook_server.py" --secret "$sec" --log "$tmp/wh$n.log" \
		--port-file "$tmp/wh$n.port" --log-bodies 2>>"$tmp/wh$n.err" &
	pids="$pids $!"
	wait_port "wh$n" $!
	eval "port$n=\$port"
done
HELPDESK= GROUP_DELAY=0s write_conf "$base/ok"
sed -i "s|timeout = \"3s\";|timeout = \"3s\"; kinds = [ \"delivered_after_delay\" ];|" "$tmp/pb.conf"
sed -i "/^  smtp = {/i\\
  webhooks = ( { name = \"bounces\"; url = \"http://127.0.0.1:$port2/ok\"; secret = \"$SECRET2\";\\
                 kinds = [ \"bounced\" ]; skip_reasons = [ \"mailbox_full\" ]; },\\
               { name = \"later\"; url = \"http://127.0.0.1:$port3/ok\"; secret = \"$SECRET3\";\\
                 kinds = [ \"expired\", \"deferred_long\" ]; } );" "$tmp/pb.conf"
"$RESP" -n -c "$tmp/pb.conf" >/dev/null || fail "config check with notice.webhooks: $(cat "$tmp/pb.conf")"
: >"$L"
event --qid 4HHH001 --submission inbound --rcpt "b1@example.net,address_unknown"
event --qid 4HHH002 --submission inbound --kind expired --rcpt "x1@example.net"
event --qid 4HHH003 --submission inbound --rcpt "b2@example.net,mailbox_full"
event --qid 4HHH004 --submission inbound --kind deferred_long --rcpt "d1@example.net"
"$RESP" -f -c "$tmp/pb.conf" --once 2>>"$tmp/r4.log" || fail "responder --once: $(cat "$tmp/r4.log")"
[ ! -s "$L" ] || fail "the first endpoint got events of other kinds: $(cat "$L")"
$PY - "$tmp/wh2.log" "$tmp/wh3.log" <<'PY' || fail "endpoints got the wrong events: $(cat "$tmp/wh2.log" "$tmp/wh3.log")"
import json, sys
def got(path, name):
    qids = []
    for line in open(path):
        r = json.loads(line)
        assert r["sig_ok"], ("signature with this endpoint's secret", r)
        assert r["id"].endswith("_" + name), r["id"]
        qids.append(json.loads(r["body"])["message"]["queue_id"])
    return sorted(qids)
assert got(sys.argv[1], "bounces") == ["4HHH001"], got(sys.argv[1], "bounces")
assert got(sys.argv[2], "later") == ["4HHH002", "4HHH004"], got(sys.argv[2], "later")
PY
[ "$(sqlite3 "$DB" "SELECT group_concat(target, ' ') FROM (SELECT target FROM outbox WHERE channel = 'webhook' AND state = 'sent' AND target IN ('bounces', 'later') ORDER BY target)")" = "bounces later later" ] \
	|| fail "delivery rows' targets: $(sqlite3 "$DB" "SELECT id, channel, target, state FROM outbox")"
# a duplicate endpoint name is a configuration error with file:line
sed -i 's/name = "later"/name = "bounces"/' "$tmp/pb.conf"
if "$RESP" -n -c "$tmp/pb.conf" >/dev/null 2>"$tmp/dup.err"; then fail "duplicate endpoint name accepted"; fi
grep -q "pb.conf:[0-9]*: notice.webhooks: endpoint name \"bounces\" used twice" "$tmp/dup.err" \
	|| fail "duplicate name error: $(cat "$tmp/dup.err")"
echo "ok"
