/*
 * eval_logs.c - the log line parser against other projects' labelled data.
 *
 * Reads ../shared/eval/logs (argv[1] is the eval directory) in place: the
 * test expectations of grok patterns, Lightmeter, cuttlefish, youyo and
 * the Prometheus exporters.  Each source names its fields its own way;
 * tests/eval/logs-fieldmap.tsv maps every source field to one of ours (an
 * accessor below) or excludes it with the reason.  A field with no row in
 * the map is reported as unmapped, so nothing is silently skipped.
 *
 * Prints per source the lines parsed, fields compared and matched, and
 * the exclusions with their reasons; exits 1 when fewer than 99% of the
 * compared fields match, or when a field is unmapped.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <zlib.h>

#include "logline.h"
#include "xalloc.h"

#define MAX_ROWS	1024
#define MAX_REASONS	128
#define SHOW_MISMATCH	8	/* per source, unless PB_EVAL_VERBOSE is set */
/* BSD stamps carry no year: read them as UTC near this reference */
#define EVAL_REF_TIME	INT64_C(1795824000)	/* 2026-11-28 */

/* One row of the field map. */
struct row {
	char *source, *field, *kind, *ours, *transform, *note;
};

struct reason {
	char *text;
	unsigned n;
};

/* Per-source counters. */
struct stats {
	const char *name;
	unsigned lines, kinds[LL_KIND_COUNT];
	unsigned compared, matched, excluded, unmapped, mismatches_shown;
	unsigned lines_excluded;
	struct reason reasons[MAX_REASONS];
	unsigned nreasons;
};

static struct row rows[MAX_ROWS];
static unsigned nrows;
static bool verbose;

/* ---------------------------------------------------------------- */
/* The field map */

/* load_map - read the TSV: source field kind ours transform note */
static int
load_map(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;

	if (fp == NULL) {
		fprintf(stderr, "eval_logs: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) > 0) {
		char *col[6], *p = line;
		int n = 0;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		while (n < 6) {
			col[n++] = p;
			p = strchr(p, '\t');
			if (p == NULL)
				break;
			*p++ = '\0';
		}
		if (n != 6 || nrows == MAX_ROWS) {
			fprintf(stderr, "eval_logs: %s:%u: want 6 tab-separated "
				"columns\n", path, lineno);
			fclose(fp);
			free(line);
			return -1;
		}
		rows[nrows].source = xstrdup(col[0]);
		rows[nrows].field = xstrdup(col[1]);
		rows[nrows].kind = xstrdup(col[2]);
		rows[nrows].ours = xstrdup(col[3]);
		rows[nrows].transform = xstrdup(col[4]);
		rows[nrows].note = xstrdup(col[5]);
		nrows++;
	}
	free(line);
	fclose(fp);
	return 0;
}

/*
 * find_row - the row for a field: one for the line's daemon
 * ("daemon=anvil") first, then one for its kind, then "*".
 */
static const struct row *
find_row(const char *source, const char *field, const struct logline *ll)
{
	const struct row *any = NULL, *bykind = NULL;

	for (unsigned i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		if (strcmp(r->source, source) != 0 ||
		    strcmp(r->field, field) != 0)
			continue;
		if (strncmp(r->kind, "daemon=", 7) == 0) {
			if (ll != NULL && span_eq(ll->daemon, r->kind + 7))
				return r;
		} else if (ll != NULL &&
			   strcmp(r->kind, logline_kind_name(ll->kind)) == 0) {
			if (bykind == NULL)
				bykind = r;
		} else if (strcmp(r->kind, "*") == 0 && any == NULL) {
			any = r;
		}
	}
	return bykind ? bykind : any;
}

/* has_transform - whether a row's comma-separated transforms include t */
static bool
has_transform(const struct row *r, const char *t)
{
	size_t n = strlen(t);
	const char *p = r->transform;

	while ((p = strstr(p, t)) != NULL) {
		if ((p == r->transform || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ':'))
			return true;
		p += n;
	}
	return false;
}

/* transform_arg - the argument of "name:arg" among the transforms */
static const char *
transform_arg(const struct row *r, const char *t, char *buf, size_t size)
{
	const char *p = strstr(r->transform, t);
	size_t n;

	if (p == NULL || p[strlen(t)] != ':')
		return NULL;
	p += strlen(t) + 1;
	n = strcspn(p, ",");
	snprintf(buf, size, "%.*s", (int)n, p);
	return buf;
}

/* ---------------------------------------------------------------- */
/* Our fields, by name */

/* put - copy a span out as a C string; false when absent */
static bool
put(char *out, size_t size, struct span s)
{
	if (s.p == NULL)
		return false;
	span_copy(out, size, s);
	return true;
}

/* put_part - local part or domain of an address (split at the last @) */
static bool
put_part(char *out, size_t size, struct span s, bool domain)
{
	const char *at = NULL;

	if (s.p == NULL)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] == '@')
			at = s.p + i;
	if (at == NULL)
		return put(out, size, domain ? span_make(s.p + s.len, 0) : s);
	if (domain)
		return put(out, size, span_make(at + 1,
				   (size_t)(s.p + s.len - at - 1)));
	/* a quoted local part is compared without its quotes */
	if (at - s.p >= 2 && s.p[0] == '"' && at[-1] == '"')
		return put(out, size, span_make(s.p + 1, (size_t)(at - s.p - 2)));
	return put(out, size, span_make(s.p, (size_t)(at - s.p)));
}

