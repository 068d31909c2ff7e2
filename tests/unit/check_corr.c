/*
 * check_corr.c - correlation of parsed lines into messages.
 *
 * The outcome tests read logs recorded from the harness's real Postfix
 * (tests/fixtures/).  Queue ID reuse, the lifetime bound, the arena and
 * attempt limits and save/restore of hostile text use hand-made lines in
 * Postfix's exact format, because those situations cannot be recorded
 * on demand (a short queue ID is reused only after the inode is, and the
 * lifetime is days); each such test says so.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <zlib.h>

#include "corr.h"
#include "logline.h"
#include "testutil.h"
#include "xalloc.h"

#define REF_TIME 1798761600LL	/* 2027-01-01: BSD stamps fall in 2026 */

/* A correlator with its events written down as text, one per line. */
struct rec {
	struct corr *c;
	struct buf ev;
	struct logline_opts lo;
	int64_t last;
};

/* rcpt_line - "addr state nattempts ndeferred" */
static void
note_rcpt(struct buf *b, const struct corr_rcpt *r)
{
	buf_addf(b, " %s=%s/%u/%u", r->addr, corr_state_name(r->state),
		 r->nattempts, r->ndeferred);
}

/* on_event - write the event down */
static void
on_event(void *arg, const struct corr_event *e)
{
	struct rec *t = arg;
	const struct corr_msg *m = e->msg;
	const struct corr_rcpt *r;
	const struct corr_linkref *l;

	buf_addf(&t->ev, "%s %s", corr_event_name(e->kind),
		 m->qid[0] ? m->qid : "NOQUEUE");
	if (e->rcpt != NULL) {
		buf_addf(&t->ev, " %s %s", e->rcpt->addr,
			 corr_state_name(e->rcpt->state));
	} else {
		buf_addf(&t->ev, " end=%s from=%s origin=%s",
			 corr_end_name(m->end), m->have_sender ? m->sender :
			 "?", corr_origin_name(m->origin));
		if (m->parent.kind != CORR_LINK_NONE)
			buf_addf(&t->ev, " parent=%s:%s",
				 corr_link_name(m->parent.kind), m->parent.qid);
		for (l = m->children; l != NULL; l = l->next)
			buf_addf(&t->ev, " child=%s:%s",
				 corr_link_name(l->kind), l->qid);
		if (m->expired)
			buf_adds(&t->ev, " flag=expired");
		if (m->force_expired)
			buf_adds(&t->ev, " flag=force_expired");
		for (r = m->rcpts; r != NULL; r = r->next)
			note_rcpt(&t->ev, r);
	}
	buf_addc(&t->ev, '\n');
}

static void
rec_init(struct rec *t, int64_t lifetime)
{
	struct corr_opts o;

	corr_opts_init(&o);
	if (lifetime > 0) {
		o.lifetime = lifetime;
		o.unqueued_lifetime = lifetime / 2;
	}
	o.on_event = on_event;
	o.arg = t;
	t->c = corr_new(&o);
	buf_init(&t->ev, 4 << 20);
	logline_opts_init(&t->lo, REF_TIME);
	t->lo.local_is_utc = true;
	t->last = 0;
}

static void
rec_free(struct rec *t)
{
	corr_free(t->c);
	buf_free(&t->ev);
}

/* feed - every line of text, in order */
static void
feed(struct rec *t, const char *text)
{
	const char *p = text, *nl;
	struct logline ll;

	while (*p) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		logline_parse(&ll, p, (size_t)(nl - p), &t->lo);
		if (ll.time > t->last)
			t->last = ll.time;
		corr_feed(t->c, &ll, t->last);
		p = *nl ? nl + 1 : nl;
	}
}

/* has - the event log contains this text */
#define has(t, s) ck_assert_msg(strstr(buf_str(&(t)->ev), (s)) != NULL, \
	"missing \"%s\" in:\n%s", (s), buf_str(&(t)->ev))
#define hasnt(t, s) ck_assert_msg(strstr(buf_str(&(t)->ev), (s)) == NULL, \
	"unexpected \"%s\" in:\n%s", (s), buf_str(&(t)->ev))

