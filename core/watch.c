/*
 * watch.c - the watcher's pipeline (see watch.h): parse, correlate,
 * derive events, write the store in the caller's batch transaction.
 *
 * The correlator reports through a callback that cannot fail, so the
 * first store error of a batch is kept in the pipeline and returned by
 * watch_line; the caller then rolls back and restarts from the last
 * commit, which is always consistent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "logline.h"
#include "logread.h"
#include "watch.h"
#include "xalloc.h"

#define WATCH_CACHE_KIB	(24 * 1024)	/* SQLite pages kept in memory */
#define WATCH_MSG_CACHE	1024		/* message rows remembered per batch */
#define WATCH_WAL_PAGES	8000		/* ~32 MiB of WAL per checkpoint */
#define WATCH_STATE_MAX	(1024u * 1024 * 1024)	/* saved open state */

struct watch {
	struct store *store;
	const struct classifier *cls;
	struct watch_ev_opts opts;
	struct corr *corr;
	struct logline_opts lopts;
	bool in_txn;
	int rc;				/* first store error of the batch */
	struct store_err err;
	int64_t now;			/* clock of the line being fed */
	struct buf state;
	struct watch_counts counts;
	/* messages written in this batch, to spare a lookup per event;
	 * emptied at each commit and rollback, so never stale */
	struct msg_slot {
		int64_t id;		/* 0 = empty */
		int64_t arrival;
		const char *instance;	/* interned by corr */
		unsigned facts;		/* FACT_* the row was given */
		char qid[CORR_MAX_QID + 1];
	} cache[WATCH_MSG_CACHE];
};

#define FACT_MSGID	1u
#define FACT_SENDER	2u
#define FACT_SIZE	4u

static void on_event(void *arg, const struct corr_event *ev);

/* corr_for - a correlator whose lifetime covers the queue lifetime */
static struct corr *
corr_for(struct watch *w)
{
	struct corr_opts co;

	corr_opts_init(&co);
	co.lifetime = w->opts.queue_lifetime + 86400;
	co.on_event = on_event;
	co.arg = w;
	return corr_new(&co);
}

struct watch *
watch_new(struct store *s, const struct classifier *cls,
	  const struct watch_ev_opts *o, bool local_is_utc)
{
	struct watch *w = xcalloc(1, sizeof(*w));

	w->store = s;
	w->cls = cls;
	(void)store_tune_writer(s, WATCH_CACHE_KIB, WATCH_WAL_PAGES, NULL);
	w->opts = *o;
	w->corr = corr_for(w);
	logline_opts_init(&w->lopts, 0);
	w->lopts.local_is_utc = local_is_utc;
	buf_init(&w->state, WATCH_STATE_MAX);
	return w;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->in_txn)
		store_txn_rollback(w->store);
	corr_free(w->corr);
	buf_free(&w->state);
	free(w);
}

void
watch_set_opts(struct watch *w, const struct watch_ev_opts *o,
	       const struct classifier *cls)
{
	bool hist = w->opts.historical;

	w->opts = *o;
	w->opts.historical = hist;
	w->cls = cls;
}

void
watch_set_historical(struct watch *w, bool on)
{
	w->opts.historical = on;
}

int
watch_restore(struct watch *w, const char *source, char **cursor,
	      struct store_err *err)
{
	struct buf why;
	void *state;
	size_t len;
	int rc;

	rc = store_cursor_get(w->store, source, cursor, &state, &len, err);
	if (rc != STORE_OK)
		return rc;
	if (state != NULL) {
		buf_init(&why, 512);
		if (corr_restore(w->corr, state, len, &why) < 0) {
			/* keep going from the cursor; say what was lost */
			log_error("%s: saved message state unreadable (%s): "
				  "messages in flight start anew", source,
				  buf_str(&why));
		}
		buf_free(&why);
		free(state);
	}
	return STORE_OK;
}

int
watch_begin(struct watch *w, struct store_err *err)
{
	int rc = store_txn_begin(w->store, err);

	if (rc == STORE_OK) {
		w->in_txn = true;
		w->rc = STORE_OK;
		memset(w->cache, 0, sizeof(w->cache));
	}
	return rc;
}

bool
watch_in_txn(const struct watch *w)
{
	return w->in_txn;
}

void
watch_rollback(struct watch *w)
{
	if (w->in_txn)
		store_txn_rollback(w->store);
	w->in_txn = false;
	memset(w->cache, 0, sizeof(w->cache));
}

/* submission_of - what the log alone says about how mail came in */
static const char *
submission_of(const struct corr_msg *m)
{
	if (m->sasl_username != NULL)
		return STORE_SUBMIT_AUTHENTICATED;
	if (m->origin == CORR_FROM_PICKUP)
		return STORE_SUBMIT_LOCAL;
	return NULL;
}

