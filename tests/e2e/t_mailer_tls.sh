#!/bin/sh
# t_mailer_tls.sh - email notices over STARTTLS verify the relay: with
# the configured CA the notice is delivered; the system store (which
# lacks our throwaway CA), a self-signed, an expired and a wrong-host
# certificate are refused (retried later, never sent in clear); and a
# relay that offers no STARTTLS is not used when TLS is required.
set -eu
. "$PB_SRCDIR/tests/e2e/webhook_lib.sh"

make_pki
printf 'Quarterly report' >"$tmp/subject"
printf '550 5.1.1 user unknown MARK' >"$tmp/reply"

# smtp NAME [ARGS] - a capture server; sets $port and $pid
smtp() {
	name=$1
	shift
	mkdir -p "$tmp/$name.d"
	$PY "$E2E/smtp_capture.py" --dir "$tmp/$name.d" \
		--port-file "$tmp/$name.port" "$@" 2>"$tmp/$name.err" &
	pid=$!
	pids="$pids $pid"
	wait_port "$name" "$pid"
}
# mail PORT [OPTIONS] - one notice over STARTTLS; sets $out, $rc
mail() {
	p=$1
	shift
	set +e
	out=$("$PB_SEND" mail --relay "smtp://127.0.0.1:$p/notices.example.org" \
		--from notices@example.org --to alice@example.org \
		--subject-file "$tmp/subject" --reply-file "$tmp/reply" \
		--msgid "<pb.tls@example.org>" --date 1764300000 --starttls "$@" 2>&1)
	rc=$?
	set -e
	echo "mail :$p -> rc=$rc $out"
}
# captured NAME - how many messages the server NAME kept
captured() { ls "$tmp/$1.d" | grep -c '\.eml$' || true; }

for n in good expired otherhost self; do
	smtp "$n" --tls "$c/$n.pem" "$c/$n.key"
	eval "port_$n=$port"
done
smtp plain
port_plain=$port

mail "$port_good" --ca "$c/ca.pem"
expect_rc 0
has smtp=250 class=success
[ "$(captured good)" -eq 1 ] || fail "not captured"
grep -q MARK "$tmp/good.d/1.eml" || fail "quote missing"

mail "$port_good"
expect_rc 2
has curl=60 class=transient verdict=retry
for n in self expired otherhost; do
	eval "mail \"\$port_$n\" --ca \"$c/ca.pem\""
	expect_rc 2
	has curl=60 class=transient
	[ "$(captured "$n")" -eq 0 ] || fail "$n received mail"
done

# TLS required, relay offers none: not sent (libcurl: CURLE_USE_SSL_FAILED)
mail "$port_plain" --ca "$c/ca.pem"
expect_rc 2
has curl=64 class=transient
[ "$(captured plain)" -eq 0 ] || fail "sent without TLS"
[ "$(captured good)" -eq 1 ] || fail "unexpected extra message"
echo "t_mailer_tls: all cases passed"