/* count - occurrences of s in the event log */
static int
count(const struct rec *t, const char *s)
{
	const char *p = buf_str(&t->ev);
	int n = 0;

	while ((p = strstr(p, s)) != NULL) {
		n++;
		p += strlen(s);
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* hand-made lines (situations that cannot be recorded on demand) */

static char *split_at(const char *text, const char *s, const char **rest);

/* fixture - a recorded log's text (abort the test when it is missing) */
static char *
fixture(const char *rel)
{
	char *text = tu_read_file(tu_path(rel), NULL);

	ck_assert_msg(text != NULL, "cannot read fixture %s", rel);
	return text;
}

/* feed_fixture - feed a recorded log */
static void
feed_fixture(struct rec *t, const char *rel)
{
	char *text = fixture(rel);

	feed(t, text);
	free(text);
}

/* line_with - the event line containing all of a and b (b may be NULL) */
static char *
line_with(const struct rec *t, const char *a, const char *b)
{
	const char *p = buf_str(&t->ev), *nl;
	char *line;

	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		line = xstrndup(p, (size_t)(nl - p));
		if (strstr(line, a) && (b == NULL || strstr(line, b)))
			return line;
		free(line);
	}
	ck_abort_msg("no event line with \"%s\" and \"%s\" in:\n%s", a,
		     b ? b : "", buf_str(&t->ev));
	return NULL;
}

/* qid_of - the queue ID of an event line ("closed QID ...") */
static char *
qid_of(const char *line)
{
	const char *p = strchr(line, ' ') + 1, *e = strchr(p, ' ');

	return xstrndup(p, (size_t)(e - p));
}

/* ------------------------------------------------------------------ */
/* recorded outcomes */

/* One message, five recipients: sent, 5.1.1, 5.7.1, sent, deferred until
 * the message expired; one NDR for the two bounces, one for the expiry. */
START_TEST(test_mixed_outcomes)
{
	struct rec t;
	char *orig, *q, key[64], *ndr1, *ndr2;

	rec_init(&t, 0);
	feed_fixture(&t, "tests/fixtures/logs/mixed-5rcpt.log");
	orig = line_with(&t, "closed", "origin=smtpd");
	ck_assert_ptr_nonnull(strstr(orig, "end=removed from=alice@client.test"));
	ck_assert_ptr_nonnull(strstr(orig, " full5@remote.test=expired/4/3"));
	ck_assert_ptr_nonnull(strstr(orig, " nouser2@remote.test=bounced/1/0"));
	ck_assert_ptr_nonnull(strstr(orig, " policy3@remote.test=bounced/1/0"));
	ck_assert_ptr_nonnull(strstr(orig, " ok1@remote.test=delivered/1/0"));
	ck_assert_ptr_nonnull(strstr(orig, " ok4@remote.test=delivered/1/0"));
	ck_assert_ptr_nonnull(strstr(orig, "flag=expired"));
	q = qid_of(orig);
	/* five final outcomes, three deferrals, each reported once */
	snprintf(key, sizeof(key), "final %s ", q);
	ck_assert_int_eq(count(&t, key), 5);
	snprintf(key, sizeof(key), "deferred %s full5@remote.test", q);
	ck_assert_int_eq(count(&t, key), 3);
	snprintf(key, sizeof(key), "final %s full5@remote.test expired", q);
	has(&t, key);
	/* both notices are linked to it, both ways */
	snprintf(key, sizeof(key), "parent=non_delivery:%s", q);
	ck_assert_int_eq(count(&t, key), 2);
	ndr1 = line_with(&t, key, NULL);
	ck_assert_ptr_nonnull(strstr(ndr1, "from= origin=notice"));
	ck_assert_ptr_nonnull(strstr(ndr1, "alice@client.test=delivered/1/0"));
	ck_assert_int_eq(count(&t, "child=non_delivery:"), 2);
	free(ndr1);
	ndr1 = line_with(&t, "closed", "origin=notice");
	ndr2 = qid_of(ndr1);
	free(ndr1);
	snprintf(key, sizeof(key), "child=non_delivery:%s", ndr2);
	ck_assert_ptr_nonnull(strstr(orig, key));
	free(ndr2);
	free(orig);
	free(q);
	rec_free(&t);
}
END_TEST

/* Greylisted (451 4.7.1), retried, sent: one deferral, then final. */
START_TEST(test_deferred_then_sent)
{
	struct rec t;

	rec_init(&t, 0);
	feed_fixture(&t, "tests/fixtures/logs/deferred-then-sent.log");
	ck_assert_int_eq(count(&t, "deferred "), 1);
	has(&t, " grey1@remote.test deferred\n");
	has(&t, " grey1@remote.test delivered\n");
	has(&t, "grey1@remote.test=delivered/2/1\n");
	ck_assert_int_eq(count(&t, "final "), 1);
	rec_free(&t);
}
END_TEST

/* Mailbox full until maximal_queue_lifetime ran out: expired, NDR. */
START_TEST(test_deferred_until_expired)
{
	struct rec t;
	struct corr_stats st;
	char *orig, *q, key[64];

	rec_init(&t, 0);
	feed_fixture(&t, "tests/fixtures/logs/deferred-expired.log");
	orig = line_with(&t, "closed", "origin=smtpd");
	ck_assert_ptr_nonnull(strstr(orig, "full@remote.test=expired/4/3"));
	ck_assert_ptr_nonnull(strstr(orig, "flag=expired"));
	ck_assert_ptr_null(strstr(orig, "force_expired"));
	q = qid_of(orig);
	snprintf(key, sizeof(key), "parent=non_delivery:%s", q);
	has(&t, key);
	corr_stats(t.c, &st);
	ck_assert_uint_eq(st.open, 0);
	ck_assert_uint_eq(st.closed, 2);
	free(orig);
	free(q);
	rec_free(&t);
}
END_TEST

/* postsuper -e: expired by the administrator, no new attempt, NDR. */
START_TEST(test_force_expired)
{
	struct rec t;
	char *orig, *q, key[64];

	rec_init(&t, 0);
	feed_fixture(&t, "tests/fixtures/logs/force-expired.log");
	orig = line_with(&t, "closed", "origin=smtpd");
	ck_assert_ptr_nonnull(strstr(orig, "full-fe@remote.test=expired/2/1"));
	ck_assert_ptr_nonnull(strstr(orig, "flag=force_expired"));
	q = qid_of(orig);
	snprintf(key, sizeof(key), "final %s full-fe@remote.test expired", q);
	has(&t, key);
	snprintf(key, sizeof(key), "parent=non_delivery:%s", q);
	has(&t, key);
	free(orig);
	free(q);
	rec_free(&t);
}
END_TEST

/* A content filter hop: the re-injected copy is linked both ways and
 * carries the real delivery. */
START_TEST(test_content_filter_hop)
{
	struct rec t;
	char *first, *second, *q1, *q2, key[64];

	rec_init(&t, 0);
	feed_fixture(&t, "tests/fixtures/logs/content-filter.log");
	first = line_with(&t, "closed", "child=content_filter:");
	second = line_with(&t, "closed", "parent=content_filter:");
	q1 = qid_of(first);
	q2 = qid_of(second);
	ck_assert_str_ne(q1, q2);
	snprintf(key, sizeof(key), "child=content_filter:%s", q2);
	ck_assert_ptr_nonnull(strstr(first, key));
	snprintf(key, sizeof(key), "parent=content_filter:%s", q1);
	ck_assert_ptr_nonnull(strstr(second, key));
	ck_assert_ptr_nonnull(strstr(second, "ok-cf@remote.test=delivered"));
	ck_assert_ptr_nonnull(strstr(second, "origin=smtpd"));
	free(first);
	free(second);
	free(q1);
	free(q2);
	rec_free(&t);
}
END_TEST

/* find_notice - corr_foreach callback: the open non-delivery notice */
static bool
find_notice(void *arg, const struct corr_msg *m)
{
	const struct corr_msg **out = arg;

	if (m->parent.kind == CORR_LINK_NON_DELIVERY) {
		*out = m;
		return false;
	}
	return true;
}

/* first_delay - the delay of the open message's first attempt */
static bool
first_delay(void *arg, const struct corr_msg *m)
{
	float *out = arg;

	if (m->rcpts != NULL && m->rcpts->nkept > 0)
		*out = m->rcpts->attempts[0].delay;
	return false;
}

/* Delays survive save and restore exactly: whole milliseconds (what
 * Postfix logs) take the short path, any other value printf's. */
START_TEST(test_save_floats_exact)
{
	static const char *const delays[] = { "0.1", "0.05", "12345.678",
		"0", "0.1234567", "0.00003", "987654321.5" };
	char text[1024];
	struct rec t, u;
	struct buf s1, s2, why;
	float want, got;
	size_t i;

	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		want = -2;
		got = -3;
		snprintf(text, sizeof(text),
			 "Nov 28 04:33:33 mail postfix/qmgr[1]: 4A1B2C3D4E: "
			 "from=<a@example.com>, size=10, nrcpt=1 (queue "
			 "active)\n"
			 "Nov 28 04:33:34 mail postfix/smtp[2]: 4A1B2C3D4E: "
			 "to=<b@example.net>, relay=none, delay=%s, "
			 "delays=%s/0/0/0, dsn=4.4.1, status=deferred "
			 "(connect to example.net[192.0.2.1]:25: Connection "
			 "refused)\n", delays[i], delays[i]);
		rec_init(&t, 0);
		feed(&t, text);
		corr_foreach(t.c, first_delay, &want);
		ck_assert_msg(want >= 0, "%s: no attempt", delays[i]);
		buf_init(&s1, 1 << 16);
		buf_init(&s2, 1 << 16);
		buf_init(&why, 1024);
		ck_assert_int_eq(corr_save(t.c, &s1), 0);
		rec_init(&u, 0);
		ck_assert_int_eq(corr_restore(u.c, buf_str(&s1), s1.len,
					      &why), 0);
		corr_foreach(u.c, first_delay, &got);
		ck_assert_msg(got == want, "%s: %.9g after restore",
			      delays[i], (double)got);
		ck_assert_int_eq(corr_save(u.c, &s2), 0);
		ck_assert_str_eq(buf_str(&s1), buf_str(&s2));
		buf_free(&s1);
		buf_free(&s2);
		buf_free(&why);
		rec_free(&t);
		rec_free(&u);
	}
}
END_TEST

