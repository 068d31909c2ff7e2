#!/bin/sh
# t_milter_daemon.sh - plainbounce-milter as a daemon: unix socket mode and
# group, inet: on loopback only, privileges dropped to milter.user after
# the socket and store are open (and recording still works), SIGHUP stops
# it like SIGTERM (libmilter's rule: reload means restart).
set -u
. "$(dirname "$0")/milter_lib.sh"

# 1. unix socket with mode and group; run as nobody
mkdir "$T/store"
chown nobody "$T/store"
chmod 755 "$T"
DB=$T/store/store.db
write_conf 'socket_mode = "0600"; user = "nobody";'
sed -i "s|path = \"$T/store.db\"|path = \"$DB\"|; s/socket_group = \"\";/socket_group = \"postfix\";/" "$CONF"
start_milter
eq "socket mode" "$(stat -c %a "$SOCK")" 600
eq "socket group" "$(stat -c %G "$SOCK")" postfix
eq "running as" "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$MPID/status")" \
	"$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)"
eq "store owner" "$(stat -c %U "$DB")" nobody
mt stages
i=0
while [ "$(q "SELECT count(*) FROM milter_records")" != 1 ]; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "no record written after dropping privileges"
	sleep 0.1
done
echo "ok: record written as nobody"

# 2. SIGHUP stops it, cleanly (libmilter treats HUP like TERM)
kill -HUP "$MPID"
i=0
while kill -0 "$MPID" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "still running 10 s after SIGHUP"
	sleep 0.1
done
wait "$MPID"; rc=$?; MPID=
eq "exit after SIGHUP" "$rc" 0

# 3. inet: on loopback; anything else is a configuration error
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DB=$T/inet.db
write_conf ""
sed -i "s|socket = \"unix:$SOCK\";|socket = \"inet:$port@127.0.0.1\";|" "$CONF"
"$MILTER" -f -c "$CONF" 2>>"$T/milter.log" &
MPID=$!
i=0
until /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "inet: socket not listening"
	sleep 0.1
done
/usr/bin/python3 "$PB_SRCDIR/tests/milter/rawclient.py" "inet:$port@127.0.0.1" ||
	fail "rawclient over inet"
stop_milter
eq "records over inet" "$(q "SELECT count(*) FROM milter_records")" 2
sed -i "s|socket = \"inet:$port@127.0.0.1\";|socket = \"inet:$port@0.0.0.0\";|" "$CONF"
"$MILTER" -n -c "$CONF" 2>"$T/n.out"; rc=$?
eq "non-loopback inet refused" "$rc" 78
grep -q "must be on loopback" "$T/n.out" || fail "message: $(cat "$T/n.out")"
# -n checks the user and group names against the system
write_conf 'user = "no-such-user-pb";'
"$MILTER" -n -c "$CONF" 2>"$T/n.out"; rc=$?
eq "unknown milter.user" "$rc" 78
grep -q 'milter.user: no user "no-such-user-pb"' "$T/n.out" || fail "message: $(cat "$T/n.out")"
write_conf 'socket_group = "no-such-group-pb";'
sed -i 's/socket_group = "";//' "$CONF"
"$MILTER" -n -c "$CONF" 2>"$T/n.out"; rc=$?
eq "unknown milter.socket_group" "$rc" 78
grep -q 'no group "no-such-group-pb"' "$T/n.out" || fail "message: $(cat "$T/n.out")"
echo "PASS"
