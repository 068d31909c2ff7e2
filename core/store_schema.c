/*
 * store_schema.c - the store's schema as data: one SQL script per
 * migration from version N to N+1.
 *
 * Migration i (0-based) takes user_version i to i+1; store.c runs each
 * in its own BEGIN IMMEDIATE transaction together with the new
 * user_version, so a crash leaves the database at a whole version.
 * Never edit a released migration: append a new one.  Every table and
 * column is documented in docs/store.md.
 */
#include <stddef.h>

#include "store_schema.h"

static const char *const migrations[] = {
	/* 0 -> 1: the first schema, every table of the contract */
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  instance TEXT NOT NULL,"		/* Postfix syslog name */
	"  queue_id TEXT NOT NULL,"
	"  first_seen INTEGER NOT NULL,"	/* unix seconds */
	"  message_id TEXT, message_id_src TEXT,"
	"  sender TEXT, sender_src TEXT,"
	"  size INTEGER, size_src TEXT,"
	"  client_name TEXT, client_addr TEXT, client_src TEXT,"
	"  sasl_user TEXT, sasl_user_src TEXT,"
	"  submission TEXT CHECK (submission IN"
	"    ('authenticated','trusted','local','inbound')),"
	"  submission_src TEXT,"
	"  subject TEXT, from_header TEXT, auto_submitted TEXT,"
	"  precedence TEXT, list_id TEXT, headers_src TEXT,"
	"  milter_record INTEGER REFERENCES milter_records(id)"
	"    ON DELETE SET NULL,"
	"  closed INTEGER NOT NULL DEFAULT 0,"	/* removed from the queue */
	"  CHECK (message_id_src IN ('milter','log')),"
	"  CHECK (sender_src IN ('milter','log')),"
	"  CHECK (size_src IN ('milter','log')),"
	"  CHECK (client_src IN ('milter','log')),"
	"  CHECK (sasl_user_src IN ('milter','log')),"
	"  CHECK (submission_src IN ('milter','log')),"
	"  CHECK (headers_src IN ('milter','log')),"
	"  UNIQUE (instance, queue_id, first_seen)"
	");"
	"CREATE INDEX messages_qid ON messages(instance, queue_id);"
	"CREATE INDEX messages_msgid ON messages(message_id);"
	"CREATE INDEX messages_sender ON messages(sender);"
	"CREATE INDEX messages_seen ON messages(first_seen);"

	"CREATE TABLE recipients ("
	"  id INTEGER PRIMARY KEY,"
	"  message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	"  address TEXT NOT NULL,"
	"  orig TEXT,"				/* orig_to= / ORCPT */
	"  notify TEXT,"			/* NOTIFY= as given */
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN"
	"    ('pending','deferred','sent','bounced','expired','rejected')),"
	"  state_at INTEGER,"
	"  UNIQUE (message, address, orig)"
	");"
	"CREATE INDEX recipients_addr ON recipients(address);"
	"CREATE TABLE attempts ("
	"  id INTEGER PRIMARY KEY,"
	"  recipient INTEGER NOT NULL REFERENCES recipients(id)"
	"    ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"		/* sent, deferred, bounced ... */
	"  relay TEXT, dsn TEXT, delay REAL, reply TEXT"
	");"
	"CREATE INDEX attempts_rcpt ON attempts(recipient);"

	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	"  recipient INTEGER REFERENCES recipients(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL CHECK (kind IN"
	"    ('bounced','expired','deferred_long','delivered_after_delay')),"
	"  reason TEXT,"			/* reason vocabulary key */
	"  who_acts TEXT,"
	"  dsn TEXT, reply TEXT,"
	"  ukey TEXT NOT NULL UNIQUE,"		/* message/recipient/kind */
	"  historical INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE INDEX events_created ON events(created);"

	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  channel TEXT NOT NULL,"		/* email, webhook:NAME */
	"  target TEXT NOT NULL,"		/* address or endpoint name */
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN"
	"    ('pending','leased','sent','dead')),"
	"  lease_owner TEXT, lease_until INTEGER,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  webhook_id TEXT UNIQUE,"		/* stable across retries */
	"  last_error TEXT,"
	"  created INTEGER NOT NULL, updated INTEGER NOT NULL"
	");"
	"CREATE INDEX outbox_due ON outbox(state, next_attempt);"
	"CREATE TABLE outbox_events ("
	"  outbox INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
	"  event INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (outbox, event)"
	");"

	"CREATE TABLE cursors ("
	"  source TEXT PRIMARY KEY,"		/* file:/path, journal, ... */
	"  cursor TEXT,"
	"  state BLOB,"				/* opaque correlation state */
	"  updated INTEGER NOT NULL"
	");"
	"CREATE TABLE gaps ("
	"  id INTEGER PRIMARY KEY,"
	"  source TEXT NOT NULL,"
	"  detected INTEGER NOT NULL,"
	"  from_pos TEXT, to_pos TEXT, note TEXT"
	");"

	"CREATE TABLE milter_records ("
	"  id INTEGER PRIMARY KEY,"
	"  instance TEXT NOT NULL,"
	"  queue_id TEXT NOT NULL,"
	"  recorded_at INTEGER NOT NULL,"
	"  message_id TEXT, subject TEXT, from_header TEXT,"
	"  auto_submitted TEXT, precedence TEXT, list_id TEXT,"
	"  sender TEXT, sasl_user TEXT, client_name TEXT, client_addr TEXT,"
	"  daemon_name TEXT,"
	"  submission TEXT NOT NULL CHECK (submission IN"
	"    ('authenticated','trusted','local','inbound'))"
	");"
	"CREATE INDEX milter_records_qid ON milter_records(instance, queue_id);"
	"CREATE TABLE milter_recipients ("
	"  record INTEGER NOT NULL REFERENCES milter_records(id)"
	"    ON DELETE CASCADE,"
	"  address TEXT NOT NULL,"
	"  notify TEXT"
	");"
	"CREATE INDEX milter_recipients_rec ON milter_recipients(record);"

	"CREATE TABLE counters ("
	"  name TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL DEFAULT 0"
	");",

	/* 1 -> 2: the watcher's event details and idempotent attempts */
	"ALTER TABLE events ADD COLUMN last_reason TEXT;"
	"ALTER TABLE events ADD COLUMN smtp_code INTEGER;"
	"ALTER TABLE events ADD COLUMN relay TEXT;"
	"ALTER TABLE events ADD COLUMN attempts INTEGER;"
	"ALTER TABLE events ADD COLUMN first_deferral INTEGER;"
	"ALTER TABLE events ADD COLUMN retry_until INTEGER;"
	"ALTER TABLE events ADD COLUMN occurred INTEGER;"
	"CREATE INDEX events_rcpt ON events(recipient, kind);"
	"CREATE UNIQUE INDEX attempts_once ON attempts(recipient, at, status);",

	/* 2 -> 3: webhook endpoints disabled by 410 Gone, kept across
	 * restarts; the two indexes the responder's queries need */
	"CREATE TABLE endpoints_disabled ("
	"  name TEXT PRIMARY KEY,"		/* endpoint name */
	"  disabled_at INTEGER NOT NULL,"	/* unix seconds */
	"  why TEXT"
	");"
	"CREATE INDEX outbox_events_event ON outbox_events(event);"
	"CREATE INDEX outbox_target ON outbox(channel, target, created);",

	/* 3 -> 4: the indexes the lookups use.  attempts_rcpt was a prefix
	 * of attempts_once; messages_qid (instance, queue_id) served no
	 * lookup the unique index does not, while a trace by queue ID alone
	 * needs queue_id first; a trace compares sender and recipient
	 * without case, which only a NOCASE index serves */
	"DROP INDEX attempts_rcpt;"
	"DROP INDEX messages_qid;"
	"CREATE INDEX messages_queue ON messages(queue_id);"
	"DROP INDEX messages_sender;"
	"CREATE INDEX messages_sender ON messages(sender COLLATE NOCASE);"
	"DROP INDEX recipients_addr;"
	"CREATE INDEX recipients_addr ON recipients(address COLLATE NOCASE);",
};

const char *
store_schema_migration(int from)
{
	if (from < 0 || from >= store_schema_count())
		return NULL;
	return migrations[from];
}

int
store_schema_count(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}
