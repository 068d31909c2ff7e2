/*
 * store.h - the SQLite store: the contract between milter, watcher,
 * responder and the CLI.
 *
 * One struct store is one connection, used by one thread.  The database
 * runs in WAL mode so readers never block the writer; every writer
 * transaction starts with BEGIN IMMEDIATE so lock waits happen at the
 * start (bounded by busy_timeout) and never mid-transaction.  The schema
 * is versioned with PRAGMA user_version and migrated forward at open;
 * docs/store.md documents every table.
 *
 * Errors are graded as in Postfix: STORE_RETRY means another process held
 * the lock longer than busy_timeout (try again later, nothing was
 * written); STORE_FAIL is anything else, with SQLite's message in the
 * caller's struct store_err.  A failed call leaves no partial write.
 */
#ifndef PB_STORE_H
#define PB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION	4

enum store_status {
	STORE_OK = 0,
	STORE_NOTFOUND = 1,
	STORE_RETRY = -1,		/* busy/locked: try again later */
	STORE_FAIL = -2			/* anything else; see store_err */
};

struct store_err {
	char msg[256];
};

struct store;

/* flags for store_open */
#define STORE_READONLY	(1 << 0)	/* no create, no migration */

/*
 * store_open - open (creating if needed) path, set WAL and busy_timeout,
 * and migrate the schema to STORE_SCHEMA_VERSION.  A database written by
 * a newer plainbounce (user_version too high) is refused with STORE_FAIL.
 */
int store_open(struct store **sp, const char *path, int busy_timeout_ms,
	       int flags, struct store_err *err);

/* store_close - finalize statements and close; NULL is a no-op */
void store_close(struct store *s);

/*
 * store_tune_writer - for a connection that writes a lot (the watcher):
 * cache up to kib KiB of pages (SQLite's default is 2 MiB), and let the
 * WAL grow to wal_pages before a checkpoint (default 1000), so fewer
 * checkpoints wait for the disk
 */
int store_tune_writer(struct store *s, int kib, int wal_pages,
		      struct store_err *err);

/*
 * store_tune_import - for `plainbounce import` only: this connection
 * skips the schema's CHECK constraints (PRAGMA ignore_check_constraints:
 * each IN list costs SQLite a temporary table per row; the import writes
 * the same fixed words as the watcher, whose writes are checked).  It
 * keeps synchronous = NORMAL: the store is shared with the daemons, and a
 * power loss must not damage it for a faster backfill.  Other
 * connections keep their own settings; on false restores this one's.
 */
int store_tune_import(struct store *s, bool on, struct store_err *err);

/*
 * store_lean_process - before the first store_open of a process that
 * only imports: SQLite keeps no memory statistics (a global lock on
 * every allocation)
 */
void store_lean_process(void);

/* store_version - the schema version found on disk after open */
int store_version(const struct store *s);

/* store_migration_count - migrations known to this build (tests) */
int store_migration_count(void);

/* Submission kinds, as the milter decided them. */
#define STORE_SUBMIT_AUTHENTICATED	"authenticated"
#define STORE_SUBMIT_TRUSTED		"trusted"
#define STORE_SUBMIT_LOCAL		"local"
#define STORE_SUBMIT_INBOUND		"inbound"

struct store_milter_rcpt {
	char *address;			/* {rcpt_addr} */
	char *notify;			/* RFC 3461 NOTIFY= value, or NULL */
};

/* What the milter saw for one accepted message.  NULL = absent. */
struct store_milter_record {
	char *instance;			/* milter.instance (syslog name) */
	char *queue_id;			/* {i} */
	int64_t recorded_at;		/* unix seconds at end of message */
	char *message_id;
	char *subject;			/* decoded, bounded, safe UTF-8 */
	char *from_header;		/* decoded, bounded, safe UTF-8 */
	char *auto_submitted;
	char *precedence;
	char *list_id;
	char *sender;			/* {mail_addr}; "" = null sender */
	char *sasl_user;		/* {auth_authen} */
	char *client_name;
	char *client_addr;
	char *daemon_name;		/* {daemon_name} */
	const char *submission;		/* one of STORE_SUBMIT_* */
	struct store_milter_rcpt *rcpts;
	size_t nrcpts;
	int64_t id;			/* row id from store_milter_find */
};

