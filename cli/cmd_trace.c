/*
 * cmd_trace.c - `plainbounce trace`: the story of each matching message.
 *
 * Reads log files (or stdin), plain or gzip, rotated ones put into time
 * order, feeds every line through the parser and the correlator, and
 * prints each message that matches the filters when it closes (or, for
 * messages still open, at the end of the input): in plain English, or as
 * one JSON object per line with --json.  Messages linked to a printed one
 * (the content filter's re-injection, a bounce notice) are printed too.
 * Every piece of text that comes from the log passes through
 * escape_display(), so control characters and bidi overrides never reach
 * the terminal.  Exit 0 when something matched, 1 when nothing did.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "cfg.h"
#include "classify.h"
#include "corr.h"
#include "escape.h"
#include "logline.h"
#include "logread.h"
#include "plainbounce.h"
#include "store.h"
#include "xalloc.h"

#define STORY_MAX (4 * 1024 * 1024)
#define WANTED_MAX 4096		/* printed IDs remembered for links */
#define HELD_MAX_BYTES (64 * 1024 * 1024) /* held linked stories, at most */

struct trace {
	struct store_trace_query q;	/* the filters, as trace --store
					 * has them (max unused) */
	bool json;

	/* messages printed lately, by key hash: their linked messages (the
	 * filter's re-injection, a bounce notice) are printed too */
	uint64_t printed[WANTED_MAX];
	size_t nprinted, printed_next;

	/* linked messages that closed before their (open) parent */
	struct held {
		uint64_t parent, self;	/* key_of(host, qid) */
		bool matched;		/* it matched the filters itself */
		char *text;
		size_t len;
	} *held;
	size_t nheld, capheld, held_bytes;
	const struct corr *corr;
	bool draining;		/* end of input: open messages, oldest first */

	unsigned long matched;
	struct buf out;
	struct classifier *cls;	/* NULL: no "what it means" lines */
};

/* ------------------------------------------------------------------ */
/* filters */

/* strip_brackets - "<x>" -> x, as a span */
static struct span
strip_brackets(const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		return span_make(s + 1, n - 2);
	return span_make(s, n);
}

/* addr_eq - addresses compare without case (as users type them) */
static bool
addr_eq(const char *a, const char *b)
{
	struct span x, y;

	if (a == NULL || b == NULL)
		return false;
	x = strip_brackets(a);
	y = strip_brackets(b);
	return x.len == y.len && strncasecmp(x.p, y.p, x.len) == 0;
}

/* domain_of_eq - the address's domain is d (or a subdomain of it) */
static bool
domain_of_eq(const char *addr, const char *d)
{
	const char *at;
	size_t al, dl = strlen(d);

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return false;
	at++;
	al = strlen(at);
	if (al > 0 && at[al - 1] == '>')
		al--;
	if (al == dl)
		return strncasecmp(at, d, dl) == 0;
	return al > dl && at[al - dl - 1] == '.' &&
	    strncasecmp(at + al - dl, d, dl) == 0;
}

