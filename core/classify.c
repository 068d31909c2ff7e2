/*
 * classify.c - classify one SMTP reply or Postfix text with the compiled
 * rules: fold the text once, run the phrase-part automaton over it
 * keeping the parts that start a word, then walk the rules that can
 * apply in decision order.
 *
 * Guarantees: classify_reply() reads at most CLS_NORM_MAX bytes of the
 * text, keeps all scratch space on the stack, never allocates, never
 * fails, and treats every byte value (CR, LF, NUL, invalid UTF-8) as
 * plain data.  The plain English sentences per reason live here too.
 */
#include <stdio.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "classify_int.h"
#include "dsncode.h"

#define MAX_MATCHED	128	/* distinct fragments kept per reply */
#define MAX_HITS	512	/* fragment ends recorded per reply */
#define BLOCK		256	/* automaton steps between looks at the ends */
_Static_assert(BLOCK <= 256, "a step within a block is kept in 8 bits");

/* Per reason: one sentence, who acts, and whether retrying helps. */
static const struct {
	const char *sentence;
	enum actor actor;
	bool retry;
} info[REASON_COUNT] = {
	[REASON_UNKNOWN] = { "We could not tell why; their server's own "
	    "words are the best clue.", ACTOR_OUR_ADMIN, false },
	[REASON_ADDRESS_UNKNOWN] = { "The address does not exist at their "
	    "server; check it for typos.", ACTOR_SENDER, false },
	[REASON_DOMAIN_UNKNOWN] = { "The part after the @ does not exist or "
	    "takes no mail; the domain is probably mistyped.", ACTOR_SENDER,
	    false },
	[REASON_ADDRESS_MOVED] = { "The person no longer uses this address; "
	    "the reply may name a new one.", ACTOR_SENDER, false },
	[REASON_MAILBOX_DISABLED] = { "The mailbox exists but is switched "
	    "off; reach the person another way.", ACTOR_RECIPIENT, false },
	[REASON_MAILBOX_FULL] = { "Their mailbox is full; they must make "
	    "room before mail gets in.", ACTOR_RECIPIENT, true },
	[REASON_MESSAGE_TOO_LARGE] = { "The message is too big for their "
	    "server; send smaller files or a link.", ACTOR_SENDER, false },
	[REASON_RECIPIENT_REFUSED] = { "Their server took the message and "
	    "then refused it, often by a filter on their side.",
	    ACTOR_RECIPIENT, false },
	[REASON_SPAM_SUSPECTED] = { "Their server thought the message "
	    "looked like spam.", ACTOR_SENDER, false },
	[REASON_UNSAFE_CONTENT] = { "Their server blocked an attachment or "
	    "content as unsafe.", ACTOR_SENDER, false },
	[REASON_POLICY_BLOCKED] = { "Their organisation's rules do not allow "
	    "this message; their IT can explain.", ACTOR_THEIR_ADMIN, false },
	[REASON_SENDER_BLOCKED] = { "Their server refuses mail from our "
	    "server (blocklist or reputation); our helpdesk must fix it.",
	    ACTOR_OUR_ADMIN, false },
	[REASON_AUTHENTICATION_FAILED] = { "Their server could not confirm "
	    "the mail came from our domain (SPF, DKIM, DMARC).",
	    ACTOR_OUR_ADMIN, false },
	[REASON_REVERSE_DNS_MISSING] = { "Our server's address lacks the "
	    "name record their server requires.", ACTOR_OUR_ADMIN, false },
	[REASON_SENDER_ADDRESS_REJECTED] = { "Their server refused the "
	    "sender address or its domain.", ACTOR_OUR_ADMIN, false },
	[REASON_RELAY_DENIED] = { "Their server says it does not take mail "
	    "for this address; mail routing is set up wrong.",
	    ACTOR_THEIR_ADMIN, false },
	[REASON_TLS_REQUIRED] = { "A secure connection was needed but could "
	    "not be set up.", ACTOR_OUR_ADMIN, false },
	[REASON_RATE_LIMITED] = { "Their server asked us to slow down; we "
	    "keep trying on our own.", ACTOR_NOBODY, true },
	[REASON_GREYLISTED] = { "Their server asked us to come back a bit "
	    "later, a normal anti-spam delay.", ACTOR_NOBODY, true },
	[REASON_CANNOT_CONNECT] = { "We could not reach their mail server; "
	    "we keep trying on our own.", ACTOR_NOBODY, true },
	[REASON_REMOTE_SERVER_PROBLEM] = { "Their mail server had a problem "
	    "of its own; we keep trying.", ACTOR_THEIR_ADMIN, true },
	[REASON_MALFORMED_MESSAGE] = { "Their server refused the technical "
	    "format of the message.", ACTOR_OUR_ADMIN, false },
	[REASON_PROTOCOL_ERROR] = { "The two mail servers did not "
	    "understand each other.", ACTOR_OUR_ADMIN, false },
	[REASON_SECURITY_REQUIREMENT] = { "Their server asked for a login or "
	    "security step we did not provide.", ACTOR_OUR_ADMIN, false },
	[REASON_LOCAL_SYSTEM_PROBLEM] = { "Our own mail server had a problem "
	    "with this message.", ACTOR_OUR_ADMIN, false },
	[REASON_DELIVERY_EXPIRED] = { "We kept trying and never got through, "
	    "so in the end we gave up.", ACTOR_SENDER, false },
	[REASON_AUTO_REPLY] = { "This is an automatic reply, such as "
	    "out-of-office, not a failure.", ACTOR_NOBODY, false },
	[REASON_COMPLAINT] = { "The recipient reported the message as "
	    "spam.", ACTOR_OUR_ADMIN, false },
	[REASON_DELIVERED] = { "The message was delivered.", ACTOR_NOBODY,
	    false },
};

