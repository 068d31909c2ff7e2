/*
 * eval_bounces.c - measure the classifier on labelled real bounces.
 *
 * argv[1] is the evaluation directory (../shared/eval); its
 * bounces/diagnostics.tsv is read in place, never copied.  Prints the
 * agreement with the project_reason column overall, per reason and per
 * label_source, a confusion matrix, every rule that decided exactly one
 * row (a sign of a rule fitted to a sample), and checks the status code
 * table of core/dsncode.c against bounces/status-codes.tsv.  With -v
 * (argv[2]) every miss is listed.  Absent data is a clean skip.
 *
 * Inputs per row: status_hint is the status (bounced, deferred, expired;
 * unknown is none), smtp_command the stage, smtp_code and dsn as given.
 * A sample's "deferred" comes from a DSN whose action is "delayed": the
 * reporting server was still retrying, so it is a deferral, not an
 * expiry; "expired" rows stand for a message Postfix gave up on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "dsncode.h"
#include "xalloc.h"

#define NCOL 14
enum { C_SOURCE, C_STATUS, C_CODE, C_DSN, C_TEXT, C_EXPECTED, C_LABEL_SRC,
       C_PROVIDER, C_CMD, C_RHOST, C_HARD, C_PROJECT };

/* split - cut a TSV line into at most n fields in place; returns count */
static int
split(char *line, char **f, int n)
{
	int i = 0;
	char *p = line, *tab;

	line[strcspn(line, "\r\n")] = '\0';
	while (i < n) {
		f[i++] = p;
		if ((tab = strchr(p, '\t')) == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return i;
}

/* check_codes - compare our code table with the registry list */
static void
check_codes(const char *dir)
{
	char path[4096], *line = NULL, *f[8];
	size_t cap = 0, n = 0, same = 0;
	FILE *fp;
	const struct dsncode *e;
	enum reason want;

	snprintf(path, sizeof(path), "%s/bounces/status-codes.tsv", dir);
	if ((fp = fopen(path, "r")) == NULL) {
		printf("status codes: skipped: %s absent\n", path);
		return;
	}
	while (getline(&line, &cap, fp) > 0) {
		if (split(line, f, 8) < 6 || strcmp(f[1], "detail") != 0)
			continue;
		n++;
		e = dsncode_lookup(f[0], strlen(f[0]));
		if (e == NULL) {
			printf("status codes: %s missing from dsncode.c\n",
			       f[0]);
			continue;
		}
		if (!reason_from_name(f[5], strlen(f[5]), &want))
			continue;
		if (e->reason == want)
			same++;
		else
			printf("status codes: %s: ours %s, list says %s\n",
			       f[0], reason_name(e->reason), f[5]);
	}
	printf("status codes: %zu of %zu registry details agree on the "
	       "default reason\n", same, n);
	free(line);
	fclose(fp);
}

struct tally {
	char name[64];
	unsigned n, ok;
};

/* tally_add - count one row under a name in a small table */
static void
tally_add(struct tally *t, size_t *nt, size_t max, const char *name, int ok)
{
	size_t i;

	for (i = 0; i < *nt; i++)
		if (strcmp(t[i].name, name) == 0)
			break;
	if (i == *nt) {
		if (*nt == max)
			return;
		snprintf(t[i].name, sizeof(t[i].name), "%s", name);
		(*nt)++;
	}
	t[i].n++;
	t[i].ok += ok != 0;
}

int
main(int argc, char **argv)
{
	char path[4096], rules[4096], *line = NULL, *f[NCOL];
	const char *src = getenv("PB_SRCDIR");
	size_t cap = 0, nsrc = 0, i, j;
	unsigned total = 0, ok = 0, *used, *fits, delayed = 0, nostage = 0;
	unsigned nxdomain = 0, cause = 0;
	int all[512];
	size_t nall, a;
	unsigned conf[REASON_COUNT][REASON_COUNT];
	unsigned lab_n[REASON_COUNT] = { 0 }, lab_ok[REASON_COUNT] = { 0 };
	unsigned pred_n[REASON_COUNT] = { 0 };
	struct tally srcs[16];
	int verbose = argc > 2 && strcmp(argv[2], "-v") == 0;
	struct classifier *c;
	struct buf why;
	FILE *fp;
	struct classify_input in;
	struct classify_result res;
	enum reason want;
	enum classify_status st;

	if (argc < 2) {
		fputs("usage: eval_bounces EVAL_DIR [-v]\n", stderr);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bounces/diagnostics.tsv", argv[1]);
	if ((fp = fopen(path, "r")) == NULL) {
		printf("eval_bounces: skipped: %s absent\n", path);
		return 0;
	}
	snprintf(rules, sizeof(rules), "%s/config/classify.rules",
		 src ? src : ".");
	buf_init(&why, 4096);
	if ((c = classify_load(rules, NULL, &why)) == NULL) {
		fprintf(stderr, "eval_bounces: %s\n", buf_str(&why));
		return 1;
	}
	used = xcalloc(classify_rule_count(c) + 1, sizeof(unsigned));
	fits = xcalloc(classify_rule_count(c) + 1, sizeof(unsigned));
	memset(conf, 0, sizeof(conf));
	while (getline(&line, &cap, fp) > 0) {
		if (split(line, f, NCOL) < C_PROJECT + 1 ||
		    strcmp(f[C_SOURCE], "source") == 0)
			continue;
		if (!reason_from_name(f[C_PROJECT], strlen(f[C_PROJECT]),
				      &want))
			continue;
		classify_input_init(&in);
		if (!classify_status_from_name(f[C_STATUS],
					       strlen(f[C_STATUS]), &st))
			st = CLS_STATUS_NONE;
		in.status = st;
		in.smtp_code = (unsigned)strtoul(f[C_CODE], NULL, 10);
		in.dsn = span_make(f[C_DSN], strlen(f[C_DSN]));
		in.text = span_make(f[C_TEXT], strlen(f[C_TEXT]));
		if (!classify_stage_from_name(f[C_CMD], strlen(f[C_CMD]),
					      &in.stage))
			in.stage = CLS_STAGE_NONE;
		classify_reply(c, &in, &res);
		nall = classify_matching_rules(c, &in, all, 512);
		for (a = 0; a < nall; a++)
			fits[all[a]]++;
		total++;
		lab_n[want]++;
		pred_n[res.reason]++;
		conf[want][res.reason]++;
		if (res.reason == want) {
			ok++;
			lab_ok[want]++;
		}
		if (res.rule >= 0)
			used[res.rule]++;
		/* the two label groups the report disputes (see below) */
		if (want == REASON_DELIVERY_EXPIRED &&
		    st == CLS_STATUS_DEFERRED && res.reason != want)
			delayed++;
		if (want == REASON_RECIPIENT_REFUSED &&
		    in.stage == CLS_STAGE_NONE && res.stage == CLS_STAGE_NONE &&
		    res.reason == REASON_ADDRESS_UNKNOWN)
			nostage++;
		if (want == REASON_CANNOT_CONNECT &&
		    res.reason == REASON_DOMAIN_UNKNOWN &&
		    strcasestr(f[C_TEXT], "nxdomain") != NULL)
			nxdomain++;
		/* the text says the sender gave up; the label names the
		 * cause, which we report as last_reason */
		if (want != REASON_DELIVERY_EXPIRED &&
		    res.reason == REASON_DELIVERY_EXPIRED &&
		    res.last_reason == want)
			cause++;
		tally_add(srcs, &nsrc, 16, f[C_LABEL_SRC], res.reason == want);
		if (verbose && res.reason != want)
			printf("MISS %s -> %s [%s %s] %s|%s|%s|%s| %.300s\n",
			       reason_name(want), reason_name(res.reason),
			       classify_via_name(res.via),
			       res.rule >= 0 ? classify_rule_where(c, res.rule)
					     : "-",
			       f[C_LABEL_SRC], f[C_STATUS], f[C_DSN], f[C_CMD],
			       f[C_TEXT]);
	}
	fclose(fp);
	printf("bounces: %u rows, %u agree with project_reason: %.1f%%\n",
	       total, ok, total ? 100.0 * ok / total : 0.0);
	printf("disputed labels (see the classifier's notes):\n"
	       "  %u deferrals (status deferred: a DSN still retrying, or a 4xx "
	       "reply) labelled delivery_expired\n"
	       "  %u \"user unknown\" texts with no stage labelled "
	       "recipient_refused\n"
	       "  %u NXDOMAIN answers labelled cannot_connect\n"
	       "  %u expiry texts whose label is the cause they name (our "
	       "last_reason)\n"
	       "  counting these as agreement: %u rows, %.1f%%\n", delayed,
	       nostage, nxdomain, cause,
	       ok + delayed + nostage + nxdomain + cause,
	       total ? 100.0 * (ok + delayed + nostage + nxdomain + cause) /
	       total : 0.0);
	printf("\nper label_source:\n");
	for (i = 0; i < nsrc; i++)
		printf("  %-22s %4u/%-4u %5.1f%%\n", srcs[i].name, srcs[i].ok,
		       srcs[i].n, 100.0 * srcs[i].ok / srcs[i].n);
	printf("\nper reason (label: recall; predicted: precision):\n");
	for (i = 0; i < REASON_COUNT; i++)
		if (lab_n[i] || pred_n[i])
			printf("  %-24s %4u/%-4u %5.1f%%   precision %5.1f%% "
			       "of %u\n", reason_name((enum reason)i),
			       lab_ok[i], lab_n[i],
			       lab_n[i] ? 100.0 * lab_ok[i] / lab_n[i] : 0.0,
			       pred_n[i] ? 100.0 * lab_ok[i] / pred_n[i] : 0.0,
			       pred_n[i]);
	printf("\nconfusion matrix (rows: label, columns: predicted; "
	       "column numbers are the row numbers):\n     ");
	for (j = 0; j < REASON_COUNT; j++)
		printf("%3zu", j);
	printf("\n");
	for (i = 0; i < REASON_COUNT; i++) {
		printf("  %2zu ", i);
		for (j = 0; j < REASON_COUNT; j++)
			if (conf[i][j])
				printf("%3u", conf[i][j]);
			else
				printf("  .");
		printf("  %s\n", reason_name((enum reason)i));
	}
	printf("\nconfusions (label -> predicted: rows):\n");
	for (i = 0; i < REASON_COUNT; i++)
		for (j = 0; j < REASON_COUNT; j++)
			if (i != j && conf[i][j])
				printf("  %s -> %s: %u\n",
				       reason_name((enum reason)i),
				       reason_name((enum reason)j), conf[i][j]);
	printf("\nrules that match exactly one row (phrases and conditions "
	       "fit, whether or not the rule decided):\n");
	for (j = 0, i = 0; i < classify_rule_count(c); i++)
		if (fits[i] == 1) {
			printf("  %s\n", classify_rule_where(c, (int)i));
			j++;
		}
	printf("  (%zu of %zu rules)\n", j, classify_rule_count(c));
	printf("\nrules that decided exactly one row:\n");
	for (j = 0, nsrc = 0, i = 0; i < classify_rule_count(c); i++) {
		if (used[i] == 1) {
			printf("  %s\n", classify_rule_where(c, (int)i));
			j++;
		}
		nsrc += used[i] == 0;
	}
	printf("  (%zu of %zu rules; %zu rules or names decided no row)\n",
	       j, classify_rule_count(c), nsrc);
	printf("\n");
	check_codes(argv[1]);
	free(used);
	free(fits);
	free(line);
	buf_free(&why);
	classify_free(c);
	return 0;
}