/* key_of - a hash of (host, queue ID) */
static uint64_t
key_of(const char *host, const char *qid)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)host; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ ' ') * 1099511628211ULL;
	for (p = (const unsigned char *)qid; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

/* printed_add_key - remember a printed key (the last WANTED_MAX) */
static void
printed_add_key(struct trace *t, uint64_t k)
{
	if (t->nprinted < WANTED_MAX) {
		t->printed[t->nprinted++] = k;
		return;
	}
	t->printed[t->printed_next] = k;
	t->printed_next = (t->printed_next + 1) % WANTED_MAX;
}

/* printed_add - remember that host/qid was printed */
static void
printed_add(struct trace *t, const char *host, const char *qid)
{
	printed_add_key(t, key_of(host, qid));
}

/* printed_has - was host/qid printed lately? */
static bool
printed_has(const struct trace *t, const char *host, const char *qid)
{
	uint64_t k = key_of(host, qid);
	size_t i;

	for (i = 0; i < t->nprinted; i++)
		if (t->printed[i] == k)
			return true;
	return false;
}

/* related_printed - m's parent or one of its children was printed */
static bool
related_printed(const struct trace *t, const struct corr_msg *m)
{
	const struct corr_linkref *l;

	if (t->nprinted == 0)
		return false;
	if (m->parent.kind != CORR_LINK_NONE && m->parent.qid != NULL &&
	    printed_has(t, m->host, m->parent.qid))
		return true;
	for (l = m->children; l != NULL; l = l->next)
		if (printed_has(t, m->host, l->qid))
			return true;
	return false;
}

/* matches - does m pass every filter given? */
static bool
matches(const struct trace *t, const struct corr_msg *m)
{
	const struct corr_rcpt *r;
	const struct corr_linkref *l;
	const struct store_trace_query *q = &t->q;
	int64_t last = m->end_time ? m->end_time : m->last_time;
	bool ok;

	if (m->qid[0] && related_printed(t, m))
		return true;
	if (q->since && last < q->since)
		return false;
	if (q->until && m->first_time > q->until)
		return false;
	if (q->queue_id != NULL) {
		ok = strcmp(m->qid, q->queue_id) == 0 ||
		    (m->parent.qid && strcmp(m->parent.qid, q->queue_id) == 0);
		for (l = m->children; l && !ok; l = l->next)
			ok = strcmp(l->qid, q->queue_id) == 0;
		if (!ok)
			return false;
	}
	if (q->message_id != NULL) {
		struct span a, b;

		if (m->message_id == NULL)
			return false;
		a = strip_brackets(m->message_id);
		b = strip_brackets(q->message_id);
		if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
			return false;
	}
	if (q->from != NULL && !(m->have_sender && addr_eq(m->sender, q->from)))
		return false;
	if (q->to != NULL) {
		for (r = m->rcpts, ok = false; r && !ok; r = r->next)
			ok = addr_eq(r->addr, q->to) ||
			    addr_eq(r->orig_to, q->to);
		if (!ok)
			return false;
	}
	if (q->domain != NULL) {
		ok = m->have_sender && domain_of_eq(m->sender, q->domain);
		for (r = m->rcpts; r && !ok; r = r->next)
			ok = domain_of_eq(r->addr, q->domain) ||
			    domain_of_eq(r->orig_to, q->domain);
		if (!ok)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* text output */

/* esc - log text, made safe for a terminal */
static void
esc(struct buf *b, const char *s)
{
	escape_display(b, span_make(s, strlen(s)));
}

/* fmt_time - "2026-11-22 08:54:38 UTC" */
static const char *
fmt_time(char *tmp, size_t size, int64_t t, bool iso)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(tmp, size, iso ? "%Y-%m-%dT%H:%M:%SZ" :
		     "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(tmp, size, "@%lld", (long long)t);
	return tmp;
}

/* add_time - a time in the story */
static void
add_time(struct buf *b, int64_t t)
{
	char tmp[64];

	buf_adds(b, fmt_time(tmp, sizeof(tmp), t, false));
}

/* link_words - how a child message relates to its parent */
static const char *
link_words(enum corr_link k)
{
	switch (k) {
	case CORR_LINK_FILTER:
		return "the content filter's re-injection";
	case CORR_LINK_NON_DELIVERY:
		return "the non-delivery notice (bounce)";
	case CORR_LINK_DELAY:
		return "the delay warning";
	case CORR_LINK_SUCCESS:
		return "the delivery status notice";
	case CORR_LINK_POSTMASTER:
		return "the postmaster's copy of the notice";
	default:
		return "a related message";
	}
}

/* last_attempt - the latest kept attempt, or NULL */
static const struct corr_attempt *
last_attempt(const struct corr_rcpt *r)
{
	return r->nkept ? &r->attempts[r->nkept - 1] : NULL;
}

/* filter_child - qid is m's content-filter re-injection */
static bool
filter_child(const struct corr_msg *m, const char *qid)
{
	const struct corr_linkref *l;

	for (l = m->children; l != NULL; l = l->next)
		if (l->kind == CORR_LINK_FILTER && strcmp(l->qid, qid) == 0)
			return true;
	return false;
}

/* story_phase - "it took N s, mostly ..." for an attempt with delays */
static void
story_phase(struct buf *b, const struct corr_attempt *a)
{
	int ph = corr_dominant_phase(a);

	if (ph < 0 || a->delay < 0)
		return;
	if (a->delays[ph] < 0.01f) {
		buf_addf(b, "\n      It took %.2f s in all.", (double)a->delay);
		return;
	}
	buf_addf(b, "\n      It took %.2f s in all (delays=%.2g/%.2g/%.2g/%.2g);"
		 " most of it %s.", (double)a->delay, (double)a->delays[0],
		 (double)a->delays[1], (double)a->delays[2],
		 (double)a->delays[3], corr_phase_name(ph));
}

/* story_deferrals - why the recipient was deferred, distinct reasons */
static void
story_deferrals(struct buf *b, const struct corr_rcpt *r)
{
	const char *seen[3];
	unsigned count[3], i, j, n = 0;
	const struct corr_attempt *a;

	for (i = 0; i < r->nkept; i++) {
		a = &r->attempts[i];
		if (a->status != LL_STATUS_DEFERRED || a->reply == NULL)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(seen[j], a->reply) == 0)
				break;
		if (j < n)
			count[j]++;
		else if (n < 3) {
			seen[n] = a->reply;
			count[n++] = 1;
		}
	}
	for (j = 0; j < n; j++) {
		buf_adds(b, "\n      Deferred");
		if (count[j] > 1)
			buf_addf(b, " %u times", count[j]);
		buf_adds(b, " because: \"");
		esc(b, seen[j]);
		buf_adds(b, "\"");
	}
	if (r->nattempts > r->nkept)
		buf_addf(b, "\n      (%u attempts in all; the first %u and the "
			 "latest are kept)", r->nattempts, r->nkept - 1);
}

/*
 * classify_rcpt - why a recipient failed or waits, by the classifier;
 * false for delivered recipients or when no classifier is loaded.
 */
static bool
classify_rcpt(const struct classifier *cls, const struct corr_msg *m,
	      const struct corr_rcpt *r, struct classify_result *res)
{
	const struct corr_attempt *a = NULL;
	struct classify_input in;
	unsigned i;

	/* our own refusals are not the classifier's (it reads remotes) */
	if (cls == NULL || (r->state != CORR_RCPT_BOUNCED &&
			    r->state != CORR_RCPT_EXPIRED &&
			    r->state != CORR_RCPT_DEFERRED))
		return false;
	/* the latest attempt that has words (expiry has none of its own) */
	for (i = r->nkept; i > 0 && a == NULL; i--)
		if (r->attempts[i - 1].reply != NULL)
			a = &r->attempts[i - 1];
	classify_input_init(&in);
	switch (r->state) {
	case CORR_RCPT_EXPIRED:
		in.status = CLS_STATUS_EXPIRED;
		if (m->arrival_time && r->final_time >= m->arrival_time)
			in.tried_for = r->final_time - m->arrival_time;
		break;
	case CORR_RCPT_DEFERRED:
		in.status = CLS_STATUS_DEFERRED;
		break;
	default:
		in.status = CLS_STATUS_BOUNCED;
		break;
	}
	if (a != NULL) {
		classify_input_from_attempt(&in, a);
	}
	classify_reply(cls, &in, res);
	return true;
}

/* story_meaning - "What it means: ..." from the classifier */
static void
story_meaning(struct buf *b, const struct classifier *cls,
	      const struct corr_msg *m, const struct corr_rcpt *r)
{
	struct classify_result res;

	if (!classify_rcpt(cls, m, r, &res))
		return;
	buf_addf(b, "\n      What it means: %s", classify_sentence(res.reason));
	if (res.reason == REASON_DELIVERY_EXPIRED &&
	    res.last_reason != res.reason &&
	    res.last_reason != REASON_UNKNOWN)
		buf_addf(b, " The last problem was: %s",
			 classify_sentence(res.last_reason));
	if (res.actor != ACTOR_NOBODY)
		buf_addf(b, " (to act: %s)", actor_name(res.actor));
}

/* story_rcpt - one recipient's outcome */
static void
story_rcpt(struct buf *b, const struct classifier *cls,
	   const struct corr_msg *m, const struct corr_rcpt *r)
{
	const struct corr_attempt *a = last_attempt(r);

	buf_adds(b, "\n  To <");
	esc(b, r->addr);
	buf_adds(b, ">");
	if (r->orig_to != NULL && strcmp(r->orig_to, r->addr) != 0) {
		buf_adds(b, " (originally <");
		esc(b, r->orig_to);
		buf_adds(b, ">)");
	}
	buf_adds(b, ": ");
	if (r->ndeferred > 0 && r->state != CORR_RCPT_DEFERRED)
		buf_addf(b, "deferred %u time%s, then ", r->ndeferred,
			 r->ndeferred == 1 ? "" : "s");
	switch (r->state) {
	case CORR_RCPT_DELIVERED:
		buf_adds(b, "delivered at ");
		add_time(b, a ? a->time : r->final_time);
		if (a && a->relay && strcmp(a->relay, "none") != 0) {
			buf_adds(b, " to ");
			esc(b, a->relay);
		} else if (a && a->daemon) {
			buf_adds(b, " by Postfix's ");
			esc(b, a->daemon);
			buf_adds(b, " agent");
		}
		buf_adds(b, ".");
		if (a && a->remote_qid && filter_child(m, a->remote_qid)) {
			buf_adds(b, "\n      That was the content filter, which "
				 "handed the message back to Postfix as ");
			esc(b, a->remote_qid);
			buf_adds(b, " (see that message for the real "
				 "delivery).");
		} else if (a && a->remote_qid) {
			buf_adds(b, "\n      The receiving server took it as "
				 "its queue ID ");
			esc(b, a->remote_qid);
			buf_adds(b, ": proof of hand-off.");
		}
		if (a && a->reply) {
			buf_adds(b, "\n      Its answer: \"");
			esc(b, a->reply);
			buf_adds(b, "\"");
		}
		break;
	case CORR_RCPT_BOUNCED:
		buf_adds(b, "bounced at ");
		add_time(b, a ? a->time : r->final_time);
		if (a && a->relay) {
			buf_adds(b, " (relay ");
			esc(b, a->relay);
			buf_adds(b, ")");
		}
		buf_adds(b, ".");
		if (a && a->reply) {
			buf_adds(b, "\n      The reason given: \"");
			esc(b, a->reply);
			buf_adds(b, "\"");
		}
		break;
	case CORR_RCPT_EXPIRED:
		buf_adds(b, "expired at ");
		add_time(b, r->final_time);
		buf_adds(b, ": Postfix gave up and returned it to the sender.");
		break;
	case CORR_RCPT_REJECTED:
		if (a && a->reply && a->reply[0] == '4')
			buf_adds(b, "refused for now (a temporary answer: the "
				 "sender's server may try again) by our own "
				 "server at ");
		else
			buf_adds(b, "refused by our own server at ");
		add_time(b, r->final_time);
		buf_adds(b, ".");
		if (a && a->reply) {
			buf_adds(b, "\n      It answered: \"");
			esc(b, a->reply);
			buf_adds(b, "\"");
		}
		break;
	case CORR_RCPT_DELETED:
		buf_adds(b, "deleted from the queue by the administrator at ");
		add_time(b, r->final_time);
		buf_adds(b, ".");
		break;
	case CORR_RCPT_VERIFIED:
		buf_adds(b, "address verification probe");
		if (a && a->reply) {
			buf_adds(b, ": \"");
			esc(b, a->reply);
			buf_adds(b, "\"");
		}
		buf_adds(b, ".");
		break;
	case CORR_RCPT_DEFERRED:
		buf_addf(b, "deferred %u time%s so far, last at ", r->ndeferred,
			 r->ndeferred == 1 ? "" : "s");
		add_time(b, a ? a->time : 0);
		buf_adds(b, "; still waiting for a retry.");
		break;
	default:
		buf_adds(b, "no delivery attempt seen.");
		break;
	}
	if (a && a->dsn[0])
		buf_addf(b, "\n      Status code (DSN) %s.", a->dsn);
	if (r->ndeferred > 0)
		story_deferrals(b, r);
	story_meaning(b, cls, m, r);
	if (a && r->state != CORR_RCPT_EXPIRED)
		story_phase(b, a);
}

/* story - the whole message in plain English */
static void
story(struct buf *b, const struct classifier *cls, const struct corr_msg *m)
{
	const struct corr_rcpt *r;
	const struct corr_linkref *l;
	bool discard;

	if (m->qid[0] == '\0') {
		buf_adds(b, "Refused before it was queued (NOQUEUE) on ");
		esc(b, m->host);
		buf_adds(b, " at ");
		add_time(b, m->first_time);
		buf_adds(b, ".");
	} else {
		buf_adds(b, "Message ");
		esc(b, m->qid);
		buf_adds(b, " on ");
		esc(b, m->host);
		buf_adds(b, " (");
		esc(b, m->instance);
		buf_adds(b, "), first seen ");
		add_time(b, m->first_time);
		buf_adds(b, ".");
	}
	switch (m->origin) {
	case CORR_FROM_SMTPD:
		buf_adds(b, "\n  Accepted over SMTP from ");
		esc(b, m->client ? m->client : "an unknown client");
		if (m->sasl_username) {
			buf_adds(b, ", logged in as ");
			esc(b, m->sasl_username);
			if (m->sasl_method) {
				buf_adds(b, " (");
				esc(b, m->sasl_method);
				buf_adds(b, ")");
			}
		}
		buf_adds(b, ".");
		break;
	case CORR_FROM_PICKUP:
		if (m->uid >= 0)
			buf_addf(b, "\n  Submitted locally (sendmail) by uid "
				 "%ld.", m->uid);
		else
			buf_adds(b, "\n  Submitted locally (sendmail).");
		break;
	case CORR_FROM_NOTICE:
		buf_adds(b, "\n  Written by Postfix itself.");
		break;
	default:
		if (m->client) {
			buf_adds(b, "\n  From the client ");
			esc(b, m->client);
			buf_adds(b, ".");
		}
		break;
	}
	if (m->parent.kind != CORR_LINK_NONE) {
		buf_addf(b, "\n  This is %s of message ",
			 link_words(m->parent.kind));
		esc(b, m->parent.qid ? m->parent.qid : "?");
		if (m->parent.kind != CORR_LINK_FILTER && m->parent_sender) {
			buf_adds(b, ", whose sender was <");
			esc(b, m->parent_sender);
			buf_adds(b, ">");
		}
		buf_adds(b, ".");
	}
	if (m->message_id) {
		buf_adds(b, "\n  Message-ID ");
		if (m->message_id[0] != '<')
			buf_adds(b, "<");
		esc(b, m->message_id);
		if (m->message_id[0] != '<')
			buf_adds(b, ">");
		buf_adds(b, ".");
	}
	if (m->have_sender) {
		buf_adds(b, "\n  Sender <");
		esc(b, m->sender);
		buf_adds(b, ">");
		if (m->sender[0] == '\0')
			buf_adds(b, " (the null sender, used by notices)");
		if (m->size >= 0)
			buf_addf(b, ", %lld bytes", (long long)m->size);
		if (m->nrcpt >= 0)
			buf_addf(b, ", queued for %d recipient%s", m->nrcpt,
				 m->nrcpt == 1 ? "" : "s");
		if (m->arrival_time) {
			buf_adds(b, " at ");
			add_time(b, m->arrival_time);
		}
		buf_adds(b, ".");
	}
	if (m->held)
		buf_adds(b, "\n  Placed on hold by a rule or the administrator.");
	for (r = m->rcpts; r != NULL; r = r->next)
		story_rcpt(b, cls, m, r);
	if (m->expired || m->force_expired)
		buf_addf(b, "\n  The message %s after staying too long in the "
			 "queue; it was returned to the sender.",
			 m->force_expired ? "was expired by the administrator"
			 : "expired");
	for (l = m->children; l != NULL; l = l->next) {
		buf_addf(b, "\n  Postfix queued %s as message ",
			 l->kind == CORR_LINK_FILTER ?
			 "the filtered copy" : link_words(l->kind));
		esc(b, l->qid);
		buf_adds(b, ".");
	}
	switch (m->end) {
	case CORR_END_REMOVED:
		buf_adds(b, "\n  Removed from the queue at ");
		add_time(b, m->end_time);
		buf_adds(b, ": Postfix is done with it.");
		break;
	case CORR_END_REJECTED:
		discard = m->reject_action != NULL &&
		    strstr(m->reject_action, "discard") != NULL;
		buf_adds(b, discard ? "\n  Discarded on purpose" :
			 "\n  Refused");
		if (m->reject_stage) {
			buf_adds(b, " at the ");
			esc(b, m->reject_stage);
			buf_adds(b, " stage");
		}
		if (m->reject_reply && m->reject_reply[0]) {
			buf_adds(b, discard ? ", because \"" :
				 ", with the answer \"");
			esc(b, m->reject_reply);
			buf_adds(b, "\"");
		}
		buf_adds(b, discard ? ". Nobody is told: the sender believes "
			 "it was delivered." : ". The sending program saw this "
			 "refusal at once; no bounce message is sent.");
		break;
	case CORR_END_DROPPED:
		buf_adds(b, "\n  Never removed from the queue in this log; "
			 "tracking stopped at ");
		add_time(b, m->end_time);
		buf_adds(b, ".");
		break;
	default:
		buf_adds(b, "\n  Still in the queue at the end of the log.");
		break;
	}
	if (m->truncated)
		buf_adds(b, "\n  (Some details were not kept: too much text "
			 "for one message.)");
	buf_adds(b, "\n\n");
}

/* ------------------------------------------------------------------ */
/* JSON output */

/* js - a JSON string of log text, escaped for display; null for NULL */
static json_t *
js(const char *s)
{
	struct buf b;
	json_t *v;

	if (s == NULL)
		return json_null();
	buf_init(&b, 16 * 1024);
	esc(&b, s);
	v = json_stringn(buf_str(&b), b.len);
	buf_free(&b);
	return v ? v : json_null();
}

/* jtime - an ISO 8601 UTC time, or null for 0 */
static json_t *
jtime(int64_t t)
{
	char tmp[64];

	if (t == 0)
		return json_null();
	return json_string(fmt_time(tmp, sizeof(tmp), t, true));
}

/* jnum - a float field, null when absent (-1) */
static json_t *
jnum(float f)
{
	return f < 0 ? json_null() : json_real((double)((long)(f * 1000.0f +
								0.5f)) / 1000.0);
}

/* json_attempt - one attempt as an object */
static json_t *
json_attempt(const struct corr_attempt *a)
{
	json_t *o = json_object(), *d = json_array();
	int k;

	for (k = 0; k < 4; k++)
		json_array_append_new(d, jnum(a->delays[k]));
	json_object_set_new(o, "time", jtime(a->time));
	json_object_set_new(o, "status",
			    json_string(logline_status_name(a->status)));
	json_object_set_new(o, "daemon", js(a->daemon));
	json_object_set_new(o, "relay", js(a->relay));
	json_object_set_new(o, "delay", jnum(a->delay));
	json_object_set_new(o, "delays", d);
	json_object_set_new(o, "dsn", a->dsn[0] ? js(a->dsn) : json_null());
	json_object_set_new(o, "smtp_code", a->smtp_code ?
			    json_integer(a->smtp_code) : json_null());
	json_object_set_new(o, "in_reply_to", a->command == LL_CMD_NONE ?
			    json_null() :
			    json_string(logline_command_name(a->command)));
	json_object_set_new(o, "reply", js(a->reply));
	json_object_set_new(o, "remote_queue_id", js(a->remote_qid));
	return o;
}

/* json_msg - the message as one object */
static json_t *
json_msg(const struct classifier *cls, const struct corr_msg *m)
{
	struct classify_result res;
	json_t *o = json_object(), *rs = json_array(), *cs = json_array();
	json_t *ro, *as, *p;
	const struct corr_rcpt *r;
	const struct corr_linkref *l;
	const struct corr_attempt *a;
	unsigned i;
	int ph;
	static const char *const phase_letter[4] = { "a", "b", "c", "d" };

	json_object_set_new(o, "host", js(m->host));
	json_object_set_new(o, "instance", js(m->instance));
	json_object_set_new(o, "queue_id", m->qid[0] ? js(m->qid) :
			    json_null());
	json_object_set_new(o, "noqueue", json_boolean(m->qid[0] == '\0'));
	json_object_set_new(o, "first_seen", jtime(m->first_time));
	json_object_set_new(o, "last_seen", jtime(m->last_time));
	json_object_set_new(o, "arrival", jtime(m->arrival_time));
	json_object_set_new(o, "end", json_string(corr_end_name(m->end)));
	json_object_set_new(o, "end_time", jtime(m->end_time));
	json_object_set_new(o, "origin",
			    json_string(corr_origin_name(m->origin)));
	json_object_set_new(o, "client", js(m->client));
	json_object_set_new(o, "sasl_method", js(m->sasl_method));
	json_object_set_new(o, "sasl_username", js(m->sasl_username));
	json_object_set_new(o, "uid", m->uid >= 0 ? json_integer(m->uid) :
			    json_null());
	json_object_set_new(o, "message_id", js(m->message_id));
	json_object_set_new(o, "sender", m->have_sender ? js(m->sender) :
			    json_null());
	json_object_set_new(o, "size", m->size >= 0 ? json_integer(m->size) :
			    json_null());
	json_object_set_new(o, "nrcpt", m->nrcpt >= 0 ?
			    json_integer(m->nrcpt) : json_null());
	json_object_set_new(o, "expired", json_boolean(m->expired));
	json_object_set_new(o, "force_expired",
			    json_boolean(m->force_expired));
	json_object_set_new(o, "held", json_boolean(m->held));
	json_object_set_new(o, "truncated", json_boolean(m->truncated));
	if (m->end == CORR_END_REJECTED) {
		p = json_object();
		json_object_set_new(p, "action", js(m->reject_action));
		json_object_set_new(p, "stage", js(m->reject_stage));
		json_object_set_new(p, "reply", js(m->reject_reply));
		json_object_set_new(o, "reject", p);
	} else {
		json_object_set_new(o, "reject", json_null());
	}
	if (m->parent.kind != CORR_LINK_NONE) {
		p = json_object();
		json_object_set_new(p, "queue_id", js(m->parent.qid));
		json_object_set_new(p, "instance", js(m->parent.instance));
		json_object_set_new(p, "link",
				    json_string(corr_link_name(m->parent.kind)));
		json_object_set_new(p, "sender", js(m->parent_sender));
		json_object_set_new(p, "message_id",
				    js(m->parent_message_id));
		json_object_set_new(o, "parent", p);
	} else {
		json_object_set_new(o, "parent", json_null());
	}
	for (l = m->children; l != NULL; l = l->next) {
		p = json_object();
		json_object_set_new(p, "queue_id", js(l->qid));
		json_object_set_new(p, "instance", js(l->instance));
		json_object_set_new(p, "link",
				    json_string(corr_link_name(l->kind)));
		json_array_append_new(cs, p);
	}
	json_object_set_new(o, "children", cs);
	for (r = m->rcpts; r != NULL; r = r->next) {
		ro = json_object();
		as = json_array();
		json_object_set_new(ro, "address", js(r->addr));
		json_object_set_new(ro, "orig_to", js(r->orig_to));
		json_object_set_new(ro, "state",
				    json_string(corr_state_name(r->state)));
		json_object_set_new(ro, "final_time", jtime(r->final_time));
		json_object_set_new(ro, "attempts_total",
				    json_integer(r->nattempts));
		json_object_set_new(ro, "deferrals",
				    json_integer(r->ndeferred));
		a = last_attempt(r);
		ph = a ? corr_dominant_phase(a) : -1;
		json_object_set_new(ro, "dominant_phase", ph >= 0 ?
				    json_string(phase_letter[ph]) :
				    json_null());
		if (classify_rcpt(cls, m, r, &res)) {
			p = json_object();
			json_object_set_new(p, "reason",
					    json_string(reason_name(res.reason)));
			json_object_set_new(p, "last_reason", json_string(
					    reason_name(res.last_reason)));
			json_object_set_new(p, "actor",
					    json_string(actor_name(res.actor)));
			json_object_set_new(p, "meaning", json_string(
					    classify_sentence(res.reason)));
			json_object_set_new(ro, "classification", p);
		} else {
			json_object_set_new(ro, "classification", json_null());
		}
		for (i = 0; i < r->nkept; i++)
			json_array_append_new(as,
					      json_attempt(&r->attempts[i]));
		json_object_set_new(ro, "attempts", as);
		json_array_append_new(rs, ro);
	}
	json_object_set_new(o, "recipients", rs);
	return o;
}

/* ------------------------------------------------------------------ */
/* driving */

/* render - m as the output wants it, into t->out */
static void
render(struct trace *t, const struct corr_msg *m)
{
	json_t *o;
	char *js_text;

	buf_reset(&t->out);
	if (!t->json) {
		story(&t->out, t->cls, m);
		return;
	}
	o = json_msg(t->cls, m);
	js_text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII |
			     JSON_PRESERVE_ORDER);
	if (js_text != NULL) {
		buf_adds(&t->out, js_text);
		buf_addc(&t->out, '\n');
		free(js_text);
	}
	json_decref(o);
}

/*
 * hold - keep the rendering of a linked message that closed before its
 * parent (a notice for a message still deferred, a filter copy delivered
 * first): it is printed right after the parent if the parent matches.
 */
static void
hold(struct trace *t, const struct corr_msg *m, bool matched)
{
	struct held *h;

	if (t->held_bytes + t->out.len > HELD_MAX_BYTES)
		return;		/* bounded; the story then lacks it */
	if (t->nheld == t->capheld) {
		t->capheld = t->capheld ? t->capheld * 2 : 16;
		t->held = xrealloc(t->held, t->capheld * sizeof(*t->held));
	}
	h = &t->held[t->nheld++];
	h->parent = key_of(m->host, m->parent.qid);
	h->self = key_of(m->host, m->qid);
	h->matched = matched;
	h->text = xstrndup(buf_str(&t->out), t->out.len);
	h->len = t->out.len;
	t->held_bytes += h->len;
}

/* release - print (or just forget) what was held for parent key k */
static void
release(struct trace *t, uint64_t k, bool print)
{
	size_t i = 0;
	uint64_t self;

	while (i < t->nheld) {
		if (t->held[i].parent != k) {
			i++;
			continue;
		}
		self = t->held[i].self;
		if (print || t->held[i].matched) {
			fwrite(t->held[i].text, 1, t->held[i].len, stdout);
			t->matched++;
			printed_add_key(t, self);
		}
		t->held_bytes -= t->held[i].len;
		free(t->held[i].text);
		memmove(&t->held[i], &t->held[i + 1],
			(t->nheld - i - 1) * sizeof(*t->held));
		t->nheld--;
		release(t, self, print);	/* its own children */
		i = 0;
	}
}

/*
 * show - print m when it matches, and what hangs on it.  A linked message
 * (a notice, a filtered copy) often closes before its parent: it is held
 * until the parent closes, so a story always reads parent first.
 */
static void
show(struct trace *t, const struct corr_msg *m)
{
	bool match = matches(t, m);
	bool parent_open = !t->draining && m->qid[0] && m->parent.kind != CORR_LINK_NONE &&
	    m->parent.qid != NULL && t->corr != NULL &&
	    corr_lookup(t->corr, m->host, NULL, m->parent.qid) != NULL;

	if (parent_open) {
		render(t, m);
		hold(t, m, match);
		return;
	}
	if (!match) {
		if (m->qid[0])
			release(t, key_of(m->host, m->qid), false);
		return;
	}
	t->matched++;
	render(t, m);
	fwrite(buf_str(&t->out), 1, t->out.len, stdout);
	if (m->qid[0]) {
		printed_add(t, m->host, m->qid);
		release(t, key_of(m->host, m->qid), true);
	}
}

/* on_event - corr callback: a message is done */
static void
on_event(void *arg, const struct corr_event *ev)
{
	if (ev->kind == CORR_EV_CLOSED || ev->kind == CORR_EV_DROPPED)
		show(arg, ev->msg);
}

/* show_open - at the end of input, the messages still in flight */
static bool
show_open(void *arg, const struct corr_msg *m)
{
	show(arg, m);
	return true;
}

/* digits - n decimal digits at *p, advancing; -1 when not digits */
static int
digits(const char **p, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

/*
 * parse_when - "@EPOCH", "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" or with
 * a "T" and an optional "Z"; always UTC.  -1 when malformed.
 */
static int64_t
parse_when(const char *s)
{
	struct tm tm;
	const char *p = s;
	char *end;
	long long v;
	int y, mo, d, h = 0, mi = 0, sec = 0;

	if (*s == '@') {
		v = strtoll(s + 1, &end, 10);
		return *end == '\0' && end != s + 1 && v > 0 ? v : -1;
	}
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = digits(&p, 2)) < 1 || *p++ != '-' ||
	    (d = digits(&p, 2)) < 1)
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		if ((h = digits(&p, 2)) < 0 || *p++ != ':' ||
		    (mi = digits(&p, 2)) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if ((sec = digits(&p, 2)) < 0)
				return -1;
		}
	}
	if (*p == 'Z')
		p++;
	if (*p != '\0' || mo > 12 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (int64_t)timegm(&tm);
}

