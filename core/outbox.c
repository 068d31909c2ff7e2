/*
 * outbox.c - the responder's worker: routing and delivery of notices.
 *
 * Owns the path from a route row to a sent (or dead) notice; see
 * outbox.h for the guarantees.  Store calls are the only side effects
 * besides the transports (mailer_send, webhook_post) and the dry-run
 * printout; the time is always the caller's.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "log.h"
#include "mailmsg.h"
#include "outbox.h"
#include "webhook_sign.h"
#include "xalloc.h"

#define JSON_VALUE_MAX	4000	/* bytes of one fact in a JSON body */

void
outbox_init(struct outbox *ob, struct store *s, const struct outbox_conf *c,
	    const struct notice_templates *t, struct webhook_client *wc,
	    uint32_t seed)
{
	memset(ob, 0, sizeof(*ob));
	ob->store = s;
	ob->conf = c;
	ob->templates = t;
	ob->webhook = wc;
	ob->rnd = seed ? seed : 0x9e3779b9u;
}

/* next_rnd - xorshift32: jitter needs spread, not secrecy */
static uint32_t
next_rnd(struct outbox *ob)
{
	uint32_t x = ob->rnd;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return ob->rnd = x;
}

/* german - locale is "de", "de_AT", "de-CH" ...: notice words in German */
static bool
german(const char *locale)
{
	return locale != NULL && strncmp(locale, "de", 2) == 0 &&
	    (locale[2] == '\0' || locale[2] == '_' || locale[2] == '-');
}

void
outbox_format_time_locale(int64_t t, const char *locale, char *out,
			  size_t size)
{
	static const char *const wday[] = { "Sonntag", "Montag", "Dienstag",
		"Mittwoch", "Donnerstag", "Freitag", "Samstag" };
	static const char *const mon[] = { "Januar", "Februar", "M\xc3\xa4rz",
		"April", "Mai", "Juni", "Juli", "August", "September",
		"Oktober", "November", "Dezember" };
	struct tm tm;
	time_t tt = (time_t)t;
	int w;

	if (size == 0)
		return;
	if (!german(locale)) {
		outbox_format_time(t, out, size);
		return;
	}
	/* German names by table: strftime would follow the process locale */
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		out[0] = '\0';
		return;
	}
	w = snprintf(out, size, "%s, %d. %s %lld, %02d:%02d UTC",
		     wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon],
		     (long long)tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
	if (w < 0 || (size_t)w >= size)
		out[0] = '\0';
}

void
outbox_format_time(int64_t t, char *out, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (size == 0)
		return;
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, size, "%a %e %b %Y %H:%M UTC", &tm) == 0)
		out[0] = '\0';
}

/* unit_words - one amount with its unit word, singular or plural */
static int
unit_words(char *out, size_t size, int64_t n, const char *const *w)
{
	return snprintf(out, size, "%" PRId64 " %s", n, w[n == 1 ? 0 : 1]);
}

void
outbox_format_duration_locale(int64_t secs, const char *locale, char *out,
			      size_t size)
{
	/* singular and plural of day, hour, minute, second, then "and" */
	static const char *const en[] = { "day", "days", "hour", "hours",
		"minute", "minutes", "second", "seconds", "and" };
	static const char *const de[] = { "Tag", "Tage", "Stunde", "Stunden",
		"Minute", "Minuten", "Sekunde", "Sekunden", "und" };
	const char *const *w = german(locale) ? de : en;
	int64_t v[4] = { secs / 86400, secs % 86400 / 3600,
		secs % 3600 / 60, secs % 60 };
	size_t i, len;
	int k;

	if (size == 0)
		return;
	out[0] = '\0';
	if (secs < 0)
		return;
	for (i = 0; i < 3 && v[i] == 0; i++)
		;
	/* the largest unit, and the next one when it is not zero */
	k = unit_words(out, size, v[i], w + 2 * i);
	if (k < 0 || (size_t)k >= size) {
		out[0] = '\0';
		return;
	}
	if (i < 3 && v[i + 1] != 0) {
		len = (size_t)k;
		k = snprintf(out + len, size - len, " %s ", w[8]);
		if (k < 0 || (size_t)k >= size - len) {
			out[0] = '\0';
			return;
		}
		len += (size_t)k;
		k = unit_words(out + len, size - len, v[i + 1], w + 2 * i + 2);
		if (k < 0 || (size_t)k >= size - len)
			out[0] = '\0';
	}
}

