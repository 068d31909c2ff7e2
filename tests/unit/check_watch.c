/*
 * check_watch.c - the watcher's core: event derivation (pure, time as an
 * argument), the file follower on a temp dir (partial lines, rename+create
 * with the old file drained first, copytruncate as a gap, resuming from a
 * cursor, a file rotated away while stopped), and the pipeline into a real
 * store (milter join, outbox route rows, no event twice).
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "corr.h"
#include "logline.h"
#include "store.h"
#include "watch.h"
#include "watch_events.h"
#include "watch_file.h"
#include "xalloc.h"
#include "testutil.h"

#define T0 INT64_C(1795842000)		/* 2026-11-28T05:00:00Z */

static const char *const story[] = {
	"2026-11-28T05:00:00+00:00 mail postfix/cleanup[1]: ABC123: "
	"message-id=<m1@client.test>",
	"2026-11-28T05:00:00+00:00 mail postfix/qmgr[1]: ABC123: "
	"from=<alice@client.test>, size=100, nrcpt=2 (queue active)",
	"2026-11-28T05:00:01+00:00 mail postfix/smtp[2]: ABC123: "
	"to=<nouser@remote.test>, relay=mx[192.0.2.1]:25, delay=1, "
	"delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: "
	"550 5.1.1 <nouser@remote.test>: User unknown (in reply to RCPT TO "
	"command))",
	"2026-11-28T05:00:02+00:00 mail postfix/smtp[2]: ABC123: "
	"to=<full@remote.test>, relay=mx[192.0.2.1]:25, delay=2, "
	"delays=0/0/0/2, dsn=4.2.2, status=deferred (host mx[192.0.2.1] said: "
	"452 4.2.2 Mailbox full (in reply to RCPT TO command))",
	"2026-11-28T10:00:03+00:00 mail postfix/smtp[2]: ABC123: "
	"to=<full@remote.test>, relay=mx[192.0.2.1]:25, delay=18003, "
	"delays=0/0/0/3, dsn=4.2.2, status=deferred (host mx[192.0.2.1] said: "
	"452 4.2.2 Mailbox full (in reply to RCPT TO command))",
	"2026-11-28T11:00:00+00:00 mail postfix/smtp[2]: ABC123: "
	"to=<full@remote.test>, relay=mx[192.0.2.1]:25, delay=21600, "
	"delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
	"2026-11-28T11:00:00+00:00 mail postfix/qmgr[1]: ABC123: removed",
};
#define NSTORY (sizeof(story) / sizeof(story[0]))

struct seen {
	struct watch_ev ev[16];
	size_t n;
	int64_t lag;			/* now = line time + lag */
	struct watch_ev_opts o;
	const struct classifier *cls;
};

/* collect - derive from every correlator event, keep what came out */
static void
collect(void *arg, const struct corr_event *ce)
{
	struct seen *s = arg;

	if (s->n < 16 && watch_ev_from_corr(s->cls, &s->o, ce,
					    ce->time + s->lag, &s->ev[s->n]))
		s->n++;
}

/* load_rules - the shipped classifier */
static struct classifier *
load_rules(void)
{
	struct buf why;
	struct classifier *c;

	buf_init(&why, 1024);
	c = classify_load(tu_path("config/classify.rules"), NULL, &why);
	ck_assert_msg(c != NULL, "%s", buf_str(&why));
	buf_free(&why);
	return c;
}

/* run_story - feed story[0..n) through a correlator into s */
static struct corr *
run_story(struct seen *s, size_t n, bool keep)
{
	struct corr_opts co;
	struct corr *c;
	struct logline ll;
	struct logline_opts lo;
	size_t i;

	corr_opts_init(&co);
	co.on_event = collect;
	co.arg = s;
	c = corr_new(&co);
	logline_opts_init(&lo, T0);
	for (i = 0; i < n; i++) {
		logline_parse(&ll, story[i], strlen(story[i]), &lo);
		corr_feed(c, &ll, ll.time + s->lag);
	}
	if (keep)
		return c;
	corr_free(c);
	return NULL;
}

