/*
 * watch_events.h - from correlation events to the store's events.
 *
 * Pure: a correlator event (or an open message at a tick), the options
 * and "now" in, at most one event out; nothing read from the clock, no
 * I/O.  Decides the kind (bounced, expired, deferred_long,
 * delivered_after_delay), classifies the reply (reason, last_reason, who
 * acts), counts attempts, finds the first deferral, computes until when
 * Postfix keeps trying, whether the event is historical, and the unique
 * key that makes it one per (message, recipient, kind) across restarts
 * and re-imports: instance, queue ID, arrival time, recipient (and
 * orig_to), kind.
 */
#ifndef PB_WATCH_EVENTS_H
#define PB_WATCH_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "corr.h"

enum watch_ev_kind {
	WATCH_EV_BOUNCED,
	WATCH_EV_EXPIRED,
	WATCH_EV_DEFERRED_LONG,
	WATCH_EV_DELIVERED_AFTER_DELAY,
	WATCH_EV_KIND_COUNT
};

struct watch_ev_opts {
	int64_t defer_notice_after;	/* seconds after arrival */
	int64_t queue_lifetime;		/* seconds: maximal_queue_lifetime */
	int64_t max_event_age;		/* older events are historical */
	bool historical;		/* import, first start: all historical */
};

#define WATCH_EV_UKEY_MAX (3 * CORR_MAX_TEXT + 128)

struct watch_ev {
	enum watch_ev_kind kind;
	const struct corr_msg *msg;
	const struct corr_rcpt *rcpt;
	const struct corr_attempt *attempt;	/* the words, or NULL */
	int64_t occurred;		/* when it happened (log time) */
	int64_t arrival;		/* the message's arrival (key time) */
	enum reason reason, last_reason;
	enum actor actor;
	unsigned smtp_code;		/* 0 none */
	char dsn[12];			/* "" none */
	unsigned attempts;		/* delivery attempts seen */
	int64_t first_deferral;		/* 0 never deferred */
	int64_t retry_until;		/* arrival + queue lifetime */
	bool historical;
	bool needs_deferred_long;	/* delivered_after_delay: keep it
					 * only if deferred_long was recorded */
	char ukey[WATCH_EV_UKEY_MAX];
};

/* watch_ev_opts_init - defaults: 4h, 5d, 1h, live */
void watch_ev_opts_init(struct watch_ev_opts *o);

/*
 * watch_ev_from_corr - the store event a correlator event makes, if any:
 * FINAL bounced -> bounced, FINAL expired -> expired, FINAL delivered
 * after deferrals -> delivered_after_delay (kept by the caller only when
 * a deferred_long exists), DEFERRED past defer_notice_after ->
 * deferred_long.  Returns true when *out was filled.  cls may be NULL
 * (reason unknown).
 */
bool watch_ev_from_corr(const struct classifier *cls,
			const struct watch_ev_opts *o,
			const struct corr_event *ce, int64_t now,
			struct watch_ev *out);

/*
 * watch_ev_deferred_long - the tick's check of one open recipient: true
 * with *out filled when it is deferred and now is past arrival +
 * defer_notice_after.
 */
bool watch_ev_deferred_long(const struct classifier *cls,
			    const struct watch_ev_opts *o,
			    const struct corr_msg *m,
			    const struct corr_rcpt *r, int64_t now,
			    struct watch_ev *out);

/* watch_ev_kind_name - the store's name: "bounced", "deferred_long" ... */
const char *watch_ev_kind_name(enum watch_ev_kind k);

/* watch_ev_arrival - the message's key time: arrival, else first line */
int64_t watch_ev_arrival(const struct corr_msg *m);

#endif
