#!/bin/sh
# t_webhook_tls.sh - TLS verification is always on: a throwaway CA made
# with openssl signs the receiver's certificate; the configured CA file is
# accepted; the system store (which lacks it), a self-signed certificate,
# an expired one and one for another host name are all refused, and none
# of the refused requests reaches the receiver.
set -eu
. "$PB_SRCDIR/tests/e2e/webhook_lib.sh"

command -v openssl >/dev/null || fail "openssl missing"
printf '{"event":"bounce"}' >"$tmp/body.json"
c=$tmp/pki
mkdir -p "$c/new"
: >"$c/index.txt"
echo 01 >"$c/serial"
cat >"$c/ca.cnf" <<CNF
[ca]
default_ca = pb
[pb]
database = $c/index.txt
new_certs_dir = $c/new
serial = $c/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
CNF
q() { openssl "$@" >/dev/null 2>&1 || fail "openssl $1 failed"; }

q req -x509 -newkey rsa:2048 -nodes -keyout "$c/ca.key" -out "$c/ca.pem" \
	-days 2 -subj "/CN=plainbounce test CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign"
# leaf NAME SAN [ca options] - a key and a CA-signed certificate
leaf() {
	n=$1 san=$2
	shift 2
	q req -newkey rsa:2048 -nodes -keyout "$c/$n.key" -out "$c/$n.csr" \
		-subj "/CN=$n" -addext "subjectAltName=$san"
	q ca -batch -config "$c/ca.cnf" -cert "$c/ca.pem" -keyfile "$c/ca.key" \
		-in "$c/$n.csr" -out "$c/$n.pem" -notext "$@"
}
leaf good "IP:127.0.0.1,DNS:localhost" -days 1
leaf expired "IP:127.0.0.1,DNS:localhost" \
	-startdate 20200101000000Z -enddate 20200102000000Z
leaf otherhost "DNS:other.example" -days 1
q req -x509 -newkey rsa:2048 -nodes -keyout "$c/self.key" -out "$c/self.pem" \
	-days 1 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1"

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
