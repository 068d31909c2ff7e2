/*
 * check_logline.c - the Postfix log line parser, shape by shape.
 *
 * Line shapes that Postfix 3.7 writes here come from the recorded
 * fixtures (tests/fixtures, see test_fixtures); the hand-made lines below
 * cover shapes it cannot produce on this host (RFC 3339 stamps, lmtp,
 * virtual, pipe, postscreen, remote replies from the wider world) and
 * hostile or broken input.  Every file in fuzz/corpus/fuzz_logline and
 * tests/data/crashers is replayed through the parser.
 */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logline.h"
#include "testutil.h"

/* 2026-11-28 00:00:00 UTC, "about now" for the hand-made lines */
#define REF_NOW INT64_C(1795824000)

/* ck_span - assert a span equals a literal (NULL: assert absent) */
#define ck_span(s, lit) do {						\
	struct span s_ = (s);						\
	const char *l_ = (lit);						\
	if (l_ == NULL)							\
		ck_assert_msg(s_.p == NULL, "%s: expected absent, got "	\
		    "'%.*s'", #s, (int)s_.len, s_.p ? s_.p : "");	\
	else								\
		ck_assert_msg(s_.p != NULL && span_eq(s_, l_),		\
		    "%s: expected '%s', got '%.*s'%s", #s, l_,		\
		    (int)s_.len, s_.p ? s_.p : "", s_.p ? "" : " (absent)"); \
} while (0)

static char *set_tz(const char *tz);
static void restore_tz(char *saved);

/* parse_utc - parse a NUL-terminated line, BSD stamps read as UTC */
static enum logline_kind
parse_utc(struct logline *ll, const char *line)
{
	struct logline_opts o;

	logline_opts_init(&o, REF_NOW);
	o.local_is_utc = true;
	return logline_parse(ll, line, strlen(line), &o);
}

