# harness.sh - a real, private Postfix on loopback for plainbounce tests.
#
# Source it from a POSIX sh test (dash or bash; uses `local`):
#	. "$(dirname "$0")/harness.sh"; pb_start
# Owns: one temp dir holding two Postfix instances, an smtp-sink and their
# logs.  Guarantees: nothing outside the temp dir is written (no /etc/postfix,
# no /var/spool, no DNS: every domain is routed by transport_maps), ports are
# picked free at run time (parallel runs do not collide), and on exit -- normal,
# failure or signal -- every process it started is stopped and the temp dir is
# removed.  On a non-zero exit the tails of both maillogs go to stderr.
#
# Instances
#   A  "mail.client.test", the system under test: smtpd on $PB_PORT_A, a second
#      smtpd on $PB_PORT_REINJECT with -o content_filter= (the way back from a
#      content filter), pickup, local(8) for @localhost, log $PB_A_LOG.
#      Access map: any recipient @blocked.test is refused (NOQUEUE reject).
#   B  "mx.remote.test", syslog_name postfix-mx, long queue IDs, on $PB_PORT_B,
#      log $PB_B_LOG.  Answers per recipient local part @remote.test:
#	 nouser*  550 5.1.1 User unknown in relay recipient table
#	 full*    452 4.2.2 Mailbox full
#	 grey*    451 4.7.1 Greylisted, please try again later  (pb_mx_lift ADDR)
#	 policy*  554 5.7.1 Rejected by local policy
#	 other    accepted (discard(8): "accepted by test MX")
#      and a Subject containing CONTENT-REJECT gets
#	 550 5.7.1 Message content rejected by policy  at end of DATA.
#   smtp-sink on $PB_PORT_SINK accepts everything (dump file $PB_SINK_DUMP).
#   Dovecot (only with PB_SASL=1): a private auth service, Debian's
#      dovecot-core run as root with its own config (-c $PB_SASL_DIR/
#      dovecot.conf), base_dir, state_dir and log under $PB_SASL_DIR, no mail
#      protocols.  A's smtpd offers AUTH PLAIN LOGIN without TLS
#      (smtpd_sasl_type = dovecot, smtpd_sasl_path = $PB_SASL_SOCK; smtpd
#      unix_connect()s that path as given, so an absolute path works with
#      chroot off -- a relative one would resolve in A's queue directory).
#      Users from a passwd-file: PB_SASL_USERS (default "alice:s3cret").
#      A's log then shows "client=..., sasl_method=PLAIN, sasl_username=
#      alice"; a wrong password gets 535 5.7.8 after ~0.5 s per mechanism
#      tried (Dovecot answers failures on a 0.5 s tick; its growing
#      per-IP auth penalty is switched off).  The reinjection smtpd never
#      offers AUTH.
#   $PB_PORT_CLOSED has no listener (Connection refused).
# A's routes: remote.test -> B, sink.test and client.test -> smtp-sink (so
# NDRs to senders @client.test land there), closed.test -> closed port,
# error.test -> error(8) 5.1.2, localhost -> local(8), anything else ->
# error(8) 5.4.4 "domain not routed by the harness".
#
# Variables (set by pb_start)
#   PB_T temp dir; PB_A_ETC PB_B_ETC config dirs; PB_A_SPOOL PB_B_SPOOL;
#   PB_A_LOG PB_B_LOG maillogs; PB_SINK_DUMP; PB_SENT (qid<TAB>msgid<TAB>subject
#   per submitted message); PB_PORT_A PB_PORT_REINJECT PB_PORT_B PB_PORT_SINK
#   PB_PORT_CLOSED; PB_PY (/usr/bin/python3); PB_E2E (this directory);
#   PB_STARTUP_MS (start of pb_start to every 220 banner, milliseconds);
#   PB_MASTERS (the two master pids), PB_SINK_PID.  With PB_SASL=1 also
#   PB_SASL_DIR, PB_SASL_SOCK (auth listener), PB_SASL_LOG (Dovecot's log),
#   PB_DOVECOT_PID (its master: leader of its own session and group),
#   PB_SASL_START_MS (config written to listener up, milliseconds).
#   Before pb_start: PB_A_MAIN_EXTRA / PB_B_MAIN_EXTRA (lines appended to
#   main.cf; for keys the harness already sets, use pb_conf_a after start,
#   as a repeated key makes Postfix warn), PB_KEEP=1 (keep the temp dir on
#   exit, for debugging), PB_DEBUG=1 (start-up progress with timestamps),
#   PB_PORTS="A REINJECT B SINK CLOSED" (ports for the first attempt only),
#   PB_SASL=1 (start Dovecot and enable AUTH on A), PB_SASL_USERS="USER:PASS
#   ..." (space-separated; no ':' or whitespace inside a password).
# Works under `set -eu`.  Every function but pb_start/pb_stop may run in
# $(...): what must outlive the call is kept in files under $PB_T.
# Timing: up in ~0.7 s on an idle 2-core box, 2-3 s under load; stop ~0.1 s.
# Dovecot adds ~0.05 s to start and nothing measurable to stop.
#
# Functions
#   pb_start / pb_stop               bring everything up / down (pb_stop is also
#                                    the EXIT trap; set PB_ON_EXIT="cmd" to run
#                                    a test's own cleanup first)
#   pb_fail MSG                      print "FAIL: MSG", exit 1
#   pb_send [smtpsend.py options]    SMTP to A (--from --to --subject --header
#                                    --message-id --notify --auth USER:PASS
#                                    --auth-mech --burst ...); prints the
#                                    queue ID(s); exit status of smtpsend.py
#                                    (0 queued, 2 AUTH/MAIL/RCPT refused,
#                                    3 DATA refused)
#   pb_sendmail [-f FROM] [-s SUBJ] [-H HDR]... RCPT...
#                                    local submission (sendmail -C); prints QID
#   pb_log_size [FILE]               byte offset now (default A's log)
#   pb_log_slice FROM [TO] [FILE]    the bytes FROM..TO of a log
#   pb_wait_log [-f FILE] [-o OFF] [-t SECS] [-n N] [-F] PATTERN
#                                    wait (SECS whole seconds, <= 10, default
#                                    10; polls 0.1 s) until N lines after byte
#                                    OFF match the ERE (-F: fixed string);
#                                    prints them; 1 on timeout
#   pb_expect_log [same options] PATTERN
#                                    pb_wait_log, or pb_fail naming PATTERN
#   pb_qid_by_msgid MSGID            QID of the first cleanup line with
#                                    message-id=MSGID (a content-filter hop
#                                    logs the same Message-ID under a 2nd QID)
#   pb_qid_by_subject SUBJ           QID recorded for that Subject
#   pb_wait_removed QID              wait for "QID: removed"
#   pb_notice_qid QID [KIND]         NEWID of bounce(8)'s "sender KIND
#                                    notification" (non-delivery, delay, ...)
#   pb_wait_quiet                    queue empty and log idle for 0.3 s
#   pb_retry QID / pb_flush          postqueue -i QID / postqueue -f
#   pb_expire QID                    postsuper -e QID, then postqueue -i QID
#   pb_conf_a KEY=VALUE... / pb_conf_b ...
#                                    postconf -e, reload, wait for the reload
#   pb_mx_lift ADDR                  B stops greylisting ADDR
#   pb_queue_count                   files in A's queues (0 = empty)
#   pb_log_tail [N]                  last N lines of both maillogs
#   pb_sink_start [smtp-sink opts]   another smtp-sink (e.g. -r RCPT: 4xx,
#                                    -f DATA: 5xx) on a free port; prints it
#   pb_route DOMAIN NEXTHOP          add a transport_maps route on A + reload
#                                    (NEXTHOP e.g. smtp:[127.0.0.1]:PORT)
#   pb_free_ports N                  N currently free loopback ports (milters,
#                                    webhook receivers, extra sinks)
#   pb_now_ns / pb_elapsed_ms NS     timings (date +%s%N based)