START_TEST(test_events_from_story)
{
	struct seen s;
	const struct watch_ev *e;

	memset(&s, 0, sizeof(s));
	watch_ev_opts_init(&s.o);
	s.cls = load_rules();
	s.lag = 10;
	run_story(&s, NSTORY, false);
	ck_assert_uint_eq(s.n, 3);

	e = &s.ev[0];
	ck_assert_str_eq(watch_ev_kind_name(e->kind), "bounced");
	ck_assert_str_eq(reason_name(e->reason), "address_unknown");
	ck_assert_str_eq(e->dsn, "5.1.1");
	ck_assert_uint_eq(e->smtp_code, 550);
	ck_assert_uint_eq(e->attempts, 1);
	ck_assert_int_eq(e->first_deferral, 0);
	ck_assert_int_eq(e->arrival, T0);
	ck_assert_int_eq(e->retry_until, T0 + 5 * 86400);
	ck_assert(!e->historical);
	ck_assert_str_eq(e->ukey, "postfix/ABC123/1795842000/"
			 "nouser@remote.test//bounced");

	/* the 2 s deferral is nothing yet; the one after 5 h is long */
	e = &s.ev[1];
	ck_assert_str_eq(watch_ev_kind_name(e->kind), "deferred_long");
	ck_assert_str_eq(reason_name(e->reason), "mailbox_full");
	ck_assert_int_eq(e->occurred, T0 + 4 * 3600);
	ck_assert_int_eq(e->first_deferral, T0 + 2);
	ck_assert_uint_eq(e->attempts, 2);

	e = &s.ev[2];
	ck_assert_str_eq(watch_ev_kind_name(e->kind), "delivered_after_delay");
	ck_assert(e->needs_deferred_long);
	ck_assert_uint_eq(e->attempts, 3);
	classify_free((struct classifier *)s.cls);
}
END_TEST

START_TEST(test_events_historical_and_stable_key)
{
	struct seen a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	watch_ev_opts_init(&a.o);
	watch_ev_opts_init(&b.o);
	a.lag = 7200;			/* read 2 h late: past max_event_age */
	b.o.historical = true;		/* an import */
	run_story(&a, NSTORY, false);
	run_story(&b, NSTORY, false);
	ck_assert_uint_eq(a.n, 3);
	ck_assert_uint_eq(b.n, 3);
	ck_assert(a.ev[0].historical);
	ck_assert(b.ev[0].historical);
	/* the same key live, late or imported: one event per kind */
	ck_assert_str_eq(a.ev[0].ukey, b.ev[0].ukey);
	ck_assert_str_eq(a.ev[1].ukey, b.ev[1].ukey);
	/* no classifier: reasons unknown, never a crash */
	ck_assert_str_eq(reason_name(a.ev[0].reason), "unknown");
}
END_TEST

START_TEST(test_deferred_long_on_tick)
{
	struct seen s;
	struct corr *c;
	const struct corr_msg *m;
	struct watch_ev e;

	memset(&s, 0, sizeof(s));
	watch_ev_opts_init(&s.o);
	s.lag = 1;
	c = run_story(&s, 4, true);	/* up to the first deferral */
	ck_assert_uint_eq(s.n, 1);	/* the bounce only */
	m = corr_lookup(c, "mail", "postfix", "ABC123");
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(m->rcpts->next);
	/* the deferred one is the second recipient */
	ck_assert(!watch_ev_deferred_long(NULL, &s.o, m, m->rcpts->next,
					  T0 + 4 * 3600 - 1, &e));
	ck_assert(watch_ev_deferred_long(NULL, &s.o, m, m->rcpts->next,
					 T0 + 4 * 3600, &e));
	ck_assert_int_eq(e.occurred, T0 + 4 * 3600);
	ck_assert(!e.historical);
	/* a bounced recipient is never deferred_long */
	ck_assert(!watch_ev_deferred_long(NULL, &s.o, m, m->rcpts,
					  T0 + 9 * 3600, &e));
	s.o.defer_notice_after = 2;
	ck_assert(watch_ev_deferred_long(NULL, &s.o, m, m->rcpts->next,
					 T0 + 2, &e));
	corr_free(c);
}
END_TEST

/* File follower */

static char *dir;
static char logpath[4096], rot[4200];

static void
fsetup(void)
{
	dir = tu_tmpdir();
	snprintf(logpath, sizeof(logpath), "%s/maillog", dir);
	snprintf(rot, sizeof(rot), "%s.1", logpath);
}

static void
fteardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

