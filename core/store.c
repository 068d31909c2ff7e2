/*
 * store.c - open, migrate and write the SQLite store.
 *
 * Owns the connection and its prepared statements.  Guarantees: the
 * schema is at STORE_SCHEMA_VERSION after a successful open, or the open
 * fails; every write is one BEGIN IMMEDIATE transaction that is either
 * committed whole or rolled back; SQLITE_BUSY and SQLITE_LOCKED come back
 * as STORE_RETRY and nothing else does.  Only this file talks SQL.
 */
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_schema.h"
#include "xalloc.h"

enum {
	ST_MILTER_REC,
	ST_MILTER_RCPT,
	ST_COUNTER_ADD,
	ST_COUNTER_GET,
	ST_MILTER_FIND,
	ST_MILTER_FIND_RCPT,
	ST_OUTBOX_ADD,
	ST_OUTBOX_ADD_EVENT,
	ST_OUTBOX_LEASE,
	ST_OUTBOX_EVENTS,
	ST_OUTBOX_FINISH,
	ST_CURSOR_PUT,
	ST_CURSOR_GET,
	ST_GAP_ADD,
	ST_GAP_COUNT,
	ST_W_MSG_FIND,
	ST_W_MSG_INS,
	ST_W_MSG_UPD,
	ST_W_MSG_ADD,
	ST_W_RCPT_FIND,
	ST_W_RCPT_INS,
	ST_W_RCPT_UPD,
	ST_W_ATTEMPT,
	ST_W_EVENT,
	ST_W_EVENT_HAS,
	ST_W_EVENT_KEY,
	ST_MILTER_ANY,
	/* responder: routing, delivery and the notices CLI */
	ST_MESSAGE_ADD,
	ST_RECIPIENT_ADD,
	ST_EVENT_ADD,
	ST_ROUTE_LEASE,
	ST_DELIVERY_LEASE,
	ST_FACTS,
	ST_SENDER_RECENT,
	ST_LINKED,
	ST_HELD_FIND,
	ST_OUTBOX_ADD_AT,
	ST_MILTER_ADOPT,
	ST_OUTBOX_LIST,
	ST_OUTBOX_RESEND,
	ST_OUTBOX_RELEASE,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_MILTER_REC] =
	"INSERT INTO milter_records (instance, queue_id, recorded_at,"
	" message_id, subject, from_header, auto_submitted, precedence,"
	" list_id, sender, sasl_user, client_name, client_addr, daemon_name,"
	" submission) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,"
	"?14,?15)",
	[ST_MILTER_RCPT] =
	"INSERT INTO milter_recipients (record, address, notify)"
	" VALUES (?1, ?2, ?3)",
	[ST_COUNTER_ADD] =
	"INSERT INTO counters (name, value) VALUES (?1, ?2)"
	" ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
	[ST_COUNTER_GET] =
	"SELECT value FROM counters WHERE name = ?1",
	[ST_MILTER_FIND] =
	"SELECT id, recorded_at, message_id, subject, from_header,"
	" auto_submitted, precedence, list_id, sender, sasl_user, client_name,"
	" client_addr, daemon_name, submission FROM milter_records"
	" WHERE instance = ?1 AND queue_id = ?2"
	" AND recorded_at BETWEEN ?4 - ?5 AND ?4 + ?5"
	" AND (?3 IS NULL OR message_id IS NULL"
	"  OR trim(message_id, '<>') = trim(?3, '<>'))"
	" ORDER BY abs(recorded_at - ?4), id DESC LIMIT 1",
	/*
	 * The watcher may have made the message from the log before the
	 * milter's writer committed its record (a bounce in the same
	 * second): the record then joins that row, its facts winning, as
	 * insert_message would have done had it come first.
	 */
	[ST_MILTER_ADOPT] =
	"UPDATE messages SET milter_record = ?1,"
	" message_id = coalesce(?4, message_id),"
	" message_id_src = CASE WHEN ?4 IS NOT NULL THEN 'milter'"
	"  ELSE message_id_src END,"
	" sender = coalesce(?5, sender),"
	" sender_src = CASE WHEN ?5 IS NOT NULL THEN 'milter' ELSE sender_src END,"
	" client_name = CASE WHEN ?6 IS NOT NULL OR ?7 IS NOT NULL THEN ?6"
	"  ELSE client_name END,"
	" client_addr = CASE WHEN ?6 IS NOT NULL OR ?7 IS NOT NULL THEN ?7"
	"  ELSE client_addr END,"
	" client_src = CASE WHEN ?6 IS NOT NULL OR ?7 IS NOT NULL THEN 'milter'"
	"  ELSE client_src END,"
	" sasl_user = coalesce(?8, sasl_user),"
	" sasl_user_src = CASE WHEN ?8 IS NOT NULL THEN 'milter'"
	"  ELSE sasl_user_src END,"
	" submission = coalesce(?9, submission),"
	" submission_src = CASE WHEN ?9 IS NOT NULL THEN 'milter'"
	"  ELSE submission_src END,"
	" subject = ?10, from_header = ?11, auto_submitted = ?12,"
	" precedence = ?13, list_id = ?14, headers_src = 'milter'"
	" WHERE instance = ?2 AND queue_id = ?3 AND milter_record IS NULL"
	" AND first_seen BETWEEN ?15 - ?16 AND ?15 + ?16"
	" AND (?4 IS NULL OR message_id IS NULL"
	"  OR trim(message_id, '<>') = trim(?4, '<>'))",
	[ST_MILTER_FIND_RCPT] =
	"SELECT address, notify FROM milter_recipients WHERE record = ?1"
	" ORDER BY rowid",
	[ST_OUTBOX_ADD] =
	"INSERT INTO outbox (channel, target, next_attempt, webhook_id,"
	" created, updated) VALUES (?1, ?2, ?3, ?4, ?3, ?3)",
	[ST_OUTBOX_ADD_EVENT] =
	"INSERT INTO outbox_events (outbox, event) VALUES (?1, ?2)",
	[ST_OUTBOX_LEASE] =
	"UPDATE outbox SET state = 'leased', lease_owner = ?1,"
	" lease_until = ?2 + ?3, updated = ?2"
	" WHERE id IN (SELECT id FROM outbox"
	"  WHERE (state = 'pending' AND next_attempt <= ?2)"
	"     OR (state = 'leased' AND lease_until <= ?2)"
	"  ORDER BY next_attempt, id LIMIT ?4)"
	" RETURNING id, channel, target, attempts, webhook_id, created",
	[ST_OUTBOX_EVENTS] =
	"SELECT event FROM outbox_events WHERE outbox = ?1 ORDER BY event",
	[ST_OUTBOX_FINISH] =
	"UPDATE outbox SET state = ?4, attempts = attempts + 1,"
	" next_attempt = ?5, last_error = ?6, lease_owner = NULL,"
	" lease_until = NULL, updated = ?3"
	" WHERE id = ?1 AND state = 'leased' AND lease_owner = ?2",
	[ST_CURSOR_PUT] =
	"INSERT INTO cursors (source, cursor, state, updated)"
	" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (source) DO UPDATE SET"
	" cursor = excluded.cursor, state = excluded.state,"
	" updated = excluded.updated",
	[ST_CURSOR_GET] =
	"SELECT cursor, state FROM cursors WHERE source = ?1",
	[ST_GAP_ADD] =
	"INSERT INTO gaps (source, detected, from_pos, to_pos, note)"
	" VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_GAP_COUNT] =
	"SELECT count(*) FROM gaps WHERE ?1 IS NULL OR source = ?1",
	[ST_W_MSG_FIND] =
	"SELECT id FROM messages WHERE instance = ?1 AND queue_id = ?2"
	" AND first_seen = ?3",
	[ST_W_MSG_INS] =
	"INSERT INTO messages (instance, queue_id, first_seen, message_id,"
	" message_id_src, sender, sender_src, size, size_src, client_name,"
	" client_addr, client_src, sasl_user, sasl_user_src, submission,"
	" submission_src, subject, from_header, auto_submitted, precedence,"
	" list_id, headers_src, milter_record, closed) VALUES (?1,?2,?3,?4,"
	"?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,"
	"?23,?24)",
	/* the import's one write of a whole message: never over a row */
	[ST_W_MSG_ADD] =
	"INSERT INTO messages (instance, queue_id, first_seen, message_id,"
	" message_id_src, sender, sender_src, size, size_src, client_name,"
	" client_addr, client_src, sasl_user, sasl_user_src, submission,"
	" submission_src, subject, from_header, auto_submitted, precedence,"
	" list_id, headers_src, milter_record, closed) VALUES (?1,?2,?3,?4,"
	"?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,"
	"?23,?24) ON CONFLICT (instance, queue_id, first_seen) DO NOTHING",
	/* a later line may know more; facts already there are kept */
	[ST_W_MSG_UPD] =
	"UPDATE messages SET closed = max(closed, ?2),"
	" message_id_src = CASE WHEN message_id IS NULL AND ?3 IS NOT NULL"
	"  THEN 'log' ELSE message_id_src END,"
	" message_id = coalesce(message_id, ?3),"
	" sender_src = CASE WHEN sender IS NULL AND ?4 IS NOT NULL"
	"  THEN 'log' ELSE sender_src END,"
	" sender = coalesce(sender, ?4),"
	" size_src = CASE WHEN size IS NULL AND ?5 IS NOT NULL"
	"  THEN 'log' ELSE size_src END,"
	" size = coalesce(size, ?5)"
	" WHERE id = ?1",
	[ST_W_RCPT_FIND] =
	"SELECT id FROM recipients WHERE message = ?1 AND address = ?2"
	" AND orig IS ?3",
	[ST_W_RCPT_INS] =
	"INSERT INTO recipients (message, address, orig, notify, state,"
	" state_at) VALUES (?1, ?2, ?3, (SELECT r.notify FROM"
	" milter_recipients r JOIN messages m ON r.record = m.milter_record"
	" WHERE m.id = ?1 AND r.address = ?2 LIMIT 1), ?4, ?5)",
	[ST_W_RCPT_UPD] =
	"UPDATE recipients SET state = ?2, state_at = ?3 WHERE id = ?1",
	[ST_W_ATTEMPT] =
	"INSERT INTO attempts (recipient, at, status, relay, dsn, delay,"
	" reply) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	" ON CONFLICT (recipient, at, status) DO NOTHING",
	[ST_W_EVENT] =
	"INSERT INTO events (message, recipient, kind, reason, who_acts, dsn,"
	" reply, ukey, historical, created, last_reason, smtp_code, relay,"
	" attempts, first_deferral, retry_until, occurred) VALUES (?1,?2,?3,"
	"?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)"
	" ON CONFLICT (ukey) DO NOTHING",
	[ST_W_EVENT_HAS] =
	"SELECT 1 FROM events WHERE recipient = ?1 AND kind = ?2 LIMIT 1",
	[ST_W_EVENT_KEY] =
	"SELECT 1 FROM events WHERE ukey = ?1",
	[ST_MILTER_ANY] =
	"SELECT EXISTS (SELECT 1 FROM milter_records)",
	[ST_MESSAGE_ADD] =
	"INSERT INTO messages (instance, queue_id, first_seen, message_id,"
	" message_id_src, sender, sender_src, sasl_user, sasl_user_src,"
	" client_addr, client_src, submission, submission_src, subject,"
	" from_header, auto_submitted, precedence, list_id, headers_src)"
	" VALUES (?1,?2,?3,?4,?5,?6,?5,?7,?5,?8,?5,?9,?5,?10,?11,?12,?13,?14,"
	" CASE WHEN ?5 = 'milter' THEN 'milter' END)",
	[ST_RECIPIENT_ADD] =
	"INSERT INTO recipients (message, address, notify) VALUES (?1,?2,?3)",
	[ST_EVENT_ADD] =
	"INSERT INTO events (message, recipient, kind, reason, who_acts, dsn,"
	" reply, ukey, historical, created)"
	" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
	/* route rows whose message's first route row waited group_delay */
	[ST_ROUTE_LEASE] =
	"WITH waiting AS (SELECT o.id, o.created, o.state, o.next_attempt,"
	"  o.lease_until, e.message FROM outbox o"
	"  JOIN outbox_events oe ON oe.outbox = o.id"
	"  JOIN events e ON e.id = oe.event"
	"  WHERE o.state IN ('pending', 'leased') AND o.channel = 'route'),"
	" ready AS (SELECT message FROM waiting GROUP BY message"
	"  HAVING min(created) <= ?2 - ?4)"
	" UPDATE outbox SET state = 'leased', lease_owner = ?1,"
	" lease_until = ?2 + ?3, updated = ?2"
	" WHERE id IN (SELECT id FROM waiting"
	"  WHERE message IN (SELECT message FROM ready)"
	"  AND ((state = 'pending' AND next_attempt <= ?2)"
	"    OR (state = 'leased' AND lease_until <= ?2))"
	"  ORDER BY id LIMIT ?5)"
	" RETURNING id",
	[ST_DELIVERY_LEASE] =
	"UPDATE outbox SET state = 'leased', lease_owner = ?1,"
	" lease_until = ?2 + ?3, updated = ?2"
	" WHERE id IN (SELECT id FROM outbox"
	"  WHERE channel <> 'route' AND ((state = 'pending'"
	"  AND next_attempt <= ?2) OR (state = 'leased' AND lease_until <= ?2))"
	"  ORDER BY next_attempt, id LIMIT ?4)"
	" RETURNING id, channel, target, attempts, webhook_id, created",
	[ST_FACTS] =
	"SELECT oe.outbox, e.id, e.message, e.kind, e.reason, e.who_acts,"
	" e.dsn, e.reply, e.created, m.instance, m.queue_id, m.first_seen,"
	" m.message_id, m.sender, m.sender_src, m.submission,"
	" m.submission_src, m.subject, m.from_header, m.auto_submitted,"
	" m.precedence, m.list_id, m.headers_src, r.address, r.notify,"
	" coalesce(e.attempts,"
	"  (SELECT count(*) FROM attempts a WHERE a.recipient = r.id)),"
	" coalesce(e.relay, (SELECT a.relay FROM attempts a"
	"  WHERE a.recipient = r.id ORDER BY a.at DESC, a.id DESC LIMIT 1)),"
	" e.last_reason, e.retry_until, e.first_deferral, e.occurred"
	" FROM outbox_events oe JOIN events e ON e.id = oe.event"
	" JOIN messages m ON m.id = e.message"
	" LEFT JOIN recipients r ON r.id = e.recipient"
	" WHERE oe.outbox = ?1 ORDER BY e.message, e.id",
	[ST_SENDER_RECENT] =
	"SELECT count(*) FROM outbox WHERE channel = 'email' AND target = ?1"
	" AND created > ?2",
	[ST_LINKED] =
	"SELECT 1 FROM outbox_events oe JOIN outbox o ON o.id = oe.outbox"
	" WHERE oe.event = ?1 AND o.channel = ?2 AND o.target = ?3 LIMIT 1",
	[ST_HELD_FIND] =
	"SELECT id FROM outbox WHERE channel = ?1 AND target = ?2"
	" AND state = 'pending' AND next_attempt > ?3 ORDER BY id LIMIT 1",
	[ST_OUTBOX_ADD_AT] =
	"INSERT INTO outbox (channel, target, next_attempt, webhook_id,"
	" created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
	[ST_OUTBOX_LIST] =
	"SELECT o.id, o.channel, o.target, o.state, o.attempts,"
	" o.next_attempt, o.last_error, o.created, o.webhook_id,"
	" (SELECT count(*) FROM outbox_events oe WHERE oe.outbox = o.id)"
	" FROM outbox o WHERE o.channel <> 'route' AND ((?1 IS NULL AND"
	" o.state IN ('pending','leased')) OR o.state = ?1) ORDER BY o.id",
	[ST_OUTBOX_RESEND] =
	"UPDATE outbox SET state = 'pending', attempts = 0, next_attempt = ?2,"
	" created = ?2, updated = ?2, last_error = NULL, lease_owner = NULL,"
	" lease_until = NULL WHERE id = ?1 AND state IN ('dead', 'sent')"
	" AND channel <> 'route'",
	[ST_OUTBOX_RELEASE] =
	"UPDATE outbox SET state = 'pending', lease_owner = NULL,"
	" lease_until = NULL WHERE id = ?1 AND state = 'leased'"
	" AND lease_owner = ?2",
};