PB_PY=/usr/bin/python3
PB_T=
PB_SINK_PID=
PB_MASTERS=
PB_DOVECOT_PID=
PB_STARTERS=
PB_STOPPED=0

# pb_fail - report a test failure and exit non-zero (the trap cleans up).
pb_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# pb__debug - timestamped progress notes when PB_DEBUG=1.
pb__debug() {
	[ "${PB_DEBUG:-0}" = 1 ] && echo "harness: $(date +%T.%N | cut -c1-12) $*" >&2
	return 0
}

# pb_now_ns - monotonic-enough wall clock in nanoseconds for timings.
pb_now_ns() {
	date +%s%N
}

# pb_elapsed_ms - milliseconds since a pb_now_ns value.
pb_elapsed_ms() {
	echo $(( ($(pb_now_ns) - $1) / 1000000 ))
}

# pb__locate - find this file's directory even when sourced by a test.
pb__locate() {
	if [ -n "${PB_E2E:-}" ] && [ -f "$PB_E2E/harness.sh" ]; then
		return 0
	fi
	if [ -n "${PB_SRCDIR:-}" ] && [ -f "$PB_SRCDIR/tests/e2e/harness.sh" ]; then
		PB_E2E=$PB_SRCDIR/tests/e2e
		return 0
	fi
	PB_E2E=$(cd "$(dirname "$0")" && pwd)
	case $PB_E2E in
	*/tests/e2e) ;;
	*) PB_E2E=$(cd "$(dirname "$0")/../e2e" 2>/dev/null && pwd) ;;
	esac
	[ -f "$PB_E2E/harness.sh" ] || { echo "harness: cannot find tests/e2e (set PB_E2E)" >&2; exit 1; }
}

