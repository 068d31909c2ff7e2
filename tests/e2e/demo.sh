#!/bin/sh
# demo.sh - `make demo`: plainbounce on a real, private Postfix in one go.
#
# Starts the harness's sandboxed Postfix pair (A sends, B plays the remote
# server and refuses some recipients) and the three daemons from one
# configuration (pipeline_lib.sh: milter wired into A, watcher following
# A's log, responder mailing a local SMTP capture and posting signed
# webhooks to a local receiver, SQLite in a temp dir), sends a handful of
# messages that end in the outcomes people ask about, shows the notices
# that arrived as the receivers got them, then lets plainbounce tell each
# story: `plainbounce trace` per message, `plainbounce explain` for one raw
# line, and `plainbounce classify` for the remote's words.  Everything runs
# in temp dirs on loopback and is stopped and removed at the end.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${PB_SRCDIR:=$(cd "$here/../.." && pwd)}"
: "${PB_BUILDDIR:=$PB_SRCDIR/build/default}"
pb="$PB_BUILDDIR/plainbounce"
rules="$PB_SRCDIR/config/classify.rules"
. "$here/pipeline_lib.sh"
. "$here/harness.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Starting a private Postfix pair on loopback and plainbounce's daemons"
PL_LONG_IDS=no PL_DEFER_AFTER=2s
pl_receivers
pl_postfix
pl_conf
pl_start_milter
pl_start_watcher
pl_start_responder
echo "A (ours) on 127.0.0.1:$PB_PORT_A, B (the remote) on 127.0.0.1:$PB_PORT_B;" \
	"up in ${PB_STARTUP_MS} ms"
echo "plainbounce-milter, -watcher and -responder running from $CONF;"
echo "email notices go to an SMTP capture on :$SMTP_PORT, webhooks to :$WH_PORT"

say "Sending messages as alice@client.test (SMTP AUTH)"
ok=$(pb_send $AUTH --from alice@client.test --to ok@remote.test \
	--subject "Quarterly report")
echo "  $ok  to ok@remote.test              (will be accepted)"
typo=$(pb_send $AUTH --from alice@client.test --to nouser.bob@remote.test \
	--subject "Lunch on Friday?")
echo "  $typo  to nouser.bob@remote.test      (no such mailbox)"
full=$(pb_send $AUTH --from alice@client.test --to full.carol@remote.test \
	--subject "Invoice 2291")
echo "  $full  to full.carol@remote.test      (mailbox full, retried)"
grey=$(pb_send $AUTH --from alice@client.test --to grey.dan@remote.test \
	--subject "Minutes")
echo "  $grey  to grey.dan@remote.test        (greylisted at first)"
mixed=$(pb_send $AUTH --from alice@client.test --to ok.erin@remote.test \
	--to nouser.frank@remote.test --to policy.gina@remote.test \
	--to ok.hugo@remote.test --to full.ivan@remote.test \
	--subject "Team offsite plan")
echo "  $mixed  to five people                 (mixed outcomes)"
closed=$(pb_send $AUTH --from alice@client.test --to jo@closed.test \
	--subject "Contract draft")
echo "  $closed  to jo@closed.test             (their server is down)"

pb_wait_log -F "$typo: removed" >/dev/null
pb_wait_log -F "$grey: to=<grey.dan@remote.test>" >/dev/null
say "Lifting the greylist and retrying now"
pb_mx_lift grey.dan@remote.test
pb_retry "$grey"
pb_wait_log -F "$grey: removed" >/dev/null
say "Waiting for the deferral notices (defer_notice_after is 2 s here, 4 h by default)"
for s in "Invoice 2291" "Team offsite plan" "Contract draft"; do
	i=0
	until [ -n "$(pl_mail_of alice@client.test "Subject: Delayed: $s")" ] || [ $i -gt 150 ]; do
		i=$((i + 1)); sleep 0.1
	done