/* append - add text to a file */
static void
append(const char *path, const char *text)
{
	FILE *fp = fopen(path, "a");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

/* next_text - the next line as a string, "IDLE", or "GAP" */
static const char *
next_text(struct watch_file *f, struct watch_gap *g)
{
	static char out[256];
	struct span line;
	bool cut;
	int rc = watch_file_next(f, &line, &cut, g);

	if (rc == WATCH_FILE_IDLE)
		return "IDLE";
	if (rc == WATCH_FILE_GAP)
		return "GAP";
	ck_assert_int_eq(rc, WATCH_FILE_LINE);
	snprintf(out, sizeof(out), "%.*s", (int)line.len, line.p);
	return out;
}

START_TEST(test_file_partial_and_rename)
{
	struct watch_file *f = watch_file_new(logpath, 0);
	struct watch_gap g;

	append(logpath, "a\nb\npart");
	ck_assert_int_eq(watch_file_start(f, NULL, true, &g), WATCH_FILE_IDLE);
	ck_assert_str_eq(next_text(f, &g), "a");
	ck_assert_str_eq(next_text(f, &g), "b");
	ck_assert_str_eq(next_text(f, &g), "IDLE");	/* waits for \n */
	append(logpath, "ial\n");
	ck_assert_str_eq(next_text(f, &g), "partial");
	/* rename+create: what was left in the old file comes first */
	append(logpath, "c\n");
	ck_assert_int_eq(rename(logpath, rot), 0);
	append(logpath, "d\n");
	ck_assert_str_eq(next_text(f, &g), "c");
	ck_assert_str_eq(next_text(f, &g), "d");
	ck_assert_str_eq(next_text(f, &g), "IDLE");
	watch_file_free(f);
}
END_TEST

START_TEST(test_file_copytruncate_is_gap)
{
	struct watch_file *f = watch_file_new(logpath, 0);
	struct watch_gap g;
	FILE *fp;

	append(logpath, "one line\n");
	watch_file_start(f, NULL, true, &g);
	ck_assert_str_eq(next_text(f, &g), "one line");
	/* shrunk below our offset */
	append(logpath, "lost\n");
	ck_assert_int_eq(truncate(logpath, 0), 0);
	append(logpath, "x\n");
	ck_assert_str_eq(next_text(f, &g), "GAP");
	ck_assert_ptr_nonnull(strstr(g.note, "truncated"));
	ck_assert_ptr_nonnull(strstr(g.from, ":9"));	/* old offset */
	ck_assert_str_eq(next_text(f, &g), "x");
	/* truncated and rewritten past our offset: the first bytes differ */
	ck_assert_ptr_nonnull(fp = fopen(logpath, "w"));
	fputs("yy\nzz\n", fp);
	fclose(fp);
	ck_assert_str_eq(next_text(f, &g), "GAP");
	ck_assert_ptr_nonnull(strstr(g.note, "rewritten"));
	ck_assert_str_eq(next_text(f, &g), "yy");
	ck_assert_str_eq(next_text(f, &g), "zz");
	watch_file_free(f);
}
END_TEST

START_TEST(test_file_resume_after_rename_and_loss)
{
	struct watch_file *f = watch_file_new(logpath, 0);
	struct watch_gap g;
	char cur[WATCH_FILE_CURSOR_MAX];

	append(logpath, "a\nb\n");
	watch_file_start(f, NULL, true, &g);
	ck_assert_str_eq(next_text(f, &g), "a");
	watch_file_cursor(f, cur);
	watch_file_free(f);
	/* stopped: b is unread, then the file is rotated by rename */
	append(logpath, "c\n");
	ck_assert_int_eq(rename(logpath, rot), 0);
	append(logpath, "d\n");
	f = watch_file_new(logpath, 0);
	ck_assert_int_eq(watch_file_start(f, cur, false, &g), WATCH_FILE_IDLE);
	ck_assert_str_eq(next_text(f, &g), "b");
	ck_assert_str_eq(next_text(f, &g), "c");
	ck_assert_str_eq(next_text(f, &g), "d");
	watch_file_cursor(f, cur);
	watch_file_free(f);
	/* stopped again; rotated twice: the saved file is gone */
	append(logpath, "e\n");
	ck_assert_int_eq(rename(logpath, rot), 0);
	append(logpath, "f\n");
	ck_assert_int_eq(rename(logpath, rot), 0);
	append(logpath, "g\n");
	f = watch_file_new(logpath, 0);
	ck_assert_int_eq(watch_file_start(f, cur, false, &g), WATCH_FILE_GAP);
	ck_assert_ptr_nonnull(strstr(g.note, "while the watcher was stopped"));
	ck_assert_str_eq(g.from, cur);
	ck_assert_str_eq(next_text(f, &g), "g");
	watch_file_free(f);
	/* no cursor and not from the start: only what comes after */
	f = watch_file_new(logpath, 0);
	watch_file_start(f, NULL, false, &g);
	ck_assert_str_eq(next_text(f, &g), "IDLE");
	append(logpath, "h\n");
	ck_assert_str_eq(next_text(f, &g), "h");
	watch_file_free(f);
}
END_TEST

/* Pipeline into a store */

static char dbpath[4200];

/* raw_int - one integer from a query on a separate connection */
static long long
raw_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* feed - the story's first n lines in one batch, committed */
static void
feed(struct watch *w, size_t n, int64_t lag)
{
	struct store_err err;
	size_t i;

	ck_assert_int_eq(watch_begin(w, &err), STORE_OK);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(watch_line(w, story[i], strlen(story[i]),
					    T0, T0 + lag, &err), STORE_OK);
	ck_assert_int_eq(watch_commit(w, "file:test", "c1", T0 + lag, &err),
			 STORE_OK);
}

START_TEST(test_pipeline_join_outbox_once)
{
	struct store *s;
	struct store_err err;
	struct store_milter_record *r = xcalloc(1, sizeof(*r));
	struct watch_ev_opts o;
	struct watch *w;
	char *cursor;

	snprintf(dbpath, sizeof(dbpath), "%s/store.db", dir);
	ck_assert_int_eq(store_open(&s, dbpath, 1000, 0, &err), STORE_OK);
	r->instance = xstrdup("postfix");
	r->queue_id = xstrdup("ABC123");
	r->recorded_at = T0 - 1;
	r->message_id = xstrdup("<m1@client.test>");
	r->sender = xstrdup("alice@client.test");
	r->sasl_user = xstrdup("alice");
	r->subject = xstrdup("Hello");
	r->submission = STORE_SUBMIT_AUTHENTICATED;
	r->rcpts = xcalloc(1, sizeof(*r->rcpts));
	r->rcpts[0].address = xstrdup("nouser@remote.test");
	r->rcpts[0].notify = xstrdup("FAILURE");
	r->nrcpts = 1;
	ck_assert_int_eq(store_milter_put(s, &r, 1, 0, &err), STORE_OK);
	store_milter_record_free(r);

	watch_ev_opts_init(&o);
	w = watch_new(s, NULL, &o, true);
	feed(w, 3, 5);			/* up to the bounce */
	ck_assert_int_eq(raw_int("SELECT count(*) FROM events"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM messages WHERE "
		"sender_src = 'milter' AND submission = 'authenticated' AND "
		"submission_src = 'milter' AND subject = 'Hello' AND "
		"milter_record IS NOT NULL AND size = 100 AND "
		"size_src = 'log'"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM recipients WHERE "
		"notify = 'FAILURE' AND state = 'bounced'"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox o JOIN "
		"outbox_events x ON x.outbox = o.id WHERE o.channel = 'route' "
		"AND o.target = '' AND o.state = 'pending'"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM events WHERE "
		"historical = 0 AND occurred = 1795842001 AND attempts = 1"), 1);
	watch_free(w);

	/* a restart resumes at the cursor with the open state */
	w = watch_new(s, NULL, &o, true);
	ck_assert_int_eq(watch_restore(w, "file:test", &cursor, &err),
			 STORE_OK);
	ck_assert_str_eq(cursor, "c1");
	free(cursor);
	watch_free(w);

	/* the same lines imported: nothing new, nothing routed */
	o.historical = true;
	w = watch_new(s, NULL, &o, true);
	feed(w, 3, 5);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM events"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM attempts"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM counters WHERE "
		"name = 'watcher_event_repeats'"), 0);
	watch_free(w);

	/* fed twice live: still one event, and the repeat is counted */
	o.historical = false;
	w = watch_new(s, NULL, &o, true);
	feed(w, 3, 5);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM events"), 1);
	ck_assert_int_eq(raw_int("SELECT value FROM counters WHERE "
		"name = 'watcher_event_repeats'"), 1);
	watch_free(w);
	store_close(s);
}
END_TEST

Suite *
watch_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("events");
	TCase *tf = tcase_create("file");

	tcase_add_test(tc, test_events_from_story);
	tcase_add_test(tc, test_events_historical_and_stable_key);
	tcase_add_test(tc, test_deferred_long_on_tick);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tf, fsetup, fteardown);
	tcase_add_test(tf, test_file_partial_and_rename);
	tcase_add_test(tf, test_file_copytruncate_is_gap);
	tcase_add_test(tf, test_file_resume_after_rename_and_loss);
	tcase_add_test(tf, test_pipeline_join_outbox_once);
	suite_add_tcase(s, tf);
	return s;
}