# pb__require - the harness needs root and Postfix; say so plainly if not.
pb__require() {
	if [ "$(id -u)" != 0 ]; then
		echo "harness: must run as root (Postfix master starts as root)" >&2
		exit 77
	fi
	for _c in postfix postconf postmap postqueue postsuper sendmail smtp-sink; do
		command -v "$_c" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
		command -v "$_c" >/dev/null 2>&1 || { echo "harness: $_c not installed (apt-get install postfix)" >&2; exit 77; }
	done
	[ -x "$PB_PY" ] || { echo "harness: $PB_PY missing" >&2; exit 77; }
	if [ "${PB_SASL:-0}" = 1 ]; then
		command -v dovecot >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
		command -v dovecot >/dev/null 2>&1 ||
			{ echo "harness: dovecot not installed (apt-get install dovecot-core)" >&2; exit 77; }
	fi
}

# pb__main_cf DIR - make instance DIR and its main.cf: the lines every
# private loopback instance has, then the instance's own (stdin).
pb__main_cf() {
	mkdir -p "$1/etc" "$1/spool" "$1/data"
	chown postfix "$1/data"
	{
		cat <<EOF
compatibility_level = 3.6
queue_directory = $1/spool
data_directory = $1/data
myorigin = \$mydomain
local_recipient_maps =
alias_maps =
alias_database =
biff = no
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
EOF
		cat
	} >"$1/etc/main.cf"
}

# pb__write_a - A's main.cf, master.cf and maps (values are ours, no $-expansion
# by Postfix except the escaped \$config_directory).
pb__write_a() {
	local d=$PB_T/a
	pb__main_cf "$d" <<EOF
# plainbounce harness: instance A (system under test)
myhostname = mail.client.test
mydomain = client.test
mydestination = localhost
append_dot_mydomain = no
relay_domains =
maillog_file = $PB_A_LOG
maillog_file_prefixes = $PB_T
transport_maps = hash:\$config_directory/transport
smtpd_recipient_restrictions = check_recipient_access hash:\$config_directory/rcpt_access
smtp_host_lookup = native
smtp_connect_timeout = 5s
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
bounce_template_file = \$config_directory/bounce.cf
$(pb__sasl_main_cf)
${PB_A_MAIN_EXTRA:-}
EOF
	pb__master_cf >"$d/etc/master.cf"
	cat >>"$d/etc/master.cf" <<EOF
127.0.0.1:$PB_PORT_A inet n - n - - smtpd
127.0.0.1:$PB_PORT_REINJECT inet n - n - - smtpd
  -o content_filter=
  -o myhostname=mail.reinject.client.test
  -o smtpd_sasl_auth_enable=no
pickup unix n - n 10 1 pickup
local unix - n n - - local
EOF
	cat >"$d/etc/transport" <<EOF
remote.test	smtp:[127.0.0.1]:$PB_PORT_B
sink.test	smtp:[127.0.0.1]:$PB_PORT_SINK
client.test	smtp:[127.0.0.1]:$PB_PORT_SINK
closed.test	smtp:[127.0.0.1]:$PB_PORT_CLOSED
error.test	error:5.1.2 Bad destination system address (harness error transport)
localhost	local:
*	error:5.4.4 domain not routed by the plainbounce harness
EOF
	printf 'blocked.test\tREJECT Access denied\n' >"$d/etc/rcpt_access"
	# Short delay warnings need a template without *_hours (pitfall 4).
	cat >"$d/etc/bounce.cf" <<'EOF'
delay_template = <<EOT
Charset: us-ascii
From: MAILER-DAEMON (Mail Delivery System)
Subject: Delayed Mail (still being retried)
Postmaster-Subject: Postmaster Warning: Delayed Mail

This is the mail system at host $myhostname.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than
$delay_warning_time_seconds second(s). It will be retried until it is
$maximal_queue_lifetime_days day(s) old.
EOT
EOF
	pb__settle "$d/etc"
	postmap -c "$d/etc" "hash:$d/etc/transport" "hash:$d/etc/rcpt_access"
}

