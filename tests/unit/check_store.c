/*
 * check_store.c - the store on a real temp file: migrations, reopen,
 * refusal of a newer schema, busy handling, milter records and counters.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir;
static char path[4096];

static void
setup(void)
{
	dir = tu_tmpdir();
	snprintf(path, sizeof(path), "%s/store.db", dir);
}

static void
teardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

/* raw_int - one integer from a query on a separate plain connection */
static long long
raw_int(const char *sql)
{
	return tu_db_int(path, sql);
}

/* raw_exec - run SQL on a separate plain connection */
static void
raw_exec(const char *sql)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* record - a milter record with n recipients */
static struct store_milter_record *
record(const char *qid, size_t n)
{
	struct store_milter_record *r = xcalloc(1, sizeof(*r));
	char addr[64];
	size_t i;

	r->instance = xstrdup("postfix");
	r->queue_id = xstrdup(qid);
	r->recorded_at = 1764300000;
	r->message_id = xstrdup("<abc@example.org>");
	r->subject = xstrdup("caf\xc3\xa9");
	r->sender = xstrdup("");
	r->client_addr = xstrdup("192.0.2.1");
	r->submission = STORE_SUBMIT_INBOUND;
	r->rcpts = xcalloc(n ? n : 1, sizeof(*r->rcpts));
	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "rcpt%zu@example.net", i);
		r->rcpts[i].address = xstrdup(addr);
		r->rcpts[i].notify = i == 0 ? xstrdup("FAILURE,DELAY") : NULL;
	}
	r->nrcpts = n;
	return r;
}

/* plan_uses - EXPLAIN QUERY PLAN of sql mentions index */
static bool
plan_uses(const char *sql, const char *index)
{
	char q[1024];
	sqlite3 *db;
	sqlite3_stmt *st;
	const unsigned char *d;
	bool found = false;

	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		if ((d = sqlite3_column_text(st, 3)) != NULL &&
		    strstr((const char *)d, index) != NULL)
			found = true;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return found;
}

START_TEST(test_v4_lookups_keep_an_index)
{
	struct store *s;
	struct store_err err;

	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	store_close(s);
	/* the two dropped indexes were prefixes of these unique ones */
	ck_assert_int_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE "
		"name IN ('messages_qid', 'attempts_rcpt')"), 0);
	ck_assert(plan_uses("SELECT count(*) FROM attempts WHERE "
			    "recipient = 1", "attempts_once"));
	ck_assert(plan_uses("SELECT id FROM messages WHERE instance = 'p' AND "
			    "queue_id = 'Q'", "sqlite_autoindex_messages_1"));
	ck_assert(plan_uses("UPDATE messages SET closed = 1 WHERE instance = "
			    "'p' AND queue_id = 'Q' AND first_seen BETWEEN 1 "
			    "AND 9", "sqlite_autoindex_messages_1"));
}
END_TEST

/* each trace --store lookup a helpdesk makes is served by an index, so
 * it does not read every message of a month's store */
START_TEST(test_trace_lookups_use_an_index)
{
	static const struct {
		struct store_trace_query q;
		const char *index;
	} c[] = {
		{ { .queue_id = "4ABC" }, "messages_queue" },
		{ { .to = "bob@example.net" }, "recipients_addr" },
		{ { .from = "alice@example.com" }, "messages_sender" },
		{ { .message_id = "<a@b>" }, "messages_msgid" },
		{ { .until = 1700000000 }, "messages_seen" },
	};
	struct store *s;
	struct store_err err;
	char sql[1024];
	size_t i;

	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	store_close(s);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_int_eq(store_trace_sql(&c[i].q, sql, sizeof(sql)), 0);
		ck_assert_msg(plan_uses(sql, c[i].index), "case %zu: %s does "
			      "not use %s", i, sql, c[i].index);
	}
	/* too small a buffer is refused, never cut */
	ck_assert_int_eq(store_trace_sql(&c[0].q, sql, 40), -1);
}
END_TEST