static const char *const via_names[CLS_VIA_COUNT] = {
	[CLS_VIA_NONE] = "none", [CLS_VIA_SITE] = "site",
	[CLS_VIA_PROVIDER] = "provider", [CLS_VIA_PHRASE] = "phrase",
	[CLS_VIA_DSN] = "dsn", [CLS_VIA_CODE] = "code",
};

const char *
classify_via_name(enum classify_via v)
{
	return (unsigned)v < CLS_VIA_COUNT ? via_names[v] : "none";
}

const char *
classify_sentence(enum reason r)
{
	return (unsigned)r < REASON_COUNT ? info[r].sentence
					  : info[REASON_UNKNOWN].sentence;
}

enum actor
classify_reason_actor(enum reason r)
{
	return (unsigned)r < REASON_COUNT ? info[r].actor : ACTOR_OUR_ADMIN;
}

void
classify_input_init(struct classify_input *in)
{
	memset(in, 0, sizeof(*in));
	in->relay_reached = -1;
	in->tried_for = -1;
}

/* is_digit3 - "550" style reply code of class 2, 4 or 5 at p */
static int
is_code3(const char *p, size_t avail)
{
	return avail >= 3 && (p[0] == '2' || p[0] == '4' || p[0] == '5') &&
	    p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
	    (avail == 3 || p[3] == ' ' || p[3] == '-');
}

size_t
cls_normalize(const char *s, size_t len, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	char *o = out, *limit;
	unsigned char c;
	int space = 1;		/* the last byte written is a space */
	int is_space;

	if (size < 3) {
		if (size)
			out[0] = '\0';
		return 0;
	}
	limit = out + size - 2;
	*o++ = ' ';
	while (p < e && o < limit) {
		c = *p++;
		/* continuation prefix "550-5.1.1 " at the start of a word */
		if ((unsigned)(c - '2') < 4u && space && e - p >= 3 && p[2] == '-' &&
		    is_code3((const char *)p - 1, (size_t)(e - p) + 1)) {
			struct dsn d;
			const unsigned char *q = p + 3, *k = q;

			while (k < e && *k != ' ' && k - q < 12)
				k++;
			if (dsncode_parse((const char *)q, (size_t)(k - q), &d))
				q = k;
			p = q;
			continue;
		}
		/* branch-free: lower case, blanks and controls one space */
		is_space = c <= ' ' || c == 0x7f;
		c = (unsigned char)(c + ((unsigned)(c - 'A') < 26u) * 32);
		*o = is_space ? ' ' : (char)c;
		o += !(is_space & space);
		space = is_space;
	}
	if (!space)
		*o++ = ' ';
	*o = '\0';
	return (size_t)(o - out);
}

