/*
 * check_explain.c - explain reads real-shaped Postfix lines field by field,
 * in order, with the right words; hostile lines stay safe.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "explain.h"
#include "logline.h"
#include "testutil.h"
#include "xalloc.h"

static struct logline ll;
static struct explain ex;

/* run - parse and explain one line of len bytes */
static const struct explain *
run_n(const char *line, size_t len)
{
	struct logline_opts o;

	/* 2026-11-28 00:00 UTC: the year BSD stamps are read in */
	logline_opts_init(&o, 1795824000);
	o.local_is_utc = true;
	logline_parse(&ll, line, len, &o);
	explain_line(&ex, &ll);
	return &ex;
}

static const struct explain *
run(const char *line)
{
	return run_n(line, strlen(line));
}

/* fields - the item names joined with commas, for order checks */
static const char *
fields(const struct explain *e)
{
	static char out[4096];
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < e->n && n < sizeof(out) - 64; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s",
				      i ? "," : "", (int)e->item[i].field.len,
				      e->item[i].field.p);
	return out;
}

/* val - the value of a field as a C string ("" when missing) */
static const char *
val(const struct explain *e, const char *field)
{
	static char out[8192];
	const struct explain_item *it = explain_find(e, field);

	if (it == NULL)
		return "(missing)";
	return span_copy(out, sizeof(out), it->value);
}

/* means - true when the meaning of field contains words */
static int
means(const struct explain *e, const char *field, const char *words)
{
	static char out[4096];
	const struct explain_item *it = explain_find(e, field);

	if (it == NULL)
		return 0;
	span_copy(out, sizeof(out), it->meaning);
	return strstr(out, words) != NULL;
}

/* own_words_only - every meaning is printable ASCII inside ex.text */
static int
own_words_only(const struct explain *e)
{
	size_t i, k;
	const struct span *m;

	if (e->kind_meaning.p < e->text ||
	    e->kind_meaning.p + e->kind_meaning.len > e->text + e->used)
		return 0;
	for (i = 0; i < e->n; i++) {
		m = &e->item[i].meaning;
		if (m->len && (m->p < e->text ||
			       m->p + m->len > e->text + e->used))
			return 0;
		for (k = 0; k < m->len; k++)
			if ((unsigned char)m->p[k] < 0x20 ||
			    (unsigned char)m->p[k] > 0x7e)
				return 0;
	}
	return 1;
}

static const char bounced[] =
	"Nov 28 04:20:11 mail postfix/smtp[4182]: 5A1B2C3D4E: "
	"to=<bob@example.org>, orig_to=<robert@example.com>, "
	"relay=mx.example.org[192.0.2.25]:25, delay=1.4, "
	"delays=0.09/0.01/1.2/0.1, dsn=5.1.1, status=bounced (host "
	"mx.example.org[192.0.2.25] said: 550 5.1.1 <bob@example.org>: "
	"Recipient address rejected: User unknown (in reply to RCPT TO "
	"command))";

START_TEST(test_bounced_in_order)
{
	const struct explain *e = run(bounced);

	ck_assert_int_eq(e->kind, LL_DELIVERY);
	ck_assert(e->is_postfix);
	ck_assert(!e->truncated);
	ck_assert_str_eq(fields(e),
	    "timestamp,host,process,pid,queue_id,to,orig_to,relay,relay.port,delay,"
	    "delays,delays.a,delays.b,delays.c,delays.d,delays.dominant,"
	    "dsn,dsn.class,dsn.subject,dsn.detail,status,reply.host,"
	    "reply.addr,reply.code,reply.dsn,reply.text,reply.command");
	ck_assert_str_eq(val(e, "queue_id"), "5A1B2C3D4E");
	ck_assert(means(e, "queue_id", "handle for this message"));
	ck_assert(means(e, "process", "delivering to a remote mail server"));
	ck_assert_str_eq(val(e, "relay.port"), "25");
	ck_assert(means(e, "relay.port", "standard SMTP port"));
	ck_assert_str_eq(val(e, "delays.c"), "1.2");
	ck_assert_str_eq(val(e, "delays.dominant"), "c");
	ck_assert(means(e, "delays.dominant", "TLS handshake"));
	ck_assert_str_eq(val(e, "dsn.class"), "5");
	ck_assert(means(e, "dsn.class", "Permanent"));
	ck_assert(means(e, "dsn.detail", "Bad destination mailbox"));
	ck_assert(means(e, "status", "sender will get a bounce"));
	ck_assert_str_eq(val(e, "reply.host"), "mx.example.org");
	ck_assert_str_eq(val(e, "reply.addr"), "192.0.2.25");
	ck_assert_str_eq(val(e, "reply.code"), "550");
	ck_assert(means(e, "reply.code", "mailbox is unavailable"));
	ck_assert(means(e, "reply.dsn", "same as dsn="));
	ck_assert_str_eq(val(e, "reply.text"),
	    "<bob@example.org>: Recipient address rejected: User unknown");
	ck_assert_str_eq(val(e, "reply.command"), "RCPT TO");
	ck_assert(means(e, "reply.command", "refused this recipient"));
	ck_assert(means(e, "timestamp", "2026-11-28 04:20:11 UTC"));
	ck_assert(own_words_only(e));
}
END_TEST

