/*
 * cmd_trace_store.c - `plainbounce trace --store`: the same questions as
 * trace, answered from the store instead of the log, for helpdesk staff
 * who cannot read the mail log.
 *
 * Reads the store through a read-only connection (store_trace) and tells
 * each message as a short story: where it came from, then per recipient
 * its state, every attempt with the remote's own words, and the events
 * with their plain-language meaning and whether a notice was queued.
 * --since and --until read times as trace does; --json prints one object
 * per message (fields in plainbounce(1)).  Every value came from a log
 * line or a remote server, so each is shown through escape_display(): no
 * control character or bidi override reaches the terminal, in text or
 * JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cfg.h"
#include "classify.h"
#include "escape.h"
#include "plainbounce.h"
#include "store.h"

#define VAL_RING 16		/* values one printf may use at once */
#define VAL_MAX 8192		/* longest value shown, escaped */

/*
 * val - a named value of a row, escaped for display, or NULL.  The result
 * lives in a ring of buffers: valid until VAL_RING more calls.
 */
static const char *
val(const struct store_trace_row *r, const char *name)
{
	static struct buf ring[VAL_RING];
	static unsigned next;
	struct buf *b;
	size_t i;

	for (i = 0; i < 16 && r->names[i] != NULL; i++) {
		if (strcmp(r->names[i], name) != 0)
			continue;
		if (r->v[i] == NULL)
			return NULL;
		b = &ring[next++ % VAL_RING];
		if (b->max == 0)
			buf_init(b, VAL_MAX);
		buf_reset(b);
		escape_display(b, span_make(r->v[i], strlen(r->v[i])));
		return buf_str(b);
	}
	return NULL;
}

/* stamp - a unix time text as "YYYY-MM-DD HH:MM:SS UTC" */
static const char *
stamp(const char *secs, char *out, size_t size)
{
	struct tm tm;
	time_t t;
	char *end;

	if (secs == NULL)
		return "?";
	t = (time_t)strtoll(secs, &end, 10);
	if (*end != '\0' || gmtime_r(&t, &tm) == NULL)
		return "?";
	strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return out;
}

/* or - s, or a dash when absent */
static const char *
or(const char *s)
{
	return s && *s ? s : "-";
}

