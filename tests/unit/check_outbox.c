/*
 * check_outbox.c - the responder's worker over a real SQLite store, with
 * the clock as an argument and the dry-run printer as the transport:
 * grouping after group_delay, one notice per event and target, the rate
 * limit and its digest, the loop guard, leases between two workers, the
 * webhook JSON body with hostile facts, dead letters.
 */
#include <check.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbox.h"
#include "testutil.h"

#define T0 1700000000

static const char *const domains[] = { "example.com", NULL };

struct fx {
	char *dir;
	char db[512];
	struct store *s;
	struct notice_templates *t;
	struct outbox_conf c;
	char *out;
	size_t outlen;
	FILE *fp;
};

/* fx_open - a fresh store, templates, and a worker configuration */
static void
fx_open(struct fx *f)
{
	struct store_err err;
	struct buf why;

	memset(f, 0, sizeof(*f));
	f->dir = tu_tmpdir();
	snprintf(f->db, sizeof(f->db), "%s/pb.db", f->dir);
	ck_assert_int_eq(store_open(&f->s, f->db, 2000, 0, &err), STORE_OK);
	buf_init(&why, 1024);
	ck_assert_msg(notice_load(&f->t, tu_path("templates"), "en", &why) == 0,
		      "%s", buf_str(&why));
	buf_free(&why);
	f->fp = open_memstream(&f->out, &f->outlen);
	policy_conf_default(&f->c.policy);
	f->c.policy.local_domains = domains;
	f->c.policy.helpdesk = true;
	f->c.policy.webhook = true;
	f->c.policy.notice_from = "notices@example.com";
	f->c.policy.msgid_prefix = OUTBOX_MSGID_PREFIX;
	f->c.policy.msgid_domain = "notice.example.com";
	f->c.owner = "A";
	f->c.lease_secs = 60;
	f->c.group_delay_secs = 5;
	f->c.batch = 50;
	f->c.helpdesk_address = "helpdesk@example.com";
	f->c.webhook_name = "hd";
	retry_policy_default(&f->c.retry);
	mailer_conf_default(&f->c.mailer);
	f->c.from_addr = "notices@example.com";
	f->c.from_name = "Help";
	f->c.msgid_domain = "notice.example.com";
	f->c.dry_run = f->fp;
}

/* fx_close - release everything and remove the directory */
static void
fx_close(struct fx *f)
{
	fclose(f->fp);
	free(f->out);
	notice_free(f->t);
	store_close(f->s);
	tu_rmtree(f->dir);
	free(f->dir);
}

/* msg - one message of sender with n bounced recipients, at time t */
static int64_t
msg(struct fx *f, const char *qid, const char *sender, const char *subject,
    int n, int64_t t)
{
	struct store_message_in m = { "postfix", qid, t, "<o.1@example.com>",
				       sender, "u", "127.0.0.1", "authenticated",
				       subject, NULL, NULL, NULL, NULL, 1 };
	struct store_event_in e;
	struct store_err err;
	int64_t mid, rid, eid;
	char addr[64], key[128];
	int i;

	ck_assert_int_eq(store_message_add(f->s, &m, &mid, &err), STORE_OK);
	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "r%d@example.net", i + 1);
		ck_assert_int_eq(store_recipient_add(f->s, mid, addr, NULL, &rid,
						     &err), STORE_OK);
		snprintf(key, sizeof(key), "%s/%d/bounced", qid, i);
		memset(&e, 0, sizeof(e));
		e.message = mid;
		e.recipient = rid;
		e.kind = "bounced";
		e.reason = "address_unknown";
		e.who_acts = "sender";
		e.dsn = "5.1.1";
		e.reply = "550 5.1.1 no such user";
		e.ukey = key;
		ck_assert_int_eq(store_event_add(f->s, &e, t, &eid, &err),
				 STORE_OK);
	}
	return mid;
}

/* rows_cb - count outbox rows by channel into a small tally */
struct tally { int email, webhook, route, events; };

static int
rows_cb(const struct store_outbox_row *r, void *arg)
{
	struct tally *t = arg;

	if (strcmp(r->channel, "email") == 0)
		t->email++;
	else if (strcmp(r->channel, "webhook") == 0)
		t->webhook++;
	else
		t->route++;
	t->events += (int)r->nevents;
	return 0;
}

