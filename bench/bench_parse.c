/*
 * bench_parse.c - the parse+correlate driver timed by bench/b_parse.sh.
 *
 * Reads log files with core/logread, parses every line with core/logline
 * and feeds it to core/corr (single thread), counting events, and prints
 * one line of figures: bytes, lines, seconds, MB/s, lines/s, peak RSS,
 * and the correlator's counters.  -p parses only (no correlation), to see
 * which part dominates.  The clock is read here, never in core.
 *
 * usage: bench_parse [-p] [-l LIFETIME_S] FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "corr.h"
#include "logline.h"
#include "logread.h"

static unsigned long long nevents[CORR_EV_COUNT];

/* count - corr callback: count events by kind */
static void
count(void *arg, const struct corr_event *ev)
{
	(void)arg;
	nevents[ev->kind]++;
}

/* now_s - monotonic seconds */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct corr_opts co;
	struct corr *c = NULL;
	struct corr_stats st;
	struct logread *r;
	struct logread_line line;
	struct logline ll;
	struct logline_opts lo;
	struct rusage ru;
	struct buf why;
	unsigned long long lines = 0, kinds[LL_KIND_COUNT] = { 0 };
	int64_t last = 0, lifetime = 7200;
	double t0, dt, cpu;
	int ch, rc, parse_only = 0;

	while ((ch = getopt(argc, argv, "pl:")) != -1) {
		switch (ch) {
		case 'p':
			parse_only = 1;
			break;
		case 'l':
			lifetime = strtoll(optarg, NULL, 10);
			break;
		default:
			fputs("usage: bench_parse [-p] [-l LIFETIME_S] FILE...\n",
			      stderr);
			return 2;
		}
	}
	corr_opts_init(&co);
	co.lifetime = lifetime + lifetime / 2;	/* lifetime plus a margin */
	co.on_event = count;
	if (!parse_only)
		c = corr_new(&co);
	buf_init(&why, 4096);
	/* BSD stamps: the year closest before the end of 2026 */
	logline_opts_init(&lo, 1798761600LL);
	lo.local_is_utc = true;
	/* as trace and the watcher: the correlator reads no session counters;
	 * parse-only (-p) reads every field */
	lo.skip_counters = !parse_only;
	lo.skip_peers = !parse_only;
	r = logread_open((const char *const *)argv + optind,
			 (size_t)(argc - optind), 0);
	t0 = now_s();
	while ((rc = logread_next(r, &line, &why)) != 0) {
		if (rc < 0) {
			fprintf(stderr, "bench_parse: %s\n", buf_str(&why));
			return 1;
		}
		lines++;
		kinds[line.has_nul ?
		      logline_parse(&ll, line.text.p, line.text.len, &lo) :
		      logline_parse_nul_free(&ll, line.text.p, line.text.len,
					     &lo)]++;
		if (ll.time > last)
			last = ll.time;
		if (c != NULL)
			corr_feed(c, &ll, last);
	}
	dt = now_s() - t0;
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("%s: %llu bytes, %llu lines in %.3f s: %.1f MB/s, %.0f lines/s,"
	       " peak RSS %.1f MiB, cpu %.3f s\n",
	       parse_only ? "parse" : "parse+correlate",
	       (unsigned long long)logread_bytes(r), lines, dt,
	       (double)logread_bytes(r) / dt / 1e6, (double)lines / dt,
	       (double)ru.ru_maxrss / 1024.0, cpu);
	printf("  malformed %llu, not postfix %llu, other %llu\n",
	       kinds[LL_MALFORMED], kinds[LL_NOT_POSTFIX], kinds[LL_OTHER]);
	if (c != NULL) {
		corr_stats(c, &st);
		printf("  messages: max in flight %llu, open at end %llu, closed "
		       "%llu, rejected %llu, dropped %llu, links %llu; events:"
		       " deferred %llu, final %llu\n",
		       (unsigned long long)st.max_open,
		       (unsigned long long)st.open,
		       (unsigned long long)st.closed,
		       (unsigned long long)st.rejected,
		       (unsigned long long)st.dropped,
		       (unsigned long long)st.linked,
		       nevents[CORR_EV_DEFERRED], nevents[CORR_EV_FINAL]);
		corr_free(c);
	}
	logread_close(r);
	buf_free(&why);
	return 0;
}
