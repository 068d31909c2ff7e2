#!/bin/sh
# run.sh - run every end-to-end test tests/e2e/t_*.sh and count results.
#
# A test exits 0 for pass, 77 for skipped, anything else for fail.  Each
# test's output goes to a log that is printed only when it fails.  The last
# line is "N passed, N failed, N skipped" and the exit status is non-zero
# when anything failed.  E2E_ONLY=pattern narrows the run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${PB_SRCDIR:=$(cd "$here/../.." && pwd)}"
: "${PB_BUILDDIR:=$PB_SRCDIR/build/default}"
export PB_SRCDIR PB_BUILDDIR
logdir=$(mktemp -d "${TMPDIR:-/tmp}/pb-e2e.XXXXXX")
pass=0 fail=0 skip=0
for t in "$here"/t_*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	case "$name" in *${E2E_ONLY:-}*) ;; *) continue ;; esac
	start=$(date +%s)
	sh "$t" >"$logdir/$name.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); echo "PASS $name (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$logdir/$name.log")" ;;
	*) fail=$((fail + 1)); echo "FAIL $name (${secs}s, exit $rc)"
	   sed 's/^/    /' "$logdir/$name.log" | tail -n 80 ;;
	esac
done
rm -rf "$logdir"
echo "e2e: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