/* pending - tally of pending and leased rows */
static struct tally
pending(struct fx *f)
{
	struct tally t = { 0, 0, 0, 0 };
	struct store_err err;

	ck_assert_int_eq(store_outbox_list(f->s, NULL, rows_cb, &t, &err),
			 STORE_OK);
	return t;
}

START_TEST(test_group_after_delay)
{
	struct fx f;
	struct outbox ob;
	struct tally t;

	fx_open(&f);
	msg(&f, "Q1", "alice@example.com", "Lunch", 3, T0);
	outbox_init(&ob, f.s, &f.c, f.t, NULL, 1);
	ck_assert_int_eq(outbox_route(&ob, T0 + 2), 0);	/* still waiting */
	t = pending(&f);
	ck_assert_int_eq(t.email + t.webhook, 0);
	ck_assert_int_eq(outbox_route(&ob, T0 + 5), 3);
	t = pending(&f);
	ck_assert_int_eq(t.route, 0);
	/* one sender email, one helpdesk email, one webhook: each 3 events */
	ck_assert_int_eq(t.email, 2);
	ck_assert_int_eq(t.webhook, 1);
	ck_assert_int_eq(t.events, 9);
	/* delivering (dry run) sends both emails; the webhook has no client */
	ck_assert_int_eq(outbox_deliver(&ob, T0 + 5, NULL), 3);
	ck_assert_int_eq(ob.stats.sent, 2);
	ck_assert_int_eq(ob.stats.dead, 1);
	fflush(f.fp);
	ck_assert_ptr_nonnull(strstr(f.out, "email to alice@example.com"));
	ck_assert_ptr_nonnull(strstr(f.out, "In-Reply-To: <o.1@example.com>"));
	ck_assert_ptr_nonnull(strstr(f.out, "r3@example.net"));
	t = pending(&f);
	ck_assert_int_eq(t.email + t.webhook, 0);
	fx_close(&f);
}
END_TEST

/* a second route row for an event already routed creates nothing */
START_TEST(test_one_notice_per_event)
{
	struct fx f;
	struct outbox ob;
	struct store_err err;
	struct tally t;
	int64_t ev = 1, id;

	fx_open(&f);
	msg(&f, "Q1", "alice@example.com", "S", 1, T0);
	outbox_init(&ob, f.s, &f.c, f.t, NULL, 1);
	ck_assert_int_eq(outbox_route(&ob, T0 + 5), 1);
	ck_assert_int_eq(store_outbox_add(f.s, "route", "", &ev, 1, NULL,
					  T0 + 6, &id, &err), STORE_OK);
	ck_assert_int_eq(outbox_route(&ob, T0 + 20), 1);
	t = pending(&f);
	ck_assert_int_eq(t.email, 2);
	ck_assert_int_eq(t.webhook, 1);
	fx_close(&f);
}
END_TEST

/* sender_rate 2: the third and fourth message wait in one digest */
START_TEST(test_rate_digest)
{
	struct fx f;
	struct outbox ob;
	struct tally t;

	fx_open(&f);
	f.c.policy.sender_rate = 2;
	f.c.policy.helpdesk = false;
	f.c.policy.webhook = false;
	msg(&f, "Q1", "alice@example.com", "First", 1, T0);
	msg(&f, "Q2", "alice@example.com", "Second", 1, T0);
	msg(&f, "Q3", "alice@example.com", "Third", 1, T0);
	msg(&f, "Q4", "alice@example.com", "Fourth", 1, T0);
	msg(&f, "Q5", "bob@example.com", "Other sender", 1, T0);
	outbox_init(&ob, f.s, &f.c, f.t, NULL, 1);
	ck_assert_int_eq(outbox_route(&ob, T0 + 5), 5);
	t = pending(&f);
	ck_assert_int_eq(t.email, 4);	/* 2 alice, 1 digest, 1 bob */
	ck_assert_int_eq(outbox_deliver(&ob, T0 + 5, NULL), 3);
	fflush(f.fp);
	ck_assert_ptr_null(strstr(f.out, "Third"));
	/* an hour later the digest goes, holding both held messages */
	ck_assert_int_eq(outbox_deliver(&ob, T0 + 5 + OUTBOX_RATE_WINDOW,
					NULL), 1);
	fflush(f.fp);
	ck_assert_ptr_nonnull(strstr(f.out, "Third"));
	ck_assert_ptr_nonnull(strstr(f.out, "Fourth"));
	ck_assert_int_eq(ob.stats.sent, 4);
	fx_close(&f);
}
END_TEST