/* utc - seconds since the epoch of a UTC date, via timegm for checking */
static int64_t
utc(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

/* ---------------------------------------------------------------- */
/* The syslog head */

static const struct {
	const char *line;
	int64_t time;		/* filled from y/m/d below when 0 */
	int y, mon, d, h, mi, s;
	const char *stamp;
} bsd_stamps[] = {
	{ "Jun  3 10:40:57 mail postfix/smtpd[1]: x", 0, 2026, 6, 3, 10, 40,
	  57, "Jun  3 10:40:57" },
	{ "Jun 03 10:40:57 mail postfix/smtpd[1]: x", 0, 2026, 6, 3, 10, 40,
	  57, "Jun 03 10:40:57" },
	{ "Jan 1 00:00:00 mail postfix/smtpd[1]: x", 0, 2026, 1, 1, 0, 0, 0,
	  "Jan 1 00:00:00" },
	{ "Nov 22 08:54:38 mail postfix/smtpd[1]: x", 0, 2026, 11, 22, 8, 54,
	  38, "Nov 22 08:54:38" },
	/* a little after "now": still this year */
	{ "Dec 20 23:59:59 mail postfix/smtpd[1]: x", 0, 2026, 12, 20, 23, 59,
	  59, "Dec 20 23:59:59" },
};

/* skip_counters: a disconnect line keeps its kind and client, and only
 * its command counters are left unread */
/*
 * skip_peers leaves exactly the peer splits unread (and, with
 * skip_counters, a session line past its kind): every other field of
 * every kind of line is as without it.
 */
static const char *const peer_lines[] = {
	"Nov 19 00:00:00 mx1 postfix/smtpd[1510]: connect from client109.outlook.test[203.0.113.109]",
	"Nov 19 00:00:00 mx1 postfix/smtpd[1510]: disconnect from client109.outlook.test[203.0.113.109] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5",
	"Nov 19 00:00:00 mx1 postfix/smtpd[1510]: A81D157F90: client=client109.outlook.test[203.0.113.109]:2525, sasl_method=PLAIN, sasl_username=u",
	"Nov 19 00:00:00 mx1 postfix/smtp[3034]: A81D157F90: to=<r@example.org>, relay=mx.example.org[198.51.100.158]:25, delay=0.57, delays=0.1/0.0036/0.27/0.19, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 3F2A1B77C)",
	"Nov 19 00:00:00 mx1 postfix/smtp[3034]: A81D157F90: to=<r@example.org>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.slow.test[192.0.2.9]:25: Connection timed out)",
	"Nov 19 00:00:00 mx1 postfix/smtp[3034]: A81D157F90: host mx.b.test[192.0.2.5] said: 451 4.3.0 try later (in reply to RCPT TO command)",
	"Nov 19 00:00:00 mx1 postfix/smtp[3034]: certificate verification failed for mx.b.test[192.0.2.5]:25: untrusted issuer",
	"Nov 19 00:00:00 mx1 postfix/local[1]: 3E831A722F1: to=<root@mail.client.test>, orig_to=<root>, relay=local, delay=0.01, delays=0/0/0/0.01, dsn=2.0.0, status=sent (forwarded as 4F942A722F2)",
	"Nov 19 00:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 <x@y.test>: Relay access denied; from=<a@b.test> to=<x@y.test> proto=ESMTP helo=<h>",
	"Nov 19 00:00:00 mx1 postfix/postscreen[1]: CONNECT from [192.0.2.1]:4711 to [192.0.2.2]:25",
	"Nov 19 00:00:00 mx1 postfix/smtpd[1]: lost connection after DATA from unknown[192.0.2.1]",
	"Nov 19 00:00:00 mx1 postfix/qmgr[99]: A81D157F90: from=<s@example.net>, size=10179, nrcpt=1 (queue active)",
	"Nov 19 00:00:00 mx1 postfix/smtpd[1]: connect from",
	"Nov 19 00:00:00 mx1 postfix/smtpd[1]: disconnect from h[1.2.3.4",
};

START_TEST(test_skip_peers)
{
	const char *line = peer_lines[_i];
	struct logline_opts o;
	struct logline full, lean;
	bool session = strstr(line, "]: connect from ") != NULL ||
	    strstr(line, "]: disconnect from ") != NULL;
	bool client_field = strstr(line, ": client=") != NULL;

	logline_opts_init(&o, REF_NOW);
	o.skip_counters = true;
	logline_parse(&full, line, strlen(line), &o);
	o.skip_peers = true;
	logline_parse(&lean, line, strlen(line), &o);
	ck_assert_int_eq(lean.kind, full.kind);
	if (session || client_field) {
		ck_span(lean.client_name, NULL);
		ck_span(lean.client_addr, NULL);
		ck_span(lean.client_port, NULL);
		full.client_name = full.client_addr = SPAN_NULL;
		full.client_port = SPAN_NULL;
	}
	if (session) {
		ck_span(lean.client, NULL);
		full.client = SPAN_NULL;
	}
	if (full.queue_id.p != NULL) {
		ck_span(lean.relay_name, NULL);
		ck_span(lean.relay_addr, NULL);
		ck_span(lean.relay_port, NULL);
		full.relay_name = full.relay_addr = full.relay_port = SPAN_NULL;
	}
	/* the rest, field by field as the parser wrote it */
	ck_assert(memcmp(&full, &lean, offsetof(struct logline, kv)) == 0);
	ck_assert_uint_eq(lean.nkv, full.nkv);
	ck_assert(memcmp(full.kv, lean.kv, full.nkv * sizeof(full.kv[0])) == 0);
	ck_assert(memcmp(&full.nkv, &lean.nkv, sizeof(full) -
			 offsetof(struct logline, nkv)) == 0);
}
END_TEST

START_TEST(test_skip_counters)
{
	static const char line[] = "Nov 22 08:54:38 mail postfix/smtpd[1]: "
	    "disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 "
	    "quit=1 commands=5";
	struct logline_opts o;
	struct logline ll;

	logline_opts_init(&o, REF_NOW);
	ck_assert_int_eq(logline_parse(&ll, line, strlen(line), &o),
			 LL_DISCONNECT);
	ck_assert_int_eq(ll.nkv, 6);
	o.skip_counters = true;
	ck_assert_int_eq(logline_parse(&ll, line, strlen(line), &o),
			 LL_DISCONNECT);
	ck_assert_int_eq(ll.nkv, 0);
	ck_assert(span_eq(ll.client_addr, "127.0.0.1"));
	ck_assert(span_eq(ll.client_name, "localhost"));
}
END_TEST

START_TEST(test_bsd_stamp)
{
	struct logline ll;

	ck_assert_int_eq(parse_utc(&ll, bsd_stamps[_i].line), LL_OTHER);
	ck_span(ll.timestamp, bsd_stamps[_i].stamp);
	ck_assert_int_eq(ll.time, utc(bsd_stamps[_i].y, bsd_stamps[_i].mon,
				      bsd_stamps[_i].d, bsd_stamps[_i].h,
				      bsd_stamps[_i].mi, bsd_stamps[_i].s));
	ck_assert(!ll.time_rfc3339);
	ck_assert_int_eq(ll.pri, -1);
	ck_span(ll.host, "mail");
}
END_TEST

static const struct {
	const char *line;
	int64_t time;
	int32_t usec;
	const char *stamp;
} rfc_stamps[] = {
	{ "2024-02-29T06:26:05.123456+09:00 mail postfix/smtpd[2718]: x",
	  INT64_C(1709155565), 123456, "2024-02-29T06:26:05.123456+09:00" },
	{ "2023-07-14T13:45:09.987654321Z mail postfix/smtpd[1]: x",
	  INT64_C(1689342309), 987654, "2023-07-14T13:45:09.987654321Z" },
	{ "2023-07-14T13:45:09Z mail postfix/smtpd[1]: x",
	  INT64_C(1689342309), 0, "2023-07-14T13:45:09Z" },
	{ "2023-07-14T13:45:09.5-02:30 mail postfix/smtpd[1]: x",
	  INT64_C(1689342309) + 9000, 500000, "2023-07-14T13:45:09.5-02:30" },
	{ "<22>2023-07-14T13:45:09+00:00 mail postfix/smtpd[1]: x",
	  INT64_C(1689342309), 0, "2023-07-14T13:45:09+00:00" },
};

START_TEST(test_rfc3339_stamp)
{
	struct logline ll;

	ck_assert_int_eq(parse_utc(&ll, rfc_stamps[_i].line), LL_OTHER);
	ck_assert(ll.time_rfc3339);
	ck_assert_int_eq(ll.time, rfc_stamps[_i].time);
	ck_assert_int_eq(ll.usec, rfc_stamps[_i].usec);
	ck_span(ll.timestamp, rfc_stamps[_i].stamp);
	ck_span(ll.host, "mail");
	ck_span(ll.daemon, "smtpd");
}
END_TEST

START_TEST(test_pri_and_collector_prefix)
{
	struct logline ll;

	ck_assert_int_eq(parse_utc(&ll, "<22>Mar 15 10:20:30 gw "
				   "postfix/smtp[7]: x"), LL_OTHER);
	ck_assert_int_eq(ll.pri, 22);
	ck_assert_int_eq(ll.time, utc(2026, 3, 15, 10, 20, 30));
	ck_span(ll.host, "gw");
	/* a collector's stamp before the syslog one: the precise one wins */
	ck_assert_int_eq(parse_utc(&ll, "2023-07-14T13:45:09.987654321Z Jul "
				   "14 13:45:09 mail postfix/anvil[3303]: x"),
			 LL_OTHER);
	ck_assert_int_eq(ll.time, INT64_C(1689342309));
	ck_span(ll.host, "mail");
	ck_span(ll.daemon, "anvil");
	/* PRI out of range or unterminated */
	ck_assert_int_eq(parse_utc(&ll, "<999>Mar 15 10:20:30 h postfix/smtp[7]: x"),
			 LL_MALFORMED);
	ck_assert_int_eq(parse_utc(&ll, "<22Mar 15 10:20:30 h postfix/smtp[7]: x"),
			 LL_MALFORMED);
}
END_TEST

static const struct {
	const char *name;
	const char *instance, *qualifier, *daemon;
} prog_names[] = {
	{ "postfix/smtp", "postfix", NULL, "smtp" },
	{ "postfix-out/smtp", "postfix-out", NULL, "smtp" },
	{ "postfix/submission/smtpd", "postfix", "submission", "smtpd" },
	{ "postfix/relay/smtp", "postfix", "relay", "smtp" },
	{ "postfix-mx/cleanup", "postfix-mx", NULL, "cleanup" },
	{ "postfix-192.0.2.10/smtp", "postfix-192.0.2.10", NULL, "smtp" },
	{ "postfix/sender-cleanup/cleanup", "postfix", "sender-cleanup",
	  "cleanup" },
	{ "postfix-mx/filter-out/smtp", "postfix-mx", "filter-out",
	  "smtp" },
	{ "postfix/a/b/smtpd", "postfix", "a/b", "smtpd" },
};

START_TEST(test_syslog_name)
{
	struct logline ll;
	char line[256];

	snprintf(line, sizeof(line), "Nov 22 08:54:38 mail %s[4242]: "
		 "connect from localhost[127.0.0.1]", prog_names[_i].name);
	ck_assert_int_eq(parse_utc(&ll, line), LL_CONNECT);
	ck_span(ll.syslog_name, prog_names[_i].name);
	ck_span(ll.instance, prog_names[_i].instance);
	ck_span(ll.qualifier, prog_names[_i].qualifier);
	ck_span(ll.daemon, prog_names[_i].daemon);
	ck_assert_int_eq(ll.pid, 4242);
	ck_span(ll.text, "connect from localhost[127.0.0.1]");
	ck_span(ll.client, "localhost[127.0.0.1]");
	ck_span(ll.client_name, "localhost");
	ck_span(ll.client_addr, "127.0.0.1");
}
END_TEST

START_TEST(test_head_oddities)
{
	struct logline ll;

	/* no daemon part: Postfix's, but nothing per-message */
	ck_assert_int_eq(parse_utc(&ll, "Oct 24 11:12:13 box postfix[5150]: "
				   "Postfix is running with backwards-compatible "
				   "default setting"), LL_OTHER);
	ck_span(ll.instance, "postfix");
	ck_span(ll.daemon, NULL);
	/* a missing colon after the PID is tolerated */
	ck_assert_int_eq(parse_utc(&ll, "Feb 18 09:10:11 relay2 postfix/smtpd"
				   "[3131] C4A7B21E90: client=app3.example.test"
				   "[192.0.2.33]"), LL_CLIENT);
	ck_span(ll.queue_id, "C4A7B21E90");
	/* leading NUL bytes, as left in a file after a crash */
	{
		static const char nul[] = "\0\0\0\0Feb 18 09:10:11 h "
		    "postfix/qmgr[1]: C4A7B21E90: removed";

		ck_assert_int_eq(logline_parse(&ll, nul, sizeof(nul) - 1, NULL),
				 LL_REMOVED);
	}
	/* trailing CR LF is not part of the line */
	ck_assert_int_eq(parse_utc(&ll, "Feb 18 09:10:11 h postfix/qmgr[1]: "
				   "C4A7B21E90: removed\r\n"), LL_REMOVED);
	ck_span(ll.body, "removed");
}
END_TEST

START_TEST(test_severity)
{
	static const char *const sev[] = { "warning", "error", "fatal",
					   "panic" };
	struct logline ll;
	char line[256];

	for (size_t i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "Nov 22 08:54:38 mail postfix/"
			 "smtpd[9]: %s: something went wrong", sev[i]);
		ck_assert_int_eq(parse_utc(&ll, line), LL_WARNING);
		ck_span(ll.severity, sev[i]);
		ck_span(ll.body, "something went wrong");
		ck_span(ll.queue_id, NULL);
	}
	/* the queue ID after the level is still found */
	ck_assert_int_eq(parse_utc(&ll, "Nov 22 08:54:38 mail postfix/cleanup[9]"
				   ": warning: A3B5C7D9E1: sender_canonical_maps "
				   "map lookup problem"), LL_WARNING);
	ck_span(ll.queue_id, "A3B5C7D9E1");
	ck_span(ll.body, "sender_canonical_maps map lookup problem");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Queue IDs */

static const struct {
	const char *id;
	bool ok;
} qids[] = {
	{ "EBD9AA722EB", true }, { "0A1B2C3", true }, { "4F1E2D3C4B5A6", true },
	{ "4jXNDZ0ydKz1bYDc", true }, { "4kQ3rT5vWxz7bNm", true },
	{ "5Ncd6439YWzk8Km", true }, { "NOQUEUE", true },
	{ "statistics", false }, { "ABCDE", false }, { "Configuration", false },
	{ "4jXNDZ0ydK", false },	/* too short for a long ID, not hex */
	{ "deadbeef01", false },	/* hex, but lower case */
	/* around the 16-byte blocks the scan reads at once */
	{ "0123456789ABCDE", true }, { "0123456789ABCDEF", true },
	{ "0123456789ABCDEF0", true },
	{ "0123456789ABCDEF0123456789ABCDEF", true },	/* 32: the longest */
	{ "0123456789ABCDEF0123456789ABCDEF0", false },
	{ "bcdfgz1234567890", true }, { "bcdfgz1234567890b", true },
	{ "bcdfgz1234567890a", false },	/* a vowel in the second block */
	{ "abcdfgz123456789", false },	/* a vowel in the first block */
	{ "bcdfgx1234567890bcd", false },	/* no 'z' */
};

START_TEST(test_queue_id)
{
	struct logline ll;
	char line[256];

	/* a short body and one long enough for the 32-byte scan */
	for (int form = 0; form < 2; form++) {
		snprintf(line, sizeof(line), "Nov 22 08:54:38 mail postfix/qmgr"
			 "[9]: %s: %s", qids[_i].id, form == 0 ? "removed" :
			 "from=<sender@example.test>, size=1, nrcpt=1 (queue "
			 "active)");
		parse_utc(&ll, line);
		if (qids[_i].ok) {
			ck_span(ll.queue_id, qids[_i].id);
			ck_assert_int_eq(ll.noqueue,
					 strcmp(qids[_i].id, "NOQUEUE") == 0);
		} else {
			ck_span(ll.queue_id, NULL);
			ck_assert_int_eq(ll.kind, LL_OTHER);
		}
	}
}
END_TEST

/* ---------------------------------------------------------------- */
/* Delivery lines: status and the reply taken apart */

static const struct {
	const char *line;
	const char *daemon, *to, *relay, *dsn;
	enum logline_status status;
	const char *host, *addr;
	unsigned code;
	const char *rdsn, *message;
	enum logline_command cmd;
	enum logline_own own;
	const char *queued_as;
} deliveries[] = {
	{ "Nov 22 08:54:38 mail postfix/smtp[19715]: EBD9AA722EB: to=<ok1@remote.test>, relay=127.0.0.1[127.0.0.1]:10026, delay=0.06, delays=0.04/0/0/0.02, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4jXNDZ0ydKz1bYDc)",
	  "smtp", "ok1@remote.test", "127.0.0.1[127.0.0.1]:10026", "2.0.0",
	  LL_STATUS_SENT, NULL, NULL, 250, "2.0.0",
	  "Ok: queued as 4jXNDZ0ydKz1bYDc", LL_CMD_NONE, LL_OWN_QUEUED_AS,
	  "4jXNDZ0ydKz1bYDc" },
	{ "Nov 22 08:54:38 mail postfix/smtp[19715]: EBD9AA722EB: to=<nouser1@remote.test>, relay=127.0.0.1[127.0.0.1]:10026, delay=0.1, delays=0.04/0/0.03/0.03, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <nouser1@remote.test>: Recipient address rejected: User unknown in relay recipient table (in reply to RCPT TO command))",
	  "smtp", "nouser1@remote.test", "127.0.0.1[127.0.0.1]:10026", "5.1.1",
	  LL_STATUS_BOUNCED, "127.0.0.1", "127.0.0.1", 550, "5.1.1",
	  "<nouser1@remote.test>: Recipient address rejected: User unknown in relay recipient table",
	  LL_CMD_RCPT, LL_OWN_NONE, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: EBD9AA722EB: to=<c@remote.test>, relay=mx.remote.test[192.0.2.7]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.1, status=bounced (host mx.remote.test[192.0.2.7] said: 550 5.7.1 Message content rejected by policy (in reply to end of DATA command))",
	  "smtp", "c@remote.test", "mx.remote.test[192.0.2.7]:25", "5.7.1",
	  LL_STATUS_BOUNCED, "mx.remote.test", "192.0.2.7", 550, "5.7.1",
	  "Message content rejected by policy", LL_CMD_END_OF_DATA,
	  LL_OWN_NONE, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: EBD9AA722EB: to=<greylist@remote.test>, relay=mx[2001:db8::1]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx[2001:db8::1] said: 451 4.7.1 <greylist@remote.test>: Recipient address rejected: Greylisted, please try again later (in reply to RCPT TO command))",
	  "smtp", "greylist@remote.test", "mx[2001:db8::1]:25", "4.7.1",
	  LL_STATUS_DEFERRED, "mx", "2001:db8::1", 451, "4.7.1",
	  "<greylist@remote.test>: Recipient address rejected: Greylisted, please try again later",
	  LL_CMD_RCPT, LL_OWN_NONE, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: EBD9AA722EB: to=<a@closed.test>, relay=none, delay=0.01, delays=0/0/0/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:10031: Connection refused)",
	  "smtp", "a@closed.test", "none", "4.4.1", LL_STATUS_DEFERRED,
	  "127.0.0.1", "127.0.0.1", 0, NULL, "Connection refused",
	  LL_CMD_CONNECT, LL_OWN_CONNECT_REFUSED, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: EBD9AA722EB: to=<a@slow.test>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.slow.test[192.0.2.9]:25: Connection timed out)",
	  "smtp", "a@slow.test", "none", "4.4.1", LL_STATUS_DEFERRED,
	  "mx.slow.test", "192.0.2.9", 0, NULL, "Connection timed out",
	  LL_CMD_CONNECT, LL_OWN_CONNECT_TIMEOUT, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: EBD9AA722EB: to=<a@servfail.test>, relay=none, delay=0.1, delays=0/0/0.1/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=servfail.test type=MX: Host not found, try again)",
	  "smtp", "a@servfail.test", "none", "4.4.3", LL_STATUS_DEFERRED,
	  NULL, NULL, 0, NULL,
	  "Host or domain name not found. Name service error for name=servfail.test type=MX: Host not found, try again",
	  LL_CMD_NONE, LL_OWN_HOST_NOT_FOUND, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: 2421A41112EC: to=<b@lossy.example.test>, relay=mx.lossy.example.test[203.0.113.33]:25, delay=2, delays=0/0/1/1, dsn=4.4.2, status=deferred (lost connection with mx.lossy.example.test[203.0.113.33] while sending RCPT TO)",
	  "smtp", "b@lossy.example.test", "mx.lossy.example.test[203.0.113.33]:25", "4.4.2",
	  LL_STATUS_DEFERRED, "mx.lossy.example.test", "203.0.113.33", 0, NULL,
	  "lost connection with mx.lossy.example.test[203.0.113.33] while sending RCPT TO",
	  LL_CMD_RCPT, LL_OWN_LOST_CONNECTION, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: 2421A41112EC: to=<b@x.test>, relay=mx.x.test[192.0.2.1]:25, delay=300, delays=0/0/1/299, dsn=4.4.2, status=deferred (conversation with mx.x.test[192.0.2.1] timed out while sending message body)",
	  "smtp", "b@x.test", "mx.x.test[192.0.2.1]:25", "4.4.2",
	  LL_STATUS_DEFERRED, "mx.x.test", "192.0.2.1", 0, NULL,
	  "conversation with mx.x.test[192.0.2.1] timed out while sending message body",
	  LL_CMD_END_OF_DATA, LL_OWN_CONVERSATION_TIMEOUT, NULL },
	{ "Dec 21 07:41:10 localhost postfix/error[4711]: 6B2E9D4A1: to=<carol@far.example.test>, relay=none, delay=420, delays=400/20/0/0, dsn=4.4.1, status=deferred (delivery temporarily suspended: connect to extmail.far.example.test[198.51.100.14]:25: Connection timed out)",
	  "error", "carol@far.example.test", "none", "4.4.1",
	  LL_STATUS_DEFERRED, "extmail.far.example.test", "198.51.100.14", 0,
	  NULL, "Connection timed out", LL_CMD_CONNECT, LL_OWN_SUSPENDED,
	  NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: 51208BB: to=<x@slow.example.test>, relay=gate.slow.example.test[198.51.100.86]:25, delay=1, delays=0/0/1/0, dsn=4.3.2, status=deferred (host gate.slow.example.test[198.51.100.86] refused to talk to me: 450 4.3.2 try again later)",
	  "smtp", "x@slow.example.test", "gate.slow.example.test[198.51.100.86]:25", "4.3.2",
	  LL_STATUS_DEFERRED, "gate.slow.example.test", "198.51.100.86", 450, "4.3.2",
	  "try again later", LL_CMD_CONNECT, LL_OWN_REFUSED_TO_TALK, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: 51208BB: to=<x@tls.test>, relay=mx.tls.test[192.0.2.3]:25, delay=1, delays=0/0/1/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.tls.test[192.0.2.3])",
	  "smtp", "x@tls.test", "mx.tls.test[192.0.2.3]:25", "4.7.4",
	  LL_STATUS_DEFERRED, NULL, NULL, 0, NULL,
	  "TLS is required, but was not offered by host mx.tls.test[192.0.2.3]",
	  LL_CMD_NONE, LL_OWN_TLS, NULL },
	{ "Nov 22 08:54:38 mail postfix/local[1]: 3E831A722F1: to=<nosuchuser@localhost>, relay=local, delay=0.02, delays=0.01/0/0/0.01, dsn=5.1.1, status=bounced (unknown user: \"nosuchuser\")",
	  "local", "nosuchuser@localhost", "local", "5.1.1", LL_STATUS_BOUNCED,
	  NULL, NULL, 0, NULL, "unknown user: \"nosuchuser\"", LL_CMD_NONE,
	  LL_OWN_UNKNOWN_USER, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: 3E831A722F1: to=<a@loop.test>, relay=mail.loop.test[192.0.2.4]:25, delay=0.02, delays=0.01/0/0/0.01, dsn=5.4.6, status=bounced (mail for loop.test loops back to myself)",
	  "smtp", "a@loop.test", "mail.loop.test[192.0.2.4]:25", "5.4.6",
	  LL_STATUS_BOUNCED, NULL, NULL, 0, NULL,
	  "mail for loop.test loops back to myself", LL_CMD_NONE,
	  LL_OWN_LOOPS_BACK, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: 3E831A722F1: to=<a@null.test>, relay=none, delay=0.02, delays=0.01/0/0/0.01, dsn=5.1.10, status=bounced (Domain null.test does not accept mail (nullMX))",
	  "smtp", "a@null.test", "none", "5.1.10", LL_STATUS_BOUNCED, NULL,
	  NULL, 0, NULL, "Domain null.test does not accept mail (nullMX)",
	  LL_CMD_NONE, LL_OWN_NULL_MX, NULL },
	{ "Nov 22 08:54:38 mail postfix/lmtp[1]: 3E831A722F1: to=<u@example.test>, relay=mail.example.test[private/dovecot-lmtp], delay=0.1, delays=0.01/0/0/0.09, dsn=2.0.0, status=sent (250 2.0.0 <u@example.test> 8CWMNb0aVGE= Saved)",
	  "lmtp", "u@example.test", "mail.example.test[private/dovecot-lmtp]",
	  "2.0.0", LL_STATUS_SENT, NULL, NULL, 250, "2.0.0",
	  "<u@example.test> 8CWMNb0aVGE= Saved", LL_CMD_NONE, LL_OWN_NONE,
	  NULL },
	{ "Nov 22 08:54:38 mail postfix/lmtp[1]: 3E831A722F1: to=<u@example.test>, relay=mail.example.test[/var/run/dovecot/lmtp], delay=0.1, delays=0.01/0/0/0.09, dsn=5.2.2, status=bounced (host mail.example.test[/var/run/dovecot/lmtp] said: 552 5.2.2 <u@example.test> Quota exceeded (mailbox for user is full) (in reply to end of DATA command))",
	  "lmtp", "u@example.test", "mail.example.test[/var/run/dovecot/lmtp]",
	  "5.2.2", LL_STATUS_BOUNCED, "mail.example.test",
	  "/var/run/dovecot/lmtp", 552, "5.2.2",
	  "<u@example.test> Quota exceeded (mailbox for user is full)",
	  LL_CMD_END_OF_DATA, LL_OWN_NONE, NULL },
	{ "Nov 22 08:54:38 mail postfix/virtual[1]: 3E831A722F1: to=<v@example.test>, relay=virtual, delay=0.05, delays=0.02/0/0/0.03, dsn=2.0.0, status=sent (delivered to maildir)",
	  "virtual", "v@example.test", "virtual", "2.0.0", LL_STATUS_SENT,
	  NULL, NULL, 0, NULL, "delivered to maildir", LL_CMD_NONE,
	  LL_OWN_OTHER, NULL },
	{ "Nov 22 08:54:38 mail postfix/pipe[1]: 3E831A722F1: to=<p@example.test>, orig_to=<alias@example.test>, relay=dovecot, delay=0.05, delays=0.02/0/0/0.03, dsn=2.0.0, status=sent (delivered via dovecot service)",
	  "pipe", "p@example.test", "dovecot", "2.0.0", LL_STATUS_SENT, NULL,
	  NULL, 0, NULL, "delivered via dovecot service", LL_CMD_NONE,
	  LL_OWN_OTHER, NULL },
	{ "Nov 22 08:54:38 mail postfix/discard[1]: 3E831A722F1: to=<d@remote.test>, relay=none, delay=0.01, delays=0.01/0/0/0, dsn=2.0.0, status=sent (accepted by test MX)",
	  "discard", "d@remote.test", "none", "2.0.0", LL_STATUS_SENT, NULL,
	  NULL, 0, NULL, "accepted by test MX", LL_CMD_NONE, LL_OWN_OTHER,
	  NULL },
	{ "Nov 22 08:54:38 mail postfix/error[1]: 3E831A722F1: to=<e@error.test>, relay=none, delay=0.01, delays=0.01/0/0/0, dsn=5.1.2, status=bounced (Bad destination system address (spike error transport))",
	  "error", "e@error.test", "none", "5.1.2", LL_STATUS_BOUNCED, NULL,
	  NULL, 0, NULL, "Bad destination system address (spike error transport)",
	  LL_CMD_NONE, LL_OWN_OTHER, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: 887F52966EC3: to=<a@b.test>, relay=127.0.0.1[127.0.0.1]:10025, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 887F52966EC4)",
	  "smtp", "a@b.test", "127.0.0.1[127.0.0.1]:10025", "2.0.0",
	  LL_STATUS_SENT, NULL, NULL, 250, "2.0.0",
	  "from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 887F52966EC4",
	  LL_CMD_NONE, LL_OWN_QUEUED_AS, "887F52966EC4" },
	/* local(8) forwarding to an alias re-queues under a new ID */
	{ "Nov 22 08:54:38 mail postfix/local[1]: 3E831A722F1: to=<root@mail.client.test>, orig_to=<root>, relay=local, delay=0.01, delays=0/0/0/0.01, dsn=2.0.0, status=sent (forwarded as 4F942A722F2)",
	  "local", "root@mail.client.test", "local", "2.0.0", LL_STATUS_SENT,
	  NULL, NULL, 0, NULL, "forwarded as 4F942A722F2", LL_CMD_NONE,
	  LL_OWN_QUEUED_AS, "4F942A722F2" },
	/* address verification probe */
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: 887F52966EC3: to=<a@b.test>, relay=mx.b.test[192.0.2.5]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=undeliverable (host mx.b.test[192.0.2.5] said: 550 5.1.1 No such user (in reply to RCPT TO command))",
	  "smtp", "a@b.test", "mx.b.test[192.0.2.5]:25", "5.1.1",
	  LL_STATUS_UNDELIVERABLE, "mx.b.test", "192.0.2.5", 550, "5.1.1",
	  "No such user", LL_CMD_RCPT, LL_OWN_NONE, NULL },
	/* a reply cut off by the syslog line limit: no closing parenthesis */
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: 887F52966EC3: to=<a@b.test>, relay=mx.b.test[192.0.2.5]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 OK  1700000000 x9zz1234",
	  "smtp", "a@b.test", "mx.b.test[192.0.2.5]:25", "2.0.0",
	  LL_STATUS_SENT, NULL, NULL, 250, "2.0.0", "OK  1700000000 x9zz1234",
	  LL_CMD_NONE, LL_OWN_NONE, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: 887F52966EC3: to=<a@b.test>, relay=mx.b.test[192.0.2.5]:25, delay=1, delays=0/0/0/1, dsn=4.2.0, status=SOFTBOUNCE (host mx.b.test[192.0.2.5] said: 550 5.2.0 nope (in reply to MAIL FROM command))",
	  "smtp", "a@b.test", "mx.b.test[192.0.2.5]:25", "4.2.0",
	  LL_STATUS_OTHER, "mx.b.test", "192.0.2.5", 550, "5.2.0", "nope",
	  LL_CMD_MAIL, LL_OWN_NONE, NULL },
};