/* store_milter_record_free - free the strings, the array and rec itself */
void store_milter_record_free(struct store_milter_record *rec);

/*
 * store_milter_put - write n records with their recipients, and add
 * dropped to the "milter_dropped" counter, in one transaction.  Either
 * all of it is written or none.
 */
int store_milter_put(struct store *s, struct store_milter_record *const *recs,
		     size_t n, int64_t dropped, struct store_err *err);

/*
 * Transactions for callers that group several writes (the watcher: the
 * events derived from a batch of lines and the cursor after them commit
 * together, so a restart neither loses nor repeats an event).  Calls
 * marked "in a transaction" below must run between store_txn_begin and
 * store_txn_commit; the others make their own transaction and must not.
 */
int store_txn_begin(struct store *s, struct store_err *err);	/* IMMEDIATE */
int store_txn_commit(struct store *s, struct store_err *err);
/* store_txn_rollback - abandon the open transaction (no-op without one) */
void store_txn_rollback(struct store *s);

/*
 * store_cursor_put - in a transaction: a source's position and its opaque
 * correlation state (state may be NULL with len 0).
 */
int store_cursor_put(struct store *s, const char *source, const char *cursor,
		     const void *state, size_t len, int64_t now,
		     struct store_err *err);

/*
 * store_cursor_get - a source's saved position and state, as new strings
 * (*cursor may be NULL if none was saved, *state NULL when empty);
 * STORE_NOTFOUND for a source never saved.
 */
int store_cursor_get(struct store *s, const char *source, char **cursor,
		     void **state, size_t *len, struct store_err *err);

/* store_gap_add - in a transaction: the source lost from_pos..to_pos */
int store_gap_add(struct store *s, const char *source, int64_t now,
		  const char *from_pos, const char *to_pos, const char *note,
		  struct store_err *err);

/* store_gap_count - gaps recorded for a source (NULL: all sources) */
int store_gap_count(struct store *s, const char *source, int64_t *n,
		    struct store_err *err);

/* How far apart a milter record and the log's arrival may be to join. */
#define STORE_MILTER_JOIN_WINDOW	600	/* seconds */

/*
 * store_milter_find - the milter's record of one message, for the
 * watcher's join: same instance and queue ID, recorded within
 * STORE_MILTER_JOIN_WINDOW of arrival, and, when both sides know a
 * Message-ID (message_id not NULL), the same one; the record nearest to
 * arrival wins (Message-IDs compare without their angle brackets).
 * On STORE_OK *rec is a new record with its recipients
 * (free it with store_milter_record_free); STORE_NOTFOUND when none.
 */
int store_milter_find(struct store *s, const char *instance,
		      const char *queue_id, const char *message_id,
		      int64_t arrival, struct store_milter_record **rec,
		      struct store_err *err);

/*
 * Webhook endpoints disabled after 410 Gone: kept in the store so a
 * restart (or another responder) does not post to them again.
 * store_endpoint_disable records name (idempotent: the first time is
 * kept); store_endpoint_disabled sets *disabled to 0 or 1;
 * store_endpoints_disabled calls fn for each, by name;
 * store_endpoint_enable forgets name again (the admin's say, after the
 * receiver was fixed): STORE_NOTFOUND when it was not disabled.
 */
int store_endpoint_disable(struct store *s, const char *name, int64_t now,
			   const char *why, struct store_err *err);
int store_endpoint_enable(struct store *s, const char *name,
			  struct store_err *err);
int store_endpoint_disabled(struct store *s, const char *name, int *disabled,
			    struct store_err *err);
int store_endpoints_disabled(struct store *s,
			     void (*fn)(void *arg, const char *name,
					int64_t at, const char *why),
			     void *arg, struct store_err *err);

/* store_counter_add - add delta to a named counter (created at 0) */
int store_counter_add(struct store *s, const char *name, int64_t delta,
		      struct store_err *err);