int64_t
cls_parse_wait(const char *p, const char *end)
{
	static const struct {
		const char *word;
		int64_t secs;
	} units[] = {
		{ "seconds", 1 }, { "second", 1 }, { "secs", 1 }, { "sec", 1 },
		{ "s", 1 }, { "minutes", 60 }, { "minute", 60 },
		{ "mins", 60 }, { "min", 60 }, { "m", 60 }, { "hours", 3600 },
		{ "hour", 3600 }, { "hrs", 3600 }, { "hr", 3600 },
		{ "h", 3600 }, { "days", 86400 }, { "day", 86400 },
		{ "d", 86400 },
	};
	static const char *const fillers[] = { "at least ", "about ",
	    "approximately ", "another ", "a further " };
	int64_t v = 0;
	size_t i, n, nd = 0;

	for (i = 0; i < sizeof(fillers) / sizeof(fillers[0]); i++) {
		n = strlen(fillers[i]);
		if ((size_t)(end - p) >= n && memcmp(p, fillers[i], n) == 0) {
			p += n;
			break;
		}
	}
	while (p < end && *p >= '0' && *p <= '9') {
		if (++nd > 7)
			return -1;
		v = v * 10 + (*p++ - '0');
	}
	if (nd == 0)
		return -1;
	if (p < end && *p == ' ')
		p++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		n = strlen(units[i].word);
		if ((size_t)(end - p) >= n && memcmp(p, units[i].word, n) == 0 &&
		    ((size_t)(end - p) == n || !((p[n] >= 'a' && p[n] <= 'z') ||
						 (p[n] >= '0' && p[n] <= '9'))))
			return v * units[i].secs;
	}
	/* a bare number after "retry after" is seconds (as in HTTP) */
	return v;
}

int64_t
classify_retry_after(const char *text, size_t len)
{
	char t[CLS_NORM_MAX + 3];
	size_t n = cls_normalize(text, len, t, sizeof(t)), i, al;
	const char *p, *best = NULL;
	int64_t w = -1;

	for (i = 0; i < cls_nretry_anchors; i++) {
		al = strlen(cls_retry_anchors[i]);
		for (p = t; (p = memmem(p, n - (size_t)(p - t),
					cls_retry_anchors[i], al)) != NULL;
		     p += al) {
			int64_t v = cls_parse_wait(p + al, t + n);

			if (v >= 0 && (best == NULL || p < best)) {
				best = p;
				w = v;
			}
		}
	}
	return w;
}

/* ordered - the parts of a multi-fragment phrase occur in order */
static int
ordered(const struct classifier *c, const struct cls_phrase *ph,
	const char *t, size_t n)
{
	const char *p = t, *q;
	uint32_t j;
	const struct cls_frag *f;

	for (j = 0; j < ph->nfrag; j++) {
		f = &c->frags[ph->frag[j]];
		q = memmem(p, n - (size_t)(p - t), c->fragtext + f->off,
			   f->len);
		if (q == NULL)
			return 0;
		p = q + f->len;
	}
	return 1;
}

/* has - is v among the first n entries of a (no early exit: the sets
 * are small, and a branch on each entry is mispredicted often) */
static int
has(const uint32_t *a, size_t n, uint32_t v)
{
	size_t i;
	int found = 0;

	for (i = 0; i < n; i++)
		found |= a[i] == v;
	return found;
}

/* The facts rule conditions are checked against. */
struct facts {
	enum classify_stage stage;
	enum classify_status status;
	int cls;		/* 2, 4, 5 or 0 */
	unsigned code;
	bool have_dsn;
	struct dsn dsn;
	uint64_t names;
};

/* conditions_hold - every condition of a rule is met by the facts */
static int
conditions_hold(const struct cls_rule *r, const struct facts *f)
{
	unsigned i;
	char code[4];

	if (r->stages && !(r->stages & (1u << f->stage)))
		return 0;
	if (r->statuses && !(r->statuses & (1u << f->status)))
		return 0;
	if (r->classes && !(r->classes & (1u << f->cls)))
		return 0;
	if (r->providers && !(r->providers & f->names))
		return 0;
	if (r->ncodes) {
		if (f->code == 0)
			return 0;
		code[0] = (char)('0' + f->code / 100);
		code[1] = (char)('0' + f->code / 10 % 10);
		code[2] = (char)('0' + f->code % 10);
		for (i = 0; i < r->ncodes; i++)
			if ((r->codes[i][0] == code[0]) &&
			    (r->codes[i][1] == 'x' || r->codes[i][1] == code[1])
			    && (r->codes[i][2] == 'x' ||
				r->codes[i][2] == code[2]))
				break;
		if (i == r->ncodes)
			return 0;
	}
	if (r->ndsns) {
		if (!f->have_dsn)
			return 0;
		for (i = 0; i < r->ndsns; i++) {
			const struct cls_dsnpat *d = &r->dsns[i];

			if ((d->cls == 0 || d->cls == f->dsn.cls) &&
			    (d->subject < 0 || d->subject == f->dsn.subject) &&
			    (d->lo < 0 || (f->dsn.detail >= d->lo &&
					   f->dsn.detail <= d->hi)))
				break;
		}
		if (i == r->ndsns)
			return 0;
	}
	return 1;
}

