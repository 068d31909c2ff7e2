#!/bin/sh
# t_watcher_journal.sh - plainbounce-watcher on real journal files written
# by systemd-journal-remote (no journald needed): a first start with
# --from-start stores the existing entries as historical; entries appended
# while it follows become events with a route row; an entry that claims
# to be postfix/smtp but was written by another uid is ignored; after a
# restart it resumes from its cursor without repeating anything; a
# deleted journal file (a vacuumed cursor) is recorded as a gap.
set -u
. "$(dirname "$0")/watcher_lib.sh"
trap wcleanup EXIT
REMOTE=/lib/systemd/systemd-journal-remote
[ -x "$REMOTE" ] || wfail "$REMOTE missing (package systemd-journal-remote)"
J=$W/journal
mkdir "$J"
LOG=$W/unused.log
write_conf "source = \"journal\"; journal_dir = \"$J\";"
PF_UID=$(id -u postfix)
MONO=1000

# entries UID N... - export-format bounces with queue IDs from N, by UID
entries() {
	uid=$1; shift
	for n in "$@"; do
		MONO=$((MONO + 1000))
		printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n' \
			"$(date +%s%6N)" "$MONO"
		printf '_BOOT_ID=0123456789abcdef0123456789abcdef\n'
		printf 'MESSAGE=%s: to=<j%s@remote.test>, relay=mx.remote.test[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.remote.test[192.0.2.1] said: 550 5.1.1 <j%s@remote.test>: User unknown (in reply to RCPT TO command))\n' \
			"$(printf 'B%09X' "$n")" "$n" "$n"
		printf 'SYSLOG_IDENTIFIER=postfix/smtp\nSYSLOG_PID=77\n_PID=77\n'
		printf '_UID=%s\n_HOSTNAME=mail\n\n' "$uid"
	done
}
# add UID N... - append them to the journal file
add() {
	entries "$@" | "$REMOTE" --output="$J/x.journal" - 2>>"$W/remote.log" ||
		wfail "journal-remote: $(tail -n 3 "$W/remote.log")"
}
events() { q "SELECT count(*) FROM events"; }

add "$PF_UID" 1 2 3
start_watcher --from-start
wait_q "SELECT count(*) FROM events WHERE historical = 1" 3
eq "existing entries: no route rows" "$(q "SELECT count(*) FROM outbox")" 0

add "$PF_UID" 4 5
wait_q "SELECT count(*) FROM events WHERE historical = 0" 2
eq "appended entries routed" "$(q "SELECT count(*) FROM outbox WHERE channel = 'route'")" 2

add 1000 6			# forged: logger -t postfix/smtp by a user
add "$PF_UID" 7
wait_q "SELECT count(*) FROM messages WHERE queue_id = 'B000000007'" 1
eq "forged entry ignored" "$(q "SELECT count(*) FROM messages WHERE queue_id = 'B000000006'")" 0

stop_watcher TERM
grep -q 'ignored (writer not trusted): 1$' "$W/watcher.log" || wfail "untrusted count"
add "$PF_UID" 8
start_watcher
wait_q "SELECT count(*) FROM messages WHERE queue_id = 'B000000008'" 1
sleep 0.5
eq "resumed from the cursor, nothing twice" "$(events)" 7
eq "no gap yet" "$(q "SELECT count(*) FROM gaps")" 0

stop_watcher KILL
rm -f "$J"/*.journal
add "$PF_UID" 9 10
start_watcher
wait_q "SELECT count(*) FROM gaps" 1
case $(q "SELECT note FROM gaps") in
*"cursor not found"*) ;;
*) wfail "gap note: $(q "SELECT note FROM gaps")" ;;
esac
grep -q 'GAP in journal:' "$W/watcher.log" || wfail "gap not logged"
wait_q "SELECT count(*) FROM events" 9
eq "one event each" "$(q "SELECT count(DISTINCT message) FROM events")" 9
stop_watcher TERM
echo PASS
