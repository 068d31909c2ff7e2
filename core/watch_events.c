/*
 * watch_events.c - derive the store's events from correlation events.
 *
 * Owns the event rules of the watcher (see watch_events.h).  Pure: no
 * clock, no I/O, no allocation; the unique key is built from the
 * message's identity in the log, never from anything that changes
 * between a live run and a re-import of the same lines.
 */
#include <stdio.h>
#include <string.h>

#include "watch_events.h"

static const char *const kind_names[WATCH_EV_KIND_COUNT] = {
	[WATCH_EV_BOUNCED] = "bounced",
	[WATCH_EV_EXPIRED] = "expired",
	[WATCH_EV_DEFERRED_LONG] = "deferred_long",
	[WATCH_EV_DELIVERED_AFTER_DELAY] = "delivered_after_delay",
};

void
watch_ev_opts_init(struct watch_ev_opts *o)
{
	o->defer_notice_after = 4 * 3600;
	o->queue_lifetime = 5 * 86400;
	o->max_event_age = 3600;
	o->historical = false;
}

const char *
watch_ev_kind_name(enum watch_ev_kind k)
{
	return (unsigned)k < WATCH_EV_KIND_COUNT ? kind_names[k] : "?";
}

int64_t
watch_ev_arrival(const struct corr_msg *m)
{
	return m->arrival_time ? m->arrival_time : m->first_time;
}

/* worded - the latest attempt that has words (expiry has none) */
static const struct corr_attempt *
worded(const struct corr_rcpt *r)
{
	unsigned i;

	for (i = r->nkept; i > 0; i--)
		if (r->attempts[i - 1].reply != NULL)
			return &r->attempts[i - 1];
	return NULL;
}

/* classify - reason, last reason and actor of the recipient's failure */
static void
classify(const struct classifier *cls, enum classify_status status,
	 const struct corr_attempt *a, int64_t tried_for, struct watch_ev *e)
{
	struct classify_input in;
	struct classify_result res;

	classify_input_init(&in);
	in.status = status;
	in.tried_for = tried_for;
	if (a != NULL) {
		classify_input_from_attempt(&in, a);
	}
	if (cls == NULL) {
		e->reason = e->last_reason = status == CLS_STATUS_EXPIRED ?
		    REASON_DELIVERY_EXPIRED : REASON_UNKNOWN;
		e->actor = classify_reason_actor(e->reason);
		return;
	}
	classify_reply(cls, &in, &res);
	e->reason = res.reason;
	e->last_reason = res.last_reason;
	e->actor = res.actor;
	if (res.smtp_code)
		e->smtp_code = res.smtp_code;
	if (res.dsn[0])
		memcpy(e->dsn, res.dsn, sizeof(e->dsn));
}

/* fill - what every kind shares: identity, counts, times, key */
static void
fill(const struct watch_ev_opts *o, enum watch_ev_kind kind,
     const struct corr_msg *m, const struct corr_rcpt *r,
     int64_t occurred, int64_t now, struct watch_ev *e)
{
	unsigned i;
	int n;

	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->msg = m;
	e->rcpt = r;
	e->occurred = occurred;
	e->arrival = watch_ev_arrival(m);
	e->attempts = r->nattempts;
	for (i = 0; i < r->nkept; i++)
		if (r->attempts[i].status == LL_STATUS_DEFERRED) {
			e->first_deferral = r->attempts[i].time;
			break;
		}
	e->retry_until = e->arrival + o->queue_lifetime;
	e->historical = o->historical || now - occurred > o->max_event_age;
	e->attempt = worded(r);
	if (e->attempt != NULL) {
		e->smtp_code = e->attempt->smtp_code;
		memcpy(e->dsn, e->attempt->dsn, sizeof(e->dsn));
		e->dsn[sizeof(e->dsn) - 1] = '\0';
	}
	n = snprintf(e->ukey, sizeof(e->ukey), "%s/%s/%lld/%s/%s/%s",
		     m->instance, m->qid, (long long)e->arrival, r->addr,
		     r->orig_to ? r->orig_to : "", kind_names[kind]);
	if (n < 0 || (size_t)n >= sizeof(e->ukey))
		e->ukey[sizeof(e->ukey) - 1] = '\0';	/* bounded inputs */
}

/* deferred_long - r deferred and at is past the threshold */
static bool
deferred_long(const struct classifier *cls, const struct watch_ev_opts *o,
	      const struct corr_msg *m, const struct corr_rcpt *r, int64_t at,
	      int64_t now, struct watch_ev *out)
{
	int64_t arrival = watch_ev_arrival(m);

	if (r->state != CORR_RCPT_DEFERRED || m->qid[0] == '\0' ||
	    arrival == 0 || at - arrival < o->defer_notice_after)
		return false;
	/* it became long when the threshold passed, not when we looked */
	fill(o, WATCH_EV_DEFERRED_LONG, m, r, arrival + o->defer_notice_after,
	     now, out);
	classify(cls, CLS_STATUS_DEFERRED, out->attempt, -1, out);
	return true;
}

bool
watch_ev_deferred_long(const struct classifier *cls,
		       const struct watch_ev_opts *o, const struct corr_msg *m,
		       const struct corr_rcpt *r, int64_t now,
		       struct watch_ev *out)
{
	return deferred_long(cls, o, m, r, now, now, out);
}

bool
watch_ev_from_corr(const struct classifier *cls, const struct watch_ev_opts *o,
		   const struct corr_event *ce, int64_t now,
		   struct watch_ev *out)
{
	const struct corr_msg *m = ce->msg;
	const struct corr_rcpt *r = ce->rcpt;
	int64_t arrival;

	if (r == NULL || m->qid[0] == '\0')
		return false;
	arrival = watch_ev_arrival(m);
	if (ce->kind == CORR_EV_DEFERRED)
		return deferred_long(cls, o, m, r, ce->time, now, out);
	if (ce->kind != CORR_EV_FINAL)
		return false;
	switch (r->state) {
	case CORR_RCPT_BOUNCED:
		fill(o, WATCH_EV_BOUNCED, m, r, ce->time, now, out);
		classify(cls, CLS_STATUS_BOUNCED, out->attempt, -1, out);
		return true;
	case CORR_RCPT_EXPIRED:
		fill(o, WATCH_EV_EXPIRED, m, r, ce->time, now, out);
		classify(cls, CLS_STATUS_EXPIRED, out->attempt,
			 arrival && ce->time >= arrival ? ce->time - arrival
							: -1, out);
		return true;
	case CORR_RCPT_DELIVERED:
		if (r->ndeferred == 0)
			return false;
		fill(o, WATCH_EV_DELIVERED_AFTER_DELAY, m, r, ce->time, now,
		     out);
		out->reason = out->last_reason = REASON_DELIVERED;
		out->actor = classify_reason_actor(REASON_DELIVERED);
		out->needs_deferred_long = true;
		return true;
	default:
		return false;
	}
}