/* tm_of - the broken-down UTC time of the line */
static bool
tm_of(const struct logline *ll, struct tm *tm)
{
	time_t t;

	if (ll->timestamp.p == NULL)
		return false;
	/* the wall-clock time the stamp was written in, as they read it */
	t = (time_t)(ll->time + ll->utc_offset);
	return gmtime_r(&t, tm) != NULL;
}

/* get_field - our value of the field named `ours`; false when absent */
static bool
get_field(const char *ours, const struct logline *ll, char *out, size_t size)
{
	const struct logline_reply *r = &ll->reply;
	struct tm tm;

#define S(name, sp) if (strcmp(ours, name) == 0) return put(out, size, sp)
	S("queue_id", ll->queue_id);
	S("host", ll->host);
	S("instance", ll->instance);
	S("qualifier", ll->qualifier);
	S("daemon", ll->daemon);
	S("syslog_name", ll->syslog_name);
	S("severity", ll->severity);
	S("body", ll->body);
	S("text", ll->text);
	S("to", ll->to);
	S("orig_to", ll->orig_to);
	S("from", ll->from);
	S("relay", ll->relay);
	S("relay_name", ll->relay_name);
	S("relay_addr", ll->relay_addr);
	S("relay_port", ll->relay_port);
	S("dsn", ll->dsn);
	S("status", ll->status_word);
	S("status_note", ll->status_note);
	S("message_id", ll->message_id);
	S("client", ll->client);
	S("client_name", ll->client_name);
	S("client_addr", ll->client_addr);
	S("client_port", ll->client_port);
	S("sasl_method", ll->sasl_method);
	S("sasl_username", ll->sasl_username);
	S("uid", ll->uid);
	S("size", ll->size);
	S("nrcpt", ll->nrcpt);
	S("delay", ll->delay);
	S("reply_text", r->text);
	S("reply_host", r->host);
	S("reply_addr", r->addr);
	S("reply_port", r->port);
	S("reply_dsn", r->dsn);
	S("reply_message", r->message);
	S("reply_remote_text", r->remote_text);
	S("reply_command_text", r->command_text);
	S("queued_as", r->queued_as);
	S("notify_kind", ll->notify_kind);
	S("notify_qid", ll->notify_qid);
	S("notify_who", ll->notify_who);
	S("reject_action", ll->reject_action);
	S("reject_stage", ll->reject_stage);
	S("admin_action", ll->admin_action);
	S("reject_text", ll->reject_text);
#undef S
	if (strcmp(ours, "action_text_or_body") == 0)
		return put(out, size, ll->reject_action.p ? ll->reject_text :
			   ll->body);
	if (strcmp(ours, "kind") == 0) {
		snprintf(out, size, "%s", logline_kind_name(ll->kind));
		return true;
	}
	if (strcmp(ours, "pid") == 0) {
		snprintf(out, size, "%ld", ll->pid);
		return ll->pid >= 0;
	}
	if (strcmp(ours, "reply_code") == 0) {
		snprintf(out, size, "%u", r->smtp_code);
		return r->smtp_code != 0;
	}
	if (strcmp(ours, "reply_command") == 0) {
		snprintf(out, size, "%s", logline_command_name(r->command));
		return r->command != LL_CMD_NONE;
	}
	if (strcmp(ours, "reply_own") == 0) {
		snprintf(out, size, "%s", logline_own_name(r->own));
		return r->own != LL_OWN_NONE;
	}
	if (strncmp(ours, "delay_", 6) == 0 && ours[6] >= 'a' &&
	    ours[6] <= 'd' && ours[7] == '\0') {
		double d = ll->delays[ours[6] - 'a'];

		snprintf(out, size, "%.17g", d);
		return d >= 0;
	}
	if (strncmp(ours, "kv:", 3) == 0)
		return put(out, size, logline_kv_get(ll, ours + 3));
	if (strcmp(ours, "to_local") == 0 || strcmp(ours, "to_domain") == 0)
		return put_part(out, size, ll->to, ours[3] == 'd');
	if (strcmp(ours, "orig_to_local") == 0 ||
	    strcmp(ours, "orig_to_domain") == 0)
		return put_part(out, size, ll->orig_to, ours[8] == 'd');
	if (strcmp(ours, "from_local") == 0 ||
	    strcmp(ours, "from_domain") == 0)
		return put_part(out, size, ll->from, ours[5] == 'd');
	if (strcmp(ours, "is_delivery") == 0) {
		snprintf(out, size, "%s", ll->kind == LL_DELIVERY ? "true" :
			 "false");
		return true;
	}
	if (strcmp(ours, "prog_pid") == 0) {	/* "postfix/smtp[123]" */
		if (ll->syslog_name.p == NULL || ll->pid < 0)
			return false;
		snprintf(out, size, "%.*s[%ld]", (int)ll->syslog_name.len,
			 ll->syslog_name.p, ll->pid);
		return true;
	}
	if (strcmp(ours, "status_and_reply") == 0) {
		const char *e;

		if (ll->status_word.p == NULL)
			return false;
		e = ll->body.p + ll->body.len;
		return put(out, size, span_make(ll->status_word.p,
				   (size_t)(e - ll->status_word.p)));
	}
	if (strcmp(ours, "reject_detail") == 0) {	/* after "reject: " */
		const char *e;

		if (ll->reject_stage.p == NULL)
			return false;
		e = ll->body.p + ll->body.len;
		return put(out, size, span_make(ll->reject_stage.p,
				   (size_t)(e - ll->reject_stage.p)));
	}
	if (strncmp(ours, "time_", 5) == 0 && tm_of(ll, &tm)) {
		int v = -1;

		if (strcmp(ours + 5, "year") == 0)
			v = tm.tm_year + 1900;
		else if (strcmp(ours + 5, "month") == 0)
			v = tm.tm_mon + 1;
		else if (strcmp(ours + 5, "day") == 0)
			v = tm.tm_mday;
		else if (strcmp(ours + 5, "hour") == 0)
			v = tm.tm_hour;
		else if (strcmp(ours + 5, "minute") == 0)
			v = tm.tm_min;
		else if (strcmp(ours + 5, "second") == 0)
			v = tm.tm_sec;
		snprintf(out, size, "%d", v);
		return v >= 0;
	}
	fprintf(stderr, "eval_logs: unknown field '%s' in the map\n", ours);
	exit(2);
}

