#!/bin/sh
# t_webhook_tls.sh - TLS verification is always on: a throwaway CA made
# with openssl signs the receiver's certificate; the configured CA file is
# accepted; the system store (which lacks it), a self-signed certificate,
# an expired one and one for another host name are all refused, and none
# of the refused requests reaches the receiver.
set -eu
. "$PB_SRCDIR/tests/e2e/webhook_lib.sh"

printf '{"event":"bounce"}' >"$tmp/body.json"
make_pki

for n in good expired otherhost self; do
	start_server "$n" --tls "$c/$n.pem" "$c/$n.key"
	eval "port_$n=$port"
done

# the configured CA is accepted (by IP and by name)
send "https://127.0.0.1:$port_good/ok" pb_tls_ok --allow-private --ca "$c/ca.pem"
expect_rc 0
has status=200 class=success
send "https://localhost:$port_good/ok" pb_tls_name --allow-private --ca "$c/ca.pem"
expect_rc 0

# without the CA file the system store must refuse our private CA
send "https://127.0.0.1:$port_good/ok" pb_tls_nostore --allow-private
expect_rc 2
has status=0 curl=60 class=transient

# self-signed, expired, wrong host: refused even with the CA configured
send "https://127.0.0.1:$port_self/ok" pb_tls_self --allow-private --ca "$c/ca.pem"
expect_rc 2
has status=0 curl=60
send "https://127.0.0.1:$port_expired/ok" pb_tls_expired --allow-private --ca "$c/ca.pem"
expect_rc 2
has status=0 curl=60
case $out in *xpired*) ;; *) fail "expected an expiry error: $out" ;; esac
send "https://127.0.0.1:$port_otherhost/ok" pb_tls_host --allow-private --ca "$c/ca.pem"
expect_rc 2
has status=0 curl=60
# trusting the wrong host's certificate itself does not help either
send "https://127.0.0.1:$port_otherhost/ok" pb_tls_host2 --allow-private --ca "$c/otherhost.pem"
expect_rc 2

# only the accepted connections reached a receiver
[ "$(cat "$tmp"/good.log | wc -l)" -eq 2 ] || fail "good log: $(cat "$tmp/good.log")"
for n in expired otherhost self; do
	[ ! -s "$tmp/$n.log" ] || fail "$n received a request"
done
echo "t_webhook_tls: all cases passed"