/* our own notice bouncing causes nothing, for anyone */
START_TEST(test_loop_guard)
{
	struct fx f;
	struct outbox ob;
	struct tally t;

	fx_open(&f);
	msg(&f, "Q1", "notices@example.com", "Not delivered: x", 1, T0);
	outbox_init(&ob, f.s, &f.c, f.t, NULL, 1);
	ck_assert_int_eq(outbox_route(&ob, T0 + 5), 1);
	t = pending(&f);
	ck_assert_int_eq(t.email + t.webhook + t.route, 0);
	fx_close(&f);
}
END_TEST

/* two workers: a lease is exclusive until it runs out */
START_TEST(test_leases)
{
	struct fx f;
	struct outbox a, b;
	struct outbox_conf cb;
	struct store *s2;
	struct store_err err;

	fx_open(&f);
	f.c.policy.webhook = false;
	msg(&f, "Q1", "alice@example.com", "S", 2, T0);
	ck_assert_int_eq(store_open(&s2, f.db, 2000, 0, &err), STORE_OK);
	cb = f.c;
	cb.owner = "B";
	outbox_init(&a, f.s, &f.c, f.t, NULL, 1);
	outbox_init(&b, s2, &cb, f.t, NULL, 2);
	ck_assert_int_eq(outbox_route(&a, T0 + 5), 2);
	ck_assert_int_eq(outbox_route(&b, T0 + 5), 0);
	{
		struct store_notice *v;
		size_t n;

		/* A holds both notices; B gets none until A's lease ends */
		ck_assert_int_eq(store_delivery_lease(f.s, "A", T0 + 6, 60, 10,
						      &v, &n, &err), STORE_OK);
		ck_assert_int_eq(n, 2);
		store_notices_free(v, n);
		ck_assert_int_eq(outbox_deliver(&b, T0 + 30, NULL), 0);
		ck_assert_int_eq(outbox_deliver(&b, T0 + 66, NULL), 2);
		ck_assert_int_eq(b.stats.sent, 2);
		/* A's late outcome is refused: B owns the result */
		ck_assert_int_eq(store_outbox_finish(f.s, 1 + 2, "A", T0 + 70,
			STORE_NOTICE_SENT, T0 + 70, NULL, &err), STORE_NOTFOUND);
	}
	store_close(s2);
	fx_close(&f);
}
END_TEST

/* one_event - message QID of alice with one recipient and one KIND event
 * whose schema-v2 columns are set as the watcher writes them */