/* ---------------------------------------------------------------- */
/* Comparing */

/* add_reason - count an exclusion under its reason */
static void
add_reason(struct stats *st, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (unsigned i = 0; i < st->nreasons; i++)
		if (strcmp(st->reasons[i].text, text) == 0) {
			st->reasons[i].n++;
			return;
		}
	if (st->nreasons < MAX_REASONS) {
		st->reasons[st->nreasons].text = xstrdup(text);
		st->reasons[st->nreasons++].n = 1;
	}
}

/* month_number - Go's month names ("April") to 1..12, or 0 */
static int
month_number(const char *name)
{
	static const char *const m[] = { "January", "February", "March",
		"April", "May", "June", "July", "August", "September",
		"October", "November", "December" };

	for (int i = 0; i < 12; i++)
		if (strcmp(name, m[i]) == 0)
			return i + 1;
	return 0;
}

/* kv_subset - every key=value pair of a grok key=value string is ours */
static bool
kv_subset(const char *want, const struct logline *ll, char *why, size_t size)
{
	const char *p = want;

	while (*p) {
		const char *k = p, *eq, *v, *ve;
		struct span ours;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		k = p;
		eq = strchr(p, '=');
		if (eq == NULL)
			break;
		v = eq + 1;
		if (*v == '<') {
			ve = strstr(v, ">");
			if (ve == NULL)
				ve = v + strlen(v);
			p = *ve ? ve + 1 : ve;
			v++;
		} else if (*v == '"' && strchr(v + 1, '"') != NULL) {
			ve = strchr(v + 1, '"');
			p = ve + 1;
			v++;
		} else {
			ve = v + strcspn(v, ", ");
			p = ve;
		}
		{
			char key[64];

			snprintf(key, sizeof(key), "%.*s", (int)(eq - k), k);
			ours = logline_kv_get(ll, key);
			if (ours.p == NULL || ours.len != (size_t)(ve - v) ||
			    memcmp(ours.p, v, ours.len) != 0) {
				snprintf(why, size, "%s=%.*s", key,
					 (int)(ve - v), v);
				return false;
			}
		}
	}
	return true;
}