/* store_counter_get - a counter's value; 0 when it was never written */
int store_counter_get(struct store *s, const char *name, int64_t *value,
		      struct store_err *err);

/*
 * The notice outbox (responder side).  A notice is leased by one owner
 * for lease_secs: no other owner gets it while the lease runs, so two
 * responders never send the same notice; when an owner dies its lease
 * runs out and another takes the notice over (so a notice sent just
 * before a crash may go out twice, under the same webhook_id, never be
 * lost).
 */
struct store_notice {
	int64_t id;
	char *channel;			/* "route", "email" or "webhook" */
	char *target;			/* address or endpoint name */
	int64_t attempts;		/* attempts before this one */
	char *webhook_id;		/* stable across retries; NULL for email */
	int64_t created;
	int64_t *events;		/* events.id covered by this notice */
	size_t nevents;
};

enum store_outcome {
	STORE_NOTICE_SENT,		/* done */
	STORE_NOTICE_RETRY,		/* try again at next_attempt */
	STORE_NOTICE_DEAD		/* give up: dead letter */
};

/*
 * store_outbox_add - queue a notice for events[0..nevents), due at now
 * (watcher side).  *id receives the new notice's id.
 */
int store_outbox_add(struct store *s, const char *channel, const char *target,
		     const int64_t *events, size_t nevents,
		     const char *webhook_id, int64_t now, int64_t *id,
		     struct store_err *err);

/*
 * store_outbox_lease - lease up to max notices that are due (pending with
 * next_attempt <= now, or leased with an expired lease), oldest due
 * first, to owner until now + lease_secs.  *notices is a new array of *n
 * notices (store_notices_free); *n may be 0.
 */
int store_outbox_lease(struct store *s, const char *owner, int64_t now,
		       int64_t lease_secs, size_t max,
		       struct store_notice **notices, size_t *n,
		       struct store_err *err);

/*
 * store_outbox_finish - record the outcome of an attempt by owner: one
 * more attempt, the error text (or NULL), and the new state.  Returns
 * STORE_NOTFOUND when owner no longer holds the lease (it expired and
 * another owner took the notice): the outcome is then not recorded.
 */
int store_outbox_finish(struct store *s, int64_t id, const char *owner,
			int64_t now, enum store_outcome outcome,
			int64_t next_attempt, const char *error,
			struct store_err *err);

/* store_notices_free - free an array from store_outbox_lease */
void store_notices_free(struct store_notice *v, size_t n);

/*
 * store_purge - delete what is older than before (unix seconds), since it
 * holds personal data (store.retention): milter records, messages with
 * their recipients, attempts and events, notices that were sent or given
 * up, and gaps.  Pending and leased notices stay whatever their age.
 * Works in short transactions of at most 1000 rows, so other writers wait
 * at most one of them.  *deleted counts the rows deleted directly (not
 * the recipients, attempts and events that go with a message).
 */
int store_purge(struct store *s, int64_t before, int64_t *deleted,
		struct store_err *err);

/*
 * The watcher's side.  Every call below runs in the caller's transaction
 * (store_txn_begin), so the facts and events derived from a batch of log
 * lines commit together with the cursor after them.
 */

/* What the log says about one message; NULL / -1 = the log did not say. */
struct store_log_msg {
	const char *instance;		/* syslog name: "postfix" */
	const char *queue_id;
	int64_t first_seen;		/* arrival (qmgr), else first line:
					 * with instance and queue ID the key */
	const char *message_id;
	const char *sender;		/* "" = null sender */
	int64_t size;
	const char *client_name, *client_addr;
	const char *sasl_user;
	const char *submission;		/* STORE_SUBMIT_* the log implies */
	int closed;			/* removed from the queue */
};

/*
 * store_watch_message - in a transaction: find or create the message's
 * row.  A new row is joined with the milter's record (store_milter_find
 * on instance, queue ID, Message-ID and first_seen); each fact's *_src
 * column says whether the milter or the log gave it.  An existing row
 * only gains facts it lacked and the closed flag.
 */
int store_watch_message(struct store *s, const struct store_log_msg *m,
			int64_t *id, struct store_err *err);