/* statements a read-only connection prepares */
#define READ_ONLY_STMT(i) \
	((i) == ST_COUNTER_GET || (i) == ST_MILTER_FIND || \
	 (i) == ST_MILTER_FIND_RCPT || (i) == ST_CURSOR_GET || \
	 (i) == ST_GAP_COUNT || (i) == ST_FACTS || (i) == ST_OUTBOX_LIST || \
	 (i) == ST_SENDER_RECENT || (i) == ST_LINKED || \
	 (i) == ST_W_MSG_FIND || \
	 (i) == ST_W_RCPT_FIND || (i) == ST_W_EVENT_HAS || \
	 (i) == ST_W_EVENT_KEY)

struct store {
	sqlite3 *db;
	int version;
	int milters;			/* in a store_txn_begin transaction:
					 * 0 when milter_records is empty
					 * (no other writer can add one); else
					 * -1 (unknown) or 1 */
	sqlite3_stmt *st[ST_COUNT];
};

/* status - map an SQLite result to RETRY/FAIL, filling err */
static int
status(struct store *s, int rc, const char *what, struct store_err *err)
{
	int prim = rc & 0xff;

	if (err)
		snprintf(err->msg, sizeof(err->msg), "%s: %s", what,
			 s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return prim == SQLITE_BUSY || prim == SQLITE_LOCKED ? STORE_RETRY
							     : STORE_FAIL;
}

/* exec - run SQL without results */
static int
exec(struct store *s, const char *sql, const char *what, struct store_err *err)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? STORE_OK : status(s, rc, what, err);
}

/* rollback - end a failed transaction, keeping the first error */
static void
rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * finish - end a write transaction: commit when rc, the SQLite code of its
 * last write, is SQLITE_OK, else roll back; one place, so every write maps
 * its error (read before the rollback can replace it) the same way
 */
static int
finish(struct store *s, int rc, const char *what, struct store_err *err)
{
	if (rc == SQLITE_OK &&
	    (rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL)) == SQLITE_OK)
		return STORE_OK;
	rc = status(s, rc, what, err);
	rollback(s);
	return rc;
}

