#!/bin/sh
# t_pipeline_defer.sh - the whole suite on a real Postfix (pipeline_lib.sh),
# part two.  A 452 4.2.2 kept deferred past a 3 s defer_notice_after gives
# one deferral notice, no notice per retry, then the expiry notice after
# postsuper -e; with the milter stopped mail still flows, the watcher
# explains the bounce from the log alone and the helpdesk is told, the
# sender not (trust_log_only = false); `plainbounce import` of the same
# log afterwards notifies nothing, into the same store or a fresh one.
set -u
. "$(dirname "$0")/pipeline_lib.sh"
. "$(dirname "$0")/harness.sh"
PL_DEFER_AFTER=3s
pl_all

# 452 4.2.2: deferred, then deferred_long once, retries say nothing more
off=$(pb_log_size)
D=$(pb_send $AUTH --from alice@client.test --to full1@remote.test \
	--message-id '<pl.full@client.test>' --subject "Holiday photos") || pl_fail "send"
pb_wait_log -o "$off" -t 10 "]: $D: to=<full1@remote.test>.*status=deferred.*4\.2\.2" >/dev/null ||
	pl_fail "no deferral"
T0=$(pb_now_ns)
pl_time_to "sender email (deferred 3 s, first deferral line)" "mails_to alice@client.test" 1
pl_time_to "helpdesk webhook (deferred)" "hooks_for $D" 1
E=$(pl_mail_of alice@client.test '<pl.full@client.test>')
[ -n "$E" ] || pl_fail "deferral notice not threaded"
# the watcher's retry_until (arrival + queue_lifetime) reaches the text
$PY - "$E" <<'PY' || pl_fail "deferral notice text: $(cat "$E")"
import email, email.policy, re, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.strict)
t = m.get_body(("plain",)).get_content()
assert re.search(r"We keep trying until \w{3} +\d+ \w{3} \d{4} \d\d:\d\d UTC", t), t
assert "full1@remote.test" in t and "Mailbox full" in t, t
PY
$PY - "$WHLOG" "$D" <<'PY' || pl_fail "deferral webhook: $(cat "$WHLOG")"
import json, sys
b = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
b = [x for x in b if x["message"]["queue_id"] == sys.argv[2]]
assert len(b) == 1 and b[0]["kind"] == "deferred_long", b
assert b[0]["recipients"][0]["reason"] == "mailbox_full", b
PY
for n in 1 2 3; do
	off=$(pb_log_size)
	pb_retry "$D" >/dev/null
	pb_wait_log -o "$off" -t 10 "]: $D: to=<full1@remote.test>.*status=deferred" >/dev/null ||
		pl_fail "retry $n not logged"
done
sleep 2.5	# group_delay 1 s + polls: a notice per retry would be here
eq "no notice per retry (email)" "$(mails_to alice@client.test)" 1
eq "no notice per retry (webhook)" "$(hooks_for "$D")" 1

off=$(pb_log_size)
pb_expire "$D" >/dev/null
pb_wait_log -o "$off" -t 10 "]: $D: from=<alice@client.test>, status=(force-)?expired" >/dev/null ||
	pl_fail "no expiry line"
T0=$(pb_now_ns)
pl_time_to "sender email (expiry)" "mails_to alice@client.test" 2
pl_time_to "helpdesk webhook (expiry)" "hooks_for $D" 2
$PY - "$MAIL" '<pl.full@client.test>' <<'PY' || pl_fail "expiry notice"
import email, email.policy, glob, json, sys
kinds = []
for j in glob.glob(sys.argv[1] + "/*.json"):
    if json.load(open(j))["rcpt_tos"] != ["alice@client.test"]:
        continue
    m = email.message_from_bytes(open(j[:-5] + ".eml", "rb").read(),
                                 policy=email.policy.strict)
    assert m["In-Reply-To"] == sys.argv[2], m["In-Reply-To"]
    kinds.append(m.get_body(("plain",)).get_content())
assert len(kinds) == 2
assert sum("We have now stopped trying" in t for t in kinds) == 1, kinds
assert all("full1@remote.test" in t for t in kinds), kinds
PY
echo "ok: one deferral notice, one expiry notice, both threaded"

# the milter stopped: mail flows, the watcher explains from the log alone
pl_stop MPID TERM
off=$(pb_log_size)
L=$(pb_send $AUTH --from alice@client.test --to nouser5@remote.test \
	--message-id '<pl.nomilter@client.test>' --subject "milter down") ||
	pl_fail "mail refused with the milter down"
pb_wait_log -o "$off" -t 10 "]: $L: to=<nouser5@remote.test>.*status=bounced" >/dev/null ||
	pl_fail "no bounce with the milter down"
T0=$(pb_now_ns)
pl_time_to "helpdesk webhook (milter down)" "hooks_for $L" 1
$PY - "$WHLOG" "$L" <<'PY' || pl_fail "milter-down webhook: $(cat "$WHLOG")"
import json, sys
b = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
b = [x for x in b if x["message"]["queue_id"] == sys.argv[2]]
assert len(b) == 1, b
m = b[0]["message"]
assert m["facts_source"] == "log", m
assert m["message_id"] == "<pl.nomilter@client.test>", m
assert m["sender"] == "alice@client.test", m
assert b[0]["recipients"][0]["reason"] == "address_unknown", b
PY
pb_wait_log -o "$off" -F "connect to Milter service unix:$SOCK" >/dev/null ||
	pl_fail "Postfix did not notice the milter was down"
grep -q "queue id $L.*sender not told: no milter record" "$P/responder.log" ||
	pl_fail "responder did not say why the sender was not told"
sleep 1.5
[ -z "$(pl_mail_of alice@client.test '<pl.nomilter@client.test>')" ] ||
	pl_fail "sender told on the log's word alone"
echo "ok: milter down: delivered, helpdesk told from the log alone, sender not"

# import of the same log: no notice at all
pb_wait_quiet
mails0=$(ls "$MAIL" | grep -c '\.json$')
hooks0=$(wc -l <"$WHLOG")
live=$(q "SELECT count(*) FROM events WHERE historical = 0")
out=$("$PB" import -c "$CONF" "$PB_A_LOG") || pl_fail "import: $out"
echo "$out" | grep -q ': 0 new events' || pl_fail "import into the same store: $out"
# and into a fresh store, with a responder run over it
sed "s|$DB|$P/fresh.db|" "$CONF" >"$P/fresh.conf"
out=$("$PB" import -c "$P/fresh.conf" "$PB_A_LOG") || pl_fail "import: $out"
echo "import into a fresh store: $out"
[ "$(sqlite3 "$P/fresh.db" "SELECT count(*) FROM events")" -ge 2 ] ||
	pl_fail "fresh import found no events: $out"
eq "fresh import: every event historical" \
	"$(sqlite3 "$P/fresh.db" "SELECT count(*) FROM events WHERE historical = 0")" 0
"$RESP" -f -c "$P/fresh.conf" --once 2>>"$P/responder.log" || pl_fail "responder --once"
eq "fresh import: no notice queued" \
	"$(sqlite3 "$P/fresh.db" "SELECT count(*) FROM outbox WHERE channel <> 'route'")" 0
sleep 1.5
eq "import: no new event to notify" "$(q "SELECT count(*) FROM events WHERE historical = 0")" "$live"
eq "import: no email" "$(ls "$MAIL" | grep -c '\.json$')" "$mails0"
eq "import: no webhook" "$(wc -l <"$WHLOG")" "$hooks0"
eq "webhook ids unique" "$(grep -o '"id": "[^"]*"' "$WHLOG" | sort | uniq -d | wc -l)" 0
echo "PASS"