/* fact_cmp - order facts by message, kind, event */
static int
fact_cmp(const void *a, const void *b)
{
	const struct store_fact *x = a, *y = b;
	int c;

	if (x->message != y->message)
		return x->message < y->message ? -1 : 1;
	if ((c = strcmp(x->kind, y->kind)) != 0)
		return c;
	return x->event < y->event ? -1 : x->event > y->event;
}

/* same_group - two facts belong in one notice (message and kind) */
static int
same_group(const struct store_fact *a, const struct store_fact *b)
{
	return a->message == b->message && strcmp(a->kind, b->kind) == 0;
}

/* fact_kind - the notice kind of a fact (bounced when unreadable) */
static enum notice_kind
fact_kind(const struct store_fact *f)
{
	enum notice_kind k = NOTICE_BOUNCED;

	if (f->kind == NULL || !policy_kind_from_name(f->kind, &k))
		k = NOTICE_KIND_COUNT;
	return k;
}

/* fact_reason - the reason of a fact, REASON_UNKNOWN when absent */
static enum reason
fact_reason(const struct store_fact *f)
{
	enum reason r = REASON_UNKNOWN;

	if (f->reason && !reason_from_name(f->reason, strlen(f->reason), &r))
		r = REASON_UNKNOWN;
	return r;
}

/* fact_actor - who acts, ACTOR_NOBODY when absent */
static enum actor
fact_actor(const struct store_fact *f)
{
	enum actor a = ACTOR_NOBODY;

	if (f->who_acts &&
	    !actor_from_name(f->who_acts, strlen(f->who_acts), &a))
		a = ACTOR_NOBODY;
	return a;
}

/* policy_event_of - the policy's view of one fact */
static void
policy_event_of(const struct store_fact *f, struct policy_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = fact_kind(f);
	ev->reason = fact_reason(f);
	ev->sender = f->sender ? f->sender : "";
	ev->facts_from_milter = f->submission_src &&
				strcmp(f->submission_src, "milter") == 0;
	ev->submission = f->submission;
	ev->auto_submitted = f->auto_submitted;
	ev->precedence = f->precedence;
	ev->list_id = f->list_id;
	ev->message_id = f->message_id;
	ev->notify = f->notify;
}

/* A delivery being planned: events for one channel and target. */
struct plan {
	struct store_delivery d;
	int64_t *ev;
	size_t nev;
	char *target;
	char id[WEBHOOK_ID_MAX + 1];	/* webhook-id, "" for email */
};

/* plan_add - append one delivery with n events to the plan list */
static void
plan_add(struct plan **pl, size_t *np, const char *channel,
	 const char *target, int64_t due, const int64_t *ev, size_t n)
{
	struct plan *p;

	*pl = xrealloc(*pl, (*np + 1) * sizeof(**pl));
	p = &(*pl)[(*np)++];
	memset(p, 0, sizeof(*p));
	p->ev = xmalloc(n * sizeof(*ev));
	memcpy(p->ev, ev, n * sizeof(*ev));
	p->nev = n;
	p->target = xstrdup(target);
	p->d.channel = channel;
	p->d.target = p->target;
	p->d.due = due;
	p->d.events = p->ev;
	p->d.nevents = n;
}

/* planned_for - sender notices already planned in this batch */
static int64_t
planned_for(const struct plan *pl, size_t np, const char *target)
{
	int64_t k = 0;
	size_t i;

	for (i = 0; i < np; i++)
		if (strcmp(pl[i].d.channel, "email") == 0 &&
		    strcmp(pl[i].target, target) == 0)
			k++;
	return k;
}

