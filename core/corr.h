/*
 * corr.h - per-message correlation of parsed Postfix log lines.
 *
 * Owns the state that turns interleaved log lines into messages: lines are
 * grouped per (host, instance, queue ID); each message keeps where it came
 * from (smtpd client or pickup uid, SASL user), its Message-ID, sender,
 * size and recipient count, and per recipient a timeline of delivery
 * attempts with a final state.  A message closes at qmgr's `removed`, so a
 * reused short queue ID starts a new message.  A content-filter hop
 * ("queued as NEWID") and a bounce or delay notice's own queue ID
 * ("sender non-delivery notification: NEWID") are linked both ways.
 *
 * Streaming: corr_feed() takes one parsed line and reports what it
 * settled through a callback (recipient final, deferral, message closed,
 * message dropped).  Time is always an argument: the line's own time and
 * the "now" used to drop messages never removed, after
 * maximal_queue_lifetime plus a margin.  Memory is bounded by the messages
 * in flight; each message keeps its text in one small arena of its own,
 * hosts and instances are interned once.  Open state can be saved to a
 * text blob and restored exactly (the watcher stores it with its cursor).
 *
 * Everything returned is owned by the correlator and valid until the
 * message is freed: after its CLOSED or DROPPED event returns, or at
 * corr_free().
 */
#ifndef PB_CORR_H
#define PB_CORR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "logline.h"

#define CORR_MAX_ATTEMPTS 32	/* kept per recipient; later ones replace
				 * the last kept, and are still counted */
#define CORR_MAX_TEXT 1000	/* one reply or field kept, in bytes */
#define CORR_MAX_ARENA (1024 * 1024) /* text + recipients of one message */
#define CORR_MAX_QID 32		/* longer "queue IDs" are not Postfix's */

/* Where a recipient stands. */
enum corr_state {
	CORR_RCPT_PENDING = 0,	/* no attempt seen yet */
	CORR_RCPT_DEFERRED,	/* last attempt deferred: not final */
	CORR_RCPT_DELIVERED,	/* final: status=sent */
	CORR_RCPT_BOUNCED,	/* final: status=bounced */
	CORR_RCPT_EXPIRED,	/* final: the message expired (or force-) */
	CORR_RCPT_REJECTED,	/* final: refused by our smtpd/cleanup */
	CORR_RCPT_DELETED,	/* final: removed by the admin (postsuper -d) */
	CORR_RCPT_VERIFIED,	/* final: an address verification probe */
	CORR_STATE_COUNT
};

/* How the message entered the queue. */
enum corr_origin {
	CORR_FROM_UNKNOWN = 0,
	CORR_FROM_SMTPD,	/* smtpd client= */
	CORR_FROM_PICKUP,	/* local submission: pickup uid= */
	CORR_FROM_NOTICE,	/* made by Postfix's bounce daemon */
	CORR_ORIGIN_COUNT
};

/* Why two messages are linked. */
enum corr_link {
	CORR_LINK_NONE = 0,
	CORR_LINK_FILTER,	/* content filter re-injection: "queued as" */
	CORR_LINK_NON_DELIVERY,	/* sender non-delivery notification */
	CORR_LINK_DELAY,	/* sender delay notification */
	CORR_LINK_SUCCESS,	/* sender delivery status notification */
	CORR_LINK_POSTMASTER,	/* postmaster ... notification */
	CORR_LINK_COUNT
};

/* How a message's life in the correlator ended (or not yet). */
enum corr_end {
	CORR_END_OPEN = 0,	/* still in flight */
	CORR_END_REMOVED,	/* qmgr/postsuper: removed */
	CORR_END_REJECTED,	/* NOQUEUE reject, or rejected in cleanup */
	CORR_END_DROPPED,	/* never removed: dropped after the lifetime */
	CORR_END_COUNT
};

/* One delivery attempt (or the expiry) of one recipient. */
struct corr_attempt {
	int64_t time;		/* UTC seconds */
	int32_t usec;
	enum logline_status status;
	enum logline_command command;	/* what the remote answered */
	float delay;		/* delay=, -1 when absent */
	float delays[4];	/* a/b/c/d, -1 when absent */
	char dsn[12];		/* "5.1.1", or "" */
	unsigned smtp_code;	/* 550, or 0 */
	const char *daemon;	/* "smtp", "lmtp", "local" ... (interned) */
	const char *relay;	/* relay= as written, or NULL */
	const char *reply;	/* the text in parentheses after status= */
	const char *remote_qid;	/* "queued as X" in a 250 reply, or NULL */
};

struct corr_rcpt {
	struct corr_rcpt *next;
	const char *addr;	/* to= without the brackets */
	const char *orig_to;	/* orig_to=, or NULL */
	enum corr_state state;
	unsigned nattempts;	/* all attempts seen (may exceed nkept) */
	unsigned ndeferred;	/* of which deferred */
	unsigned nkept;		/* attempts[] entries kept */
	int64_t final_time;	/* when the state became final, or 0 */
	struct corr_attempt *attempts;	/* nkept entries, oldest first */
	unsigned cap;		/* allocated entries in attempts[] */
};

/* A link to another message by its key. */
struct corr_linkref {
	struct corr_linkref *next;
	enum corr_link kind;
	const char *qid;	/* the other message's queue ID */
	const char *instance;	/* its instance, or NULL when not yet seen */
};

struct corr_msg {
	/* key */
	const char *host;	/* interned */
	const char *instance;	/* interned: "postfix", "postfix-mx" */
	const char *qid;	/* "" for a NOQUEUE reject */

	int64_t first_time;	/* first line seen */
	int64_t last_time;	/* last line seen */
	int64_t arrival_time;	/* qmgr's first from= line, or 0 */
	int64_t end_time;	/* removed / rejected / dropped, or 0 */
	enum corr_end end;