START_TEST(test_migrate_from_empty)
{
	static const char *const tables[] = {
		"messages", "recipients", "attempts", "events", "outbox",
		"outbox_events", "cursors", "gaps", "milter_records",
		"milter_recipients", "counters" };
	char sql[256];
	struct store *s;
	struct store_err err;
	size_t i;

	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	ck_assert_int_eq(store_version(s), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(store_migration_count(), STORE_SCHEMA_VERSION);
	store_close(s);
	ck_assert_int_eq(raw_int("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master"
			 " WHERE type = 'table' AND name = '%s'", tables[i]);
		ck_assert_msg(raw_int(sql) == 1, "table %s", tables[i]);
	}
	/* WAL mode is a property of the file */
	{
		sqlite3 *db;
		sqlite3_stmt *st;

		ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
		sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_str_eq((const char *)sqlite3_column_text(st, 0),
				 "wal");
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
}
END_TEST

/* the watcher made the message from the log first; the milter's record,
 * committed a moment later, joins that row and its facts win */
START_TEST(test_milter_record_after_message)
{
	struct store *s;
	struct store_err err;
	struct store_milter_record *r = record("4lateQID", 1);
	struct store_log_msg m = { .instance = "postfix",
		.queue_id = "4lateQID", .first_seen = 1764300001,
		.message_id = "<abc@example.org>", .sender = "forged@example.com",
		.size = 100, .client_name = "localhost",
		.client_addr = "127.0.0.1", .submission = NULL };
	struct store_log_msg other = m;
	int64_t id, id2;

	other.queue_id = "4otherQID";
	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	ck_assert_int_eq(store_txn_begin(s, &err), STORE_OK);
	ck_assert_int_eq(store_watch_message(s, &m, &id, &err), STORE_OK);
	ck_assert_int_eq(store_watch_message(s, &other, &id2, &err), STORE_OK);
	ck_assert_int_eq(store_txn_commit(s, &err), STORE_OK);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM messages"
		" WHERE milter_record IS NULL"), 2);
	ck_assert_int_eq(store_milter_put(s, &r, 1, 0, &err), STORE_OK);
	store_close(s);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM messages"
		" WHERE queue_id = '4lateQID' AND milter_record IS NOT NULL"
		" AND submission = 'inbound' AND submission_src = 'milter'"
		" AND sender = '' AND sender_src = 'milter'"
		" AND client_addr = '192.0.2.1' AND client_src = 'milter'"
		" AND headers_src = 'milter' AND subject = 'caf\xc3\xa9'"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM messages"
		" WHERE queue_id = '4otherQID' AND milter_record IS NULL"), 1);
	store_milter_record_free(r);
}
END_TEST

START_TEST(test_reopen_keeps_data)
{
	struct store *s;
	struct store_err err;
	struct store_milter_record *r = record("4abcXYZ", 3);
	int64_t v;

	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	ck_assert_int_eq(store_milter_put(s, &r, 1, 0, &err), STORE_OK);
	store_close(s);
	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	ck_assert_int_eq(store_version(s), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(store_counter_get(s, STORE_COUNTER_MILTER_DROPPED,
					   &v, &err), STORE_OK);
	ck_assert_int_eq(v, 0);
	store_close(s);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM milter_records"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM milter_recipients"), 3);
	/* a read-only open of the current schema works */
	ck_assert_int_eq(store_open(&s, path, 1000, STORE_READONLY, &err),
			 STORE_OK);
	store_close(s);
	store_milter_record_free(r);
}
END_TEST

/* endpoints disabled by 410 Gone survive a reopen; disabling is idempotent */
static int n_disabled;

static void
count_disabled(void *arg, const char *name, int64_t at, const char *why)
{
	ck_assert_str_eq(name, (const char *)arg);
	ck_assert_int_eq(at, 1700000000);
	ck_assert_str_eq(why, "http 410: gone");
	n_disabled++;
}