# pb__write_b - B's config: the scripted remote MX.
pb__write_b() {
	local d=$PB_T/b
	pb__main_cf "$d" <<EOF
# plainbounce harness: instance B (the remote MX for remote.test)
syslog_name = postfix-mx
enable_long_queue_ids = yes
myhostname = mx.remote.test
mydomain = remote.test
mydestination =
relay_domains = remote.test
relay_recipient_maps = regexp:\$config_directory/relay_recipients
smtpd_recipient_restrictions =
  check_recipient_access hash:\$config_directory/rcpt_lift,
  check_recipient_access regexp:\$config_directory/rcpt_policy,
  reject_unlisted_recipient
header_checks = regexp:\$config_directory/header_checks
transport_maps = hash:\$config_directory/transport
maillog_file = $PB_B_LOG
maillog_file_prefixes = $PB_T
${PB_B_MAIN_EXTRA:-}
EOF
	pb__master_cf >"$d/etc/master.cf"
	echo "127.0.0.1:$PB_PORT_B inet n - n - - smtpd" >>"$d/etc/master.cf"
	cat >"$d/etc/relay_recipients" <<'EOF'
!/^nouser[^@]*@remote\.test$/	OK
EOF
	cat >"$d/etc/rcpt_policy" <<'EOF'
/^grey[^@]*@remote\.test$/	451 4.7.1 Greylisted, please try again later
/^full[^@]*@remote\.test$/	452 4.2.2 Mailbox full
/^policy[^@]*@remote\.test$/	554 5.7.1 Rejected by local policy
EOF
	cat >"$d/etc/header_checks" <<'EOF'
/^Subject:.*CONTENT-REJECT/	REJECT 5.7.1 Message content rejected by policy
EOF
	cat >"$d/etc/transport" <<'EOF'
remote.test	discard:accepted by test MX
*	error:5.4.4 domain not routed by the test MX
EOF
	: >"$d/etc/rcpt_lift"
	pb__settle "$d/etc"
	postmap -c "$d/etc" "hash:$d/etc/transport" "hash:$d/etc/rcpt_lift"
}

# pb__sasl_main_cf - A's main.cf lines for SASL through the private Dovecot
# (nothing without PB_SASL=1).  noanonymous alone lets PLAIN and LOGIN run
# over the unencrypted loopback connection.
pb__sasl_main_cf() {
	[ "${PB_SASL:-0}" = 1 ] || return 0
	cat <<EOF
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $PB_SASL_SOCK
smtpd_sasl_security_options = noanonymous
EOF
}

# pb__sasl_start - write Dovecot's config and passwd-file, start it (it
# daemonizes into its own session) and wait for master.pid and the listener.
pb__sasl_start() {
	local d=$PB_T/sasl u name pass i=0 t0
	t0=$(pb_now_ns)
	PB_SASL_DIR=$d PB_SASL_SOCK=$d/auth PB_SASL_LOG=$d/dovecot.log
	mkdir -p "$d/run" "$d/state"
	: >"$d/passwd"
	for u in ${PB_SASL_USERS:-alice:s3cret}; do
		name=${u%%:*} pass=${u#*:}
		case $u in
		?*:?*) case $pass in *:*) u= ;; esac ;;
		*) u= ;;
		esac
		[ -n "$u" ] || { echo "harness: bad PB_SASL_USERS entry (USER:PASS)" >&2; return 1; }
		printf '%s:{PLAIN}%s\n' "$name" "$pass" >>"$d/passwd"
	done
	# The auth process runs as user dovecot; the file holds test passwords only.
	chmod 644 "$d/passwd"
	cat >"$d/dovecot.conf" <<EOF
# plainbounce harness: a private Dovecot serving only SASL to A's smtpd
protocols =
instance_name = pb-${PB_T##*.}
base_dir = $d/run
state_dir = $d/state
log_path = $PB_SASL_LOG
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
# No authentication penalty: a test's wrong password must not slow the
# next login from 127.0.0.1 (2 s, then 4, 8, 15 s).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  unix_listener $PB_SASL_SOCK {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
	if ! dovecot -c "$d/dovecot.conf" </dev/null >"$d/start.err" 2>&1; then
		echo "harness: dovecot did not start:" >&2
		cat "$d/start.err" "$PB_SASL_LOG" >&2 2>/dev/null
		return 1
	fi
	# Bounded: 5 s in 0.02 s steps (it takes ~0.05 s when idle).
	while [ ! -S "$PB_SASL_SOCK" ] || [ ! -s "$d/run/master.pid" ]; do
		i=$((i + 1))
		if [ $i -gt 250 ]; then
			echo "harness: dovecot's auth listener $PB_SASL_SOCK did not appear" >&2
			cat "$PB_SASL_LOG" >&2 2>/dev/null
			return 1
		fi
		sleep 0.02
	done
	PB_DOVECOT_PID=$(tr -dc '0-9' <"$d/run/master.pid")
	PB_SASL_START_MS=$(pb_elapsed_ms "$t0")
	pb__debug "dovecot up (pid $PB_DOVECOT_PID) in $PB_SASL_START_MS ms"
}