/* read_version - PRAGMA user_version into *v */
static int
read_version(struct store *s, int *v, struct store_err *err)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return status(s, rc, "read schema version", err);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? STORE_OK
			       : status(s, rc, "read schema version", err);
}

/* migrate - apply each missing migration in its own transaction */
static int
migrate(struct store *s, struct store_err *err)
{
	char sql[64];
	int v, rc;

	for (;;) {
		if ((rc = exec(s, "BEGIN IMMEDIATE", "migrate", err)) != 0)
			return rc;
		/* re-read under the write lock: another process may have won */
		if ((rc = read_version(s, &v, err)) != 0)
			goto fail;
		if (v >= store_schema_count()) {
			s->version = v;
			return exec(s, "COMMIT", "migrate", err);
		}
		if ((rc = exec(s, store_schema_migration(v), "migrate",
			       err)) != 0)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((rc = exec(s, sql, "migrate", err)) != 0 ||
		    (rc = exec(s, "COMMIT", "migrate", err)) != 0)
			goto fail;
	}
fail:
	rollback(s);
	return rc;
}

int
store_open(struct store **sp, const char *path, int busy_timeout_ms,
	   int flags, struct store_err *err)
{
	struct store *s = xcalloc(1, sizeof(*s));
	int rc, i, oflags;

	s->milters = -1;
	*sp = NULL;
	oflags = (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY
		 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = status(s, rc, path, err);
		goto fail;
	}
	sqlite3_busy_timeout(s->db, busy_timeout_ms);
	sqlite3_extended_result_codes(s->db, 1);
	if ((rc = exec(s, "PRAGMA foreign_keys = ON", path, err)) != 0 ||
	    (rc = read_version(s, &s->version, err)) != 0)
		goto fail;
	if (s->version > store_schema_count()) {
		snprintf(err->msg, sizeof(err->msg),
			 "%s: schema version %d is newer than this program's "
			 "%d: upgrade plainbounce", path, s->version,
			 store_schema_count());
		rc = STORE_FAIL;
		goto fail;
	}
	if (!(flags & STORE_READONLY)) {
		if ((rc = exec(s, "PRAGMA journal_mode = WAL", path, err)) ||
		    (rc = exec(s, "PRAGMA synchronous = NORMAL", path, err)))
			goto fail;
		if (s->version < store_schema_count() &&
		    (rc = migrate(s, err)) != 0)
			goto fail;
	} else if (s->version < store_schema_count()) {
		snprintf(err->msg, sizeof(err->msg), "%s: schema version %d "
			 "is older than %d and the store is read-only", path,
			 s->version, store_schema_count());
		rc = STORE_FAIL;
		goto fail;
	}
	for (i = 0; i < ST_COUNT; i++) {
		if (!READ_ONLY_STMT(i) && (flags & STORE_READONLY))
			continue;
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT, &s->st[i],
					NULL);
		if (rc != SQLITE_OK) {
			rc = status(s, rc, "prepare", err);
			goto fail;
		}
	}
	*sp = s;
	return STORE_OK;
fail:
	store_close(s);
	return rc;
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

int
store_tune_writer(struct store *s, int kib, int wal_pages,
		  struct store_err *err)
{
	char sql[64];
	int rc;

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", kib);
	if ((rc = exec(s, sql, "cache_size", err)) != STORE_OK)
		return rc;
	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %d",
		 wal_pages);
	return exec(s, sql, "wal_autocheckpoint", err);
}

int
store_tune_import(struct store *s, bool on, struct store_err *err)
{
	/* the CHECKs' IN lists cost a temporary table per row written */
	return exec(s, on ? "PRAGMA ignore_check_constraints = ON" :
		    "PRAGMA ignore_check_constraints = OFF",
		    "ignore_check_constraints", err);
}

void
store_lean_process(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
store_version(const struct store *s)
{
	return s->version;
}

int
store_migration_count(void)
{
	return store_schema_count();
}

void
store_milter_record_free(struct store_milter_record *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->instance);
	free(r->queue_id);
	free(r->message_id);
	free(r->subject);
	free(r->from_header);
	free(r->auto_submitted);
	free(r->precedence);
	free(r->list_id);
	free(r->sender);
	free(r->sasl_user);
	free(r->client_name);
	free(r->client_addr);
	free(r->daemon_name);
	for (i = 0; i < r->nrcpts; i++) {
		free(r->rcpts[i].address);
		free(r->rcpts[i].notify);
	}
	free(r->rcpts);
	free(r);
}

/* bind_text - bind a string or NULL */
static int
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC)
		 : sqlite3_bind_null(st, i);
}

/* step_done - run a bound INSERT/UPDATE and reset it */
static int
step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * step_or_notfound - run the one bound UPDATE of a write transaction and
 * end it: STORE_NOTFOUND (rolled back) when it changed no row
 */
static int
step_or_notfound(struct store *s, sqlite3_stmt *st, const char *what,
		 struct store_err *err)
{
	int rc;

	if ((rc = step_done(st)) == SQLITE_OK && sqlite3_changes(s->db) == 0) {
		rollback(s);
		return STORE_NOTFOUND;
	}
	return finish(s, rc, what, err);
}

/* put_one - one milter record and its recipients, inside a transaction */
static int
put_one(struct store *s, const struct store_milter_record *r)
{
	sqlite3_stmt *st = s->st[ST_MILTER_REC];
	sqlite3_int64 id;
	size_t i;
	int rc;

	bind_text(st, 1, r->instance);
	bind_text(st, 2, r->queue_id);
	sqlite3_bind_int64(st, 3, r->recorded_at);
	bind_text(st, 4, r->message_id);
	bind_text(st, 5, r->subject);
	bind_text(st, 6, r->from_header);
	bind_text(st, 7, r->auto_submitted);
	bind_text(st, 8, r->precedence);
	bind_text(st, 9, r->list_id);
	bind_text(st, 10, r->sender);
	bind_text(st, 11, r->sasl_user);
	bind_text(st, 12, r->client_name);
	bind_text(st, 13, r->client_addr);
	bind_text(st, 14, r->daemon_name);
	bind_text(st, 15, r->submission);
	if ((rc = step_done(st)) != SQLITE_OK)
		return rc;
	id = sqlite3_last_insert_rowid(s->db);
	st = s->st[ST_MILTER_ADOPT];
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, r->instance);
	bind_text(st, 3, r->queue_id);
	bind_text(st, 4, r->message_id);
	bind_text(st, 5, r->sender);
	bind_text(st, 6, r->client_name);
	bind_text(st, 7, r->client_addr);
	bind_text(st, 8, r->sasl_user);
	bind_text(st, 9, r->submission);
	bind_text(st, 10, r->subject);
	bind_text(st, 11, r->from_header);
	bind_text(st, 12, r->auto_submitted);
	bind_text(st, 13, r->precedence);
	bind_text(st, 14, r->list_id);
	sqlite3_bind_int64(st, 15, r->recorded_at);
	sqlite3_bind_int64(st, 16, STORE_MILTER_JOIN_WINDOW);
	if ((rc = step_done(st)) != SQLITE_OK)
		return rc;
	st = s->st[ST_MILTER_RCPT];
	for (i = 0; i < r->nrcpts; i++) {
		sqlite3_bind_int64(st, 1, id);
		bind_text(st, 2, r->rcpts[i].address);
		bind_text(st, 3, r->rcpts[i].notify);
		if ((rc = step_done(st)) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* counter_add - the upsert, inside the caller's transaction */
static int
counter_add(struct store *s, const char *name, int64_t delta)
{
	sqlite3_stmt *st = s->st[ST_COUNTER_ADD];

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, delta);
	return step_done(st);
}

int
store_milter_put(struct store *s, struct store_milter_record *const *recs,
		 size_t n, int64_t dropped, struct store_err *err)
{
	size_t i;
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", "milter record", err)) != 0)
		return rc;
	for (i = 0; i < n && rc == SQLITE_OK; i++)
		rc = put_one(s, recs[i]);
	if (rc == SQLITE_OK && dropped > 0)
		rc = counter_add(s, STORE_COUNTER_MILTER_DROPPED, dropped);
	return finish(s, rc, "milter record", err);
}

int
store_counter_add(struct store *s, const char *name, int64_t delta,
		  struct store_err *err)
{
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", "counter", err)) != 0)
		return rc;
	return finish(s, counter_add(s, name, delta), "counter", err);
}

int
store_endpoint_disable(struct store *s, const char *name, int64_t now,
		       const char *why, struct store_err *err)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "INSERT INTO endpoints_disabled "
				"(name, disabled_at, why) VALUES (?1, ?2, ?3)"
				" ON CONFLICT (name) DO NOTHING", -1, &st,
				NULL);
	if (rc != SQLITE_OK)
		return status(s, rc, "endpoint", err);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, why, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : status(s, rc, "endpoint", err);
}

/*
 * endpoint_step - run sql, whose one parameter is an endpoint name, to its
 * first row: *row = 1 when it gave one; *changed = rows it changed
 */