START_TEST(test_deferred_own_text)
{
	const struct explain *e = run(
	    "Nov 28 04:21:40 mail postfix/smtp[4190]: 6C2D3E4F5A: "
	    "to=<carol@example.net>, relay=none, delay=345600, "
	    "delays=0.05/345570/30/0, dsn=4.4.1, status=deferred (connect "
	    "to mx.example.net[198.51.100.7]:25: Connection timed out)");

	ck_assert_int_eq(e->kind, LL_DELIVERY);
	ck_assert(means(e, "relay", "no server was reached"));
	ck_assert(means(e, "delay", "4 days 0 h"));
	ck_assert_str_eq(val(e, "delays.dominant"), "b");
	ck_assert(means(e, "status", "will retry"));
	ck_assert(means(e, "dsn.class", "temporary"));
	/* no remote reply: Postfix's own words, no SMTP code */
	ck_assert_ptr_null(explain_find(e, "reply.code"));
	ck_assert_ptr_null(explain_find(e, "reply.text"));
	ck_assert(means(e, "postfix_text", "no answer in time"));
	ck_assert(means(e, "reply.host", "tried to reach"));
	ck_assert(own_words_only(e));
}
END_TEST

START_TEST(test_multiline_reply_folded)
{
	const struct explain *e = run(
	    "Nov 28 04:22:02 mail postfix/smtp[4191]: 7D3E4F5A6B: "
	    "to=<dave@example.com>, relay=mx.example.com[203.0.113.5]:25, "
	    "delay=2.1, delays=0.1/0/0.9/1.1, dsn=5.7.1, status=bounced "
	    "(host mx.example.com[203.0.113.5] said: 550-5.7.1 Message "
	    "rejected as spam 550 5.7.1 see https://example.com/spam (in "
	    "reply to end of DATA command))");

	ck_assert_str_eq(val(e, "reply.text"),
	    "Message rejected as spam see https://example.com/spam");
	ck_assert_str_eq(val(e, "reply.command"), "end of DATA");
	ck_assert(means(e, "reply.command", "received the whole message"));
	ck_assert(means(e, "dsn.subject", "policy"));
	ck_assert_str_eq(val(e, "delays.dominant"), "d");
}
END_TEST

START_TEST(test_noqueue_reject)
{
	const struct explain *e = run(
	    "Nov 28 04:23:10 mail postfix/smtpd[4200]: NOQUEUE: reject: "
	    "RCPT from unknown[192.0.2.9]: 554 5.7.1 <x@example.net>: Relay "
	    "access denied; from=<spam@example.biz> to=<x@example.net> "
	    "proto=ESMTP helo=<bot.example>");

	ck_assert_int_eq(e->kind, LL_REJECT);
	ck_assert_str_eq(fields(e),
	    "timestamp,host,process,pid,queue_id,reject.action,reject.stage,"
	    "client,reply.code,reply.dsn,reply.dsn.class,reply.dsn.subject,"
	    "reply.dsn.detail,reply.text,from,to,proto,helo");
	ck_assert(means(e, "queue_id", "never accepted"));
	ck_assert_str_eq(val(e, "reject.stage"), "RCPT");
	ck_assert_str_eq(val(e, "client"), "unknown[192.0.2.9]");
	ck_assert(means(e, "reply.text", "this server gave the client"));
	ck_assert_str_eq(val(e, "helo"), "bot.example");
	ck_assert(means(e, "process", "receiving mail from a client"));
}
END_TEST