# pb__sasl_stop - TERM Dovecot's whole process group: its master alone
# would wait ~1 s before stopping its log process.  Only a live group
# leader is signalled, so a stale master.pid cannot hit a stranger.
pb__sasl_stop() {
	local p=$PB_DOVECOT_PID i=0
	# A signal right after "dovecot" returned: its pid file may be ~0.05 s
	# late (up to 1 s is spent here only when Dovecot never started).
	while [ -z "$p" ] && [ -f "$PB_T/sasl/dovecot.conf" ] && [ $i -lt 50 ]; do
		p=$(tr -dc '0-9' <"$PB_T/sasl/run/master.pid" 2>/dev/null) || p=
		[ -n "$p" ] && break
		i=$((i + 1))
		sleep 0.02
	done
	[ -n "$p" ] || return 0
	PB_DOVECOT_PID=$p
	[ "$(ps -o pgid= -p "$p" 2>/dev/null | tr -d ' ')" = "$p" ] &&
		kill -s TERM -- "-$p" 2>/dev/null
	return 0
}

# pb__settle - date config files 2 s back: Postfix re-reads a main.cf that
# changed in the current second until the clock moves on (up to ~1.5 s).
pb__settle() {
	local f
	for f in "$1"/*; do
		touch -d "@$(( $(date +%s) - 2 ))" "$f"
	done
}

# pb__master_cf - the services both instances need (chroot off everywhere;
# proxymap and postlog are required, see spike-postfix.md).
pb__master_cf() {
	cat <<'EOF'
# service type private unpriv chroot wakeup maxproc command
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
}

# pb__master_pid - the running master's pid of instance a or b, or nothing.
pb__master_pid() {
	local f=$PB_T/$1/spool/pid/master.pid p
	[ -r "$f" ] || return 0
	p=$(tr -dc '0-9' <"$f")
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
	return 0
}

# pb__start_instance - "postfix start" one instance; check rc and the log,
# because a bad setting can fail with nothing on stderr (pitfall 1).
pb__start_instance() {
	local i=$1 log=$2
	if ! postfix -c "$PB_T/$i/etc" start </dev/null >"$PB_T/log/$i.start" 2>&1; then
		echo "harness: postfix start of instance $i failed" \
			"(no output usually means a port was taken):" >&2
		cat "$PB_T/log/$i.start" >&2
		[ -f "$log" ] && tail -n 20 "$log" >&2
		return 1
	fi
	return 0
}

# pb__try_start - one attempt at bringing up A, B and the sink on fresh ports.
pb__try_start() {
	local ports rc_a rc_b pa pb
	if [ -n "${PB_PORTS:-}" ]; then
		ports=$PB_PORTS		# first attempt only (tests the retry path)
		PB_PORTS=
	else
		ports=$(pb_free_ports 5) || return 1
	fi
	set -- $ports
	PB_PORT_A=$1 PB_PORT_REINJECT=$2 PB_PORT_B=$3 PB_PORT_SINK=$4 PB_PORT_CLOSED=$5
	rm -rf "$PB_T/a" "$PB_T/b" "$PB_T/log" "$PB_T/sasl"
	mkdir -p "$PB_T/log" "$PB_T/sink"
	if [ "${PB_SASL:-0}" = 1 ]; then
		pb__sasl_start || return 1
	fi
	chown nobody "$PB_T/sink"
	: >"$PB_A_LOG"
	: >"$PB_B_LOG"
	pb__debug "writing config"
	pb__write_a
	pb__write_b
	pb__debug "config written"
	smtp-sink -u nobody -h sink.test -D "$PB_SINK_DUMP" \
		"127.0.0.1:$PB_PORT_SINK" 64 </dev/null >"$PB_T/log/sink.err" 2>&1 &
	PB_SINK_PID=$!
	# Both instances start in parallel ("postfix check" dominates start-up).
	pb__start_instance a "$PB_A_LOG" & pa=$!
	pb__start_instance b "$PB_B_LOG" & pb=$!
	PB_STARTERS="$pa $pb"
	wait "$pa"; rc_a=$?
	wait "$pb"; rc_b=$?
	PB_STARTERS=
	pb__debug "postfix start returned a=$rc_a b=$rc_b"
	PB_MASTERS="$(pb__master_pid a) $(pb__master_pid b)"
	[ "$rc_a" = 0 ] && [ "$rc_b" = 0 ] || return 1
	kill -0 "$PB_SINK_PID" 2>/dev/null ||
		{ echo "harness: smtp-sink died:" >&2; cat "$PB_T/log/sink.err" >&2; return 1; }
	for p in $PB_PORT_A $PB_PORT_REINJECT $PB_PORT_B $PB_PORT_SINK; do
		"$PB_PY" "$PB_E2E/pbnet.py" banner "$p" 10 || return 1
		pb__debug "220 on $p"
	done
	PB_MASTERS="$(pb__master_pid a) $(pb__master_pid b)"
	return 0
}

# pb_start - create the temp dir, start A, B and smtp-sink, wait for 220s.
pb_start() {
	local t0 try busy
	pb__locate
	pb__require
	t0=$(pb_now_ns)
	trap 'pb__exit_trap' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	PB_T=$(mktemp -d "${TMPDIR:-/tmp}/pbh.XXXXXX") || pb_fail "mktemp"
	chmod 755 "$PB_T"
	PB_A_ETC=$PB_T/a/etc PB_B_ETC=$PB_T/b/etc
	PB_A_SPOOL=$PB_T/a/spool PB_B_SPOOL=$PB_T/b/spool
	PB_A_LOG=$PB_T/log/a.maillog PB_B_LOG=$PB_T/log/b.maillog
	PB_SINK_DUMP=$PB_T/sink/dump
	PB_SENT=$PB_T/sent.tsv
	: >"$PB_SENT"
	try=1
	while ! pb__try_start; do
		# Only a lost race for a port is worth another attempt; a master
		# that cannot bind logs nothing, so ask the ports themselves.
		pb__stop_processes
		busy=$("$PB_PY" "$PB_E2E/pbnet.py" busy $PB_PORT_A $PB_PORT_REINJECT \
			$PB_PORT_B $PB_PORT_SINK) || busy=
		if [ $try -lt 3 ] && [ -n "$busy" ]; then
			echo "harness: port(s) $busy taken meanwhile, retrying" >&2
			try=$((try + 1))
			continue
		fi
		pb_fail "harness did not come up (see maillog tails below)"
	done
	PB_STARTUP_MS=$(pb_elapsed_ms "$t0")
	echo "harness: up in ${PB_STARTUP_MS} ms in $PB_T (A :$PB_PORT_A," \
		"reinject :$PB_PORT_REINJECT, B :$PB_PORT_B, sink :$PB_PORT_SINK," \
		"closed :$PB_PORT_CLOSED)" >&2
}

# pb__stop_processes - TERM both masters (each takes its process group down)
# and the sink; wait until no live process is left, KILL the groups after 5 s.
pb__stop_processes() {
	local m i left
	# A signal during start-up: let "postfix start" finish so that the
	# master's pid file exists before we look for it.
	for m in $PB_STARTERS; do
		wait "$m" 2>/dev/null || :
	done
	PB_STARTERS=
	PB_MASTERS="$PB_MASTERS $(pb__master_pid a) $(pb__master_pid b)"
	for m in $PB_MASTERS; do
		kill -s TERM "$m" 2>/dev/null || :
	done
	pb__sasl_stop
	for m in $PB_SINK_PID $(cat "$PB_T/extra.pids" 2>/dev/null); do
		kill -s TERM "$m" 2>/dev/null || :
		wait "$m" 2>/dev/null || :
	done
	PB_SINK_PID=
	rm -f "$PB_T/extra.pids"
	i=0
	while :; do
		left=
		# Zombies do not count: PID 1 here reaps orphans lazily.
		for m in $PB_MASTERS $PB_DOVECOT_PID; do
			pgrep -g "$m" -r R,S,D,T,t,W,I >/dev/null 2>&1 && left="$left $m"
		done
		[ -z "$left" ] && break
		if [ $i -ge 50 ]; then
			for m in $left; do
				echo "harness: killing leftover process group $m" >&2
				kill -s KILL -- "-$m" 2>/dev/null || :
			done
			sleep 0.2
			break
		fi
		i=$((i + 1))
		sleep 0.1
	done
	PB_MASTERS= PB_DOVECOT_PID=
}

# pb_stop - stop everything and remove the temp dir (idempotent).
pb_stop() {
	[ "$PB_STOPPED" = 1 ] && return 0
	PB_STOPPED=1
	[ -n "$PB_T" ] || return 0
	pb__stop_processes
	if [ "${PB_KEEP:-0}" = 1 ]; then
		echo "harness: kept $PB_T" >&2
	else
		rm -rf "$PB_T" || :
	fi
}

# pb__exit_trap - test cleanup hook, log tails on failure, then pb_stop.
pb__exit_trap() {
	local rc=$?
	set +e		# a test's `set -e` must not cut the cleanup short
	trap - EXIT HUP INT TERM
	if [ -n "${PB_ON_EXIT:-}" ]; then
		eval "$PB_ON_EXIT" || :
	fi
	if [ "$rc" != 0 ] && [ -n "$PB_T" ] && [ "$PB_STOPPED" != 1 ]; then
		echo "harness: exit status $rc; maillog tails follow" >&2
		pb_log_tail 40 >&2
	fi
	pb_stop
	exit "$rc"
}

# pb_log_tail - the last N lines of A's and B's logs, labelled.
pb_log_tail() {
	local n=${1:-40}
	echo "---- tail of A's maillog ($PB_A_LOG)"
	tail -n "$n" "$PB_A_LOG" 2>/dev/null
	echo "---- tail of B's maillog ($PB_B_LOG)"
	tail -n "$n" "$PB_B_LOG" 2>/dev/null
	if [ -n "${PB_SASL_LOG:-}" ]; then
		echo "---- tail of Dovecot's log ($PB_SASL_LOG)"
		tail -n "$n" "$PB_SASL_LOG" 2>/dev/null
	fi
	echo "----"
}

# pb_log_size - current byte size of a log, to slice or wait from there.
pb_log_size() {
	local f=${1:-$PB_A_LOG}
	if [ -f "$f" ]; then
		wc -c <"$f" | tr -d ' '
	else
		echo 0
	fi
}

# pb_log_slice - bytes FROM (inclusive) to TO (exclusive) of a log.
pb_log_slice() {
	local from=$1 to=${2:-} f=${3:-$PB_A_LOG}
	if [ -n "$to" ]; then
		tail -c +"$((from + 1))" "$f" | head -c "$((to - from))"
	else
		tail -c +"$((from + 1))" "$f"
	fi
}

# pb_wait_log - bounded wait until N log lines after OFF match PATTERN.
pb_wait_log() {
	local f=$PB_A_LOG off=0 secs=10 n=1 mode=-E end got cnt
	while [ $# -gt 1 ]; do
		case $1 in
		-f) f=$2; shift 2 ;;
		-o) off=$2; shift 2 ;;
		-t) secs=$2; shift 2 ;;
		-n) n=$2; shift 2 ;;
		-F) mode=-F; shift ;;
		--) shift; break ;;
		*) break ;;
		esac
	done
	[ "$secs" -gt 10 ] && secs=10
	end=$(( $(date +%s) + secs ))
	while :; do
		got=$(tail -c +"$((off + 1))" "$f" 2>/dev/null | grep $mode -e "$1" | head -n "$n")
		if [ -n "$got" ]; then
			cnt=$(printf '%s\n' "$got" | wc -l)
			if [ "$cnt" -ge "$n" ]; then
				printf '%s\n' "$got"
				return 0
			fi
		fi
		if [ "$(date +%s)" -ge "$end" ]; then
			echo "harness: timeout (${secs}s) waiting for $n line(s) matching '$1' in $f after byte $off" >&2
			return 1
		fi
		sleep 0.1
	done
}

# pb_expect_log - pb_wait_log, failing the test when the line never comes.
pb_expect_log() {
	local last
	for last; do :; done
	pb_wait_log "$@" >/dev/null || pb_fail "expected log line not seen: $last"
}

# pb__qid_of - the queue ID field of log lines "... prog[pid]: QID: ...".
pb__qid_of() {
	sed -n 's/^[^]]*\]: \([0-9A-Za-z]\{1,\}\): .*/\1/p' | head -n 1
}

