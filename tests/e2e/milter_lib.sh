# milter_lib.sh - shared by the t_milter_*.sh tests: a temp directory, a
# config, starting plainbounce-milter in the foreground and stopping it.
# Sourced, not run.  Needs PB_SRCDIR and PB_BUILDDIR (run.sh sets them).

: "${PB_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PB_BUILDDIR:=$PB_SRCDIR/build/default}"
MILTER=$PB_BUILDDIR/plainbounce-milter
T=$(mktemp -d "${TMPDIR:-/tmp}/pb-milter.XXXXXX")
SOCK=$T/milter.sock
DB=$T/store.db
CONF=$T/plainbounce.conf
MPID=

fail() { echo "FAIL: $*"; [ -f "$T/milter.log" ] && sed 's/^/  milter: /' "$T/milter.log"; exit 1; }

cleanup() {
	[ -n "$MPID" ] && kill -KILL "$MPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# write_conf [extra milter keys] - the test's configuration
write_conf() {
	cat > "$CONF" <<CONF
store = { path = "$DB"; busy_timeout = "200ms"; };
trusted_networks = [ "127.0.0.0/8", "192.0.2.0/24" ];
milter = {
  socket = "unix:$SOCK";
  socket_group = "";
  instance = "postfix-test";
  $1
};
CONF
}

# start_milter - run it with -f and wait until the socket answers
start_milter() {
	"$MILTER" -f -c "$CONF" 2>>"$T/milter.log" &
	MPID=$!
	i=0
	while [ ! -S "$SOCK" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "milter did not create $SOCK"
		kill -0 "$MPID" 2>/dev/null || fail "milter exited at start"
		sleep 0.1
	done
}

# start_postfix_milter [extra milter keys] - the milter as a real Postfix
# uses it: instance "postfix", a socket Postfix's smtpd and cleanup (user
# postfix) can reach
start_postfix_milter() {
	chmod 755 "$T"
	write_conf "$1"
	sed -i 's/socket_group = "";/socket_group = "postfix";/; s/instance = "postfix-test";/instance = "postfix";/' "$CONF"
	start_milter
}

# lock_store SECONDS - another process holds the store's write lock (BEGIN
# IMMEDIATE) for SECONDS; returns once it holds it, its PID in LPID
lock_store() {
	/usr/bin/python3 - "$DB" "$T/locked" "$1" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
db.execute("ROLLBACK")
PY
	LPID=$!
	while [ ! -e "$T/locked" ]; do sleep 0.05; done
}

# wait_accounted N [WHERE ...] - wait until N messages (those of milter
# records WHERE ...) are each stored or counted as dropped; sets stored
# and dropped
wait_accounted() {
	i=0
	while :; do
		stored=$(q "SELECT count(*) FROM milter_records ${2:-}")
		dropped=$(q "SELECT ifnull(sum(value), 0) FROM counters WHERE name = 'milter_dropped'")
		[ $((stored + dropped)) -ge "$1" ] && break
		i=$((i + 1)); [ $i -gt 100 ] && fail "only $stored stored + $dropped dropped of $1"
		sleep 0.1
	done
	echo "stored $stored, dropped $dropped"
	eq "stored + dropped" "$((stored + dropped))" "$1"
}

# wait_resumed SQL - recording resumed after a lock: SQL answers 1 within
# 5 s, and nothing was dropped since wait_accounted
wait_resumed() {
	i=0
	while [ "$(q "$1")" != 1 ]; do
		i=$((i + 1)); [ $i -gt 50 ] && fail "recording did not resume"
		sleep 0.1
	done
	eq "no new drops" "$(q "SELECT value FROM counters WHERE name = 'milter_dropped'")" "$dropped"
}

# stop_milter - SIGTERM; it must exit 0 within 10 s
stop_milter() {
	kill -TERM "$MPID"
	i=0
	while kill -0 "$MPID" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "milter still running 10 s after SIGTERM"
		sleep 0.1
	done
	wait "$MPID"
	rc=$?
	MPID=
	[ $rc -eq 0 ] || fail "milter exited with $rc after SIGTERM"
}

# mt SCRIPT - run one miltertest script against the milter
mt() {
	miltertest -D sock="unix:$SOCK" -D lib="$PB_SRCDIR/tests/milter/lib.lua" \
		-s "$PB_SRCDIR/tests/milter/$1.lua" || fail "miltertest $1.lua"
	echo "ok: $1.lua"
}

# q SQL - one value from the store
q() { sqlite3 "$DB" "$1"; }

# eq WHAT GOT WANT
eq() { [ "$2" = "$3" ] || fail "$1: got [$2], want [$3]"; echo "ok: $1"; }