static void
one_event(struct fx *f, const char *qid, const char *kind, const char *reason,
	  const char *set)
{
	struct store_message_in m = { "postfix", qid, T0, "<o.1@example.com>",
				       "alice@example.com", "u", "127.0.0.1",
				       "authenticated", "Photos", NULL, NULL,
				       NULL, NULL, 1 };
	struct store_event_in e;
	struct store_err err;
	int64_t mid, rid, eid;
	char sql[512];
	sqlite3 *db;

	ck_assert_int_eq(store_message_add(f->s, &m, &mid, &err), STORE_OK);
	ck_assert_int_eq(store_recipient_add(f->s, mid, "full@example.net",
					     NULL, &rid, &err), STORE_OK);
	memset(&e, 0, sizeof(e));
	e.message = mid;
	e.recipient = rid;
	e.kind = kind;
	e.reason = reason;
	e.who_acts = "recipient";
	e.ukey = qid;
	ck_assert_int_eq(store_event_add(f->s, &e, T0, &eid, &err), STORE_OK);
	snprintf(sql, sizeof(sql), "UPDATE events SET %s WHERE id = %lld",
		 set, (long long)eid);
	ck_assert_int_eq(sqlite3_open(f->db, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* the watcher's deferral facts reach the text: retry_until, tried_for,
 * last_reason, attempts and relay from the event's own columns */
START_TEST(test_deferral_facts)
{
	struct fx f;
	struct outbox ob;
	char until[64];

	fx_open(&f);
	one_event(&f, "QD", "deferred_long", "mailbox_full",
		  "retry_until = 1700432000, first_deferral = 1700000010,"
		  " attempts = 7, relay = 'mx.example.net[192.0.2.9]:25',"
		  " occurred = 1700014400");
	one_event(&f, "QE", "expired", "delivery_expired",
		  "last_reason = 'mailbox_full', first_deferral = 1700000010,"
		  " occurred = 1700000000 + 2 * 86400 + 3 * 3600 + 59");
	outbox_init(&ob, f.s, &f.c, f.t, NULL, 1);
	ck_assert_int_eq(outbox_route(&ob, T0 + 5), 2);
	ck_assert_int_eq(outbox_deliver(&ob, T0 + 5, NULL), 6);
	fflush(f.fp);
	outbox_format_time(1700432000, until, sizeof(until));
	ck_assert_str_eq(until, "Sun 19 Nov 2023 22:13 UTC");
	ck_assert_ptr_nonnull(strstr(f.out, "We keep trying until Sun 19 Nov"
				     " 2023 22:13 UTC, then we stop."));
	ck_assert_ptr_nonnull(strstr(f.out, "Retried until: Sun 19 Nov 2023"));
	ck_assert_ptr_nonnull(strstr(f.out, "Attempts: 7"));
	ck_assert_ptr_nonnull(strstr(f.out, "mx.example.net[192.0.2.9]:25"));
	ck_assert_ptr_nonnull(strstr(f.out, "Tried for: 2 days and 3 hours\r\n"));
	/* quoted-printable soft line break after "Mailbox" */
	ck_assert_ptr_nonnull(strstr(f.out, "last deferral: Mailbox=\r\n"
				     " full (mailbox_full)"));
	fx_close(&f);
}
END_TEST

/* times in German notices: German names by table, whatever setlocale says */
START_TEST(test_format_time_locale)
{
	char out[64];

	outbox_format_time_locale(1700432000, "de", out, sizeof(out));
	ck_assert_str_eq(out, "Sonntag, 19. November 2023, 22:13 UTC");
	outbox_format_time_locale(1709251200 + 3 * 86400 + 3600 + 5 * 60,
				  "de_AT", out, sizeof(out));
	ck_assert_str_eq(out, "Montag, 4. M\xc3\xa4rz 2024, 01:05 UTC");
	outbox_format_time_locale(1700432000, "en", out, sizeof(out));
	ck_assert_str_eq(out, "Sun 19 Nov 2023 22:13 UTC");
	outbox_format_time_locale(1700432000, "den", out, sizeof(out));
	ck_assert_str_eq(out, "Sun 19 Nov 2023 22:13 UTC");	/* not "de" */
	outbox_format_time_locale(1700432000, NULL, out, sizeof(out));
	ck_assert_str_eq(out, "Sun 19 Nov 2023 22:13 UTC");
	/* too small a buffer gives "", never a cut date */
	outbox_format_time_locale(1700432000, "de", out, 20);
	ck_assert_str_eq(out, "");
}
END_TEST

/* durations in notices in words, in the notice's language */
START_TEST(test_format_duration_locale)
{
	static const struct {
		int64_t s;
		const char *loc, *want;
	} c[] = {
		{ 5 * 86400, "en", "5 days" },
		{ 4 * 86400 + 3 * 3600 + 59, "en", "4 days and 3 hours" },
		{ 86400 + 60, NULL, "1 day" },
		{ 3600 + 60, "en", "1 hour and 1 minute" },
		{ 45, "en", "45 seconds" },
		{ 0, "en", "0 seconds" },
		{ 5 * 86400, "de", "5 Tage" },
		{ 86400 + 3600, "de_CH", "1 Tag und 1 Stunde" },
		{ 2 * 3600 + 5 * 60, "de", "2 Stunden und 5 Minuten" },
		{ 61, "de", "1 Minute und 1 Sekunde" },
		{ 61, "den", "1 minute and 1 second" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		outbox_format_duration_locale(c[i].s, c[i].loc, out,
					      sizeof(out));
		ck_assert_str_eq(out, c[i].want);
	}
	outbox_format_duration_locale(-5, "en", out, sizeof(out));
	ck_assert_str_eq(out, "");
	outbox_format_duration_locale(4 * 86400 + 3600, "en", out, 10);
	ck_assert_str_eq(out, "");		/* never a cut text */
}
END_TEST

/* a German notice shows its times in German */
START_TEST(test_deferral_facts_de)
{
	struct fx f;
	struct outbox ob;
	struct buf why;

	fx_open(&f);
	notice_free(f.t);
	buf_init(&why, 1024);
	ck_assert_msg(notice_load(&f.t, tu_path("templates"), "de", &why) == 0,
		      "%s", buf_str(&why));
	buf_free(&why);
	one_event(&f, "QD", "deferred_long", "mailbox_full",
		  "retry_until = 1700432000, first_deferral = 1700000010,"
		  " attempts = 7, occurred = 1700014400");
	outbox_init(&ob, f.s, &f.c, f.t, NULL, 1);
	ck_assert_int_eq(outbox_route(&ob, T0 + 5), 1);
	ck_assert_int_eq(outbox_deliver(&ob, T0 + 5, NULL), 3);
	fflush(f.fp);
	ck_assert_msg(strstr(f.out, "19. November 2023, 22:13 UTC") != NULL,
		      "%s", f.out);
	ck_assert_ptr_null(strstr(f.out, "Sun 19 Nov"));
	fx_close(&f);
}
END_TEST

/* the JSON body: documented fields, hostile facts stay data */
START_TEST(test_webhook_body)
{
	struct fx f;
	struct store_fact *facts;
	struct store_err err;
	struct store_message_in m = { "postfix", "QH", T0, "<h@example.com>",
		"alice@example.com", "u", "127.0.0.1", "authenticated",
		"Evil\r\nBcc: x@y\xff {{x}}", NULL, NULL, NULL, NULL, 1 };
	struct store_event_in e;
	struct buf out, why;
	json_t *j, *r;
	json_error_t je;
	size_t n;
	int64_t mid, rid, eid, oid;

	fx_open(&f);
	ck_assert_int_eq(store_message_add(f.s, &m, &mid, &err), STORE_OK);
	ck_assert_int_eq(store_recipient_add(f.s, mid, "b@example.net", NULL,
					     &rid, &err), STORE_OK);
	memset(&e, 0, sizeof(e));
	e.message = mid;
	e.recipient = rid;
	e.kind = "expired";
	e.reason = "cannot_connect";
	e.who_acts = "their_admin";
	e.reply = "connect to mx: \x1b[31m timed out\n\"quoted\"";
	e.ukey = "k";
	ck_assert_int_eq(store_event_add(f.s, &e, T0, &eid, &err), STORE_OK);
	ck_assert_int_eq(store_outbox_add(f.s, "webhook", "hd", &eid, 1,
					  "pb_1", T0, &oid, &err), STORE_OK);
	ck_assert_int_eq(store_facts(f.s, oid, &facts, &n, &err), STORE_OK);
	ck_assert_int_eq(n, 1);
	buf_init(&out, 1 << 20);
	buf_init(&why, 256);
	ck_assert_msg(outbox_webhook_body(f.t, "pb_1", facts, n, 0, &out,
					  &why) == 0, "%s", buf_str(&why));
	j = json_loads(buf_str(&out), 0, &je);
	ck_assert_msg(j != NULL, "invalid JSON: %s", je.text);
	ck_assert_str_eq(json_string_value(json_object_get(j, "id")), "pb_1");
	ck_assert_str_eq(json_string_value(json_object_get(j, "kind")),
			 "expired");
	ck_assert_str_eq(json_string_value(json_object_get(j, "type")),
			 "plainbounce.expired");
	ck_assert_str_eq(json_string_value(json_object_get(
		json_object_get(j, "message"), "queue_id")), "QH");
	ck_assert_ptr_null(strchr(json_string_value(json_object_get(
		json_object_get(j, "message"), "subject")), '\r'));
	r = json_array_get(json_object_get(j, "recipients"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(r, "reason")),
			 "cannot_connect");
	ck_assert_str_eq(json_string_value(json_object_get(r, "who_acts")),
			 "their_admin");
	ck_assert_ptr_null(strchr(json_string_value(json_object_get(r,
		"remote_words")), '\x1b'));
	ck_assert(strlen(json_string_value(json_object_get(r,
		"explanation"))) > 10);
	json_decref(j);
	/* the slack form is {"text": ...} alone */
	buf_reset(&out);
	ck_assert_int_eq(outbox_webhook_body(f.t, "pb_1", facts, n, 1, &out,
					     &why), 0);
	j = json_loads(buf_str(&out), 0, &je);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_object_size(j), 1);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j,
		"text")), "b@example.net"));
	json_decref(j);
	buf_free(&out);
	buf_free(&why);
	store_facts_free(facts, n);
	fx_close(&f);
}
END_TEST

