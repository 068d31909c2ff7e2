#!/bin/sh
# t_webhook_bench.sh - notices per second to a local webhook receiver:
# 500 signed POSTs over one reused connection (asserted).  The figure is printed, not
# asserted (the Python receiver, verifying each signature, is the likely
# bottleneck); what is asserted is that every POST was delivered, signed
# correctly and recorded once.
set -eu
. "$PB_SRCDIR/tests/e2e/webhook_lib.sh"

start_server bench
count=500
set +e
out=$("$PB_SEND" bench --url "http://127.0.0.1:$port/ok" --secret "$SECRET" \
	--count $count --allow-http --allow-private 2>&1)
rc=$?
set -e
echo "$out"
expect_rc 0
L=$tmp/bench.log
[ "$(grep -c '"sig_ok": true' "$L")" -eq $count ] || fail "not all signed"
[ "$(sed -n 's/.*"id": "\([^"]*\)".*/\1/p' "$L" | sort -u | wc -l)" -eq $count ] ||
	fail "ids not distinct"
# one connection carried them all (keep-alive reuse)
[ "$(sed -n 's/.*"peer_port": \([0-9]*\).*/\1/p' "$L" | sort -u | wc -l)" -eq 1 ] ||
	fail "connection not reused"
echo "t_webhook_bench: $count delivered over one connection"