/* The NDR's own queue ID is linked to its parent; while it is still in
 * flight it knows the sender it goes back to, also across save/restore
 * (a bounce delivered after a watcher restart). */
START_TEST(test_ndr_linked)
{
	struct rec t, u;
	char *orig, *q, key[64], *head;
	const struct corr_msg *m = NULL;
	struct buf saved, why;
	char *text = fixture("tests/fixtures/logs/bounce-5.1.1.log");
	const char *rest;

	rec_init(&t, 0);
	feed(&t, text);
	orig = line_with(&t, "closed", "origin=smtpd");
	ck_assert_ptr_nonnull(strstr(orig, "nouser@remote.test=bounced/1/0"));
	q = qid_of(orig);
	snprintf(key, sizeof(key), "parent=non_delivery:%s", q);
	has(&t, key);
	free(orig);
	rec_free(&t);

	/* stop before the NDR is delivered: the parent is gone by then */
	head = split_at(text, "to=<alice@client.test>", &rest);
	rec_init(&t, 0);
	feed(&t, head);
	ck_assert_ptr_null(corr_lookup(t.c, "mail", "postfix", q));
	corr_foreach(t.c, find_notice, &m);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->parent.qid, q);
	ck_assert_str_eq(m->parent_sender, "alice@client.test");
	ck_assert_int_eq(m->origin, CORR_FROM_NOTICE);
	buf_init(&saved, 1 << 20);
	buf_init(&why, 1024);
	ck_assert_int_eq(corr_save(t.c, &saved), 0);
	rec_init(&u, 0);
	ck_assert_int_eq(corr_restore(u.c, buf_str(&saved), saved.len, &why),
			 0);
	m = NULL;
	corr_foreach(u.c, find_notice, &m);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->parent_sender, "alice@client.test");
	feed(&u, rest);
	has(&u, "from= origin=notice parent=non_delivery:");
	has(&u, "alice@client.test=delivered/1/0");
	buf_free(&saved);
	buf_free(&why);
	rec_free(&t);
	rec_free(&u);
	free(head);
	free(q);
	free(text);
}
END_TEST

/* NOQUEUE: refused at RCPT before a queue ID existed; then a message
 * where one recipient is refused (the reject line has the ID). */
START_TEST(test_noqueue_reject)
{
	struct rec t;

	rec_init(&t, 0);
	feed_fixture(&t, "tests/fixtures/logs/noqueue-reject.log");
	has(&t, "final NOQUEUE x@blocked.test rejected\n");
	has(&t, "closed NOQUEUE end=rejected from=alice@client.test "
	    "origin=unknown x@blocked.test=rejected/1/0\n");
	has(&t, "end=removed from=alice@client.test origin=smtpd "
	    "y@blocked.test=rejected/1/0 ok-nq@remote.test=delivered/1/0\n");
	rec_free(&t);
}
END_TEST

/* Ten parallel sessions, lines interleaved: ten messages, each whole. */
START_TEST(test_interleaved_burst)
{
	struct rec t;
	struct corr_stats st;

	rec_init(&t, 0);
	feed_fixture(&t, "tests/fixtures/logs/burst.log");
	ck_assert_int_eq(count(&t, "closed "), 10);
	ck_assert_int_eq(count(&t, "origin=smtpd ok-burst@remote.test="
			       "delivered/1/0\n"), 10);
	corr_stats(t.c, &st);
	ck_assert_uint_eq(st.open, 0);
	ck_assert_uint_ge(st.max_open, 5);	/* they really overlapped */
	rec_free(&t);
}
END_TEST

/* Texts of every short length are kept whole: each recipient, relay and
 * reply comes back byte for byte, with nothing after it. */
