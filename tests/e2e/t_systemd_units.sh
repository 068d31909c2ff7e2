#!/bin/sh
# t_systemd_units.sh - the shipped systemd units are valid: systemd's own
# checker (systemd-analyze verify, which needs no running systemd) accepts
# each unit with its ExecStart pointed at the built program, with no
# warning at all (an unknown or misspelt key is only a warning there), and
# the ExecStartPre config check passes on the sample config (its data
# paths pointed at the source tree, where templates and rules are).
set -eu
t=$(mktemp -d "${TMPDIR:-/tmp}/pbunits.XXXXXX")
trap 'rm -rf "$t"' EXIT
sed "s|/usr/local/share/plainbounce/templates|$PB_SRCDIR/templates|;
     s|/usr/local/share/plainbounce/classify.rules|$PB_SRCDIR/config/classify.rules|" \
	"$PB_SRCDIR/config/plainbounce.conf" > "$t/pb.conf"
n=0
for f in "$PB_SRCDIR"/contrib/systemd/*.service; do
	u=$(basename "$f")
	sed "s|/usr/local/sbin/|$PB_BUILDDIR/|g" "$f" > "$t/$u"
	rc=0
	systemd-analyze verify --man=no "$t/$u" > "$t/out" 2>&1 || rc=$?
	if [ "$rc" != 0 ] || [ -s "$t/out" ]; then
		echo "FAIL: $u: exit $rc"; cat "$t/out"; exit 1
	fi
	# the unit's config check, on the shipped sample
	pre=$(sed -n 's/^ExecStartPre=//p' "$t/$u")
	[ -n "$pre" ] || { echo "FAIL: $u has no ExecStartPre check"; exit 1; }
	set -- $pre
	prog=$1
	"$prog" -n -c "$t/pb.conf" > "$t/pre" 2>&1 ||
		{ echo "FAIL: $u: config check failed"; cat "$t/pre"; exit 1; }
	n=$((n + 1))
done
[ "$n" = 3 ] || { echo "FAIL: $n units, want 3"; exit 1; }
# the checker does catch a bad unit (so its silence above means something)
printf '[Service]\nExecStart=%s/plainbounce-watcher -f\nBogusKey=1\n' \
	"$PB_BUILDDIR" > "$t/bad.service"
systemd-analyze verify --man=no "$t/bad.service" > "$t/out" 2>&1 || true
grep -q "BogusKey" "$t/out" || { echo "FAIL: checker silent on a bad key"; exit 1; }
echo "ok: $n systemd units verified, config checks pass"