/*
 * store_watch_message_add - in a transaction: create the message's row
 * as store_watch_message does for a new one (milter join, *_src), in one
 * statement; *id = 0 and nothing written when the row is already there.
 * The import's bulk path: a whole message written once when it closes.
 */
int store_watch_message_add(struct store *s, const struct store_log_msg *m,
			    int64_t *id, struct store_err *err);

/*
 * store_watch_recipient - in a transaction: find or create (message,
 * address, orig) and set its state ("pending", "deferred", "sent",
 * "bounced", "expired", "rejected") as of state_at.
 */
int store_watch_recipient(struct store *s, int64_t msg, const char *address,
			  const char *orig, const char *state,
			  int64_t state_at, int64_t *id,
			  struct store_err *err);

/*
 * store_watch_recipient_add - in a transaction: a recipient row of a
 * message store_watch_message_add just created (no lookup: the caller
 * knows the row is new), with its state as of state_at.
 */
int store_watch_recipient_add(struct store *s, int64_t msg,
			      const char *address, const char *orig,
			      const char *state, int64_t state_at,
			      int64_t *id, struct store_err *err);

/*
 * store_watch_attempt - in a transaction: one delivery attempt; the same
 * (recipient, time, status) again is ignored, so a re-import adds none.
 * delay < 0 = unknown.
 */
int store_watch_attempt(struct store *s, int64_t rcpt, int64_t at,
			const char *status_word, const char *relay,
			const char *dsn, double delay, const char *reply,
			struct store_err *err);

/* The outbox channel the watcher uses: the responder routes these. */
#define STORE_ROUTE_CHANNEL	"route"

/* One event as stored (see docs/store.md, table events). */
struct store_event {
	int64_t message, recipient;	/* rows; recipient 0 = none */
	const char *kind;		/* bounced, expired, deferred_long,
					 * delivered_after_delay */
	const char *reason, *last_reason, *actor;
	const char *dsn, *reply, *relay;
	unsigned smtp_code;		/* 0 = none */
	int64_t attempts;		/* delivery attempts seen */
	int64_t first_deferral;		/* 0 = never deferred */
	int64_t retry_until;		/* arrival + queue lifetime */
	int64_t occurred;		/* when it happened (log time) */
	const char *ukey;		/* unique: one per message/rcpt/kind */
	int historical;			/* never notified */
};

/*
 * store_watch_event - in a transaction: record e unless its ukey is
 * already there (then *id = 0 and nothing is written).  A new event that
 * is not historical gets one outbox row (channel STORE_ROUTE_CHANNEL,
 * target "") linked to it through outbox_events, in the same
 * transaction.
 */
int store_watch_event(struct store *s, const struct store_event *e,
		      int64_t now, int64_t *id, struct store_err *err);

/* store_watch_counter - in a transaction: add delta to a named counter */
int store_watch_counter(struct store *s, const char *name, int64_t delta,
			struct store_err *err);

/*
 * Counter of final events (bounced, expired) that were derived again
 * although not historical: a log line fed twice.  Stays 0 when the
 * watcher's exactly-once holds.
 */
#define STORE_COUNTER_EVENT_REPEATS	"watcher_event_repeats"

/* store_event_has - *found = 1 when recipient has an event of kind */
int store_event_has(struct store *s, int64_t recipient, const char *kind,
		    int *found, struct store_err *err);

/* store_event_has_key - *found = 1 when an event has this unique key */
int store_event_has_key(struct store *s, const char *ukey, int *found,
			struct store_err *err);

/* What `plainbounce status` shows; counts over the whole store. */
struct store_overview {
	int64_t events, events_historical;
	int64_t outbox_pending, outbox_leased, outbox_sent, outbox_dead;
	int64_t oldest_pending;		/* created of the oldest pending, 0 */
	int64_t milter_dropped;		/* STORE_COUNTER_MILTER_DROPPED */
	int64_t event_repeats;		/* STORE_COUNTER_EVENT_REPEATS */
	int64_t gaps;
};

struct store_source_status {
	const char *source;		/* "file:/var/log/mail.log" */
	const char *cursor;		/* NULL when none */
	int64_t updated;		/* last commit */
	int64_t gaps;			/* gaps recorded for it */
};

