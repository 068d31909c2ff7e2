#!/bin/sh
# run.sh - run every benchmark script bench/b_*.sh in name order.  Each
# prints its own figures and the baselines measured in the same run.
# Benchmarks are never part of `make check` or CI.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${PB_SRCDIR:=$(cd "$here/.." && pwd)}"
: "${PB_BUILDDIR:=$PB_SRCDIR/build/default}"
: "${EVAL_DIR:=$PB_SRCDIR/../shared/eval}"
export PB_SRCDIR PB_BUILDDIR EVAL_DIR
status=0
for b in "$here"/b_*.sh; do
	[ -e "$b" ] || continue
	case "$(basename "$b")" in *${BENCH_ONLY:-}*) ;; *) continue ;; esac
	echo "=== $(basename "$b" .sh)"
	sh "$b" || status=1
done
exit $status
