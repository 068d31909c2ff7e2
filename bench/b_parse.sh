#!/bin/sh
# b_parse.sh - parse+correlate throughput and memory, beside wc -l and
# pflogsumm on the same generated file in the same run (issue 3).
#
# Generates (once, cached under $PB_BENCH_DIR, default /tmp/pb-bench) two
# seeded logs with bench/gen_log: 100k and 1M messages.  Each timed run
# is preceded by a full read of the file so the page cache is warm.  Runs
# single-threaded.  pflogsumm runs on the 1M file unless
# PB_BENCH_PFLOGSUMM=slice, which times it on the 100k file and scales
# linearly by line count (said so in the output).
#
# Requirements checked: parse+correlate >= 30x pflogsumm and >= 1M
# lines/s on the 1M file; peak RSS <= 32 MiB; RSS(1M) <= 1.25 x RSS(100k).
set -u
. "$(dirname "$0")/bench_lib.sh"
lifetime=7200
drv=$PB_BUILDDIR/bench/bench_parse

warm() { cat "$1" > /dev/null; }

# secs CMD... - wall seconds of one run, on stdout
secs() {
	s=$(date +%s.%N)
	"$@" > /dev/null 2>&1
	e=$(date +%s.%N)
	echo "$s $e" | awk '{ printf "%.3f", $2 - $1 }'
}

f100=$(bench_log 100000) || exit 1
f1m=$(bench_log 1000000) || exit 1
cat "$f100.info" "$f1m.info" 2>/dev/null

echo "machine: $(nproc) cores, shared with other jobs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
# best of three timed runs of the driver (the machine is shared)
for f in "$f100" "$f1m"; do
	b=$(basename "$f")
	echo "--- $b: $(du -m "$f" | cut -f1) MB"
	warm "$f"
	t=$(secs wc -l "$f")
	echo "wc -l: $(wc -l < "$f") lines in $t s"
	echo "$t" > "$bench_dir/wc-$b"
	warm "$f"
	TZ=UTC "$drv" -p "$f"
	rm -f "$bench_dir/runs-$b"
	for i in 1 2 3; do
		warm "$f"
		TZ=UTC /usr/bin/time -f 'bench_parse: max RSS %M KiB' \
		    "$drv" -l $lifetime "$f" > "$bench_dir/out.$$" 2>&1
		cat "$bench_dir/out.$$"
		rss=$(sed -n 's/.*max RSS \([0-9]*\) KiB.*/\1/p' "$bench_dir/out.$$")
		sed -n 's/^parse+correlate: .* lines in \([0-9.]*\) s: .*MB\/s, \([0-9]*\) lines\/s.*cpu \([0-9.]*\) s$/\1 \2 \3/p' \
		    "$bench_dir/out.$$" | sed "s/\$/ $rss/" >> "$bench_dir/runs-$b"
	done
	rm -f "$bench_dir/out.$$"
	# best wall time; the highest RSS of the three
	sort -n "$bench_dir/runs-$b" | head -n 1 > "$bench_dir/best-$b"
	sort -n -k4 "$bench_dir/runs-$b" | tail -n 1 | awk '{print $4}' > "$bench_dir/rss-$b"
	echo "best of 3: $(awk '{printf "%.3f s wall, %d lines/s, %.3f s cpu", $1, $2, $3}' "$bench_dir/best-$b")"
done

lines100=$(wc -l < "$f100")
lines1m=$(wc -l < "$f1m")
if [ "${PB_BENCH_PFLOGSUMM:-full}" = slice ]; then
	warm "$f100"
	/usr/bin/time -f '%e %U %S' -o "$bench_dir/pfl.$$" /usr/sbin/pflogsumm "$f100" > /dev/null 2>&1
	tp=$(awk '{print $1}' "$bench_dir/pfl.$$")
	tpc=$(awk '{print $2 + $3}' "$bench_dir/pfl.$$")
	tpf=$(echo "$tp $lines100 $lines1m" | awk '{ printf "%.1f", $1 * $3 / $2 }')
	tpfc=$(echo "$tpc $lines100 $lines1m" | awk '{ printf "%.1f", $1 * $3 / $2 }')
	echo "pflogsumm: $tp s on the 100k file; scaled linearly to the 1M file: $tpf s wall, $tpfc s cpu (NOT measured on the 1M file)"
else
	warm "$f1m"
	/usr/bin/time -f '%e %U %S' -o "$bench_dir/pfl.$$" /usr/sbin/pflogsumm "$f1m" > /dev/null 2>&1
	tpf=$(awk '{print $1}' "$bench_dir/pfl.$$")
	tpfc=$(awk '{print $2 + $3}' "$bench_dir/pfl.$$")
	echo "pflogsumm: $tpf s wall, $tpfc s cpu on the 1M file (same file, same run)"
fi
rm -f "$bench_dir/pfl.$$"

b1m=$(basename "$f1m")
b100=$(basename "$f100")
read -r t1m lps cpu1m _ < "$bench_dir/best-$b1m"
r100=$(cat "$bench_dir/rss-$b100")
r1m=$(cat "$bench_dir/rss-$b1m")
wct=$(cat "$bench_dir/wc-$b1m")
echo "=== summary (1M-message file, $lines1m lines; machine shared, load $(cut -d' ' -f1-3 /proc/loadavg))"
mb1m=$(($(wc -c < "$f1m") / 1000000))
echo "$tpf $t1m $lps $r100 $r1m $wct $tpfc $cpu1m $mb1m" | awk '
{
	ratio = $1 / $2; rssr = $5 / $4; cratio = $7 / $8; mb = $9;
	printf "speed vs pflogsumm: %.0fx wall, %.0fx cpu (need >= 30)  %s\n", ratio, cratio, (ratio >= 30 ? "ok" : "FAIL");
	printf "lines/s: %d (need >= 1000000)  %s\n", $3, ($3 >= 1000000 ? "ok" : "FAIL");
	printf "peak RSS: %.1f MiB (need <= 32)  %s\n", $5 / 1024, ($5 <= 32768 ? "ok" : "FAIL");
	printf "RSS 1M / 100k: %.2f (need <= 1.25)  %s\n", rssr, (rssr <= 1.25 ? "ok" : "FAIL");
	printf "throughput %.0f MB/s vs wc -l %.0f MB/s (%.3f s): %.1f%% of wc -l; aim 1/10 of wc -l: %s; about 1 GB/s: %s\n", mb / $2, mb / $6, $6, 100 * $6 / $2, ($2 / $6 <= 10 ? "met" : "not met"), (mb / $2 >= 1000 ? "met" : "not met");
	exit ((ratio >= 30 && $3 >= 1000000 && $5 <= 32768 && rssr <= 1.25) ? 0 : 1)
}' || status=1
exit $status
