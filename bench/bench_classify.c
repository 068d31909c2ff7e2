/*
 * bench_classify.c - classifications per second on one core, no cache.
 *
 * Usage: bench_classify RULES DIAGNOSTICS.TSV [SECONDS]
 * Takes the distinct failure texts (with their status, code, dsn and
 * stage) of the labelled bounce set, read in place, and classifies them
 * round-robin for about SECONDS (default 2) seconds, in rounds alternating
 * with a baseline: a plain lower-casing pass over the same texts (the
 * least any classifier has to do).  Time is this thread's CPU time.
 * Also prints the size of the compiled phrase automaton.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "xalloc.h"

struct item {
	struct classify_input in;
	char *line;
};

/* now - CPU seconds of this thread: a shared machine's other load and
 * hypervisor steal do not count against the classifier */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define ROUNDS 9

/* cmp_double - ascending, for qsort */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* field - the n-th tab-separated field of line (cut in place) */
static char *
field(char **f, int n, int want)
{
	return want < n ? f[want] : (char *)"";
}

int
main(int argc, char **argv)
{
	struct classifier *c;
	struct buf why;
	FILE *fp;
	char *line = NULL, *f[16], *p, *tab;
	size_t cap = 0, n = 0, ncap = 0, i, k;
	struct item *items = NULL;
	struct classify_result res;
	double secs = argc > 3 ? strtod(argv[3], NULL) : 2.0, t0, t1;
	unsigned long long count = 0, sum = 0;
	int nf;

	if (argc < 3) {
		fputs("usage: bench_classify RULES DIAGNOSTICS.TSV [SECONDS]\n",
		      stderr);
		return 2;
	}
	buf_init(&why, 4096);
	if ((c = classify_load(argv[1], NULL, &why)) == NULL) {
		fprintf(stderr, "bench_classify: %s\n", buf_str(&why));
		return 1;
	}
	if ((fp = fopen(argv[2], "r")) == NULL) {
		printf("bench_classify: skipped: %s absent\n", argv[2]);
		return 0;
	}
	while (getline(&line, &cap, fp) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "source\t", 7) == 0)
			continue;
		p = xstrdup(line);
		for (nf = 0; nf < 16; ) {
			f[nf++] = p;
			if ((tab = strchr(p, '\t')) == NULL)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		/* distinct failure texts only: skip repeats of text+dsn */
		for (k = 0; k < n; k++)
			if (strcmp(items[k].in.text.p, field(f, nf, 4)) == 0 &&
			    strcmp(items[k].in.dsn.p, field(f, nf, 3)) == 0)
				break;
		if (k < n || *field(f, nf, 4) == '\0') {
			free(f[0]);
			continue;
		}
		if (n == ncap) {
			ncap = ncap ? ncap * 2 : 256;
			items = xrealloc(items, ncap * sizeof(*items));
		}
		classify_input_init(&items[n].in);
		items[n].line = f[0];
		classify_status_from_name(field(f, nf, 1),
					  strlen(field(f, nf, 1)),
					  &items[n].in.status);
		items[n].in.smtp_code = (unsigned)strtoul(field(f, nf, 2),
							  NULL, 10);
		items[n].in.dsn = span_make(field(f, nf, 3),
					    strlen(field(f, nf, 3)));
		items[n].in.text = span_make(field(f, nf, 4),
					     strlen(field(f, nf, 4)));
		if (!classify_stage_from_name(field(f, nf, 8),
					      strlen(field(f, nf, 8)),
					      &items[n].in.stage))
			items[n].in.stage = CLS_STAGE_NONE;
		n++;
	}
	fclose(fp);
	free(line);
	if (n == 0) {
		printf("bench_classify: no texts\n");
		return 1;
	}
	for (i = 0, k = 0; i < n; i++)
		k += items[i].in.text.len;
	printf("texts: %zu distinct, %.0f bytes on average, %zu rules\n", n,
	       (double)k / n, classify_rule_count(c));
	{
		size_t states, classes, bytes;

		bytes = classify_index_size(c, &states, &classes);
		printf("automaton: %zu states x %zu byte classes, %zu KB\n",
		       states, classes, (bytes + 1023) / 1024);
	}

	/*
	 * The classifier, then the baseline, each in ROUNDS rounds of
	 * secs/ROUNDS: the best round is the figure least disturbed by the
	 * other load of a shared machine; the median is printed as well.
	 */
	{
		double rate[ROUNDS], base[ROUNDS];
		char low[4096];
		int r;

		for (r = 0; r < ROUNDS; r++) {
			count = 0;
			t0 = now();
			do {
				for (i = 0; i < n; i++) {
					classify_reply(c, &items[i].in, &res);
					sum += res.reason;
				}
				count += n;
				t1 = now();
			} while (t1 - t0 < secs / ROUNDS);
			rate[r] = count / (t1 - t0);
			/* baseline: lower-case every text once, nothing else */
			count = 0;
			t0 = now();
			do {
				for (i = 0; i < n; i++) {
					size_t len = items[i].in.text.len, j;
					const char *s = items[i].in.text.p;

					if (len > sizeof(low))
						len = sizeof(low);
					for (j = 0; j < len; j++)
						low[j] = (char)(s[j] | 0x20);
					sum += (unsigned char)low[len / 2];
				}
				count += n;
				t1 = now();
			} while (t1 - t0 < secs / ROUNDS);
			base[r] = count / (t1 - t0);
		}
		qsort(rate, ROUNDS, sizeof(double), cmp_double);
		qsort(base, ROUNDS, sizeof(double), cmp_double);
		printf("classify: %.0f classifications/s best round (%.0f ns "
		       "each), median %.0f/s, %d rounds\n", rate[ROUNDS - 1],
		       1e9 / rate[ROUNDS - 1], rate[ROUNDS / 2], ROUNDS);
		printf("baseline lower-case pass over the same texts: %.0f "
		       "texts/s best, median %.0f/s\n", base[ROUNDS - 1],
		       base[ROUNDS / 2]);
	}
	printf("(checksum %llu)\n", sum);
	for (i = 0; i < n; i++)
		free(items[i].line);
	free(items);
	classify_free(c);
	buf_free(&why);
	return 0;
}