struct store_gap_row {
	const char *source;
	int64_t detected;
	const char *from_pos, *to_pos, *note;
};

/*
 * store_overview - the counts into *o, each source to each_source, and
 * the last max_gaps gaps (newest first) to each_gap; callbacks may be
 * NULL.  Read-only: works on a STORE_READONLY connection.
 */
int store_overview(struct store *s, struct store_overview *o,
		   void (*each_source)(void *arg,
				       const struct store_source_status *src),
		   void (*each_gap)(void *arg, const struct store_gap_row *g),
		   size_t max_gaps, void *arg, struct store_err *err);

/* What `plainbounce trace --store` asks for; NULL fields match anything. */
struct store_trace_query {
	const char *queue_id, *to, *from, *message_id, *domain;
	int64_t since, until;		/* unix seconds, 0 = open: a message
					 * matches when its arrival or a
					 * recipient's last change falls on
					 * or after since, and it arrived by
					 * until */
	size_t max;			/* messages at most, newest first */
};

/* One row of a trace, in order: a message, then per recipient the
 * recipient, its attempts (oldest first) and its events. */
enum store_trace_kind {
	STORE_TRACE_MESSAGE,
	STORE_TRACE_RECIPIENT,
	STORE_TRACE_ATTEMPT,
	STORE_TRACE_EVENT
};

struct store_trace_row {
	enum store_trace_kind kind;
	/* column values by name; NULL when absent (see docs/store.md) */
	const char *v[16];
	const char *const *names;	/* names[i] labels v[i]; NULL ends */
};

/*
 * store_trace - the messages that match q with their recipients,
 * attempts and events, as rows to emit.  Read-only.  *n is the number of
 * messages found.
 */
/* store_trace_sql - the lookup store_trace runs for q (tests read its
 * plan); -1 when out is too small */
#define STORE_TRACE_ID_MAX 998		/* longest Message-ID looked up */
int store_trace_sql(const struct store_trace_query *q, char *out,
		    size_t size);
int store_trace(struct store *s, const struct store_trace_query *q,
		void (*emit)(void *arg, const struct store_trace_row *row),
		void *arg, size_t *n, struct store_err *err);

/*
 * Messages, recipients and events as the watcher records them (tests use
 * these too, since the store is the contract).  Each call is its own
 * transaction.  from_milter says whether the facts came from the
 * milter's record ("milter") or from the log ("log").
 */
struct store_message_in {
	const char *instance;
	const char *queue_id;
	int64_t first_seen;
	const char *message_id;
	const char *sender;		/* "" = null sender */
	const char *sasl_user;
	const char *client_addr;
	const char *submission;		/* STORE_SUBMIT_* or NULL */
	const char *subject;
	const char *from_header;
	const char *auto_submitted;
	const char *precedence;
	const char *list_id;
	int from_milter;
};

/* store_message_add - one message; *id receives its id */
int store_message_add(struct store *s, const struct store_message_in *m,
		      int64_t *id, struct store_err *err);

/* store_recipient_add - one recipient of message, NOTIFY= as given */
int store_recipient_add(struct store *s, int64_t message, const char *address,
			const char *notify, int64_t *id,
			struct store_err *err);

struct store_event_in {
	int64_t message;
	int64_t recipient;		/* 0: none */
	const char *kind;		/* bounced, expired, ... */
	const char *reason;		/* reason_name() */
	const char *who_acts;		/* actor_name() */
	const char *dsn;
	const char *reply;
	const char *ukey;		/* unique: message/recipient/kind */
	int historical;			/* never notified */
};

/*
 * store_event_add - one event and, unless historical, in the same
 * transaction its route row (channel "route", target "") for the
 * responder.  A duplicate ukey fails whole (STORE_FAIL).
 */
int store_event_add(struct store *s, const struct store_event_in *e,
		    int64_t now, int64_t *id, struct store_err *err);