/* trace_time_opt - a --since/--until argument into *out, or say why */
static int
trace_time_opt(const char *arg, int64_t *out)
{
	int64_t t = parse_when(arg);

	if (t < 0) {
		fprintf(stderr, "plainbounce trace: bad time \"%s\"\n", arg);
		return -1;
	}
	*out = t;
	return 0;
}

int
trace_filter_opt(int ch, const char *arg, struct store_trace_query *q)
{
	switch (ch) {
	case 'q':
		q->queue_id = arg;
		return 1;
	case 't':
		q->to = arg;
		return 1;
	case 'f':
		q->from = arg;
		return 1;
	case 'm':
		q->message_id = arg;
		return 1;
	case 'd':
		q->domain = arg[0] == '@' ? arg + 1 : arg;
		return 1;
	case 's':
		return trace_time_opt(arg, &q->since) < 0 ? -1 : 1;
	case 'u':
		return trace_time_opt(arg, &q->until) < 0 ? -1 : 1;
	default:
		return 0;
	}
}

/*
 * load_rules - the classifier for "what it means" lines: --rules FILE
 * (an error when it does not load), else classify.rules and
 * classify.site_rules from the configuration (-c FILE or the default
 * file when it exists), else the source tree's rules ($PB_SRCDIR); NULL
 * when none loads: the stories then go without those lines.
 */