START_TEST(test_delivery)
{
	struct logline ll;
	const struct logline_reply *r = &ll.reply;

	ck_assert_int_eq(parse_utc(&ll, deliveries[_i].line), LL_DELIVERY);
	ck_span(ll.daemon, deliveries[_i].daemon);
	ck_span(ll.to, deliveries[_i].to);
	ck_span(ll.relay, deliveries[_i].relay);
	ck_span(ll.dsn, deliveries[_i].dsn);
	ck_assert_int_eq(ll.status, deliveries[_i].status);
	ck_span(r->host, deliveries[_i].host);
	ck_span(r->addr, deliveries[_i].addr);
	ck_assert_uint_eq(r->smtp_code, deliveries[_i].code);
	ck_span(r->dsn, deliveries[_i].rdsn);
	ck_span(r->message, deliveries[_i].message);
	ck_assert_int_eq(r->command, deliveries[_i].cmd);
	ck_assert_int_eq(r->own, deliveries[_i].own);
	ck_span(r->queued_as, deliveries[_i].queued_as);
	ck_assert(ll.delay.p != NULL);
	ck_assert(ll.delays[0] >= 0 && ll.delays[3] >= 0);
	ck_span(logline_kv_get(&ll, "to"), deliveries[_i].to);
}
END_TEST

/*
 * "queued as ID" at the end of a 2xx reply and elsewhere: the ID found is
 * always that of the last "queued as ", whatever its length and place.
 */
static const struct {
	const char *reply;
	const char *queued_as;
} queued_as_shapes[] = {
	{ "250 2.0.0 Ok: queued as 3F2A1B", "3F2A1B" },
	{ "250 2.0.0 Ok: queued as 3F2A1", NULL },	/* too short */
	{ "250 2.0.0 Ok: queued as 4jXNDZ0ydKz1bYD", "4jXNDZ0ydKz1bYD" },
	{ "250 2.0.0 Ok: queued as 0123456789ABCDEF", "0123456789ABCDEF" },
	{ "250 2.0.0 Ok: queued as 0123456789ABCDEF01234", "0123456789ABCDEF01234" },
	{ "250 2.0.0 Ok: queued as bcdfgz123456", "bcdfgz123456" },
	{ "250 2.0.0 Ok: queued as aeiouz123456", NULL },	/* vowels */
	{ "250 ok queued as ABCDEF (x)", "ABCDEF" },
	{ "250 queued as ABCDEFqueued as 123456", "123456" },
	{ "250 Xqueued as ABCDEF", "ABCDEF" },
	{ "250 queued as  ABCDEF", NULL },
	{ "250 x queued as NOQUEUE", "NOQUEUE" },
	{ "550 5.1.1 queued as ABCDEF", NULL },		/* not a 2xx */
	{ "250 as ABCDEF", NULL },
};

START_TEST(test_queued_as_shapes)
{
	struct logline ll;
	char line[512];
	int n;

	n = snprintf(line, sizeof(line), "Nov 22 08:54:38 mail postfix/smtp[1]: "
		     "887F52966EC3: to=<a@b.test>, relay=mx.b.test[192.0.2.5]:25,"
		     " delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (%s)",
		     queued_as_shapes[_i].reply);
	ck_assert(n > 0 && (size_t)n < sizeof(line));
	ck_assert_int_eq(parse_utc(&ll, line), LL_DELIVERY);
	ck_span(ll.reply.queued_as, queued_as_shapes[_i].queued_as);
	ck_assert_int_eq(ll.reply.own, queued_as_shapes[_i].queued_as ?
			 LL_OWN_QUEUED_AS : LL_OWN_NONE);
}
END_TEST

START_TEST(test_delivery_fields)
{
	struct logline ll;

	ck_assert_int_eq(parse_utc(&ll, "Apr  6 17:42:55 mx1 postfix/smtp"
		"[2323]: 5C1D2A7E0F3B: to=<\"first last, jr\"@quoted.example.test>"
		", orig_to=<root>, relay=mx.b.example.test[192.0.2.44]:25, conn_use=2, "
		"delay=86470, delays=86460/0.05/2.4/7.55, tls=yes, dsn=4.3.0, "
		"status=deferred (host mx.b.example.test[192.0.2.44] said: 451 4.3.0 "
		"Try again later, local problem (in reply to RCPT TO command))"),
			 LL_DELIVERY);
	ck_span(ll.to, "\"first last, jr\"@quoted.example.test");
	ck_span(ll.orig_to, "root");
	ck_span(ll.delay, "86470");
	ck_assert(ll.delays[0] == 86460.0);
	ck_assert(ll.delays[1] > 0.0499 && ll.delays[1] < 0.0501);
	ck_assert(ll.delays[2] > 2.399 && ll.delays[2] < 2.401);
	ck_assert(ll.delays[3] > 7.549 && ll.delays[3] < 7.551);
	ck_span(logline_kv_get(&ll, "conn_use"), "2");
	ck_span(logline_kv_get(&ll, "tls"), "yes");	/* unknown key kept */
	ck_span(logline_kv_get(&ll, "nosuch"), NULL);
	ck_span(ll.status_word, "deferred");
	ck_assert_uint_eq(ll.nkv, 9);
	ck_span(ll.reply.command_text, "RCPT TO");
	/* an address without angle brackets */
	ck_assert_int_eq(parse_utc(&ll, "Apr  6 17:42:55 k postfix/local[1]: "
		"5C1D2A7E0F3B: to=nobody-here@localhost, relay=local, delay=0, "
		"delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)"),
			 LL_DELIVERY);
	ck_span(ll.to, "nobody-here@localhost");
	/* delays in exponent form */
	ck_assert_int_eq(parse_utc(&ll, "Apr  6 17:42:55 k postfix/local[1]: "
		"5C1D2A7E0F3B: to=<a@b>, relay=local, delay=1e-05, "
		"delays=1e-05/0/0/2.5e+01, dsn=2.0.0, status=sent (delivered)"),
			 LL_DELIVERY);
	ck_assert(ll.delays[0] > 0.9e-5 && ll.delays[0] < 1.1e-5);
	ck_assert(ll.delays[3] == 25.0);
}
END_TEST

