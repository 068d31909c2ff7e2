/*
 * watch.c - the watcher's pipeline (see watch.h): parse, correlate,
 * derive events, write the store in the caller's batch transaction.
 *
 * The correlator reports through a callback that cannot fail, so the
 * first store error of a batch is kept in the pipeline and returned by
 * watch_line; the caller then rolls back and restarts from the last
 * commit, which is always consistent.
 *
 * Import (watch_import) takes a bulk path: a message's recipient and
 * attempt writes are held until it closes, is dropped or the import
 * ends, then written once, one INSERT per row.  A message that already
 * has a row, whose facts changed on the way, or from which an event is
 * derived goes through the live path, its held writes replayed in order
 * first; either way the rows come out as the live path leaves them.
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

/* The message facts a row is written with, as the correlator knew them. */
struct facts {
	const char *instance;		/* interned by corr */
	const char *qid;
	int64_t arrival;		/* the row's key time */
	const char *message_id;		/* as logged (<> may be missing) */
	const char *sender;		/* NULL: not known */
	int64_t size;			/* -1: not known */
	const char *client;		/* "name[addr]", or NULL */
	const char *sasl;
	const char *submission;		/* STORE_SUBMIT_*, or NULL */
};

/* The rows one recipient event writes on the live path. */
struct wop {
	const struct corr_rcpt *rcpt;
	unsigned fi;			/* held: index in pend.facts */
	unsigned ri;			/* held: index in the msg's rcpts */
	const char *state;		/* recipients.state; NULL: no row */
	int64_t state_at;
	bool has_attempt;
	int64_t at;
	const char *status, *relay, *reply;
	char dsn[12];
	double delay;
};

/*
 * An imported message's writes, held until it ends (bulk path).  Text
 * is borrowed from the correlator's message, valid until its CLOSED or
 * DROPPED event returns, when the entry is dropped.
 */