static struct classifier *
load_rules(const char *given, const char *conf, struct buf *why, int *bad)
{
	char path[4096];
	const char *src = getenv("PB_SRCDIR");
	struct classifier *c = NULL;
	struct cfg cfg;

	*bad = 0;
	if (given != NULL) {
		c = classify_load(given, NULL, why);
		*bad = c == NULL;
		return c;
	}
	if (conf != NULL || access(cfg_default_path(), F_OK) == 0) {
		if (cfg_load(&cfg, conf ? conf : cfg_default_path(), why) < 0) {
			*bad = 1;
			return NULL;
		}
	} else {
		cfg_init(&cfg);
	}
	if (cfg.classify_rules != NULL &&
	    access(cfg.classify_rules, R_OK) == 0)
		c = classify_load(cfg.classify_rules, cfg.classify_site_rules,
				  why);
	cfg_free(&cfg);
	if (c == NULL && src != NULL && *src &&
	    (size_t)snprintf(path, sizeof(path), "%s/config/classify.rules",
			     src) < sizeof(path) && access(path, R_OK) == 0)
		c = classify_load(path, NULL, why);
	buf_reset(why);
	return c;
}

/* trace_usage - the synopsis, on stderr */
static int
trace_usage(void)
{
	fputs("usage: plainbounce trace [-c FILE] [--queue-id ID] [--to ADDR] "
	      "[--from ADDR]\n"
	      "       [--message-id ID] [--domain DOMAIN] [--since T] "
	      "[--until T]\n"
	      "       [--json] [--rules FILE] [FILE...]\n"
	      "T is YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] (UTC) or @EPOCH.\n",
	      stderr);
	return PB_EXIT_USAGE;
}