START_TEST(test_endpoint_disabled_kept)
{
	struct store *s;
	struct store_err err;
	int off = -1;

	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	ck_assert_int_eq(store_endpoint_disabled(s, "tickets", &off, &err),
			 STORE_OK);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(store_endpoint_disable(s, "tickets", 1700000000,
						"http 410: gone", &err),
			 STORE_OK);
	ck_assert_int_eq(store_endpoint_disable(s, "tickets", 1700000500,
						"again", &err), STORE_OK);
	store_close(s);
	ck_assert_int_eq(store_open(&s, path, 1000, STORE_READONLY, &err),
			 STORE_OK);
	ck_assert_int_eq(store_endpoint_disabled(s, "tickets", &off, &err),
			 STORE_OK);
	ck_assert_int_eq(off, 1);
	ck_assert_int_eq(store_endpoint_disabled(s, "chat", &off, &err),
			 STORE_OK);
	ck_assert_int_eq(off, 0);
	n_disabled = 0;
	ck_assert_int_eq(store_endpoints_disabled(s, count_disabled,
						  (void *)"tickets", &err),
			 STORE_OK);
	ck_assert_int_eq(n_disabled, 1);	/* the first time is kept */
	store_close(s);
	/* the admin enables it again, once */
	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	ck_assert_int_eq(store_endpoint_enable(s, "tickets", &err), STORE_OK);
	ck_assert_int_eq(store_endpoint_enable(s, "tickets", &err),
			 STORE_NOTFOUND);
	ck_assert_int_eq(store_endpoint_disabled(s, "tickets", &off, &err),
			 STORE_OK);
	ck_assert_int_eq(off, 0);
	store_close(s);
	/* the responder's indexes of migration 3 exist */
	ck_assert_int_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE "
				 "name IN ('outbox_events_event', "
				 "'outbox_target')"), 2);
}
END_TEST

START_TEST(test_newer_version_refused)
{
	struct store *s;
	struct store_err err;

	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	store_close(s);
	raw_exec("PRAGMA user_version = 99");
	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_FAIL);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err.msg, "newer"));
	/* and nothing was changed */
	ck_assert_int_eq(raw_int("PRAGMA user_version"), 99);
}
END_TEST

START_TEST(test_failed_migration_is_atomic)
{
	struct store *s;
	struct store_err err;

	/* a stray table makes migration 0 -> 1 fail half way */
	raw_exec("CREATE TABLE counters (x)");
	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_FAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "counters"));
	ck_assert_int_eq(raw_int("PRAGMA user_version"), 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE"
				 " name = 'messages'"), 0);
	/* read-only open of an old schema is refused, not migrated */
	ck_assert_int_eq(store_open(&s, path, 1000, STORE_READONLY, &err),
			 STORE_FAIL);
}
END_TEST

START_TEST(test_busy_is_retry)
{
	struct store *s;
	struct store_err err;
	struct store_milter_record *r = record("4busy", 1);
	sqlite3 *other;
	int64_t v;

	ck_assert_int_eq(store_open(&s, path, 100, 0, &err), STORE_OK);
	ck_assert_int_eq(sqlite3_open(path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
				      NULL), SQLITE_OK);
	ck_assert_int_eq(store_milter_put(s, &r, 1, 5, &err), STORE_RETRY);
	ck_assert_ptr_nonnull(strstr(err.msg, "locked"));
	ck_assert_int_eq(store_counter_add(s, "x", 1, &err), STORE_RETRY);
	/* readers are not blocked by a writer in WAL mode */
	ck_assert_int_eq(store_counter_get(s, "x", &v, &err), STORE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
			 SQLITE_OK);
	/* the lock is gone: the same batch goes in whole */
	ck_assert_int_eq(store_milter_put(s, &r, 1, 5, &err), STORE_OK);
	ck_assert_int_eq(store_counter_get(s, STORE_COUNTER_MILTER_DROPPED,
					   &v, &err), STORE_OK);
	ck_assert_int_eq(v, 5);
	sqlite3_close(other);
	store_close(s);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM milter_records"), 1);
	store_milter_record_free(r);
}
END_TEST

