/*
 * outbox.h - the responder's worker: route events to notices, then
 * render, send, retry and dead-letter them.
 *
 * Owns the two steps between the store and the transports.  Routing
 * leases the watcher's route rows, groups the events of one message and
 * kind (after responder.group_delay), asks the policy who is told, and in
 * one transaction marks the route rows done and creates the delivery
 * rows (email to the sender or the helpdesk, webhook to the endpoint).
 * Delivery leases due delivery rows, renders them from the templates and
 * the stored facts, sends them and records the verdict of retry.h.
 *
 * Guarantees: a notice is leased before it is sent and finished after,
 * so a crash loses none (the lease runs out and it is sent again, with
 * the same webhook-id and Message-ID) and two workers never hold the same
 * one; the clock is an argument (now, in unix seconds), never read here;
 * a send in progress is always finished before *stop is looked at.
 */
#ifndef PB_OUTBOX_H
#define PB_OUTBOX_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "mailer.h"
#include "notice.h"
#include "policy.h"
#include "retry.h"
#include "store.h"
#include "webhook.h"

#define OUTBOX_RATE_WINDOW	3600	/* seconds of responder.sender_rate */
#define OUTBOX_MSG_MAX		(4 * 1024 * 1024) /* bytes of one notice */
#define OUTBOX_MSGID_PREFIX	"plainbounce.notice."

/* One more webhook endpoint (notice.webhooks); extra[i] is routed by
 * policy.extra[i] and its delivery rows have target == name. */
struct outbox_endpoint {
	const char *name;
	int slack;			/* {"text": ...} instead of the body */
	struct webhook_client *client;	/* NULL: routed, never posted */
};

struct outbox_conf {
	struct policy_conf policy;
	const char *owner;		/* unique per worker: host:pid */
	int64_t lease_secs;
	int64_t group_delay_secs;
	size_t batch;
	const char *helpdesk_address;	/* "" or NULL: none */
	const char *webhook_name;	/* endpoint name, NULL: none */
	int webhook_slack;		/* {"text": ...} instead of the body */
	struct outbox_endpoint extra[POLICY_MAX_EXTRA];
	size_t n_extra;			/* as policy.n_extra */
	struct retry_policy retry;
	struct mailer_conf mailer;
	const char *from_addr;
	const char *from_name;
	const char *msgid_domain;
	FILE *dry_run;			/* print here instead of sending */
	int dry_keep;			/* with dry_run: leave printed notices
					   queued instead of marking them sent */
	/* the caller's clock, asked before each send so a long batch signs
	 * with a fresh webhook-timestamp and stops before its leases run
	 * out; NULL: the `now` given to outbox_deliver throughout */
	int64_t (*clock)(void);
};

struct outbox_stats {
	int64_t routed;			/* events routed */
	int64_t created;		/* delivery rows created */
	int64_t sent, retried, dead;	/* delivery attempts by verdict */
	int64_t lost_lease;		/* outcomes another worker owned */
};

struct outbox {
	struct store *store;
	const struct outbox_conf *conf;
	const struct notice_templates *templates;
	struct webhook_client *webhook;	/* NULL: none configured */
	/* endpoints that answered 410: bit 0 notice.webhook's, bit 1 + i
	 * conf->extra[i]'s */
	unsigned webhook_disabled;
	uint32_t rnd;			/* jitter state (xorshift) */
	struct outbox_stats stats;
};

/* outbox_init - a worker over store; seed makes the jitter reproducible */
void outbox_init(struct outbox *ob, struct store *s,
		 const struct outbox_conf *c,
		 const struct notice_templates *t,
		 struct webhook_client *wc, uint32_t seed);

/*
 * outbox_route - route the due route rows (one batch).  Returns the
 * number of route rows done, or -1 on a store error (logged).
 */
int outbox_route(struct outbox *ob, int64_t now);

/*
 * outbox_deliver - send one batch of due delivery rows; stops early
 * (after the send in progress) when *stop becomes non-zero, or when half
 * the lease has passed, and hands what it did not send back at once.
 * Returns the number of rows leased, or -1 on a store error (logged).
 */
int outbox_deliver(struct outbox *ob, int64_t now,
		   volatile sig_atomic_t *stop);

/*
 * outbox_webhook_body - the JSON body of a webhook notice about facts
 * (one message and kind), as documented in plainbounce-responder(8);
 * with slack, {"text": subject + text}.  Returns 0, or -1 with why.
 */
int outbox_webhook_body(const struct notice_templates *t,
			const char *id, const struct store_fact *facts,
			size_t n, int slack, struct buf *out,
			struct buf *why);

/* outbox_format_time - "Sat 28 Nov 2026 05:04 UTC"; pure */
void outbox_format_time(int64_t t, char *out, size_t size);

/*
 * outbox_format_time_locale - the time as notices in locale show it: "de"
 * (and de_*) gives "Samstag, 28. November 2026, 05:04 UTC", any other
 * locale outbox_format_time's English; pure, independent of setlocale
 */
void outbox_format_time_locale(int64_t t, const char *locale, char *out,
			       size_t size);

/*
 * outbox_format_duration_locale - in words for a notice, the largest unit
 * and the next: "4 days and 3 hours", "1 hour", in "de" "4 Tage und 3
 * Stunden"; "" when negative or out does not hold it.  Pure.
 */
void outbox_format_duration_locale(int64_t secs, const char *locale,
				   char *out, size_t size);

#endif