int
cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		TRACE_FILTER_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "rules", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct trace t;
	struct corr_opts co;
	struct corr *c;
	struct logread *r;
	struct logread_line line;
	struct logline ll;
	struct logline_opts lo;
	struct buf why;
	const char **paths;
	size_t npaths, i;
	int ch, rc, status = 0;
	int64_t last = 0;
	const char *rules = NULL, *conf = NULL;
	int bad;

	/* --store: the same questions answered from the store */
	for (i = 1; i < (size_t)argc; i++)
		if (strcmp(argv[i], "--store") == 0)
			return cmd_trace_store(argc, argv);
	memset(&t, 0, sizeof(t));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'j':
			t.json = true;
			break;
		case 'r':
			rules = optarg;
			break;
		case 'h':
			trace_usage();
			return 0;
		default:
			if (trace_filter_opt(ch, optarg, &t.q) <= 0)
				return trace_usage();
		}
	}
	npaths = (size_t)(argc - optind);
	paths = xcalloc(npaths + 1, sizeof(*paths));
	for (i = 0; i < npaths; i++)
		paths[i] = argv[optind + i];
	logread_order(paths, npaths);

	buf_init(&t.out, STORY_MAX);
	buf_init(&why, 4096);
	t.cls = load_rules(rules, conf, &why, &bad);
	if (bad) {
		fprintf(stderr, "plainbounce trace: %s\n", buf_str(&why));
		buf_free(&why);
		buf_free(&t.out);
		free(paths);
		return CFG_EX_CONFIG;
	}
	buf_reset(&why);
	corr_opts_init(&co);
	co.on_event = on_event;
	co.arg = &t;
	c = corr_new(&co);
	t.corr = c;
	logline_opts_init(&lo, (int64_t)time(NULL));
	lo.skip_counters = true;	/* the correlator has no use for them */
	lo.skip_peers = true;		/* nor for these */
	r = logread_open(paths, npaths, LOGREAD_DEFAULT_MAX_LINE);
	while ((rc = logread_next(r, &line, &why)) != 0) {
		if (rc < 0) {
			fprintf(stderr, "plainbounce trace: %s\n",
				buf_str(&why));
			buf_reset(&why);
			status = 1;
			continue;
		}
		if (line.new_file && line.mtime > 0)
			lo.ref_time = line.mtime;
		if (line.truncated)
			continue;	/* a cut line would lie about its end */
		if (line.has_nul)
			logline_parse(&ll, line.text.p, line.text.len, &lo);
		else
			logline_parse_nul_free(&ll, line.text.p,
					       line.text.len, &lo);
		if (ll.time > 0)
			last = ll.time;
		corr_feed(c, &ll, last);
	}
	t.draining = true;
	corr_foreach(c, show_open, &t);
	for (i = 0; i < t.nheld; i++) {	/* parents that never matched */
		if (t.held[i].matched) {
			fwrite(t.held[i].text, 1, t.held[i].len, stdout);
			t.matched++;
		}
	}
	fflush(stdout);
	logread_close(r);
	corr_free(c);
	classify_free(t.cls);
	for (i = 0; i < t.nheld; i++)
		free(t.held[i].text);
	free(t.held);
	buf_free(&t.out);
	buf_free(&why);
	free(paths);
	if (t.matched == 0) {
		if (status == 0)
			fputs("plainbounce trace: no message matched\n", stderr);
		return 1;
	}
	return status;
}