/* Everything the responder knows about one event of one outbox row. */
struct store_fact {
	int64_t outbox;			/* the route or delivery row */
	int64_t event;
	int64_t message;
	char *kind, *reason, *who_acts, *dsn, *reply;
	int64_t created;		/* when the event was recorded */
	char *instance, *queue_id;
	int64_t first_seen;
	char *message_id;
	char *sender, *sender_src;
	char *submission, *submission_src;
	char *subject, *from_header;
	char *auto_submitted, *precedence, *list_id, *headers_src;
	char *recipient, *notify;	/* NULL when the event has none */
	int64_t attempts;		/* delivery attempts recorded */
	char *relay;			/* the last attempt's relay */
	char *last_reason;		/* reason of the last deferral, or NULL */
	int64_t retry_until;		/* when Postfix gives up; 0 unknown */
	int64_t first_deferral;		/* first deferral's time; 0 none */
	int64_t occurred;		/* the event's log line time; 0 unknown */
};

/* store_facts_free - free an array of facts */
void store_facts_free(struct store_fact *v, size_t n);

/* store_facts - the facts of every event of one outbox row */
int store_facts(struct store *s, int64_t outbox, struct store_fact **facts,
		size_t *n, struct store_err *err);

/*
 * store_route_lease - lease up to max due route rows whose message's
 * oldest waiting route row is at least group_delay seconds old (so the
 * failed recipients of one message travel together), and return the
 * facts of their events, ordered by message.
 */
int store_route_lease(struct store *s, const char *owner, int64_t now,
		      int64_t lease_secs, int64_t group_delay, size_t max,
		      struct store_fact **facts, size_t *n,
		      struct store_err *err);

/* store_sender_recent - email notices for sender created after since */
int store_sender_recent(struct store *s, const char *sender, int64_t since,
			int64_t *n, struct store_err *err);

/* One delivery row to create when routing. */
struct store_delivery {
	const char *channel;		/* "email" or "webhook" */
	const char *target;		/* address or endpoint name */
	const char *webhook_id;		/* stable id, or NULL */
	int64_t due;			/* > now: held back (digest) */
	const int64_t *events;
	size_t nevents;
};

/*
 * store_route_commit - in one transaction: mark the route rows done (all
 * must still be leased by owner, else STORE_NOTFOUND and nothing is
 * written) and create the delivery rows.  An event already linked to a
 * notice on the same channel and target is skipped (one notice per
 * event and target); a held delivery joins the pending held row for its
 * target when there is one, so held events make one digest.
 */
int store_route_commit(struct store *s, const char *owner, int64_t now,
		       const int64_t *routes, size_t nroutes,
		       const struct store_delivery *d, size_t nd,
		       struct store_err *err);

/* store_delivery_lease - store_outbox_lease for every channel but route */
int store_delivery_lease(struct store *s, const char *owner, int64_t now,
			 int64_t lease_secs, size_t max,
			 struct store_notice **notices, size_t *n,
			 struct store_err *err);

/* One outbox row as the notices CLI lists it (borrowed strings). */
struct store_outbox_row {
	int64_t id;
	const char *channel, *target, *state, *last_error, *webhook_id;
	int64_t attempts, next_attempt, created, nevents;
};

/*
 * store_outbox_list - call fn for each delivery row (route rows are
 * internal) in state (NULL: pending and leased), by id; fn returning
 * non-zero stops the walk.
 */
int store_outbox_list(struct store *s, const char *state,
		      int (*fn)(const struct store_outbox_row *, void *),
		      void *arg, struct store_err *err);

/*
 * store_outbox_resend - a dead (or sent) delivery row back to pending,
 * due now, attempts reset, same webhook-id; STORE_NOTFOUND otherwise.
 */
int store_outbox_resend(struct store *s, int64_t id, int64_t now,
			struct store_err *err);

/*
 * store_outbox_release - give a leased row back untouched (no attempt
 * counted, due as before): a dry run's printed notices stay queued.
 * STORE_NOTFOUND when owner does not hold it.
 */
int store_outbox_release(struct store *s, int64_t id, const char *owner,
			 struct store_err *err);

/* The name of the counter of milter records that could not be stored. */
#define STORE_COUNTER_MILTER_DROPPED	"milter_dropped"

#endif
