/*
 * corr.c - per-message correlation of parsed Postfix log lines.
 *
 * Guarantees: no line is ever an error (lines that fit no message are
 * counted and ignored); memory held is the open messages plus a small
 * table of interned names, and an open message is freed when it is
 * removed, rejected, or older than the configured lifetimes; each
 * message's text lives in its own arena, capped at CORR_MAX_ARENA, so a
 * hostile message cannot grow without bound.  Time is read only from the
 * line and from the caller's `now`.
 *
 * Layout: messages sit in a chained hash table keyed by (host, queue ID);
 * the instance is compared too, and lookups "in any instance" walk the
 * same chain (content filter hops may cross instances).  Two age lists
 * make dropping O(1) per message: `unqueued` (seen only by smtpd, pickup
 * or cleanup, most recently touched last) and `queued` (reached qmgr or a
 * delivery agent, in order of arrival).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corr.h"
#include "inline.h"
#include "xalloc.h"

#define INTERN_MAX 4096		/* distinct hosts/instances/daemons kept */
#define PENDING_MAX 1024	/* links waiting for their child message */
#define PENDING_TTL 3600	/* seconds a pending link is kept */
#define CHUNK_FIRST 1024
#define SPARE_MAX 256		/* freed messages kept for reuse */
#define CHUNK_NEXT 2048
#define SWEEP_EVERY 60
#define RECENT_BITS 5
#define RECENT (1 << RECENT_BITS)	/* names of late, by a few bytes */

/* One block of a message's arena. */
struct chunk {
	struct chunk *next;
	size_t used, cap;
	_Alignas(16) char data[];
};

enum age_list { LIST_NONE = 0, LIST_UNQUEUED, LIST_QUEUED };

struct corr_priv {
	/* what a hash chain walk reads, together at the start */
	struct corr_msg *hnext;		/* hash chain */
	uint32_t hash;
	size_t qidlen, hostlen, instlen;
	char qid[CORR_MAX_QID + 1];	/* the key, inline for fast lookup */
	struct corr_msg *prev, *next;	/* age list */
	enum age_list list;
	struct chunk *arena;
	size_t arena_total;
	struct corr_rcpt *rcpt_tail;
	struct corr_linkref *child_tail;
};

/* A message and its private part in one allocation. */
struct msgbox {
	struct corr_msg m;
	struct corr_priv p;
};

/* A link announced by the parent before the child was seen. */
struct pending {
	char *host, *qid;		/* the child's key (any instance) */
	char *parent_instance, *parent_qid;
	char *parent_sender, *parent_message_id;
	enum corr_link kind;
	int64_t time;
};

struct age {
	struct corr_msg *head, *tail;
};

struct corr {
	struct corr_opts o;
	struct corr_msg **buckets;
	size_t nbuckets, count;
	struct age unqueued, queued;

	char **intern;			/* open addressing, INTERN_MAX * 2 */
	size_t nintern;
	const char *recent[RECENT];	/* names interned lately, in the
					 * slot recent_slot() gives them */
	size_t recent_len[RECENT];

	struct pending pending[PENDING_MAX];
	size_t npending;

	struct msgbox *spare;		/* freed messages, for reuse */
	size_t nspare;

	int64_t next_sweep;
	struct corr_stats st;
};

/* ------------------------------------------------------------------ */
/* names */

static const char *const state_names[CORR_STATE_COUNT] = {
	"pending", "deferred", "delivered", "bounced", "expired",
	"rejected", "deleted", "verified",
};
static const char *const origin_names[CORR_ORIGIN_COUNT] = {
	"unknown", "smtpd", "pickup", "notice",
};
static const char *const link_names[CORR_LINK_COUNT] = {
	"none", "content_filter", "non_delivery", "delay", "success",
	"postmaster",
};
static const char *const end_names[CORR_END_COUNT] = {
	"open", "removed", "rejected", "dropped",
};
static const char *const event_names[CORR_EV_COUNT] = {
	"deferred", "final", "closed", "dropped",
};
static const char *const phase_names[4] = {
	"before the queue manager (a: receiving and cleanup)",
	"in the queue manager (b: waiting in the queue)",
	"setting up the connection (c: DNS, connect, greeting, TLS)",
	"transmitting the message (d)",
};

/* name_of - bounded table lookup */
#define NAME_OF(tab, i) \
	((size_t)(i) < sizeof(tab) / sizeof(tab[0]) ? tab[i] : "unknown")

const char *corr_state_name(enum corr_state s) { return NAME_OF(state_names, s); }
const char *corr_origin_name(enum corr_origin o) { return NAME_OF(origin_names, o); }
const char *corr_link_name(enum corr_link k) { return NAME_OF(link_names, k); }
const char *corr_end_name(enum corr_end e) { return NAME_OF(end_names, e); }
const char *corr_event_name(enum corr_event_kind k) { return NAME_OF(event_names, k); }

const char *
corr_phase_name(int phase)
{
	return phase >= 0 && phase < 4 ? phase_names[phase] : "unknown";
}

bool
corr_state_final(enum corr_state s)
{
	return s >= CORR_RCPT_DELIVERED;
}

int
corr_dominant_phase(const struct corr_attempt *a)
{
	int i, best = -1;

	for (i = 0; i < 4; i++)
		if (a->delays[i] >= 0 &&
		    (best < 0 || a->delays[i] > a->delays[best]))
			best = i;
	return best;
}

/* ------------------------------------------------------------------ */
/* small helpers */

/* hash_bytes - FNV-1a, continued from h */
static uint32_t
hash_bytes(uint32_t h, const char *p, size_t n)
{
	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 16777619u;
	}
	return h;
}

/*
 * key_hash - the bucket hash of a queue ID, eight bytes at a time.  The
 * host is left out: hosts are few, and the chain compares it anyway.
 */
static uint32_t
key_hash(const char *qid, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ n, w;
	const char *start = qid;
	size_t i;

	for (; n > 8; qid += 8, n -= 8) {
		memcpy(&w, qid, 8);
		h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
		h ^= h >> 29;
	}
	if (n == 8 || (n > 0 && qid != start)) {
		/* the last eight bytes, overlapping ones already mixed in */
		memcpy(&w, qid + n - 8, 8);
	} else {
		for (w = 0, i = 0; i < n; i++)
			w |= (uint64_t)(unsigned char)qid[i] << (8 * i);
	}
	h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
	return (uint32_t)(h ^ (h >> 32));
}

/*
 * bytes_eq - n bytes at a equal those at b.  Keys and names are short:
 * eight-byte words (the last one overlapping) beat a memcmp() call, and
 * no byte outside [a, a + n) or [b, b + n) is read.
 */
static inline bool
bytes_eq(const char *a, const char *b, size_t n)
{
	uint64_t x, y, d = 0;
	uint32_t u, v;
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			d |= x ^ y;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return (d | (x ^ y)) == 0;
	}
	if (n >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		d = u ^ v;
		memcpy(&u, a + n - 4, 4);
		memcpy(&v, b + n - 4, 4);
		return (d | (u ^ v)) == 0;
	}
	if (n == 0)
		return true;
	/* 1..3 bytes: the first, middle and last cover them all */
	return ((a[0] ^ b[0]) | (a[n / 2] ^ b[n / 2]) |
		(a[n - 1] ^ b[n - 1])) == 0;
}

/* str_eq_span - a NUL-terminated string equals a span */
static bool
str_eq_span(const char *s, struct span sp)
{
	return strlen(s) == sp.len && bytes_eq(s, sp.p, sp.len);
}

/* strip_angle - "<x>" -> "x"; other text unchanged */
static struct span
strip_angle(struct span s)
{
	if (s.len >= 2 && s.p[0] == '<' && s.p[s.len - 1] == '>')
		return span_make(s.p + 1, s.len - 2);
	return s;
}

/* span_int - decimal digits to a number; false when not all digits */
static bool
span_int(struct span s, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (s.len == 0 || s.len > 18)
		return false;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (s.p[i] - '0');
	}
	*out = v;
	return true;
}