/* route_group - decide who is told about one message+kind group */
static int
route_group(struct outbox *ob, const struct store_fact *f, size_t n,
	    int64_t now, struct plan **pl, size_t *np)
{
	const struct outbox_conf *c = ob->conf;
	int64_t *snd = xmalloc(n * sizeof(*snd));
	int64_t *hd = xmalloc(n * sizeof(*hd));
	int64_t *wh = xmalloc(n * sizeof(*wh));
	unsigned *xb = xcalloc(n, sizeof(*xb));
	size_t ns = 0, nh = 0, nw = 0, i, e;
	struct policy_event ev;
	struct policy_verdict v;
	struct store_err err;
	int64_t recent = 0, due;
	int rc = 0;

	for (i = 0; i < n; i++) {
		policy_event_of(&f[i], &ev);
		v = policy_decide(&c->policy, &ev);
		if (v.sender)
			snd[ns++] = f[i].event;
		if (v.helpdesk)
			hd[nh++] = f[i].event;
		if (v.webhook)
			wh[nw++] = f[i].event;
		xb[i] = v.extra;
		if (!v.sender)
			log_info("event %" PRId64 " (%s, queue id %s): sender "
				 "not told: %s", f[i].event, f[i].kind,
				 f[i].queue_id ? f[i].queue_id : "?",
				 v.why ? v.why : "?");
	}
	if (ns > 0) {
		if (store_sender_recent(ob->store, f[0].sender,
					now - OUTBOX_RATE_WINDOW, &recent,
					&err) != STORE_OK) {
			log_warn("routing: %s", err.msg);
			rc = -1;
			goto out;
		}
		recent += planned_for(*pl, *np, f[0].sender);
		due = policy_rate_hold(&c->policy, recent)
		      ? now + OUTBOX_RATE_WINDOW : now;
		if (due > now)
			log_info("sender %s: rate limit, %zu event(s) held for "
				 "a digest", f[0].sender, ns);
		plan_add(pl, np, "email", f[0].sender, due, snd, ns);
	}
	if (nh > 0)
		plan_add(pl, np, "email", c->helpdesk_address, now, hd, nh);
	if (nw > 0) {
		plan_add(pl, np, "webhook", c->webhook_name, now, wh, nw);
		snprintf((*pl)[*np - 1].id, sizeof((*pl)[*np - 1].id),
			 "pb_%" PRId64 "_%" PRId64 "_%s", wh[0], now,
			 c->webhook_name);
	}
	for (e = 0; e < c->n_extra && e < POLICY_MAX_EXTRA; e++) {
		for (nw = 0, i = 0; i < n; i++)
			if (xb[i] & (1u << e))
				wh[nw++] = f[i].event;
		if (nw == 0)
			continue;
		plan_add(pl, np, "webhook", c->extra[e].name, now, wh, nw);
		snprintf((*pl)[*np - 1].id, sizeof((*pl)[*np - 1].id),
			 "pb_%" PRId64 "_%" PRId64 "_%s", wh[0], now,
			 c->extra[e].name);
	}
out:
	free(xb);
	free(snd);
	free(hd);
	free(wh);
	return rc;
}

int
outbox_route(struct outbox *ob, int64_t now)
{
	const struct outbox_conf *c = ob->conf;
	struct store_fact *f = NULL;
	struct plan *pl = NULL;
	struct store_delivery *d = NULL;
	int64_t *routes = NULL;
	size_t n = 0, np = 0, nr = 0, i, j;
	struct store_err err;
	int rc;

	rc = store_route_lease(ob->store, c->owner, now, c->lease_secs,
			       c->group_delay_secs, c->batch, &f, &n, &err);
	if (rc != STORE_OK) {
		if (rc == STORE_RETRY)
			return 0;
		log_warn("route lease: %s", err.msg);
		return -1;
	}
	if (n == 0)
		return 0;
	routes = xmalloc(n * sizeof(*routes));
	for (i = 0; i < n; i++) {
		for (j = 0; j < nr && routes[j] != f[i].outbox; j++)
			;
		if (j == nr)
			routes[nr++] = f[i].outbox;
	}
	qsort(f, n, sizeof(*f), fact_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && same_group(&f[i], &f[j]); j++)
			;
		if (route_group(ob, &f[i], j - i, now, &pl, &np) < 0)
			goto out;	/* leases run out; routed again later */
	}
	d = xcalloc(np ? np : 1, sizeof(*d));
	for (i = 0; i < np; i++) {
		d[i] = pl[i].d;	/* the id lives in pl[i], which may have moved */
		d[i].webhook_id = pl[i].id[0] ? pl[i].id : NULL;
	}
	rc = store_route_commit(ob->store, c->owner, now, routes, nr, d, np,
				&err);
	if (rc == STORE_NOTFOUND) {
		ob->stats.lost_lease++;
		log_warn("routing: lease lost to another responder");
	} else if (rc != STORE_OK) {
		log_warn("route commit: %s", err.msg);
	} else {
		ob->stats.routed += (int64_t)n;
		ob->stats.created += (int64_t)np;
	}