/* show - print one row of the story */
static void
show(void *arg, const struct store_trace_row *r)
{
	char t1[40], t2[40];
	const char *reason, *notice;
	enum reason rs;

	(void)arg;
	switch (r->kind) {
	case STORE_TRACE_MESSAGE:
		printf("\nMessage %s (%s), arrived %s\n", val(r, "queue_id"),
		       val(r, "instance"), stamp(val(r, "arrival"), t1,
						 sizeof(t1)));
		printf("  from %s (%s), Message-ID %s, %s bytes\n",
		       val(r, "sender") ? (*val(r, "sender") ?
		       val(r, "sender") : "<> (null sender)") : "?",
		       or(val(r, "sender_src")), or(val(r, "message_id")),
		       or(val(r, "size")));
		if (val(r, "client") || val(r, "sasl_user") ||
		    val(r, "submission"))
			printf("  came in: %s, client %s, SASL user %s\n",
			       or(val(r, "submission")), or(val(r, "client")),
			       or(val(r, "sasl_user")));
		if (val(r, "subject"))
			printf("  Subject: %s\n", val(r, "subject"));
		printf("  %s\n", val(r, "closed") && strcmp(val(r, "closed"),
		       "1") == 0 ? "left the queue" : "still in the queue "
		       "(as far as the log said)");
		break;
	case STORE_TRACE_RECIPIENT:
		printf("  To %s%s%s%s: %s since %s%s%s\n", val(r, "to"),
		       val(r, "orig_to") ? " (originally " : "",
		       val(r, "orig_to") ? val(r, "orig_to") : "",
		       val(r, "orig_to") ? ")" : "", val(r, "state"),
		       stamp(val(r, "state_at"), t1, sizeof(t1)),
		       val(r, "notify") ? ", NOTIFY=" : "",
		       val(r, "notify") ? val(r, "notify") : "");
		break;
	case STORE_TRACE_ATTEMPT:
		printf("    %s  %s via %s  %s  %s\n", stamp(val(r, "at"), t1,
		       sizeof(t1)), val(r, "status"), or(val(r, "relay")),
		       or(val(r, "dsn")), or(val(r, "reply")));
		break;
	case STORE_TRACE_EVENT:
		reason = val(r, "reason");
		notice = val(r, "notice");
		printf("    event %s: %s (who acts: %s)%s\n", val(r, "kind"),
		       or(reason), or(val(r, "who_acts")),
		       strcmp(or(val(r, "historical")), "1") == 0 ?
		       ", historical: no notice" : "");
		if (reason && reason_from_name(reason, strlen(reason), &rs))
			printf("      %s\n", classify_sentence(rs));
		if (val(r, "last_reason") && reason &&
		    strcmp(val(r, "last_reason"), reason) != 0)
			printf("      last deferral: %s\n",
			       val(r, "last_reason"));
		if (strcmp(or(val(r, "kind")), "deferred_long") == 0)
			printf("      Postfix keeps trying until %s\n",
			       stamp(val(r, "retry_until"), t2, sizeof(t2)));
		if (notice)
			printf("      notice: %s\n", notice);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* JSON output: the rows of one message gathered into one object */

struct jtrace {
	json_t *msg;		/* the message being built, or NULL */
	json_t *rcpt;		/* its last recipient, or NULL */
};

/* jstr - a row value as a JSON string (escaped), null when absent */
static json_t *
jstr(const struct store_trace_row *r, const char *name)
{
	const char *v = val(r, name);

	return v ? json_string(v) : json_null();
}

/* jint - a row value as a JSON integer, null when absent or not one */
static json_t *
jint(const struct store_trace_row *r, const char *name)
{
	const char *v = val(r, name);
	char *end;
	long long n;

	if (v == NULL || *v == '\0')
		return json_null();
	n = strtoll(v, &end, 10);
	return *end == '\0' ? json_integer(n) : json_null();
}

/* jreal - a row value as a JSON number to the millisecond, or null */
static json_t *
jreal(const struct store_trace_row *r, const char *name)
{
	const char *v = val(r, name);
	char *end;
	double d;

	if (v == NULL || *v == '\0')
		return json_null();
	d = strtod(v, &end);
	if (*end != '\0' || d < 0 || d > 1e12)
		return json_null();
	return json_real((double)(long long)(d * 1000.0 + 0.5) / 1000.0);
}

/* jwhen - a unix-seconds row value as ISO 8601 UTC, null when absent */
static json_t *
jwhen(const struct store_trace_row *r, const char *name)
{
	const char *v = val(r, name);
	struct tm tm;
	char out[40], *end;
	time_t t;

	if (v == NULL)
		return json_null();
	t = (time_t)strtoll(v, &end, 10);
	if (*end != '\0' || t <= 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(out);
}

/* jflush - print the message gathered so far as one line */
static void
jflush(struct jtrace *j)
{
	if (j->msg == NULL)
		return;
	json_dumpf(j->msg, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	putchar('\n');
	json_decref(j->msg);
	j->msg = NULL;
	j->rcpt = NULL;
}

/* append - add o to the array named key of parent (created on demand) */
static void
append(json_t *parent, const char *key, json_t *o)
{
	json_t *a;

	if (parent == NULL) {
		json_decref(o);		/* a row before its owner: not stored */
		return;
	}
	if ((a = json_object_get(parent, key)) == NULL) {
		a = json_array();
		json_object_set_new(parent, key, a);
	}
	json_array_append_new(a, o);
}

/* jflag - a row value "1" as true, anything else as false */
static json_t *
jflag(const struct store_trace_row *r, const char *name)
{
	const char *v = val(r, name);

	return json_boolean(v != NULL && strcmp(v, "1") == 0);
}

/* jmeaning - the plain sentence of the row's reason, or null */
static json_t *
jmeaning(const struct store_trace_row *r, const char *name)
{
	const char *v = val(r, name);
	enum reason rs;

	return v && reason_from_name(v, strlen(v), &rs) ?
	    json_string(classify_sentence(rs)) : json_null();
}

/* One JSON member: its key, the row value it comes from, and how. */
struct jfield {
	const char *key, *col;
	json_t *(*conv)(const struct store_trace_row *r, const char *name);
};

/* The members of each kind of row, in output order (see plainbounce(1)). */
static const struct jfield msg_fields[] = {
	{ "instance", "instance", jstr }, { "queue_id", "queue_id", jstr },
	{ "arrival", "arrival", jwhen }, { "message_id", "message_id", jstr },
	{ "sender", "sender", jstr }, { "sender_src", "sender_src", jstr },
	{ "size", "size", jint }, { "client", "client", jstr },
	{ "sasl_username", "sasl_user", jstr },
	{ "submission", "submission", jstr }, { "subject", "subject", jstr },
	{ "closed", "closed", jflag }, { NULL, NULL, NULL },
};
static const struct jfield rcpt_fields[] = {
	{ "address", "to", jstr }, { "orig_to", "orig_to", jstr },
	{ "state", "state", jstr }, { "state_time", "state_at", jwhen },
	{ "notify", "notify", jstr }, { NULL, NULL, NULL },
};
static const struct jfield attempt_fields[] = {
	{ "time", "at", jwhen }, { "status", "status", jstr },
	{ "relay", "relay", jstr }, { "dsn", "dsn", jstr },
	{ "delay", "delay", jreal }, { "reply", "reply", jstr },
	{ NULL, NULL, NULL },
};
static const struct jfield event_fields[] = {
	{ "kind", "kind", jstr }, { "reason", "reason", jstr },
	{ "last_reason", "last_reason", jstr }, { "actor", "who_acts", jstr },
	{ "meaning", "reason", jmeaning }, { "historical", "historical", jflag },
	{ "occurred", "occurred", jwhen },
	{ "retry_until", "retry_until", jwhen }, { "notice", "notice", jstr },
	{ NULL, NULL, NULL },
};

/* jobject - a row as an object with the members of table f */
static json_t *
jobject(const struct store_trace_row *r, const struct jfield *f)
{
	json_t *o = json_object();

	for (; f->key != NULL; f++)
		json_object_set_new(o, f->key, f->conv(r, f->col));
	return o;
}

/* show_json - gather one row of the story into the message's object */
static void
show_json(void *arg, const struct store_trace_row *r)
{
	struct jtrace *j = arg;
	json_t *o;

	switch (r->kind) {
	case STORE_TRACE_MESSAGE:
		jflush(j);
		o = jobject(r, msg_fields);
		json_object_set_new(o, "recipients", json_array());
		j->msg = o;
		break;
	case STORE_TRACE_RECIPIENT:
		o = jobject(r, rcpt_fields);
		json_object_set_new(o, "attempts", json_array());
		json_object_set_new(o, "events", json_array());
		j->rcpt = j->msg ? o : NULL;
		append(j->msg, "recipients", o);
		break;
	case STORE_TRACE_ATTEMPT:
		append(j->rcpt, "attempts", jobject(r, attempt_fields));
		break;
	case STORE_TRACE_EVENT:
		append(j->rcpt, "events", jobject(r, event_fields));
		break;
	}
}

int
cmd_trace_store(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", no_argument, NULL, 'S' },
		TRACE_FILTER_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct jtrace jt = { NULL, NULL };
	int json = 0;
	const char *conf = NULL;
	struct store_trace_query q;
	struct store_err err;
	struct store *s;
	size_t n = 0;
	int ch, rc;

	memset(&q, 0, sizeof(q));
	q.max = 100;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'S':
			break;
		case 'j':
			json = 1;
			break;
		default:
			if (trace_filter_opt(ch, optarg, &q) <= 0)
				goto usage;
		}
	}
	if (optind != argc || (!q.queue_id && !q.to && !q.from &&
			       !q.message_id && !q.domain && !q.since &&
			       !q.until))
		goto usage;
	if ((s = cli_store_open(conf, STORE_READONLY, &rc)) == NULL)
		return rc;
	if (json) {
		rc = store_trace(s, &q, show_json, &jt, &n, &err);
		jflush(&jt);
	} else {
		rc = store_trace(s, &q, show, NULL, &n, &err);
	}
	if (rc != STORE_OK)
		fprintf(stderr, "plainbounce: store: %s\n", err.msg);
	store_close(s);
	if (rc != STORE_OK)
		return 1;
	return n > 0 ? 0 : 1;
usage:
	fputs("usage: plainbounce trace --store [-c FILE] [--queue-id ID] "
	      "[--to ADDR] [--from ADDR]\n"
	      "       [--message-id ID] [--domain DOMAIN] [--since T] "
	      "[--until T] [--json]\n"
	      "T is YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] (UTC) or @EPOCH.\n",
	      stderr);
	return PB_EXIT_USAGE;
}