/* split_client - "name[addr]" into its two parts (bounded copies) */
static void
split_client(const char *client, char *name, size_t nsize, char *addr,
	     size_t asize)
{
	const char *lb, *rb;

	name[0] = addr[0] = '\0';
	if (client == NULL)
		return;
	lb = strchr(client, '[');
	rb = lb ? strrchr(lb, ']') : NULL;
	if (lb == NULL || rb == NULL) {
		snprintf(name, nsize, "%s", client);
		return;
	}
	snprintf(name, nsize, "%.*s", (int)(lb - client), client);
	snprintf(addr, asize, "%.*s", (int)(rb - lb - 1), lb + 1);
}

/* slot_of - the cache slot of a message key */
static struct msg_slot *
slot_of(struct watch *w, const char *qid, int64_t arrival)
{
	uint64_t h = (uint64_t)arrival * UINT64_C(0x9e3779b97f4a7c15);
	const char *p;

	for (p = qid; *p; p++)
		h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
	return &w->cache[h % WATCH_MSG_CACHE];
}

/* put_message - the message's row; skipped when this batch wrote it */
static int
put_message(struct watch *w, const struct corr_msg *m, bool closed,
	    int64_t *id)
{
	char name[CORR_MAX_TEXT + 1], addr[CORR_MAX_TEXT + 1];
	char msgid[CORR_MAX_TEXT + 3];
	struct store_log_msg lm;
	int64_t arrival = watch_ev_arrival(m);
	struct msg_slot *slot = slot_of(w, m->qid, arrival);
	unsigned facts = (m->message_id ? FACT_MSGID : 0) |
	    (m->have_sender ? FACT_SENDER : 0) | (m->size >= 0 ? FACT_SIZE : 0);
	int rc;

	if (!closed && slot->id != 0 && slot->arrival == arrival &&
	    slot->instance == m->instance && strcmp(slot->qid, m->qid) == 0 &&
	    (facts & ~slot->facts) == 0) {
		*id = slot->id;
		return STORE_OK;
	}
	split_client(m->client, name, sizeof(name), addr, sizeof(addr));
	memset(&lm, 0, sizeof(lm));
	lm.instance = m->instance;
	lm.queue_id = m->qid;
	lm.first_seen = arrival;
	/* as Postfix logs it and the milter records it: <...> */
	if (m->message_id != NULL)
		snprintf(msgid, sizeof(msgid), m->message_id[0] == '<' ?
			 "%s" : "<%s>", m->message_id);
	lm.message_id = m->message_id ? msgid : NULL;
	lm.sender = m->have_sender ? m->sender : NULL;
	lm.size = m->size;
	lm.client_name = name[0] ? name : NULL;
	lm.client_addr = addr[0] ? addr : NULL;
	lm.sasl_user = m->sasl_username;
	lm.submission = submission_of(m);
	lm.closed = closed;
	rc = store_watch_message(w->store, &lm, id, &w->err);
	if (rc == STORE_OK) {
		slot->id = closed ? 0 : *id;	/* freed after CLOSED */
		slot->arrival = arrival;
		slot->instance = m->instance;
		slot->facts = facts;
		snprintf(slot->qid, sizeof(slot->qid), "%s", m->qid);
	}
	return rc;
}

/* state_name - the recipients.state value, or NULL when not stored */
static const char *
state_name(enum corr_state s)
{
	switch (s) {
	case CORR_RCPT_PENDING:
		return "pending";
	case CORR_RCPT_DEFERRED:
		return "deferred";
	case CORR_RCPT_DELIVERED:
		return "sent";
	case CORR_RCPT_BOUNCED:
		return "bounced";
	case CORR_RCPT_EXPIRED:
		return "expired";
	case CORR_RCPT_REJECTED:
		return "rejected";
	default:
		return NULL;		/* deleted by the admin, probes */
	}
}

/* status_name - the attempt's status word as Postfix writes it */
static const char *
status_name(enum logline_status s)
{
	switch (s) {
	case LL_STATUS_SENT:
		return "sent";
	case LL_STATUS_DEFERRED:
		return "deferred";
	case LL_STATUS_BOUNCED:
		return "bounced";
	case LL_STATUS_EXPIRED:
		return "expired";
	case LL_STATUS_FORCE_EXPIRED:
		return "force-expired";
	case LL_STATUS_UNDELIVERABLE:
		return "undeliverable";
	case LL_STATUS_DELIVERABLE:
		return "deliverable";
	default:
		return "other";
	}
}