out:
	for (i = 0; i < np; i++) {
		free(pl[i].ev);
		free(pl[i].target);
	}
	free(pl);
	free(d);
	free(routes);
	store_facts_free(f, n);
	return rc == STORE_OK ? (int)nr : rc == STORE_NOTFOUND ? 0 : -1;
}

/* Facts turned into notice structs; strings point into facts or here. */
struct rendering {
	struct notice_msg *msgs;
	struct notice_rcpt *rcpts;
	char (*sent_at)[64];
	char (*attempts)[24];
	char (*retry_until)[64];
	char (*tried_for)[32];
	size_t nmsgs;
};

/*
 * fact_times - the watcher's deferral facts as the templates want them:
 * retry_until for a deferral, tried_for (arrival to the expiry line) for
 * an expiry, last_reason whenever the watcher knew one that differs
 */
static void
fact_times(const struct store_fact *f, enum notice_kind kind,
	   const char *locale, struct notice_rcpt *rc, char *until,
	   size_t usize, char *tried, size_t tsize)
{
	enum reason lr;
	int64_t end = f->occurred > 0 ? f->occurred : f->created;

	if (f->retry_until > 0 && kind == NOTICE_DEFERRED_LONG) {
		outbox_format_time_locale(f->retry_until, locale, until,
					  usize);
		if (until[0])
			rc->retry_until = until;
	}
	if (kind == NOTICE_EXPIRED && f->first_seen > 0 &&
	    end >= f->first_seen) {
		outbox_format_duration_locale(end - f->first_seen, locale,
					      tried, tsize);
		if (tried[0])
			rc->tried_for = tried;
	}
	if (f->last_reason && (kind == NOTICE_EXPIRED ||
			       kind == NOTICE_DELIVERED_AFTER_DELAY) &&
	    reason_from_name(f->last_reason, strlen(f->last_reason), &lr)) {
		rc->has_last_reason = true;
		rc->last_reason = lr;
	}
}

/* rendering_build - one notice_msg per message+kind of sorted facts */
static void
rendering_build(struct rendering *r, const struct store_fact *f, size_t n,
		const char *locale)
{
	size_t i;
	struct notice_msg *m = NULL;
	struct notice_rcpt *rc;

	r->msgs = xcalloc(n, sizeof(*r->msgs));
	r->rcpts = xcalloc(n, sizeof(*r->rcpts));
	r->sent_at = xcalloc(n, sizeof(*r->sent_at));
	r->attempts = xcalloc(n, sizeof(*r->attempts));
	r->retry_until = xcalloc(n, sizeof(*r->retry_until));
	r->tried_for = xcalloc(n, sizeof(*r->tried_for));
	r->nmsgs = 0;
	for (i = 0; i < n; i++) {
		if (i == 0 || !same_group(&f[i - 1], &f[i])) {
			m = &r->msgs[r->nmsgs];
			outbox_format_time_locale(f[i].first_seen, locale,
						  r->sent_at[r->nmsgs],
						  sizeof(r->sent_at[0]));
			m->kind = fact_kind(&f[i]);
			if (m->kind == NOTICE_KIND_COUNT)
				m->kind = NOTICE_BOUNCED;
			m->sender = f[i].sender;
			m->from = f[i].from_header;
			m->subject = f[i].subject;
			m->sent_at = r->sent_at[r->nmsgs];
			m->queue_id = f[i].queue_id;
			m->message_id = f[i].message_id;
			m->rcpts = &r->rcpts[i];
			r->nmsgs++;
		}
		rc = &r->rcpts[i];
		rc->recipient = f[i].recipient;
		rc->reason = fact_reason(&f[i]);
		rc->who_acts = fact_actor(&f[i]);
		rc->remote_words = f[i].reply;
		rc->dsn = f[i].dsn;
		rc->relay = f[i].relay;
		if (f[i].attempts > 0) {
			snprintf(r->attempts[i], sizeof(r->attempts[0]),
				 "%" PRId64, f[i].attempts);
			rc->attempts = r->attempts[i];
		}
		fact_times(&f[i], m->kind, locale, rc, r->retry_until[i],
			   sizeof(r->retry_until[0]), r->tried_for[i],
			   sizeof(r->tried_for[0]));
		m->nrcpts++;
	}
}

