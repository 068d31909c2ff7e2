#!/bin/sh
# t_harness_sasl.sh - the harness's SASL option (PB_SASL=1): a private
# Dovecot from Debian's dovecot-core serves AUTH to A's real smtpd.  Proves
# that A offers AUTH PLAIN LOGIN (and the reinjection smtpd does not), that
# authenticated submissions log "sasl_method=M, sasl_username=U" on the
# client= line, that a wrong password or an unknown user is refused with 535
# and queues nothing, and that Dovecot is gone, with the temp dir, after a
# normal exit and after a signal.  Runs as root; about 5 s.
set -u
here=$(cd "$(dirname "$0")" && pwd)
PB_E2E=$here
. "$here/harness.sh"

# ehlo_of PORT - the EHLO keywords a port announces, one per line.
ehlo_of() {
	"$PB_PY" -c 'import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
code, text = s.ehlo("client.test")
print(text.decode())
s.quit()' "$1"
}

# refused WHAT USER:PASS [MECH] - the submission must be refused at AUTH
# with 535, log smtpd's warning and Dovecot's reason, and queue nothing.
refused() {
	local what=$1 cred=$2 mech=${3:-PLAIN} off doff sent rc
	off=$(pb_log_size)
	doff=$(pb_log_size "$PB_SASL_LOG")
	sent=$(wc -l <"$PB_SENT")
	pb_send --auth "$cred" --auth-mech "$mech" --to no@sink.test \
		--subject "h $what" >/dev/null 2>"$PB_T/refused.err"
	rc=$?
	[ "$rc" = 2 ] || pb_fail "$what: smtpsend exit $rc, not 2 (AUTH refused)"
	grep -q "^smtpsend: refused AUTH <${cred%%:*}>: 535 5\.7\.8 " "$PB_T/refused.err" ||
		pb_fail "$what: no 535 5.7.8 reply: $(cat "$PB_T/refused.err")"
	pb_expect_log -o "$off" "smtpd\[[0-9]+\]: warning: localhost\[127\.0\.0\.1\]: SASL $mech authentication failed: .*, sasl_username=${cred%%:*}\$"
	pb_expect_log -f "$PB_SASL_LOG" -o "$doff" "auth: Info: passwd-file\(${cred%%:*},127\.0\.0\.1\): $4"
	[ "$(wc -l <"$PB_SENT")" = "$sent" ] || pb_fail "$what: a message was queued"
	pb_log_slice "$off" | grep -q ": client=.*sasl_username=" &&
		pb_fail "$what: a client= line with sasl_username after a refusal"
	return 0
}

# accepted USER:PASS MECH - an authenticated submission, logged and sent.
accepted() {
	local cred=$1 mech=$2 qid
	qid=$(pb_send --auth "$cred" --auth-mech "$mech" --from "${cred%%:*}@client.test" \
		--to "auth-$mech@sink.test" --subject "h auth $mech") ||
		pb_fail "$mech: authenticated submission refused"
	pb_expect_log "smtpd\[[0-9]+\]: $qid: client=localhost\[127\.0\.0\.1\], sasl_method=$mech, sasl_username=${cred%%:*}\$"
	pb_expect_log "smtp\[[0-9]+\]: $qid: to=<auth-$mech@sink.test>, .*status=sent "
	echo "$mech submission $qid: sasl_method=$mech, sasl_username=${cred%%:*}"
}

