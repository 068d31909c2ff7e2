#!/bin/sh
# run.sh - run each evaluation program given as an argument over the
# labelled data in $EVAL_DIR (../shared/eval by default), read in place.
# Where the data is absent, say so and succeed: evaluation is optional.
set -u
if [ ! -d "${EVAL_DIR:-}" ]; then
	echo "eval: skipped: no evaluation data at ${EVAL_DIR:-(unset)}"
	exit 0
fi
status=0
for prog in "$@"; do
	echo "=== $(basename "$prog")"
	"$prog" "$EVAL_DIR" || status=1
done
exit $status