/* rendering_free - release what rendering_build allocated */
static void
rendering_free(struct rendering *r)
{
	free(r->msgs);
	free(r->rcpts);
	free(r->sent_at);
	free(r->attempts);
	free(r->retry_until);
	free(r->tried_for);
}

/* jstr - a JSON string of outside text: escaped to safe UTF-8, bounded */
static json_t *
jstr(const char *s)
{
	struct buf b;
	json_t *j;

	if (s == NULL)
		return json_null();
	buf_init(&b, JSON_VALUE_MAX);
	escape_text(&b, span_make(s, strlen(s)));
	j = json_stringn(b.data ? b.data : "", b.len);
	buf_free(&b);
	return j ? j : json_string("");
}

/* jbuf - a JSON string of our own rendered (already safe) text */
static json_t *
jbuf(const struct buf *b)
{
	json_t *j = json_stringn(b->data ? b->data : "", b->len);

	return j ? j : json_string("");
}

int
outbox_webhook_body(const struct notice_templates *t, const char *id,
		    const struct store_fact *f, size_t n, int slack,
		    struct buf *out, struct buf *why)
{
	struct rendering r;
	struct notice_out no;
	struct notice_explanation ex;
	json_t *root = NULL, *msg, *rcpts, *rc;
	char when[64], *dump = NULL;
	size_t i;
	int ret = -1;

	if (n == 0) {
		buf_adds(why, "no events");
		return -1;
	}
	rendering_build(&r, f, n, notice_templates_locale(t));
	notice_out_init(&no);
	notice_explanation_init(&ex);
	if (r.nmsgs != 1) {
		buf_adds(why, "a webhook notice covers one message and kind");
		goto out;
	}
	if (notice_render(t, NOTICE_HELPDESK, &r.msgs[0], 0, &no, why) < 0)
		goto out;
	if (slack) {
		root = json_object();
		json_object_set_new(root, "text", json_sprintf("%s\n\n%s",
			buf_str(&no.subject), buf_str(&no.text)));
		goto dump;
	}
	root = json_object();
	json_object_set_new(root, "type", json_sprintf("plainbounce.%s",
				notice_kind_name(r.msgs[0].kind)));
	json_object_set_new(root, "id", json_string(id));
	json_object_set_new(root, "kind",
			    json_string(notice_kind_name(r.msgs[0].kind)));
	json_object_set_new(root, "created", json_integer(f[0].created));
	msg = json_object();
	json_object_set_new(msg, "instance", jstr(f[0].instance));
	json_object_set_new(msg, "queue_id", jstr(f[0].queue_id));
	json_object_set_new(msg, "message_id", jstr(f[0].message_id));
	json_object_set_new(msg, "sender", jstr(f[0].sender));
	json_object_set_new(msg, "from", jstr(f[0].from_header));
	json_object_set_new(msg, "subject", jstr(f[0].subject));
	json_object_set_new(msg, "first_seen", json_integer(f[0].first_seen));
	outbox_format_time(f[0].first_seen, when, sizeof(when));
	json_object_set_new(msg, "sent_at", json_string(when));
	json_object_set_new(msg, "submission", jstr(f[0].submission));
	json_object_set_new(msg, "facts_source", jstr(f[0].submission_src));
	json_object_set_new(root, "message", msg);
	rcpts = json_array();
	for (i = 0; i < n; i++) {
		rc = json_object();
		json_object_set_new(rc, "event_id", json_integer(f[i].event));
		json_object_set_new(rc, "address", jstr(f[i].recipient));
		json_object_set_new(rc, "reason", json_string(
			reason_name(r.rcpts[i].reason)));
		json_object_set_new(rc, "who_acts", json_string(
			actor_name(r.rcpts[i].who_acts)));
		if (notice_explain(t, NOTICE_HELPDESK, r.msgs[0].kind,
				   &r.rcpts[i], &ex, why) < 0) {
			json_decref(rc);
			goto out;
		}
		json_object_set_new(rc, "title", jbuf(&ex.title));
		json_object_set_new(rc, "explanation", jbuf(&ex.what));
		json_object_set_new(rc, "next_step", jbuf(&ex.next_step));
		json_object_set_new(rc, "who_acts_text", jbuf(&ex.who_acts));
		json_object_set_new(rc, "dsn", jstr(f[i].dsn));
		json_object_set_new(rc, "remote_words", jstr(f[i].reply));
		json_object_set_new(rc, "relay", jstr(f[i].relay));
		json_object_set_new(rc, "attempts", json_integer(f[i].attempts));
		json_array_append_new(rcpts, rc);
		notice_explanation_free(&ex);
		notice_explanation_init(&ex);
	}
	json_object_set_new(root, "recipients", rcpts);
	json_object_set_new(root, "subject", jbuf(&no.subject));
	json_object_set_new(root, "text", jbuf(&no.text));
dump:
	dump = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (dump == NULL || buf_adds(out, dump) != BUF_OK) {
		buf_adds(why, "JSON body too large");
		goto out;
	}
	ret = 0;
out:
	free(dump);
	json_decref(root);
	notice_explanation_free(&ex);
	notice_out_free(&no);
	rendering_free(&r);
	return ret;
}