START_TEST(test_milter_reject_and_session)
{
	const struct explain *e;

	e = run("Nov 28 04:20:08 mail postfix/cleanup[4171]: 5A1B2C3D4E: "
		"milter-reject: END-OF-MESSAGE from laptop.example.com"
		"[192.0.2.50]: 5.7.1 Virus found; from=<a@example.com> "
		"to=<b@example.org> proto=ESMTP helo=<laptop>");
	ck_assert_int_eq(e->kind, LL_REJECT);
	ck_assert(means(e, "reject.action", "milter"));
	ck_assert(means(e, "reject.stage", "whole message was received"));
	ck_assert_str_eq(val(e, "reply.text"), "Virus found");
	ck_assert(means(e, "reply.text", "this server gave the client"));
	ck_assert(means(e, "to", "the client asked for"));
	ck_assert_ptr_null(explain_find(e, "postfix_text"));

	e = run("Nov 28 04:20:13 mail postfix/smtpd[4170]: disconnect from "
		"laptop.example.com[192.0.2.50] ehlo=1 auth=0/1 mail=1 "
		"rcpt=1 data=1 quit=1 commands=5/6");
	ck_assert_int_eq(e->kind, LL_DISCONNECT);
	ck_assert_str_eq(val(e, "client"), "laptop.example.com[192.0.2.50]");
	ck_assert_str_eq(val(e, "auth"), "0/1");
	ck_assert(means(e, "auth", "login attempts"));
	ck_assert(means(e, "commands", "in all"));

	e = run("Nov 28 04:20:13 mail postfix/smtpd[4170]: lost connection "
		"after DATA from unknown[192.0.2.50]");
	ck_assert(means(e, "event", "dropped the connection"));
	ck_assert_str_eq(val(e, "stage"), "DATA");
	ck_assert_str_eq(val(e, "client"), "unknown[192.0.2.50]");
	ck_assert_ptr_null(explain_find(e, "text"));
}
END_TEST

START_TEST(test_message_lifecycle)
{
	const struct explain *e;

	e = run("Nov 28 04:20:09 mail postfix/smtpd[4170]: 5A1B2C3D4E: "
		"client=laptop.example.com[192.0.2.50], sasl_method=PLAIN, "
		"sasl_username=alice");
	ck_assert_int_eq(e->kind, LL_CLIENT);
	ck_assert_str_eq(fields(e), "timestamp,host,process,pid,queue_id,"
			 "client,sasl_method,sasl_username");
	ck_assert(means(e, "sasl_username", "logged in"));

	e = run("Nov 28 04:20:09 mail postfix/cleanup[4171]: 5A1B2C3D4E: "
		"message-id=<20261128042009.ABC@example.com>");
	ck_assert_int_eq(e->kind, LL_MESSAGE_ID);
	ck_assert(means(e, "message-id", "same on every server"));
	ck_assert(means(e, "process", "preparing the message"));

	e = run("Nov 28 04:20:10 mail postfix/qmgr[412]: 5A1B2C3D4E: "
		"from=<alice@example.com>, size=2311, nrcpt=2 (queue active)");
	ck_assert_int_eq(e->kind, LL_QUEUED);
	ck_assert(means(e, "process", "queue manager"));
	ck_assert(means(e, "size", "bytes"));
	ck_assert_str_eq(val(e, "nrcpt"), "2");

	e = run("Nov 28 04:20:12 mail postfix/bounce[4183]: 5A1B2C3D4E: "
		"sender non-delivery notification: 8E4F5A6B7C");
	ck_assert_int_eq(e->kind, LL_NOTIFICATION);
	ck_assert_str_eq(val(e, "notification.queue_id"), "8E4F5A6B7C");
	ck_assert(means(e, "notification", "delivery failed"));
	ck_assert(means(e, "notification.to", "envelope sender"));

	e = run("Nov 28 04:20:12 mail postfix/qmgr[412]: 5A1B2C3D4E: "
		"removed");
	ck_assert_int_eq(e->kind, LL_REMOVED);
	ck_assert(means(e, "event", "left the queue"));

	e = run("Nov 28 04:20:12 mail postfix/qmgr[412]: 9F5A6B7C8D: "
		"from=<alice@example.com>, status=expired, returned to "
		"sender");
	ck_assert_int_eq(e->kind, LL_EXPIRED);
	ck_assert(means(e, "status", "returned to the sender"));
	ck_assert_str_eq(val(e, "status.note"), "returned to sender");
}
END_TEST