static int
endpoint_step(struct store *s, const char *sql, const char *name, int *row,
	      int *changed, struct store_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*row = 0;
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return status(s, rc, "endpoint", err);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*row = 1;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	*changed = sqlite3_changes(s->db);
	return rc == SQLITE_DONE ? STORE_OK : status(s, rc, "endpoint", err);
}

int
store_endpoint_enable(struct store *s, const char *name,
		      struct store_err *err)
{
	int row, changed, rc;

	rc = endpoint_step(s, "DELETE FROM endpoints_disabled WHERE name = ?1",
			   name, &row, &changed, err);
	if (rc != STORE_OK)
		return rc;
	return changed > 0 ? STORE_OK : STORE_NOTFOUND;
}

int
store_endpoint_disabled(struct store *s, const char *name, int *disabled,
			struct store_err *err)
{
	int changed;

	return endpoint_step(s, "SELECT 1 FROM endpoints_disabled WHERE "
			     "name = ?1", name, disabled, &changed, err);
}

int
store_endpoints_disabled(struct store *s,
			 void (*fn)(void *arg, const char *name, int64_t at,
				    const char *why),
			 void *arg, struct store_err *err)
{
	sqlite3_stmt *st;
	const unsigned char *why;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "SELECT name, disabled_at, why FROM "
				"endpoints_disabled ORDER BY name", -1, &st,
				NULL);
	if (rc != SQLITE_OK)
		return status(s, rc, "endpoints", err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		why = sqlite3_column_text(st, 2);
		fn(arg, (const char *)sqlite3_column_text(st, 0),
		   sqlite3_column_int64(st, 1), why ? (const char *)why : "");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : status(s, rc, "endpoints", err);
}

int
store_counter_get(struct store *s, const char *name, int64_t *value,
		  struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_COUNTER_GET];
	int rc;

	*value = 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? STORE_OK : status(s, rc, "counter", err);
}

/* column_dup - a text column as a new string, or NULL */
static char *
column_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? xstrdup((const char *)t) : NULL;
}

/* submission_const - the STORE_SUBMIT_* constant for a stored kind */
static const char *
submission_const(const char *kind)
{
	static const char *const kinds[] = {
		STORE_SUBMIT_AUTHENTICATED, STORE_SUBMIT_TRUSTED,
		STORE_SUBMIT_LOCAL, STORE_SUBMIT_INBOUND };
	size_t i;

	for (i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return kinds[i];
	return STORE_SUBMIT_INBOUND;	/* the CHECK allows nothing else */
}

/* find_rcpts - load a found record's recipients */
static int
find_rcpts(struct store *s, sqlite3_int64 id, struct store_milter_record *r)
{
	sqlite3_stmt *st = s->st[ST_MILTER_FIND_RCPT];
	size_t cap = 0;
	int rc;

	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->nrcpts == cap) {
			cap = cap ? cap * 2 : 4;
			r->rcpts = xrealloc(r->rcpts, cap * sizeof(*r->rcpts));
		}
		r->rcpts[r->nrcpts].address = column_dup(st, 0);
		r->rcpts[r->nrcpts].notify = column_dup(st, 1);
		r->nrcpts++;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
store_milter_find(struct store *s, const char *instance, const char *queue_id,
		  const char *message_id, int64_t arrival,
		  struct store_milter_record **rec, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_MILTER_FIND];
	struct store_milter_record *r;
	sqlite3_int64 id;
	int rc;

	*rec = NULL;
	sqlite3_bind_text(st, 1, instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, queue_id, -1, SQLITE_STATIC);
	bind_text(st, 3, message_id);
	sqlite3_bind_int64(st, 4, arrival);
	sqlite3_bind_int64(st, 5, STORE_MILTER_JOIN_WINDOW);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return rc == SQLITE_DONE ? STORE_NOTFOUND
					 : status(s, rc, "milter find", err);
	}
	r = xcalloc(1, sizeof(*r));
	id = sqlite3_column_int64(st, 0);
	r->instance = xstrdup(instance);
	r->queue_id = xstrdup(queue_id);
	r->id = id;
	r->recorded_at = sqlite3_column_int64(st, 1);
	r->message_id = column_dup(st, 2);
	r->subject = column_dup(st, 3);
	r->from_header = column_dup(st, 4);
	r->auto_submitted = column_dup(st, 5);
	r->precedence = column_dup(st, 6);
	r->list_id = column_dup(st, 7);
	r->sender = column_dup(st, 8);
	r->sasl_user = column_dup(st, 9);
	r->client_name = column_dup(st, 10);
	r->client_addr = column_dup(st, 11);
	r->daemon_name = column_dup(st, 12);
	r->submission = submission_const((const char *)
					 sqlite3_column_text(st, 13));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if ((rc = find_rcpts(s, id, r)) != SQLITE_OK) {
		store_milter_record_free(r);
		return status(s, rc, "milter find", err);
	}
	*rec = r;
	return STORE_OK;
}

int
store_outbox_add(struct store *s, const char *channel, const char *target,
		 const int64_t *events, size_t nevents, const char *webhook_id,
		 int64_t now, int64_t *id, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_OUTBOX_ADD];
	size_t i;
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", "outbox add", err)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	bind_text(st, 4, webhook_id);
	if ((rc = step_done(st)) == SQLITE_OK) {
		*id = sqlite3_last_insert_rowid(s->db);
		st = s->st[ST_OUTBOX_ADD_EVENT];
	}
	for (i = 0; i < nevents && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_int64(st, 2, events[i]);
		rc = step_done(st);
	}
	return finish(s, rc, "outbox add", err);
}

void
store_notices_free(struct store_notice *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].channel);
		free(v[i].target);
		free(v[i].webhook_id);
		free(v[i].events);
	}
	free(v);
}

/* notice_events - load the event ids of one leased notice */
static int
notice_events(struct store *s, struct store_notice *nt)
{
	sqlite3_stmt *st = s->st[ST_OUTBOX_EVENTS];
	size_t cap = 0;
	int rc;

	sqlite3_bind_int64(st, 1, nt->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nt->nevents == cap) {
			cap = cap ? cap * 2 : 4;
			nt->events = xrealloc(nt->events,
					      cap * sizeof(*nt->events));
		}
		nt->events[nt->nevents++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* lease_rows - run one lease statement (?1 owner, ?2 now, ?3 lease, ?4 max) */
static int
lease_rows(struct store *s, sqlite3_stmt *st, const char *owner, int64_t now,
	   int64_t lease_secs, size_t max, struct store_notice **notices,
	   size_t *n, struct store_err *err)
{
	struct store_notice *v = NULL, *nt;
	size_t cap = 0, got = 0, i;
	int rc;

	*notices = NULL;
	*n = 0;
	if ((rc = exec(s, "BEGIN IMMEDIATE", "outbox lease", err)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, lease_secs);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (got == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, cap * sizeof(*v));
		}
		nt = &v[got++];
		memset(nt, 0, sizeof(*nt));
		nt->id = sqlite3_column_int64(st, 0);
		nt->channel = column_dup(st, 1);
		nt->target = column_dup(st, 2);
		nt->attempts = sqlite3_column_int64(st, 3);
		nt->webhook_id = column_dup(st, 4);
		nt->created = sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	for (i = 0; i < got && rc == SQLITE_OK; i++)
		rc = notice_events(s, &v[i]);
	if ((rc = finish(s, rc, "outbox lease", err)) != STORE_OK) {
		store_notices_free(v, got);
		return rc;
	}
	*notices = v;
	*n = got;
	return STORE_OK;
}

int
store_outbox_lease(struct store *s, const char *owner, int64_t now,
		   int64_t lease_secs, size_t max, struct store_notice **notices,
		   size_t *n, struct store_err *err)
{
	return lease_rows(s, s->st[ST_OUTBOX_LEASE], owner, now, lease_secs,
			  max, notices, n, err);
}

int
store_delivery_lease(struct store *s, const char *owner, int64_t now,
		     int64_t lease_secs, size_t max,
		     struct store_notice **notices, size_t *n,
		     struct store_err *err)
{
	return lease_rows(s, s->st[ST_DELIVERY_LEASE], owner, now, lease_secs,
			  max, notices, n, err);
}

int
store_outbox_finish(struct store *s, int64_t id, const char *owner,
		    int64_t now, enum store_outcome outcome,
		    int64_t next_attempt, const char *error,
		    struct store_err *err)
{
	static const char *const state[] = {
		[STORE_NOTICE_SENT] = "sent",
		[STORE_NOTICE_RETRY] = "pending",
		[STORE_NOTICE_DEAD] = "dead",
	};
	sqlite3_stmt *st = s->st[ST_OUTBOX_FINISH];
	int rc;

	if ((unsigned)outcome > STORE_NOTICE_DEAD)
		abort();		/* a caller bug */
	if ((rc = exec(s, "BEGIN IMMEDIATE", "outbox finish", err)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, state[outcome], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, next_attempt);
	bind_text(st, 6, error);
	return step_or_notfound(s, st, "outbox finish", err);
}

int
store_txn_begin(struct store *s, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_MILTER_ANY];
	int rc;

	if (!sqlite3_get_autocommit(s->db))
		abort();		/* nested: a caller bug */
	if ((rc = exec(s, "BEGIN IMMEDIATE", "begin", err)) != STORE_OK)
		return rc;
	/* under the write lock: no milter record can appear until commit */
	rc = sqlite3_step(st);
	s->milters = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_reset(st);
	return STORE_OK;
}

int
store_txn_commit(struct store *s, struct store_err *err)
{
	int rc = exec(s, "COMMIT", "commit", err);

	s->milters = -1;
	if (rc != STORE_OK)
		rollback(s);
	return rc;
}

void
store_txn_rollback(struct store *s)
{
	s->milters = -1;
	rollback(s);
}

/* in_txn - calls that join the caller's transaction insist on one */
static void
in_txn(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		abort();		/* no transaction: a caller bug */
}

int
store_cursor_put(struct store *s, const char *source, const char *cursor,
		 const void *state, size_t len, int64_t now,
		 struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_CURSOR_PUT];
	int rc;

	in_txn(s);
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	bind_text(st, 2, cursor);
	if (state && len > 0)
		sqlite3_bind_blob64(st, 3, state, len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, now);
	rc = step_done(st);
	return rc == SQLITE_OK ? STORE_OK : status(s, rc, "cursor", err);
}

int
store_cursor_get(struct store *s, const char *source, char **cursor,
		 void **state, size_t *len, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_CURSOR_GET];
	const void *blob;
	int rc;

	*cursor = NULL;
	*state = NULL;
	*len = 0;
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*cursor = column_dup(st, 0);
		blob = sqlite3_column_blob(st, 1);
		*len = (size_t)sqlite3_column_bytes(st, 1);
		if (blob && *len > 0) {
			*state = xmalloc(*len);
			memcpy(*state, blob, *len);
		} else {
			*len = 0;
		}
		rc = STORE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = STORE_NOTFOUND;
	} else {
		rc = status(s, rc, "cursor", err);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int
store_gap_add(struct store *s, const char *source, int64_t now,
	      const char *from_pos, const char *to_pos, const char *note,
	      struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_GAP_ADD];
	int rc;

	in_txn(s);
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	bind_text(st, 3, from_pos);
	bind_text(st, 4, to_pos);
	bind_text(st, 5, note);
	rc = step_done(st);
	return rc == SQLITE_OK ? STORE_OK : status(s, rc, "gap", err);
}

