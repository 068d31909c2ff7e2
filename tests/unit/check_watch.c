/*
 * check_watch.c - the watcher's core: event derivation (pure, time as an
 * argument), the file follower on a temp dir (partial lines, rename+create
 * with the old file drained first, copytruncate as a gap, resuming from a
 * cursor, a file rotated away while stopped), and the pipeline into a real
 * store (milter join, outbox route rows, no event twice).
 */
#include <check.h>
#include <glob.h>
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
	return tu_db_int(dbpath, sql);
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

/* Import: the bulk path against the live path */

/* messages the story does not have: open at the end, dropped, rejected */
static const char extra_log[] =
	"2026-11-28T05:10:00+00:00 mail postfix/smtpd[3]: D0D111: "
	"client=c.test[192.0.2.9]\n"
	"2026-11-28T05:10:01+00:00 mail postfix/smtpd[3]: D0D111: reject: "
	"RCPT from c.test[192.0.2.9]: 550 5.1.1 <x@our.test>: Recipient "
	"address rejected: User unknown; from=<a@c.test> to=<x@our.test> "
	"proto=ESMTP helo=<c.test>\n"
	"2026-11-28T10:59:00+00:00 mail postfix/cleanup[1]: 0BE777: "
	"message-id=<open@client.test>\n"
	"2026-11-28T10:59:00+00:00 mail postfix/qmgr[1]: 0BE777: "
	"from=<bob@client.test>, size=200, nrcpt=1 (queue active)\n"
	"2026-11-28T10:59:01+00:00 mail postfix/smtp[2]: 0BE777: "
	"to=<slow@remote.test>, relay=mx[192.0.2.1]:25, delay=1, "
	"delays=0/0/0/1, dsn=4.4.1, status=deferred (connect to "
	"mx[192.0.2.1]:25: Connection timed out)\n";

/* The rows of a store by their natural keys: ids differ between paths. */
static const char *const canon_sql[] = {
	"SELECT instance, queue_id, first_seen, message_id, message_id_src,"
	" sender, sender_src, size, size_src, client_name, client_addr,"
	" client_src, sasl_user, sasl_user_src, submission, submission_src,"
	" subject, from_header, auto_submitted, precedence, list_id,"
	" headers_src, milter_record, closed FROM messages ORDER BY 1, 2, 3",
	"SELECT m.instance, m.queue_id, m.first_seen, r.address, r.orig,"
	" r.notify, r.state, r.state_at FROM recipients r JOIN messages m"
	" ON m.id = r.message ORDER BY 1, 2, 3, 4, 5",
	"SELECT m.instance, m.queue_id, m.first_seen, r.address, r.orig, a.at,"
	" a.status, a.relay, a.dsn, a.delay, a.reply FROM attempts a"
	" JOIN recipients r ON r.id = a.recipient JOIN messages m"
	" ON m.id = r.message ORDER BY 1, 2, 3, 4, 5, 6, 7",
	"SELECT m.queue_id, r.address, e.kind, e.reason, e.who_acts, e.dsn,"
	" e.reply, e.ukey, e.historical, e.created, e.last_reason,"
	" e.smtp_code, e.relay, e.attempts, e.first_deferral, e.retry_until,"
	" e.occurred FROM events e JOIN messages m ON m.id = e.message"
	" LEFT JOIN recipients r ON r.id = e.recipient ORDER BY e.ukey",
	"SELECT count(*) FROM outbox",
	"SELECT name, value FROM counters ORDER BY 1",
};

/* canon - every row of the store at path, ids replaced by keys */
static char *
canon(const char *path)
{
	struct buf out;
	sqlite3 *db;
	sqlite3_stmt *st;
	const unsigned char *v;
	char *text;
	size_t i;
	int c;

	buf_init(&out, 64u << 20);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	for (i = 0; i < sizeof(canon_sql) / sizeof(canon_sql[0]); i++) {
		ck_assert_int_eq(sqlite3_prepare_v2(db, canon_sql[i], -1, &st,
						    NULL), SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (c = 0; c < sqlite3_column_count(st); c++) {
				v = sqlite3_column_text(st, c);
				buf_addf(&out, "%s%s", c ? "|" : "",
					 v ? (const char *)v : "NULL");
			}
			buf_addf(&out, "\n");
		}
		sqlite3_finalize(st);
		buf_addf(&out, "--\n");
	}
	sqlite3_close(db);
	text = xstrdup(buf_str(&out));
	buf_free(&out);
	return text;
}

/* same_rows - a and b equal, else fail showing where they part */
static void
same_rows(const char *what, const char *a, const char *b)
{
	size_t i = 0;

	while (a[i] != '\0' && a[i] == b[i])
		i++;
	if (a[i] == b[i])
		return;
	while (i > 0 && a[i - 1] != '\n')
		i--;			/* from the start of the line */
	ck_abort_msg("%s: rows differ:\n%.300s\n--- instead of ---\n%.300s",
		     what, a + i, b + i);
}

