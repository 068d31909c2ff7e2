#!/bin/sh
# t_watcher_kill.sh - exactly-once under kill -9 and log rotation: numbered
# Postfix-shaped bounces are written while the log is rotated by
# rename+create and by copytruncate and plainbounce-watcher is killed with
# SIGKILL at random points (seeded: PB_SEED, else random; printed) and
# restarted.  No event twice, one route row each, no gap for rename+create,
# every unit lost to copytruncate inside a recorded gap (watch_kill.py).
set -u
. "$(dirname "$0")/watcher_lib.sh"
trap wcleanup EXIT
LOG=$W/maillog
write_conf 'batch_lines = 50;'
SEED=${PB_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
/usr/bin/python3 "$(dirname "$0")/watch_kill.py" "$WATCHER" "$CONF" "$LOG" \
	"$DB" "$SEED" "${PB_KILL_SECS:-10}" || wfail "seed $SEED"
echo PASS