int
store_gap_count(struct store *s, const char *source, int64_t *n,
		struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_GAP_COUNT];
	int rc;

	*n = 0;
	bind_text(st, 1, source);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? STORE_OK : status(s, rc, "gap", err);
}

/* The purge, table by table; each statement deletes at most 1000 rows. */
static const char *const purge_sql[] = {
	"DELETE FROM milter_records WHERE id IN (SELECT id FROM milter_records"
	" WHERE recorded_at < ?1 LIMIT 1000)",
	"DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE"
	" state IN ('sent', 'dead') AND updated < ?1 LIMIT 1000)",
	"DELETE FROM messages WHERE id IN (SELECT id FROM messages"
	" WHERE first_seen < ?1 AND id NOT IN (SELECT e.message FROM events e"
	" JOIN outbox_events oe ON oe.event = e.id JOIN outbox o"
	" ON o.id = oe.outbox WHERE o.state IN ('pending', 'leased'))"
	" LIMIT 1000)",
	"DELETE FROM gaps WHERE id IN (SELECT id FROM gaps WHERE detected < ?1"
	" LIMIT 1000)",
};

int
store_purge(struct store *s, int64_t before, int64_t *deleted,
	    struct store_err *err)
{
	sqlite3_stmt *st;
	size_t i;
	int rc, n;

	*deleted = 0;
	for (i = 0; i < sizeof(purge_sql) / sizeof(purge_sql[0]); i++) {
		rc = sqlite3_prepare_v2(s->db, purge_sql[i], -1, &st, NULL);
		if (rc != SQLITE_OK)
			return status(s, rc, "purge", err);
		do {
			if ((rc = exec(s, "BEGIN IMMEDIATE", "purge", err)) != 0) {
				sqlite3_finalize(st);
				return rc;
			}
			sqlite3_bind_int64(st, 1, before);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			n = sqlite3_changes(s->db);
			rc = finish(s, rc == SQLITE_DONE ? SQLITE_OK : rc,
				    "purge", err);
			if (rc != STORE_OK) {
				sqlite3_finalize(st);
				return rc;
			}
			*deleted += n;
		} while (n == 1000);
		sqlite3_finalize(st);
	}
	return STORE_OK;
}

/* bind_i64 - bind an integer, or NULL when it is negative (unknown) */
static void
bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

/* find_id - run a bound single-id SELECT: 1 found, 0 not, else rc */
static int
find_id(sqlite3_stmt *st, int64_t *id)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* src_of - "milter" when the milter gave the fact, "log" when the log did */
static const char *
src_of(const char *milter_value, const char *log_value)
{
	return milter_value ? "milter" : log_value ? "log" : NULL;
}

/*
 * insert_message - a new messages row, joined with the milter's record,
 * by statement which (ST_W_MSG_INS, or ST_W_MSG_ADD: *id = 0 when the
 * row was there)
 */
static int
insert_message(struct store *s, int which, const struct store_log_msg *m,
	       int64_t *id, struct store_err *err)
{
	struct store_milter_record *r = NULL;
	sqlite3_stmt *st = s->st[which];
	const char *msgid, *sender, *cname, *caddr, *sasl, *sub;
	int rc;

	/* none to join: spare the lookup (and its sort) */
	rc = s->milters == 0 ? STORE_NOTFOUND :
	    store_milter_find(s, m->instance, m->queue_id, m->message_id,
			      m->first_seen, &r, err);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		return rc;
	msgid = r && r->message_id ? r->message_id : m->message_id;
	sender = r && r->sender ? r->sender : m->sender;
	cname = r && (r->client_name || r->client_addr) ? r->client_name
		: m->client_name;
	caddr = r && (r->client_name || r->client_addr) ? r->client_addr
		: m->client_addr;
	sasl = r && r->sasl_user ? r->sasl_user : m->sasl_user;
	sub = r ? r->submission : m->submission;
	sqlite3_bind_text(st, 1, m->instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->queue_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, m->first_seen);
	bind_text(st, 4, msgid);
	bind_text(st, 5, src_of(r ? r->message_id : NULL, m->message_id));
	bind_text(st, 6, sender);
	bind_text(st, 7, src_of(r ? r->sender : NULL, m->sender));
	bind_i64(st, 8, m->size);
	bind_text(st, 9, m->size >= 0 ? "log" : NULL);
	bind_text(st, 10, cname);
	bind_text(st, 11, caddr);
	bind_text(st, 12, cname || caddr ? (r && (r->client_name ||
			r->client_addr) ? "milter" : "log") : NULL);
	bind_text(st, 13, sasl);
	bind_text(st, 14, src_of(r ? r->sasl_user : NULL, m->sasl_user));
	bind_text(st, 15, sub);
	bind_text(st, 16, r ? "milter" : sub ? "log" : NULL);
	bind_text(st, 17, r ? r->subject : NULL);
	bind_text(st, 18, r ? r->from_header : NULL);
	bind_text(st, 19, r ? r->auto_submitted : NULL);
	bind_text(st, 20, r ? r->precedence : NULL);
	bind_text(st, 21, r ? r->list_id : NULL);
	bind_text(st, 22, r ? "milter" : NULL);
	if (r)
		sqlite3_bind_int64(st, 23, r->id);
	else
		sqlite3_bind_null(st, 23);
	sqlite3_bind_int(st, 24, m->closed ? 1 : 0);
	rc = step_done(st);
	store_milter_record_free(r);
	if (rc != SQLITE_OK)
		return status(s, rc, "message", err);
	*id = which == ST_W_MSG_ADD && sqlite3_changes(s->db) == 0 ? 0
	    : sqlite3_last_insert_rowid(s->db);
	return STORE_OK;
}

int
store_watch_message_add(struct store *s, const struct store_log_msg *m,
			int64_t *id, struct store_err *err)
{
	in_txn(s);
	return insert_message(s, ST_W_MSG_ADD, m, id, err);
}

int
store_watch_message(struct store *s, const struct store_log_msg *m,
		    int64_t *id, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_W_MSG_FIND];
	int rc;

	in_txn(s);
	sqlite3_bind_text(st, 1, m->instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->queue_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, m->first_seen);
	rc = find_id(st, id);
	if (rc == 0)
		return insert_message(s, ST_W_MSG_INS, m, id, err);
	if (rc != 1)
		return status(s, rc, "message", err);
	st = s->st[ST_W_MSG_UPD];
	sqlite3_bind_int64(st, 1, *id);
	sqlite3_bind_int(st, 2, m->closed ? 1 : 0);
	bind_text(st, 3, m->message_id);
	bind_text(st, 4, m->sender);
	bind_i64(st, 5, m->size);
	rc = step_done(st);
	return rc == SQLITE_OK ? STORE_OK : status(s, rc, "message", err);
}