/* import_into - import paths into a fresh or existing store at path */
static void
import_into(const char *path, const char **paths, size_t n, bool bulk,
	    size_t batch)
{
	struct store *s;
	struct store_err err;
	struct classifier *cls = load_rules();
	struct watch_ev_opts o;
	struct watch *w;
	struct buf why;

	buf_init(&why, 1024);
	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	watch_ev_opts_init(&o);
	o.historical = true;
	w = watch_new(s, cls, &o, true);
	watch_set_bulk(w, bulk);
	ck_assert_msg(watch_import(w, paths, n, batch, NULL, NULL, &why) == 0,
		      "%s", buf_str(&why));
	watch_free(w);
	store_close(s);
	classify_free(cls);
	buf_free(&why);
}

/* fixture_logs - every recorded fixture log, the story and extra_log */
static size_t
fixture_logs(char ***out)
{
	char **v = xcalloc(64, sizeof(*v));
	char path[4200];
	struct buf story_text;
	glob_t g;
	size_t n = 0, i;

	ck_assert_int_eq(glob(tu_path("tests/fixtures/logs/*.log"), 0, NULL,
			      &g), 0);
	ck_assert_int_eq(glob(tu_path("tests/fixtures/derived/*.log"),
			      GLOB_APPEND, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc && n < 60; i++)
		v[n++] = xstrdup(g.gl_pathv[i]);
	globfree(&g);
	buf_init(&story_text, 1u << 20);
	for (i = 0; i < NSTORY; i++)
		buf_addf(&story_text, "%s\n", story[i]);
	buf_addf(&story_text, "%s", extra_log);
	snprintf(path, sizeof(path), "%s/story.log", dir);
	ck_assert_int_eq(tu_write_file(path, buf_str(&story_text)), 0);
	buf_free(&story_text);
	v[n++] = xstrdup(path);
	*out = v;
	return n;
}

START_TEST(test_import_bulk_same_rows)
{
	char live_db[4200], small_db[4200];
	const char *bulk_db = dbpath;
	char *live, *bulk, *again, *small, **paths;
	size_t n, i;

	n = fixture_logs(&paths);
	ck_assert_uint_ge(n, 10);
	snprintf(live_db, sizeof(live_db), "%s/live.db", dir);
	snprintf(dbpath, sizeof(dbpath), "%s/bulk.db", dir);
	snprintf(small_db, sizeof(small_db), "%s/small.db", dir);
	/* each file alone (session-a.log repeats the scenarios' lines) */
	for (i = 0; i < n; i++) {
		snprintf(live_db, sizeof(live_db), "%s/live%zu.db", dir, i);
		snprintf(small_db, sizeof(small_db), "%s/bulk%zu.db", dir, i);
		import_into(live_db, (const char **)paths + i, 1, false, 5000);
		import_into(small_db, (const char **)paths + i, 1, true, 2);
		live = canon(live_db);
		bulk = canon(small_db);
		same_rows(paths[i], bulk, live);
		free(live);
		free(bulk);
	}
	/* all together: the repeated messages are there when re-seen */
	snprintf(live_db, sizeof(live_db), "%s/live.db", dir);
	import_into(live_db, (const char **)paths, n, false, 5000);
	import_into(bulk_db, (const char **)paths, n, true, 5000);
	/* commits in the middle of messages change nothing either */
	import_into(small_db, (const char **)paths, n, true, 3);
	live = canon(live_db);
	bulk = canon(bulk_db);
	small = canon(small_db);
	same_rows("all", bulk, live);
	same_rows("all, batch 3", small, live);
	ck_assert_int_ge(raw_int("SELECT count(*) FROM messages"), 40);
	ck_assert_int_ge(raw_int("SELECT count(*) FROM events"), 5);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM events WHERE kind = "
		"'delivered_after_delay'"), 1);
	/* still open at the end: there, not closed, as far as it got */
	ck_assert_int_eq(raw_int("SELECT count(*) FROM messages m JOIN "
		"recipients r ON r.message = m.id JOIN attempts a ON "
		"a.recipient = r.id WHERE m.queue_id = '0BE777' AND "
		"m.closed = 0 AND m.message_id = '<open@client.test>' AND "
		"r.state = 'deferred' AND a.dsn = '4.4.1'"), 1);
	/* dropped (never queued) with a rejected recipient: kept open */
	ck_assert_int_eq(raw_int("SELECT count(*) FROM messages m JOIN "
		"recipients r ON r.message = m.id WHERE m.queue_id = 'D0D111' "
		"AND m.closed = 0 AND r.state = 'rejected'"), 1);

	/* imported again, either way: not one row more */
	import_into(bulk_db, (const char **)paths, n, true, 5000);
	import_into(live_db, (const char **)paths, n, true, 5000);
	again = canon(bulk_db);
	same_rows("again, bulk", again, live);
	free(again);
	again = canon(live_db);
	same_rows("again, live", again, live);
	free(again);
	free(live);
	free(bulk);
	free(small);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
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
	/* the import test runs some thirty imports: slow under ASan on a
	 * loaded machine, and the timeout is only there to catch a hang */
	tcase_set_timeout(tf, 30);
	tcase_add_test(tf, test_file_partial_and_rename);
	tcase_add_test(tf, test_file_copytruncate_is_gap);
	tcase_add_test(tf, test_file_resume_after_rename_and_loss);
	tcase_add_test(tf, test_pipeline_join_outbox_once);
	tcase_add_test(tf, test_import_bulk_same_rows);
	suite_add_tcase(s, tf);
	return s;
}