/* span_float - "0.25" to a float; -1 when absent or malformed */
static float
span_float(struct span s)
{
	double v = 0, scale = 1;
	size_t i = 0;

	if (s.len == 0 || s.len > 24)
		return -1;
	for (; i < s.len && s.p[i] >= '0' && s.p[i] <= '9'; i++)
		v = v * 10 + (s.p[i] - '0');
	if (i == 0)
		return -1;
	if (i < s.len && s.p[i] == '.')
		for (i++; i < s.len && s.p[i] >= '0' && s.p[i] <= '9'; i++)
			v += (s.p[i] - '0') * (scale /= 10);
	return i == s.len ? (float)v : -1;
}

/* ------------------------------------------------------------------ */
/* arena */

static NOINLINE void *arena_grow(struct msgbox *b, size_t size);

/* arena_alloc - size bytes from the message's arena, or NULL at the cap */
static inline void *
arena_alloc(struct msgbox *b, size_t size)
{
	struct chunk *ch = b->p.arena;
	size_t off;

	size = (size + 7) & ~(size_t)7;
	if (ch != NULL && ch->cap - ch->used >= size) {
		off = ch->used;
		ch->used += size;
		return ch->data + off;
	}
	return arena_grow(b, size);
}

/* arena_grow - arena_alloc() when the current chunk is full: a new one */
static NOINLINE void *
arena_grow(struct msgbox *b, size_t size)
{
	struct chunk *ch;
	size_t cap;

	cap = size > CHUNK_NEXT ? size : CHUNK_NEXT;
	if (b->p.arena_total + cap > CORR_MAX_ARENA) {
		if (!b->m.truncated)
			b->m.truncated = true;
		return NULL;
	}
	ch = xmalloc(sizeof(*ch) + cap);
	ch->cap = cap;
	ch->used = size;
	ch->next = b->p.arena;
	b->p.arena = ch;
	b->p.arena_total += cap;
	return ch->data;
}

/*
 * copy_bytes - n bytes from s to d (not overlapping).  The short strings
 * copied here (addresses, relays, replies) go in two to four word moves
 * that may overlap each other, never outside [s, s + n) or [d, d + n):
 * cheaper than a call, and than the "rep movs" gcc makes of a memcpy.
 */