int
store_watch_recipient(struct store *s, int64_t msg, const char *address,
		      const char *orig, const char *state, int64_t state_at,
		      int64_t *id, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_W_RCPT_FIND];
	int rc;

	in_txn(s);
	sqlite3_bind_int64(st, 1, msg);
	sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
	bind_text(st, 3, orig);
	rc = find_id(st, id);
	if (rc == 0)
		return store_watch_recipient_add(s, msg, address, orig, state,
						 state_at, id, err);
	if (rc != 1)
		return status(s, rc, "recipient", err);
	st = s->st[ST_W_RCPT_UPD];
	sqlite3_bind_int64(st, 1, *id);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	bind_i64(st, 3, state_at > 0 ? state_at : -1);
	if ((rc = step_done(st)) != SQLITE_OK)
		return status(s, rc, "recipient", err);
	return STORE_OK;
}

int
store_watch_recipient_add(struct store *s, int64_t msg, const char *address,
			  const char *orig, const char *state,
			  int64_t state_at, int64_t *id,
			  struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_W_RCPT_INS];
	int rc;

	in_txn(s);
	sqlite3_bind_int64(st, 1, msg);
	sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
	bind_text(st, 3, orig);
	sqlite3_bind_text(st, 4, state, -1, SQLITE_STATIC);
	bind_i64(st, 5, state_at > 0 ? state_at : -1);
	if ((rc = step_done(st)) != SQLITE_OK)
		return status(s, rc, "recipient", err);
	*id = sqlite3_last_insert_rowid(s->db);
	return STORE_OK;
}

int
store_watch_attempt(struct store *s, int64_t rcpt, int64_t at,
		    const char *status_word, const char *relay,
		    const char *dsn, double delay, const char *reply,
		    struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_W_ATTEMPT];
	int rc;

	in_txn(s);
	sqlite3_bind_int64(st, 1, rcpt);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, status_word, -1, SQLITE_STATIC);
	bind_text(st, 4, relay);
	bind_text(st, 5, dsn && *dsn ? dsn : NULL);
	if (delay >= 0)
		sqlite3_bind_double(st, 6, delay);
	else
		sqlite3_bind_null(st, 6);
	bind_text(st, 7, reply);
	rc = step_done(st);
	return rc == SQLITE_OK ? STORE_OK : status(s, rc, "attempt", err);
}

/*
 * route_add - the watcher's half of the contract: one 'route' outbox row
 * for event, linked to it, in the caller's transaction.  Returns an
 * SQLite code.
 */
static int
route_add(struct store *s, int64_t event, int64_t now)
{
	sqlite3_stmt *st = s->st[ST_OUTBOX_ADD];
	int rc;

	sqlite3_bind_text(st, 1, STORE_ROUTE_CHANNEL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_null(st, 4);
	if ((rc = step_done(st)) != SQLITE_OK)
		return rc;
	st = s->st[ST_OUTBOX_ADD_EVENT];
	sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(s->db));
	sqlite3_bind_int64(st, 2, event);
	return step_done(st);
}

int
store_watch_event(struct store *s, const struct store_event *e, int64_t now,
		  int64_t *id, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_W_EVENT];
	int rc;

	in_txn(s);
	*id = 0;
	sqlite3_bind_int64(st, 1, e->message);
	bind_i64(st, 2, e->recipient > 0 ? e->recipient : -1);
	sqlite3_bind_text(st, 3, e->kind, -1, SQLITE_STATIC);
	bind_text(st, 4, e->reason);
	bind_text(st, 5, e->actor);
	bind_text(st, 6, e->dsn && *e->dsn ? e->dsn : NULL);
	bind_text(st, 7, e->reply);
	sqlite3_bind_text(st, 8, e->ukey, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, e->historical ? 1 : 0);
	sqlite3_bind_int64(st, 10, now);
	bind_text(st, 11, e->last_reason);
	bind_i64(st, 12, e->smtp_code ? (int64_t)e->smtp_code : -1);
	bind_text(st, 13, e->relay);
	bind_i64(st, 14, e->attempts);
	bind_i64(st, 15, e->first_deferral > 0 ? e->first_deferral : -1);
	bind_i64(st, 16, e->retry_until > 0 ? e->retry_until : -1);
	bind_i64(st, 17, e->occurred);
	if ((rc = step_done(st)) != SQLITE_OK)
		return status(s, rc, "event", err);
	if (sqlite3_changes(s->db) == 0)
		return STORE_OK;		/* already recorded */
	*id = sqlite3_last_insert_rowid(s->db);
	if (e->historical)
		return STORE_OK;
	rc = route_add(s, *id, now);
	return rc == SQLITE_OK ? STORE_OK : status(s, rc, "outbox", err);
}

int
store_event_has(struct store *s, int64_t recipient, const char *kind,
		int *found, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_W_EVENT_HAS];
	int64_t one;
	int rc;

	sqlite3_bind_int64(st, 1, recipient);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	rc = find_id(st, &one);
	if (rc != 0 && rc != 1)
		return status(s, rc, "event", err);
	*found = rc;
	return STORE_OK;
}

int
store_event_has_key(struct store *s, const char *ukey, int *found,
		    struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_W_EVENT_KEY];
	int64_t one;
	int rc;

	sqlite3_bind_text(st, 1, ukey, -1, SQLITE_STATIC);
	rc = find_id(st, &one);
	if (rc != 0 && rc != 1)
		return status(s, rc, "event", err);
	*found = rc;
	return STORE_OK;
}

int
store_watch_counter(struct store *s, const char *name, int64_t delta,
		    struct store_err *err)
{
	int rc;

	in_txn(s);
	rc = counter_add(s, name, delta);
	return rc == SQLITE_OK ? STORE_OK : status(s, rc, "counter", err);
}

/* one_int - the single integer a query answers (0 when no row) */
static int
one_int(struct store *s, const char *sql, int64_t *v, struct store_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*v = 0;
	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return status(s, rc, "status", err);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK
						     : status(s, rc, "status", err);
}