/* code_from_text - the reply code at t[pos] ("said: 550"), or at the start */
static unsigned
code_from_text(const char *t, size_t n, size_t pos)
{
	const char *p = t + pos;

	while (p < t + n && *p == ' ')
		p++;
	if (is_code3(p, (size_t)(t + n - p)))
		return (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 +
				  (p[2] - '0'));
	return 0;
}

/* dsn_step - the enhanced status code table's answer, or UNKNOWN */
static enum reason
dsn_step(const struct facts *f)
{
	const struct dsncode *e;

	if (!f->have_dsn)
		return REASON_UNKNOWN;
	if (f->dsn.cls == 2)
		return REASON_DELIVERED;
	if ((e = dsncode_get(f->dsn.subject, f->dsn.detail)) != NULL)
		return e->reason;
	return dsncode_subject_reason(f->dsn.subject);
}

/* put_num - write 0..999 at p; returns the end */
static char *
put_num(char *p, int v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* format_dsn - "5.7.1" into out (at least 12 bytes), without printf */
static void
format_dsn(char *out, const struct dsn *d)
{
	char *p = put_num(out, d->cls);

	*p++ = '.';
	p = put_num(p, d->subject);
	*p++ = '.';
	p = put_num(p, d->detail);
	*p = '\0';
}

/*
 * decide - walk candidate and condition-only rules (bit sets over rule
 * numbers, so in order) but the vetoed; with cause set, pass over
 * delivery_expired (rules and code table) to find what an expiry text
 * says the deferrals were about
 */
static void
decide(const struct classifier *c, const struct facts *f,
       const uint64_t *cand, const uint64_t *veto,
       struct classify_result *out, int *all, size_t max, size_t *nall,
       bool cause)
{
	uint32_t r, w;
	uint64_t bits;
	int dsn_done = 0;
	const struct cls_rule *rule;
	enum reason dr;

	for (w = 0; w < c->nwords; w++)
		for (bits = (c->always[w] | cand[w]) & ~veto[w]; bits != 0;
		     bits &= bits - 1) {
			r = w * 64 + (uint32_t)__builtin_ctzll(bits);
			rule = &c->rules[r];
			if (rule->section == SEC_NAMES)
				continue;
			if (cause && rule->reason == REASON_DELIVERY_EXPIRED)
				continue;
			if (!dsn_done && rule->section >= SEC_CODE) {
				dsn_done = 1;
				if (!all && (dr = dsn_step(f)) != REASON_UNKNOWN
				    && !(cause &&
					 dr == REASON_DELIVERY_EXPIRED)) {
					out->reason = dr;
					out->via = CLS_VIA_DSN;
					return;
				}
			}
			/* a bare reply code belongs to the expiry, not its
			 * cause */
			if (cause && rule->section >= SEC_CODE)
				goto rules_done;
			if (!conditions_hold(rule, f))
				continue;
			if (all) {
				if (*nall < max)
					all[(*nall)++] = (int)r;
				continue;
			}
			out->reason = (enum reason)rule->reason;
			out->rule = (int)r;
			out->via = rule->section == SEC_SITE ? CLS_VIA_SITE :
			    rule->section == SEC_PROVIDER ? CLS_VIA_PROVIDER :
			    rule->section == SEC_PHRASE ? CLS_VIA_PHRASE :
			    CLS_VIA_CODE;
			return;
		}
rules_done:
	if (!all && !dsn_done && (dr = dsn_step(f)) != REASON_UNKNOWN &&
	    !(cause && dr == REASON_DELIVERY_EXPIRED)) {
		out->reason = dr;
		out->via = CLS_VIA_DSN;
	}
}

/* A fragment found in the normalised text. */
struct hit {
	uint16_t frag;
	uint8_t kind;		/* copies of the fragment's */
	uint8_t value;
	uint32_t end;		/* index of its last byte */
};

/*
 * in_local_part - the word going on at t[q] is the local part of a mail
 * address ("<filtered@example.com>"): a name, not wording of the reply
 */
static int
in_local_part(const struct classifier *c, const char *t, size_t n, size_t q)
{
	while (q < n && c->local[(unsigned char)t[q]])
		q++;
	return q < n && t[q] == '@';
}

/* What one run of the automaton over part of the text found. */
struct found {
	struct hit hits[MAX_HITS];
	size_t nh;
	struct dsn dsn;
	bool have_dsn;		/* set: dsn found, or none wanted */
};

/*
 * emit - the fragments that end at t[i] in the state of row r (the
 * automaton finds them only where they start a word) and start before
 * lim, kept where they end a word if they must and are not the local
 * part of a mail address; notes the first enhanced status code
 */
static void
emit(const struct classifier *c, const char *t, size_t n, size_t i,
     uint32_t r, size_t lim, struct found *fd)
{
	uint32_t s = cls_out_index(c, r);
	const struct cls_out *o = c->outs + c->out[s];
	const struct cls_out *end = c->outs + c->out[s + 1];
	size_t codelen;

	for (; o < end; o++) {
		if (i + 1 - o->len >= lim)
			continue;
		if (o->kind == FRAG_DSN) {
			/* "5.1.1" at a word start, not "5.1.1.7" */
			if (!fd->have_dsn && dsncode_scan(t + i - 2,
			    n - i + 2 < 16 ? n - i + 2 : 16, &fd->dsn,
			    &codelen) == 1)
				fd->have_dsn = true;
			continue;
		}
		if (o->right_bound && cls_wordchar((unsigned char)t[i + 1]))
			continue;
		if (in_local_part(c, t, n, i + 1))
			continue;
		if (fd->nh < MAX_HITS) {
			fd->hits[fd->nh].frag = o->frag;
			fd->hits[fd->nh].kind = o->kind;
			fd->hits[fd->nh].value = o->value;
			fd->hits[fd->nh].end = (uint32_t)i;
			fd->nh++;
		}
	}
}

/*
 * match - run the automaton over t: two runs at once, one from the start
 * and one from a word start at or before the middle (so in the start
 * state), as the table loads of one run wait on each other and two runs
 * overlap them.  Both step together until the second reaches the end;
 * the first keeps only fragments that start before the second's start,
 * and afterwards goes on only while one begun before it may still end.
 * The runs go BLOCK steps at a time only marking where fragments end,
 * then emit() looks at the marks: no call inside the loop pushes its
 * values out of registers.  The hits come out in the order of their
 * ends, as one run gives them (at most MAX_HITS).
 */
static size_t
match(const struct classifier *c, const char *t, size_t n, struct hit *hits,
      struct dsn *dsn, bool *have_dsn)
{
	const uint32_t *delta = c->delta;
	const uint8_t *cmap = c->cmap;
	const unsigned char *u = (const unsigned char *)t, *pa, *pb;
	const uint32_t outs = c->out_first, inword = c->nclass;
	struct found a, b;
	uint32_t ra[BLOCK], rb[BLOCK];	/* row after each step */
	uint8_t ma[BLOCK], mb[BLOCK];	/* steps that end fragments */
	size_t m, ia, k, x, y, len, done, blk, i, na, nb;
	size_t va = CLS_START, vb = CLS_START;

	a.nh = b.nh = 0;
	a.have_dsn = b.have_dsn = *have_dsn;
	for (m = (n + 1) / 2; m > 1 && c->word[u[m - 1]]; m--)
		;
	for (done = 0, len = n - m; done < len; done += blk) {
		blk = len - done < BLOCK ? len - done : BLOCK;
		pa = u + 1 + done;
		pb = u + m + done;
		for (na = nb = 0, i = 0; i < blk; i++) {
			va = delta[va + cmap[pa[i]]];
			vb = delta[vb + cmap[pb[i]]];
			/* no branch: which steps mark is not predictable */
			ra[i] = (uint32_t)va;
			ma[na] = (uint8_t)i;
			na += va >= outs;
			rb[i] = (uint32_t)vb;
			mb[nb] = (uint8_t)i;
			nb += vb >= outs;
		}
		for (i = 0; i < na; i++)
			emit(c, t, n, 1 + done + ma[i], ra[ma[i]], m, &a);
		for (i = 0; i < nb; i++)
			emit(c, t, n, m + done + mb[i], rb[mb[i]], n, &b);
	}
	for (ia = 1 + len; ia < n && va != CLS_START && va != inword; ia++) {
		va = delta[va + cmap[u[ia]]];
		if (va >= outs)
			emit(c, t, n, ia, (uint32_t)va, m, &a);
	}
	/* by end; on a tie the first run's (it began earlier) first; most
	 * often all of the first's end before the second's */
	if (a.nh == 0 || b.nh == 0 || a.hits[a.nh - 1].end <= b.hits[0].end) {
		k = a.nh < MAX_HITS ? a.nh : MAX_HITS;
		memcpy(hits, a.hits, k * sizeof(hits[0]));
		y = b.nh < MAX_HITS - k ? b.nh : MAX_HITS - k;
		memcpy(hits + k, b.hits, y * sizeof(hits[0]));
		k += y;
	} else {
		for (k = x = y = 0; k < MAX_HITS && (x < a.nh || y < b.nh);
		     k++)
			if (y == b.nh || (x < a.nh &&
					  a.hits[x].end <= b.hits[y].end))
				hits[k] = a.hits[x++];
			else
				hits[k] = b.hits[y++];
	}
	if (!*have_dsn && (a.have_dsn || b.have_dsn)) {
		*dsn = a.have_dsn ? a.dsn : b.dsn;
		*have_dsn = true;
	}
	return k;
}

#ifdef __SSE2__
/*
 * fold16 - fold 16 bytes at p into o (lower case, blanks ' ') and say
 * whether the last is a blank; 0 (nothing written) if the block holds a
 * run of blanks (counting the byte before it) or may hold a multi-line
 * prefix: those take the byte loop.  Reads p[-1] to p[18]; with first
 * set p is the start of the text and counts as after a blank, and p[-1]
 * is not read.
 */
static inline int
fold16(const unsigned char *p, char *o, unsigned *last_blank, int first)
{
	const __m128i sp = _mm_set1_epi8(' '), del = _mm_set1_epi8(0x7f);
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i pv = first ? _mm_or_si128(_mm_slli_si128(x, 1),
					  _mm_cvtsi32_si128(' ')) :
	    _mm_loadu_si128((const __m128i *)(const void *)(p - 1));
	__m128i d3 = _mm_loadu_si128((const __m128i *)(const void *)(p + 3));
	__m128i blank, pblank, special, up, f;

	blank = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, sp), x),
			     _mm_cmpeq_epi8(x, del));
	pblank = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(pv, sp), pv),
			      _mm_cmpeq_epi8(pv, del));
	special = _mm_or_si128(_mm_and_si128(blank, pblank),
	    _mm_and_si128(_mm_and_si128(pblank,
		_mm_cmpeq_epi8(d3, _mm_set1_epi8('-'))),
		_mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('1')),
			      _mm_cmplt_epi8(x, _mm_set1_epi8('6')))));
	if (_mm_movemask_epi8(special) != 0)
		return 0;
	up = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)),
			   _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
	f = _mm_add_epi8(x, _mm_and_si128(up, sp));
	f = _mm_or_si128(_mm_andnot_si128(blank, f), _mm_and_si128(blank, sp));
	_mm_storeu_si128((__m128i *)(void *)o, f);
	*last_blank = (unsigned)_mm_movemask_epi8(blank) >> 15 & 1;
	return 1;
}
#endif