# pb_qid_by_msgid - wait for cleanup's message-id= line, print its QID.
pb_qid_by_msgid() {
	local line
	line=$(pb_wait_log -F "message-id=$1") || return 1
	printf '%s\n' "$line" | pb__qid_of
}

# pb_qid_by_subject - QID recorded by pb_send/pb_sendmail for a Subject.
pb_qid_by_subject() {
	awk -F '\t' -v s="$1" '$3 == s { print $1; exit }' "$PB_SENT" | grep . ||
		{ echo "harness: no message with Subject '$1' was submitted" >&2; return 1; }
}

# pb_send - SMTP submission to A via smtpsend.py; prints the QID(s).
pb_send() {
	"$PB_PY" "$PB_E2E/smtpsend.py" --port "$PB_PORT_A" --record "$PB_SENT" "$@"
}

# pb_sendmail - local submission through sendmail -C (pickup), prints QID.
pb_sendmail() {
	local from=alice@client.test subj="plainbounce local test" hdrs= msgid qid
	while [ $# -gt 0 ]; do
		case $1 in
		-f) from=$2; shift 2 ;;
		-s) subj=$2; shift 2 ;;
		-H) hdrs="$hdrs$2
"; shift 2 ;;
		--) shift; break ;;
		*) break ;;
		esac
	done
	[ $# -gt 0 ] || pb_fail "pb_sendmail: no recipient"
	# Unique without a counter: pb_sendmail often runs in $(...).
	msgid="<pb.$(date +%s%N).$$.${PB_T##*.}@client.test>"
	{
		printf 'From: %s\n' "${from:-MAILER-DAEMON@client.test}"
		printf 'To: %s\n' "$*"
		printf 'Subject: %s\n' "$subj"
		printf 'Message-ID: %s\n' "$msgid"
		printf '%s' "$hdrs"
		printf '\nplainbounce harness local submission.\n'
	} | sendmail -C "$PB_A_ETC" -f "${from:-<>}" -- "$@" ||
		{ echo "harness: sendmail -C failed" >&2; return 1; }
	qid=$(pb_qid_by_msgid "$msgid") || return 1
	printf '%s\t%s\t%s\n' "$qid" "$msgid" "$subj" >>"$PB_SENT"
	echo "$qid"
}

