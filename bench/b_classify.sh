#!/bin/sh
# b_classify.sh - classifier throughput over the distinct failure texts of
# the labelled bounce set (read in place), no cache; target >= 1M/s on one
# core.  Baseline in the same run: wc -l over the same file.
set -u
: "${PB_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${PB_BUILDDIR:=$PB_SRCDIR/build/default}"
: "${EVAL_DIR:=$PB_SRCDIR/../shared/eval}"
data="$EVAL_DIR/bounces/diagnostics.tsv"
if [ ! -r "$data" ]; then
	echo "b_classify: skipped: $data absent"
	exit 0
fi
taskset -c 0 true 2>/dev/null && pin="taskset -c 0" || pin=""
$pin "$PB_BUILDDIR/bench/bench_classify" "$PB_SRCDIR/config/classify.rules" \
	"$data" "${BENCH_SECONDS:-2}" || exit 1
start=$(date +%s%N)
i=0
while [ $i -lt 100 ]; do wc -l < "$data" > /dev/null; i=$((i + 1)); done
end=$(date +%s%N)
lines=$(wc -l < "$data")
echo "baseline wc -l: $lines lines, $(( (end - start) / 100000 )) us per run"