/*
 * scan - one pass over the raw reply folds it into t through the
 * 256-entry table (lower case; blanks and control bytes one space per
 * run) and drops multi-line prefixes such as "550-5.1.1 " (t is then
 * what cls_normalize makes of the reply); a second runs the automaton
 * over t.  Unless *have_dsn is already set, also notes the first enhanced
 * status code standing at a word start.  Returns the length of t.
 */
static size_t
scan(const struct classifier *c, const char *s, size_t len, char *t,
     struct hit *hits, size_t *nhits, struct dsn *dsn, bool *have_dsn)
{
	const unsigned char *u = (const unsigned char *)s, *p, *e;
	const uint8_t *fold = c->fold;
	char *o = t;
	size_t n;
	unsigned ch, space = 1, is_space;

	/* t has CLS_TEXT_SIZE bytes: one per input byte at most, a space
	 * at each end and the NUL */
	if (len > CLS_NORM_MAX)
		len = CLS_NORM_MAX;
	*o++ = ' ';
	for (p = u, e = u + len; p < e; ) {
		const unsigned char *stop = e - p > 16 ? p + 16 : e;
#ifdef __SSE2__
		/* 16 bytes at once where nothing needs the byte loop */
		if (e - p >= 19 && (p == u ? fold16(p, o, &space, 1) :
		    space == (fold[p[-1]] == ' ') && fold16(p, o, &space, 0))) {
			o += 16;
			p += 16;
			continue;
		}
#endif
		while (p < stop) {
			ch = fold[*p++];
			/* continuation prefix "550-5.1.1 " at a word start */
			if (space && ch - '2' < 4u && e - p >= 3 &&
			    p[2] == '-' && is_code3((const char *)p - 1,
						    (size_t)(e - p) + 1)) {
				struct dsn d;
				const unsigned char *q = p + 3, *k = q;

				while (k < e && fold[*k] != ' ' && k - q < 12)
					k++;
				if (dsncode_parse((const char *)q,
						  (size_t)(k - q), &d))
					q = k;
				p = q;
				continue;
			}
			/* branch-free: one space for a run of blanks */
			is_space = ch == ' ';
			*o = (char)ch;
			o += !(is_space & space);
			space = is_space;
		}
	}
	if (!space)
		*o++ = ' ';
	*o = '\0';
	n = (size_t)(o - t);
	*nhits = match(c, t, n, hits, dsn, have_dsn);
	return n;
}