int
store_overview(struct store *s, struct store_overview *o,
	       void (*each_source)(void *, const struct store_source_status *),
	       void (*each_gap)(void *, const struct store_gap_row *),
	       size_t max_gaps, void *arg, struct store_err *err)
{
	static const struct {
		size_t off;
		const char *sql;
	} counts[] = {
#define OV(f) offsetof(struct store_overview, f)
		{ OV(events), "SELECT count(*) FROM events" },
		{ OV(events_historical),
		  "SELECT count(*) FROM events WHERE historical" },
		{ OV(outbox_pending),
		  "SELECT count(*) FROM outbox WHERE state = 'pending'" },
		{ OV(outbox_leased),
		  "SELECT count(*) FROM outbox WHERE state = 'leased'" },
		{ OV(outbox_sent),
		  "SELECT count(*) FROM outbox WHERE state = 'sent'" },
		{ OV(outbox_dead),
		  "SELECT count(*) FROM outbox WHERE state = 'dead'" },
		{ OV(oldest_pending), "SELECT coalesce(min(created), 0) FROM"
		  " outbox WHERE state = 'pending'" },
		{ OV(milter_dropped), "SELECT coalesce(max(value), 0) FROM"
		  " counters WHERE name = '" STORE_COUNTER_MILTER_DROPPED "'" },
		{ OV(event_repeats), "SELECT coalesce(max(value), 0) FROM"
		  " counters WHERE name = '" STORE_COUNTER_EVENT_REPEATS "'" },
		{ OV(gaps), "SELECT count(*) FROM gaps" },
#undef OV
	};
	struct store_source_status src;
	struct store_gap_row g;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if ((rc = one_int(s, counts[i].sql,
				  (int64_t *)((char *)o + counts[i].off),
				  err)) != STORE_OK)
			return rc;
	rc = sqlite3_prepare_v2(s->db, "SELECT source, cursor, updated,"
		" (SELECT count(*) FROM gaps g WHERE g.source = c.source)"
		" FROM cursors c ORDER BY source", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return status(s, rc, "status", err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		src.source = (const char *)sqlite3_column_text(st, 0);
		src.cursor = (const char *)sqlite3_column_text(st, 1);
		src.updated = sqlite3_column_int64(st, 2);
		src.gaps = sqlite3_column_int64(st, 3);
		if (each_source)
			each_source(arg, &src);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return status(s, rc, "status", err);
	rc = sqlite3_prepare_v2(s->db, "SELECT source, detected, from_pos,"
		" to_pos, note FROM gaps ORDER BY id DESC LIMIT ?1", -1, &st,
		NULL);
	if (rc != SQLITE_OK)
		return status(s, rc, "status", err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)max_gaps);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		g.source = (const char *)sqlite3_column_text(st, 0);
		g.detected = sqlite3_column_int64(st, 1);
		g.from_pos = (const char *)sqlite3_column_text(st, 2);
		g.to_pos = (const char *)sqlite3_column_text(st, 3);
		g.note = (const char *)sqlite3_column_text(st, 4);
		if (each_gap)
			each_gap(arg, &g);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : status(s, rc, "status", err);
}

/* trace_rows - run sql with ?1 = id and emit each row as kind */
static int
trace_rows(struct store *s, const char *sql, int64_t id,
	   enum store_trace_kind kind, const char *const *names,
	   void (*emit)(void *, const struct store_trace_row *), void *arg,
	   int64_t *ids, size_t maxids, size_t *nids, struct store_err *err)
{
	struct store_trace_row row;
	sqlite3_stmt *st;
	int rc, i, ncol;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return status(s, rc, "trace", err);
	sqlite3_bind_int64(st, 1, id);
	if (nids)
		*nids = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		row.kind = kind;
		row.names = names;
		ncol = sqlite3_column_count(st);
		/* column 0 is the row id, the rest are named */
		for (i = 1; i < ncol && i - 1 < 16; i++)
			row.v[i - 1] = (const char *)sqlite3_column_text(st, i);
		if (ids && *nids < maxids)
			ids[(*nids)++] = sqlite3_column_int64(st, 0);
		if (emit)
			emit(arg, &row);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : status(s, rc, "trace", err);
}

/*
 * store_trace_sql - the message lookup of a trace with only the filters
 * given, so SQLite can pick the index of each (an "?1 IS NULL OR" form
 * would make it read every message).  Parameters keep fixed numbers: ?1
 * queue ID, ?2 recipient, ?3 sender, ?4/?9 Message-ID with and without
 * its brackets, ?5 domain, ?6 limit, ?7 until, ?8 since.
 */
int
store_trace_sql(const struct store_trace_query *q, char *out, size_t size)
{
	struct buf b;
	int rc = 0;

	buf_init(&b, size);
	rc |= buf_adds(&b, "SELECT DISTINCT m.id FROM messages m");
	if (q->to || q->domain)
		rc |= buf_adds(&b, " JOIN recipients r ON r.message = m.id");
	rc |= buf_adds(&b, " WHERE 1");
	if (q->queue_id)
		rc |= buf_adds(&b, " AND m.queue_id = ?1");
	if (q->to)
		rc |= buf_adds(&b, " AND r.address = ?2 COLLATE NOCASE");
	if (q->from)
		rc |= buf_adds(&b, " AND m.sender = ?3 COLLATE NOCASE");
	if (q->message_id)
		rc |= buf_adds(&b, " AND m.message_id IN (?4, ?9)");
	if (q->domain)
		rc |= buf_adds(&b, " AND r.address LIKE '%@' || ?5");
	if (q->until)
		rc |= buf_adds(&b, " AND m.first_seen <= ?7");
	if (q->since)
		rc |= buf_adds(&b, " AND (m.first_seen >= ?8 OR EXISTS (SELECT"
			       " 1 FROM recipients x WHERE x.message = m.id"
			       " AND x.state_at >= ?8))");
	rc |= buf_adds(&b, " ORDER BY m.first_seen DESC, m.id DESC LIMIT ?6");
	if (rc == 0 && b.len < size)
		memcpy(out, buf_str(&b), b.len + 1);
	else
		rc = -1;
	buf_free(&b);
	return rc == 0 ? 0 : -1;
}

int
store_trace(struct store *s, const struct store_trace_query *q,
	    void (*emit)(void *, const struct store_trace_row *), void *arg,
	    size_t *n, struct store_err *err)
{
	static const char *const mnames[] = { "queue_id", "instance",
		"arrival", "sender", "sender_src", "message_id", "size",
		"client", "sasl_user", "submission", "subject", "closed",
		NULL };
	static const char *const rnames[] = { "to", "orig_to", "state",
		"state_at", "notify", NULL };
	static const char *const anames[] = { "at", "status", "relay", "dsn",
		"delay", "reply", NULL };
	static const char *const enames[] = { "kind", "reason",
		"last_reason", "who_acts", "historical", "occurred",
		"retry_until", "notice", NULL };
	sqlite3_stmt *st;
	int64_t mids[1000], rids[1000];
	size_t nm = 0, nr, i, j, max = q->max && q->max < 1000 ? q->max : 1000;
	int rc;

	char sql[1024], msgid[STORE_TRACE_ID_MAX + 3];
	const char *bare = NULL;
	size_t len;

	if (store_trace_sql(q, sql, sizeof(sql)) < 0)
		abort();		/* the fragments are ours: a bug */
	if (q->message_id != NULL) {
		/* stored with its angle brackets, as Postfix logs it */
		bare = q->message_id + (q->message_id[0] == '<');
		len = strlen(bare);
		if (len > 0 && bare[len - 1] == '>')
			len--;
		if (len > STORE_TRACE_ID_MAX)
			len = STORE_TRACE_ID_MAX;
		snprintf(msgid, sizeof(msgid), "<%.*s>", (int)len, bare);
	}
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return status(s, rc, "trace", err);
	/* only the parameters the query uses are bound */
	if (q->queue_id)
		bind_text(st, 1, q->queue_id);
	if (q->to)
		bind_text(st, 2, q->to);
	if (q->from)
		bind_text(st, 3, q->from);
	if (q->message_id) {
		bind_text(st, 4, msgid);
		sqlite3_bind_text(st, 9, msgid + 1, (int)strlen(msgid) - 2,
				  SQLITE_TRANSIENT);
	}
	if (q->domain)
		bind_text(st, 5, q->domain);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)max);
	if (q->until)
		sqlite3_bind_int64(st, 7, q->until);
	if (q->since)
		sqlite3_bind_int64(st, 8, q->since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && nm < max)
		mids[nm++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return status(s, rc, "trace", err);
	*n = nm;
	for (i = nm; i > 0; i--) {	/* oldest first on output */
		rc = trace_rows(s, "SELECT id, queue_id, instance, first_seen,"
			" sender, sender_src, message_id, size,"
			" CASE WHEN client_name IS NULL AND client_addr IS NULL"
			"  THEN NULL ELSE coalesce(client_name, '') || '[' ||"
			"  coalesce(client_addr, '') || ']' END,"
			" sasl_user, submission, subject, closed"
			" FROM messages WHERE id = ?1", mids[i - 1],
			STORE_TRACE_MESSAGE, mnames, emit, arg, NULL, 0, NULL,
			err);
		if (rc == STORE_OK)
			rc = trace_rows(s, "SELECT id, address, orig, state,"
				" state_at, notify FROM recipients WHERE"
				" message = ?1 ORDER BY id", mids[i - 1],
				STORE_TRACE_RECIPIENT, rnames, NULL, NULL,
				rids, 1000, &nr, err);
		if (rc != STORE_OK)
			return rc;
		for (j = 0; j < nr; j++) {
			rc = trace_rows(s, "SELECT id, address, orig, state,"
				" state_at, notify FROM recipients WHERE"
				" id = ?1", rids[j], STORE_TRACE_RECIPIENT,
				rnames, emit, arg, NULL, 0, NULL, err);
			if (rc == STORE_OK)
				rc = trace_rows(s, "SELECT id, at, status,"
					" relay, dsn, delay, reply FROM attempts"
					" WHERE recipient = ?1 ORDER BY at, id",
					rids[j], STORE_TRACE_ATTEMPT, anames,
					emit, arg, NULL, 0, NULL, err);
			if (rc == STORE_OK)
				rc = trace_rows(s, "SELECT e.id, e.kind,"
					" e.reason, e.last_reason, e.who_acts,"
					" e.historical, e.occurred,"
					" e.retry_until, (SELECT group_concat("
					"  o.channel || ':' || o.state, ', ')"
					"  FROM outbox_events x JOIN outbox o ON"
					"  o.id = x.outbox WHERE x.event = e.id)"
					" FROM events e WHERE e.recipient = ?1"
					" ORDER BY e.id", rids[j],
					STORE_TRACE_EVENT, enames, emit, arg,
					NULL, 0, NULL, err);
			if (rc != STORE_OK)
				return rc;
		}
	}
	return STORE_OK;
}

/*
 * The responder's side of the contract: test and watcher inserts of
 * messages, recipients and events (with their route row), routing,
 * delivery facts, and the notices CLI.
 */

int
store_message_add(struct store *s, const struct store_message_in *m,
		  int64_t *id, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_MESSAGE_ADD];
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", "message add", err)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, m->instance, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->queue_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, m->first_seen);
	bind_text(st, 4, m->message_id);
	sqlite3_bind_text(st, 5, m->from_milter ? "milter" : "log", -1,
			  SQLITE_STATIC);
	bind_text(st, 6, m->sender);
	bind_text(st, 7, m->sasl_user);
	bind_text(st, 8, m->client_addr);
	bind_text(st, 9, m->submission);
	bind_text(st, 10, m->subject);
	bind_text(st, 11, m->from_header);
	bind_text(st, 12, m->auto_submitted);
	bind_text(st, 13, m->precedence);
	bind_text(st, 14, m->list_id);
	if ((rc = step_done(st)) == SQLITE_OK)
		*id = sqlite3_last_insert_rowid(s->db);
	return finish(s, rc, "message add", err);
}

int
store_recipient_add(struct store *s, int64_t message, const char *address,
		    const char *notify, int64_t *id, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_RECIPIENT_ADD];
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", "recipient add", err)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, message);
	sqlite3_bind_text(st, 2, address, -1, SQLITE_STATIC);
	bind_text(st, 3, notify);
	if ((rc = step_done(st)) == SQLITE_OK)
		*id = sqlite3_last_insert_rowid(s->db);
	return finish(s, rc, "recipient add", err);
}