START_TEST(test_text_lengths)
{
	struct rec t;
	char line[512], addr[64], relay[64], reply[80];
	const struct corr_msg *m;
	const struct corr_rcpt *r;
	size_t n;

	rec_init(&t, 0);
	feed(&t, "Nov 19 00:00:01 mx1 postfix/qmgr[9]: ABCDEF1234: "
	     "from=<s@x.test>, size=1, nrcpt=40 (queue active)");
	for (n = 1; n <= 40; n++) {
		for (size_t i = 0; i < n; i++) {
			addr[i] = (char)('a' + (i * 7 + n) % 26);
			relay[i] = (char)('A' + (i * 5 + n) % 26);
		}
		addr[n] = relay[n] = '\0';
		snprintf(reply, sizeof(reply), "250 %.*s", (int)n, addr);
		snprintf(line, sizeof(line), "Nov 19 00:00:02 mx1 postfix/smtp[9]"
			 ": ABCDEF1234: to=<%s>, relay=%s, delay=1, "
			 "delays=0/0/0/1, dsn=2.0.0, status=sent (%s)",
			 addr, relay, reply);
		feed(&t, line);
	}
	m = corr_lookup(t.c, "mx1", "postfix", "ABCDEF1234");
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->nrcpts, 40);
	for (n = 1, r = m->rcpts; r != NULL; r = r->next, n++) {
		for (size_t i = 0; i < n; i++) {
			addr[i] = (char)('a' + (i * 7 + n) % 26);
			relay[i] = (char)('A' + (i * 5 + n) % 26);
		}
		addr[n] = relay[n] = '\0';
		snprintf(reply, sizeof(reply), "250 %s", addr);
		ck_assert_str_eq(r->addr, addr);
		ck_assert_str_eq(r->attempts[0].relay, relay);
		ck_assert_str_eq(r->attempts[0].reply, reply);
	}
	rec_free(&t);
}
END_TEST

/*
 * Many hosts and instances whose names share length, first, middle and
 * last bytes (so they meet in the correlator's cache of recent names),
 * all using one queue ID: each keeps its own message and its own name.
 */
START_TEST(test_names_that_collide)
{
	static const char *const hosts[] = {
		"aXbYc", "aZbWc", "aQbQc", "mx1", "mx2", "m1x", "relay",
		"rexay", "mail3", "maiX3", "h", "i", "hh", "ih",
	};
	static const char *const insts[] = { "postfix", "postfix-ab",
		"postfix-ba" };
	const size_t nh = sizeof(hosts) / sizeof(hosts[0]);
	const size_t ni = sizeof(insts) / sizeof(insts[0]);
	struct rec t;
	char line[256];
	const struct corr_msg *m;

	rec_init(&t, 0);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < nh; i++)
			for (size_t j = 0; j < ni; j++) {
				if (round == 0)
					snprintf(line, sizeof(line),
						 "Nov 19 00:00:01 %s %s/qmgr[9]: "
						 "ABCDEF1234: from=<s%zu.%zu@x.test>"
						 ", size=1, nrcpt=1 (queue active)",
						 hosts[i], insts[j], i, j);
				else
					snprintf(line, sizeof(line),
						 "Nov 19 00:00:02 %s %s/smtp[9]: "
						 "ABCDEF1234: to=<r%zu.%zu@x.test>, "
						 "relay=x[192.0.2.1]:25, delay=1, "
						 "delays=0/0/0/1, dsn=2.0.0, "
						 "status=sent (250 ok)",
						 hosts[i], insts[j], i, j);
				feed(&t, line);
			}
	for (size_t i = 0; i < nh; i++)
		for (size_t j = 0; j < ni; j++) {
			char want[64];

			m = corr_lookup(t.c, hosts[i], insts[j], "ABCDEF1234");
			ck_assert_ptr_nonnull(m);
			ck_assert_str_eq(m->host, hosts[i]);
			ck_assert_str_eq(m->instance, insts[j]);
			snprintf(want, sizeof(want), "s%zu.%zu@x.test", i, j);
			ck_assert_str_eq(m->sender, want);
			ck_assert_uint_eq(m->nrcpts, 1);
			snprintf(want, sizeof(want), "r%zu.%zu@x.test", i, j);
			ck_assert_str_eq(m->rcpts->addr, want);
			ck_assert_str_eq(m->rcpts->attempts[0].daemon, "smtp");
		}
	ck_assert_int_eq(count(&t, "final ABCDEF1234 "), (int)(nh * ni));
	rec_free(&t);
}
END_TEST

/* A whole recorded session: every queued message is closed at its
 * `removed`, nothing is left open or dropped. */
START_TEST(test_whole_session)
{
	struct rec t;
	struct corr_stats st;
	char *text = fixture("tests/fixtures/logs/session-a.log");
	int removed = 0;
	const char *p;

	for (p = text; (p = strstr(p, ": removed\n")) != NULL; p++)
		removed++;
	rec_init(&t, 0);
	feed(&t, text);
	corr_stats(t.c, &st);
	ck_assert_uint_eq(st.open, 0);
	ck_assert_uint_eq(st.dropped, 0);
	ck_assert_int_eq((int)st.closed, removed);
	ck_assert_int_eq(count(&t, "closed NOQUEUE"), (int)st.rejected);
	ck_assert_int_ge(count(&t, "closed NOQUEUE"), 2);
	rec_free(&t);
	free(text);
}
END_TEST

/* Queue ID reuse, on the DERIVED fixture tests/fixtures/derived/
 * qid-reuse.log (two recorded logs, the second's ID replaced by the
 * first's; see derive-qid-reuse.sh): Postfix reuses a short ID only once
 * the old queue file is gone, which cannot be recorded on demand. */
START_TEST(test_queue_id_reuse)
{
	struct rec t;
	char *first, *q, *q2;

	rec_init(&t, 0);
	feed_fixture(&t, "tests/fixtures/derived/qid-reuse.log");
	first = line_with(&t, "closed", "ok@remote.test=delivered/1/0");
	q = qid_of(first);
	ck_assert_ptr_null(strstr(first, "nouser@remote.test"));
	free(first);
	first = line_with(&t, "closed", "nouser@remote.test=bounced/1/0");
	q2 = qid_of(first);
	ck_assert_str_eq(q2, q);
	ck_assert_ptr_null(strstr(first, "ok@remote.test"));
	free(first);
	free(q);
	free(q2);
	rec_free(&t);
}
END_TEST

/* The same derived fixture with the first message's `removed` line lost
 * (a gap in the log): the stale message is dropped, not merged. */
