#!/bin/sh
# t_demo.sh - `make demo` (the README's main command) works and tells the
# stories it promises: delivered, bounced as unknown, deferred then sent,
# expired, and the plain-language classification of each refusal.
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
n=$(printf '%s\n' "$out" | grep -c '^Message [0-9A-F]* on mail')
[ "$n" -ge 10 ] || { echo "FAIL: only $n stories"; exit 1; }
echo "ok: demo told $n stories"
