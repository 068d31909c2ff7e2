#!/bin/sh
# t_demo.sh - `make demo` (the README's main command) works and tells the
# stories it promises: delivered, bounced as unknown, deferred then sent,
# expired, and the plain-language classification of each refusal; the
# notices the daemons sent arrived at the real receivers (alice's emails
# threaded under her messages, the helpdesk's signed webhooks), and when
# it is over none of the processes it started is left running.
set -eu
out=$(sh "$PB_SRCDIR/tests/e2e/demo.sh" 2>&1) || { echo "$out"; echo "FAIL: demo exited non-zero"; exit 1; }
expect() {
	printf '%s\n' "$out" | grep -q${2:-F} -- "$1" || {
		printf '%s\n' "$out" | tail -n 40; echo "FAIL: demo output lacks: $1"; exit 1; }
}
expect "To <ok@remote.test>: delivered at"
expect "To <nouser.bob@remote.test>: bounced at"
expect "What it means: The address does not exist at their server"
# Postfix may retry on its own before the demo lifts the greylist
expect "To <grey.dan@remote.test>: deferred [0-9]+ times?, then delivered" E
expect "To <full.carol@remote.test>: deferred"
expect "then expired at"
expect "To <policy.gina@remote.test>: bounced at"
expect "This is the non-delivery notice (bounce) of message"
expect "reply.command          RCPT TO"
expect "-> address_unknown	sender	no	"
expect "-> greylisted	nobody	yes	"
expect "Done: stopping Postfix"
# the notices, as the SMTP capture and the webhook receiver got them
expect "Subject: Not delivered: Lunch on Friday?"
expect "What happened: The address does not exist at their mail server."
expect "Your email could not be delivered to 2 of the people you wrote to."
expect "Subject: Delayed: Invoice 2291"
expect "We keep trying until [A-Z][a-z]{2} +[0-9]+ [A-Z][a-z]{2} [0-9]{4} [0-9:]{5} UTC, then we stop." E
expect "Subject: Not delivered after many tries: Invoice 2291"
expect "In-Reply-To: <pb\\.[0-9]+\\.[0-9a-f]+@client\\.test>" E
expect "[bounced] Team offsite plan from alice@client.test"
expect "signature ok  bounced [0-9A-F]+: nouser.bob@remote.test \\(address_unknown\\)" E
expect "signature ok  bounced [0-9A-F]+: nouser.frank@remote.test \\(address_unknown\\), policy.gina@remote.test \\(policy_blocked\\)" E
expect '"facts_source": "milter"'
sender=$(printf '%s\n' "$out" | grep -c '^To: alice@client.test$' || true)
[ "$sender" -eq 8 ] || { echo "FAIL: $sender notices to alice, want 8 (2 bounces, 3 delays, 3 expiries)"; exit 1; }
hooks=$(printf '%s\n' "$out" | grep -c '^  webhook-id pb_.*signature ok' || true)
[ "$hooks" -eq 8 ] || { echo "FAIL: $hooks signed webhooks, want 8"; exit 1; }
printf '%s\n' "$out" | grep -q 'signature BAD' && { echo "FAIL: a bad signature"; exit 1; }
printf '%s\n' "$out" | grep -q 'grey.dan@remote.test (' && { echo "FAIL: a notice about the greylisted message"; exit 1; }
echo "ok: demo showed $sender sender notices and $hooks webhooks"
# nothing left running: no process mentions the demo's temp dirs
dirs=$(printf '%s\n' "$out" | sed -n 's/.*removing \(.*\) and \(.*\)\x1b.*/\1 \2/p')
[ -n "$dirs" ] || { echo "FAIL: no temp dirs in the demo's last line"; exit 1; }
for d in $dirs; do
	if pgrep -f "$d" >/dev/null; then echo "FAIL: still running: $(pgrep -af "$d")"; exit 1; fi
	[ ! -e "$d" ] || { echo "FAIL: $d left behind"; exit 1; }
done
echo "ok: nothing left running, temp dirs removed"
n=$(printf '%s\n' "$out" | grep -c '^Message [0-9A-F]* on mail')
[ "$n" -ge 10 ] || { echo "FAIL: only $n stories"; exit 1; }
echo "ok: demo told $n stories"