/*
 * compare - one expected value against ours; returns 1 match, 0 mismatch,
 * -1 when the expected value is of a type that cannot be compared.
 */
static int
compare(const struct row *r, json_t *want, const struct logline *ll,
	char *got, size_t size, bool *present)
{
	char wbuf[8192], arg[256];
	const char *w = NULL;

	if (strcmp(r->ours, "kv_all") == 0) {
		*present = true;
		if (!json_is_string(want))
			return -1;
		return kv_subset(json_string_value(want), ll, got, size);
	}
	*present = get_field(r->ours, ll, got, size);
	if (transform_arg(r, "const", arg, sizeof(arg)) != NULL) {
		snprintf(wbuf, sizeof(wbuf), "%s", arg);
		w = wbuf;
	} else if (json_is_string(want)) {
		snprintf(wbuf, sizeof(wbuf), "%s", json_string_value(want));
		w = wbuf;
	} else if (json_is_object(want) && has_transform(r, "gostatus")) {
		/* {"go_expr": "SentStatus"} -> "sent" */
		const char *g = json_string_value(json_object_get(want,
								  "go_expr"));
		size_t n;

		if (g == NULL || (n = strlen(g)) < 7 ||
		    strcmp(g + n - 6, "Status") != 0)
			return -1;
		snprintf(wbuf, sizeof(wbuf), "%.*s", (int)(n - 6), g);
		for (char *c = wbuf; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		w = wbuf;
	} else if (json_is_number(want)) {
		double x = json_number_value(want), y;
		char *end;

		if (!*present)
			return has_transform(r, "goz") && x == 0;
		y = strtod(got, &end);
		if (end == got || *end != '\0')
			return 0;
		return fabs(x - y) <= 1e-9 * fmax(1.0, fabs(x));
	} else if (json_is_boolean(want)) {
		if (!*present)
			return 0;
		return strcmp(got, json_is_true(want) ? "true" : "false") == 0;
	} else if (json_is_null(want)) {
		return !*present || got[0] == '\0';
	} else {
		return -1;
	}
	if (has_transform(r, "unparen")) {
		size_t n = strlen(wbuf);

		if (n >= 2 && wbuf[0] == '(' && wbuf[n - 1] == ')') {
			memmove(wbuf, wbuf + 1, n - 2);
			wbuf[n - 2] = '\0';
		}
	}
	if (transform_arg(r, "prefix", arg, sizeof(arg)) != NULL) {
		/* their "reject" for our "milter-reject": prefix:milter- */
		size_t n = strlen(arg), m = strlen(wbuf);

		if (n + m < sizeof(wbuf)) {
			memmove(wbuf + n, wbuf, m + 1);
			memcpy(wbuf, arg, n);
		}
	}
	if (has_transform(r, "month")) {
		int m = month_number(wbuf);

		if (m == 0)
			return -1;
		snprintf(wbuf, sizeof(wbuf), "%d", m);
	}
	if (!*present)
		return has_transform(r, "goz") && w[0] == '\0';
	if (has_transform(r, "endswith")) {
		size_t a = strlen(got), b = strlen(w);

		return a >= b && strcmp(got + a - b, w) == 0;
	}
	return strcmp(got, w) == 0;
}

/* check_field - compare one labelled field and count the outcome */
static void
check_field(struct stats *st, const char *mapsrc, const char *field,
	    json_t *want, const struct logline *ll, const char *line,
	    unsigned lineno)
{
	const struct row *r = find_row(mapsrc, field, ll);
	char got[8192];
	bool present;
	int rc;

	if (r == NULL) {
		st->unmapped++;
		add_reason(st, "UNMAPPED field %s (kind %s)", field,
			   logline_kind_name(ll->kind));
		return;
	}
	if (strcmp(r->ours, "-") == 0) {
		st->excluded++;
		add_reason(st, "%s: %s", field, r->note);
		return;
	}
	got[0] = '\0';
	rc = compare(r, want, ll, got, sizeof(got), &present);
	if (rc < 0) {
		st->excluded++;
		add_reason(st, "%s: expected value is a Go expression or "
			   "assertion with no comparable value", field);
		return;
	}
	st->compared++;
	if (rc == 1) {
		st->matched++;
		return;
	}
	if (verbose || st->mismatches_shown < SHOW_MISMATCH) {
		char *ws = json_dumps(want, JSON_ENCODE_ANY);

		printf("  MISMATCH %s #%u %s -> %s: want %s, got %s%s%s\n"
		       "    line: %.300s\n", st->name, lineno, field, r->ours,
		       ws ? ws : "?", present ? "'" : "(absent)",
		       present ? got : "", present ? "'" : "", line);
		free(ws);
		st->mismatches_shown++;
	}
}

/* parse_line - parse with UTC reading near the reference time */
static void
parse_line(struct stats *st, struct logline *ll, const char *line,
	   size_t len)
{
	struct logline_opts o;

	logline_opts_init(&o, EVAL_REF_TIME);
	o.local_is_utc = true;
	logline_parse(ll, line, len, &o);
	st->lines++;
	st->kinds[ll->kind]++;
}

/* ---------------------------------------------------------------- */
/* Sources */

/* each_jsonl - call fn for every JSON object of a .jsonl file */
static int
each_jsonl(const char *path, void (*fn)(json_t *, unsigned, void *),
	   void *arg)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;

	if (fp == NULL)
		return -1;
	while (getline(&line, &cap, fp) > 0) {
		json_error_t err;
		json_t *o;

		lineno++;
		o = json_loads(line, JSON_ALLOW_NUL, &err);
		if (o == NULL) {
			fprintf(stderr, "eval_logs: %s:%u: %s\n", path, lineno,
				err.text);
			continue;
		}
		fn(o, lineno, arg);
		json_decref(o);
	}
	free(line);
	fclose(fp);
	return 0;
}