/* run - classify; with all set, list every fitting rule instead */
static void
run(const struct classifier *c, const struct classify_input *in,
    struct classify_result *out, int *all, size_t max, size_t *nall)
{
	char t[CLS_TEXT_SIZE];
	uint32_t matched[MAX_MATCHED];
	uint64_t cand[CLS_MAX_RULES / 64], veto[CLS_MAX_RULES / 64];
	size_t n, i, k, nm = 0, code_pos = 0;
	struct dsn text_dsn;
	bool have_text_dsn, look_dsn;
	uint32_t f;
	struct hit hits[MAX_HITS];
	size_t nhits = 0, h;
	uint64_t seen = 0;	/* bit (f % 64) of every fragment in matched */
	const struct cls_phrase *ph;
	const struct cls_rule *rule;
	enum classify_stage text_stage = CLS_STAGE_NONE;
	struct facts facts;
	enum reason cause;
	size_t scanlen = in->text.len < CLS_NORM_MAX ? in->text.len
						      : CLS_NORM_MAX;
	const char *text = in->text.p ? in->text.p : "";

	memset(out, 0, sizeof(*out));
	out->rule = -1;
	out->retry_after = -1;
	out->tried_for = -1;
	if (in->text.p == NULL)
		scanlen = 0;
	/* an enhanced code in the text matters only without a specific one
	 * in the input: then scan looks for it */
	memset(&facts, 0, sizeof(facts));
	memset(cand, 0, c->nwords * sizeof(cand[0]));
	memset(veto, 0, c->nwords * sizeof(veto[0]));
	if (in->dsn.len && dsncode_parse(in->dsn.p, in->dsn.len, &facts.dsn))
		facts.have_dsn = true;
	have_text_dsn = facts.have_dsn && !(facts.dsn.subject == 0 &&
					    facts.dsn.detail == 0);
	look_dsn = !have_text_dsn;
	n = scan(c, text, scanlen, t, hits, &nhits, &text_dsn,
		 &have_text_dsn);
	if (!look_dsn)
		have_text_dsn = false;

