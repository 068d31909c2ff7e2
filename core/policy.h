/*
 * policy.h - who is told about one event: the responder's routing policy.
 *
 * Owns the decision, for one event of one message, whether the sender,
 * the helpdesk address and the webhook endpoint get a notice, and the
 * per-sender rate limit.  Pure: facts and configuration in, a verdict
 * out; no clock, no store, no I/O.  Guarantees, for the sender: only mail
 * our own users submitted (authenticated, trusted network or local, with
 * a sender in local_domains) as the milter recorded it (the log's word
 * alone only with trust_log_only); never a null, MAILER-DAEMON,
 * postmaster, owner-* or *-request sender, never Auto-Submitted (other
 * than "no"), Precedence bulk/list/junk or List-Id mail; NOTIFY=NEVER and
 * a NOTIFY without FAILURE (bounced, expired) or DELAY (deferred_long,
 * delivered_after_delay) are honoured.  Loop guard, for everyone: a
 * message that is one of our own notices causes nothing.
 */
#ifndef PB_POLICY_H
#define PB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notice.h"
#include "reason.h"

/* Bits of a set of event kinds (1 << enum notice_kind). */
#define POLICY_KIND(k)		(1u << (k))
#define POLICY_ALL_KINDS	((1u << NOTICE_KIND_COUNT) - 1)

/*
 * More webhook endpoints (notice.webhooks): each has its own kinds and
 * skipped reasons; the endpoint of notice.webhook stays the `webhook`
 * fields below.
 */
#define POLICY_MAX_EXTRA	8

struct policy_endpoint {
	unsigned kinds;			/* POLICY_KIND bits */
	bool skip[REASON_COUNT];	/* reasons not posted */
};

struct policy_conf {
	const char *const *local_domains;	/* NULL-terminated */
	bool trust_log_only;		/* the log alone may name our users */
	unsigned sender_kinds;		/* POLICY_KIND bits */
	unsigned helpdesk_kinds;
	unsigned webhook_kinds;
	bool sender_skip[REASON_COUNT];	/* reasons the sender is not told */
	bool helpdesk_skip[REASON_COUNT]; /* ... the helpdesk address */
	bool webhook_skip[REASON_COUNT];  /* ... the webhook endpoint */
	bool helpdesk;			/* a helpdesk address is configured */
	bool webhook;			/* a webhook endpoint is configured */
	struct policy_endpoint extra[POLICY_MAX_EXTRA];
	size_t n_extra;			/* entries of extra in use */
	/* loop guard: what our own notices look like */
	const char *notice_from;	/* our From address */
	const char *notice_envelope;	/* our envelope sender ("" = <>) */
	const char *msgid_prefix;	/* left part of our Message-IDs */
	const char *msgid_domain;	/* right part of our Message-IDs */
	int64_t sender_rate;		/* sender notices per window; 0: no limit */
};

/* The facts of one event the policy looks at; NULL = unknown. */
struct policy_event {
	enum notice_kind kind;
	enum reason reason;
	const char *sender;		/* envelope sender; "" = null */
	bool facts_from_milter;		/* submission and headers: milter */
	const char *submission;		/* authenticated, trusted, local ... */
	const char *auto_submitted;
	const char *precedence;
	const char *list_id;
	const char *message_id;
	const char *notify;		/* the recipient's NOTIFY= */
};

struct policy_verdict {
	bool sender;			/* tell the sender */
	bool helpdesk;			/* tell the helpdesk address */
	bool webhook;			/* tell the webhook endpoint */
	unsigned extra;			/* bit i: tell extra endpoint i */
	const char *why;		/* why the sender is not told (static) */
};

/* policy_conf_default - every kind for everyone, no limit, nothing set */
void policy_conf_default(struct policy_conf *c);

/* policy_decide - who is told about ev */
struct policy_verdict policy_decide(const struct policy_conf *c,
				    const struct policy_event *ev);

/*
 * policy_is_our_notice - the loop guard alone: 1 when the message is one
 * of our own notices (its sender is our From or envelope address, its
 * Message-ID has our prefix or our domain).
 */
int policy_is_our_notice(const struct policy_conf *c,
			 const struct policy_event *ev);

/* policy_role_sender - 1 for null, MAILER-DAEMON, postmaster, owner-*,
 * *-request (case-insensitive; "+detail" and SRS/BATV forms included) */
int policy_role_sender(const char *sender);

/* policy_rate_hold - 1 when a sender with sent_in_window notices in the
 * current window must wait for the digest */
int policy_rate_hold(const struct policy_conf *c, int64_t sent_in_window);

/* policy_kind_from_name - "bounced" ... into *k; false when unknown */
bool policy_kind_from_name(const char *name, enum notice_kind *k);

#endif