/* whyscream: message bodies; a synthetic syslog head is put in front */
static void
whyscream_one(json_t *o, unsigned lineno, void *arg)
{
	struct stats *st = arg;
	json_t *exp = json_object_get(o, "expected");
	const char *data = json_string_value(json_object_get(o, "data"));
	const char *prog = json_string_value(json_object_get(o, "program"));
	const char *pat = json_string_value(json_object_get(o, "grok_pattern"));
	char pbuf[64], *line;
	size_t dlen, n;
	struct logline ll;
	const char *key;
	json_t *v;

	if (exp == NULL)
		exp = json_object_get(o, "expected_at_that_commit");
	if (prog == NULL && pat != NULL && strncmp(pat, "POSTFIX_", 8) == 0) {
		/* history rows name only the pattern: POSTFIX_SMTPD -> smtpd */
		snprintf(pbuf, sizeof(pbuf), "%s", pat + 8);
		for (char *c = pbuf; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		prog = pbuf;
	}
	if (data == NULL || exp == NULL ||
	    json_is_true(json_object_get(o, "fragment")) ||
	    strcmp(prog ? prog : "", "delays") == 0 ||
	    strcmp(prog ? prog : "", "relay") == 0 ||
	    strcmp(prog ? prog : "", "tls_features") == 0 ||
	    strcmp(prog ? prog : "", "command_counter_data") == 0) {
		st->lines_excluded++;
		add_reason(st, "line: a grok pattern fragment, not a whole "
			   "log message");
		return;
	}
	if (prog != pbuf) {
		snprintf(pbuf, sizeof(pbuf), "%s", prog);
		prog = pbuf;
	}
	for (char *c = pbuf; *c; c++)	/* trivial_rewrite -> trivial-rewrite */
		if (*c == '_')
			*c = '-';
	dlen = json_string_length(json_object_get(o, "data"));
	n = dlen + 128;
	line = xmalloc(n);
	n = (size_t)snprintf(line, n, "Nov 22 08:54:38 mail postfix/%s[4242]: ",
			     prog);
	{
		/* a few old tests hold a whole syslog line: keep it as is */
		struct logline probe;

		if (logline_parse(&probe, data, dlen, NULL) != LL_MALFORMED &&
		    probe.timestamp.p == data)
			n = 0;
	}
	memcpy(line + n, data, dlen);
	n += dlen;
	line[n] = '\0';
	parse_line(st, &ll, line, n);
	json_object_foreach(exp, key, v)
		check_field(st, "whyscream", key, v, &ll, line, lineno);
	free(line);
}

/* lightmeter parser_test: a list of Go assertions per line */
static void
lightmeter_one(json_t *o, unsigned lineno, void *arg)
{
	struct stats *st = arg;
	json_t *jl = json_object_get(o, "line"), *exp, *e;
	struct logline ll;
	size_t i;

	if (!json_is_string(jl)) {
		st->lines_excluded++;
		return;
	}
	parse_line(st, &ll, json_string_value(jl), json_string_length(jl));
	exp = json_object_get(o, "expected");
	json_array_foreach(exp, i, e) {
		const char *lhs = json_string_value(json_object_get(e, "lhs"));
		const char *as = json_string_value(json_object_get(e, "assert"));
		json_t *v = json_object_get(e, "value");
		char field[256];

		if (lhs == NULL || as == NULL)
			continue;
		if (strncmp(lhs, "header.", 7) == 0)
			snprintf(field, sizeof(field), "h.%s", lhs + 7);
		else
			snprintf(field, sizeof(field), "%s", lhs);
		if (strcmp(lhs, "err") == 0) {	/* err names a Go error */
			const char *g = json_string_value(json_object_get(v,
								  "go_expr"));

			snprintf(field, sizeof(field), "err=%s", g ? g : "nil");
		} else if (strcmp(as, "ShouldEqual") != 0 &&
			   strcmp(as, "ShouldResemble") != 0 &&
			   strcmp(as, "ShouldBeNil") != 0 &&
			   strcmp(as, "ShouldEndWith") != 0) {
			/* BeTrue/BeFalse/NotBeNil: type and flag assertions */
			size_t fl = strlen(field);

			snprintf(field + fl, sizeof(field) - fl, "?");
		}
		check_field(st, "lightmeter", field, v, &ll,
			    json_string_value(jl), lineno);
	}
}

/* cuttlefish and youyo: a line with a flat object of expected fields */
struct flat_arg {
	struct stats *st;
	const char *mapsrc;
};

/* flat_one - one record of cuttlefish or youyo: a line and its fields */
static void
flat_one(json_t *o, unsigned lineno, void *arg)
{
	struct flat_arg *fa = arg;
	json_t *jl = json_object_get(o, "line"), *exp, *v;
	struct logline ll;
	const char *key;

	exp = json_object_get(o, "expected");
	if (!json_is_string(jl) || exp == NULL) {
		fa->st->lines_excluded++;
		add_reason(fa->st, "record: %s",
			   json_object_get(o, "kind") ?
			   "a grouped per-message record (correlation output, "
			   "scored by the correlation eval, not a line parse)" :
			   "a status classification rule, not a log line");
		return;
	}
	parse_line(fa->st, &ll, json_string_value(jl), json_string_length(jl));
	json_object_foreach(exp, key, v)
		check_field(fa->st, fa->mapsrc, key, v, &ll,
			    json_string_value(jl), lineno);
}

/* count_spec - how many parsed lines a "count:KIND[:f=v...]" spec matches */
static unsigned
count_spec(const char *spec, json_t *lines)
{
	char kind[64] = "";
	struct { char k[32], v[64]; } f[4];
	unsigned nf = 0, n = 0;
	const char *tok = spec + 6, *te;	/* after "count:" */
	size_t i;
	json_t *jl;

	for (; *tok; tok = *te ? te + 1 : te) {
		const char *eq;

		te = tok + strcspn(tok, ":");
		eq = memchr(tok, '=', (size_t)(te - tok));
		if (eq == NULL) {
			snprintf(kind, sizeof(kind), "%.*s", (int)(te - tok),
				 tok);
		} else if (nf < 4) {
			snprintf(f[nf].k, sizeof(f[nf].k), "%.*s",
				 (int)(eq - tok), tok);
			snprintf(f[nf].v, sizeof(f[nf].v), "%.*s",
				 (int)(te - eq - 1), eq + 1);
			nf++;
		}
	}
	json_array_foreach(lines, i, jl) {
		struct logline ll;
		struct logline_opts o;
		bool ok;

		logline_opts_init(&o, EVAL_REF_TIME);
		o.local_is_utc = true;
		logline_parse(&ll, json_string_value(jl),
			      json_string_length(jl), &o);
		ok = strcmp(logline_kind_name(ll.kind), kind) == 0;
		for (unsigned j = 0; ok && j < nf; j++) {
			char got[256];

			ok = get_field(f[j].k, &ll, got, sizeof(got)) &&
			    strcmp(got, f[j].v) == 0;
		}
		n += ok;
	}
	return n;
}

/* exporters: test cases of lines with expected counters */
static void
counter_one(json_t *o, unsigned lineno, void *arg)
{
	struct flat_arg *fa = arg;
	json_t *lines = json_object_get(o, "lines"), *exp, *v, *jl;
	const char *key;
	size_t i;

	exp = json_object_get(o, "expected");
	json_array_foreach(lines, i, jl) {
		struct logline ll;

		parse_line(fa->st, &ll, json_string_value(jl),
			   json_string_length(jl));
	}
	json_object_foreach(exp, key, v) {
		const struct row *r = find_row(fa->mapsrc, key, NULL);
		unsigned got;

		if (r == NULL) {
			fa->st->unmapped++;
			add_reason(fa->st, "UNMAPPED counter %s", key);
			continue;
		}
		if (strncmp(r->ours, "count:", 6) != 0) {
			fa->st->excluded++;
			add_reason(fa->st, "%s: %s", key, r->note);
			continue;
		}
		got = count_spec(r->ours, lines);
		fa->st->compared++;
		if (json_is_integer(v) &&
		    (json_int_t)got == json_integer_value(v)) {
			fa->st->matched++;
		} else if (verbose || fa->st->mismatches_shown < SHOW_MISMATCH) {
			printf("  MISMATCH %s case #%u %s -> %s: want %lld, "
			       "got %u\n", fa->st->name, lineno, key, r->ours,
			       (long long)json_integer_value(v), got);
			fa->st->mismatches_shown++;
		}
	}
}

/* unlabelled logs: parse every line of every file (plain or .gz) */
static void
parse_plain_files(struct stats *st, const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];
	static char buf[1 << 20];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name), sl = strlen(suffix);
		gzFile gz;

		if (n < sl || strcmp(de->d_name + n - sl, suffix) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((gz = gzopen(path, "rb")) == NULL)
			continue;
		while (gzgets(gz, buf, sizeof(buf)) != NULL) {
			struct logline ll;

			parse_line(st, &ll, buf, strlen(buf));
		}
		gzclose(gz);
	}
	closedir(d);
}