/* resend puts a dead letter back, with its webhook-id */
START_TEST(test_resend)
{
	struct fx f;
	struct outbox ob;
	struct store_err err;
	struct tally t;

	fx_open(&f);
	f.c.policy.helpdesk = false;
	msg(&f, "Q1", "alice@example.com", "S", 1, T0);
	outbox_init(&ob, f.s, &f.c, f.t, NULL, 1);
	ck_assert_int_eq(outbox_route(&ob, T0 + 5), 1);
	ck_assert_int_eq(outbox_deliver(&ob, T0 + 5, NULL), 2);
	ck_assert_int_eq(ob.stats.dead, 1);	/* webhook: no client */
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(store_outbox_list(f.s, "dead", rows_cb, &t, &err),
			 STORE_OK);
	ck_assert_int_eq(t.webhook, 1);
	ck_assert_int_eq(store_outbox_resend(f.s, 3, T0 + 10, &err),
			 STORE_OK);
	ck_assert_int_eq(store_outbox_resend(f.s, 1, T0 + 10, &err),
			 STORE_NOTFOUND);	/* a route row */
	t = pending(&f);
	ck_assert_int_eq(t.webhook, 1);
	fx_close(&f);
}
END_TEST

static int64_t fake_now;

/* fake_clock - three seconds pass with every send */
static int64_t
fake_clock(void)
{
	int64_t t = fake_now;

	fake_now += 3;
	return t;
}