# pb_notice_qid - wait for bounce(8)'s "QID: sender KIND notification: NEWID"
# (KIND: non-delivery (default), delay, delivery status) and print NEWID.
pb_notice_qid() {
	local line
	line=$(pb_wait_log "\]: $1: sender ${2:-non-delivery} notification: ") || return 1
	printf '%s\n' "$line" | sed 's/.*notification: \([0-9A-Za-z]*\).*/\1/'
}

# pb_wait_quiet - wait (<= 10 s) until A's queue is empty and A's log has
# not grown for 0.3 s, so a scenario's lines can be cut off cleanly.
pb_wait_quiet() {
	local end s1 s2
	end=$(( $(date +%s) + 10 ))
	while [ "$(pb_queue_count)" -ne 0 ]; do
		[ "$(date +%s)" -ge "$end" ] && { echo "harness: queue not empty after 10s" >&2; return 1; }
		sleep 0.1
	done
	s1=$(pb_log_size)
	while :; do
		sleep 0.3
		s2=$(pb_log_size)
		[ "$s1" = "$s2" ] && return 0
		[ "$(date +%s)" -ge "$end" ] && return 0
		s1=$s2
	done
}

# pb_wait_removed - wait until qmgr logs that QID left the queue.
pb_wait_removed() {
	pb_wait_log "[]:] $1: removed\$" >/dev/null
}