/* render_email - subject, text and HTML of an email notice */
static int
render_email(struct outbox *ob, enum notice_audience aud,
	     const struct store_fact *f, size_t n, struct notice_out *no,
	     struct buf *why)
{
	struct rendering r;
	struct notice_digest dg;
	char since[64];
	int rc;

	rendering_build(&r, f, n, notice_templates_locale(ob->templates));
	if (r.nmsgs == 1) {
		rc = notice_render(ob->templates, aud, &r.msgs[0], NOTICE_HTML,
				   no, why);
	} else {
		outbox_format_time_locale(f[0].created,
					  notice_templates_locale(ob->templates),
					  since, sizeof(since));
		dg.sender = f[0].sender;
		dg.since = since;
		dg.msgs = r.msgs;
		dg.nmsgs = r.nmsgs;
		rc = notice_render_digest(ob->templates, aud, &dg, NOTICE_HTML,
					  no, why);
	}
	rendering_free(&r);
	return rc;
}

/* A transport's outcome, whatever the channel. */
struct attempt {
	enum retry_class cls;
	int64_t retry_after_ms;
	int fatal;			/* could not even try: dead letter */
	char error[320];
};

/* send_email - render and submit one email notice */
static void
send_email(struct outbox *ob, const struct store_notice *nt,
	   const struct store_fact *f, size_t n, int64_t now,
	   struct attempt *a)
{
	const struct outbox_conf *c = ob->conf;
	enum notice_audience aud = c->helpdesk_address &&
		strcmp(nt->target, c->helpdesk_address) == 0
		? NOTICE_HELPDESK : NOTICE_SENDER;
	struct notice_out no;
	struct buf why, msg;
	struct mailmsg mm;
	struct mailer_result mr;
	char msgid[300];
	const char *bad = NULL;
	size_t i;
	int one_msg = 1;

	notice_out_init(&no);
	buf_init(&why, 256);
	buf_init(&msg, OUTBOX_MSG_MAX);
	for (i = 1; i < n; i++)
		if (f[i].message != f[0].message)
			one_msg = 0;
	if (render_email(ob, aud, f, n, &no, &why) < 0) {
		a->fatal = 1;
		snprintf(a->error, sizeof(a->error), "render: %s",
			 buf_str(&why));
		goto out;
	}
	snprintf(msgid, sizeof(msgid), "<" OUTBOX_MSGID_PREFIX "%" PRId64
		 ".%" PRId64 "@%s>", nt->id, nt->created, c->msgid_domain);
	memset(&mm, 0, sizeof(mm));
	mm.from_addr = c->from_addr;
	mm.from_name = c->from_name;
	mm.to_addr = nt->target;
	mm.subject = buf_str(&no.subject);
	mm.date = now;
	mm.message_id = msgid;
	mm.orig_message_id = one_msg ? f[0].message_id : NULL;
	mm.text = buf_str(&no.text);
	mm.html = no.html.len ? buf_str(&no.html) : NULL;
	if (mailmsg_build(&msg, &mm, &bad) < 0) {
		a->fatal = 1;
		snprintf(a->error, sizeof(a->error), "message: %s", bad);
		goto out;
	}
	if (c->dry_run) {
		fprintf(c->dry_run, "--- notice %" PRId64 " email to %s "
			"(%s)\n%s\n", nt->id, nt->target,
			notice_audience_name(aud), buf_str(&msg));
		a->cls = RETRY_C_SUCCESS;
		goto out;
	}
	if (mailer_send(&c->mailer, nt->target, msg.data, msg.len, &mr) < 0) {
		a->fatal = 1;
		snprintf(a->error, sizeof(a->error), "smtp: %s", mr.error);
		goto out;
	}
	a->cls = mr.cls;
	if (mr.cls != RETRY_C_SUCCESS)
		snprintf(a->error, sizeof(a->error), "smtp %ld: %s",
			 mr.smtp_code, mr.error);
out:
	buf_free(&msg);
	buf_free(&why);
	notice_out_free(&no);
}