START_TEST(test_batch_rows)
{
	struct store *s;
	struct store_err err;
	struct store_milter_record *recs[50];
	char qid[32];
	size_t i;
	int64_t v;

	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	for (i = 0; i < 50; i++) {
		snprintf(qid, sizeof(qid), "4Q%zu", i);
		recs[i] = record(qid, i % 4);
	}
	ck_assert_int_eq(store_milter_put(s, recs, 50, 2, &err), STORE_OK);
	ck_assert_int_eq(store_counter_add(s, STORE_COUNTER_MILTER_DROPPED, 3,
					   &err), STORE_OK);
	ck_assert_int_eq(store_counter_get(s, STORE_COUNTER_MILTER_DROPPED,
					   &v, &err), STORE_OK);
	ck_assert_int_eq(v, 5);
	store_close(s);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM milter_records"), 50);
	/* 0+1+2+3 repeated: 12 full cycles and 0+1 -> 12*6+1 */
	ck_assert_int_eq(raw_int("SELECT count(*) FROM milter_recipients"), 73);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM milter_recipients r"
		" JOIN milter_records m ON m.id = r.record"
		" WHERE m.queue_id = '4Q3'"), 3);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM milter_records WHERE"
		" sender = '' AND sasl_user IS NULL AND"
		" subject = 'caf\xc3\xa9'"), 50);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM milter_recipients"
		" WHERE notify = 'FAILURE,DELAY'"), 37);
	for (i = 0; i < 50; i++)
		store_milter_record_free(recs[i]);
}
END_TEST

START_TEST(test_failed_batch_writes_nothing)
{
	struct store *s;
	struct store_err err;
	struct store_milter_record *recs[2];

	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	recs[0] = record("4ok", 1);
	recs[1] = record("4bad", 1);
	recs[1]->submission = "somewhere";	/* violates the CHECK */
	ck_assert_int_eq(store_milter_put(s, recs, 2, 1, &err), STORE_FAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "CHECK"));
	store_close(s);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM milter_records"), 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM counters"), 0);
	recs[1]->submission = NULL;
	store_milter_record_free(recs[0]);
	store_milter_record_free(recs[1]);
}
END_TEST