/* put_rcpt - the message, the recipient and (when given) one attempt */
static int
put_rcpt(struct watch *w, const struct corr_msg *m, const struct corr_rcpt *r,
	 const struct corr_attempt *a, int64_t *msg_id, int64_t *rcpt_id)
{
	const char *state = state_name(r->state);
	int rc;

	*rcpt_id = 0;
	if ((rc = put_message(w, m, false, msg_id)) != STORE_OK ||
	    state == NULL)
		return rc;
	rc = store_watch_recipient(w->store, *msg_id, r->addr, r->orig_to,
				   state, r->final_time ? r->final_time
				   : a ? a->time : 0, rcpt_id, &w->err);
	if (rc != STORE_OK || a == NULL)
		return rc;
	return store_watch_attempt(w->store, *rcpt_id, a->time,
				   status_name(a->status), a->relay, a->dsn,
				   a->delay, a->reply, &w->err);
}

/* put_event - one derived event with its message and recipient rows */
static int
put_event(struct watch *w, const struct watch_ev *e, int64_t msg_id,
	  int64_t rcpt_id)
{
	struct store_event se;
	char reply[CORR_MAX_TEXT + 1];
	int64_t id;
	int found, rc;

	if (e->needs_deferred_long) {
		rc = store_event_has(w->store, rcpt_id, "deferred_long",
				     &found, &w->err);
		if (rc != STORE_OK || !found)
			return rc;
	}
	memset(&se, 0, sizeof(se));
	se.message = msg_id;
	se.recipient = rcpt_id;
	se.kind = watch_ev_kind_name(e->kind);
	se.reason = reason_name(e->reason);
	se.last_reason = reason_name(e->last_reason);
	se.actor = actor_name(e->actor);
	se.dsn = e->dsn;
	se.smtp_code = e->smtp_code;
	snprintf(reply, sizeof(reply), "%s",
		 e->attempt && e->attempt->reply ? e->attempt->reply : "");
	se.reply = reply[0] ? reply : NULL;
	se.relay = e->attempt ? e->attempt->relay : NULL;
	se.attempts = e->attempts;
	se.first_deferral = e->first_deferral;
	se.retry_until = e->retry_until;
	se.occurred = e->occurred;
	se.ukey = e->ukey;
	se.historical = e->historical;
	rc = store_watch_event(w->store, &se, w->now, &id, &w->err);
	if (rc == STORE_OK && id == 0 && !e->historical &&
	    (e->kind == WATCH_EV_BOUNCED || e->kind == WATCH_EV_EXPIRED)) {
		/* a final outcome seen twice live: a line was fed twice */
		w->counts.repeats++;
		log_warn("event %s %s %s: to=<%s> derived twice", se.kind,
			 e->msg->instance, e->msg->qid, e->rcpt->addr);
		rc = store_watch_counter(w->store, STORE_COUNTER_EVENT_REPEATS,
					 1, &w->err);
	}
	if (rc == STORE_OK && id != 0) {
		w->counts.events++;
		if (!e->historical)
			w->counts.notices++;
		if (!e->historical)
			log_info("event %s %s %s: to=<%s> reason=%s: routed "
				 "to the responder", se.kind, e->msg->instance,
				 e->msg->qid, e->rcpt->addr, se.reason);
	}
	return rc;
}

/* on_event - the correlator settled something: store it */
static void
on_event(void *arg, const struct corr_event *ce)
{
	struct watch *w = arg;
	struct watch_ev e;
	int64_t msg_id, rcpt_id;
	int rc;

	if (w->rc != STORE_OK || !w->in_txn || ce->msg->qid[0] == '\0')
		return;
	switch (ce->kind) {
	case CORR_EV_DEFERRED:
	case CORR_EV_FINAL:
		rc = put_rcpt(w, ce->msg, ce->rcpt, ce->attempt, &msg_id,
			      &rcpt_id);
		if (rc == STORE_OK && rcpt_id != 0 &&
		    watch_ev_from_corr(w->cls, &w->opts, ce, w->now, &e))
			rc = put_event(w, &e, msg_id, rcpt_id);
		break;
	case CORR_EV_CLOSED:
		rc = put_message(w, ce->msg, true, &msg_id);
		break;
	default:
		rc = STORE_OK;
		break;
	}
	w->rc = rc;
}