START_TEST(test_instances_and_local)
{
	const struct explain *e;

	e = run("2026-11-28T04:30:00.123456+01:00 mx postfix-mx/submission/"
		"smtpd[77]: 4Lyb5328XVzj9Jl: client=unknown[192.0.2.8]");
	ck_assert(means(e, "timestamp", "2026-11-28 03:30:00 UTC"));
	ck_assert_str_eq(val(e, "instance"), "postfix-mx");
	ck_assert_str_eq(val(e, "service"), "submission");
	ck_assert(means(e, "queue_id", "long queue ID"));

	e = run("Nov 28 04:31:00 mail postfix/local[81]: 1A2B3C4D5E: "
		"to=<root@mail.example.com>, orig_to=<root>, relay=local, "
		"delay=0.02, delays=0.01/0/0/0.01, dsn=2.0.0, status=sent "
		"(delivered to mailbox)");
	ck_assert(means(e, "relay", "transport of this name"));
	ck_assert(means(e, "status", "delivered"));
	ck_assert(means(e, "delays.dominant", "less than 10 ms") ||
		  means(e, "delays.dominant", "under a second"));
	ck_assert_str_eq(val(e, "postfix_text"), "delivered to mailbox");
	ck_assert(means(e, "dsn.class", "Success"));
}
END_TEST

START_TEST(test_unknown_key_listed)
{
	const struct explain *e = run(
	    "Nov 28 04:32:00 mail postfix/smtp[90]: 2B3C4D5E6F: "
	    "to=<e@example.org>, relay=mx.example.org[192.0.2.25]:25, "
	    "conn_use=3, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, "
	    "frobnicate=yes, status=sent (250 2.0.0 Ok: queued as 9XYZ)");

	ck_assert(means(e, "frobnicate", "a field plainbounce does not "
		  "know"));
	ck_assert_str_eq(val(e, "frobnicate"), "yes");
	ck_assert(means(e, "conn_use", "reused"));
	/* order: unknown key stays where it was written */
	ck_assert_ptr_nonnull(strstr(fields(e), "dsn,dsn.class,frobnicate,"
				     "status"));
}
END_TEST

START_TEST(test_not_postfix)
{
	const struct explain *e;

	e = run("Nov 28 04:33:00 mail dovecot: imap-login: Login: "
		"user=<alice>, rip=192.0.2.50");
	ck_assert(!e->is_postfix);
	ck_assert_int_eq(e->kind, LL_NOT_POSTFIX);
	ck_assert(means(e, "process", "not Postfix"));
	ck_assert_ptr_null(explain_find(e, "queue_id"));

	e = run_n("\x01\x02\xff binary", 10);
	ck_assert(!e->is_postfix);
	ck_assert_uint_eq(e->n, 0);
	ck_assert_uint_gt(e->kind_meaning.len, 0);
}
END_TEST