START_TEST(test_milter_find)
{
	struct store *s;
	struct store_err err;
	struct store_milter_record *recs[4], *got;
	const int64_t now = 1764300000;

	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	/* a short queue ID used twice, an hour apart */
	recs[0] = record("ABC123", 1);
	recs[0]->recorded_at = now - 3600;
	free(recs[0]->subject);
	recs[0]->subject = xstrdup("old");
	recs[1] = record("ABC123", 3);
	recs[1]->recorded_at = now + 2;
	/* another instance, same queue ID */
	recs[2] = record("ABC123", 1);
	free(recs[2]->instance);
	recs[2]->instance = xstrdup("postfix-out");
	/* no Message-ID recorded */
	recs[3] = record("NOMSGID", 1);
	free(recs[3]->message_id);
	recs[3]->message_id = NULL;
	recs[3]->submission = STORE_SUBMIT_LOCAL;
	ck_assert_int_eq(store_milter_put(s, recs, 4, 0, &err), STORE_OK);

	ck_assert_int_eq(store_milter_find(s, "postfix", "ABC123",
		"<abc@example.org>", now, &got, &err), STORE_OK);
	ck_assert_int_eq(got->recorded_at, now + 2);
	ck_assert_str_eq(got->subject, "caf\xc3\xa9");
	ck_assert_str_eq(got->submission, STORE_SUBMIT_INBOUND);
	ck_assert_str_eq(got->sender, "");
	ck_assert_ptr_null(got->sasl_user);
	ck_assert_uint_eq(got->nrcpts, 3);
	ck_assert_str_eq(got->rcpts[0].address, "rcpt0@example.net");
	ck_assert_str_eq(got->rcpts[0].notify, "FAILURE,DELAY");
	ck_assert_str_eq(got->rcpts[2].address, "rcpt2@example.net");
	ck_assert_ptr_null(got->rcpts[2].notify);
	store_milter_record_free(got);

	/* the old use of the ID, by its own arrival time */
	ck_assert_int_eq(store_milter_find(s, "postfix", "ABC123", NULL,
		now - 3500, &got, &err), STORE_OK);
	ck_assert_str_eq(got->subject, "old");
	store_milter_record_free(got);

	/* a different Message-ID never joins; outside the window neither */
	ck_assert_int_eq(store_milter_find(s, "postfix", "ABC123",
		"<other@example.org>", now, &got, &err), STORE_NOTFOUND);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(store_milter_find(s, "postfix", "ABC123", NULL,
		now + 1800, &got, &err), STORE_NOTFOUND);
	ck_assert_int_eq(store_milter_find(s, "postfix", "ZZZ", NULL,
		now, &got, &err), STORE_NOTFOUND);

	/* a record without Message-ID joins whatever the log says */
	ck_assert_int_eq(store_milter_find(s, "postfix", "NOMSGID",
		"<x@y>", now, &got, &err), STORE_OK);
	ck_assert_ptr_null(got->message_id);
	ck_assert_str_eq(got->submission, STORE_SUBMIT_LOCAL);
	store_milter_record_free(got);
	store_close(s);

	/* the instance matters, also through a read-only connection */
	ck_assert_int_eq(store_open(&s, path, 1000, STORE_READONLY, &err),
			 STORE_OK);
	ck_assert_int_eq(store_milter_find(s, "postfix-out", "ABC123", NULL,
		now, &got, &err), STORE_OK);
	ck_assert_str_eq(got->instance, "postfix-out");
	store_milter_record_free(got);
	store_close(s);
	for (int i = 0; i < 4; i++)
		store_milter_record_free(recs[i]);
}
END_TEST

/* has_id - is id among the n notices? */
static int
has_id(const struct store_notice *v, size_t n, int64_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].id == id)
			return 1;
	return 0;
}