struct pend {
	struct pend *next;		/* hash chain */
	const struct corr_msg *msg;	/* the key */
	bool live;			/* rows written: no more holding */
	unsigned nops, opcap, nfacts, factcap;
	struct wop *ops;		/* in the order they happened */
	struct facts *facts;		/* each version the message had */
};

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
	bool bulk;			/* in watch_import: hold rows */
	bool no_bulk;			/* watch_set_bulk(false) */
	struct pend **pend;		/* held messages, by pointer */
	size_t npend, pend_size;	/* entries; buckets (power of 2) */
	int64_t *rcpt_ids;		/* add_rows' scratch, per recipient */
	unsigned *rcpt_last;
	unsigned nscratch;
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
static void pend_clear(struct watch *w);

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
	w->lopts.skip_counters = true;	/* the correlator has no use for them */
	w->lopts.skip_peers = true;	/* nor for these */
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
	pend_clear(w);
	free(w->rcpt_ids);
	free(w->rcpt_last);
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
watch_set_bulk(struct watch *w, bool on)
{
	w->no_bulk = !on;
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

/* facts_of - the facts a row of m is written with, as corr knows them now */
static void
facts_of(const struct corr_msg *m, struct facts *f)
{
	f->instance = m->instance;
	f->qid = m->qid;
	f->arrival = watch_ev_arrival(m);
	f->message_id = m->message_id;
	f->sender = m->have_sender ? m->sender : NULL;
	f->size = m->size;
	f->client = m->client;
	f->sasl = m->sasl_username;
	f->submission = submission_of(m);
}

/* same_str - equal strings, NULL equal only to NULL */
static bool
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* facts_eq - a and b would write the same message row */
static bool
facts_eq(const struct facts *a, const struct facts *b)
{
	return a->arrival == b->arrival && a->size == b->size &&
	    a->instance == b->instance && same_str(a->qid, b->qid) &&
	    same_str(a->message_id, b->message_id) &&
	    same_str(a->sender, b->sender) && same_str(a->client, b->client) &&
	    same_str(a->sasl, b->sasl) && same_str(a->submission,
						    b->submission);
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

/* Text a store_log_msg points into while it is written. */
struct log_msg_text {
	char name[CORR_MAX_TEXT + 1], addr[CORR_MAX_TEXT + 1];
	char msgid[CORR_MAX_TEXT + 3];
};

/* log_msg_of - the store's view of facts f */
static void
log_msg_of(const struct facts *f, bool closed, struct log_msg_text *t,
	   struct store_log_msg *lm)
{
	split_client(f->client, t->name, sizeof(t->name), t->addr,
		     sizeof(t->addr));
	memset(lm, 0, sizeof(*lm));
	lm->instance = f->instance;
	lm->queue_id = f->qid;
	lm->first_seen = f->arrival;
	/* as Postfix logs it and the milter records it: <...> */
	if (f->message_id != NULL)
		snprintf(t->msgid, sizeof(t->msgid), f->message_id[0] == '<' ?
			 "%s" : "<%s>", f->message_id);
	lm->message_id = f->message_id ? t->msgid : NULL;
	lm->sender = f->sender;
	lm->size = f->size;
	lm->client_name = t->name[0] ? t->name : NULL;
	lm->client_addr = t->addr[0] ? t->addr : NULL;
	lm->sasl_user = f->sasl;
	lm->submission = f->submission;
	lm->closed = closed;
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
put_message(struct watch *w, const struct facts *f, bool closed, int64_t *id)
{
	struct log_msg_text t;
	struct store_log_msg lm;
	struct msg_slot *slot = slot_of(w, f->qid, f->arrival);
	unsigned facts = (f->message_id ? FACT_MSGID : 0) |
	    (f->sender ? FACT_SENDER : 0) | (f->size >= 0 ? FACT_SIZE : 0);
	int rc;

	if (!closed && slot->id != 0 && slot->arrival == f->arrival &&
	    slot->instance == f->instance && strcmp(slot->qid, f->qid) == 0 &&
	    (facts & ~slot->facts) == 0) {
		*id = slot->id;
		return STORE_OK;
	}
	log_msg_of(f, closed, &t, &lm);
	rc = store_watch_message(w->store, &lm, id, &w->err);
	if (rc == STORE_OK) {
		slot->id = closed ? 0 : *id;	/* freed after CLOSED */
		slot->arrival = f->arrival;
		slot->instance = f->instance;
		slot->facts = facts;
		snprintf(slot->qid, sizeof(slot->qid), "%s", f->qid);
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

/* op_of - the rows a recipient's event writes: state and attempt */
static void
op_of(const struct corr_rcpt *r, const struct corr_attempt *a,
      struct wop *op)
{
	memset(op, 0, sizeof(*op));
	op->rcpt = r;
	op->state = state_name(r->state);
	op->state_at = r->final_time ? r->final_time : a ? a->time : 0;
	if (a == NULL)
		return;
	/* a copy: corr reuses the last slot past CORR_MAX_ATTEMPTS; the
	 * text stays in the message's arena until it is freed */
	op->has_attempt = true;
	op->at = a->time;
	op->status = status_name(a->status);
	op->relay = a->relay;
	op->reply = a->reply;
	memcpy(op->dsn, a->dsn, sizeof(op->dsn));
	op->delay = a->delay;
}

/* write_op - the message, the recipient and (when given) one attempt */
static int
write_op(struct watch *w, const struct facts *f, const struct wop *op,
	 int64_t *msg_id, int64_t *rcpt_id)
{
	int rc;

	*rcpt_id = 0;
	if ((rc = put_message(w, f, false, msg_id)) != STORE_OK ||
	    op->state == NULL)
		return rc;
	rc = store_watch_recipient(w->store, *msg_id, op->rcpt->addr,
				   op->rcpt->orig_to, op->state,
				   op->state_at, rcpt_id, &w->err);
	if (rc != STORE_OK || !op->has_attempt)
		return rc;
	return store_watch_attempt(w->store, *rcpt_id, op->at, op->status,
				   op->relay, op->dsn, op->delay, op->reply,
				   &w->err);
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

/* live_event - a recipient's event written at once (e NULL: derive it) */
static int
live_event(struct watch *w, const struct corr_event *ce,
	   const struct watch_ev *e)
{
	struct facts f;
	struct wop op;
	struct watch_ev derived;
	int64_t msg_id, rcpt_id;
	int rc;

	facts_of(ce->msg, &f);
	op_of(ce->rcpt, ce->attempt, &op);
	rc = write_op(w, &f, &op, &msg_id, &rcpt_id);
	if (rc != STORE_OK || rcpt_id == 0)
		return rc;
	if (e == NULL && watch_ev_from_corr(w->cls, &w->opts, ce, w->now,
					    &derived))
		e = &derived;
	return e != NULL ? put_event(w, e, msg_id, rcpt_id) : STORE_OK;
}

/* ------------------------------------------------------------------ */
/* the import's bulk path: a message's rows written once, when it ends */

/* pend_hash - bucket of m (a pointer: messages are never moved) */
static size_t
pend_hash(const struct watch *w, const struct corr_msg *m)
{
	uint64_t h = (uint64_t)(uintptr_t)m * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 32) & (w->pend_size - 1);
}

/* pend_find - the held writes of m, or NULL */
static struct pend *
pend_find(const struct watch *w, const struct corr_msg *m)
{
	struct pend *p;

	if (w->npend == 0)
		return NULL;
	for (p = w->pend[pend_hash(w, m)]; p != NULL; p = p->next)
		if (p->msg == m)
			return p;
	return NULL;
}

/* pend_new - an empty entry for m (the table doubles as it fills) */
static struct pend *
pend_new(struct watch *w, const struct corr_msg *m)
{
	struct pend **old = w->pend, *p, *next;
	size_t i, n = w->pend_size;

	if (w->npend >= w->pend_size) {
		w->pend_size = n ? n * 2 : 1024;
		w->pend = xcalloc(w->pend_size, sizeof(*w->pend));
		for (i = 0; i < n; i++)
			for (p = old[i]; p != NULL; p = next) {
				next = p->next;
				p->next = w->pend[pend_hash(w, p->msg)];
				w->pend[pend_hash(w, p->msg)] = p;
			}
		free(old);
	}
	p = xcalloc(1, sizeof(*p));
	p->msg = m;
	p->next = w->pend[pend_hash(w, m)];
	w->pend[pend_hash(w, m)] = p;
	w->npend++;
	return p;
}

/* pend_drop - forget p (NULL: nothing) */
static void
pend_drop(struct watch *w, struct pend *p)
{
	struct pend **pp;

	if (p == NULL)
		return;
	for (pp = &w->pend[pend_hash(w, p->msg)]; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	w->npend--;
	free(p->ops);
	free(p->facts);
	free(p);
}

/* pend_clear - forget every held write (the import ended or failed) */
static void
pend_clear(struct watch *w)
{
	struct pend *p, *next;
	size_t i;

	for (i = 0; i < w->pend_size; i++)
		for (p = w->pend[i]; p != NULL; p = next) {
			next = p->next;
			free(p->ops);
			free(p->facts);
			free(p);
		}
	free(w->pend);
	w->pend = NULL;
	w->pend_size = w->npend = 0;
}

/* pend_hold - keep op, made with m's facts as they are now, for later */
static void
pend_hold(struct pend *p, const struct corr_msg *m, struct wop *op)
{
	const struct corr_rcpt *r;
	struct facts f;

	facts_of(m, &f);
	if (p->nfacts == 0 || !facts_eq(&p->facts[p->nfacts - 1], &f)) {
		if (p->nfacts == p->factcap) {
			p->factcap = p->factcap ? p->factcap * 2 : 1;
			p->facts = xrealloc(p->facts,
					    p->factcap * sizeof(*p->facts));
		}
		p->facts[p->nfacts++] = f;
	}
	op->fi = p->nfacts - 1;
	/* recipients are only ever appended: the index is stable */
	for (op->ri = 0, r = m->rcpts; r != NULL && r != op->rcpt;
	     r = r->next)
		op->ri++;
	if (p->nops == p->opcap) {
		p->opcap = p->opcap ? p->opcap * 2 : 4;
		p->ops = xrealloc(p->ops, p->opcap * sizeof(*p->ops));
	}
	p->ops[p->nops++] = *op;
}

/* replay - p's held writes in order, exactly as the live path makes them */
static int
replay(struct watch *w, const struct pend *p)
{
	int64_t msg_id, rcpt_id;
	unsigned i;
	int rc = STORE_OK;

	for (i = 0; i < p->nops && rc == STORE_OK; i++)
		rc = write_op(w, &p->facts[p->ops[i].fi], &p->ops[i], &msg_id,
			      &rcpt_id);
	return rc;
}

/* make_live - m's held writes written now; later ones go straight in */
static int
make_live(struct watch *w, const struct corr_msg *m)
{
	struct pend *p = pend_find(w, m);
	int rc;

	if (p == NULL)
		p = pend_new(w, m);
	if (p->live)
		return STORE_OK;
	rc = replay(w, p);
	p->live = true;
	free(p->ops);
	free(p->facts);
	p->ops = NULL;
	p->facts = NULL;
	p->nops = p->opcap = p->nfacts = p->factcap = 0;
	return rc;
}

/* add_rows - the recipients (final state) and attempts of a new row */
static int
add_rows(struct watch *w, const struct corr_msg *m, const struct pend *p,
	 int64_t msg_id)
{
	const struct wop *op, *last;
	unsigned i;
	int rc = STORE_OK;

	if (m->nrcpts > w->nscratch) {
		w->nscratch = m->nrcpts;
		w->rcpt_ids = xrealloc(w->rcpt_ids,
				       w->nscratch * sizeof(*w->rcpt_ids));
		w->rcpt_last = xrealloc(w->rcpt_last,
					w->nscratch * sizeof(*w->rcpt_last));
	}
	for (i = 0; i < p->nops; i++)
		if (p->ops[i].state != NULL) {
			w->rcpt_ids[p->ops[i].ri] = 0;
			w->rcpt_last[p->ops[i].ri] = i;
		}
	for (i = 0; i < p->nops && rc == STORE_OK; i++) {
		op = &p->ops[i];
		if (op->state == NULL)
			continue;
		if (w->rcpt_ids[op->ri] == 0) {
			/* the live path's last update of the row wins */
			last = &p->ops[w->rcpt_last[op->ri]];
			rc = store_watch_recipient_add(w->store, msg_id,
				op->rcpt->addr, op->rcpt->orig_to, last->state,
				last->state_at, &w->rcpt_ids[op->ri], &w->err);
		}
		if (rc == STORE_OK && op->has_attempt)
			rc = store_watch_attempt(w->store,
				w->rcpt_ids[op->ri], op->at, op->status,
				op->relay, op->dsn, op->delay, op->reply,
				&w->err);
	}
	return rc;
}

/*
 * bulk_write - m ended (closed) or is dropped or still open at the end:
 * the rows the live path would have left, in one insert per row when
 * the message row is new and its facts never changed; else the held
 * writes replayed through the live path.
 */
static int
bulk_write(struct watch *w, const struct corr_msg *m, const struct pend *p,
	   bool closed)
{
	struct log_msg_text t;
	struct store_log_msg lm;
	struct facts fin;
	int64_t id;
	unsigned n = p ? p->nops : 0;
	int rc;

	if (n == 0 && !closed)
		return STORE_OK;	/* the live path wrote nothing */
	facts_of(m, &fin);
	if (n == 0 || (p->nfacts == 1 &&
		       (!closed || facts_eq(&p->facts[0], &fin)))) {
		log_msg_of(n ? &p->facts[0] : &fin, closed, &t, &lm);
		rc = store_watch_message_add(w->store, &lm, &id, &w->err);
		if (rc != STORE_OK)
			return rc;
		if (id != 0)
			return n ? add_rows(w, m, p, id) : STORE_OK;
		/* the row was there: an earlier import, or the watcher */
	}
	if (p != NULL && (rc = replay(w, p)) != STORE_OK)
		return rc;
	return closed ? put_message(w, &fin, true, &id) : STORE_OK;
}

/*
 * deferred_long_recorded - for delivered_after_delay: whether the
 * recipient's deferred_long is in the store (by its unique key, the
 * message's rows being held)
 */
static int
deferred_long_recorded(struct watch *w, const struct watch_ev *e, int *found)
{
	static const char tail[] = "/delivered_after_delay";
	char key[WATCH_EV_UKEY_MAX];
	size_t n = strlen(e->ukey), k = sizeof(tail) - 1;

	if (n < k || strcmp(e->ukey + n - k, tail) != 0) {
		*found = 1;		/* cannot tell: ask the live path */
		return STORE_OK;
	}
	snprintf(key, sizeof(key), "%.*s/deferred_long", (int)(n - k),
		 e->ukey);
	return store_event_has_key(w->store, key, found, &w->err);
}

/* bulk_event - a recipient's event while importing: held unless it makes one */
static int
bulk_event(struct watch *w, const struct corr_event *ce)
{
	struct pend *p = pend_find(w, ce->msg);
	struct watch_ev e;
	struct wop op;
	int found = 1, rc;

	if (p != NULL && p->live)
		return live_event(w, ce, NULL);
	if (watch_ev_from_corr(w->cls, &w->opts, ce, w->now, &e)) {
		if (e.needs_deferred_long &&
		    (rc = deferred_long_recorded(w, &e, &found)) != STORE_OK)
			return rc;
		if (found) {
			if ((rc = make_live(w, ce->msg)) != STORE_OK)
				return rc;
			return live_event(w, ce, &e);
		}
	}
	op_of(ce->rcpt, ce->attempt, &op);
	pend_hold(p != NULL ? p : pend_new(w, ce->msg), ce->msg, &op);
	return STORE_OK;
}

/* bulk_end - m closed or was dropped while importing */
static int
bulk_end(struct watch *w, const struct corr_msg *m, bool closed)
{
	struct pend *p = pend_find(w, m);
	struct facts f;
	int64_t id;
	int rc = STORE_OK;

	if (p != NULL && p->live) {
		facts_of(m, &f);
		if (closed)
			rc = put_message(w, &f, true, &id);
	} else {
		rc = bulk_write(w, m, p, closed);
	}
	pend_drop(w, p);
	return rc;
}

/* flush_open - at the end of an import: each open message's held rows */
static bool
flush_open(void *arg, const struct corr_msg *m)
{
	struct watch *w = arg;
	struct pend *p = pend_find(w, m);

	if (p != NULL && !p->live)
		w->rc = bulk_write(w, m, p, false);
	return w->rc == STORE_OK;
}

/* on_event - the correlator settled something: store it */
static void
on_event(void *arg, const struct corr_event *ce)
{
	struct watch *w = arg;
	struct facts f;
	int64_t msg_id;
	int rc;

	if (w->rc != STORE_OK || !w->in_txn || ce->msg->qid[0] == '\0')
		return;
	switch (ce->kind) {
	case CORR_EV_DEFERRED:
	case CORR_EV_FINAL:
		rc = w->bulk ? bulk_event(w, ce) : live_event(w, ce, NULL);
		break;
	case CORR_EV_CLOSED:
	case CORR_EV_DROPPED:
		if (w->bulk) {
			rc = bulk_end(w, ce->msg, ce->kind == CORR_EV_CLOSED);
		} else if (ce->kind == CORR_EV_CLOSED) {
			facts_of(ce->msg, &f);
			rc = put_message(w, &f, true, &msg_id);
		} else {
			rc = STORE_OK;	/* its rows stay as they are: open */
		}
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
	struct facts f;
	struct wop op;
	int64_t msg_id, rcpt_id;

	for (r = m->rcpts; r != NULL && w->rc == STORE_OK; r = r->next) {
		if (!watch_ev_deferred_long(w->cls, &w->opts, m, r, t->now,
					    &e))
			continue;
		if (w->bulk && (w->rc = make_live(w, m)) != STORE_OK)
			break;
		facts_of(m, &f);
		op_of(r, NULL, &op);
		w->rc = write_op(w, &f, &op, &msg_id, &rcpt_id);
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
	w->bulk = !w->no_bulk;
	if (store_tune_import(w->store, true, &err) != STORE_OK)
		log_warn("import: %s", err.msg);	/* only slower */
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
	/* messages still open: their rows as the live path leaves them */
	if (w->bulk && w->npend > 0) {
		if (!w->in_txn && watch_begin(w, &err) != STORE_OK)
			goto fail;
		corr_foreach(w->corr, flush_open, w);
	}
	if (w->in_txn && watch_commit(w, NULL, NULL, 0, &err) != STORE_OK)
		goto fail;
	w->bulk = false;
	pend_clear(w);
	(void)store_tune_import(w->store, false, &err);
	if (progress)
		progress(arg, logread_bytes(r), w->counts.lines);
	logread_close(r);
	return 0;
fail:
	buf_reset(why);
	buf_addf(why, "store: %s", err.msg);
	watch_rollback(w);
	w->bulk = false;
	pend_clear(w);
	(void)store_tune_import(w->store, false, NULL);
	logread_close(r);
	return -1;
}