START_TEST(test_queue_id_reuse_missed_removed)
{
	struct rec t;
	char *text = fixture("tests/fixtures/derived/qid-reuse.log");
	char *cut = strstr(text, ": removed\n"), *line;

	ck_assert_ptr_nonnull(cut);
	while (cut > text && cut[-1] != '\n')
		cut--;
	memset(cut, ' ', (size_t)(strchr(cut, '\n') - cut));
	rec_init(&t, 0);
	feed(&t, text);
	has(&t, "origin=smtpd ok@remote.test=delivered/1/0\n");
	ck_assert_int_eq(count(&t, "end=dropped"), 1);
	hasnt(&t, "ok@remote.test=delivered/1/0 nouser");
	line = line_with(&t, "end=removed", "nouser@remote.test=bounced/1/0");
	ck_assert_ptr_nonnull(strstr(line, "from=alice@client.test "
				     "origin=smtpd child=non_delivery:"));
	free(line);
	rec_free(&t);
	free(text);
}
END_TEST

/* The lifetime bound: a message never removed is dropped only once its
 * age passes the lifetime, and memory returns to nothing. */
START_TEST(test_lifetime_drop)
{
	struct rec t;
	struct corr_stats st;
	struct logline ll;
	const char *never =
"Nov 22 08:00:00 mail postfix/smtpd[1]: 1111111111: client=a.test[192.0.2.1]\n"
"Nov 22 08:00:00 mail postfix/qmgr[2]: 1111111111: from=<a@a.test>, size=1, nrcpt=1 (queue active)\n"
"Nov 22 08:00:01 mail postfix/smtp[3]: 1111111111: to=<b@b.test>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to mx.b.test[192.0.2.2]:25: Connection refused)\n"
"Nov 22 08:00:05 mail postfix/smtpd[1]: 2222222222: client=a.test[192.0.2.1]\n";
	const char *later =
"Nov 22 08:05:00 mail postfix/anvil[9]: statistics: max cache size 1 at Nov 22 08:05:00\n";
	const char *much_later =
"Nov 22 08:20:00 mail postfix/anvil[9]: statistics: max cache size 1 at Nov 22 08:20:00\n";

	rec_init(&t, 600);	/* lifetime 10 min, unqueued 5 min */
	feed(&t, never);
	corr_stats(t.c, &st);
	ck_assert_uint_eq(st.open, 2);
	has(&t, "deferred 1111111111 b@b.test deferred\n");
	feed(&t, later);	/* 5 min: the unqueued one is not yet stale */
	corr_stats(t.c, &st);
	ck_assert_uint_eq(st.open, 2);
	hasnt(&t, "dropped");
	logline_parse(&ll, much_later, strlen(much_later) - 1, &t.lo);
	corr_sweep(t.c, ll.time);	/* 20 min: both are past their limit */
	corr_stats(t.c, &st);
	ck_assert_uint_eq(st.open, 0);
	ck_assert_uint_eq(st.dropped, 2);
	ck_assert_uint_eq(st.arena_bytes, 0);
	has(&t, "dropped 1111111111 end=dropped from=a@a.test origin=smtpd "
	    "b@b.test=deferred/1/1\n");
	has(&t, "dropped 2222222222 end=dropped");
	rec_free(&t);
}
END_TEST

/* Memory follows messages in flight, not messages seen. */
START_TEST(test_memory_bounded_by_inflight)
{
	struct rec t;
	struct corr_stats st;
	char line[512];
	int i;

	rec_init(&t, 0);
	for (i = 0; i < 20000; i++) {
		int s = i % 50, mi = i / 60 % 60, h = 8 + i / 3600;

		snprintf(line, sizeof(line),
"Nov 22 %02d:%02d:%02d mail postfix/qmgr[2]: %010X: from=<a@a.test>, size=1, nrcpt=1 (queue active)\n"
"Nov 22 %02d:%02d:%02d mail postfix/smtp[3]: %010X: to=<b%d@b.test>, relay=mx.b.test[192.0.2.2]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 ok)\n",
			 h, mi, s, i + 0x100000, h, mi, s, i + 0x100000, i);
		feed(&t, line);
		if (i >= 10) {
			snprintf(line, sizeof(line),
"Nov 22 %02d:%02d:%02d mail postfix/qmgr[2]: %010X: removed\n",
				 h, mi, s, i - 10 + 0x100000);
			feed(&t, line);
		}
	}
	corr_stats(t.c, &st);
	ck_assert_uint_eq(st.open, 10);
	ck_assert_uint_le(st.max_open, 11);
	ck_assert_uint_eq(st.closed, 19990);
	ck_assert_uint_le(st.arena_bytes, 10 * 4096);
	rec_free(&t);
}
END_TEST

/* A hostile message with thousands of recipients and huge replies stays
 * within its arena; attempts beyond the limit are counted, the latest
 * kept. */
START_TEST(test_arena_and_attempt_limits)
{
	struct rec t;
	struct corr_stats st;
	const struct corr_msg *m;
	const struct corr_rcpt *r;
	char *line = xmalloc(4096), reply[1500];
	int i;

	memset(reply, 'z', sizeof(reply) - 1);
	reply[sizeof(reply) - 1] = '\0';
	rec_init(&t, 0);
	feed(&t, "Nov 22 08:00:00 mail postfix/qmgr[2]: 5555555555: from=<a@a.test>, size=1, nrcpt=3000 (queue active)\n");
	for (i = 0; i < 3000; i++) {
		snprintf(line, 4096, "Nov 22 08:00:01 mail postfix/smtp[3]: 5555555555: to=<r%d@b.test>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (%s)\n", i, reply);
		feed(&t, line);
	}
	corr_stats(t.c, &st);
	ck_assert_uint_le(st.arena_bytes, CORR_MAX_ARENA);
	m = corr_lookup(t.c, "mail", "postfix", "5555555555");
	ck_assert_ptr_nonnull(m);
	ck_assert(m->truncated);
	ck_assert_uint_lt(m->nrcpts, 3000);	/* the rest did not fit */
	ck_assert_uint_gt(m->nrcpts, 100);
	r = m->rcpts;
	ck_assert_str_eq(r->addr, "r0@b.test");
	ck_assert_uint_eq(strlen(r->attempts[0].reply), CORR_MAX_TEXT);
	rec_free(&t);

	/* one recipient deferred 40 times: 32 kept, the latest last */
	rec_init(&t, 0);
	for (i = 0; i < 40; i++) {
		snprintf(line, 4096, "Nov 22 09:%02d:00 mail postfix/smtp[3]: 6666666666: to=<r0@b.test>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (try %d)\n", i, i);
		feed(&t, line);
	}
	m = corr_lookup(t.c, "mail", "postfix", "6666666666");
	ck_assert_ptr_nonnull(m);
	ck_assert(!m->truncated);
	r = m->rcpts;
	ck_assert_uint_eq(r->nattempts, 40);
	ck_assert_uint_eq(r->ndeferred, 40);
	ck_assert_uint_eq(r->nkept, CORR_MAX_ATTEMPTS);
	ck_assert_str_eq(r->attempts[0].reply, "try 0");
	ck_assert_str_eq(r->attempts[CORR_MAX_ATTEMPTS - 2].reply, "try 30");
	ck_assert_str_eq(r->attempts[CORR_MAX_ATTEMPTS - 1].reply, "try 39");
	rec_free(&t);
	free(line);
}
END_TEST