START_TEST(test_outbox_lease)
{
	struct store *a, *b;
	struct store_err err;
	struct store_notice *va, *vb;
	size_t na, nb, i;
	int64_t ids[5], ev2[2] = { 10, 11 }, ev1 = 12, bad = 99, id;
	const int64_t t = 1000;
	char wid[32];

	ck_assert_int_eq(store_open(&a, path, 1000, 0, &err), STORE_OK);
	ck_assert_int_eq(store_open(&b, path, 1000, 0, &err), STORE_OK);
	raw_exec("INSERT INTO messages (id, instance, queue_id, first_seen)"
		 " VALUES (1, 'postfix', 'Q1', 900);"
		 "INSERT INTO events (id, message, kind, ukey, created) VALUES"
		 " (10, 1, 'bounced', 'k10', 900), (11, 1, 'bounced', 'k11', 900),"
		 " (12, 1, 'expired', 'k12', 900)");
	/* five notices, due one second apart; the first covers two events */
	for (i = 0; i < 5; i++) {
		snprintf(wid, sizeof(wid), "msg_%zu", i);
		ck_assert_int_eq(store_outbox_add(a, i % 2 ? "email" :
			"webhook:helpdesk", "ops@example.org", i == 0 ? ev2 : &ev1,
			i == 0 ? 2 : 1, i % 2 ? NULL : wid, t + (int64_t)i,
			&ids[i], &err), STORE_OK);
	}
	/* an event that does not exist: refused, nothing written */
	ck_assert_int_eq(store_outbox_add(a, "email", "x@example.org", &bad, 1,
		NULL, t, &id, &err), STORE_FAIL);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox"), 5);

	/* two responders lease at once: disjoint sets, oldest first */
	ck_assert_int_eq(store_outbox_lease(a, "resp-a", t + 10, 60, 3, &va,
					    &na, &err), STORE_OK);
	ck_assert_int_eq(store_outbox_lease(b, "resp-b", t + 10, 60, 10, &vb,
					    &nb, &err), STORE_OK);
	ck_assert_uint_eq(na, 3);
	ck_assert_uint_eq(nb, 2);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(has_id(va, na, ids[i]) + has_id(vb, nb, ids[i]),
				 1);
	ck_assert(has_id(va, na, ids[0]) && has_id(va, na, ids[2]));
	ck_assert_str_eq(va[0].channel, "webhook:helpdesk");
	ck_assert_str_eq(va[0].webhook_id, "msg_0");
	ck_assert_uint_eq(va[0].nevents, 2);
	ck_assert_int_eq(va[0].events[0], 10);
	ck_assert_int_eq(va[0].events[1], 11);
	ck_assert_ptr_null(va[1].webhook_id);
	ck_assert_int_eq(va[0].attempts, 0);
	/* nothing left while the leases run */
	store_notices_free(vb, nb);
	ck_assert_int_eq(store_outbox_lease(b, "resp-b", t + 30, 60, 10, &vb,
					    &nb, &err), STORE_OK);
	ck_assert_uint_eq(nb, 0);
	store_notices_free(vb, nb);

	/* a sends notice 0, retries notice 1, dead-letters notice 2 */
	ck_assert_int_eq(store_outbox_finish(a, ids[0], "resp-a", t + 11,
		STORE_NOTICE_SENT, 0, NULL, &err), STORE_OK);
	ck_assert_int_eq(store_outbox_finish(a, ids[1], "resp-a", t + 11,
		STORE_NOTICE_RETRY, t + 100, "503 busy", &err), STORE_OK);
	/* b does not hold notice 2: its outcome is refused */
	ck_assert_int_eq(store_outbox_finish(b, ids[2], "resp-b", t + 11,
		STORE_NOTICE_SENT, 0, NULL, &err), STORE_NOTFOUND);
	store_notices_free(va, na);

	/* a dies; after its lease ran out, b takes notice 2 over */
	ck_assert_int_eq(store_outbox_lease(b, "resp-b", t + 71, 60, 10, &vb,
					    &nb, &err), STORE_OK);
	ck_assert_uint_eq(nb, 3);	/* 2 (from a), 3 and 4 (b's own) */
	ck_assert(has_id(vb, nb, ids[2]) && !has_id(vb, nb, ids[1]));
	/* a comes back too late: its lease is gone */
	ck_assert_int_eq(store_outbox_finish(a, ids[2], "resp-a", t + 72,
		STORE_NOTICE_SENT, 0, NULL, &err), STORE_NOTFOUND);
	ck_assert_int_eq(store_outbox_finish(b, ids[2], "resp-b", t + 72,
		STORE_NOTICE_DEAD, 0, "410 gone", &err), STORE_OK);
	store_notices_free(vb, nb);

	/* the retried notice is due again at t + 100, one attempt counted */
	ck_assert_int_eq(store_outbox_lease(a, "resp-a", t + 99, 60, 10, &va,
					    &na, &err), STORE_OK);
	ck_assert(!has_id(va, na, ids[1]));
	store_notices_free(va, na);
	ck_assert_int_eq(store_outbox_lease(a, "resp-a", t + 200, 60, 10, &va,
					    &na, &err), STORE_OK);
	ck_assert(has_id(va, na, ids[1]));
	for (i = 0; i < na; i++)
		if (va[i].id == ids[1])
			ck_assert_int_eq(va[i].attempts, 1);
	store_notices_free(va, na);
	store_close(a);
	store_close(b);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox WHERE"
		" state = 'sent'"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox WHERE"
		" state = 'dead' AND last_error = '410 gone'"), 1);
}
END_TEST

