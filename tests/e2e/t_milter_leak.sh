#!/bin/sh
# t_milter_leak.sh - 1,000 messages (plus aborted, half-open and hostile
# ones) through plainbounce-milter under valgrind: no definite or
# indirect leak, no invalid access, clean exit on SIGTERM.  A SANITIZE=1
# build cannot run under valgrind; it is run as is, and LeakSanitizer
# makes the exit status non-zero on any leak.
set -u
. "$(dirname "$0")/milter_lib.sh"

write_conf ""
: > "$T/valgrind.log"
if ldd "$MILTER" | grep -q libasan; then
	ASAN_OPTIONS=detect_leaks=1 "$MILTER" -f -c "$CONF" 2>>"$T/milter.log" &
else
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 --log-file="$T/valgrind.log" \
		"$MILTER" -f -c "$CONF" 2>>"$T/milter.log" &
fi
MPID=$!
i=0
while [ ! -S "$SOCK" ]; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "milter did not start"
	sleep 0.1
done
for n in 1 2 3 4 5 6 7 8 9 10; do mt many >/dev/null; done
mt abort
mt hostile
/usr/bin/python3 "$PB_SRCDIR/tests/milter/rawclient.py" "unix:$SOCK" ||
	fail "rawclient.py"
kill -TERM "$MPID"
wait "$MPID"
rc=$?
MPID=
[ $rc -eq 0 ] || { cat "$T/valgrind.log"; fail "valgrind/milter exit $rc"; }
eq "records" "$(q "SELECT count(*) FROM milter_records")" 1006
echo "PASS"