done
say "Giving up on the mailbox-full and down-server messages (postsuper -e)"
for q in "$full" "$mixed" "$closed"; do
	pb_wait_log -F "$q: to=<" >/dev/null
	pb_expire "$q"
	pb_wait_log -F "$q: removed" >/dev/null
done
pb_wait_quiet

# drained: every notice routed and delivered (at most ~20 s)
i=0
while [ "$(q "SELECT count(*) FROM outbox WHERE state <> 'sent'
	AND (channel <> 'route' OR state = 'pending')")" != 0 ] && [ $i -lt 200 ]; do
	i=$((i + 1)); sleep 0.1
done
sleep 1.5	# group_delay: a last route row may just have been written
i=0
while [ "$(q "SELECT count(*) FROM outbox WHERE state <> 'sent'
	AND (channel <> 'route' OR state = 'pending')")" != 0 ] && [ $i -lt 200 ]; do
	i=$((i + 1)); sleep 0.1
done

say "Notices alice@client.test received by email (as the SMTP capture got them)"
$PY - "$MAIL" alice@client.test full <<'PY'
import email, email.policy, glob, json, os, sys
d, who, how = sys.argv[1:4]
files = sorted(glob.glob(d + "/*.json"),
               key=lambda p: int(os.path.basename(p)[:-5]))
for j in files:
    if json.load(open(j))["rcpt_tos"] != [who]:
        continue
    m = email.message_from_bytes(open(j[:-5] + ".eml", "rb").read(),
                                 policy=email.policy.default)
    if not str(m["Message-ID"] or "").startswith("<plainbounce.notice."):
        continue
    print("-" * 72)
    for h in ("From", "To", "Subject", "In-Reply-To"):
        print("%s: %s" % (h, m[h]))
    if how == "full":
        print()
        print(m.get_body(("plain",)).get_content().rstrip())
PY
say "Notices the helpdesk received by email (subjects only)"
$PY - "$MAIL" helpdesk@client.test subjects <<'PY'
import email, email.policy, glob, json, os, sys
for j in sorted(glob.glob(sys.argv[1] + "/*.json"),
                key=lambda p: int(os.path.basename(p)[:-5])):
    if json.load(open(j))["rcpt_tos"] != [sys.argv[2]]:
        continue
    m = email.message_from_bytes(open(j[:-5] + ".eml", "rb").read(),
                                 policy=email.policy.default)
    print("  " + str(m["Subject"]))
PY
say "Helpdesk webhooks (Standard Webhooks, signature checked by the receiver)"
$PY - "$WHLOG" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
for n, r in enumerate(recs):
    b = json.loads(r["body"])
    print("  webhook-id %s  signature %s  %s %s: %s" % (
        r["id"], "ok" if r["sig_ok"] else "BAD", b["kind"],
        b["message"]["queue_id"],
        ", ".join("%s (%s)" % (x["address"], x["reason"])
                  for x in b["recipients"])))
if recs:
    print("\nThe first one in full:")
    print(json.dumps(json.loads(recs[0]["body"]), indent=2, ensure_ascii=False))
PY

say "What the log says: $(wc -l < "$PB_A_LOG") lines, for example"
line=$(grep -F "$typo: to=<" "$PB_A_LOG" | head -n 1)
echo "$line"
say "plainbounce explain (that line, field by field)"
"$pb" explain "$line" || true

for q in "$ok" "$typo" "$grey" "$full" "$mixed" "$closed"; do
	say "plainbounce trace --queue-id $q"
	"$pb" trace --rules "$rules" --queue-id "$q" "$PB_A_LOG" || true
done

say "plainbounce classify (the remote's words, in plain language)"
grep -o 'said: [0-9][^(]*' "$PB_A_LOG" | sed 's/^said: //' | sort -u |
while IFS= read -r reply; do
	reply=${reply% }
	printf '%s\n  -> ' "$reply"
	"$pb" classify --rules "$rules" "$reply" || true
done

say "Done: stopping Postfix and the daemons, removing $PB_T and $P"