START_TEST(test_cursor_and_gaps)
{
	static const unsigned char state1[] = { 0, 1, 2, 0, 255 };
	struct store *s;
	struct store_err err;
	sqlite3 *other;
	char *cursor;
	void *state;
	size_t len;
	int64_t n;

	ck_assert_int_eq(store_open(&s, path, 100, 0, &err), STORE_OK);
	ck_assert_int_eq(store_cursor_get(s, "file:/var/log/mail.log", &cursor,
		&state, &len, &err), STORE_NOTFOUND);
	ck_assert_ptr_null(cursor);

	/* cursor, state and a gap commit together */
	ck_assert_int_eq(store_txn_begin(s, &err), STORE_OK);
	ck_assert_int_eq(store_cursor_put(s, "file:/var/log/mail.log",
		"dev=2049 ino=77 off=1234", state1, sizeof(state1), 500, &err),
		STORE_OK);
	ck_assert_int_eq(store_gap_add(s, "file:/var/log/mail.log", 500,
		"off=900", "off=1000", "truncated", &err), STORE_OK);
	ck_assert_int_eq(store_txn_commit(s, &err), STORE_OK);

	/* a later batch rolled back leaves the first as it was */
	ck_assert_int_eq(store_txn_begin(s, &err), STORE_OK);
	ck_assert_int_eq(store_cursor_put(s, "file:/var/log/mail.log",
		"dev=2049 ino=77 off=9999", NULL, 0, 600, &err), STORE_OK);
	ck_assert_int_eq(store_gap_add(s, "file:/var/log/mail.log", 600,
		NULL, NULL, "lost", &err), STORE_OK);
	store_txn_rollback(s);
	store_txn_rollback(s);		/* no transaction: harmless */
	store_close(s);

	ck_assert_int_eq(store_open(&s, path, 100, STORE_READONLY, &err),
			 STORE_OK);
	ck_assert_int_eq(store_cursor_get(s, "file:/var/log/mail.log", &cursor,
		&state, &len, &err), STORE_OK);
	ck_assert_str_eq(cursor, "dev=2049 ino=77 off=1234");
	ck_assert_uint_eq(len, sizeof(state1));
	ck_assert_mem_eq(state, state1, sizeof(state1));
	free(cursor);
	free(state);
	ck_assert_int_eq(store_gap_count(s, NULL, &n, &err), STORE_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(store_gap_count(s, "journal", &n, &err), STORE_OK);
	ck_assert_int_eq(n, 0);
	store_close(s);

	/* an empty state reads back as none; a held lock is RETRY at begin */
	ck_assert_int_eq(store_open(&s, path, 100, 0, &err), STORE_OK);
	ck_assert_int_eq(store_txn_begin(s, &err), STORE_OK);
	ck_assert_int_eq(store_cursor_put(s, "journal", "s=abc;i=1", NULL, 0,
		700, &err), STORE_OK);
	ck_assert_int_eq(store_txn_commit(s, &err), STORE_OK);
	ck_assert_int_eq(store_cursor_get(s, "journal", &cursor, &state, &len,
		&err), STORE_OK);
	ck_assert_ptr_null(state);
	ck_assert_uint_eq(len, 0);
	free(cursor);
	ck_assert_int_eq(sqlite3_open(path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
				      NULL), SQLITE_OK);
	ck_assert_int_eq(store_txn_begin(s, &err), STORE_RETRY);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	store_close(s);
}
END_TEST

START_TEST(test_purge)
{
	struct store *s;
	struct store_err err;
	struct store_milter_record *recs[2501];
	int64_t deleted, ev = 21, ev_old = 11, id;
	char qid[32];
	size_t i;

	ck_assert_int_eq(store_open(&s, path, 1000, 0, &err), STORE_OK);
	/* 2500 old milter records (more than one purge chunk), one new */
	for (i = 0; i < 2501; i++) {
		snprintf(qid, sizeof(qid), "P%zu", i);
		recs[i] = record(qid, 2);
		recs[i]->recorded_at = i < 2500 ? 100 : 5000;
	}
	ck_assert_int_eq(store_milter_put(s, recs, 2501, 0, &err), STORE_OK);
	for (i = 0; i < 2501; i++)
		store_milter_record_free(recs[i]);
	raw_exec("INSERT INTO messages (id, instance, queue_id, first_seen)"
		 " VALUES (1, 'postfix', 'OLD', 100), (2, 'postfix', 'OLDPEND',"
		 " 100), (3, 'postfix', 'NEW', 5000);"
		 "INSERT INTO recipients (id, message, address) VALUES"
		 " (1, 1, 'a@x'), (2, 2, 'b@x'), (3, 3, 'c@x');"
		 "INSERT INTO attempts (recipient, at, status) VALUES"
		 " (1, 100, 'bounced'), (3, 5000, 'sent');"
		 "INSERT INTO events (id, message, recipient, kind, ukey, created)"
		 " VALUES (11, 1, 1, 'bounced', 'u11', 100),"
		 " (21, 2, 2, 'bounced', 'u21', 100);"
		 "INSERT INTO gaps (source, detected) VALUES ('journal', 100),"
		 " ('journal', 5000)");
	/* message 1's notice was sent long ago; message 2's is still due */
	ck_assert_int_eq(store_outbox_add(s, "email", "a@x", &ev_old, 1, NULL,
					  100, &id, &err), STORE_OK);
	/* a notice nobody leased cannot be finished */
	ck_assert_int_eq(store_outbox_finish(s, id, "nobody", 100,
		STORE_NOTICE_SENT, 0, NULL, &err), STORE_NOTFOUND);
	raw_exec("UPDATE outbox SET state = 'sent', updated = 100");
	ck_assert_int_eq(store_outbox_add(s, "email", "b@x", &ev, 1, NULL,
					  100, &id, &err), STORE_OK);

	ck_assert_int_eq(store_purge(s, 1000, &deleted, &err), STORE_OK);
	/* 2500 records + 1 sent notice + 1 message + 1 gap */
	ck_assert_int_eq(deleted, 2503);
	store_close(s);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM milter_records"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM milter_recipients"), 2);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM messages"), 2);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM messages"
		" WHERE queue_id = 'OLD'"), 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM recipients"), 2);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM attempts"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM events"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox"
		" WHERE state = 'pending'"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM gaps"), 1);
}
END_TEST