START_TEST(test_hostile_reply)
{
	struct buf b;
	const struct explain *e;
	size_t i;
	/* CR, ESC, a bidi override and invalid UTF-8 in the remote's text */
	static const char line[] =
	    "Nov 28 04:34:00 mail postfix/smtp[91]: 3C4D5E6F7A: "
	    "to=<f@example.org>, relay=mx.example.org[192.0.2.25]:25, "
	    "delay=1, delays=0.1/0/0.4/0.5, dsn=5.0.0, status=bounced "
	    "(host mx.example.org[192.0.2.25] said: 550 5.0.0 no\r\x1b[2J "
	    "\xe2\x80\xae" "evil \xff\xfe status=sent to=<x@y> (in reply to "
	    "RCPT TO command))";

	e = run(line);
	ck_assert_int_eq(e->kind, LL_DELIVERY);
	ck_assert_int_eq(ll.status, LL_STATUS_BOUNCED);
	ck_assert(means(e, "status", "gave up"));
	ck_assert(own_words_only(e));
	buf_init(&b, 64 * 1024);
	for (i = 0; i < e->n; i++) {
		buf_reset(&b);
		ck_assert_int_eq(escape_display(&b, e->item[i].value), BUF_OK);
		ck_assert(utf8_valid(span_make(b.data ? b.data : "", b.len)));
		ck_assert_ptr_null(memchr(buf_str(&b), '\r', b.len));
		ck_assert_ptr_null(memchr(buf_str(&b), '\x1b', b.len));
		ck_assert_ptr_null(strstr(buf_str(&b), "\xe2\x80\xae"));
	}
	buf_free(&b);
}
END_TEST

START_TEST(test_huge_line)
{
	static const char head[] =
	    "Nov 28 04:35:00 mail postfix/smtp[92]: 4D5E6F7A8B: "
	    "to=<g@example.org>, relay=mx.example.org[192.0.2.25]:25, "
	    "delay=1, delays=0.1/0/0.4/0.5, dsn=4.0.0, status=deferred "
	    "(host mx.example.org[192.0.2.25] said: 451 4.0.0 ";
	size_t len = LOGLINE_MAX_LEN - 100, hl = strlen(head);
	char *line = xmalloc(LOGLINE_MAX_LEN + 2);
	const struct explain *e;

	memcpy(line, head, hl);
	memset(line + hl, 'A', len - hl - 1);
	line[len - 1] = ')';
	e = run_n(line, len);
	ck_assert(e->is_postfix);
	ck_assert_uint_le(e->used, EXPLAIN_TEXT_MAX);
	ck_assert(own_words_only(e));
	ck_assert(means(e, "status", "will retry"));

	/* one byte over the limit: malformed, nothing read from it */
	memset(line + hl, 'A', LOGLINE_MAX_LEN + 1 - hl);
	e = run_n(line, LOGLINE_MAX_LEN + 1);
	ck_assert(!e->is_postfix);
	ck_assert_uint_eq(e->n, 0);
	free(line);
}
END_TEST

/* explain_dir - every file of a directory, explained; count in *n */
static void
explain_dir(const char *rel, int *n)
{
	char path[4096];
	struct dirent *d;
	DIR *dir = opendir(tu_path(rel));
	char *data;
	size_t len;

	ck_assert_msg(dir != NULL, "cannot open %s", rel);
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", tu_srcdir(), rel,
			 d->d_name);
		data = tu_read_file(path, &len);
		ck_assert_ptr_nonnull(data);
		run_n(data, len);
		ck_assert_msg(own_words_only(&ex), "%s", d->d_name);
		ck_assert_uint_le(ex.used, EXPLAIN_TEXT_MAX);
		ck_assert_uint_le(ex.n, EXPLAIN_MAX_ITEMS);
		free(data);
		(*n)++;
	}
	closedir(dir);
}

START_TEST(test_fuzz_corpus_and_crashers)
{
	int n = 0;

	/* the parser's fuzz seeds and former crashers, through explain */
	explain_dir("fuzz/corpus/fuzz_logline", &n);
	explain_dir("tests/data/crashers", &n);
	ck_assert_int_gt(n, 3);
}
END_TEST

/* next_line - the next line of a file read whole; false at the end */
static bool
next_line(char **cur, const char **line, size_t *len)
{
	char *nl;

	if (**cur == '\0')
		return false;
	*line = *cur;
	nl = strchr(*cur, '\n');
	*len = nl ? (size_t)(nl - *cur) : strlen(*cur);
	*cur = nl ? nl + 1 : *cur + *len;
	return true;
}

/*
 * Every line recorded from the harness's real Postfix 3.7: Postfix's, no
 * field unknown, plainbounce's own words only, and every failed delivery
 * explained by a remote reply or by Postfix's own text.
 */
