#!/bin/sh
# t_watcher_signals.sh - plainbounce-watcher's running contract: -n checks
# the configuration (78 and file:line on a bad one); SIGHUP reloads it, and
# a bad one is reported while the old one keeps running; SIGTERM commits
# and exits 0; a partial last line waits for its newline.
set -u
. "$(dirname "$0")/watcher_lib.sh"
trap wcleanup EXIT
LOG=$W/maillog
: > "$LOG"
write_conf ""
"$WATCHER" -n -c "$CONF" >/dev/null || wfail "-n on a good config"
printf 'watcher = { nosuchkey = 1; };\n' > "$W/bad.conf"
"$WATCHER" -n -c "$W/bad.conf" 2>"$W/n.err"
[ $? = 78 ] || wfail "-n on a bad config: not 78"
grep -q 'bad.conf:1' "$W/n.err" || wfail "no file:line: $(cat "$W/n.err")"

start_watcher
line() {
	printf '%s mail postfix/smtp[9]: %s: to=<%s@remote.test>, relay=none, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command))\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "$1" "$2"
}
# a partial line is not read until its newline arrives
line C0FFEE0001 a | tr -d '\n' >> "$LOG"
sleep 0.5
eq "partial line waits" "$(q "SELECT count(*) FROM messages")" 0
echo >> "$LOG"
wait_q "SELECT count(*) FROM events" 1

cp "$CONF" "$W/good.conf"
cp "$W/bad.conf" "$CONF"
kill -HUP "$WPID"
i=0
until grep -q 'reload: .*keeping the running configuration' "$W/watcher.log"; do
	i=$((i + 1)); [ $i -gt 50 ] && wfail "bad reload not reported"
	sleep 0.1
done
line C0FFEE0002 b >> "$LOG"
wait_q "SELECT count(*) FROM events" 2
cp "$W/good.conf" "$CONF"
kill -HUP "$WPID"
i=0
until grep -q 'configuration reloaded' "$W/watcher.log"; do
	i=$((i + 1)); [ $i -gt 50 ] && wfail "good reload not reported"
	sleep 0.1
done
line C0FFEE0003 c >> "$LOG"
kill -TERM "$WPID"
wait "$WPID"; rc=$?; WPID=
eq "SIGTERM exit status" "$rc" 0
# what was read before SIGTERM was committed with the cursor
n=$(q "SELECT count(*) FROM events")
off=$(q "SELECT cursor FROM cursors" | cut -d: -f5)
if [ "$n" = 3 ]; then
	eq "cursor at the end" "$off" "$(wc -c < "$LOG" | tr -d ' ')"
else
	eq "cursor before the unread line" "$n" 2
fi
start_watcher
wait_q "SELECT count(*) FROM events" 3
stop_watcher
echo PASS