/* Lines of a recorded session in a shuffled order (seeded), some cut
 * short: nothing breaks, the saved state restores identically, and a
 * sweep far in the future empties everything. */
START_TEST(test_shuffled_and_cut_lines)
{
	char *text = fixture("tests/fixtures/logs/session-a.log"), *p, *nl;
	char **lines = NULL, *tmp;
	size_t n = 0, cap = 0, i, j;
	unsigned long long seed = 12345;
	struct rec t, u;
	struct buf s1, s2, why;
	struct corr_stats st;

	for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			lines = xrealloc(lines, cap * sizeof(*lines));
		}
		*nl = '\0';
		lines[n++] = p;
	}
	for (i = n - 1; i > 0; i--) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		j = (size_t)((seed >> 33) % (i + 1));
		tmp = lines[i];
		lines[i] = lines[j];
		lines[j] = tmp;
	}
	rec_init(&t, 0);
	for (i = 0; i < n; i++) {
		struct logline ll;
		size_t len = strlen(lines[i]);

		if (i % 7 == 3)
			len = len * 2 / 3;	/* a line cut short */
		logline_parse(&ll, lines[i], len, &t.lo);
		corr_feed(t.c, &ll, ll.time ? ll.time : t.last);
	}
	buf_init(&s1, 1 << 22);
	buf_init(&s2, 1 << 22);
	buf_init(&why, 1024);
	ck_assert_int_eq(corr_save(t.c, &s1), 0);
	rec_init(&u, 0);
	ck_assert_int_eq(corr_restore(u.c, buf_str(&s1), s1.len, &why), 0);
	ck_assert_int_eq(corr_save(u.c, &s2), 0);
	ck_assert_str_eq(buf_str(&s1), buf_str(&s2));
	corr_sweep(t.c, REF_TIME + 365 * 86400);
	corr_stats(t.c, &st);
	ck_assert_uint_eq(st.open, 0);
	ck_assert_uint_eq(st.arena_bytes, 0);
	buf_free(&s1);
	buf_free(&s2);
	buf_free(&why);
	rec_free(&t);
	rec_free(&u);
	free(lines);
	free(text);
}
END_TEST

/* ------------------------------------------------------------------ */
/* save and restore */

/* split_at - the text before and after the first line containing s */
static char *
split_at(const char *text, const char *s, const char **rest)
{
	const char *p = strstr(text, s);

	ck_assert_ptr_nonnull(p);
	while (p > text && p[-1] != '\n')
		p--;
	*rest = p;
	return xstrndup(text, (size_t)(p - text));
}

/*
 * round_trip - feed text up to the line containing `at`, save, restore
 * into a fresh correlator and save again (must be byte-identical), then
 * feed the rest into both the restored and the uninterrupted correlator:
 * the events after the split must be the same.
 */
static void
round_trip(const char *text, const char *at)
{
	struct rec a, b;
	struct buf s1, s2, why;
	const char *rest;
	char *head = split_at(text, at, &rest);
	size_t mark;

	rec_init(&a, 0);
	rec_init(&b, 0);
	feed(&a, head);
	buf_init(&s1, 1 << 24);
	buf_init(&s2, 1 << 24);
	buf_init(&why, 1024);
	ck_assert_int_eq(corr_save(a.c, &s1), 0);
	ck_assert_msg(corr_restore(b.c, buf_str(&s1), s1.len, &why) == 0,
		      "restore: %s", buf_str(&why));
	ck_assert_int_eq(corr_save(b.c, &s2), 0);
	ck_assert_str_eq(buf_str(&s1), buf_str(&s2));
	b.last = a.last;
	mark = a.ev.len;
	feed(&a, rest);
	feed(&b, rest);
	ck_assert_str_eq(buf_str(&a.ev) + mark, buf_str(&b.ev));
	ck_assert_uint_gt(b.ev.len, 0);
	buf_free(&s1);
	buf_free(&s2);
	buf_free(&why);
	rec_free(&a);
	rec_free(&b);
	free(head);
}

/* Save at several points of recorded logs, restore, go on: the same
 * events as without the interruption. */
START_TEST(test_save_restore_recorded)
{
	static const struct {
		const char *file, *at;
	} cuts[] = {
		{ "tests/fixtures/logs/mixed-5rcpt.log", "status=expired" },
		{ "tests/fixtures/logs/mixed-5rcpt.log", "non-delivery" },
		{ "tests/fixtures/logs/content-filter.log", "status=sent" },
		{ "tests/fixtures/logs/burst.log", "status=sent" },
		{ "tests/fixtures/logs/delay-notification.log", "postsuper" },
		{ "tests/fixtures/logs/session-a.log", "status=force-expired" },
		{ "tests/fixtures/logs/session-a.log", "delay notification" },
	};
	size_t i;
	char *text;

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		text = fixture(cuts[i].file);
		round_trip(text, cuts[i].at);
		free(text);
	}
}
END_TEST

/* Hostile text (tabs, backslashes, escapes, a bidi override) survives the
 * round trip byte for byte; these replies are hand-made. */