# pb_retry - attempt delivery of QID now (postqueue -i).
pb_retry() {
	postqueue -c "$PB_A_ETC" -i "$1"
}

# pb_flush - attempt delivery of every deferred message now.
pb_flush() {
	postqueue -c "$PB_A_ETC" -f
}

# pb_expire - force-expire QID and let qmgr return it now.
pb_expire() {
	postsuper -c "$PB_A_ETC" -e "$1" && postqueue -c "$PB_A_ETC" -i "$1"
}

# pb__conf - postconf -e on an instance, then reload it.
pb__conf() {
	local i=$1
	shift
	postconf -c "$PB_T/$i/etc" -e "$@" || return 1
	touch -d "@$(( $(date +%s) - 2 ))" "$PB_T/$i/etc/main.cf"
	pb__reload "$i"
}

# pb__reload - "postfix reload" an instance and wait for master's reload line.
pb__reload() {
	local i=$1 log off
	if [ "$i" = a ]; then log=$PB_A_LOG; else log=$PB_B_LOG; fi
	off=$(pb_log_size "$log")
	postfix -c "$PB_T/$i/etc" reload >/dev/null 2>&1 || return 1
	pb_wait_log -f "$log" -o "$off" '/master\[[0-9]+\]: reload ' >/dev/null
}

# pb_conf_a - change A's main.cf keys (KEY=VALUE...) and reload A.
pb_conf_a() {
	pb__conf a "$@"
}

# pb_conf_b - change B's main.cf keys and reload B.
pb_conf_b() {
	pb__conf b "$@"
}

# pb_mx_lift - B stops greylisting ADDR (an OK entry ahead of the policy).
pb_mx_lift() {
	printf '%s\tOK\n' "$1" >>"$PB_B_ETC/rcpt_lift"
	postmap -c "$PB_B_ETC" "hash:$PB_B_ETC/rcpt_lift" || return 1
	# A same-second rewrite can escape smtpd's mtime check: reload B.
	pb__reload b
}

# pb_sink_start - an extra smtp-sink with the given options (e.g. -r RCPT for
# 4xx, -f DATA for 5xx) on a free port; stopped with the rest; prints the port.
pb_sink_start() {
	local port pid
	port=$(pb_free_ports 1) || return 1
	smtp-sink -u nobody -h "sink$port.test" "$@" "127.0.0.1:$port" 64 \
		</dev/null >>"$PB_T/log/sink-$port.err" 2>&1 &
	pid=$!
	# A file, not a variable: callers use $(pb_sink_start ...), a subshell.
	echo "$pid" >>"$PB_T/extra.pids"
	"$PB_PY" "$PB_E2E/pbnet.py" banner "$port" 10 >&2 || return 1
	echo "$port"
}

# pb_route - route DOMAIN in A's transport_maps to NEXTHOP (e.g.
# "smtp:[127.0.0.1]:PORT"), then reload A so the change is seen at once.
pb_route() {
	printf '%s\t%s\n' "$1" "$2" >>"$PB_A_ETC/transport"
	postmap -c "$PB_A_ETC" "hash:$PB_A_ETC/transport" || return 1
	pb__reload a
}

# pb_free_ports - N distinct loopback ports free right now, space-separated.
pb_free_ports() {
	pb__locate
	"$PB_PY" "$PB_E2E/pbnet.py" ports "${1:-1}"
}

# pb_queue_count - number of messages in A's queues (0 when drained).
pb_queue_count() {
	find "$PB_A_SPOOL/maildrop" "$PB_A_SPOOL/incoming" "$PB_A_SPOOL/active" \
		"$PB_A_SPOOL/deferred" "$PB_A_SPOOL/hold" -type f 2>/dev/null | wc -l
}