START_TEST(test_reply_fold)
{
	struct logline ll;
	char out[512];
	size_t n;

	ck_assert_int_eq(parse_utc(&ll, "Apr  6 15:22:52 mx1 postfix/smtp"
		"[2500]: 5C1D2A7E0F3B: to=<x@big.example.test>, relay=mx.big.example."
		"test[203.0.113.27]:25, delay=1, delays=0.08/0/0.58/0.34, dsn="
		"5.1.1, status=bounced (host mx.big.example.test[203.0.113.27] "
		"said: 550-5.1.1 No mailbox by that name is known "
		"here. Please check 550-5.1.1 the spelling of the "
		"address 550 5.1.1 and send again. ref 77f - big (in reply to "
		"RCPT TO command))"), LL_DELIVERY);
	ck_assert(ll.reply.multiline);
	ck_assert_uint_eq(ll.reply.smtp_code, 550);
	ck_span(ll.reply.dsn, "5.1.1");
	/* the span keeps the prefixes ... */
	ck_assert_ptr_nonnull(memmem(ll.reply.message.p, ll.reply.message.len,
				     "check 550-5.1.1 the", 19));
	/* ... the fold removes them */
	n = logline_reply_fold(&ll.reply, out, sizeof(out));
	ck_assert_str_eq(out, "No mailbox by that name is known here. Please "
			 "check the spelling of the address and send again. "
			 "ref 77f - big");
	ck_assert_uint_eq(n, strlen(out));
	/* truncation into a small buffer stays terminated */
	n = logline_reply_fold(&ll.reply, out, 10);
	ck_assert_uint_eq(n, 9);
	ck_assert_str_eq(out, "No mailbo");
	/* a single-line reply is copied unchanged, numbers and all */
	ck_assert_int_eq(parse_utc(&ll, "Apr  5 14:21:51 k postfix/smtp[2]: "
		"5C1D2A7E0F3B: to=<x@y>, relay=r[192.0.2.9]:25, delay=1, delays="
		"0/0/0/1, dsn=5.0.0, status=bounced (host r[192.0.2.9] said: 550 "
		"5.0.0 code 550 5.0.0 is quoted (in reply to RCPT TO command))"),
			 LL_DELIVERY);
	ck_assert(!ll.reply.multiline);
	logline_reply_fold(&ll.reply, out, sizeof(out));
	ck_assert_str_eq(out, "code 550 5.0.0 is quoted");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Every other line kind */

static const struct {
	const char *line;
	enum logline_kind kind;
	const char *qid;
} kinds[] = {
	{ "Nov 22 08:54:38 mail postfix/smtpd[1]: connect from localhost[127.0.0.1]", LL_CONNECT, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtpd[1]: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5", LL_DISCONNECT, NULL },
	{ "Nov 22 08:54:38 mail postfix/submission/smtpd[1]: EBD9AA722EB: client=unknown[198.51.100.100], sasl_method=PLAIN, sasl_username=user@sender.test", LL_CLIENT, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/pickup[1]: EBD9AA722EB: uid=0 from=<alice@client.test>", LL_PICKUP, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/cleanup[1]: EBD9AA722EB: message-id=<20261122085438.3E831A722F1@mail.client.test>", LL_MESSAGE_ID, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/cleanup[1]: EBD9AA722EB: resent-message-id=<r1@client.test>", LL_RESENT, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/qmgr[1]: EBD9AA722EB: from=<alice@client.test>, size=512, nrcpt=1 (queue active)", LL_QUEUED, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/qmgr[1]: EBD9AA722EB: removed", LL_REMOVED, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/postsuper[1]: EBD9AA722EB: removed", LL_REMOVED, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/qmgr[1]: EBD9AA722EB: from=<alice@client.test>, status=expired, returned to sender", LL_EXPIRED, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/qmgr[1]: CAFE0912B4: from=<robot@sender.example.test>, status=force-expired, returned to sender", LL_EXPIRED, "CAFE0912B4" },
	{ "Nov 22 08:54:38 mail postfix/bounce[1]: EBD9AA722EB: sender non-delivery notification: 3E831A722F1", LL_NOTIFICATION, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/bounce[1]: 73A0B2C19: sender delay notification: 1B98C2D07", LL_NOTIFICATION, "73A0B2C19" },
	{ "Nov 22 08:54:38 mail postfix/bounce[1]: 73A0B2C19: sender delivery status notification: 1B98C2D07", LL_NOTIFICATION, "73A0B2C19" },
	{ "Nov 22 08:54:38 mail postfix/bounce[1]: 73A0B2C19: postmaster non-delivery notification: 1B98C2D07", LL_NOTIFICATION, "73A0B2C19" },
	{ "Nov 22 08:54:38 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 554 5.7.1 <x@blocked.test>: Recipient address rejected: Access denied; from=<a@client.test> to=<x@blocked.test> proto=ESMTP helo=<localhost>", LL_REJECT, "NOQUEUE" },
	{ "Nov 22 08:54:38 mail postfix/smtpd[1]: EF92B3F3EBB: reject: RCPT from unknown[127.0.0.2]: 454 4.7.1 <ok8@remote.test>: Relay access denied; from=<a@b> to=<ok8@remote.test> proto=ESMTP helo=<h>", LL_REJECT, "EF92B3F3EBB" },
	{ "Nov 22 08:54:38 mail postfix/smtpd[1]: NOQUEUE: milter-reject: CONNECT from localhost[127.0.0.1]: 451 4.7.1 Service unavailable - try again later; proto=SMTP", LL_REJECT, "NOQUEUE" },
	{ "Nov 22 08:54:38 mail postfix/cleanup[1]: 3E831A722F1: milter-reject: END-OF-MESSAGE from localhost[127.0.0.1]: 5.7.1 Command rejected; from=<a@b> to=<c@d> proto=ESMTP helo=<h>", LL_REJECT, "3E831A722F1" },
	{ "Nov 22 08:54:38 mail postfix/postscreen[1]: NOQUEUE: reject: RCPT from [192.0.2.55]:40001: 550 5.7.1 Service unavailable; client [192.0.2.55] blocked using dnsbl.example.test; from=<a@b.example.test>, to=<c@d.example.test>, proto=ESMTP, helo=<x>", LL_REJECT, "NOQUEUE" },
	{ "Nov 22 08:54:38 mail postfix/cleanup[1]: 3E831A722F1: reject: header Subject: CONTENT-REJECT from localhost[127.0.0.1]; from=<a@b> to=<c@d> proto=ESMTP helo=<h>: 5.7.1 Message content rejected by policy", LL_REJECT, "3E831A722F1" },
	{ "Nov 22 08:54:38 mail postfix/smtpd[1]: 3E831A722F1: discard: RCPT from localhost[127.0.0.1]: <x@d.test>: Recipient address triggers DISCARD action; from=<a@b> to=<x@d.test> proto=ESMTP helo=<h>", LL_REJECT, "3E831A722F1" },
	{ "Nov 22 08:54:38 mail postfix/postsuper[1]: EBD9AA722EB: expired", LL_ADMIN, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/postsuper[1]: EBD9AA722EB: placed on hold", LL_ADMIN, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/postsuper[1]: EBD9AA722EB: released from hold", LL_ADMIN, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/postsuper[1]: Force-expired: 1 message", LL_OTHER, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: 51208BB: host gate.slow.example.test[198.51.100.86] refused to talk to me: 450 4.3.2 try again later", LL_ATTEMPT, "51208BB" },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: 1E6A05276B: host mx.busy.example.test[203.0.113.77] said: 421 4.7.0 [RL01] Too many messages, slow down (in reply to MAIL FROM command)", LL_ATTEMPT, "1E6A05276B" },
	{ "Nov 22 08:54:38 mail postfix/smtp[1]: connect to 127.0.0.1[127.0.0.1]:10031: Connection refused", LL_OTHER, NULL },
	{ "Nov 22 08:54:38 mail postfix/postscreen[1]: CONNECT from [192.0.2.56]:40002 to [127.0.0.1]:25", LL_CONNECT, NULL },
	{ "Nov 22 08:54:38 mail postfix/postscreen[1]: PASS NEW [192.0.2.56]:40002", LL_OTHER, NULL },
	{ "Nov 22 08:54:38 mail postfix/qmgr[1]: EBD9AA722EB: skipped, still being delivered", LL_OTHER, "EBD9AA722EB" },
	{ "Nov 22 08:54:38 mail postfix/anvil[1]: statistics: max connection rate 1/60s for (smtp:127.0.0.1) at Nov 22 08:50:00", LL_OTHER, NULL },
	{ "Nov 22 08:54:38 mail postfix/master[1]: reload -- version 3.7.11, configuration /tmp/x/etc", LL_OTHER, NULL },
	{ "Nov 22 08:54:38 mail dovecot: imap-login: Login: user=<x>", LL_NOT_POSTFIX, NULL },
	{ "Nov 22 08:54:38 mail scanner[123]: (job 7) message is clean", LL_NOT_POSTFIX, NULL },
	{ "Nov 22 08:54:38 mail opendkim[5]: EBD9AA722EB: DKIM-Signature field added", LL_NOT_POSTFIX, NULL },
	{ "Nov 22 08:54:38 mail postfixadmin[5]: x", LL_NOT_POSTFIX, NULL },
	{ "this is not a log line", LL_MALFORMED, NULL },
	{ "", LL_MALFORMED, NULL },
	{ "Xyz 1 00:00:00 somehost", LL_MALFORMED, NULL },
	{ "Feb 2 02:02:02", LL_MALFORMED, NULL },
	{ "Jan 32 00:00:00 h postfix/smtp[1]: x", LL_MALFORMED, NULL },
	{ "Jan 1 24:00:00 h postfix/smtp[1]: x", LL_MALFORMED, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[12", LL_MALFORMED, NULL },
	{ "Nov 22 08:54:38 mail postfix/smtp[x]: y", LL_MALFORMED, NULL },
};

START_TEST(test_kinds)
{
	struct logline ll;

	ck_assert_msg(parse_utc(&ll, kinds[_i].line) == kinds[_i].kind,
		      "%s: got %s, want %s", kinds[_i].line,
		      logline_kind_name(ll.kind),
		      logline_kind_name(kinds[_i].kind));
	ck_span(ll.queue_id, kinds[_i].qid);
}
END_TEST

START_TEST(test_kind_fields)
{
	struct logline ll;

	parse_utc(&ll, kinds[2].line);	/* client= with SASL */
	ck_span(ll.client, "unknown[198.51.100.100]");
	ck_span(ll.client_name, "unknown");
	ck_span(ll.client_addr, "198.51.100.100");
	ck_span(ll.sasl_method, "PLAIN");
	ck_span(ll.sasl_username, "user@sender.test");
	ck_span(ll.qualifier, "submission");

	parse_utc(&ll, kinds[3].line);	/* pickup */
	ck_span(ll.uid, "0");
	ck_span(ll.from, "alice@client.test");

	parse_utc(&ll, kinds[4].line);
	ck_span(ll.message_id, "20261122085438.3E831A722F1@mail.client.test");

	parse_utc(&ll, kinds[6].line);	/* qmgr queued */
	ck_span(ll.from, "alice@client.test");
	ck_span(ll.size, "512");
	ck_span(ll.nrcpt, "1");

	parse_utc(&ll, kinds[9].line);	/* expired */
	ck_assert_int_eq(ll.status, LL_STATUS_EXPIRED);
	ck_span(ll.status_note, "returned to sender");
	ck_span(ll.to, NULL);
	parse_utc(&ll, kinds[10].line);
	ck_assert_int_eq(ll.status, LL_STATUS_FORCE_EXPIRED);

	parse_utc(&ll, kinds[11].line);	/* NDR */
	ck_span(ll.notify_who, "sender");
	ck_span(ll.notify_kind, "non-delivery");
	ck_span(ll.notify_qid, "3E831A722F1");
	parse_utc(&ll, kinds[13].line);
	ck_span(ll.notify_kind, "delivery status");
	parse_utc(&ll, kinds[14].line);
	ck_span(ll.notify_who, "postmaster");

	parse_utc(&ll, kinds[15].line);	/* NOQUEUE reject */
	ck_assert(ll.noqueue);
	ck_span(ll.reject_action, "reject");
	ck_span(ll.reject_stage, "RCPT");
	ck_span(ll.client, "localhost[127.0.0.1]");
	ck_assert_uint_eq(ll.reply.smtp_code, 554);
	ck_span(ll.reply.dsn, "5.7.1");
	ck_span(ll.reply.message, "<x@blocked.test>: Recipient address "
		"rejected: Access denied");
	ck_span(ll.from, "a@client.test");
	ck_span(ll.to, "x@blocked.test");
	ck_span(logline_kv_get(&ll, "proto"), "ESMTP");
	ck_span(logline_kv_get(&ll, "helo"), "localhost");

	parse_utc(&ll, kinds[17].line);	/* milter-reject at CONNECT */
	ck_span(ll.reject_action, "milter-reject");
	ck_span(ll.reject_stage, "CONNECT");
	ck_span(logline_kv_get(&ll, "proto"), "SMTP");
	ck_span(ll.reply.message, "Service unavailable - try again later");

	parse_utc(&ll, kinds[18].line);	/* cleanup milter-reject, no code */
	ck_span(ll.reject_stage, "END-OF-MESSAGE");
	ck_assert_uint_eq(ll.reply.smtp_code, 0);
	ck_span(ll.reply.dsn, "5.7.1");
	ck_span(ll.reply.message, "Command rejected");

	parse_utc(&ll, kinds[19].line);	/* postscreen, comma separated */
	ck_span(ll.client, "[192.0.2.55]:40001");
	ck_span(ll.client_addr, "192.0.2.55");
	ck_span(ll.from, "a@b.example.test");
	ck_span(ll.to, "c@d.example.test");
	ck_span(logline_kv_get(&ll, "helo"), "x");

	parse_utc(&ll, kinds[20].line);	/* header check */
	ck_span(ll.reject_stage, "header");
	ck_span(ll.client, "localhost[127.0.0.1]");
	ck_span(ll.to, "c@d");
	ck_span(ll.reply.dsn, "5.7.1");
	ck_span(ll.reply.message, "Message content rejected by policy");

	parse_utc(&ll, kinds[22].line);
	ck_span(ll.admin_action, "expired");
	parse_utc(&ll, kinds[23].line);
	ck_span(ll.admin_action, "placed on hold");

	parse_utc(&ll, kinds[26].line);	/* per-attempt line */
	ck_assert_int_eq(ll.reply.own, LL_OWN_REFUSED_TO_TALK);
	ck_span(ll.reply.host, "gate.slow.example.test");
	ck_assert_uint_eq(ll.reply.smtp_code, 450);
	parse_utc(&ll, kinds[27].line);
	ck_assert_int_eq(ll.reply.command, LL_CMD_MAIL);
	ck_assert_uint_eq(ll.reply.smtp_code, 421);

	parse_utc(&ll, kinds[1].line);	/* disconnect counters */
	ck_span(ll.client_addr, "127.0.0.1");
	ck_span(logline_kv_get(&ll, "commands"), "5");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Session lines, actions, odd Message-IDs, ports and offsets */

START_TEST(test_session_lines)
{
	struct logline ll;

	ck_assert_int_eq(parse_utc(&ll, "Nov 22 08:54:38 mail postfix/smtpd[1]: "
		"lost connection after DATA (123456 bytes) from unknown"
		"[198.51.100.7]"), LL_OTHER);
	ck_span(ll.client_addr, "198.51.100.7");
	ck_span(ll.reject_stage, "DATA");
	ck_span(ll.reject_action, NULL);
	parse_utc(&ll, "Nov 22 08:54:38 mail postfix/smtpd[1]: timeout after "
		  "END-OF-MESSAGE from h.test[192.0.2.8]");
	ck_span(ll.client_name, "h.test");
	ck_span(ll.reject_stage, "END-OF-MESSAGE");
	parse_utc(&ll, "Nov 22 08:54:38 mail postfix/postscreen[1]: PASS NEW "
		  "[2001:db8:4003::23a]:36363");
	ck_span(ll.client_addr, "2001:db8:4003::23a");
	ck_span(ll.client_port, "36363");
	parse_utc(&ll, "Nov 22 08:54:38 mail postfix/postscreen[1]: COMMAND "
		  "TIME LIMIT from [198.51.100.243]:50505 after RCPT");
	ck_span(ll.client_addr, "198.51.100.243");
	ck_span(ll.reject_stage, "RCPT");
	parse_utc(&ll, "Nov 22 08:54:38 mail postfix/postscreen[1]: PREGREET 6 "
		  "after 1.5 from [203.0.113.72]:40404: RSET\\n");
	ck_span(ll.client_port, "40404");
	ck_span(ll.reject_stage, NULL);	/* "after 1.2" is a time */
	parse_utc(&ll, "Nov 22 08:54:38 mail postfix/smtp[1]: Untrusted TLS "
		  "connection established to mx4.tls.example.test[203.0.113.136]:25: "
		  "TLSv1.2 with cipher ECDHE-RSA-AES256-SHA384 (256/256 bits)");
	ck_span(ll.relay_name, "mx4.tls.example.test");
	ck_span(ll.relay_addr, "203.0.113.136");
	ck_span(ll.relay_port, "25");
	parse_utc(&ll, "Nov 22 08:54:38 mail postfix/smtp[1]: certificate "
		  "verification failed for mail.example.test[198.51.100.115]:25:"
		  " self-signed certificate");
	ck_span(ll.relay_addr, "198.51.100.115");
	ck_assert_int_eq(parse_utc(&ll, "Nov 22 08:54:38 mail postfix/smtp[1]: "
		"SSL_connect error to mail.example.test[198.51.100.2]:25: lost "
		"connection"), LL_OTHER);
	ck_assert_int_eq(ll.reply.own, LL_OWN_TLS);
	ck_span(ll.reply.message, "lost connection");
	ck_span(ll.relay_port, "25");
	ck_assert_int_eq(parse_utc(&ll, "Nov 22 08:54:38 mail postfix/smtp[1]: "
		"E1A3B714C5: SASL authentication failed; server smarthost.example.test[192.0.2.4]"
		" said: 535 5.7.8 Error: authentication failed"), LL_ATTEMPT);
	ck_assert_int_eq(ll.reply.command, LL_CMD_AUTH);
	ck_assert_uint_eq(ll.reply.smtp_code, 535);
	ck_span(ll.relay_name, "smarthost.example.test");
	ck_assert_int_eq(parse_utc(&ll, "Nov 22 08:54:38 mail postfix/smtpd[1]: "
		"warning: client9.example.test[203.0.113.208]: SASL LOGIN authentication "
		"failed: VXNlcm5hbWU6"), LL_WARNING);
	ck_span(ll.client_addr, "203.0.113.208");
	/* a name written with a leading slash */
	ck_assert_int_eq(parse_utc(&ll, "Dec 16 05:04:03 box /postfix-script"
		"[2222]: the Postfix mail system is running: PID: 1111"),
			 LL_OTHER);
	ck_span(ll.instance, "postfix-script");
	ck_span(ll.syslog_name, "/postfix-script");
}
END_TEST

static const struct {
	const char *line;
	enum logline_kind kind;
	const char *action, *stage, *text;
	unsigned code;
} actions[] = {
	{ "Nov 22 08:54:38 mail postfix/smtpd[1]: proxy-reject: END-OF-MESSAGE: 554 5.7.0 Rejected by filter, ref=7f3a - spam; from=<> to=<u@x.test> proto=SMTP helo=<h>",
	  LL_REJECT, "proxy-reject", "END-OF-MESSAGE",
	  "END-OF-MESSAGE: 554 5.7.0 Rejected by filter, ref=7f3a - spam", 554 },
	{ "Nov 22 08:54:38 mail postfix/smtpd[1]: proxy-accept: END-OF-MESSAGE: 250 2.0.0 Ok: queued as A0B1C2D3E4F; from=<a@b> to=<u@x.test> proto=ESMTP helo=<h>",
	  LL_OTHER, "proxy-accept", "END-OF-MESSAGE",
	  "END-OF-MESSAGE: 250 2.0.0 Ok: queued as A0B1C2D3E4F", 250 },
	{ "Nov 22 08:54:38 mail postfix/cleanup[1]: 5215F4E: milter-header-redirect: header X-Spam: Yes from h.test[198.51.100.61]; from=<a@b> to=<c@d> proto=ESMTP helo=<h>: quarantine@example.test",
	  LL_OTHER, "milter-header-redirect", "header",
	  "header X-Spam: Yes from h.test[198.51.100.61]", 0 },
	{ "Nov 22 08:54:38 mail postfix/smtpd[1]: NOQUEUE: reject_warning: RCPT from e.test[192.0.2.93]: 553 5.7.1 <s@e.test>: Sender address rejected: not owned; from=<s@e.test> to=<r@e.test> proto=ESMTP helo=<e.test>",
	  LL_OTHER, "reject_warning", "RCPT",
	  "RCPT from e.test[192.0.2.93]: 553 5.7.1 <s@e.test>: Sender address rejected: not owned", 553 },
	{ "Nov 22 08:54:38 mail postfix/smtpd[1]: 3E831A722F1: hold: RCPT from h.test[192.0.2.1]: <a@b>: Sender address triggers HOLD action; from=<a@b> to=<c@d> proto=ESMTP helo=<h>",
	  LL_REJECT, "hold", "RCPT",
	  "RCPT from h.test[192.0.2.1]: <a@b>: Sender address triggers HOLD action", 0 },
	{ "Nov 22 08:54:38 mail postfix/smtpd[1]: NOQUEUE: filter: RCPT from unknown[203.0.113.85]: <m@s.test>: Sender address triggers FILTER scan:[127.0.0.1]:10030; from=<m@s.test> to=<u@d.test> proto=ESMTP helo=<p.test>",
	  LL_OTHER, "filter", "RCPT",
	  "RCPT from unknown[203.0.113.85]: <m@s.test>: Sender address triggers FILTER scan:[127.0.0.1]:10030", 0 },
};

START_TEST(test_actions)
{
	struct logline ll;

	ck_assert_int_eq(parse_utc(&ll, actions[_i].line), actions[_i].kind);
	ck_span(ll.reject_action, actions[_i].action);
	ck_span(ll.reject_stage, actions[_i].stage);
	ck_span(ll.reject_text, actions[_i].text);
	ck_assert_uint_eq(ll.reply.smtp_code, actions[_i].code);
	ck_assert(ll.to.p != NULL);
}
END_TEST

START_TEST(test_message_id_forms)
{
	struct logline ll;

	ck_assert_int_eq(parse_utc(&ll, "Jan 24 09:08:07 mx postfix/cleanup[1]: "
		"B0A9F3F1879: message-id=2025-01-24 09:08:07.123456"),
			 LL_MESSAGE_ID);
	ck_span(ll.message_id, "2025-01-24 09:08:07.123456");
	parse_utc(&ll, "Jan 24 09:08:07 mx postfix/cleanup[1]: B0A9F3F1879: "
		  "message-id=<k1@sender.example.test>+TRAILINGJUNK42");
	ck_span(ll.message_id, "k1@sender.example.test");
	ck_assert_int_eq(parse_utc(&ll, "Jan 24 09:08:07 mx postfix/cleanup[1]: "
		"B0A9F3F1879: message-id="), LL_MESSAGE_ID);
	ck_assert(ll.message_id.p != NULL && ll.message_id.len == 0);
	parse_utc(&ll, "Jan 24 09:08:07 mx postfix/cleanup[1]: B0A9F3F1879: "
		  "message-id=<>");
	ck_assert(ll.message_id.p != NULL && ll.message_id.len == 0);
	parse_utc(&ll, "Jan 24 09:08:07 mx postfix/cleanup[1]: B0A9F3F1879: "
		  "resent-message-id=<r@x.test>");
	ck_assert_int_eq(ll.kind, LL_RESENT);
	ck_span(logline_kv_get(&ll, "resent-message-id"), "r@x.test");
	/* a quoted value from a third-party program under postfix/ */
	parse_utc(&ll, "Jan 24 09:08:07 mx postfix/mc-milter[1]: E198D2B8B1E: "
		  "from=<t@x.test>, nrcpt=1, subject=\"a, b c\" ");
	ck_span(logline_kv_get(&ll, "subject"), "a, b c");
}
END_TEST

START_TEST(test_ports_offsets_remote)
{
	struct logline ll;
	struct logline_opts o;
	char *saved;

	parse_utc(&ll, rfc_stamps[0].line);
	ck_assert_int_eq(ll.utc_offset, 9 * 3600);
	parse_utc(&ll, rfc_stamps[3].line);
	ck_assert_int_eq(ll.utc_offset, -(2 * 3600 + 30 * 60));
	parse_utc(&ll, bsd_stamps[0].line);
	ck_assert_int_eq(ll.utc_offset, 0);
	saved = set_tz("Europe/Berlin");
	logline_opts_init(&o, REF_NOW);
	logline_parse(&ll, bsd_stamps[0].line, strlen(bsd_stamps[0].line), &o);
	ck_assert_int_eq(ll.utc_offset, 7200);	/* June: CEST */
	restore_tz(saved);

	parse_utc(&ll, deliveries[1].line);
	ck_span(ll.reply.remote_text, "550 5.1.1 <nouser1@remote.test>: "
		"Recipient address rejected: User unknown in relay recipient "
		"table");
	ck_span(ll.relay_name, "127.0.0.1");
	ck_span(ll.relay_addr, "127.0.0.1");
	ck_span(ll.relay_port, "10026");
	parse_utc(&ll, deliveries[4].line);	/* relay=none */
	ck_span(ll.relay, "none");
	ck_span(ll.relay_name, "127.0.0.1");	/* from "connect to" */
	ck_span(ll.reply.port, "10031");
	parse_utc(&ll, deliveries[6].line);	/* relay=none, no host */
	ck_span(ll.relay_name, NULL);
	parse_utc(&ll, deliveries[12].line);	/* relay=local */
	ck_span(ll.relay_name, "local");
	ck_span(ll.relay_addr, NULL);
	parse_utc(&ll, deliveries[16].line);	/* lmtp socket path */
	ck_span(ll.relay_addr, "/var/run/dovecot/lmtp");
	ck_span(ll.relay_port, NULL);
	parse_utc(&ll, kinds[19].line);		/* postscreen [ip]:port */
	ck_span(ll.client_port, "40001");
}
END_TEST

/* ---------------------------------------------------------------- */
/* Hostile and broken input */

START_TEST(test_hostile_reply)
{
	struct logline ll;

	/* the remote's text mimics fields: nothing changes */
	ck_assert_int_eq(parse_utc(&ll, "Nov 22 08:54:38 mail postfix/smtp[1]: "
		"EBD9AA722EB: to=<real@remote.test>, relay=mx[192.0.2.1]:25, "
		"delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx"
		"[192.0.2.1] said: 550 5.1.1 status=sent to=<evil@x> dsn=2.0.0, "
		"relay=fake (in reply to RCPT TO command))"), LL_DELIVERY);
	ck_assert_int_eq(ll.status, LL_STATUS_BOUNCED);
	ck_span(ll.to, "real@remote.test");
	ck_span(ll.dsn, "5.1.1");
	ck_span(ll.relay, "mx[192.0.2.1]:25");
	ck_span(logline_kv_get(&ll, "status"), "bounced");
	ck_assert_uint_eq(ll.nkv, 6);
	ck_span(ll.reply.message, "status=sent to=<evil@x> dsn=2.0.0, "
		"relay=fake");
	/* a fake "(in reply to" inside, the real one at the end */
	ck_assert_int_eq(parse_utc(&ll, "Nov 22 08:54:38 mail postfix/smtp[1]: "
		"EBD9AA722EB: to=<a@b>, relay=mx[192.0.2.1]:25, delay=1, delays="
		"0/0/0/1, dsn=5.0.0, status=bounced (host mx[192.0.2.1] said: "
		"550 5.0.0 x (in reply to DATA command) y (in reply to RCPT TO "
		"command))"), LL_DELIVERY);
	ck_assert_int_eq(ll.reply.command, LL_CMD_RCPT);
	ck_span(ll.reply.message, "x (in reply to DATA command) y");
	/* CR/LF escapes, invalid UTF-8, control bytes stay inside the span */
	{
		static const char l[] = "Nov 22 08:54:38 mail postfix/smtp[1]: "
		    "EBD9AA722EB: to=<a@b>, relay=mx[192.0.2.1]:25, delay=1, "
		    "delays=0/0/0/1, dsn=5.0.0, status=bounced (host mx[192.0.2.1]"
		    " said: 550 5.0.0 bad\\r\\nQUIT \xff\xfe\xc3 \x1b[31m "
		    "(in reply to RCPT TO command))";

		ck_assert_int_eq(parse_utc(&ll, l), LL_DELIVERY);
		ck_span(ll.reply.message, "bad\\r\\nQUIT \xff\xfe\xc3 \x1b[31m");
		ck_assert_int_eq(ll.status, LL_STATUS_BOUNCED);
	}
	/* a recipient whose quoted local part holds "status=sent" */
	ck_assert_int_eq(parse_utc(&ll, "Nov 22 08:54:38 mail postfix/smtp[1]: "
		"EBD9AA722EB: to=<\"x, status=sent (ok)\"@b>, relay=none, delay=1,"
		" delays=0/0/0/1, dsn=4.4.1, status=deferred (connect to b[192.0."
		"2.1]:25: Connection refused)"), LL_DELIVERY);
	ck_span(ll.to, "\"x, status=sent (ok)\"@b");
	ck_assert_int_eq(ll.status, LL_STATUS_DEFERRED);
}
END_TEST

START_TEST(test_nul_and_binary)
{
	struct logline ll;
	static const char nul[] = "Nov 22 08:54:38 mail postfix/smtp[1]: "
	    "EBD9AA722EB: to=<a@b>, relay=none, delay=1, delays=0/0/0/1, dsn="
	    "4.4.1, status=deferred (x\0y)";
	char bin[512];

	ck_assert_int_eq(logline_parse(&ll, nul, sizeof(nul) - 1, NULL),
			 LL_MALFORMED);
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i * 7 + 3);
	ck_assert_int_eq(logline_parse(&ll, bin, sizeof(bin), NULL),
			 LL_MALFORMED);
	/* the parser still works for the next line */
	ck_assert_int_eq(parse_utc(&ll, kinds[0].line), LL_CONNECT);
}
END_TEST

/*
 * Near-1 MiB lines built from one fragment repeated: brackets without an
 * end, endless "from" words, unclosed <, semicolons.  Each must parse (in
 * linear time: the scans are bounded) to some kind, spans inside the line.
 */
static const char *const worst_heads[] = {
	"Nov 22 08:54:38 mail postfix/smtpd[1]: improper command pipelining "
	"after EHLO from x[192.0.2.4]: ",
	"Nov 22 08:54:38 mail postfix/smtp[1]: ",
	"Nov 22 08:54:38 mail postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
	"x[192.0.2.4]: 550 5.1.1 ",
	"Nov 22 08:54:38 mail postfix/smtp[1]: EBD9AA722EB: to=<a@b>, "
	"relay=none, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (",
	"Nov 22 08:54:38 mail postfix/cleanup[1]: EBD9AA722EB: reject: header ",
	"Nov 22 08:54:38 mail postfix/smtpd[1]: ",
};
static const char *const worst_units[] = {
	" from a[", "a[", "; a=", "to=<a", " from ", "(in reply to ",
	"queued as ", "[", "=<", ";", "host a[b] said: ",
};
#define N_WORST_UNITS (sizeof(worst_units) / sizeof(worst_units[0]))

START_TEST(test_worst_case_lines)
{
	const char *head = worst_heads[_i / N_WORST_UNITS];
	const char *unit = worst_units[_i % N_WORST_UNITS];
	size_t hl = strlen(head), ul = strlen(unit), n = hl;
	size_t cap = LOGLINE_MAX_LEN - 64;
	char *line = malloc(cap);
	struct logline ll;

	ck_assert_ptr_nonnull(line);
	memcpy(line, head, hl);
	while (n + ul <= cap) {
		memcpy(line + n, unit, ul);
		n += ul;
	}
	ck_assert_int_lt(logline_parse(&ll, line, n, NULL), LL_KIND_COUNT);
	ck_assert(ll.kind != LL_MALFORMED && ll.kind != LL_NOT_POSTFIX);
	if (ll.reply.text.p != NULL)
		ck_assert(ll.reply.text.p >= line &&
			  ll.reply.text.p + ll.reply.text.len <= line + n);
	if (ll.client.p != NULL)
		ck_assert(ll.client.p >= line &&
			  ll.client.p + ll.client.len <= line + n);
	free(line);
}
END_TEST

/* a reason repeated after "delivery temporarily suspended: " many times */
START_TEST(test_nested_suspended)
{
	static const char head[] = "Nov 22 08:54:38 mail postfix/error[1]: "
	    "EBD9AA722EB: to=<a@b>, relay=none, delay=1, delays=0/0/0/1, dsn="
	    "4.4.1, status=deferred (";
	static const char pre[] = "delivery temporarily suspended: ";
	static const char tail[] = "connect to mx.example.test[192.0.2.1]:25:"
	    " Connection timed out)";
	size_t hl = sizeof(head) - 1, pl = sizeof(pre) - 1, n = 20000;
	size_t len = hl + n * pl + sizeof(tail) - 1;
	char *line = malloc(len);
	struct logline ll;

	ck_assert_ptr_nonnull(line);
	memcpy(line, head, hl);
	for (size_t i = 0; i < n; i++)
		memcpy(line + hl + i * pl, pre, pl);
	memcpy(line + hl + n * pl, tail, sizeof(tail) - 1);
	ck_assert_int_eq(logline_parse(&ll, line, len, NULL), LL_DELIVERY);
	ck_assert_int_eq(ll.reply.own, LL_OWN_SUSPENDED);
	ck_span(ll.reply.host, "mx.example.test");
	ck_span(ll.reply.message, "Connection timed out");
	ck_assert_ptr_eq(ll.reply.text.p, line + hl);
	free(line);
}
END_TEST

START_TEST(test_overlong)
{
	struct logline ll;
	static const char head[] = "Nov 22 08:54:38 mail postfix/smtp[1]: "
	    "EBD9AA722EB: to=<a@b>, relay=none, delay=1, delays=0/0/0/1, dsn="
	    "4.4.1, status=deferred (";
	size_t len = LOGLINE_MAX_LEN + 4096, hl = sizeof(head) - 1;
	char *big = malloc(len);

	ck_assert_ptr_nonnull(big);
	memcpy(big, head, hl);
	memset(big + hl, 'x', len - hl - 1);
	big[len - 1] = ')';
	ck_assert_int_eq(logline_parse(&ll, big, len, NULL), LL_MALFORMED);
	/* exactly at the limit is still read */
	memmove(big + LOGLINE_MAX_LEN - 1, big + len - 1, 1);
	ck_assert_int_eq(logline_parse(&ll, big, LOGLINE_MAX_LEN, NULL),
			 LL_DELIVERY);
	ck_assert_uint_eq(ll.reply.message.len, LOGLINE_MAX_LEN - hl - 1);
	free(big);
}
END_TEST

/* every prefix of a line parses inside its bounds (ASan checks reads) */
START_TEST(test_truncated)
{
	const char *src = _i < (int)(sizeof(deliveries) /
				     sizeof(deliveries[0])) ?
	    deliveries[_i].line :
	    kinds[_i - sizeof(deliveries) / sizeof(deliveries[0])].line;
	size_t n = strlen(src);
	struct logline ll;
	struct logline_opts o;

	logline_opts_init(&o, REF_NOW);
	for (size_t k = 0; k <= n; k++) {
		char *cut = malloc(k ? k : 1);

		ck_assert_ptr_nonnull(cut);
		memcpy(cut, src, k);
		logline_parse(&ll, cut, k, &o);
		ck_assert_int_lt(ll.kind, LL_KIND_COUNT);
		if (ll.queue_id.p != NULL)
			ck_assert(ll.queue_id.p >= cut &&
				  ll.queue_id.p + ll.queue_id.len <= cut + k);
		free(cut);
	}
}
END_TEST

/* ---------------------------------------------------------------- */
/* Time zones and years */

/* set_tz - switch the process time zone; returns the old TZ or NULL */
static char *
set_tz(const char *tz)
{
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;

	setenv("TZ", tz, 1);
	tzset();
	return saved;
}

/* restore_tz - put back the TZ saved by set_tz */
static void
restore_tz(char *saved)
{
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

START_TEST(test_dst_berlin)
{
	char *saved = set_tz("Europe/Berlin");
	struct logline ll;
	struct logline_opts o;
	static const struct {
		const char *line;
		int64_t want;
	} t[] = {
		/* winter, CET = UTC+1 */
		{ "Jan 15 12:00:00 h postfix/smtpd[1]: x", 0 },
		/* summer, CEST = UTC+2 */
		{ "Jul 15 12:00:00 h postfix/smtpd[1]: x", 0 },
		/* 2026-03-29 02:30 does not exist: read as standard time */
		{ "Mar 29 02:30:00 h postfix/smtpd[1]: x", 0 },
		/* 2026-10-25 02:30 happens twice: the first (CEST) is taken */
		{ "Oct 25 02:30:00 h postfix/smtpd[1]: x", 0 },
		/* just after the repeated hour: CET again */
		{ "Oct 25 03:30:00 h postfix/smtpd[1]: x", 0 },
		{ "Oct 25 01:59:59 h postfix/smtpd[1]: x", 0 },
	};
	int64_t want[] = {
		utc(2026, 1, 15, 11, 0, 0), utc(2026, 7, 15, 10, 0, 0),
		utc(2026, 3, 29, 1, 30, 0), utc(2026, 10, 25, 0, 30, 0),
		utc(2026, 10, 25, 2, 30, 0), utc(2026, 10, 24, 23, 59, 59),
	};

	logline_opts_init(&o, REF_NOW);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_int_eq(logline_parse(&ll, t[i].line,
					       strlen(t[i].line), &o), LL_OTHER);
		ck_assert_msg(ll.time == want[i], "%s: got %lld want %lld",
			      t[i].line, (long long)ll.time,
			      (long long)want[i]);
	}
	/* the cache gives the same answers when lines repeat and interleave */
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = sizeof(t) / sizeof(t[0]); i-- > 0;) {
			logline_parse(&ll, t[i].line, strlen(t[i].line), &o);
			ck_assert_int_eq(ll.time, want[i]);
		}
	/* local_is_utc ignores TZ */
	o.local_is_utc = true;
	logline_parse(&ll, t[1].line, strlen(t[1].line), &o);
	ck_assert_int_eq(ll.time, utc(2026, 7, 15, 12, 0, 0));
	/* RFC 3339 stamps carry their offset and never consult TZ */
	o.local_is_utc = false;
	ck_assert_int_eq(logline_parse(&ll, rfc_stamps[0].line,
				       strlen(rfc_stamps[0].line), &o), LL_OTHER);
	ck_assert_int_eq(ll.time, rfc_stamps[0].time);
	restore_tz(saved);
}
END_TEST

/*
 * same_as_fresh - parse line with o (its caches warm from earlier lines)
 * and with fresh options of the same reference time and time zone mode:
 * the time, fraction, offset and stamp must agree.  Returns the time.
 */
static int64_t
same_as_fresh(struct logline_opts *o, const char *line)
{
	struct logline a, b;
	struct logline_opts f;

	logline_opts_init(&f, o->ref_time);
	f.local_is_utc = o->local_is_utc;
	ck_assert_int_eq(logline_parse(&a, line, strlen(line), o), LL_OTHER);
	ck_assert_int_eq(logline_parse(&b, line, strlen(line), &f), LL_OTHER);
	ck_assert_int_eq(a.time, b.time);
	ck_assert_int_eq(a.usec, b.usec);
	ck_assert_int_eq(a.utc_offset, b.utc_offset);
	ck_assert_int_eq(a.time_rfc3339, b.time_rfc3339);
	ck_assert_uint_eq(a.timestamp.len, b.timestamp.len);
	ck_assert_ptr_eq(a.timestamp.p, b.timestamp.p);
	return a.time;
}

/* A line in the same second as the line before reuses its time: only
 * when every byte of the stamp and the reading of it are the same. */
START_TEST(test_same_second_reuse)
{
	struct logline_opts o;
	char *saved;

	/* BSD: the last digit, the minute, the day and the year change */
	logline_opts_init(&o, utc(2026, 12, 31, 23, 59, 0));
	o.local_is_utc = true;
	ck_assert_int_eq(same_as_fresh(&o, "Dec 31 23:59:58 h postfix/smtpd[1]: x"),
			 utc(2026, 12, 31, 23, 59, 58));
	ck_assert_int_eq(same_as_fresh(&o, "Dec 31 23:59:58 h postfix/qmgr[2]: y"),
			 utc(2026, 12, 31, 23, 59, 58));
	ck_assert_int_eq(same_as_fresh(&o, "Dec 31 23:59:59 h postfix/qmgr[2]: y"),
			 utc(2026, 12, 31, 23, 59, 59));
	ck_assert_int_eq(same_as_fresh(&o, "Dec 31 23:59:59 h postfix/qmgr[2]: y"),
			 utc(2026, 12, 31, 23, 59, 59));
	o.ref_time = utc(2026, 12, 31, 23, 59, 59);
	ck_assert_int_eq(same_as_fresh(&o, "Jan  1 00:00:00 h postfix/qmgr[2]: y"),
			 utc(2027, 1, 1, 0, 0, 0));
	ck_assert_int_eq(same_as_fresh(&o, "Jan  1 00:00:00 h postfix/qmgr[2]: y"),
			 utc(2027, 1, 1, 0, 0, 0));
	ck_assert_int_eq(same_as_fresh(&o, "Jan  1 00:00:01 h postfix/qmgr[2]: y"),
			 utc(2027, 1, 1, 0, 0, 1));
	/* the same bytes, read a year later: another year */
	ck_assert_int_eq(same_as_fresh(&o, "Dec 31 23:59:59 h postfix/qmgr[2]: y"),
			 utc(2026, 12, 31, 23, 59, 59));
	o.ref_time = utc(2028, 1, 15, 0, 0, 0);
	ck_assert_int_eq(same_as_fresh(&o, "Dec 31 23:59:59 h postfix/qmgr[2]: y"),
			 utc(2027, 12, 31, 23, 59, 59));
	/* the day changes in the stamp's last day digit only */
	o.ref_time = utc(2026, 6, 30, 0, 0, 0);
	ck_assert_int_eq(same_as_fresh(&o, "Jun 21 10:00:00 h postfix/qmgr[2]: y"),
			 utc(2026, 6, 21, 10, 0, 0));
	ck_assert_int_eq(same_as_fresh(&o, "Jun 22 10:00:00 h postfix/qmgr[2]: y"),
			 utc(2026, 6, 22, 10, 0, 0));
	/* the same bytes read as local time after UTC: another time */
	saved = set_tz("Europe/Berlin");
	ck_assert_int_eq(same_as_fresh(&o, "Jun 22 10:00:00 h postfix/qmgr[2]: y"),
			 utc(2026, 6, 22, 10, 0, 0));
	o.local_is_utc = false;
	ck_assert_int_eq(same_as_fresh(&o, "Jun 22 10:00:00 h postfix/qmgr[2]: y"),
			 utc(2026, 6, 22, 8, 0, 0));
	ck_assert_int_eq(same_as_fresh(&o, "Jun 22 10:00:00 h postfix/qmgr[2]: y"),
			 utc(2026, 6, 22, 8, 0, 0));
	o.local_is_utc = true;
	ck_assert_int_eq(same_as_fresh(&o, "Jun 22 10:00:00 h postfix/qmgr[2]: y"),
			 utc(2026, 6, 22, 10, 0, 0));
	restore_tz(saved);

	/* RFC 3339: the fraction, the last digit, the zone, the year */
	logline_opts_init(&o, 0);
	ck_assert_int_eq(same_as_fresh(&o, "2026-12-31T23:59:58.100000+00:00 h postfix/qmgr[2]: y"),
			 utc(2026, 12, 31, 23, 59, 58));
	ck_assert_int_eq(same_as_fresh(&o, "2026-12-31T23:59:58.900000+00:00 h postfix/qmgr[2]: y"),
			 utc(2026, 12, 31, 23, 59, 58));
	ck_assert_int_eq(same_as_fresh(&o, "2026-12-31T23:59:59.900000+00:00 h postfix/qmgr[2]: y"),
			 utc(2026, 12, 31, 23, 59, 59));
	ck_assert_int_eq(same_as_fresh(&o, "2026-12-31T23:59:59.950000+01:00 h postfix/qmgr[2]: y"),
			 utc(2026, 12, 31, 22, 59, 59));
	ck_assert_int_eq(same_as_fresh(&o, "2026-12-31T23:59:59.960000+01:30 h postfix/qmgr[2]: y"),
			 utc(2026, 12, 31, 22, 29, 59));
	ck_assert_int_eq(same_as_fresh(&o, "2026-12-31T23:59:59.970000-01:30 h postfix/qmgr[2]: y"),
			 utc(2027, 1, 1, 1, 29, 59));
	ck_assert_int_eq(same_as_fresh(&o, "2026-12-31T23:59:59.980000Z h postfix/qmgr[2]: y"),
			 utc(2026, 12, 31, 23, 59, 59));
	ck_assert_int_eq(same_as_fresh(&o, "2026-12-31T23:59:59.990000-01:30 h postfix/qmgr[2]: y"),
			 utc(2027, 1, 1, 1, 29, 59));
	ck_assert_int_eq(same_as_fresh(&o, "2027-01-01T00:00:00.000001+00:00 h postfix/qmgr[2]: y"),
			 utc(2027, 1, 1, 0, 0, 0));
	ck_assert_int_eq(same_as_fresh(&o, "2027-01-01T00:00:00+00:00 h postfix/qmgr[2]: y"),
			 utc(2027, 1, 1, 0, 0, 0));
	ck_assert_int_eq(same_as_fresh(&o, "2027-01-01t00:00:00+00:00 h postfix/qmgr[2]: y"),
			 utc(2027, 1, 1, 0, 0, 0));
	/* a stamp cut short after the same second, and a bad zone */
	{
		struct logline ll;
		static const char cut[] = "2027-01-01T00:00:00";
		static const char bad[] = "2027-01-01T00:00:00+0x:00 h postfix/qmgr[2]: y";

		ck_assert_int_eq(logline_parse(&ll, cut, sizeof(cut) - 1, &o),
				 LL_MALFORMED);
		ck_assert_int_eq(logline_parse(&ll, bad, sizeof(bad) - 1, &o),
				 LL_MALFORMED);
	}
	/* BSD and RFC 3339 lines interleaved keep their own caches */
	logline_opts_init(&o, utc(2026, 11, 19, 0, 0, 0));
	o.local_is_utc = true;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(same_as_fresh(&o, "Nov 19 00:00:00 mx1 postfix/qmgr[99]: y"),
				 utc(2026, 11, 19, 0, 0, 0));
		ck_assert_int_eq(same_as_fresh(&o, "2026-11-19T00:00:01.230606+00:00 mail3 postfix/smtpd[2813]: x"),
				 utc(2026, 11, 19, 0, 0, 1));
	}
}
END_TEST

START_TEST(test_new_year)
{
	struct logline ll;
	struct logline_opts o;
	static const char dec[] = "Dec 31 23:59:59 h postfix/smtpd[1]: x";
	static const char jan[] = "Jan  1 00:00:05 h postfix/smtpd[1]: x";
	static const char feb29[] = "Feb 29 12:00:00 h postfix/smtpd[1]: x";

	/* reading in January a line from December: last year */
	logline_opts_init(&o, utc(2027, 1, 2, 8, 0, 0));
	o.local_is_utc = true;
	logline_parse(&ll, dec, sizeof(dec) - 1, &o);
	ck_assert_int_eq(ll.time, utc(2026, 12, 31, 23, 59, 59));
	logline_parse(&ll, jan, sizeof(jan) - 1, &o);
	ck_assert_int_eq(ll.time, utc(2027, 1, 1, 0, 0, 5));
	/* reading an old file line by line across New Year */
	o.ref_time = utc(2026, 12, 31, 23, 59, 59);
	logline_parse(&ll, jan, sizeof(jan) - 1, &o);
	ck_assert_int_eq(ll.time, utc(2027, 1, 1, 0, 0, 5));
	/* a line from months ago in the same year stays in that year */
	o.ref_time = utc(2026, 11, 28, 0, 0, 0);
	logline_parse(&ll, jan, sizeof(jan) - 1, &o);
	ck_assert_int_eq(ll.time, utc(2026, 1, 1, 0, 0, 5));
	/* Feb 29 goes to the nearest leap year not in the future */
	o.ref_time = utc(2029, 3, 1, 0, 0, 0);
	logline_parse(&ll, feb29, sizeof(feb29) - 1, &o);
	ck_assert_int_eq(ll.kind, LL_OTHER);
	ck_assert_int_eq(ll.time, utc(2028, 2, 29, 12, 0, 0));
	/* local time too: Berlin in January, line from Berlin's December */
	{
		char *saved = set_tz("Europe/Berlin");

		o.local_is_utc = false;
		o.ref_time = utc(2027, 1, 2, 8, 0, 0);
		logline_parse(&ll, dec, sizeof(dec) - 1, &o);
		ck_assert_int_eq(ll.time, utc(2026, 12, 31, 22, 59, 59));
		restore_tz(saved);
	}
}
END_TEST

/* ---------------------------------------------------------------- */
/* Replays: the fuzz corpus, crashers, recorded fixtures */

/* replay_dir - parse every file of a directory; returns how many */
static int
replay_dir(const char *rel)
{
	char dir[4096], path[8192];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s", tu_path(rel));
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		struct logline ll;
		struct logline_opts o;
		char *data, *copy;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		data = tu_read_file(path, &len);
		ck_assert_msg(data != NULL, "cannot read %s", path);
		/* an exact-size copy, so ASan sees any read past the end */
		copy = malloc(len ? len : 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, data, len);
		logline_opts_init(&o, REF_NOW);
		ck_assert_int_lt(logline_parse(&ll, copy, len, &o),
				 LL_KIND_COUNT);
		o.local_is_utc = true;
		ck_assert_int_lt(logline_parse(&ll, copy, len, &o),
				 LL_KIND_COUNT);
		free(copy);
		free(data);
		n++;
	}
	closedir(d);
	return n;
}

START_TEST(test_replay_corpus)
{
	ck_assert_int_gt(replay_dir("fuzz/corpus/fuzz_logline"), 0);
	/* crashers are optional, but must all parse when present */
	ck_assert_int_ne(replay_dir("tests/data/crashers"), 0);
}
END_TEST

/* ---------------------------------------------------------------- */
/* Recorded fixtures from a real Postfix 3.7 (tests/fixtures) */

/* Fixtures are recorded in UTC on 2026-11-28; read them near that day. */
#define FIXTURE_REF (INT64_C(1795824000) + 86400)

/* one parsed fixture file: the text and each line's start and length */
struct fixture {
	char *data;
	size_t n;
	const char *line[4096];
	size_t len[4096];
};

/* fixture_load - read a fixture and split it into lines ('#' skipped) */
static void
fixture_load(struct fixture *fx, const char *rel)
{
	char *p, *e;
	size_t len;

	fx->data = tu_read_file(tu_path(rel), &len);
	ck_assert_msg(fx->data != NULL, "cannot read %s", rel);
	fx->n = 0;
	for (p = fx->data, e = fx->data + len; p < e;) {
		char *nl = memchr(p, '\n', (size_t)(e - p));
		char *end = nl ? nl : e;

		if (end > p && *p != '#') {
			ck_assert_uint_lt(fx->n, 4096);
			fx->line[fx->n] = p;
			fx->len[fx->n++] = (size_t)(end - p);
		}
		p = end + 1;
	}
}

/* fixture_find - parse lines until one has the kind and contains needle */
static bool
fixture_find(const struct fixture *fx, struct logline *ll,
	     enum logline_kind kind, const char *needle)
{
	struct logline_opts o;

	logline_opts_init(&o, FIXTURE_REF);
	o.local_is_utc = true;
	for (size_t i = 0; i < fx->n; i++) {
		if (needle != NULL &&
		    memmem(fx->line[i], fx->len[i], needle, strlen(needle)) ==
		    NULL)
			continue;
		if (logline_parse(ll, fx->line[i], fx->len[i], &o) == kind)
			return true;
	}
	return false;
}

/* every line of every recorded fixture is a Postfix line we understand */
START_TEST(test_fixtures_all_lines)
{
	static const char *const dirs[] = { "tests/fixtures/logs",
					    "tests/fixtures/derived" };
	unsigned files = 0, lines = 0;

	for (size_t d = 0; d < 2; d++) {
		DIR *dir = opendir(tu_path(dirs[d]));
		struct dirent *de;

		ck_assert_msg(dir != NULL, "no %s", dirs[d]);
		while ((de = readdir(dir)) != NULL) {
			static struct fixture fx;
			char rel[512];
			size_t nl = strlen(de->d_name);
			struct logline_opts o;
			struct logline ll;

			if (nl < 4 || strcmp(de->d_name + nl - 4, ".log") != 0)
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", dirs[d], de->d_name);
			fixture_load(&fx, rel);
			logline_opts_init(&o, FIXTURE_REF);
			o.local_is_utc = true;
			for (size_t i = 0; i < fx.n; i++) {
				enum logline_kind k = logline_parse(&ll,
				    fx.line[i], fx.len[i], &o);

				ck_assert_msg(k != LL_MALFORMED &&
					      k != LL_NOT_POSTFIX,
					      "%s: %s: %.*s", rel,
					      logline_kind_name(k),
					      (int)fx.len[i], fx.line[i]);
				ck_assert_msg(ll.time >= utc(2026, 11, 28, 0, 0, 0)
					      && ll.time < utc(2026, 11, 29, 0, 0,
							       0), "%s: year", rel);
				ck_assert(ll.instance.p != NULL);
				lines++;
			}
			free(fx.data);
			files++;
		}
		closedir(dir);
	}
	ck_assert_uint_ge(files, 10);
	ck_assert_uint_ge(lines, 500);
}
END_TEST

/* representative lines of each scenario, with their key fields */
START_TEST(test_fixtures_fields)
{
	static struct fixture fx, mx;
	struct logline ll, m;
	char qas[64];

	/* sent: the remote's "queued as" is a long ID that B logs itself */
	fixture_load(&fx, "tests/fixtures/logs/sent.log");
	ck_assert(fixture_find(&fx, &ll, LL_DELIVERY, "status=sent"));
	ck_assert_int_eq(ll.status, LL_STATUS_SENT);
	ck_span(ll.dsn, "2.0.0");
	ck_assert_uint_eq(ll.reply.smtp_code, 250);
	ck_assert_int_eq(ll.reply.own, LL_OWN_QUEUED_AS);
	ck_assert_uint_ge(ll.reply.queued_as.len, 12);
	ck_span(ll.relay_addr, "127.0.0.1");
	ck_assert(ll.relay_port.len > 0);
	span_copy(qas, sizeof(qas), ll.reply.queued_as);
	fixture_load(&mx, "tests/fixtures/logs/remote-mx.log");
	ck_assert_msg(fixture_find(&mx, &m, LL_QUEUED, qas),
		      "queued as %s not found in remote-mx.log", qas);
	ck_span(m.queue_id, qas);
	ck_span(m.instance, "postfix-mx");
	ck_span(m.daemon, "qmgr");
	free(mx.data);
	ck_assert(fixture_find(&fx, &ll, LL_CLIENT, NULL));
	ck_span(ll.client, "localhost[127.0.0.1]");
	ck_assert(fixture_find(&fx, &ll, LL_MESSAGE_ID, NULL));
	ck_assert(ll.message_id.len > 0);
	ck_assert(fixture_find(&fx, &ll, LL_QUEUED, NULL));
	ck_span(ll.nrcpt, "1");
	ck_assert(fixture_find(&fx, &ll, LL_REMOVED, NULL));
	free(fx.data);

	/* bounce 5.1.1 at RCPT, then the NDR */
	fixture_load(&fx, "tests/fixtures/logs/bounce-5.1.1.log");
	ck_assert(fixture_find(&fx, &ll, LL_DELIVERY, "status=bounced"));
	ck_assert_int_eq(ll.status, LL_STATUS_BOUNCED);
	ck_span(ll.to, "nouser@remote.test");
	ck_span(ll.dsn, "5.1.1");
	ck_assert_uint_eq(ll.reply.smtp_code, 550);
	ck_span(ll.reply.dsn, "5.1.1");
	ck_assert_int_eq(ll.reply.command, LL_CMD_RCPT);
	ck_span(ll.reply.host, "127.0.0.1");
	ck_assert(fixture_find(&fx, &ll, LL_NOTIFICATION, NULL));
	ck_span(ll.notify_kind, "non-delivery");
	ck_assert_uint_ge(ll.notify_qid.len, 6);
	free(fx.data);

	/* greylisted, then sent */
	fixture_load(&fx, "tests/fixtures/logs/deferred-then-sent.log");
	ck_assert(fixture_find(&fx, &ll, LL_DELIVERY, "status=deferred"));
	ck_assert_uint_eq(ll.reply.smtp_code, 451);
	ck_span(ll.reply.dsn, "4.7.1");
	ck_assert(fixture_find(&fx, &ll, LL_DELIVERY, "status=sent"));
	free(fx.data);

	/* expired */
	fixture_load(&fx, "tests/fixtures/logs/deferred-expired.log");
	ck_assert(fixture_find(&fx, &ll, LL_EXPIRED, NULL));
	ck_assert_int_eq(ll.status, LL_STATUS_EXPIRED);
	ck_span(ll.status_note, "returned to sender");
	ck_span(ll.from, "alice@client.test");
	ck_assert(fixture_find(&fx, &ll, LL_DELIVERY, "452 4.2.2"));
	ck_assert_int_eq(ll.status, LL_STATUS_DEFERRED);
	free(fx.data);

	/* force-expired by postsuper -e */
	fixture_load(&fx, "tests/fixtures/logs/force-expired.log");
	ck_assert(fixture_find(&fx, &ll, LL_ADMIN, NULL));
	ck_span(ll.admin_action, "expired");
	ck_span(ll.daemon, "postsuper");
	ck_assert(fixture_find(&fx, &ll, LL_EXPIRED, NULL));
	ck_assert_int_eq(ll.status, LL_STATUS_FORCE_EXPIRED);
	free(fx.data);

	/* NOQUEUE and post-queue rejects */
	fixture_load(&fx, "tests/fixtures/logs/noqueue-reject.log");
	ck_assert(fixture_find(&fx, &ll, LL_REJECT, "NOQUEUE"));
	ck_assert(ll.noqueue);
	ck_span(ll.reject_stage, "RCPT");
	ck_assert_uint_eq(ll.reply.smtp_code, 554);
	ck_span(ll.to, "x@blocked.test");
	ck_span(ll.client_addr, "127.0.0.1");
	ck_assert(fixture_find(&fx, &ll, LL_REJECT, "y@blocked.test"));
	ck_assert(!ll.noqueue);
	ck_assert_uint_ge(ll.queue_id.len, 6);
	free(fx.data);

	/* content reject at end of DATA */
	fixture_load(&fx, "tests/fixtures/logs/content-reject.log");
	ck_assert(fixture_find(&fx, &ll, LL_DELIVERY, "status=bounced"));
	ck_assert_int_eq(ll.reply.command, LL_CMD_END_OF_DATA);
	ck_span(ll.dsn, "5.7.1");
	free(fx.data);

	/* content filter: the first hop's NEWID is delivered in the same log */
	fixture_load(&fx, "tests/fixtures/logs/content-filter.log");
	ck_assert(fixture_find(&fx, &ll, LL_DELIVERY, "status=sent"));
	ck_assert(ll.reply.queued_as.p != NULL);
	span_copy(qas, sizeof(qas), ll.reply.queued_as);
	ck_assert(fixture_find(&fx, &m, LL_QUEUED, qas));
	ck_span(m.queue_id, qas);
	free(fx.data);

	/* local(8) unknown user */
	fixture_load(&fx, "tests/fixtures/logs/local-unknown-user.log");
	ck_assert(fixture_find(&fx, &ll, LL_DELIVERY, "postfix/local"));
	ck_assert_int_eq(ll.reply.own, LL_OWN_UNKNOWN_USER);
	ck_span(ll.relay, "local");
	ck_assert_int_eq(ll.status, LL_STATUS_BOUNCED);
	free(fx.data);

	/* error(8) transport, reached by a local submission (pickup) */
	fixture_load(&fx, "tests/fixtures/logs/error-transport.log");
	ck_assert(fixture_find(&fx, &ll, LL_DELIVERY, "postfix/error"));
	ck_span(ll.relay, "none");
	ck_span(ll.dsn, "5.1.2");
	ck_span(ll.daemon, "error");
	ck_assert(fixture_find(&fx, &ll, LL_PICKUP, NULL));
	ck_span(ll.uid, "0");
	ck_span(ll.from, "alice@client.test");
	ck_assert(fixture_find(&fx, &ll, LL_REJECT, "NOQUEUE"));
	ck_assert_uint_eq(ll.reply.smtp_code, 550);
	free(fx.data);

	/* connection refused, then postsuper -d */
	fixture_load(&fx, "tests/fixtures/logs/connection-refused.log");
	ck_assert(fixture_find(&fx, &ll, LL_DELIVERY, "status=deferred"));
	ck_assert_int_eq(ll.reply.own, LL_OWN_CONNECT_REFUSED);
	ck_span(ll.dsn, "4.4.1");
	ck_assert(fixture_find(&fx, &ll, LL_REMOVED, "postsuper"));
	free(fx.data);

	/* delay notification */
	fixture_load(&fx, "tests/fixtures/logs/delay-notification.log");
	ck_assert(fixture_find(&fx, &ll, LL_NOTIFICATION, NULL));
	ck_span(ll.notify_kind, "delay");
	ck_span(ll.notify_who, "sender");
	free(fx.data);

	/* the remote MX (instance B): long queue IDs, its own rejects */
	fixture_load(&fx, "tests/fixtures/logs/remote-mx.log");
	ck_assert(fixture_find(&fx, &ll, LL_REJECT, "452 4.2.2"));
	ck_span(ll.instance, "postfix-mx");
	ck_assert(fixture_find(&fx, &ll, LL_DELIVERY, "postfix-mx/discard"));
	ck_assert_int_eq(ll.status, LL_STATUS_SENT);
	ck_assert(ll.queue_id.len >= 12 &&
		  memchr(ll.queue_id.p, 'z', ll.queue_id.len) != NULL);
	free(fx.data);
}
END_TEST

Suite *
logline_suite(void)
{
	Suite *s = suite_create("logline");
	TCase *tc;

	tc = tcase_create("head");
	tcase_add_loop_test(tc, test_bsd_stamp, 0,
			    sizeof(bsd_stamps) / sizeof(bsd_stamps[0]));
	tcase_add_loop_test(tc, test_rfc3339_stamp, 0,
			    sizeof(rfc_stamps) / sizeof(rfc_stamps[0]));
	tcase_add_test(tc, test_pri_and_collector_prefix);
	tcase_add_loop_test(tc, test_syslog_name, 0,
			    sizeof(prog_names) / sizeof(prog_names[0]));
	tcase_add_test(tc, test_head_oddities);
	tcase_add_test(tc, test_skip_counters);
	tcase_add_loop_test(tc, test_skip_peers, 0,
			    sizeof(peer_lines) / sizeof(peer_lines[0]));
	tcase_add_test(tc, test_severity);
	tcase_add_loop_test(tc, test_queue_id, 0,
			    sizeof(qids) / sizeof(qids[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("delivery");
	tcase_add_loop_test(tc, test_delivery, 0,
			    sizeof(deliveries) / sizeof(deliveries[0]));
	tcase_add_test(tc, test_delivery_fields);
	tcase_add_loop_test(tc, test_queued_as_shapes, 0,
			    sizeof(queued_as_shapes) / sizeof(queued_as_shapes[0]));
	tcase_add_test(tc, test_reply_fold);
	suite_add_tcase(s, tc);

	tc = tcase_create("kinds");
	tcase_add_loop_test(tc, test_kinds, 0,
			    sizeof(kinds) / sizeof(kinds[0]));
	tcase_add_test(tc, test_kind_fields);
	suite_add_tcase(s, tc);

	tc = tcase_create("more");
	tcase_add_test(tc, test_session_lines);
	tcase_add_loop_test(tc, test_actions, 0,
			    sizeof(actions) / sizeof(actions[0]));
	tcase_add_test(tc, test_message_id_forms);
	tcase_add_test(tc, test_ports_offsets_remote);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, test_hostile_reply);
	tcase_add_test(tc, test_nul_and_binary);
	tcase_add_test(tc, test_overlong);
	tcase_add_test(tc, test_nested_suspended);
	tcase_add_loop_test(tc, test_worst_case_lines, 0,
			    (int)(sizeof(worst_heads) / sizeof(worst_heads[0]) *
				  N_WORST_UNITS));
	tcase_add_loop_test(tc, test_truncated, 0,
			    (int)(sizeof(deliveries) / sizeof(deliveries[0]) +
				  sizeof(kinds) / sizeof(kinds[0])));
	tcase_add_test(tc, test_replay_corpus);
	suite_add_tcase(s, tc);

	tc = tcase_create("fixtures");
	tcase_add_test(tc, test_fixtures_all_lines);
	tcase_add_test(tc, test_fixtures_fields);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_test(tc, test_dst_berlin);
	tcase_add_test(tc, test_new_year);
	tcase_add_test(tc, test_same_second_reuse);
	suite_add_tcase(s, tc);

	return s;
}