static inline void
copy_bytes(char *d, const char *s, size_t n)
{
	uint64_t w0, w1, w2, w3;
	uint32_t u0, u1;

	if (n > 32) {
		memmove(d, s, n);
	} else if (n >= 16) {
		memcpy(&w0, s, 8);
		memcpy(&w1, s + 8, 8);
		memcpy(&w2, s + n - 16, 8);
		memcpy(&w3, s + n - 8, 8);
		memcpy(d, &w0, 8);
		memcpy(d + 8, &w1, 8);
		memcpy(d + n - 16, &w2, 8);
		memcpy(d + n - 8, &w3, 8);
	} else if (n >= 8) {
		memcpy(&w0, s, 8);
		memcpy(&w1, s + n - 8, 8);
		memcpy(d, &w0, 8);
		memcpy(d + n - 8, &w1, 8);
	} else if (n >= 4) {
		memcpy(&u0, s, 4);
		memcpy(&u1, s + n - 4, 4);
		memcpy(d, &u0, 4);
		memcpy(d + n - 4, &u1, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	}
}

/* arena_str - a NUL-terminated copy of s, cut at CORR_MAX_TEXT; NULL at cap */
static inline const char *
arena_str(struct msgbox *b, struct span s)
{
	size_t n = s.len > CORR_MAX_TEXT ? CORR_MAX_TEXT : s.len;
	char *p = arena_alloc(b, n + 1);

	if (p == NULL)
		return NULL;
	copy_bytes(p, s.p, n);
	p[n] = '\0';
	return p;
}

/* arena_cstr - arena copy of a C string (NULL stays NULL) */
static const char *
arena_cstr(struct msgbox *b, const char *s)
{
	return s == NULL ? NULL : arena_str(b, span_make(s, strlen(s)));
}

/* ------------------------------------------------------------------ */
/* interned names */

/*
 * recent_slot - where a name sits in the cache of recent names: by its
 * length and its first, middle and last bytes, which tell apart the few
 * hosts, instances and daemons of a log without hashing every byte
 */
static inline size_t
recent_slot(struct span s)
{
	uint32_t w;

	if (s.len == 0)
		return 0;
	w = (uint32_t)(s.len & 0xff) | (uint32_t)(unsigned char)s.p[0] << 8 |
	    (uint32_t)(unsigned char)s.p[s.len / 2] << 16 |
	    (uint32_t)(unsigned char)s.p[s.len - 1] << 24;
	return (size_t)((w * 0x9E3779B1u) >> (32 - RECENT_BITS));
}

/*
 * intern_len - the one copy of a short name, with its strlen() in *len;
 * NULL when the table is full.  The recent cache holds only names whose
 * length is their strlen(), so a hit there means the span is the name.
 */
static const char *intern_slow(struct corr *c, struct span s, size_t *len,
			       size_t slot);

static inline const char *
intern_len(struct corr *c, struct span s, size_t *len)
{
	size_t slot = recent_slot(s);

	/* most lines repeat the host, instance or daemon of a recent one */
	if (c->recent[slot] != NULL && c->recent_len[slot] == s.len &&
	    bytes_eq(c->recent[slot], s.p, s.len)) {
		*len = s.len;
		return c->recent[slot];
	}
	return intern_slow(c, s, len, slot);
}

/* intern_slow - intern_len() past the recent cache: the table itself */
static NOINLINE const char *
intern_slow(struct corr *c, struct span s, size_t *len, size_t slot)
{
	size_t cap = INTERN_MAX * 2, i;
	uint32_t h = hash_bytes(2166136261u, s.p, s.len);

	if (c->intern == NULL)
		c->intern = xcalloc(cap, sizeof(char *));
	for (i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (c->intern[i] == NULL)
			break;
		if (str_eq_span(c->intern[i], s)) {
			c->recent[slot] = c->intern[i];
			c->recent_len[slot] = s.len;
			*len = s.len;
			return c->intern[i];
		}
	}
	if (c->nintern >= INTERN_MAX || s.len > 255)
		return NULL;
	c->intern[i] = xstrndup(s.p ? s.p : "", s.len);
	c->nintern++;
	*len = strlen(c->intern[i]);	/* shorter when s held a NUL */
	if (*len == s.len) {
		c->recent[slot] = c->intern[i];
		c->recent_len[slot] = s.len;
	}
	return c->intern[i];
}

/* intern - the one copy of a short name; NULL when the table is full */
static const char *
intern(struct corr *c, struct span s)
{
	size_t len;

	return intern_len(c, s, &len);
}

/* name_str - interned name, else an arena copy */
static const char *
name_str(struct corr *c, struct msgbox *b, struct span s)
{
	const char *p = intern(c, s);

	return p != NULL ? p : arena_str(b, s);
}

/* name_str_len - name_str() with the strlen() of the result in *len */
static const char *
name_str_len(struct corr *c, struct msgbox *b, struct span s, size_t *len)
{
	const char *p = intern_len(c, s, len);

	if (p == NULL) {
		p = arena_str(b, s);
		if (p == NULL)
			p = "";
		*len = strlen(p);
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* lists and table */

static void
age_unlink(struct corr *c, struct corr_msg *m)
{
	struct age *a;

	if (m->priv->list == LIST_NONE)
		return;
	a = m->priv->list == LIST_QUEUED ? &c->queued : &c->unqueued;
	if (m->priv->prev)
		m->priv->prev->priv->next = m->priv->next;
	else
		a->head = m->priv->next;
	if (m->priv->next)
		m->priv->next->priv->prev = m->priv->prev;
	else
		a->tail = m->priv->prev;
	m->priv->prev = m->priv->next = NULL;
	m->priv->list = LIST_NONE;
}

static void
age_append(struct corr *c, struct corr_msg *m, enum age_list which)
{
	struct age *a = which == LIST_QUEUED ? &c->queued : &c->unqueued;

	m->priv->list = which;
	m->priv->next = NULL;
	m->priv->prev = a->tail;
	if (a->tail)
		a->tail->priv->next = m;
	else
		a->head = m;
	a->tail = m;
}

/* touch - keep the age lists in order after a line for m */
static void
touch(struct corr *c, struct corr_msg *m, bool queued)
{
	if (m->priv->list == LIST_QUEUED)
		return;
	if (!queued && c->unqueued.tail == m)
		return;		/* already last: moving it changes nothing */
	age_unlink(c, m);
	age_append(c, m, queued ? LIST_QUEUED : LIST_UNQUEUED);
}

static void
table_grow(struct corr *c)
{
	size_t nb = c->nbuckets ? c->nbuckets * 2 : 1024, i;
	struct corr_msg **nbk = xcalloc(nb, sizeof(*nbk)), *m, *next;

	for (i = 0; i < c->nbuckets; i++)
		for (m = c->buckets[i]; m != NULL; m = next) {
			next = m->priv->hnext;
			m->priv->hnext = nbk[m->priv->hash & (nb - 1)];
			nbk[m->priv->hash & (nb - 1)] = m;
		}
	free(c->buckets);
	c->buckets = nbk;
	c->nbuckets = nb;
}

/* find_h - find() for a queue ID whose key_hash() is h */
static struct corr_msg *
find_h(const struct corr *c, struct span host, struct span instance,
       struct span qid, uint32_t h)
{
	struct corr_msg *m;

	if (c->nbuckets == 0)
		return NULL;
	/* the private part by address, not through m->priv: one load less
	 * per chain link, and a link that does not match touches one line */
	for (m = c->buckets[h & (c->nbuckets - 1)]; m;
	     m = ((struct msgbox *)m)->p.hnext) {
		const struct corr_priv *pv = &((struct msgbox *)m)->p;

		if (pv->hash == h && pv->qidlen == qid.len &&
		    bytes_eq(pv->qid, qid.p, qid.len) &&
		    pv->hostlen == host.len &&
		    bytes_eq(m->host, host.p, host.len) &&
		    (instance.p == NULL ||
		     (pv->instlen == instance.len &&
		      bytes_eq(m->instance, instance.p, instance.len))))
			return m;
	}
	return NULL;
}

/* find - open message by key; instance NULL matches any instance */
static struct corr_msg *
find(const struct corr *c, struct span host, struct span instance,
     struct span qid)
{
	return find_h(c, host, instance, qid, key_hash(qid.p, qid.len));
}

static void
table_remove(struct corr *c, struct corr_msg *m)
{
	struct corr_msg **pp;

	if (m->qid[0] == '\0')
		return;		/* NOQUEUE messages are never in the table */
	pp = &c->buckets[m->priv->hash & (c->nbuckets - 1)];
	while (*pp != NULL && *pp != m)
		pp = &(*pp)->priv->hnext;
	if (*pp == m)
		*pp = m->priv->hnext;
	c->count--;
}

/* BOX_SIZE - a message with its first arena chunk, in one allocation */
#define BOX_HEAD ((sizeof(struct msgbox) + 15) & ~(size_t)15)
#define BOX_SIZE (BOX_HEAD + sizeof(struct chunk) + CHUNK_FIRST)

/* msg_free - release a message that is in no table and no list */
static void
msg_free(struct corr *c, struct corr_msg *m)
{
	struct msgbox *b = (struct msgbox *)m;
	struct chunk *ch, *next, *first;

	first = (struct chunk *)(void *)((char *)b + BOX_HEAD);
	for (ch = b->p.arena; ch != NULL; ch = next) {
		next = ch->next;
		if (ch != first)
			free(ch);
	}
	if (c != NULL && c->nspare < SPARE_MAX) {
		b->p.hnext = (struct corr_msg *)c->spare;
		c->spare = b;
		c->nspare++;
		return;
	}
	free(b);
}

/*
 * msg_new_h - a fresh open message with this key (qid "" for NOQUEUE),
 * whose queue ID (at most CORR_MAX_QID bytes) has the key_hash() h
 */
static struct corr_msg *
msg_new_h(struct corr *c, struct span host, struct span instance,
	  struct span qid, int64_t t, uint32_t h)
{
	struct msgbox *b;
	struct corr_msg *m;
	struct chunk *ch;

	if (c->spare != NULL) {
		b = c->spare;
		c->spare = (struct msgbox *)(void *)b->p.hnext;
		c->nspare--;
		memset(b, 0, sizeof(*b));
	} else {
		b = xcalloc(1, BOX_SIZE);
	}
	m = &b->m;
	m->priv = &b->p;
	ch = (struct chunk *)(void *)((char *)b + BOX_HEAD);
	ch->next = NULL;
	ch->used = 0;
	ch->cap = CHUNK_FIRST;
	b->p.arena = ch;
	b->p.arena_total = CHUNK_FIRST;

	m->host = name_str_len(c, b, host, &b->p.hostlen);
	m->instance = name_str_len(c, b, instance, &b->p.instlen);
	if (qid.len)
		memcpy(b->p.qid, qid.p, qid.len);
	b->p.qid[qid.len] = '\0';
	b->p.qidlen = qid.len;
	m->qid = b->p.qid;
	m->first_time = m->last_time = t;
	m->uid = -1;
	m->size = -1;
	m->nrcpt = -1;
	m->end = CORR_END_OPEN;
	m->priv->hash = h;
	if (qid.len > 0) {
		if (c->count + 1 > c->nbuckets)
			table_grow(c);
		m->priv->hnext = c->buckets[m->priv->hash & (c->nbuckets - 1)];
		c->buckets[m->priv->hash & (c->nbuckets - 1)] = m;
		c->count++;
		age_append(c, m, LIST_UNQUEUED);
		c->st.open++;
		if (c->st.open > c->st.max_open)
			c->st.max_open = c->st.open;
	}
	return m;
}

/* msg_new - a fresh open message with this key (qid "" for NOQUEUE) */
static struct corr_msg *
msg_new(struct corr *c, struct span host, struct span instance,
	struct span qid, int64_t t)
{
	if (qid.len > CORR_MAX_QID)
		qid.len = CORR_MAX_QID;
	return msg_new_h(c, host, instance, qid, t, key_hash(qid.p, qid.len));
}

/* emit - deliver one event to the caller */
static void
emit(struct corr *c, enum corr_event_kind kind, const struct corr_msg *m,
     const struct corr_rcpt *r, const struct corr_attempt *a, int64_t t)
{
	struct corr_event ev;

	if (c->o.on_event == NULL)
		return;
	ev.kind = kind;
	ev.msg = m;
	ev.rcpt = r;
	ev.attempt = a;
	ev.time = t;
	c->o.on_event(c->o.arg, &ev);
}

/* msg_end - report the end of m and free it */
static void
msg_end(struct corr *c, struct corr_msg *m, enum corr_end end, int64_t t)
{
	bool in_table = m->qid[0] != '\0';

	m->end = end;
	m->end_time = t;
	if (in_table) {
		table_remove(c, m);
		age_unlink(c, m);
		c->st.open--;
	}
	if (end == CORR_END_DROPPED)
		c->st.dropped++;
	else if (end == CORR_END_REJECTED)
		c->st.rejected++;
	else
		c->st.closed++;
	emit(c, end == CORR_END_DROPPED ? CORR_EV_DROPPED : CORR_EV_CLOSED,
	     m, NULL, NULL, t);
	msg_free(c, m);
}

/* ------------------------------------------------------------------ */
/* options, life cycle */

void
corr_opts_init(struct corr_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->lifetime = 6 * 86400;	/* Postfix default 5d, plus a day */
	o->unqueued_lifetime = 3600;
}

struct corr *
corr_new(const struct corr_opts *o)
{
	struct corr *c = xcalloc(1, sizeof(*c));

	if (o != NULL)
		c->o = *o;
	else
		corr_opts_init(&c->o);
	table_grow(c);
	return c;
}

/* pending_clear - forget pending link i (moves the last one into it) */
static void
pending_clear(struct corr *c, size_t i)
{
	struct pending *p = &c->pending[i];

	free(p->host);
	free(p->qid);
	free(p->parent_instance);
	free(p->parent_qid);
	free(p->parent_sender);
	free(p->parent_message_id);
	c->pending[i] = c->pending[--c->npending];
}

/* clear_all - free every message and pending link, without events */
static void
clear_all(struct corr *c)
{
	struct corr_msg *m, *next;
	struct age *lists[2] = { &c->unqueued, &c->queued };
	int l;

	for (l = 0; l < 2; l++) {
		for (m = lists[l]->head; m != NULL; m = next) {
			next = m->priv->next;
			msg_free(c, m);
		}
		lists[l]->head = lists[l]->tail = NULL;
	}
	memset(c->buckets, 0, c->nbuckets * sizeof(*c->buckets));
	c->count = 0;
	c->st.open = 0;
	while (c->npending > 0)
		pending_clear(c, c->npending - 1);
}

void
corr_free(struct corr *c)
{
	size_t i;

	if (c == NULL)
		return;
	clear_all(c);
	if (c->intern != NULL) {
		for (i = 0; i < INTERN_MAX * 2; i++)
			free(c->intern[i]);
		free(c->intern);
	}
	while (c->spare != NULL) {
		struct msgbox *b = c->spare;

		c->spare = (struct msgbox *)(void *)b->p.hnext;
		free(b);
	}
	free(c->buckets);
	free(c);
}

void
corr_stats(const struct corr *c, struct corr_stats *out)
{
	const struct corr_msg *m;
	const struct age *lists[2] = { &c->unqueued, &c->queued };
	int l;

	*out = c->st;
	out->arena_bytes = 0;
	out->truncated = 0;
	for (l = 0; l < 2; l++)
		for (m = lists[l]->head; m != NULL; m = m->priv->next) {
			out->arena_bytes += m->priv->arena_total;
			out->truncated += m->truncated;
		}
}

const struct corr_msg *
corr_lookup(const struct corr *c, const char *host, const char *instance,
	    const char *qid)
{
	return find(c, span_make(host, strlen(host)),
		    instance ? span_make(instance, strlen(instance)) : SPAN_NULL,
		    span_make(qid, strlen(qid)));
}

void
corr_foreach(const struct corr *c,
	     bool (*fn)(void *arg, const struct corr_msg *m), void *arg)
{
	const struct corr_msg *a = c->queued.head, *u = c->unqueued.head;

	/* merge the two lists by first appearance */
	while (a != NULL || u != NULL) {
		const struct corr_msg *m;

		if (u == NULL || (a != NULL && a->first_time <= u->first_time)) {
			m = a;
			a = a->priv->next;
		} else {
			m = u;
			u = u->priv->next;
		}
		if (!fn(arg, m))
			return;
	}
}

/* ------------------------------------------------------------------ */
/* sweeping */

void
corr_sweep(struct corr *c, int64_t now)
{
	struct corr_msg *m;
	size_t i;

	while ((m = c->queued.head) != NULL &&
	       (m->arrival_time ? m->arrival_time : m->first_time) +
	       c->o.lifetime < now)
		msg_end(c, m, CORR_END_DROPPED, now);
	while ((m = c->unqueued.head) != NULL &&
	       m->last_time + c->o.unqueued_lifetime < now)
		msg_end(c, m, CORR_END_DROPPED, now);
	for (i = 0; i < c->npending;)
		if (c->pending[i].time + PENDING_TTL < now)
			pending_clear(c, i);
		else
			i++;
	c->next_sweep = now + SWEEP_EVERY;
}

/* ------------------------------------------------------------------ */
/* recipients and attempts */

/* rcpt_get - the recipient (to, orig_to) of m, created when new */
static struct corr_rcpt *
rcpt_get(struct msgbox *b, struct span to, struct span orig_to)
{
	struct corr_rcpt *r;

	for (r = b->m.rcpts; r != NULL; r = r->next)
		if (str_eq_span(r->addr, to) &&
		    (r->orig_to == NULL ? orig_to.p == NULL
					: orig_to.p != NULL &&
					  str_eq_span(r->orig_to, orig_to)))
			return r;
	r = arena_alloc(b, sizeof(*r));
	if (r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->addr = arena_str(b, to);
	if (r->addr == NULL)
		return NULL;
	if (orig_to.p != NULL)
		r->orig_to = arena_str(b, orig_to);
	if (b->p.rcpt_tail)
		b->p.rcpt_tail->next = r;
	else
		b->m.rcpts = r;
	b->p.rcpt_tail = r;
	b->m.nrcpts++;
	return r;
}

/* attempt_add - a new attempt slot (the last one reused past the limit) */
static struct corr_attempt *
attempt_add(struct msgbox *b, struct corr_rcpt *r)
{
	struct corr_attempt *na;
	unsigned ncap;

	r->nattempts++;
	if (r->nkept == CORR_MAX_ATTEMPTS)
		return &r->attempts[r->nkept - 1];
	if (r->nkept == r->cap) {
		ncap = r->cap ? r->cap * 2 : 1;
		if (ncap > CORR_MAX_ATTEMPTS)
			ncap = CORR_MAX_ATTEMPTS;
		na = arena_alloc(b, ncap * sizeof(*na));
		if (na == NULL) {
			if (r->nkept == 0)
				return NULL;
			return &r->attempts[r->nkept - 1];
		}
		if (r->nkept)
			memcpy(na, r->attempts, r->nkept * sizeof(*na));
		r->attempts = na;
		r->cap = ncap;
	}
	return &r->attempts[r->nkept++];
}

/* set_state - move r to state s, reporting final states once */
static void
set_state(struct corr *c, struct corr_msg *m, struct corr_rcpt *r,
	  enum corr_state s, const struct corr_attempt *a, int64_t t)
{
	bool was_final = corr_state_final(r->state);

	r->state = s;
	if (s == CORR_RCPT_DEFERRED) {
		emit(c, CORR_EV_DEFERRED, m, r, a, t);
	} else if (corr_state_final(s) && !was_final) {
		r->final_time = t;
		emit(c, CORR_EV_FINAL, m, r, a, t);
	}
}

/* ------------------------------------------------------------------ */
/* links */

/* add_child - append a confirmed child link to parent's list */
static void
add_child(struct msgbox *pb, enum corr_link kind, const char *qid,
	  const char *instance)
{
	struct corr_linkref *l = arena_alloc(pb, sizeof(*l));

	if (l == NULL)
		return;
	l->next = NULL;
	l->kind = kind;
	l->qid = arena_cstr(pb, qid);
	l->instance = instance;
	if (pb->p.child_tail)
		pb->p.child_tail->next = l;
	else
		pb->m.children = l;
	pb->p.child_tail = l;
}

/* link_child - record that child came from parent */
static void
link_child(struct corr *c, struct corr_msg *parent, struct corr_msg *child,
	   enum corr_link kind)
{
	struct msgbox *cb = (struct msgbox *)child;

	if (child == parent || child->parent.kind != CORR_LINK_NONE)
		return;
	child->parent.kind = kind;
	child->parent.qid = arena_cstr(cb, parent->qid);
	child->parent.instance = parent->instance;
	if (parent->have_sender)
		child->parent_sender = arena_cstr(cb, parent->sender);
	child->parent_message_id = arena_cstr(cb, parent->message_id);
	if (kind != CORR_LINK_FILTER)
		child->origin = CORR_FROM_NOTICE;
	add_child((struct msgbox *)parent, kind, child->qid, child->instance);
	c->st.linked++;
}

/* link_pending - remember a link whose child has not been seen yet */
static void
link_pending(struct corr *c, struct corr_msg *parent, struct span qid,
	     enum corr_link kind, int64_t t)
{
	struct pending *p;

	if (c->npending == PENDING_MAX)
		pending_clear(c, 0);	/* the oldest is the likeliest stale */
	p = &c->pending[c->npending++];
	p->host = xstrdup(parent->host);
	p->qid = span_dup(qid);
	p->parent_instance = xstrdup(parent->instance);
	p->parent_qid = xstrdup(parent->qid);
	p->parent_sender = parent->have_sender ? xstrdup(parent->sender) : NULL;
	p->parent_message_id = parent->message_id ?
	    xstrdup(parent->message_id) : NULL;
	p->kind = kind;
	p->time = t;
}

/* adopt_pending - a new message may be the child of a pending link */
static void
adopt_pending(struct corr *c, struct corr_msg *m)
{
	struct msgbox *b = (struct msgbox *)m;
	struct corr_msg *parent;
	struct pending *p;
	size_t i;

	for (i = 0; i < c->npending; i++) {
		p = &c->pending[i];
		if (strcmp(p->qid, m->qid) != 0 || strcmp(p->host, m->host) != 0)
			continue;
		parent = find(c, span_make(p->host, strlen(p->host)),
			      span_make(p->parent_instance,
					strlen(p->parent_instance)),
			      span_make(p->parent_qid, strlen(p->parent_qid)));
		if (parent != NULL)
			add_child((struct msgbox *)parent, p->kind, m->qid,
				  m->instance);
		m->parent.kind = p->kind;
		m->parent.qid = arena_cstr(b, p->parent_qid);
		m->parent.instance = intern(c, span_make(p->parent_instance,
					    strlen(p->parent_instance)));
		if (m->parent.instance == NULL)
			m->parent.instance = arena_cstr(b, p->parent_instance);
		m->parent_sender = arena_cstr(b, p->parent_sender);
		m->parent_message_id = arena_cstr(b, p->parent_message_id);
		if (p->kind != CORR_LINK_FILTER)
			m->origin = CORR_FROM_NOTICE;
		c->st.linked++;
		pending_clear(c, i);
		return;
	}
}

/* notify_link - which notice a bounce line announces */
static enum corr_link
notify_link(const struct logline *ll)
{
	if (span_eq(ll->notify_who, "postmaster"))
		return CORR_LINK_POSTMASTER;
	if (span_eq(ll->notify_kind, "delay"))
		return CORR_LINK_DELAY;
	if (span_eq(ll->notify_kind, "non-delivery"))
		return CORR_LINK_NON_DELIVERY;
	return CORR_LINK_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* per kind */

/* is_loopback_relay - the line's relay is this host (a content filter) */
static bool
is_loopback_relay(const struct logline *ll)
{
	struct span a = ll->reply.addr;
	const char *lb;

	if (a.len == 0 && ll->relay.len > 0 &&
	    (lb = memchr(ll->relay.p, '[', ll->relay.len)) != NULL)
		a = span_make(lb + 1, ll->relay.len -
			      (size_t)(lb + 1 - ll->relay.p));
	return (a.len >= 4 && memcmp(a.p, "127.", 4) == 0) ||
	    (a.len >= 4 && memcmp(a.p, "::1]", 4) == 0) || span_eq(a, "::1");
}

/* on_delivery - one to=... status=... line */
static void
on_delivery(struct corr *c, struct corr_msg *m, const struct logline *ll,
	    int64_t t)
{
	struct msgbox *b = (struct msgbox *)m;
	struct corr_rcpt *r;
	struct corr_attempt *a;
	struct corr_msg *child;
	enum corr_state s;
	int i;

	if (!span_present(ll->to))
		return;
	r = rcpt_get(b, strip_angle(ll->to), strip_angle(ll->orig_to));
	if (r == NULL)
		return;
	a = attempt_add(b, r);
	if (ll->status == LL_STATUS_DEFERRED)
		r->ndeferred++;
	if (a == NULL)
		return;
	memset(a, 0, sizeof(*a));
	a->time = t;
	a->usec = ll->usec;
	a->status = ll->status;
	a->command = ll->reply.command;
	a->delay = span_float(ll->delay);
	for (i = 0; i < 4; i++)
		a->delays[i] = (float)ll->delays[i];
	{
		/* span_copy() without the call: dsn= is a few bytes */
		size_t n = ll->dsn.len < sizeof(a->dsn) - 1 ? ll->dsn.len :
		    sizeof(a->dsn) - 1;

		copy_bytes(a->dsn, ll->dsn.p, n);
		a->dsn[n] = '\0';
	}
	a->smtp_code = ll->reply.smtp_code;
	a->daemon = name_str(c, b, ll->daemon);
	if (span_present(ll->relay))
		a->relay = arena_str(b, ll->relay);
	if (span_present(ll->reply.text))
		a->reply = arena_str(b, ll->reply.text);
	/* "queued as X" ends the reply: point into the copy, copy nothing */
	if (ll->reply.queued_as.len > 0 && a->reply != NULL &&
	    ll->reply.queued_as.p + ll->reply.queued_as.len ==
	    ll->reply.text.p + ll->reply.text.len &&
	    ll->reply.text.len <= CORR_MAX_TEXT)
		a->remote_qid = a->reply + (ll->reply.queued_as.p -
					    ll->reply.text.p);
	else if (ll->reply.queued_as.len > 0)
		a->remote_qid = arena_str(b, ll->reply.queued_as);

	switch (ll->status) {
	case LL_STATUS_SENT:
		s = CORR_RCPT_DELIVERED;
		break;
	case LL_STATUS_BOUNCED:
		s = CORR_RCPT_BOUNCED;
		break;
	case LL_STATUS_DEFERRED:
		s = CORR_RCPT_DEFERRED;
		break;
	case LL_STATUS_EXPIRED:
	case LL_STATUS_FORCE_EXPIRED:
		s = CORR_RCPT_EXPIRED;
		break;
	case LL_STATUS_DELIVERABLE:
	case LL_STATUS_UNDELIVERABLE:
		s = CORR_RCPT_VERIFIED;
		break;
	default:
		s = r->state;
		break;
	}
	set_state(c, m, r, s, a, t);

	/*
	 * A content filter hands the message back under a new queue ID.  The
	 * re-injected copy is always queued before the filter answers 250,
	 * so its lines are already here; a "queued as" that names no local
	 * message is the remote's own queue ID.
	 */
	if (ll->status == LL_STATUS_SENT && ll->reply.queued_as.len > 0 &&
	    is_loopback_relay(ll)) {
		child = find(c, ll->host, SPAN_NULL, ll->reply.queued_as);
		if (child != NULL && child->parent.kind == CORR_LINK_NONE &&
		    child->first_time + 600 >= t)
			link_child(c, m, child, CORR_LINK_FILTER);
	}
}

/* on_expired - qmgr gave up: every open recipient expired */
static void
on_expired(struct corr *c, struct corr_msg *m, const struct logline *ll,
	   int64_t t)
{
	struct msgbox *b = (struct msgbox *)m;
	struct corr_rcpt *r;
	struct corr_attempt *a;

	if (ll->status == LL_STATUS_FORCE_EXPIRED)
		m->force_expired = true;
	else
		m->expired = true;
	if (!m->have_sender && span_present(ll->from)) {
		m->sender = arena_str(b, strip_angle(ll->from));
		m->have_sender = m->sender != NULL;
	}
	for (r = m->rcpts; r != NULL; r = r->next) {
		if (corr_state_final(r->state))
			continue;
		a = attempt_add(b, r);
		if (a != NULL) {
			memset(a, 0, sizeof(*a));
			a->time = t;
			a->usec = ll->usec;
			a->status = ll->status;
			a->delay = -1;
			a->delays[0] = a->delays[1] = a->delays[2] =
			    a->delays[3] = -1;
			a->daemon = name_str(c, b, ll->daemon);
			if (span_present(ll->reply.text))
				a->reply = arena_str(b, ll->reply.text);
		}
		set_state(c, m, r, CORR_RCPT_EXPIRED, a, t);
	}
}

/* on_reject - smtpd/cleanup refused a recipient or the whole message */
static void
on_reject(struct corr *c, struct corr_msg *m, const struct logline *ll,
	  int64_t t)
{
	struct msgbox *b = (struct msgbox *)m;
	struct span client, reply;
	struct corr_rcpt *r = NULL;
	struct corr_attempt *a;
	bool whole;

	if (span_eq(ll->reject_action, "hold") ||
	    span_eq(ll->reject_action, "milter-hold")) {
		m->held = true;
		return;
	}
	/* the parser reports only the actions that stop the message */
	client = ll->client;
	reply = ll->reply.text;
	whole = ll->noqueue || !span_eq(ll->reject_stage, "RCPT");
	if (m->client == NULL && client.len > 0)
		m->client = arena_str(b, client);
	if (!m->have_sender && span_present(ll->from)) {
		m->sender = arena_str(b, strip_angle(ll->from));
		m->have_sender = m->sender != NULL;
	}
	if (span_present(ll->to) && (ll->noqueue || !whole)) {
		r = rcpt_get(b, strip_angle(ll->to), SPAN_NULL);
		if (r != NULL && (a = attempt_add(b, r)) != NULL) {
			memset(a, 0, sizeof(*a));
			a->time = t;
			a->usec = ll->usec;
			a->status = LL_STATUS_BOUNCED;
			a->command = LL_CMD_NONE;
			a->delay = -1;
			a->delays[0] = a->delays[1] = a->delays[2] =
			    a->delays[3] = -1;
			a->daemon = name_str(c, b, ll->daemon);
			a->reply = arena_str(b, reply);
			a->smtp_code = ll->reply.smtp_code;
			span_copy(a->dsn, sizeof(a->dsn), ll->reply.dsn);
		}
		if (r != NULL)
			set_state(c, m, r, CORR_RCPT_REJECTED, NULL, t);
	}
	if (whole) {
		m->reject_action = arena_str(b, ll->reject_action);
		m->reject_stage = arena_str(b, ll->reject_stage);
		m->reject_reply = arena_str(b, reply);
		for (r = m->rcpts; r != NULL; r = r->next)
			if (!corr_state_final(r->state))
				set_state(c, m, r, CORR_RCPT_REJECTED, NULL, t);
		msg_end(c, m, CORR_END_REJECTED, t);
	}
}

/* kind_makes_message - lines that may start a message we have not seen */
static bool
kind_makes_message(enum logline_kind k)
{
	switch (k) {
	case LL_CLIENT:
	case LL_PICKUP:
	case LL_MESSAGE_ID:
	case LL_QUEUED:
	case LL_DELIVERY:
	case LL_EXPIRED:
	case LL_NOTIFICATION:
	case LL_REJECT:
		return true;
	default:
		return false;
	}
}

bool
corr_feed(struct corr *c, const struct logline *ll, int64_t now)
{
	struct corr_msg *m, *child;
	struct msgbox *b;
	int64_t t = ll->time ? ll->time : now, v;
	enum corr_link lk;
	struct corr_rcpt *r;
	uint32_t h;

	c->st.lines++;
	if (now >= c->next_sweep)
		corr_sweep(c, now);
	if (ll->kind <= LL_OTHER || ll->queue_id.len == 0)
		return false;
	if (ll->noqueue) {
		if (ll->kind != LL_REJECT)
			return false;
		m = msg_new(c, ll->host, ll->instance, SPAN_NULL, t);
		c->st.used++;
		on_reject(c, m, ll, t);
		return true;
	}
	if (ll->queue_id.len > CORR_MAX_QID)
		return false;
	h = key_hash(ll->queue_id.p, ll->queue_id.len);	/* once */
	m = find_h(c, ll->host, ll->instance, ll->queue_id, h);
	/* a new session for an open ID means we missed its `removed` */
	if (m != NULL && (ll->kind == LL_CLIENT || ll->kind == LL_PICKUP) &&
	    (m->origin == CORR_FROM_SMTPD || m->origin == CORR_FROM_PICKUP ||
	     m->arrival_time != 0)) {
		msg_end(c, m, CORR_END_DROPPED, t);
		m = NULL;
	}
	if (m == NULL) {
		if (!kind_makes_message(ll->kind))
			return false;
		m = msg_new_h(c, ll->host, ll->instance, ll->queue_id, t, h);
		if (c->npending > 0)
			adopt_pending(c, m);
	}
	b = (struct msgbox *)m;
	c->st.used++;
	if (t > m->last_time)
		m->last_time = t;

	switch (ll->kind) {
	case LL_CLIENT:
		m->origin = CORR_FROM_SMTPD;
		if (m->client == NULL && span_present(ll->client))
			m->client = arena_str(b, ll->client);
		if (span_present(ll->sasl_method))
			m->sasl_method = arena_str(b, ll->sasl_method);
		if (span_present(ll->sasl_username))
			m->sasl_username = arena_str(b, ll->sasl_username);
		touch(c, m, false);
		break;
	case LL_PICKUP:
		m->origin = CORR_FROM_PICKUP;
		if (span_int(ll->uid, &v))
			m->uid = (long)v;
		if (!m->have_sender && span_present(ll->from)) {
			m->sender = arena_str(b, strip_angle(ll->from));
			m->have_sender = m->sender != NULL;
		}
		touch(c, m, false);
		break;
	case LL_MESSAGE_ID:
		if (m->message_id == NULL)
			m->message_id = arena_str(b, ll->message_id);
		touch(c, m, false);
		break;
	case LL_QUEUED:
		if (m->arrival_time == 0)
			m->arrival_time = t;
		/* qmgr repeats from= at every retry: copy it only when new */
		if (span_present(ll->from) && (!m->have_sender ||
		    !str_eq_span(m->sender, strip_angle(ll->from)))) {
			m->sender = arena_str(b, strip_angle(ll->from));
			m->have_sender = m->sender != NULL;
		}
		if (span_int(ll->size, &v))
			m->size = v;
		if (span_int(ll->nrcpt, &v) && v < 1000000)
			m->nrcpt = (int)v;
		touch(c, m, true);
		break;
	case LL_DELIVERY:
		touch(c, m, true);
		on_delivery(c, m, ll, t);
		break;
	case LL_EXPIRED:
		touch(c, m, true);
		on_expired(c, m, ll, t);
		break;
	case LL_NOTIFICATION:
		if (ll->notify_qid.len == 0 || ll->notify_qid.len > CORR_MAX_QID)
			break;
		lk = notify_link(ll);
		child = find(c, ll->host, ll->instance, ll->notify_qid);
		if (child == NULL)
			child = find(c, ll->host, SPAN_NULL, ll->notify_qid);
		if (child != NULL)
			link_child(c, m, child, lk);
		else
			link_pending(c, m, ll->notify_qid, lk, t);
		break;
	case LL_REJECT:
		on_reject(c, m, ll, t);
		break;		/* m may be freed */
	case LL_ADMIN:
		if (span_eq(ll->admin_action, "expired"))
			m->force_expired = true;
		else if (span_eq(ll->admin_action, "placed on hold"))
			m->held = true;
		else if (span_eq(ll->admin_action, "released from hold"))
			m->held = false;
		break;
	case LL_REMOVED:
		if (span_eq(ll->daemon, "postsuper"))
			for (r = m->rcpts; r != NULL; r = r->next)
				if (!corr_state_final(r->state))
					set_state(c, m, r, CORR_RCPT_DELETED,
						  NULL, t);
		msg_end(c, m, CORR_END_REMOVED, t);
		break;
	default:
		break;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* save and restore
 *
 * Text, one record per line, fields separated by tabs:
 *   plainbounce-corr <version> <next_sweep>
 *   M <list> <host> <instance> <qid> <times...> ...   a message
 *   C <kind> <qid> <instance>                         its child links
 *   R <addr> <orig_to> <state> <counts> <final>       a recipient
 *   A <time> ... <reply> <remote_qid>                 its attempts
 *   P <host> <qid> ...                                a pending link
 *   end <messages>
 * A string field is "-" for none, else "=" and the text with backslash,
 * tab, CR, LF and other control bytes escaped, so any log text survives.
 */

#define SAVE_VERSION 1
#define MAX_FIELDS 32

/* plain - a byte a saved string field holds as itself */
static inline bool
plain(unsigned char ch)
{
	return ch >= 0x20 && ch != 0x7f && ch != '\\';
}

/*
 * put_str - one string field, escaped.  Runs of plain bytes go in with
 * one copy: the watcher saves its whole open state at every commit.
 */
static int
put_str(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p, *run;
	char esc[4];
	int rc;

	if (s == NULL)
		return buf_add(out, "\t-", 2);
	rc = buf_add(out, "\t=", 2);
	for (p = (const unsigned char *)s; *p && rc == BUF_OK; p++) {
		for (run = p; plain(*p); p++)
			;
		if (p > run)
			rc = buf_add(out, run, (size_t)(p - run));
		if (*p == '\0' || rc != BUF_OK)
			break;
		esc[0] = '\\';
		if (*p == '\\' || *p == '\t' || *p == '\n' || *p == '\r') {
			esc[1] = *p == '\\' ? '\\' : *p == '\t' ? 't' :
			    *p == '\n' ? 'n' : 'r';
			rc = buf_add(out, esc, 2);
		} else {
			esc[1] = 'x';
			esc[2] = hex[*p >> 4];
			esc[3] = hex[*p & 15];
			rc = buf_add(out, esc, 4);
		}
	}
	return rc;
}

/* put_int - a tab and a decimal integer, without printf's cost */
static int
put_int(struct buf *out, long long v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	*--p = '\t';
	return buf_add(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

/*
 * put_float - a float that reads back to the same value: -1 (absent) and
 * a whole number of milliseconds (what Postfix logs) as "S.mmm" by hand,
 * anything else through printf
 */
static int
put_float(struct buf *out, float f)
{
	char tmp[8];
	long long ms;
	int rc;

	if (f == -1.0f)
		return buf_add(out, "\t-1", 3);	/* absent */
	if (f >= 0.0f && f < 1e9f) {
		ms = llroundf(f * 1000.0f);
		if ((float)((double)ms / 1000.0) == f) {
			rc = put_int(out, ms / 1000);
			tmp[0] = '.';
			tmp[1] = (char)('0' + ms / 100 % 10);
			tmp[2] = (char)('0' + ms / 10 % 10);
			tmp[3] = (char)('0' + ms % 10);
			return rc | buf_add(out, tmp, 4);
		}
	}
	return buf_addf(out, "\t%.9g", (double)f);
}

/* save_msg - one message with its links, recipients and attempts */
static int
save_msg(const struct corr_msg *m, struct buf *out)
{
	const struct corr_linkref *l;
	const struct corr_rcpt *r;
	const struct corr_attempt *a;
	unsigned i;
	int rc = 0, k;
	unsigned flags = (m->expired ? 1u : 0) | (m->force_expired ? 2u : 0) |
	    (m->held ? 4u : 0) | (m->truncated ? 8u : 0);

	rc |= buf_add(out, m->priv->list == LIST_QUEUED ? "M\tq" : "M\tu", 3);
	rc |= put_str(out, m->host);
	rc |= put_str(out, m->instance);
	rc |= put_str(out, m->qid);
	rc |= put_int(out, (long long)m->first_time);
	rc |= put_int(out, (long long)m->last_time);
	rc |= put_int(out, (long long)m->arrival_time);
	rc |= put_int(out, (int)m->origin);
	rc |= put_str(out, m->client);
	rc |= put_str(out, m->sasl_method);
	rc |= put_str(out, m->sasl_username);
	rc |= put_int(out, m->uid);
	rc |= put_str(out, m->message_id);
	rc |= put_str(out, m->have_sender ? m->sender : NULL);
	rc |= put_int(out, (long long)m->size);
	rc |= put_int(out, m->nrcpt);
	rc |= put_int(out, flags);
	rc |= put_int(out, (int)m->parent.kind);
	rc |= put_str(out, m->parent.qid);
	rc |= put_str(out, m->parent.instance);
	rc |= put_str(out, m->parent_sender);
	rc |= put_str(out, m->parent_message_id);
	rc |= put_str(out, m->reject_stage);
	rc |= put_str(out, m->reject_reply);
	rc |= put_str(out, m->reject_action);
	rc |= buf_addc(out, '\n');
	for (l = m->children; l != NULL; l = l->next) {
		rc |= buf_addf(out, "C\t%d", (int)l->kind);
		rc |= put_str(out, l->qid);
		rc |= put_str(out, l->instance);
		rc |= buf_addc(out, '\n');
	}
	for (r = m->rcpts; r != NULL; r = r->next) {
		rc |= buf_add(out, "R", 1);
		rc |= put_str(out, r->addr);
		rc |= put_str(out, r->orig_to);
		rc |= put_int(out, (int)r->state);
		rc |= put_int(out, r->nattempts);
		rc |= put_int(out, r->ndeferred);
		rc |= put_int(out, (long long)r->final_time);
		rc |= buf_addc(out, '\n');
		for (i = 0; i < r->nkept; i++) {
			a = &r->attempts[i];
			rc |= buf_add(out, "A", 1);
			rc |= put_int(out, (long long)a->time);
			rc |= put_int(out, (long)a->usec);
			rc |= put_int(out, (int)a->status);
			rc |= put_int(out, (int)a->command);
			rc |= put_float(out, a->delay);
			for (k = 0; k < 4; k++)
				rc |= put_float(out, a->delays[k]);
			rc |= put_str(out, a->dsn);
			rc |= put_int(out, a->smtp_code);
			rc |= put_str(out, a->daemon);
			rc |= put_str(out, a->relay);
			rc |= put_str(out, a->reply);
			rc |= put_str(out, a->remote_qid);
			rc |= buf_addc(out, '\n');
		}
	}
	return rc;
}

int
corr_save(const struct corr *c, struct buf *out)
{
	const struct corr_msg *m;
	const struct pending *p;
	size_t i, n = 0;
	int rc = 0;

	rc |= buf_addf(out, "plainbounce-corr\t%d\t%lld\n", SAVE_VERSION,
		       (long long)c->next_sweep);
	for (m = c->queued.head; m != NULL; m = m->priv->next, n++)
		rc |= save_msg(m, out);
	for (m = c->unqueued.head; m != NULL; m = m->priv->next, n++)
		rc |= save_msg(m, out);
	for (i = 0; i < c->npending; i++) {
		p = &c->pending[i];
		rc |= buf_adds(out, "P");
		rc |= put_str(out, p->host);
		rc |= put_str(out, p->qid);
		rc |= put_str(out, p->parent_instance);
		rc |= put_str(out, p->parent_qid);
		rc |= put_str(out, p->parent_sender);
		rc |= put_str(out, p->parent_message_id);
		rc |= buf_addf(out, "\t%d\t%lld\n", (int)p->kind,
			       (long long)p->time);
	}
	rc |= buf_addf(out, "end\t%zu\n", n);
	return rc == 0 ? 0 : -1;
}

/* The fields of one saved line, unescaped in place into a scratch copy. */
struct rec {
	char *f[MAX_FIELDS];
	bool none[MAX_FIELDS];	/* "-": no string */
	size_t len[MAX_FIELDS];
	int n;
};

/* hexval - one hex digit, or -1 */
static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* rec_split - split line (NUL-terminated, writable) into fields */
static bool
rec_split(struct rec *r, char *line)
{
	char *p = line, *w;
	int i;

	r->n = 0;
	for (;;) {
		if (r->n == MAX_FIELDS)
			return false;
		r->f[r->n] = p;
		r->none[r->n] = false;
		r->n++;
		p = strchr(p, '\t');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	for (i = 0; i < r->n; i++) {
		char *s = r->f[i];

		r->len[i] = strlen(s);
		if (i == 0)
			continue;
		if (strcmp(s, "-") == 0) {
			r->none[i] = true;
			continue;
		}
		if (s[0] != '=')
			continue;	/* a number */
		for (w = s, p = s + 1; *p; p++) {
			if (*p != '\\') {
				*w++ = *p;
				continue;
			}
			p++;
			if (*p == '\\')
				*w++ = '\\';
			else if (*p == 't')
				*w++ = '\t';
			else if (*p == 'n')
				*w++ = '\n';
			else if (*p == 'r')
				*w++ = '\r';
			else if (*p == 'x' && hexval(p[1]) >= 0 &&
				 hexval(p[2]) >= 0) {
				*w++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
				p += 2;
			} else
				return false;
		}
		*w = '\0';
		r->len[i] = (size_t)(w - s);
	}
	return true;
}

/* rec_num - field i as an integer */
static bool
rec_num(const struct rec *r, int i, long long *out)
{
	char *end;

	if (i >= r->n || r->none[i] || r->f[i][0] == '\0')
		return false;
	*out = strtoll(r->f[i], &end, 10);
	return *end == '\0';
}

/* rec_float - field i as a float */
static bool
rec_float(const struct rec *r, int i, float *out)
{
	char *end;

	if (i >= r->n || r->f[i][0] == '\0')
		return false;
	*out = strtof(r->f[i], &end);
	return *end == '\0';
}

/* rec_span - field i as a span (SPAN_NULL for "-") */
static struct span
rec_span(const struct rec *r, int i)
{
	if (i >= r->n || r->none[i])
		return SPAN_NULL;
	return span_make(r->f[i], r->len[i]);
}

/* rec_str - field i copied into the message's arena (NULL for "-") */
static const char *
rec_str(struct msgbox *b, const struct rec *r, int i)
{
	if (i >= r->n || r->none[i])
		return NULL;
	return arena_str(b, rec_span(r, i));
}

/* rec_name - field i interned (or in the arena) */
static const char *
rec_name(struct corr *c, struct msgbox *b, const struct rec *r, int i)
{
	if (i >= r->n || r->none[i])
		return NULL;
	return name_str(c, b, rec_span(r, i));
}

/* restore_msg - an M record */
static struct msgbox *
restore_msg(struct corr *c, const struct rec *r)
{
	struct msgbox *b;
	struct corr_msg *m;
	long long v[12];
	static const int num_at[] = { 5, 6, 7, 8, 12, 15, 16, 17, 18 };
	size_t i;

	if (r->n != 26 || (strcmp(r->f[1], "q") && strcmp(r->f[1], "u")))
		return NULL;
	for (i = 0; i < sizeof(num_at) / sizeof(num_at[0]); i++)
		if (!rec_num(r, num_at[i], &v[i]))
			return NULL;
	if (r->none[2] || r->none[3] || r->none[4] || r->len[4] == 0 ||
	    v[3] < 0 || v[3] >= CORR_ORIGIN_COUNT || v[8] < 0 ||
	    v[8] >= CORR_LINK_COUNT)
		return NULL;
	m = msg_new(c, rec_span(r, 2), rec_span(r, 3), rec_span(r, 4), v[0]);
	b = (struct msgbox *)m;
	m->first_time = v[0];
	m->last_time = v[1];
	m->arrival_time = v[2];
	m->origin = (enum corr_origin)v[3];
	m->client = rec_str(b, r, 9);
	m->sasl_method = rec_str(b, r, 10);
	m->sasl_username = rec_str(b, r, 11);
	m->uid = (long)v[4];
	m->message_id = rec_str(b, r, 13);
	m->sender = rec_str(b, r, 14);
	m->have_sender = m->sender != NULL;
	m->size = v[5];
	m->nrcpt = (int)v[6];
	m->expired = (v[7] & 1) != 0;
	m->force_expired = (v[7] & 2) != 0;
	m->held = (v[7] & 4) != 0;
	m->truncated = (v[7] & 8) != 0;
	m->parent.kind = (enum corr_link)v[8];
	m->parent.qid = rec_str(b, r, 19);
	m->parent.instance = rec_name(c, b, r, 20);
	m->parent_sender = rec_str(b, r, 21);
	m->parent_message_id = rec_str(b, r, 22);
	m->reject_stage = rec_str(b, r, 23);
	m->reject_reply = rec_str(b, r, 24);
	m->reject_action = rec_str(b, r, 25);
	if (r->f[1][0] == 'q')
		touch(c, m, true);
	return b;
}

/* restore_attempt - an A record for recipient rc of b */
static bool
restore_attempt(struct corr *c, struct msgbox *b, struct corr_rcpt *rc,
		const struct rec *r)
{
	struct corr_attempt *a;
	long long t, usec, st, cmd, code;
	unsigned saved_n = rc->nattempts;
	int k;

	if (r->n != 16 || !rec_num(r, 1, &t) || !rec_num(r, 2, &usec) ||
	    !rec_num(r, 3, &st) || !rec_num(r, 4, &cmd) ||
	    !rec_num(r, 11, &code) || rc->nkept >= CORR_MAX_ATTEMPTS)
		return false;
	a = attempt_add(b, rc);
	rc->nattempts = saved_n;	/* the R record has the true count */
	if (a == NULL)
		return true;
	memset(a, 0, sizeof(*a));
	a->time = t;
	a->usec = (int32_t)usec;
	a->status = (enum logline_status)st;
	a->command = (enum logline_command)cmd;
	if (!rec_float(r, 5, &a->delay))
		return false;
	for (k = 0; k < 4; k++)
		if (!rec_float(r, 6 + k, &a->delays[k]))
			return false;
	span_copy(a->dsn, sizeof(a->dsn), rec_span(r, 10));
	a->smtp_code = (unsigned)code;
	a->daemon = rec_name(c, b, r, 12);
	a->relay = rec_str(b, r, 13);
	a->reply = rec_str(b, r, 14);
	a->remote_qid = rec_str(b, r, 15);
	return true;
}

int
corr_restore(struct corr *c, const char *text, size_t len, struct buf *why)
{
	char *copy = xstrndup(text, len), *line, *nl;
	struct msgbox *b = NULL;
	struct corr_rcpt *rc = NULL;
	struct corr_linkref *l;
	struct pending *p;
	struct rec r;
	long long v, v2;
	size_t n = 0, lineno = 0;
	bool ended = false;

	clear_all(c);
	for (line = copy; *line != '\0' && !ended; line = nl) {
		nl = strchr(line, '\n');
		if (nl == NULL) {
			buf_addf(why, "corr state line %zu: no newline",
				 lineno + 1);
			goto bad;
		}
		*nl++ = '\0';
		lineno++;
		if (!rec_split(&r, line)) {
			buf_addf(why, "corr state line %zu: bad escape",
				 lineno);
			goto bad;
		}
		if (lineno == 1) {
			if (strcmp(r.f[0], "plainbounce-corr") != 0 ||
			    !rec_num(&r, 1, &v) || v != SAVE_VERSION ||
			    !rec_num(&r, 2, &v2)) {
				buf_addf(why, "corr state: not version %d",
					 SAVE_VERSION);
				goto bad;
			}
			c->next_sweep = v2;
			continue;
		}
		if (strcmp(r.f[0], "M") == 0) {
			b = restore_msg(c, &r);
			rc = NULL;
			if (b == NULL)
				goto badrec;
			n++;
		} else if (strcmp(r.f[0], "C") == 0) {
			if (b == NULL || r.n != 4 || !rec_num(&r, 1, &v) ||
			    v <= 0 || v >= CORR_LINK_COUNT || r.none[2])
				goto badrec;
			l = arena_alloc(b, sizeof(*l));
			if (l == NULL)
				continue;
			l->next = NULL;
			l->kind = (enum corr_link)v;
			l->qid = rec_str(b, &r, 2);
			l->instance = rec_name(c, b, &r, 3);
			if (b->p.child_tail)
				b->p.child_tail->next = l;
			else
				b->m.children = l;
			b->p.child_tail = l;
		} else if (strcmp(r.f[0], "R") == 0) {
			long long st, na, nd, ft;

			if (b == NULL || r.n != 7 || r.none[1] ||
			    !rec_num(&r, 3, &st) || !rec_num(&r, 4, &na) ||
			    !rec_num(&r, 5, &nd) || !rec_num(&r, 6, &ft) ||
			    st < 0 || st >= CORR_STATE_COUNT)
				goto badrec;
			rc = rcpt_get(b, rec_span(&r, 1), rec_span(&r, 2));
			if (rc == NULL)
				continue;
			rc->state = (enum corr_state)st;
			rc->nattempts = (unsigned)na;
			rc->ndeferred = (unsigned)nd;
			rc->final_time = ft;
		} else if (strcmp(r.f[0], "A") == 0) {
			if (b == NULL || rc == NULL ||
			    !restore_attempt(c, b, rc, &r))
				goto badrec;
		} else if (strcmp(r.f[0], "P") == 0) {
			if (r.n != 9 || r.none[1] || r.none[2] || r.none[3] ||
			    r.none[4] || !rec_num(&r, 7, &v) ||
			    !rec_num(&r, 8, &v2) || v <= 0 ||
			    v >= CORR_LINK_COUNT || c->npending == PENDING_MAX)
				goto badrec;
			p = &c->pending[c->npending++];
			p->host = xstrdup(r.f[1]);
			p->qid = xstrdup(r.f[2]);
			p->parent_instance = xstrdup(r.f[3]);
			p->parent_qid = xstrdup(r.f[4]);
			p->parent_sender = r.none[5] ? NULL : xstrdup(r.f[5]);
			p->parent_message_id = r.none[6] ? NULL :
			    xstrdup(r.f[6]);
			p->kind = (enum corr_link)v;
			p->time = v2;
		} else if (strcmp(r.f[0], "end") == 0) {
			if (!rec_num(&r, 1, &v) || (size_t)v != n)
				goto badrec;
			ended = true;
		} else {
			goto badrec;
		}
	}
	if (!ended) {
		buf_addf(why, "corr state: truncated (no end record)");
		goto bad;
	}
	free(copy);
	return 0;
badrec:
	buf_addf(why, "corr state line %zu: bad \"%s\" record", lineno,
		 r.f[0]);
bad:
	free(copy);
	clear_all(c);
	return -1;
}