	/* what the fragments found mean */
	for (h = 0; h < nhits; h++) {
		f = hits[h].frag;
		i = hits[h].end;
		if (hits[h].kind == FRAG_STAGE)
			text_stage = (enum classify_stage)hits[h].value;
		else if (hits[h].kind == FRAG_RETRY) {
			if (out->retry_after < 0)
				out->retry_after = cls_parse_wait(t + i + 1,
								  t + n);
		} else if (hits[h].kind == FRAG_CODE) {
			if (code_pos == 0)
				code_pos = i + 1;
		} else if (nm < MAX_MATCHED && (!(seen >> (f & 63) & 1) ||
						!has(matched, nm, f))) {
			matched[nm++] = f;
			seen |= (uint64_t)1 << (f & 63);
		}
	}

	/* facts: stage, status, codes */
	facts.stage = in->stage != CLS_STAGE_NONE ? in->stage : text_stage;
	facts.status = in->status;
	if ((!facts.have_dsn || (facts.dsn.subject == 0 &&
				 facts.dsn.detail == 0)) && have_text_dsn &&
	    !(text_dsn.subject == 0 && text_dsn.detail == 0)) {
		facts.dsn = text_dsn;
		facts.have_dsn = true;
	}
	facts.code = in->smtp_code >= 200 && in->smtp_code <= 599
	    ? in->smtp_code : code_from_text(t, n, code_pos);
	if (facts.code)
		facts.cls = (int)(facts.code / 100);
	else if (facts.have_dsn)
		facts.cls = facts.dsn.cls;
	else if (in->status == CLS_STATUS_DEFERRED)
		facts.cls = 4;
	else if (in->status == CLS_STATUS_BOUNCED)
		facts.cls = 5;
	else if (in->status == CLS_STATUS_SENT)
		facts.cls = 2;