int
store_event_add(struct store *s, const struct store_event_in *e, int64_t now,
		int64_t *id, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_EVENT_ADD];
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", "event add", err)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, e->message);
	if (e->recipient > 0)
		sqlite3_bind_int64(st, 2, e->recipient);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, e->kind, -1, SQLITE_STATIC);
	bind_text(st, 4, e->reason);
	bind_text(st, 5, e->who_acts);
	bind_text(st, 6, e->dsn);
	bind_text(st, 7, e->reply);
	sqlite3_bind_text(st, 8, e->ukey, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 9, e->historical != 0);
	sqlite3_bind_int64(st, 10, now);
	if ((rc = step_done(st)) == SQLITE_OK) {
		*id = sqlite3_last_insert_rowid(s->db);
		if (!e->historical)
			rc = route_add(s, *id, now);
	}
	return finish(s, rc, "event add", err);
}

void
store_facts_free(struct store_fact *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].kind);
		free(v[i].reason);
		free(v[i].who_acts);
		free(v[i].dsn);
		free(v[i].reply);
		free(v[i].instance);
		free(v[i].queue_id);
		free(v[i].message_id);
		free(v[i].sender);
		free(v[i].sender_src);
		free(v[i].submission);
		free(v[i].submission_src);
		free(v[i].subject);
		free(v[i].from_header);
		free(v[i].auto_submitted);
		free(v[i].precedence);
		free(v[i].list_id);
		free(v[i].headers_src);
		free(v[i].recipient);
		free(v[i].notify);
		free(v[i].relay);
		free(v[i].last_reason);
	}
	free(v);
}

/* facts_append - the facts of every event of outbox row id onto *v */
static int
facts_append(struct store *s, int64_t id, struct store_fact **v, size_t *n,
	     size_t *cap)
{
	sqlite3_stmt *st = s->st[ST_FACTS];
	struct store_fact *f;
	int rc;

	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 8;
			*v = xrealloc(*v, *cap * sizeof(**v));
		}
		f = &(*v)[(*n)++];
		memset(f, 0, sizeof(*f));
		f->outbox = sqlite3_column_int64(st, 0);
		f->event = sqlite3_column_int64(st, 1);
		f->message = sqlite3_column_int64(st, 2);
		f->kind = column_dup(st, 3);
		f->reason = column_dup(st, 4);
		f->who_acts = column_dup(st, 5);
		f->dsn = column_dup(st, 6);
		f->reply = column_dup(st, 7);
		f->created = sqlite3_column_int64(st, 8);
		f->instance = column_dup(st, 9);
		f->queue_id = column_dup(st, 10);
		f->first_seen = sqlite3_column_int64(st, 11);
		f->message_id = column_dup(st, 12);
		f->sender = column_dup(st, 13);
		f->sender_src = column_dup(st, 14);
		f->submission = column_dup(st, 15);
		f->submission_src = column_dup(st, 16);
		f->subject = column_dup(st, 17);
		f->from_header = column_dup(st, 18);
		f->auto_submitted = column_dup(st, 19);
		f->precedence = column_dup(st, 20);
		f->list_id = column_dup(st, 21);
		f->headers_src = column_dup(st, 22);
		f->recipient = column_dup(st, 23);
		f->notify = column_dup(st, 24);
		f->attempts = sqlite3_column_int64(st, 25);
		f->relay = column_dup(st, 26);
		f->last_reason = column_dup(st, 27);
		f->retry_until = sqlite3_column_int64(st, 28);	/* NULL: 0 */
		f->first_deferral = sqlite3_column_int64(st, 29);
		f->occurred = sqlite3_column_int64(st, 30);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
store_facts(struct store *s, int64_t outbox, struct store_fact **facts,
	    size_t *n, struct store_err *err)
{
	size_t cap = 0;
	int rc;

	*facts = NULL;
	*n = 0;
	if ((rc = facts_append(s, outbox, facts, n, &cap)) != SQLITE_OK) {
		store_facts_free(*facts, *n);
		*facts = NULL;
		*n = 0;
		return status(s, rc, "facts", err);
	}
	return STORE_OK;
}

int
store_route_lease(struct store *s, const char *owner, int64_t now,
		  int64_t lease_secs, int64_t group_delay, size_t max,
		  struct store_fact **facts, size_t *n, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_ROUTE_LEASE];
	int64_t *ids = NULL;
	size_t nids = 0, idcap = 0, cap = 0, i;
	int rc;

	*facts = NULL;
	*n = 0;
	if ((rc = exec(s, "BEGIN IMMEDIATE", "route lease", err)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, lease_secs);
	sqlite3_bind_int64(st, 4, group_delay);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nids == idcap) {
			idcap = idcap ? idcap * 2 : 8;
			ids = xrealloc(ids, idcap * sizeof(*ids));
		}
		ids[nids++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	for (i = 0; i < nids && rc == SQLITE_OK; i++)
		rc = facts_append(s, ids[i], facts, n, &cap);
	free(ids);
	if ((rc = finish(s, rc, "route lease", err)) != STORE_OK) {
		store_facts_free(*facts, *n);
		*facts = NULL;
		*n = 0;
	}
	return rc;
}

int
store_sender_recent(struct store *s, const char *sender, int64_t since,
		    int64_t *n, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_SENDER_RECENT];
	int rc;

	sqlite3_bind_text(st, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? STORE_OK : status(s, rc, "sender recent", err);
}

/* linked - 1 when event already belongs to a notice on channel/target */
static int
linked(struct store *s, int64_t event, const char *channel,
       const char *target, int *rcp)
{
	sqlite3_stmt *st = s->st[ST_LINKED];
	int rc;

	sqlite3_bind_int64(st, 1, event);
	sqlite3_bind_text(st, 2, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, target, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	*rcp = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
	return rc == SQLITE_ROW;
}

/* held_row - the pending digest row for channel/target due after now */
static int
held_row(struct store *s, const char *channel, const char *target,
	 int64_t now, int64_t *id)
{
	sqlite3_stmt *st = s->st[ST_HELD_FIND];
	int rc;

	*id = 0;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* add_delivery - one delivery row (or events joining a held one) */
static int
add_delivery(struct store *s, const struct store_delivery *d, int64_t now)
{
	sqlite3_stmt *st;
	int64_t row = 0;
	size_t i;
	int rc;

	if (d->due > now && (rc = held_row(s, d->channel, d->target, now,
					    &row)) != SQLITE_OK)
		return rc;
	for (i = 0; i < d->nevents; i++) {
		if (linked(s, d->events[i], d->channel, d->target, &rc))
			continue;	/* one notice per event and target */
		if (rc != SQLITE_OK)
			return rc;
		if (row == 0) {
			st = s->st[ST_OUTBOX_ADD_AT];
			sqlite3_bind_text(st, 1, d->channel, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, d->target, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, d->due > now ? d->due : now);
			bind_text(st, 4, d->webhook_id);
			sqlite3_bind_int64(st, 5, now);
			if ((rc = step_done(st)) != SQLITE_OK)
				return rc;
			row = sqlite3_last_insert_rowid(s->db);
		}
		st = s->st[ST_OUTBOX_ADD_EVENT];
		sqlite3_bind_int64(st, 1, row);
		sqlite3_bind_int64(st, 2, d->events[i]);
		if ((rc = step_done(st)) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

int
store_route_commit(struct store *s, const char *owner, int64_t now,
		   const int64_t *routes, size_t nroutes,
		   const struct store_delivery *d, size_t nd,
		   struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_OUTBOX_FINISH];
	size_t i;
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", "route commit", err)) != 0)
		return rc;
	for (i = 0; i < nroutes && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(st, 1, routes[i]);
		sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_text(st, 4, "sent", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, now);
		sqlite3_bind_null(st, 6);
		if ((rc = step_done(st)) == SQLITE_OK &&
		    sqlite3_changes(s->db) == 0) {
			rollback(s);	/* our lease ran out: another routes */
			return STORE_NOTFOUND;
		}
	}
	for (i = 0; i < nd && rc == SQLITE_OK; i++)
		rc = add_delivery(s, &d[i], now);
	return finish(s, rc, "route commit", err);
}

int
store_outbox_list(struct store *s, const char *state,
		  int (*fn)(const struct store_outbox_row *, void *),
		  void *arg, struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_OUTBOX_LIST];
	struct store_outbox_row r;
	int rc;

	bind_text(st, 1, state);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(st, 0);
		r.channel = (const char *)sqlite3_column_text(st, 1);
		r.target = (const char *)sqlite3_column_text(st, 2);
		r.state = (const char *)sqlite3_column_text(st, 3);
		r.attempts = sqlite3_column_int64(st, 4);
		r.next_attempt = sqlite3_column_int64(st, 5);
		r.last_error = (const char *)sqlite3_column_text(st, 6);
		r.created = sqlite3_column_int64(st, 7);
		r.webhook_id = (const char *)sqlite3_column_text(st, 8);
		r.nevents = sqlite3_column_int64(st, 9);
		if (fn(&r, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? STORE_OK : status(s, rc, "outbox list", err);
}

int
store_outbox_resend(struct store *s, int64_t id, int64_t now,
		    struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_OUTBOX_RESEND];
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", "resend", err)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	return step_or_notfound(s, st, "resend", err);
}

int
store_outbox_release(struct store *s, int64_t id, const char *owner,
		     struct store_err *err)
{
	sqlite3_stmt *st = s->st[ST_OUTBOX_RELEASE];
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE", "release", err)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	return step_or_notfound(s, st, "release", err);
}