/* ---------------------------------------------------------------- */

/* report - one source's figures and exclusions */
static void
report(const struct stats *st)
{
	printf("%-34s lines %5u  compared %5u  matched %5u  excluded %4u",
	       st->name, st->lines, st->compared, st->matched, st->excluded);
	if (st->compared)
		printf("  (%.1f%%)", 100.0 * st->matched / st->compared);
	printf("\n    kinds:");
	for (int k = 0; k < LL_KIND_COUNT; k++)
		if (st->kinds[k])
			printf(" %s=%u", logline_kind_name((enum logline_kind)k),
			       st->kinds[k]);
	printf("\n");
	if (st->lines_excluded)
		printf("    records not parsed: %u\n", st->lines_excluded);
	for (unsigned i = 0; i < st->nreasons; i++)
		printf("    excluded %4u x %s\n", st->reasons[i].n,
		       st->reasons[i].text);
	if (st->unmapped)
		printf("    UNMAPPED fields: %u\n", st->unmapped);
}

/* is_dir - whether the corpus is there at all */
static bool
is_dir(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* main - every source in turn, then the overall figure */
int
main(int argc, char **argv)
{
	char base[4096], path[8192], map[4096];
	const char *src = getenv("PB_SRCDIR");
	static struct stats st[10];
	unsigned nst = 0, compared = 0, matched = 0, unmapped = 0;
	struct flat_arg fa;

	verbose = getenv("PB_EVAL_VERBOSE") != NULL;
	if (argc < 2) {
		fprintf(stderr, "usage: eval_logs EVAL_DIR\n");
		return 2;
	}
	snprintf(base, sizeof(base), "%s/logs", argv[1]);
	if (!is_dir(base)) {
		printf("eval_logs: skipped: no log corpus at %s\n", base);
		return 0;
	}
	snprintf(map, sizeof(map), "%s/tests/eval/logs-fieldmap.tsv",
		 src && *src ? src : ".");
	if (load_map(map) != 0)
		return 2;

	st[nst].name = "whyscream-postfix-grok-patterns";
	snprintf(path, sizeof(path),
		 "%s/whyscream-postfix-grok-patterns/grok-tests.jsonl", base);
	each_jsonl(path, whyscream_one, &st[nst]);
	snprintf(path, sizeof(path),
		 "%s/whyscream-postfix-grok-patterns/grok-tests-history.jsonl",
		 base);
	each_jsonl(path, whyscream_one, &st[nst]);
	nst++;

	st[nst].name = "lightmeter parser_test";
	snprintf(path, sizeof(path),
		 "%s/lightmeter-controlcenter-AGPL/parser_test.jsonl", base);
	each_jsonl(path, lightmeter_one, &st[nst]);
	nst++;

	st[nst].name = "cuttlefish";
	fa = (struct flat_arg){ &st[nst], "cuttlefish" };
	snprintf(path, sizeof(path),
		 "%s/cuttlefish/postfix_log_line_spec.jsonl", base);
	each_jsonl(path, flat_one, &fa);
	nst++;

	st[nst].name = "youyo-postfix-log-parser";
	fa = (struct flat_arg){ &st[nst], "youyo" };
	snprintf(path, sizeof(path),
		 "%s/youyo-postfix-log-parser/expected.jsonl", base);
	each_jsonl(path, flat_one, &fa);
	nst++;

	st[nst].name = "kumina+hsn723 exporter counters";
	fa = (struct flat_arg){ &st[nst], "exporter" };
	snprintf(path, sizeof(path),
		 "%s/kumina-postfix_exporter/postfix_exporter_test.jsonl", base);
	each_jsonl(path, counter_one, &fa);
	snprintf(path, sizeof(path), "%s/hsn723-postfix_exporter/"
		 "postfix_exporter_test.extra.jsonl", base);
	each_jsonl(path, counter_one, &fa);
	nst++;

	/* unlabelled logs: robustness only, no fields to compare */
	st[nst].name = "unlabelled (lightmeter, youyo, ...)";
	snprintf(path, sizeof(path),
		 "%s/lightmeter-controlcenter-AGPL/complete_sample", base);
	parse_plain_files(&st[nst], path, ".gz");
	snprintf(path, sizeof(path),
		 "%s/lightmeter-controlcenter-AGPL/individual_files", base);
	parse_plain_files(&st[nst], path, ".log");
	snprintf(path, sizeof(path), "%s/lightmeter-controlcenter-AGPL", base);
	parse_plain_files(&st[nst], path, "other_go_tests.log");
	snprintf(path, sizeof(path), "%s/youyo-postfix-log-parser", base);
	parse_plain_files(&st[nst], path, ".log");
	snprintf(path, sizeof(path), "%s/sergeymakinen-postfix_exporter", base);
	parse_plain_files(&st[nst], path, "mail.log");
	add_reason(&st[nst], "all: no per-line labels (Prometheus metric "
		   "dumps, correlation expectations, raw logs); parsed for "
		   "robustness and kind counts only");
	nst++;

	for (unsigned i = 0; i < nst; i++) {
		report(&st[i]);
		compared += st[i].compared;
		matched += st[i].matched;
		unmapped += st[i].unmapped;
	}
	printf("overall: fields compared %u, matched %u (%.2f%%), unmapped %u\n",
	       compared, matched, compared ? 100.0 * matched / compared : 0.0,
	       unmapped);
	if (unmapped > 0 || compared == 0 || matched * 100.0 < compared * 99.0)
		return 1;
	return 0;
}