	/* complete phrases: each is looked at once, from its first part */
	for (k = 0; k < nm; k++) {
		f = matched[k];
		for (i = c->phstart[f]; i < c->phstart[f + 1]; i++) {
			ph = &c->phrases[i];
			if (ph->nfrag > 1) {
				uint32_t j;

				for (j = 1; j < ph->nfrag; j++)
					if (!(seen >> (ph->frag[j] & 63) & 1) ||
					    !has(matched, nm, ph->frag[j]))
						break;
				if (j < ph->nfrag || !ordered(c, ph, t, n))
					continue;
			}
			if (ph->names) {
				if (!ph->negative)
					facts.names |= (uint64_t)1 << ph->name;
			} else if (ph->negative) {
				veto[ph->rule / 64] |= (uint64_t)1 <<
				    (ph->rule % 64);
			} else {
				cand[ph->rule / 64] |= (uint64_t)1 <<
				    (ph->rule % 64);
			}
		}
	}
	/* names may veto themselves: apply name rules' conditions */
	if (facts.names != 0)
		out->provider = c->names[__builtin_ctzll(facts.names)];

	decide(c, &facts, cand, veto, out, all, max, nall, false);
	/* the text itself says the sender gave up: what was it about? */
	cause = out->reason;
	if (!all && cause == REASON_DELIVERY_EXPIRED) {
		struct classify_result tmp;

		memset(&tmp, 0, sizeof(tmp));
		tmp.rule = -1;
		decide(c, &facts, cand, veto, &tmp, NULL, 0, NULL, true);
		cause = tmp.reason;
	}

	out->stage = facts.stage;
	out->smtp_code = facts.code;
	if (facts.have_dsn)
		format_dsn(out->dsn, &facts.dsn);
	out->permanent = facts.cls == 5;
	rule = out->rule >= 0 ? &c->rules[out->rule] : NULL;
	out->actor = rule && rule->actor >= 0 ? (enum actor)rule->actor
					      : info[out->reason].actor;
	if (rule && rule->retry >= 0)
		out->retry = rule->retry;
	else if (out->reason == REASON_UNKNOWN)
		out->retry = facts.cls == 4;
	else
		out->retry = info[out->reason].retry;
	out->last_reason = out->reason;
	if (in->status == CLS_STATUS_EXPIRED) {
		out->last_reason = cause;
		out->retry = info[out->last_reason].retry ||
		    out->last_reason == REASON_UNKNOWN;
		out->reason = REASON_DELIVERY_EXPIRED;
		out->actor = info[REASON_DELIVERY_EXPIRED].actor;
		out->tried_for = in->tried_for;
	} else if (out->reason == REASON_DELIVERY_EXPIRED) {
		out->last_reason = cause;
	}
}

void
classify_reply(const struct classifier *c, const struct classify_input *in,
	       struct classify_result *out)
{
	run(c, in, out, NULL, 0, NULL);
}

size_t
classify_matching_rules(const struct classifier *c,
			const struct classify_input *in, int *rules,
			size_t max)
{
	struct classify_result r;
	size_t n = 0;

	run(c, in, &r, rules, max, &n);
	return n;
}