# main_checks - one harness run with SASL; records what must vanish after.
main_checks() {
	local state=$1 t0 ms ehlo q
	PB_SASL=1 PB_SASL_USERS="alice:s3cret bob:pa55-w0rd"
	pb_start
	echo "$PB_T $PB_DOVECOT_PID" >"$state"
	echo "startup_ms $PB_STARTUP_MS (dovecot ${PB_SASL_START_MS} ms)"

	# Dovecot runs from our config only, with no mail protocol.
	ps -o args= -p "$PB_DOVECOT_PID" | grep -qx "/usr/sbin/dovecot -c $PB_SASL_DIR/dovecot.conf" ||
		pb_fail "Dovecot master $PB_DOVECOT_PID: '$(ps -o args= -p "$PB_DOVECOT_PID")'"
	pb_expect_log -f "$PB_SASL_LOG" "master: Info: Dovecot v[0-9.]+ .* starting up without any protocols"
	[ "$(stat -c '%U:%G %a' "$PB_SASL_SOCK")" = "postfix:postfix 660" ] ||
		pb_fail "auth listener $PB_SASL_SOCK: $(stat -c '%U:%G %a' "$PB_SASL_SOCK")"

	ehlo=$(ehlo_of "$PB_PORT_A") || pb_fail "EHLO to A"
	printf '%s\n' "$ehlo" | grep -qx 'AUTH PLAIN LOGIN' ||
		pb_fail "A does not offer AUTH PLAIN LOGIN: $(printf '%s' "$ehlo" | tr '\n' ' ')"
	ehlo=$(ehlo_of "$PB_PORT_REINJECT") || pb_fail "EHLO to the reinjection smtpd"
	printf '%s\n' "$ehlo" | grep -q '^AUTH' &&
		pb_fail "the reinjection smtpd offers AUTH"

	accepted alice:s3cret PLAIN
	accepted bob:pa55-w0rd LOGIN
	# Without --auth-mech smtplib picks PLAIN first: the common case.
	q=$(pb_send --auth alice:s3cret --to auth-any@sink.test --subject "h auth any") ||
		pb_fail "default mechanism: submission refused"
	pb_expect_log "smtpd\[[0-9]+\]: $q: client=localhost\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=alice\$"

	refused "wrong password" alice:wrong PLAIN "Password mismatch"
	refused "wrong password (LOGIN)" bob:s3cret LOGIN "Password mismatch"
	refused "unknown user" mallory:s3cret PLAIN "unknown user"

	# No growing per-IP penalty after failures: the next login is prompt.
	t0=$(pb_now_ns)
	accepted alice:s3cret PLAIN >/dev/null
	ms=$(pb_elapsed_ms "$t0")
	echo "login after 3 failures: $ms ms"
	[ "$ms" -lt 2000 ] || pb_fail "login after failures took $ms ms (auth penalty?)"
	echo "main checks passed"
}

# inner_signal - a SASL run that waits to be killed by a signal.
inner_signal() {
	PB_SASL=1
	pb_start
	echo "$PB_T $PB_DOVECOT_PID" >"$1.tmp"
	mv "$1.tmp" "$1"
	i=0
	while [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	pb_fail "inner_signal was not killed"
}

# assert_gone WHAT STATE - temp dir and Dovecot's whole group are gone.
assert_gone() {
	local what=$1 state=$2 t p
	[ -s "$state" ] || { echo "FAIL: $what: no state recorded" >&2; return 1; }
	read -r t p <"$state"
	[ -n "$p" ] || { echo "FAIL: $what: no Dovecot pid recorded" >&2; return 1; }
	[ -e "$t" ] && { echo "FAIL: $what: temp dir $t left behind" >&2; return 1; }
	# A zombie (not yet reaped by PID 1) is not a live process.
	if pgrep -g "$p" -r R,S,D,T,t,W,I >/dev/null; then
		echo "FAIL: $what: Dovecot process group $p still alive" >&2
		return 1
	fi
	echo "$what: cleanup ok ($t removed, Dovecot group $p gone)"
}

case ${1:-} in
--inner-main) main_checks "$2"; exit 0 ;;
--inner-signal) inner_signal "$2" ;;
esac

# sys_state - Dovecot's system directories as they are now (the runs must
# not touch them; a system Dovecot, if any, is someone else's).
sys_state() {
	ls -lA --time-style=+%s.%N /run/dovecot /var/lib/dovecot 2>&1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/pbt.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
status=0
sys_state >"$work/sys.before"
t0=$(pb_now_ns)
sh "$0" --inner-main "$work/main.state" || status=1
echo "main run: $(pb_elapsed_ms "$t0") ms"
assert_gone "successful run" "$work/main.state" || status=1

t0=$(pb_now_ns)
sh "$0" --inner-signal "$work/sig.state" >"$work/sig.out" 2>&1 &
ps=$!
i=0
while [ ! -s "$work/sig.state" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$ps"
wait "$ps"
echo "signalled run: $(pb_elapsed_ms "$t0") ms"
assert_gone "signalled run" "$work/sig.state" || { status=1; cat "$work/sig.out" >&2; }

sys_state >"$work/sys.after"
cmp -s "$work/sys.before" "$work/sys.after" ||
	{ echo "FAIL: /run/dovecot or /var/lib/dovecot changed:" >&2
	  diff "$work/sys.before" "$work/sys.after" >&2; status=1; }

[ $status = 0 ] && echo PASS
exit $status