	enum corr_origin origin;
	const char *client;	/* "host[ip]" (smtpd client=), or NULL */
	const char *sasl_method, *sasl_username;
	long uid;		/* pickup uid=, or -1 */
	const char *message_id;	/* as logged by cleanup (with <>), or NULL */
	const char *sender;	/* envelope sender without <> ("" = null) */
	bool have_sender;
	int64_t size;		/* -1 when unknown */
	int nrcpt;		/* qmgr nrcpt=, -1 when unknown */
	bool expired;		/* status=expired seen */
	bool force_expired;	/* status=force-expired or postsuper -e */
	bool held;		/* placed on hold (and not released) */
	bool truncated;		/* the arena limit was hit: some text lost */

	/* reject (NOQUEUE, or the whole message in cleanup) */
	const char *reject_action;	/* "reject", "milter-reject",
					 * "discard", "defer", ... */
	const char *reject_stage;	/* "RCPT", "END-OF-MESSAGE", ... */
	const char *reject_reply;	/* the reply given to the client */

	/* links */
	struct corr_linkref parent;	/* kind NONE when there is none */
	const char *parent_sender;	/* the parent's sender, for notices */
	const char *parent_message_id;
	struct corr_linkref *children;	/* oldest first */

	struct corr_rcpt *rcpts;	/* in order of first appearance */
	unsigned nrcpts;

	/* private to corr.c */
	struct corr_priv *priv;
};

enum corr_event_kind {
	CORR_EV_DEFERRED,	/* a recipient's attempt was deferred */
	CORR_EV_FINAL,		/* a recipient reached a final state */
	CORR_EV_CLOSED,		/* the message ended (removed / rejected) */
	CORR_EV_DROPPED,	/* never removed; dropped after the lifetime */
	CORR_EV_COUNT
};

struct corr_event {
	enum corr_event_kind kind;
	const struct corr_msg *msg;
	const struct corr_rcpt *rcpt;	/* DEFERRED, FINAL; else NULL */
	const struct corr_attempt *attempt; /* the attempt, or NULL */
	int64_t time;			/* when it happened */
};

typedef void corr_event_fn(void *arg, const struct corr_event *ev);

struct corr_opts {
	int64_t lifetime;	/* maximal_queue_lifetime + margin, seconds:
				 * an open message older than this (from its
				 * arrival) is dropped */
	int64_t unqueued_lifetime; /* a message that never reached qmgr
				 * (aborted session, cleanup reject without
				 * log) is dropped this long after its last
				 * line */
	corr_event_fn *on_event;	/* may be NULL */
	void *arg;
};

/* Counters, for status output and tests. */
struct corr_stats {
	uint64_t lines;		/* lines fed */
	uint64_t used;		/* lines that changed a message */
	uint64_t open;		/* messages in flight now */
	uint64_t max_open;	/* most messages in flight at once */
	uint64_t closed, dropped, rejected;
	uint64_t linked;	/* links made (filter hops and notices) */
	uint64_t arena_bytes;	/* bytes held by open messages */
	uint64_t truncated;	/* messages that hit the arena limit */
};

struct corr;

/* corr_opts_init - defaults: lifetime 5d + 1d, unqueued 1h, no callback */
void corr_opts_init(struct corr_opts *o);

/* corr_new - an empty correlator */
struct corr *corr_new(const struct corr_opts *o);

/* corr_free - free every message without events */
void corr_free(struct corr *c);

/*
 * corr_feed - apply one parsed line.  The line's time is ll->time (now
 * when that is 0); now also drives dropping of stale messages.  Returns
 * true when the line changed some message.  Events are delivered before
 * it returns; a message whose CLOSED event has been delivered is freed.
 */
bool corr_feed(struct corr *c, const struct logline *ll, int64_t now);

/*
 * corr_sweep - drop messages older than the lifetimes at now (DROPPED
 * events); corr_feed does this once a minute of log time by itself.
 */
void corr_sweep(struct corr *c, int64_t now);

/* corr_flush - report every open message as DROPPED and free it (EOF) */
void corr_flush(struct corr *c, int64_t now);

/* corr_lookup - the open message with this key, or NULL */
const struct corr_msg *corr_lookup(const struct corr *c, const char *host,
				   const char *instance, const char *qid);

/* corr_foreach - visit every open message, oldest first; stop on false */
void corr_foreach(const struct corr *c,
		  bool (*fn)(void *arg, const struct corr_msg *m), void *arg);

/* corr_stats - the counters */
void corr_stats(const struct corr *c, struct corr_stats *out);

/*
 * corr_save - append the open state (every open message, pending links)
 * to out as versioned text.  Returns 0, or -1 when out is too small.
 */
int corr_save(const struct corr *c, struct buf *out);

/*
 * corr_restore - replace the open state of c with one saved by
 * corr_save.  Returns 0, or -1 with why (c is then empty).
 */
int corr_restore(struct corr *c, const char *text, size_t len,
		 struct buf *why);

/* names for output (stable: they appear in JSON and the store) */
const char *corr_state_name(enum corr_state s);
const char *corr_origin_name(enum corr_origin o);
const char *corr_link_name(enum corr_link k);
const char *corr_end_name(enum corr_end e);
const char *corr_event_name(enum corr_event_kind k);

/* corr_state_final - true when s is a final state */
bool corr_state_final(enum corr_state s);

/*
 * corr_dominant_phase - index 0..3 of the largest of delays a/b/c/d, or
 * -1 when absent; corr_phase_name: "before the queue manager", ...
 */
int corr_dominant_phase(const struct corr_attempt *a);
const char *corr_phase_name(int phase);

#endif