/*
 * endpoint_of - the endpoint a webhook row's target names: its index (0:
 * notice.webhook's, 1 + i: extra[i]), client and format; -1 when none
 */
static int
endpoint_of(const struct outbox *ob, const char *target,
	    struct webhook_client **wc, int *slack)
{
	const struct outbox_conf *c = ob->conf;
	size_t i;

	if (c->webhook_name != NULL && strcmp(target, c->webhook_name) == 0) {
		*wc = ob->webhook;
		*slack = c->webhook_slack;
		return 0;
	}
	for (i = 0; i < c->n_extra && i < POLICY_MAX_EXTRA; i++)
		if (strcmp(target, c->extra[i].name) == 0) {
			*wc = c->extra[i].client;
			*slack = c->extra[i].slack;
			return 1 + (int)i;
		}
	return -1;
}

/* send_webhook - build and post one webhook notice */
static void
send_webhook(struct outbox *ob, const struct store_notice *nt,
	     const struct store_fact *f, size_t n, int64_t now,
	     struct attempt *a)
{
	const struct outbox_conf *c = ob->conf;
	struct webhook_result wr;
	struct webhook_client *wc = NULL;
	struct store_err err;
	struct buf body, why;
	int ep, slack = 0, off = 0;

	ep = endpoint_of(ob, nt->target, &wc, &slack);
	if (ep < 0 || wc == NULL || nt->webhook_id == NULL) {
		a->fatal = 1;
		snprintf(a->error, sizeof(a->error), "no endpoint \"%s\" "
			 "configured", nt->target);
		return;
	}
	if (!(ob->webhook_disabled & (1u << ep)) &&
	    store_endpoint_disabled(ob->store, nt->target, &off, &err)
	    == STORE_OK && off)
		ob->webhook_disabled |= 1u << ep;	/* by 410, stored */
	if (ob->webhook_disabled & (1u << ep)) {
		a->fatal = 1;
		snprintf(a->error, sizeof(a->error), "endpoint disabled "
			 "after 410 Gone");
		return;
	}
	buf_init(&body, OUTBOX_MSG_MAX);
	buf_init(&why, 256);
	if (outbox_webhook_body(ob->templates, nt->webhook_id, f, n,
				slack, &body, &why) < 0) {
		a->fatal = 1;
		snprintf(a->error, sizeof(a->error), "body: %s", buf_str(&why));
		goto out;
	}
	if (c->dry_run) {
		fprintf(c->dry_run, "--- notice %" PRId64 " webhook %s id %s\n"
			"%s\n", nt->id, nt->target, nt->webhook_id,
			buf_str(&body));
		a->cls = RETRY_C_SUCCESS;
		goto out;
	}
	if (webhook_post(wc, nt->webhook_id, now, body.data, body.len,
			 &wr, NULL) < 0) {
		a->fatal = 1;
		snprintf(a->error, sizeof(a->error), "webhook: %s", wr.error);
		goto out;
	}
	a->cls = wr.cls;
	a->retry_after_ms = wr.retry_after_ms;
	if (wr.cls != RETRY_C_SUCCESS)
		snprintf(a->error, sizeof(a->error), "http %ld: %s", wr.status,
			 wr.error);
out:
	buf_free(&body);
	buf_free(&why);
}

