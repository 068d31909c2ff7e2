#!/bin/sh
# t_manpages.sh - every manual page renders with groff's man macros without
# a single warning (-ww), and man(1) can format it from the source tree.
set -eu
src=${PB_SRCDIR:?}
n=0
for m in "$src"/man/*.[158]; do
	[ -e "$m" ] || continue
	err=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$m" 2>&1) || {
		echo "FAIL: groff exit $? on $m"; exit 1; }
	if [ -n "$err" ]; then
		echo "FAIL: groff warnings on $m:"; echo "$err"; exit 1
	fi
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$m" 2>&1) || {
		echo "FAIL: man -l $m"; exit 1; }
	echo "$out" | grep -q '^NAME' || { echo "FAIL: $m has no NAME"; exit 1; }
	n=$((n + 1))
done
[ "$n" -ge 2 ] || { echo "FAIL: only $n manual pages found"; exit 1; }
echo "ok: $n pages"