START_TEST(test_recorded_fixtures)
{
	static const char *const logs[] = {
		"bounce-5.1.1", "burst", "connection-refused",
		"content-filter", "content-reject", "deferred-expired",
		"deferred-then-sent", "delay-notification",
		"error-transport", "force-expired", "local-submission",
		"local-unknown-user", "mixed-5rcpt", "noqueue-reject",
		"null-sender", "remote-mx", "sent", "session-a",
	};
	char path[256], *data, *cur;
	const char *line;
	size_t i, k, len, lines = 0, failed = 0;
	const struct explain *e;

	for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		snprintf(path, sizeof(path), "tests/fixtures/logs/%s.log",
			 logs[i]);
		data = tu_read_file(tu_path(path), NULL);
		ck_assert_msg(data != NULL, "cannot read %s", path);
		for (cur = data; next_line(&cur, &line, &len); lines++) {
			e = run_n(line, len);
			ck_assert_msg(e->is_postfix, "%s: %.*s", path,
				      (int)len, line);
			ck_assert(!e->truncated);
			ck_assert(own_words_only(e));
			for (k = 0; k < e->n; k++)
				ck_assert_msg(e->item[k].meaning.len == 0 ||
				    memmem(e->item[k].meaning.p,
					   e->item[k].meaning.len,
					   "does not know", 13) == NULL,
				    "unknown field in %.*s", (int)len, line);
			if (e->kind != LL_DELIVERY ||
			    ll.status == LL_STATUS_SENT)
				continue;
			failed++;
			ck_assert_msg(explain_find(e, "reply.code") ||
				      explain_find(e, "postfix_text"),
				      "failure unexplained: %.*s", (int)len,
				      line);
		}
		free(data);
	}
	ck_assert_uint_gt(lines, 500);
	ck_assert_uint_gt(failed, 20);
}
END_TEST

/* A recorded bounce: the verdict, the reply, and the NDR's queue ID. */
START_TEST(test_recorded_bounce)
{
	char *data, *cur, ndr[32] = "";
	const char *line;
	size_t len;
	int seen = 0;
	const struct explain *e;

	data = tu_read_file(tu_path("tests/fixtures/logs/bounce-5.1.1.log"),
			    NULL);
	ck_assert_ptr_nonnull(data);
	for (cur = data; next_line(&cur, &line, &len);) {
		e = run_n(line, len);
		if (e->kind == LL_DELIVERY && ll.status == LL_STATUS_BOUNCED) {
			ck_assert(means(e, "status", "sender will get a "
				  "bounce"));
			ck_assert_str_eq(val(e, "reply.code"), "550");
			ck_assert_str_eq(val(e, "reply.command"), "RCPT TO");
			ck_assert(means(e, "dsn.detail", "does not exist"));
			ck_assert_str_eq(val(e, "reply.addr"), "127.0.0.1");
			seen |= 1;
		} else if (e->kind == LL_NOTIFICATION) {
			span_copy(ndr, sizeof(ndr), explain_find(e,
				  "notification.queue_id")->value);
			seen |= 2;
		} else if (e->kind == LL_QUEUED && ndr[0] &&
			   strcmp(val(e, "queue_id"), ndr) == 0) {
			/* the NDR itself is queued with the null sender */
			ck_assert_str_eq(val(e, "from"), "");
			seen |= 4;
		}
	}
	ck_assert_int_eq(seen, 7);
	free(data);
}
END_TEST

Suite *
explain_suite(void)
{
	Suite *s = suite_create("explain");
	TCase *tc = tcase_create("explain");

	tcase_add_test(tc, test_bounced_in_order);
	tcase_add_test(tc, test_deferred_own_text);
	tcase_add_test(tc, test_multiline_reply_folded);
	tcase_add_test(tc, test_noqueue_reject);
	tcase_add_test(tc, test_milter_reject_and_session);
	tcase_add_test(tc, test_message_lifecycle);
	tcase_add_test(tc, test_instances_and_local);
	tcase_add_test(tc, test_unknown_key_listed);
	tcase_add_test(tc, test_not_postfix);
	tcase_add_test(tc, test_hostile_reply);
	tcase_add_test(tc, test_huge_line);
	tcase_add_test(tc, test_fuzz_corpus_and_crashers);
	tcase_add_test(tc, test_recorded_fixtures);
	tcase_add_test(tc, test_recorded_bounce);
	suite_add_tcase(s, tc);
	return s;
}
