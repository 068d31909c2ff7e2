# bench_lib.sh - sourced by bench/b_*.sh: the seeded generated logs the
# benchmarks share, made once under $PB_BENCH_DIR (default /tmp/pb-bench)
# with bench/gen_log and kept for later runs.  Its .info file holds what
# gen_log printed (messages, most in flight).
: "${PB_BUILDDIR:?run through make bench}"
bench_dir=${PB_BENCH_DIR:-/tmp/pb-bench}
bench_seed=${PB_BENCH_SEED:-1}

# bench_log N - print the path of the log of N messages, generating it
# the first time (lifetime 7200 s, the bench's maximal_queue_lifetime)
bench_log() {
	bl_f=$bench_dir/gen-$1-s$bench_seed.log
	mkdir -p "$bench_dir" || return 1
	if [ ! -s "$bl_f" ]; then
		echo "generating $bl_f" >&2
		"$PB_BUILDDIR/bench/gen_log" -n "$1" -s "$bench_seed" -l 7200 \
		    -o "$bl_f.tmp" 2> "$bl_f.info" && mv "$bl_f.tmp" "$bl_f" ||
		    return 1
	fi
	echo "$bl_f"
}