/* deliver_one - one attempt of one leased notice, and its outcome */
static int
deliver_one(struct outbox *ob, const struct store_notice *nt, int64_t now)
{
	const struct outbox_conf *c = ob->conf;
	struct store_fact *f = NULL;
	struct retry_decision dec;
	struct attempt a;
	struct store_err err;
	enum store_outcome oc;
	struct webhook_client *wc;
	int64_t next = now;
	size_t n = 0;
	int rc, ep, slack;

	memset(&a, 0, sizeof(a));
	a.retry_after_ms = -1;
	if ((rc = store_facts(ob->store, nt->id, &f, &n, &err)) != STORE_OK) {
		log_warn("notice %" PRId64 ": %s", nt->id, err.msg);
		return -1;	/* the lease runs out; tried again later */
	}
	qsort(f, n, sizeof(*f), fact_cmp);
	if (n == 0) {
		a.fatal = 1;
		snprintf(a.error, sizeof(a.error), "no events (purged?)");
	} else if (strcmp(nt->channel, "email") == 0) {
		send_email(ob, nt, f, n, now, &a);
	} else if (strcmp(nt->channel, "webhook") == 0) {
		send_webhook(ob, nt, f, n, now, &a);
	} else {
		a.fatal = 1;
		snprintf(a.error, sizeof(a.error), "unknown channel");
	}
	store_facts_free(f, n);
	if (c->dry_run && c->dry_keep) {
		if (a.fatal)
			fprintf(c->dry_run, "--- notice %" PRId64 " %s %s: would "
				"be a dead letter: %s\n", nt->id, nt->channel,
				nt->target, a.error);
		if (store_outbox_release(ob->store, nt->id, c->owner, &err)
		    != STORE_OK)
			log_warn("notice %" PRId64 ": release: %s", nt->id,
				 err.msg);
		return 0;
	}
	if (a.fatal) {
		dec.verdict = RETRY_DEAD;
		dec.why = "cannot be sent";
	} else {
		dec = retry_decide(&c->retry, a.cls, (int)nt->attempts + 1,
				   (now - nt->created) * 1000,
				   a.retry_after_ms, next_rnd(ob));
	}
	switch (dec.verdict) {
	case RETRY_DONE:
		oc = STORE_NOTICE_SENT;
		ob->stats.sent++;
		break;
	case RETRY_LATER:
		oc = STORE_NOTICE_RETRY;
		next = now + (dec.delay_ms + 999) / 1000;
		ob->stats.retried++;
		break;
	case RETRY_DISABLE:
		if ((ep = endpoint_of(ob, nt->target, &wc, &slack)) >= 0)
			ob->webhook_disabled |= 1u << ep;
		if (store_endpoint_disable(ob->store, nt->target, now,
					   a.error, &err) != STORE_OK)
			log_warn("endpoint %s: %s", nt->target, err.msg);
		log_warn("webhook endpoint %s answered 410 Gone: disabled "
			 "(kept in the store; see plainbounce status)",
			 nt->target);
		/* FALLTHROUGH */
	default:
		oc = STORE_NOTICE_DEAD;
		ob->stats.dead++;
		break;
	}
	if (oc != STORE_NOTICE_SENT)
		log_info("notice %" PRId64 " %s %s: %s (%s)", nt->id,
			 nt->channel, nt->target, dec.why,
			 a.error[0] ? a.error : "no detail");
	rc = store_outbox_finish(ob->store, nt->id, c->owner, now, oc, next,
				 oc == STORE_NOTICE_SENT ? NULL : a.error,
				 &err);
	if (rc == STORE_NOTFOUND) {
		ob->stats.lost_lease++;
		log_warn("notice %" PRId64 ": lease ran out before the outcome "
			 "was recorded", nt->id);
	} else if (rc != STORE_OK) {
		log_warn("notice %" PRId64 ": %s", nt->id, err.msg);
		return -1;
	}
	return 0;
}

int
outbox_deliver(struct outbox *ob, int64_t now, volatile sig_atomic_t *stop)
{
	const struct outbox_conf *c = ob->conf;
	struct store_notice *v = NULL;
	struct store_err err;
	size_t n = 0, i;
	int64_t t = now;
	int rc;

	rc = store_delivery_lease(ob->store, c->owner, now, c->lease_secs,
				  c->batch, &v, &n, &err);
	if (rc != STORE_OK) {
		if (rc == STORE_RETRY)
			return 0;
		log_warn("delivery lease: %s", err.msg);
		return -1;
	}
	for (i = 0; i < n && !(stop && *stop); i++) {
		t = c->clock ? c->clock() : now;
		if (t - now >= (c->lease_secs + 1) / 2)
			break;		/* the rest would outlive our lease */
		deliver_one(ob, &v[i], t);
	}
	/* what was left unsent goes back at once, not after the lease */
	for (; i < n; i++)
		store_outbox_release(ob->store, v[i].id, c->owner, &err);
	store_notices_free(v, n);
	return (int)n;
}