START_TEST(test_open_bad_path)
{
	struct store *s;
	struct store_err err;

	ck_assert_int_eq(store_open(&s, "/nonexistent/dir/x.db", 100, 0, &err),
			 STORE_FAIL);
	ck_assert_ptr_null(s);
	ck_assert_uint_gt(strlen(err.msg), 0);
	store_close(NULL);
}
END_TEST

Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("sqlite");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_migrate_from_empty);
	tcase_add_test(tc, test_v4_lookups_keep_an_index);
	tcase_add_test(tc, test_trace_lookups_use_an_index);
	tcase_add_test(tc, test_reopen_keeps_data);
	tcase_add_test(tc, test_endpoint_disabled_kept);
	tcase_add_test(tc, test_newer_version_refused);
	tcase_add_test(tc, test_failed_migration_is_atomic);
	tcase_add_test(tc, test_busy_is_retry);
	tcase_add_test(tc, test_batch_rows);
	tcase_add_test(tc, test_failed_batch_writes_nothing);
	tcase_add_test(tc, test_milter_find);
	tcase_add_test(tc, test_outbox_lease);
	tcase_add_test(tc, test_cursor_and_gaps);
	tcase_add_test(tc, test_purge);
	tcase_add_test(tc, test_open_bad_path);
	tcase_add_test(tc, test_milter_record_after_message);
	suite_add_tcase(s, tc);
	return s;
}
