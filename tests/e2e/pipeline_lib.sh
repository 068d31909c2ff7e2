# pipeline_lib.sh - shared by the t_pipeline*.sh tests: the whole suite
# on the harness's real Postfix, as in production.  Sourced, not run.
#
# Owns: one temp dir ($P) with ONE configuration file read by all three
# daemons, a real webhook receiver (webhook_server.py, signed, bodies
# logged) and a real SMTP capture (smtp_capture.py, aiosmtpd) that the
# responder submits its email notices to.  The milter listens on a unix
# socket wired into instance A with smtpd_milters and non_smtpd_milters
# (default_action=accept); the watcher follows $PB_A_LOG.
# Guarantees: everything started here is stopped by pl_cleanup (the
# harness runs it first on exit); nothing is written outside $P and the
# harness's own temp dir.
#
# Our users submit with SASL (PB_SASL=1, alice:s3cret): trusted_networks
# is 192.0.2.0/24 so that 127.0.0.1, the only address a test client has,
# is NOT trusted, and an unauthenticated submission from it is what the
# milter records as `inbound` -- mail from the Internet.  Postfix's own
# mynetworks (127.0.0.1) still lets it relay; that is Postfix's business.
: "${PB_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PB_BUILDDIR:=$PB_SRCDIR/build/default}"
PY=/usr/bin/python3
E2E=$PB_SRCDIR/tests/e2e
MILTER=$PB_BUILDDIR/plainbounce-milter
WATCHER=$PB_BUILDDIR/plainbounce-watcher
RESP=$PB_BUILDDIR/plainbounce-responder
PB=$PB_BUILDDIR/plainbounce
P=$(mktemp -d "${TMPDIR:-/tmp}/pb-pipe.XXXXXX")
chmod 755 "$P"		# Postfix's smtpd and cleanup reach the socket
SOCK=$P/milter.sock
DB=$P/store.db
CONF=$P/plainbounce.conf
MAIL=$P/mail
WHLOG=$P/wh.log
SECRET=whsec_$(head -c 32 /dev/urandom | base64)
MPID= WPID= RPID= SRVPIDS=
PB_SASL=1 PB_SASL_USERS=alice:s3cret
AUTH="--auth alice:s3cret"

# pl_fail MSG - fail with the daemons' logs
pl_fail() {
	echo "FAIL: $*"
	for f in milter watcher responder; do
		[ -s "$P/$f.log" ] && tail -n 25 "$P/$f.log" | sed "s/^/  $f: /"
	done
	[ -n "${PL_DEBUG:-}" ] && sqlite3 "$DB" "SELECT queue_id, message_id, submission FROM milter_records; SELECT * FROM messages;" | sed 's/^/  store: /'
	exit 1
	exit 1
}

# pl_cleanup - stop every process this file started, remove $P
pl_cleanup() {
	for p in $MPID $WPID $RPID $SRVPIDS; do kill -KILL "$p" 2>/dev/null; done
	for p in $MPID $WPID $RPID $SRVPIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$P"
}
PB_ON_EXIT=pl_cleanup

# pl_wait_port NAME PID - until a server wrote $P/NAME.port; prints it
pl_wait_port() {
	i=0
	while [ ! -s "$P/$1.port" ]; do
		i=$((i + 1))
		kill -0 "$2" 2>/dev/null || pl_fail "$1 died: $(cat "$P/$1.err")"
		[ $i -lt 100 ] || pl_fail "$1 did not start"
		sleep 0.1
	done
	cat "$P/$1.port"
}

# pl_receivers - the webhook receiver and the SMTP capture
pl_receivers() {
	mkdir -p "$MAIL"
	$PY "$E2E/webhook_server.py" --secret "$SECRET" --log "$WHLOG" \
		--port-file "$P/wh.port" --log-bodies 2>>"$P/wh.err" &
	SRVPIDS="$SRVPIDS $!"
	WH_PORT=$(pl_wait_port wh $!) || exit 1
	$PY "$E2E/smtp_capture.py" --dir "$MAIL" --port-file "$P/smtp.port" \
		2>>"$P/smtp.err" &
	SRVPIDS="$SRVPIDS $!"
	SMTP_PORT=$(pl_wait_port smtp $!) || exit 1
}

