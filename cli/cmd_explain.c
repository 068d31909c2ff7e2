/*
 * cmd_explain.c - `plainbounce explain [--json] [LINE...]`: read Postfix
 * log lines out loud, field by field.
 *
 * A thin shell over core/explain: parse each line (from the arguments, or
 * stdin when there are none), print the items as text or as one JSON
 * object per line.  Every value and field name taken from the line goes
 * through escape_display(), so control bytes, invalid UTF-8 and bidi
 * overrides are shown as escapes and one field stays on one output line.
 * Exit 0 when every line was Postfix's, 1 when some was not (or there was
 * no line at all), 2 on a usage error.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "explain.h"
#include "logline.h"
#include "plainbounce.h"
#include "xalloc.h"

#define VALUE_SHOW_BYTES 4096	/* bytes of one value shown; the rest
					 * is counted, not printed */
#define VALUE_BUF_MAX	(VALUE_SHOW_BYTES * 4 + 64) /* "\xNN" per byte */

struct explain_run {
	bool json;
	int64_t now;
	unsigned lines;
	unsigned not_postfix;
	struct explain *ex;
	struct buf field, value;
};

/* show - escape s into b; a cut value says how long it really was */
static const char *
show(struct buf *b, struct span s)
{
	buf_reset(b);
	if (s.len <= VALUE_SHOW_BYTES) {
		escape_display(b, s);
	} else {
		escape_display(b, span_make(s.p, VALUE_SHOW_BYTES));
		buf_addf(b, " [... %zu bytes in all]", s.len);
	}
	return buf_str(b);
}

/* print_text - the items as aligned text, meaning under each value */
static void
print_text(struct explain_run *run)
{
	const struct explain *ex = run->ex;
	const struct explain_item *it;
	size_t i;

	if (run->lines > 1)
		putchar('\n');
	if (!ex->is_postfix) {
		printf("not a Postfix log line: %.*s\n",
		       (int)ex->kind_meaning.len, ex->kind_meaning.p);
	} else {
		printf("%s: %.*s\n", ex->kind_name, (int)ex->kind_meaning.len,
		       ex->kind_meaning.p);
	}
	for (i = 0; i < ex->n; i++) {
		it = &ex->item[i];
		printf("  %-22s ", show(&run->field, it->field));
		printf("%s\n", it->value.len > 0 ?
		       show(&run->value, it->value) : "(empty)");
		printf("  %-22s %.*s\n", "", (int)it->meaning.len,
		       it->meaning.p ? it->meaning.p : "");
	}
	if (ex->truncated)
		puts("  (more fields than plainbounce shows)");
}

/* jstr - a JSON string of escaped text (always valid UTF-8) */
static json_t *
jstr(struct buf *b, struct span s)
{
	const char *str = show(b, s);

	return json_stringn(str, b->len);
}

/* print_json - one compact JSON object for the line */
static int
print_json(struct explain_run *run)
{
	const struct explain *ex = run->ex;
	json_t *root, *fields, *o;
	size_t i;
	int rc;

	fields = json_array();
	for (i = 0; i < ex->n; i++) {
		o = json_object();
		json_object_set_new(o, "field", jstr(&run->field,
				    ex->item[i].field));
		json_object_set_new(o, "value", jstr(&run->value,
				    ex->item[i].value));
		json_object_set_new(o, "meaning", json_stringn(
				    ex->item[i].meaning.p ?
				    ex->item[i].meaning.p : "",
				    ex->item[i].meaning.len));
		json_array_append_new(fields, o);
	}
	root = json_pack("{s:s, s:s%, s:b, s:b, s:o}",
			 "kind", ex->kind_name,
			 "kind_meaning", ex->kind_meaning.p ?
			 ex->kind_meaning.p : "", ex->kind_meaning.len,
			 "postfix", ex->is_postfix,
			 "truncated", ex->truncated,
			 "fields", fields);
	if (root == NULL)
		return -1;
	rc = json_dumpf(root, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
	return rc;
}

/* explain_one - parse, explain and print one line */
static void
explain_one(struct explain_run *run, const char *line, size_t len)
{
	struct logline ll;
	struct logline_opts opts;

	logline_opts_init(&opts, run->now);
	logline_parse(&ll, line, len, &opts);
	explain_line(run->ex, &ll);
	run->lines++;
	if (!run->ex->is_postfix)
		run->not_postfix++;
	if (run->json) {
		if (print_json(run) < 0)
			fputs("plainbounce: explain: cannot write JSON\n",
			      stderr);
	} else {
		print_text(run);
	}
}

/* explain_arg - one argument, split at newlines like stdin */
static void
explain_arg(struct explain_run *run, const char *arg)
{
	const char *nl;
	size_t len = strlen(arg);

	while (len > 0) {
		nl = memchr(arg, '\n', len);
		if (nl == NULL) {
			explain_one(run, arg, len);
			return;
		}
		explain_one(run, arg, (size_t)(nl - arg));
		len -= (size_t)(nl - arg) + 1;
		arg = nl + 1;
	}
}

/*
 * explain_stream - every line of fp.  A line longer than the parser's
 * limit is passed cut at one byte past it (so the parser calls it
 * malformed) and the rest is skipped: memory stays bounded.
 */
static void
explain_stream(struct explain_run *run, FILE *fp)
{
	size_t size = LOGLINE_MAX_LEN + 1, len = 0;
	char *line = xmalloc(size);
	int c;

	for (;;) {
		c = getc(fp);
		if (c == EOF || c == '\n') {
			/* a file with CRLF line ends: the CR is not Postfix's */
			if (len > 0 && len <= LOGLINE_MAX_LEN &&
			    line[len - 1] == '\r')
				len--;
			if (c == '\n' || len > 0)
				explain_one(run, line, len);
			if (c == EOF)
				break;
			len = 0;
			continue;
		}
		if (len < size)
			line[len++] = (char)c;
	}
	free(line);
}

int
cmd_explain(int argc, char **argv)
{
	struct explain_run run;
	int ch, i;
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&run, 0, sizeof(run));
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			run.json = true;
			break;
		case 'h':
		default:
			fputs("usage: plainbounce explain [--json] "
			      "['LOG LINE'...]\n"
			      "  with no LOG LINE, lines are read from "
			      "stdin\n", stderr);
			return ch == 'h' ? 0 : PB_EXIT_USAGE;
		}
	}
	run.now = (int64_t)time(NULL);
	run.ex = xmalloc(sizeof(*run.ex));
	buf_init(&run.field, VALUE_BUF_MAX);
	buf_init(&run.value, VALUE_BUF_MAX);
	if (optind < argc)
		for (i = optind; i < argc; i++)
			explain_arg(&run, argv[i]);
	else
		explain_stream(&run, stdin);
	buf_free(&run.field);
	buf_free(&run.value);
	free(run.ex);
	if (fflush(stdout) != 0) {
		perror("plainbounce: explain: stdout");
		return 1;
	}
	if (run.lines == 0) {
		fputs("plainbounce: explain: no line to explain\n", stderr);
		return 1;
	}
	return run.not_postfix > 0 ? 1 : 0;
}