START_TEST(test_save_restore_hostile_text)
{
	const char *log =
"Nov 22 08:00:00 mail postfix/smtpd[1]: 7777777777: client=a.test[192.0.2.1], sasl_method=PLAIN, sasl_username=us\\er\n"
"Nov 22 08:00:00 mail postfix/cleanup[4]: 7777777777: message-id=<\x1b[31m\xe2\x80\xae@x>\n"
"Nov 22 08:00:00 mail postfix/qmgr[2]: 7777777777: from=<a@a.test>, size=1, nrcpt=2 (queue active)\n"
"Nov 22 08:00:01 mail postfix/smtp[3]: 7777777777: to=<b@b.test>, relay=mx.b.test[192.0.2.2]:25, delay=1, delays=0/0/1/0, dsn=4.7.1, status=deferred (host mx.b.test[192.0.2.2] said: 451 4.7.1 tab\there back\\slash \x01 (in reply to RCPT TO command))\n"
"Nov 22 08:00:02 mail postfix/smtp[3]: 7777777777: to=<c@b.test>, relay=mx.b.test[192.0.2.2]:25, delay=1, delays=0/0/1/0, dsn=2.0.0, status=sent (250 ok)\n"
"Nov 22 08:10:01 mail postfix/smtp[3]: 7777777777: to=<b@b.test>, relay=mx.b.test[192.0.2.2]:25, delay=601, delays=600/0/1/0, dsn=2.0.0, status=sent (250 ok)\n"
"Nov 22 08:10:01 mail postfix/qmgr[2]: 7777777777: removed\n";
	struct rec a, b;
	struct buf s, why;
	const struct corr_msg *m;

	round_trip(log, "Nov 22 08:10:01");
	rec_init(&a, 0);
	rec_init(&b, 0);
	buf_init(&s, 1 << 20);
	buf_init(&why, 1024);
	feed(&a, "Nov 22 08:00:01 mail postfix/smtp[3]: 7777777777: to=<b@b.test>, relay=x, delay=1, delays=0/0/1/0, dsn=4.7.1, status=deferred (tab\there \\ \x7f\xff)\n");
	ck_assert_int_eq(corr_save(a.c, &s), 0);
	ck_assert_ptr_null(strchr(buf_str(&s) + strlen("plainbounce-corr\t"),
				  '\x7f'));
	ck_assert_int_eq(corr_restore(b.c, buf_str(&s), s.len, &why), 0);
	m = corr_lookup(b.c, "mail", "postfix", "7777777777");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->rcpts->attempts[0].reply,
			 "tab\there \\ \x7f\xff");
	/* a damaged blob is refused and leaves nothing behind */
	buf_reset(&why);
	ck_assert_int_eq(corr_restore(b.c, buf_str(&s), s.len - 5, &why), -1);
	ck_assert_ptr_null(corr_lookup(b.c, "mail", "postfix", "7777777777"));
	ck_assert_uint_gt(why.len, 0);
	buf_free(&s);
	buf_free(&why);
	rec_free(&a);
	rec_free(&b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* plainbounce trace, run as a program */

/* run_trace - run `plainbounce trace ARGS FILE`; stdout, exit status */
static char *
run_trace(const char *args, const char *file, int *status)
{
	const char *bd = getenv("PB_BUILDDIR");
	char cmd[8192];
	struct buf out;
	char chunk[4096];
	size_t n;
	FILE *fp;
	char *res;
	int st;

	ck_assert_msg(bd != NULL, "PB_BUILDDIR not set (run via make)");
	snprintf(cmd, sizeof(cmd), "TZ=UTC '%s/plainbounce' trace %s '%s' "
		 "2>/dev/null", bd, args, file);
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	buf_init(&out, 1 << 22);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(&out, chunk, n);
	st = pclose(fp);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	res = xstrdup(buf_str(&out));
	buf_free(&out);
	return res;
}

/* Hostile text from a remote (escape sequences, a bidi override, a NUL
 * look-alike) is shown escaped, in the story and in JSON; these lines are
 * hand-made, since no real server here sends such replies. */
START_TEST(test_trace_escapes_hostile_text)
{
	char *dir = tu_tmpdir(), path[4096], *out;
	int st;
	const char *log =
"Nov 22 08:00:00 mail postfix/qmgr[2]: 8888888888: from=<a@a.test>, size=1, nrcpt=1 (queue active)\n"
"Nov 22 08:00:01 mail postfix/smtp[3]: 8888888888: to=<b@b.test>, relay=mx.b.test[192.0.2.2]:25, delay=1, delays=0/0/1/0, dsn=5.7.1, status=bounced (host mx.b.test[192.0.2.2] said: 550 5.7.1 \x1b[2J\xe2\x80\xae" "evil\x07 (in reply to end of DATA command))\n"
"Nov 22 08:00:01 mail postfix/qmgr[2]: 8888888888: removed\n";

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof(path), "%s/mail.log", dir);
	ck_assert_int_eq(tu_write_file(path, log), 0);
	out = run_trace("--to B@B.TEST", path, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_ptr_nonnull(strstr(out, "bounced at"));
	ck_assert_ptr_nonnull(strstr(out, "\\x1b[2J\\u{202e}evil\\x07"));
	ck_assert_ptr_null(strchr(out, '\x1b'));
	ck_assert_ptr_null(strstr(out, "\xe2\x80\xae"));
	free(out);
	out = run_trace("--json --queue-id 8888888888", path, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_ptr_nonnull(strstr(out, "\"state\":\"bounced\""));
	ck_assert_ptr_null(strchr(out, '\x1b'));
	ck_assert_ptr_nonnull(strstr(out, "\\\\u{202e}evil"));
	free(out);
	out = run_trace("--to nobody@nowhere.test", path, &st);
	ck_assert_int_eq(st, 1);
	ck_assert_str_eq(out, "");
	free(out);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* write_part - bytes [from, to) of text into dir/name, gzip when asked */
static void
write_part(const char *dir, const char *name, const char *text, size_t from,
	   size_t to, bool gz)
{
	char path[4096];
	gzFile g;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (gz) {
		g = gzopen(path, "wb");
		ck_assert_ptr_nonnull(g);
		ck_assert_int_eq(gzwrite(g, text + from, (unsigned)(to - from)),
				 (int)(to - from));
		ck_assert_int_eq(gzclose(g), Z_OK);
		return;
	}
	ck_assert_int_eq(tu_write_bytes(path, text + from, to - from), 0);
}

/* line_start - the offset of the line holding text[at] */
static size_t
line_start(const char *text, size_t at)
{
	while (at > 0 && text[at - 1] != '\n')
		at--;
	return at;
}

/* A recorded session cut into rotated files (mail.log.2.gz, mail.log.1,
 * mail.log without its last newline), named in the wrong order: the
 * trace is the same as over the single file. */
START_TEST(test_trace_rotated_gz_partial)
{
	char *dir = tu_tmpdir(), *text, *whole, *parts, args[8192];
	size_t len, a, b;
	int st;

	ck_assert_ptr_nonnull(dir);
	text = tu_read_file(tu_path("tests/fixtures/logs/session-a.log"),
			    &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(text[len - 1], '\n');
	a = line_start(text, len / 3);
	b = line_start(text, 2 * len / 3);
	write_part(dir, "mail.log.2.gz", text, 0, a, true);
	write_part(dir, "mail.log.1", text, a, b, false);
	write_part(dir, "mail.log", text, b, len - 1, false);
	whole = run_trace("--json", tu_path("tests/fixtures/logs/session-a.log"),
			  &st);
	ck_assert_int_eq(st, 0);
	snprintf(args, sizeof(args), "--json '%s/mail.log' '%s/mail.log.1'",
		 dir, dir);
	{
		char last[4096];

		snprintf(last, sizeof(last), "%s/mail.log.2.gz", dir);
		parts = run_trace(args, last, &st);
	}
	ck_assert_int_eq(st, 0);
	ck_assert_uint_gt(strlen(whole), 1000);
	ck_assert_str_eq(parts, whole);
	free(parts);
	free(whole);
	free(text);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* count_str - occurrences of s in text */
static int
count_str(const char *text, const char *s)
{
	int n = 0;

	while ((text = strstr(text, s)) != NULL) {
		n++;
		text += strlen(s);
	}
	return n;
}

/* The filters, on recorded logs. */
START_TEST(test_trace_filters)
{
	const char *mixed = tu_path("tests/fixtures/logs/mixed-5rcpt.log");
	char file[4096], *out;
	int st;

	snprintf(file, sizeof(file), "%s", mixed);
	/* by recipient: the message and, linked to it, its two notices */
	out = run_trace("--to policy3@remote.test", file, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_int_eq(count_str(out, "\nMessage ") + (out[0] == 'M'), 3);
	ck_assert_ptr_nonnull(strstr(out, "To <policy3@remote.test>: bounced"));
	ck_assert_ptr_nonnull(strstr(out, "To <full5@remote.test>: deferred 3 "
				     "times, then expired"));
	ck_assert_ptr_nonnull(strstr(out, "Mailbox full"));
	ck_assert_ptr_nonnull(strstr(out, "This is the non-delivery notice"));
	/* the classifier's words (rules from $PB_SRCDIR/config) */
	ck_assert_ptr_nonnull(strstr(out, "What it means: "));
	free(out);
	/* JSON: one object per line */
	out = run_trace("--json --from alice@client.test", file, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_int_eq(count_str(out, "\n"), 3);
	ck_assert_int_eq(count_str(out, "\"link\":\"non_delivery\""), 4);
	ck_assert_ptr_nonnull(strstr(out, "\"state\":\"expired\""));
	ck_assert_ptr_nonnull(strstr(out, "\"deferrals\":3"));
	ck_assert_ptr_nonnull(strstr(out, "\"reason\":\"delivery_expired\""));
	free(out);
	out = run_trace("--domain remote.test --until 2026-11-28T04:33:00Z",
			file, &st);
	ck_assert_int_eq(st, 1);
	free(out);
	out = run_trace("--domain remote.test --since 2026-11-28T04:33:00Z "
			"--json", file, &st);
	ck_assert_int_eq(st, 0);
	/* the message first, then its two notices (one closed earlier) */
	ck_assert_int_eq(count_str(out, "\n"), 3);
	ck_assert_ptr_nonnull(strstr(out, "\"origin\":\"smtpd\""));
	ck_assert(strstr(out, "\"origin\":\"smtpd\"") <
		  strstr(out, "\"origin\":\"notice\""));
	free(out);
	snprintf(file, sizeof(file), "%s",
		 tu_path("tests/fixtures/logs/content-filter.log"));
	out = run_trace("--message-id pb.1795840423.9468b07eee1b@client.test",
			file, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_ptr_nonnull(strstr(out, "That was the content filter"));
	ck_assert_ptr_nonnull(strstr(out, "This is the content filter's "
				     "re-injection of message"));
	free(out);
	snprintf(file, sizeof(file), "%s",
		 tu_path("tests/fixtures/logs/local-submission.log"));
	out = run_trace("--from ALICE@client.test", file, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_ptr_nonnull(strstr(out, "Submitted locally (sendmail) by "
				     "uid 0."));
	ck_assert_ptr_nonnull(strstr(out, "proof of hand-off"));
	free(out);
	out = run_trace("--since yesterday", file, &st);
	ck_assert_int_eq(st, 2);
	free(out);
}
END_TEST

/* ------------------------------------------------------------------ */

Suite *
corr_suite(void)
{
	Suite *s = suite_create("corr");
	TCase *rec = tcase_create("recorded");
	TCase *hand = tcase_create("hand-made");

	tcase_add_test(rec, test_mixed_outcomes);
	tcase_add_test(rec, test_deferred_then_sent);
	tcase_add_test(rec, test_deferred_until_expired);
	tcase_add_test(rec, test_force_expired);
	tcase_add_test(rec, test_content_filter_hop);
	tcase_add_test(rec, test_ndr_linked);
	tcase_add_test(rec, test_save_floats_exact);
	tcase_add_test(rec, test_noqueue_reject);
	tcase_add_test(rec, test_interleaved_burst);
	tcase_add_test(rec, test_names_that_collide);
	tcase_add_test(rec, test_text_lengths);
	tcase_add_test(rec, test_whole_session);
	tcase_add_test(rec, test_queue_id_reuse);
	tcase_add_test(rec, test_queue_id_reuse_missed_removed);
	tcase_add_test(rec, test_save_restore_recorded);
	tcase_add_test(rec, test_shuffled_and_cut_lines);
	suite_add_tcase(s, rec);
	tcase_add_test(hand, test_lifetime_drop);
	tcase_add_test(hand, test_memory_bounded_by_inflight);
	tcase_add_test(hand, test_arena_and_attempt_limits);
	tcase_add_test(hand, test_save_restore_hostile_text);
	tcase_add_test(hand, test_trace_escapes_hostile_text);
	tcase_add_test(rec, test_trace_rotated_gz_partial);
	tcase_add_test(rec, test_trace_filters);
	suite_add_tcase(s, hand);
	return s;
}