# pl_conf [EXTRA RESPONDER KEYS] - the one configuration of all daemons
pl_conf() {
	cat >"$CONF" <<CONF
store = { path = "$DB"; busy_timeout = "5s"; };
trusted_networks = [ "192.0.2.0/24" ];
local_domains = [ "client.test" ];
classify = { rules = "$PB_SRCDIR/config/classify.rules"; };
notice = {
  templates_dir = "$PB_SRCDIR/templates";
  webhook = { url = "http://127.0.0.1:$WH_PORT/ok"; secret = "$SECRET";
              allow_http = true; allow_private = true; timeout = "3s"; };
  smtp = { relay = "smtp://127.0.0.1:$SMTP_PORT/pb.test";
           from = "notices@client.test"; msgid_domain = "notice.client.test"; };
  retry = { base = "1s"; max_delay = "2s"; max_age = "1m"; };
};
milter = { socket = "unix:$SOCK"; socket_group = "postfix";
           instance = "postfix"; };
watcher = { log_file = "$PB_A_LOG"; defer_notice_after = "${PL_DEFER_AFTER:-4s}";
            tick = "300ms"; batch_interval = "50ms"; };
responder = { poll_interval = "200ms"; group_delay = "1s"; lease = "3s";
              helpdesk_address = "helpdesk@client.test"; ${1:-} };
CONF
	"$PB" config -n -c "$CONF" >/dev/null || pl_fail "config check"
}

# pl_postfix - start the harness with the milter wired in (before pl_conf,
# which needs $PB_A_LOG: the socket path is known in advance);
# PL_LONG_IDS=no keeps Postfix's short queue IDs
pl_postfix() {
	M="{ unix:$SOCK, default_action=accept, connect_timeout=5s, command_timeout=5s, content_timeout=10s }"
	PB_A_MAIN_EXTRA="smtpd_milters = $M
non_smtpd_milters = $M
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
enable_long_queue_ids = ${PL_LONG_IDS:-yes}"
	pb_start
}

# pl_start_milter - plainbounce-milter -f; until its socket exists
pl_start_milter() {
	rm -f "$SOCK"
	"$MILTER" -f -c "$CONF" 2>>"$P/milter.log" &
	MPID=$!
	i=0
	while [ ! -S "$SOCK" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && pl_fail "milter did not start"
		kill -0 "$MPID" 2>/dev/null || pl_fail "milter exited at start"
		sleep 0.1
	done
}

# pl_start_watcher - plainbounce-watcher -f; until it says "following"
pl_start_watcher() {
	touch "$P/watcher.log"
	n0=$(grep -c 'following' "$P/watcher.log" || true)
	"$WATCHER" -f -c "$CONF" 2>>"$P/watcher.log" &
	WPID=$!
	i=0
	while [ "$(grep -c 'following' "$P/watcher.log" || true)" = "$n0" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && pl_fail "watcher did not start"
		kill -0 "$WPID" 2>/dev/null || pl_fail "watcher exited at start"
		sleep 0.05
	done
}

# pl_start_responder - plainbounce-responder -f
pl_start_responder() {
	"$RESP" -f -c "$CONF" 2>>"$P/responder.log" &
	RPID=$!
}

# pl_stop NAME SIG - signal one daemon (MPID/WPID/RPID) and reap it
pl_stop() {
	eval "p=\$$1"
	[ -n "$p" ] || return 0
	kill -"$2" "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	eval "$1="
}

# pl_all - receivers, Postfix, config, the three daemons
pl_all() {
	pl_receivers
	pl_postfix
	pl_conf "${1:-}"
	pl_start_milter
	pl_start_watcher
	pl_start_responder
}

# q SQL - one query against the store
q() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }

# eq WHAT GOT WANT - compare, fail with both
eq() { [ "$2" = "$3" ] || pl_fail "$1: got [$2], want [$3]"; echo "ok: $1"; }

# mails_to ADDR - email notices the capture holds for ADDR
mails_to() {
	grep -l "\"$1\"" "$MAIL"/*.json 2>/dev/null | wc -l
}

# hooks_for QID - signed webhook posts whose body names QID
hooks_for() {
	[ -f "$WHLOG" ] || { echo 0; return; }
	grep '"sig_ok": true' "$WHLOG" | grep -c "$1" || true
}

# pl_time_to WHAT CMD WANT - poll CMD (<= 30 s) until it prints WANT;
# prints WHAT and the milliseconds since $T0 (the bounce line seen)
pl_time_to() {
	i=0
	while [ "$($2)" != "$3" ]; do
		i=$((i + 1)); [ $i -gt 300 ] && pl_fail "$1: no notice within 30 s (got $($2))"
		sleep 0.1
	done
	echo "time: failure line -> $1: $(pb_elapsed_ms "$T0") ms"
}

# pl_quiet SECS - let the responder run SECS more (group_delay, retries)
pl_quiet() { sleep "$1"; }

# pl_mail_of ADDR QID - the .eml path of the notice to ADDR about QID
pl_mail_of() {
	for j in $(grep -l "\"$1\"" "$MAIL"/*.json 2>/dev/null); do
		grep -q "$2" "${j%.json}.eml" && { echo "${j%.json}.eml"; return; }
	done
}
