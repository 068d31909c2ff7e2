# responder_lib.sh - sourced by t_responder*.sh: webhook_lib.sh's temp dir
# and servers, plus a store, a responder configuration pointing at a real
# webhook receiver and a real SMTP capture, and helpers to run responders.
. "$PB_SRCDIR/tests/e2e/webhook_lib.sh"
RESP=$PB_BUILDDIR/plainbounce-responder
PB=$PB_BUILDDIR/plainbounce
[ -x "$RESP" ] || fail "$RESP not built"
DB=$tmp/pb.db

# start_capture - smtp_capture.py into $tmp/mail; sets $smtp_port
start_capture() {
	mkdir -p "$tmp/mail"
	$PY "$E2E/smtp_capture.py" --dir "$tmp/mail" \
		--port-file "$tmp/smtp.port" 2>>"$tmp/smtp.err" &
	pids="$pids $!"
	wait_port smtp $!
	smtp_port=$port
}

# write_conf URL [EXTRA] - a config for the receivers; EXTRA is appended
# inside the responder group
write_conf() {
	cat >"$tmp/pb.conf" <<CONF
store = { path = "$DB"; busy_timeout = "5s"; };
local_domains = [ "example.com" ];
notice = {
  templates_dir = "$PB_SRCDIR/templates";
  webhook = { url = "$1"; secret = "$SECRET"; allow_http = true;
              allow_private = true; timeout = "3s"; };
  smtp = { relay = "smtp://127.0.0.1:$smtp_port/pb.test";
           from = "notices@example.com"; msgid_domain = "notice.example.com"; };
  retry = { base = "1s"; max_delay = "2s"; max_age = "1m"; };
};
responder = { poll_interval = "200ms"; group_delay = "${GROUP_DELAY:-1s}"; lease = "3s";
  helpdesk_address = "${HELPDESK-helpdesk@example.com}"; ${2:-} };
CONF
}

# start_responder NAME [ARGS] - a responder in the foreground; sets $rpid
start_responder() {
	n=$1
	shift
	"$RESP" -f -c "$tmp/pb.conf" "$@" 2>>"$tmp/$n.log" &
	rpid=$!
	pids="$pids $rpid"
}

# stop_responder PID - SIGTERM and wait
stop_responder() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# event ARGS - record one message with events, as the watcher would
event() { "$PB_SEND" event --store "$DB" "$@" || fail "pb_send event $*"; }

# wait_for SECONDS CMD... - until CMD succeeds, or fail
wait_for() {
	limit=$(( $1 * 10 ))
	shift
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -lt $limit ] || return 1
		sleep 0.1
	done
}

# mails - how many messages the capture holds
mails() { ls "$tmp/mail" 2>/dev/null | grep -c '\.json$' || true; }

# count_state STATE - outbox rows (not route) in STATE
count_state() {
	sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE channel <> 'route' AND state = '$1'"
}