/* attempts_cb - sum attempts of the rows listed */
static int
attempts_cb(const struct store_outbox_row *r, void *arg)
{
	*(int64_t *)arg += r->attempts + 100;	/* +100 counts the rows */
	return 0;
}

/* a batch stops before half its lease is gone, and a stop request stops
 * it at once; what was not sent goes back with no attempt counted */
START_TEST(test_batch_stops)
{
	struct fx f;
	struct outbox ob;
	struct store_err err;
	volatile sig_atomic_t stop = 1;
	int64_t sum = 0;

	fx_open(&f);
	f.c.policy.helpdesk = false;
	f.c.policy.webhook = false;
	f.c.lease_secs = 10;
	f.c.clock = fake_clock;
	msg(&f, "Q1", "a1@example.com", "S", 1, T0);
	msg(&f, "Q2", "a2@example.com", "S", 1, T0);
	msg(&f, "Q3", "a3@example.com", "S", 1, T0);
	msg(&f, "Q4", "a4@example.com", "S", 1, T0);
	outbox_init(&ob, f.s, &f.c, f.t, NULL, 1);
	ck_assert_int_eq(outbox_route(&ob, T0 + 5), 4);
	ck_assert_int_eq(outbox_deliver(&ob, T0 + 5, &stop), 4);
	ck_assert_int_eq(ob.stats.sent, 0);
	ck_assert_int_eq(store_outbox_list(f.s, NULL, attempts_cb, &sum, &err),
			 STORE_OK);
	ck_assert_int_eq(sum, 400);	/* four rows, no attempt counted */
	fake_now = T0 + 5;		/* sends at +5, +8; +11 is too late */
	ck_assert_int_eq(outbox_deliver(&ob, T0 + 5, NULL), 4);
	ck_assert_int_eq(ob.stats.sent, 2);
	sum = 0;
	ck_assert_int_eq(store_outbox_list(f.s, NULL, attempts_cb, &sum, &err),
			 STORE_OK);
	ck_assert_int_eq(sum, 200);
	fx_close(&f);
}
END_TEST

Suite *
outbox_suite(void)
{
	Suite *s = suite_create("outbox");
	TCase *tc = tcase_create("outbox");

	tcase_add_test(tc, test_group_after_delay);
	tcase_add_test(tc, test_one_notice_per_event);
	tcase_add_test(tc, test_rate_digest);
	tcase_add_test(tc, test_loop_guard);
	tcase_add_test(tc, test_leases);
	tcase_add_test(tc, test_webhook_body);
	tcase_add_test(tc, test_deferral_facts);
	tcase_add_test(tc, test_format_time_locale);
	tcase_add_test(tc, test_format_duration_locale);
	tcase_add_test(tc, test_deferral_facts_de);
	tcase_add_test(tc, test_resend);
	tcase_add_test(tc, test_batch_stops);
	suite_add_tcase(s, tc);
	return s;
}
