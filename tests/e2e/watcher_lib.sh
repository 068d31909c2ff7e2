# watcher_lib.sh - shared by the t_watcher_*.sh tests: a temp directory, a
# config, starting plainbounce-watcher in the foreground, querying the
# store.  Sourced, not run.  Needs PB_SRCDIR and PB_BUILDDIR (run.sh sets
# them); the caller sets LOG (the file followed) before write_conf.

: "${PB_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PB_BUILDDIR:=$PB_SRCDIR/build/default}"
WATCHER=$PB_BUILDDIR/plainbounce-watcher
W=$(mktemp -d "${TMPDIR:-/tmp}/pb-watch.XXXXXX")
DB=$W/store.db
CONF=$W/plainbounce.conf
WPID=

wfail() {
	echo "FAIL: $*"
	[ -f "$W/watcher.log" ] && tail -n 40 "$W/watcher.log" | sed 's/^/  watcher: /'
	exit 1
}

wcleanup() {
	[ -n "$WPID" ] && kill -KILL "$WPID" 2>/dev/null
	rm -rf "$W"
}

# write_conf [extra watcher keys] - the test's configuration
write_conf() {
	cat > "$CONF" <<CONF
store = { path = "$DB"; busy_timeout = "2s"; };
classify = { rules = "$PB_SRCDIR/config/classify.rules"; };
watcher = {
  log_file = "$LOG";
  defer_notice_after = "2s";
  tick = "300ms";
  batch_interval = "50ms";
  $1
};
CONF
}

# start_watcher [options] - run it with -f, wait for "following"
start_watcher() {
	touch "$W/watcher.log"		# grep -c must count, not fail
	n0=$(grep -c 'following' "$W/watcher.log" || true)
	"$WATCHER" -f -c "$CONF" "$@" 2>>"$W/watcher.log" &
	WPID=$!
	i=0
	while [ "$(grep -c 'following' "$W/watcher.log" || true)" = "$n0" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && wfail "watcher did not start"
		kill -0 "$WPID" 2>/dev/null || wfail "watcher exited at start"
		sleep 0.05
	done
}

# stop_watcher [SIG] - signal it (TERM default) and reap it
stop_watcher() {
	kill -"${1:-TERM}" "$WPID" 2>/dev/null
	wait "$WPID" 2>/dev/null
	WPID=
}

# q SQL - one query against the store
q() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }

# wait_q SQL WANT [SECS] - until the query answers WANT (default 10 s)
wait_q() {
	i=0
	while [ "$(q "$1" 2>/dev/null)" != "$2" ]; do
		i=$((i + 1)); [ $i -gt $((${3:-10} * 10)) ] &&
			wfail "waited for [$1] = [$2], got [$(q "$1")]"
		sleep 0.1
	done
}

# eq WHAT GOT WANT - compare, fail with both
eq() { [ "$2" = "$3" ] || wfail "$1: got [$2], want [$3]"; }