int
watch_line(struct watch *w, const char *text, size_t len, int64_t ref_time,
	   int64_t now, struct store_err *err)
{
	struct logline ll;

	if (!w->in_txn)
		abort();		/* caller bug: no batch open */
	w->lopts.ref_time = ref_time;
	w->counts.lines++;
	if (logline_parse(&ll, text, len, &w->lopts) < LL_OTHER)
		return STORE_OK;
	w->counts.postfix++;
	w->now = now ? now : ll.time;
	corr_feed(w->corr, &ll, w->now);
	if (w->rc != STORE_OK && err)
		*err = w->err;
	return w->rc;
}

struct tick {
	struct watch *w;
	int64_t now;
};

/* tick_msg - deferred_long for each long-deferred recipient of m */
static bool
tick_msg(void *arg, const struct corr_msg *m)
{
	struct tick *t = arg;
	struct watch *w = t->w;
	const struct corr_rcpt *r;
	struct watch_ev e;
	int64_t msg_id, rcpt_id;

	for (r = m->rcpts; r != NULL && w->rc == STORE_OK; r = r->next) {
		if (!watch_ev_deferred_long(w->cls, &w->opts, m, r, t->now,
					    &e))
			continue;
		w->rc = put_rcpt(w, m, r, NULL, &msg_id, &rcpt_id);
		if (w->rc == STORE_OK && rcpt_id != 0)
			w->rc = put_event(w, &e, msg_id, rcpt_id);
	}
	return w->rc == STORE_OK;
}

int
watch_tick(struct watch *w, int64_t now, struct store_err *err)
{
	struct tick t = { w, now };

	if (!w->in_txn)
		abort();
	w->now = now;
	corr_sweep(w->corr, now);
	corr_foreach(w->corr, tick_msg, &t);
	if (w->rc != STORE_OK && err)
		*err = w->err;
	return w->rc;
}

int
watch_gap(struct watch *w, const char *source, const struct watch_gap *g,
	  int64_t now, struct store_err *err)
{
	if (!w->in_txn)
		abort();
	w->counts.gaps++;
	log_warn("GAP in %s: %s (from %s to %s)", source, g->note,
		 g->from[0] ? g->from : "?", g->to[0] ? g->to : "?");
	return store_gap_add(w->store, source, now, g->from, g->to, g->note,
			     err);
}

int
watch_commit(struct watch *w, const char *source, const char *cursor,
	     int64_t now, struct store_err *err)
{
	int rc;

	if (!w->in_txn)
		abort();
	if (w->rc != STORE_OK) {
		*err = w->err;
		return w->rc;
	}
	if (source != NULL) {
		buf_reset(&w->state);
		if (corr_save(w->corr, &w->state) < 0) {
			snprintf(err->msg, sizeof(err->msg), "open message "
				 "state larger than %u bytes", WATCH_STATE_MAX);
			return STORE_FAIL;
		}
		rc = store_cursor_put(w->store, source, cursor,
				      w->state.data, w->state.len, now, err);
		if (rc != STORE_OK)
			return rc;
	}
	rc = store_txn_commit(w->store, err);
	w->in_txn = false;
	memset(w->cache, 0, sizeof(w->cache));
	if (rc == STORE_OK)
		w->counts.commits++;
	return rc;
}

struct store *
watch_store(const struct watch *w)
{
	return w->store;
}

void
watch_counts(const struct watch *w, struct watch_counts *out)
{
	*out = w->counts;
}

int
watch_import(struct watch *w, const char **paths, size_t n, size_t batch,
	     void (*progress)(void *arg, uint64_t bytes, uint64_t lines),
	     void *arg, struct buf *why)
{
	struct logread *r;
	struct logread_line line;
	struct store_err err;
	size_t inbatch = 0;
	int got;

	logread_order(paths, n);
	w->opts.historical = true;
	r = logread_open(paths, n, 0);
	while ((got = logread_next(r, &line, why)) != 0) {
		if (got < 0) {
			log_error("import: %s", buf_str(why));
			buf_reset(why);
			continue;
		}
		if (!w->in_txn && watch_begin(w, &err) != STORE_OK)
			goto fail;
		if (watch_line(w, line.text.p, line.text.len, line.mtime, 0,
			       &err) != STORE_OK)
			goto fail;
		if (++inbatch >= batch) {
			if (watch_commit(w, NULL, NULL, 0, &err) != STORE_OK)
				goto fail;
			inbatch = 0;
			if (progress)
				progress(arg, logread_bytes(r),
					 w->counts.lines);
		}
	}
	if (w->in_txn && watch_commit(w, NULL, NULL, 0, &err) != STORE_OK)
		goto fail;
	if (progress)
		progress(arg, logread_bytes(r), w->counts.lines);
	logread_close(r);
	return 0;
fail:
	buf_reset(why);
	buf_addf(why, "store: %s", err.msg);
	watch_rollback(w);
	logread_close(r);
	return -1;
}
