# webhook_lib.sh - sourced by t_webhook*.sh and t_mailer*.sh: a temp dir
# cleaned on exit, real servers started and waited for, one attempt of
# pb_send (the transport test driver) with its printed facts in $out.
PY=/usr/bin/python3
E2E=$PB_SRCDIR/tests/e2e
PB_SEND=$PB_BUILDDIR/pb_send
[ -x "$PB_SEND" ] || { echo "FAIL: $PB_SEND not built"; exit 1; }
[ -x "$PY" ] || { echo "FAIL: $PY missing"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pb-e2e-tx.XXXXXX")
pids=""
SECRET=whsec_$(head -c 32 /dev/urandom | base64)

# cleanup - stop the servers this test started, remove the temp dir
cleanup() {
	set +e	# a server already stopped must not end the cleanup
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*"; exit 1; }

# wait_port NAME PID - until the server wrote its port file; sets $port
wait_port() {
	i=0
	while [ ! -s "$tmp/$1.port" ]; do
		i=$((i + 1))
		kill -0 "$2" 2>/dev/null || fail "$1 died: $(cat "$tmp/$1.err")"
		[ $i -lt 100 ] || fail "$1 did not start"
		sleep 0.1
	done
	port=$(cat "$tmp/$1.port")
}

# start_server NAME [ARGS] - webhook_server.py; sets $port and $pid
start_server() {
	name=$1
	shift
	rm -f "$tmp/$name.port"
	$PY "$E2E/webhook_server.py" --secret "$SECRET" --log "$tmp/$name.log" \
		--port-file "$tmp/$name.port" "$@" 2>>"$tmp/$name.err" &
	pid=$!
	pids="$pids $pid"
	wait_port "$name" "$pid"
}

# send URL ID [OPTIONS] - one signed attempt; sets $out, $rc
send() {
	url=$1 id=$2
	shift 2
	set +e
	out=$("$PB_SEND" webhook --url "$url" --secret "$SECRET" --id "$id" \
		--ts "$(date +%s)" --body "$tmp/body.json" "$@" 2>&1)
	rc=$?
	set -e
	echo "$id -> rc=$rc $out"
}

# has KEY=VALUE... - the last attempt printed each of them
has() {
	for kv in "$@"; do
		case " $out " in
		*" $kv "*) ;;
		*) fail "expected $kv in: $out" ;;
		esac
	done
}

# expect_rc N - the last attempt's exit status
expect_rc() { [ "$rc" -eq "$1" ] || fail "exit $rc, expected $1: $out"; }

# records LOG ID - how many requests with this webhook-id LOG holds
records() { grep -c "\"id\": \"$2\"" "$1" || true; }

# ossl ARGS - openssl, quiet unless it fails
ossl() { openssl "$@" >/dev/null 2>&1 || fail "openssl $1 failed"; }

# leaf NAME SAN [CA-OPTIONS] - a key and a certificate signed by our CA
leaf() {
	n=$1 san=$2
	shift 2
	ossl req -newkey rsa:2048 -nodes -keyout "$c/$n.key" -out "$c/$n.csr" \
		-subj "/CN=$n" -addext "subjectAltName=$san"
	ossl ca -batch -config "$c/ca.cnf" -cert "$c/ca.pem" \
		-keyfile "$c/ca.key" -in "$c/$n.csr" -out "$c/$n.pem" -notext "$@"
}

# make_pki - a throwaway CA in $c=$tmp/pki and key+certificate pairs:
# good (127.0.0.1, localhost), expired (2020), otherhost (other.example)
# signed by it, and self (self-signed for 127.0.0.1)
make_pki() {
	command -v openssl >/dev/null || fail "openssl missing"
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
	ossl req -x509 -newkey rsa:2048 -nodes -keyout "$c/ca.key" \
		-out "$c/ca.pem" -days 2 -subj "/CN=plainbounce test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
	leaf good "IP:127.0.0.1,DNS:localhost" -days 1
	leaf expired "IP:127.0.0.1,DNS:localhost" \
		-startdate 20200101000000Z -enddate 20200102000000Z
	leaf otherhost "DNS:other.example" -days 1
	ossl req -x509 -newkey rsa:2048 -nodes -keyout "$c/self.key" \
		-out "$c/self.pem" -days 1 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1"
}
