/*
 * check_notice.c - notice templates and their renderer: every reason has
 * every block in every shipped locale and renders for every event kind,
 * with one and five recipients and as a digest; hostile values never break
 * the layout; English sender notices stay at Flesch-Kincaid grade 8 or
 * lower; template mistakes are reported with file and line.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "notice.h"
#include "readability.h"
#include "testutil.h"

#define FK_MAX 8.0

static const char *const locales[] = { "en", "de" };
#define NLOCALES (sizeof(locales) / sizeof(locales[0]))

/* templates_dir - the shipped templates in the source tree */
static const char *
templates_dir(void)
{
	static char dir[4096];

	snprintf(dir, sizeof(dir), "%s/templates", tu_srcdir());
	return dir;
}

/* load - a shipped locale, which must load without falling back */
static struct notice_templates *
load(const char *locale)
{
	struct notice_templates *t;
	struct buf why;
	const char *first = NULL;

	buf_init(&why, 4096);
	ck_assert_msg(notice_load(&t, templates_dir(), locale, &why) == 0,
		      "%s: %s", locale, buf_str(&why));
	ck_assert_msg(notice_fallbacks(t, &first) == 0,
		      "locale %s lacks %s", locale, first ? first : "?");
	buf_free(&why);
	return t;
}

/* is_failure - reasons a sender is told about */
static bool
sender_has_block(enum reason r)
{
	return r != REASON_COMPLAINT && r != REASON_AUTO_REPLY;
}

/* sample_rcpt - realistic facts for a recipient with reason r */
static struct notice_rcpt
sample_rcpt(const char *addr, enum reason r, enum notice_kind k)
{
	struct notice_rcpt rc = { 0 };

	rc.recipient = addr;
	rc.reason = r;
	rc.who_acts = ACTOR_SENDER;
	rc.remote_words = "550 5.1.1 User unknown in virtual mailbox table";
	rc.dsn = "5.1.1";
	rc.relay = "mx1.example.org[192.0.2.10]:25";
	rc.delay = "1.2";
	rc.delays = "0.1/0/0.6/0.5";
	rc.attempts = "1";
	if (k == NOTICE_DEFERRED_LONG) {
		rc.retry_until = "Sun 8 Mar 2026 09:14 UTC";
		rc.attempts = "14";
		rc.dsn = "4.4.1";
	}
	if (k == NOTICE_EXPIRED) {
		rc.reason = REASON_DELIVERY_EXPIRED;
		rc.has_last_reason = true;
		rc.last_reason = r;
		rc.tried_for = "5 days";
		rc.attempts = "38";
	}
	if (k == NOTICE_DELIVERED_AFTER_DELAY) {
		rc.reason = REASON_DELIVERED;
		rc.has_last_reason = true;
		rc.last_reason = r;
		rc.delivered_at = "Wed 4 Mar 2026 11:40 UTC";
		rc.dsn = "2.0.0";
	}
	return rc;
}

/* sample_msg - a message around rcpts */
static struct notice_msg
sample_msg(enum notice_kind k, const struct notice_rcpt *rcpts, size_t n)
{
	struct notice_msg m = { 0 };

	m.kind = k;
	m.sender = "paul@ourcompany.example";
	m.from = "Paul Meyer <paul@ourcompany.example>";
	m.subject = "Invoice for March";
	m.sent_at = "Tue 3 Mar 2026 09:14 UTC";
	m.queue_id = "4QxYz12AbC";
	m.message_id = "<20260303091400.ABC@ourcompany.example>";
	m.rcpts = rcpts;
	m.nrcpts = n;
	return m;
}

/*
 * check_layout - the guarantees every rendering keeps: subject one line,
 * bounded and valid; bodies valid UTF-8 with no control but LF.
 */
static void
check_layout(const struct notice_out *o, bool html, const char *what,
	     bool no_tags)
{
	size_t i;
	const char *bodies[2] = { buf_str(&o->text), buf_str(&o->html) };
	size_t lens[2] = { o->text.len, o->html.len };
	int b;

	ck_assert_msg(o->subject.len > 0, "%s: empty subject", what);
	ck_assert_msg(o->subject.len <= NOTICE_SUBJECT_MAX, "%s: subject "
		      "of %zu bytes", what, o->subject.len);
	ck_assert_msg(utf8_valid(span_make(o->subject.data, o->subject.len)),
		      "%s: subject not UTF-8", what);
	for (i = 0; i < o->subject.len; i++)
		ck_assert_msg((unsigned char)o->subject.data[i] >= 0x20 &&
			      o->subject.data[i] != 0x7f,
			      "%s: control byte in subject", what);
	for (b = 0; b < (html ? 2 : 1); b++) {
		ck_assert_msg(lens[b] > 0, "%s: empty body", what);
		ck_assert_msg(utf8_valid(span_make(bodies[b], lens[b])),
			      "%s: body not UTF-8", what);
		for (i = 0; i < lens[b]; i++)
			ck_assert_msg(bodies[b][i] == '\n' ||
				      ((unsigned char)bodies[b][i] >= 0x20 &&
				       bodies[b][i] != 0x7f),
				      "%s: control byte 0x%02x in body", what,
				      (unsigned char)bodies[b][i]);
		ck_assert_msg(!no_tags || strstr(bodies[b], "{{") == NULL,
			      "%s: unexpanded tag in body", what);
	}
	if (html) {
		ck_assert(strncmp(bodies[1], "<!DOCTYPE html>", 15) == 0);
		ck_assert(strstr(bodies[1], "</html>\n") != NULL);
	}
}

/* count - occurrences of needle in hay */
static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* strip_quotes - the text without "> " lines: the remote's words */
static void
strip_quotes(const char *in, struct buf *out)
{
	const char *p, *nl;

	buf_reset(out);
	for (p = in; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		if (strncmp(p, "> ", 2) != 0)
			buf_add(out, p, (size_t)(nl - p + 1));
	}
}

/* jargon - a technical word a sender should not meet, or NULL */
static const char *
jargon(const char *text)
{
	static const char *const words[] = {
		"SMTP", "DSN", "MX", "relay", "Relay", "TLS", "DNS", "SPF",
		"DKIM", "DMARC", "PTR", "queue", "Queue", "Postfix", "HELO",
		"MAIL FROM", "RCPT", "DATA", "4xx", "5xx",
	};
	size_t i, n;
	const char *p;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i]);
		for (p = text; (p = strstr(p, words[i])) != NULL; p += n) {
			bool left = p == text || !isalnum((unsigned char)p[-1]);
			bool right = !isalnum((unsigned char)p[n]);

			if (left && right)
				return words[i];
		}
	}
	return NULL;
}

START_TEST(test_every_reason_every_kind)
{
	struct notice_templates *t;
	struct notice_out o;
	struct notice_rcpt rc;
	struct notice_msg m;
	struct buf why, plain;
	size_t l, renders = 0;
	int k, a, r;
	const char *bad;

	/* the jargon check is live */
	ck_assert_str_eq(jargon("ask the relay."), "relay");
	ck_assert_str_eq(jargon("no MX record"), "MX");
	ck_assert_ptr_null(jargon("it relayed MXes"));
	notice_out_init(&o);
	buf_init(&why, 4096);
	buf_init(&plain, NOTICE_BODY_MAX);
	for (l = 0; l < NLOCALES; l++) {
		t = load(locales[l]);
		for (k = 0; k < NOTICE_KIND_COUNT; k++)
			for (a = 0; a < NOTICE_AUDIENCE_COUNT; a++)
				for (r = 0; r < REASON_COUNT; r++) {
					char what[128];

					rc = sample_rcpt("anna@example.org", r,
							 k);
					m = sample_msg(k, &rc, 1);
					snprintf(what, sizeof(what),
						 "%s %s %s %s", locales[l],
						 notice_kind_name(k),
						 notice_audience_name(a),
						 reason_name(r));
					buf_reset(&why);
					if (a == NOTICE_SENDER &&
					    !sender_has_block(rc.reason)) {
						ck_assert_int_eq(notice_render(
							t, a, &m, 0, &o, &why),
							-1);
						ck_assert(strstr(buf_str(&why),
							"no sender block"));
						continue;
					}
					ck_assert_msg(notice_render(t, a, &m,
						NOTICE_HTML, &o, &why) == 0,
						"%s: %s", what, buf_str(&why));
					check_layout(&o, true, what, true);
					ck_assert_msg(strstr(buf_str(&o.text),
						"anna@example.org"), "%s", what);
					ck_assert_msg(strstr(buf_str(&o.text),
						"Invoice for March"), "%s",
						what);
					if (k != NOTICE_DELIVERED_AFTER_DELAY)
						ck_assert_msg(strstr(
							buf_str(&o.text),
							"> 550 5.1.1 User unknown"),
							"%s: remote words not "
							"quoted", what);
					if (a == NOTICE_HELPDESK) {
						ck_assert_msg(strstr(
							buf_str(&o.text),
							"4QxYz12AbC"), "%s",
							what);
						ck_assert_msg(strstr(
							buf_str(&o.text),
							"mx1.example.org"),
							"%s", what);
					}
					if (a == NOTICE_SENDER) {
						/* our words only: no jargon */
						strip_quotes(buf_str(&o.text),
							     &plain);
						bad = jargon(buf_str(&plain));
						ck_assert_msg(bad == NULL,
							"%s: \"%s\" in a sender "
							"notice", what, bad);
					}
					if (k == NOTICE_DEFERRED_LONG &&
					    a == NOTICE_SENDER)
						ck_assert_msg(strstr(
							buf_str(&o.text),
							"8 Mar 2026"),
							"%s: no retry_until",
							what);
					renders++;
				}
		notice_free(t);
	}
	/* every kind, both audiences, all reasons but two for the sender */
	ck_assert_uint_eq(renders, NLOCALES * NOTICE_KIND_COUNT *
			  (2 * REASON_COUNT - 2) + NLOCALES * 2 * 2);
	notice_out_free(&o);
	buf_free(&why);
	buf_free(&plain);
}
END_TEST

/* The five reasons used for multi-recipient notices, per kind. */
static const enum reason five[NOTICE_KIND_COUNT][5] = {
	[NOTICE_BOUNCED] = { REASON_ADDRESS_UNKNOWN, REASON_MAILBOX_FULL,
			     REASON_SPAM_SUSPECTED, REASON_SENDER_BLOCKED,
			     REASON_DOMAIN_UNKNOWN },
	[NOTICE_EXPIRED] = { REASON_CANNOT_CONNECT, REASON_GREYLISTED,
			     REASON_RATE_LIMITED, REASON_MAILBOX_FULL,
			     REASON_TLS_REQUIRED },
	[NOTICE_DEFERRED_LONG] = { REASON_CANNOT_CONNECT, REASON_GREYLISTED,
				   REASON_REMOTE_SERVER_PROBLEM,
				   REASON_REVERSE_DNS_MISSING,
				   REASON_UNKNOWN },
	[NOTICE_DELIVERED_AFTER_DELAY] = { REASON_CANNOT_CONNECT,
					   REASON_GREYLISTED,
					   REASON_RATE_LIMITED,
					   REASON_MAILBOX_FULL,
					   REASON_REMOTE_SERVER_PROBLEM },
};

static const char *const five_addr[5] = {
	"anna@example.org", "ben@example.net", "carla@example.com",
	"dev@example.de", "eve@example.fr"
};

START_TEST(test_five_recipients)
{
	struct notice_templates *t;
	struct notice_out o;
	struct notice_rcpt rc[5];
	struct notice_msg m;
	struct buf why;
	size_t l, i;
	int k, a;

	notice_out_init(&o);
	buf_init(&why, 4096);
	for (l = 0; l < NLOCALES; l++) {
		t = load(locales[l]);
		for (k = 0; k < NOTICE_KIND_COUNT; k++) {
			for (i = 0; i < 5; i++) {
				rc[i] = sample_rcpt(five_addr[i], five[k][i], k);
				rc[i].who_acts = (enum actor)(i % ACTOR_COUNT);
			}
			m = sample_msg(k, rc, 5);
			for (a = 0; a < NOTICE_AUDIENCE_COUNT; a++) {
				buf_reset(&why);
				ck_assert_msg(notice_render(t, a, &m,
					NOTICE_HTML, &o, &why) == 0, "%s",
					buf_str(&why));
				check_layout(&o, true, "five", true);
				for (i = 0; i < 5; i++) {
					ck_assert_msg(count(buf_str(&o.text),
						five_addr[i]) == 1,
						"%s %s %s: %s not once",
						locales[l], notice_kind_name(k),
						notice_audience_name(a),
						five_addr[i]);
					ck_assert(strstr(buf_str(&o.html),
						five_addr[i]));
				}
				/* the count of recipients is stated */
				ck_assert(strstr(buf_str(&o.text), " 5 ") ||
					  strstr(buf_str(&o.text), "(5 "));
			}
		}
		notice_free(t);
	}
	notice_out_free(&o);
	buf_free(&why);
}
END_TEST

START_TEST(test_digest)
{
	struct notice_templates *t;
	struct notice_out o;
	struct notice_rcpt r0[1], r1[2], r2[3], r3[1];
	struct notice_msg msgs[4];
	struct notice_digest d = { 0 };
	struct buf why;
	size_t l;
	int a;

	r0[0] = sample_rcpt("anna@example.org", REASON_ADDRESS_UNKNOWN,
			    NOTICE_BOUNCED);
	r1[0] = sample_rcpt("ben@example.net", REASON_CANNOT_CONNECT,
			    NOTICE_DEFERRED_LONG);
	r1[1] = sample_rcpt("carla@example.com", REASON_GREYLISTED,
			    NOTICE_DEFERRED_LONG);
	r2[0] = sample_rcpt("dev@example.de", REASON_MAILBOX_FULL,
			    NOTICE_EXPIRED);
	r2[1] = sample_rcpt("eve@example.fr", REASON_CANNOT_CONNECT,
			    NOTICE_EXPIRED);
	r2[2] = sample_rcpt("finn@example.at", REASON_RATE_LIMITED,
			    NOTICE_EXPIRED);
	r3[0] = sample_rcpt("gus@example.ch", REASON_GREYLISTED,
			    NOTICE_DELIVERED_AFTER_DELAY);
	msgs[0] = sample_msg(NOTICE_BOUNCED, r0, 1);
	msgs[1] = sample_msg(NOTICE_DEFERRED_LONG, r1, 2);
	msgs[1].subject = "Meeting notes";
	msgs[2] = sample_msg(NOTICE_EXPIRED, r2, 3);
	msgs[2].subject = NULL;
	msgs[3] = sample_msg(NOTICE_DELIVERED_AFTER_DELAY, r3, 1);
	d.sender = "paul@ourcompany.example";
	d.since = "Tue 3 Mar 2026 09:00 UTC";
	d.msgs = msgs;
	d.nmsgs = 4;
	notice_out_init(&o);
	buf_init(&why, 4096);
	for (l = 0; l < NLOCALES; l++) {
		t = load(locales[l]);
		for (a = 0; a < NOTICE_AUDIENCE_COUNT; a++) {
			buf_reset(&why);
			ck_assert_msg(notice_render_digest(t, a, &d,
				NOTICE_HTML, &o, &why) == 0, "%s",
				buf_str(&why));
			check_layout(&o, true, "digest", true);
			ck_assert(strstr(buf_str(&o.subject), "7"));
			ck_assert(strstr(buf_str(&o.text), "Meeting notes"));
			ck_assert_uint_eq(count(buf_str(&o.text),
						"Invoice for March"), 2);
			ck_assert(strstr(buf_str(&o.text), "finn@example.at"));
			ck_assert(strstr(buf_str(&o.text), "gus@example.ch"));
			ck_assert(strstr(buf_str(&o.text), "9:00 UTC"));
		}
		notice_free(t);
	}
	/* the bounds are enforced, not trusted */
	d.nmsgs = 0;
	ck_assert_int_eq(notice_render_digest(t = load("en"), NOTICE_SENDER,
					      &d, 0, &o, &why), -1);
	notice_free(t);
	notice_out_free(&o);
	buf_free(&why);
}
END_TEST

START_TEST(test_minimal_facts)
{
	struct notice_templates *t;
	struct notice_out o;
	struct notice_rcpt rc = { 0 };
	struct notice_msg m = { 0 };
	struct buf why;
	size_t l;
	int k, a;
	const char *p, *nl;

	notice_out_init(&o);
	buf_init(&why, 4096);
	rc.recipient = "anna@example.org";
	rc.reason = REASON_CANNOT_CONNECT;
	m.rcpts = &rc;
	m.nrcpts = 1;
	for (l = 0; l < NLOCALES; l++) {
		t = load(locales[l]);
		for (k = 0; k < NOTICE_KIND_COUNT; k++)
			for (a = 0; a < NOTICE_AUDIENCE_COUNT; a++) {
				m.kind = k;
				rc.reason = k == NOTICE_EXPIRED
					? REASON_DELIVERY_EXPIRED
					: k == NOTICE_DELIVERED_AFTER_DELAY
					? REASON_DELIVERED : REASON_CANNOT_CONNECT;
				ck_assert_int_eq(notice_render(t, a, &m, 0, &o,
							       &why), 0);
				check_layout(&o, false, "minimal", true);
				/* absent facts leave no empty label behind */
				for (p = buf_str(&o.text); *p; p = nl + 1) {
					nl = strchr(p, '\n');
					ck_assert_msg(nl == p || nl[-1] != ':',
						      "%s %s %s: \"%.*s\"",
						      locales[l],
						      notice_kind_name(k),
						      notice_audience_name(a),
						      (int)(nl - p), p);
				}
				ck_assert(strstr(buf_str(&o.subject), "()")
					  == NULL);
				ck_assert(strstr(buf_str(&o.subject), "(,")
					  == NULL);
			}
		notice_free(t);
	}
	notice_out_free(&o);
	buf_free(&why);
}
END_TEST

/* longest_run - the longest run of byte c in s */
static size_t
longest_run(const char *s, char c)
{
	size_t best = 0, run = 0;

	for (; *s; s++) {
		run = *s == c ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

START_TEST(test_hostile_values)
{
	struct notice_templates *t;
	struct notice_out o;
	struct notice_rcpt rc[2];
	struct notice_msg m;
	struct buf why;
	char *big = malloc(10 * 1024 + 1);
	size_t l, maxline, len;
	int k, a;
	const char *p, *nl;

	ck_assert_ptr_nonnull(big);
	memset(big, 'A', 10 * 1024);
	big[10 * 1024] = '\0';
	notice_out_init(&o);
	buf_init(&why, 4096);
	for (l = 0; l < NLOCALES; l++) {
		t = load(locales[l]);
		for (k = 0; k < NOTICE_KIND_COUNT; k++) {
			rc[0] = sample_rcpt("x@example.org\r\nBcc: all@corp",
					    REASON_ADDRESS_UNKNOWN, k);
			rc[0].remote_words = "550 no\r\n\r\n> forged line "
					     "{{recipient}} {{#recipients}} "
					     "\xff\xfe\xc3 <script>x</script>"
					     " \xe2\x80\xae evil \x1b[31m";
			rc[1] = sample_rcpt(big, REASON_SPAM_SUSPECTED, k);
			rc[1].remote_words = big;
			rc[1].retry_until = "{{subject}}";
			m = sample_msg(k, rc, 2);
			m.subject = big;
			m.sender = "a\nb\x00c";
			m.queue_id = "\xc0\xaf{{queue_id}}";
			for (a = 0; a < NOTICE_AUDIENCE_COUNT; a++) {
				buf_reset(&why);
				ck_assert_msg(notice_render(t, a, &m,
					NOTICE_HTML, &o, &why) == 0, "%s",
					buf_str(&why));
				check_layout(&o, true, "hostile", false);
				/* a value is never expanded */
				ck_assert(k == NOTICE_DELIVERED_AFTER_DELAY ||
					  strstr(buf_str(&o.text),
					"forged line {{recipient}} "
					"{{#recipients}} "));
				ck_assert(strstr(buf_str(&o.text),
						 "Bcc: all@corp") != NULL);
				ck_assert(strstr(buf_str(&o.text),
						 "\nBcc:") == NULL);
				/* the forged quote line stays inside */
				ck_assert(strstr(buf_str(&o.text),
						 "\n> forged") == NULL);
				/* long values are cut, with an ellipsis */
				ck_assert_uint_le(longest_run(buf_str(&o.text),
					'A'), NOTICE_VALUE_MAX);
				ck_assert(strstr(buf_str(&o.text),
						 "AAA\xe2\x80\xa6"));
				ck_assert(strstr(buf_str(&o.subject),
						 "\xe2\x80\xa6"));
				/* no line is longer than a cut value allows */
				maxline = 0;
				for (p = buf_str(&o.text); *p; p = nl + 1) {
					nl = strchr(p, '\n');
					ck_assert_ptr_nonnull(nl);
					len = (size_t)(nl - p);
					if (len > maxline)
						maxline = len;
				}
				ck_assert_uint_le(maxline,
						  2 * NOTICE_VALUE_MAX + 200);
				/* HTML: values are escaped */
				ck_assert(strstr(buf_str(&o.html),
						 "<script>") == NULL);
				ck_assert(k == NOTICE_DELIVERED_AFTER_DELAY ||
					  strstr(buf_str(&o.html),
						 "&lt;script&gt;") != NULL);
				/* bidi override and ESC are gone */
				ck_assert(strstr(buf_str(&o.text),
						 "\xe2\x80\xae") == NULL);
			}
		}
		notice_free(t);
	}
	/* a literal "{{x}}" as the subject is printed as such */
	t = load("en");
	rc[0] = sample_rcpt("anna@example.org", REASON_MAILBOX_FULL,
			    NOTICE_BOUNCED);
	m = sample_msg(NOTICE_BOUNCED, rc, 1);
	m.subject = "{{x}} & <b>";
	ck_assert_int_eq(notice_render(t, NOTICE_SENDER, &m, NOTICE_HTML, &o,
				       &why), 0);
	ck_assert(strstr(buf_str(&o.subject), "{{x}} & <b>"));
	ck_assert(strstr(buf_str(&o.html), "{{x}} &amp; &lt;b&gt;"));
	notice_free(t);
	free(big);
	notice_out_free(&o);
	buf_free(&why);
}
END_TEST

/*
 * prose - the sentences of the first recipient's block ("What happened"
 * and "What to do"), labels removed, as one paragraph: a stricter
 * measure, since it has no short label lines to lower the grade.
 */
static void
prose(const char *text, struct buf *out)
{
	static const char *const labels[] = { "\nWhat happened: ",
					       "\nWhat to do: " };
	const char *p, *nl;
	size_t i;

	buf_reset(out);
	for (i = 0; i < 2; i++) {
		p = strstr(text, labels[i]);
		ck_assert_ptr_nonnull(p);
		p += strlen(labels[i]);
		nl = strchr(p, '\n');
		ck_assert_ptr_nonnull(nl);
		buf_add(out, p, (size_t)(nl - p));
		buf_addc(out, ' ');
	}
}

/* grade - FK grade of a rendered body without the remote's words */
static double
grade(const struct notice_out *o, struct buf *scratch)
{
	struct readability rd;

	strip_quotes(buf_str(&o->text), scratch);
	readability_measure(scratch->data, scratch->len, &rd);
	return rd.grade;
}

START_TEST(test_fk_english_sender)
{
	struct notice_templates *t = load("en");
	struct notice_out o;
	struct notice_rcpt rc[5];
	struct notice_msg m, msgs[2];
	struct notice_digest d = { 0 };
	struct buf why, scratch;
	double g, max = 0, sum = 0, bmax = 0, bsum = 0;
	size_t n = 0, nb = 0, i;
	int k, r;
	char worst[128] = "", bworst[128] = "";
	struct readability rd;

	notice_out_init(&o);
	buf_init(&why, 4096);
	buf_init(&scratch, NOTICE_BODY_MAX);
	for (k = 0; k < NOTICE_KIND_COUNT; k++) {
		for (r = 0; r < REASON_COUNT; r++) {
			rc[0] = sample_rcpt("anna@example.org", r, k);
			if (!sender_has_block(rc[0].reason) ||
			    (rc[0].has_last_reason &&
			     !sender_has_block(rc[0].last_reason)))
				continue;
			m = sample_msg(k, rc, 1);
			ck_assert_int_eq(notice_render(t, NOTICE_SENDER, &m, 0,
						       &o, &why), 0);
			g = grade(&o, &scratch);
			ck_assert_msg(g <= FK_MAX, "%s/%s: grade %.2f:\n%s",
				      notice_kind_name(k), reason_name(r), g,
				      buf_str(&o.text));
			if (g > max) {
				max = g;
				snprintf(worst, sizeof(worst), "%s/%s",
					 notice_kind_name(k), reason_name(r));
			}
			sum += g;
			n++;
			/* the reason's own prose, without labels or layout */
			if (k == NOTICE_BOUNCED || k == NOTICE_DEFERRED_LONG) {
				prose(buf_str(&o.text), &scratch);
				readability_measure(scratch.data, scratch.len,
						    &rd);
				ck_assert_msg(rd.grade <= FK_MAX, "%s/%s: "
					      "prose grade %.2f: %s",
					      notice_kind_name(k),
					      reason_name(r), rd.grade,
					      scratch.data);
				if (rd.grade > bmax) {
					bmax = rd.grade;
					snprintf(bworst, sizeof(bworst),
						 "%s/%s", notice_kind_name(k),
						 reason_name(r));
				}
				bsum += rd.grade;
				nb++;
			}
		}
		/* five recipients of different reasons */
		for (i = 0; i < 5; i++)
			rc[i] = sample_rcpt(five_addr[i], five[k][i], k);
		m = sample_msg(k, rc, 5);
		ck_assert_int_eq(notice_render(t, NOTICE_SENDER, &m, 0, &o,
					       &why), 0);
		g = grade(&o, &scratch);
		ck_assert_msg(g <= FK_MAX, "%s x5: grade %.2f",
			      notice_kind_name(k), g);
		sum += g;
		n++;
	}
	rc[0] = sample_rcpt("anna@example.org", REASON_ADDRESS_UNKNOWN,
			    NOTICE_BOUNCED);
	rc[1] = sample_rcpt("ben@example.net", REASON_CANNOT_CONNECT,
			    NOTICE_DEFERRED_LONG);
	msgs[0] = sample_msg(NOTICE_BOUNCED, rc, 1);
	msgs[1] = sample_msg(NOTICE_DEFERRED_LONG, rc + 1, 1);
	d.sender = "paul@ourcompany.example";
	d.msgs = msgs;
	d.nmsgs = 2;
	ck_assert_int_eq(notice_render_digest(t, NOTICE_SENDER, &d, 0, &o,
					      &why), 0);
	g = grade(&o, &scratch);
	ck_assert_msg(g <= FK_MAX, "digest: grade %.2f", g);
	sum += g;
	n++;
	fprintf(stderr, "notice: FK grade of %zu English sender notices: "
		"max %.2f (%s), mean %.2f; reason prose alone: max %.2f (%s), "
		"mean %.2f over %zu\n", n, max, worst, sum / (double)n, bmax,
		bworst, bsum / (double)nb, nb);
	notice_free(t);
	notice_out_free(&o);
	buf_free(&why);
	buf_free(&scratch);
}
END_TEST

START_TEST(test_explain)
{
	struct notice_templates *t;
	struct notice_explanation ex;
	struct notice_rcpt rc;
	struct buf why;
	size_t l;
	int a, r;

	buf_init(&why, 4096);
	notice_explanation_init(&ex);
	t = load("en");
	rc = sample_rcpt("anna@example.org", REASON_ADDRESS_UNKNOWN,
			 NOTICE_BOUNCED);
	ck_assert_int_eq(notice_explain(t, NOTICE_SENDER, NOTICE_BOUNCED, &rc,
					&ex, &why), 0);
	ck_assert_str_eq(buf_str(&ex.title), "Address does not exist");
	ck_assert_str_eq(buf_str(&ex.what),
			 "The address does not exist at their mail server.");
	ck_assert_str_eq(buf_str(&ex.who_acts), "You");
	ck_assert(strncmp(buf_str(&ex.next_step), "Check the address", 17)
		  == 0);
	/* values inside a block are escaped like anywhere else */
	rc = sample_rcpt("x", REASON_SENDER_BLOCKED, NOTICE_BOUNCED);
	rc.blocklist = "Spam\r\nhaus {{x}}";
	rc.who_acts = ACTOR_OUR_ADMIN;
	ck_assert_int_eq(notice_explain(t, NOTICE_HELPDESK, NOTICE_BOUNCED,
					&rc, &ex, &why), 0);
	ck_assert(strstr(buf_str(&ex.what), "(Spam  haus {{x}})"));
	/* the kind changes the advice: no "send again" while retrying */
	rc = sample_rcpt("x", REASON_MAILBOX_FULL, NOTICE_DEFERRED_LONG);
	ck_assert_int_eq(notice_explain(t, NOTICE_SENDER,
					NOTICE_DEFERRED_LONG, &rc, &ex, &why),
			 0);
	ck_assert(strstr(buf_str(&ex.next_step), "We keep trying"));
	ck_assert_int_eq(notice_explain(t, NOTICE_SENDER, NOTICE_BOUNCED, &rc,
					&ex, &why), 0);
	ck_assert(strstr(buf_str(&ex.next_step), "Send your email again"));
	/* a complaint has no sender block */
	rc.reason = REASON_COMPLAINT;
	ck_assert_int_eq(notice_explain(t, NOTICE_SENDER, NOTICE_BOUNCED, &rc,
					&ex, &why), -1);
	notice_free(t);
	/* every reason explains itself in every locale */
	for (l = 0; l < NLOCALES; l++) {
		t = load(locales[l]);
		for (a = 0; a < NOTICE_AUDIENCE_COUNT; a++)
			for (r = 0; r < REASON_COUNT; r++) {
				if (a == NOTICE_SENDER && !sender_has_block(r))
					continue;
				rc = sample_rcpt("x@y", r, NOTICE_BOUNCED);
				ck_assert_int_eq(notice_explain(t, a,
					NOTICE_BOUNCED, &rc, &ex, &why), 0);
				ck_assert_uint_gt(ex.title.len, 0);
				ck_assert_uint_gt(ex.what.len, 0);
				ck_assert_uint_gt(ex.next_step.len, 0);
				ck_assert_uint_gt(ex.who_acts.len, 0);
				ck_assert(strchr(buf_str(&ex.what), '\n')
					  == NULL);
			}
		notice_free(t);
	}
	notice_explanation_free(&ex);
	buf_free(&why);
}
END_TEST

START_TEST(test_readability_counts)
{
	struct readability rd;
	static const struct {
		const char *word;
		size_t syl;
	} words[] = {
		{ "the", 1 }, { "make", 1 }, { "table", 2 }, { "mile", 1 },
		{ "email", 2 }, { "address", 2 }, { "delivered", 3 },
		{ "wanted", 2 }, { "used", 1 }, { "makes", 1 },
		{ "pages", 2 }, { "yes", 1 }, { "typos", 2 }, { "free", 1 },
		{ "server", 2 }, { "bob@example.org", 5 }, { "2026", 2 },
	};
	size_t i;
	const char *text = "The cat sat on the mat.";

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		ck_assert_msg(readability_syllables(words[i].word,
				strlen(words[i].word)) == words[i].syl,
			      "%s", words[i].word);
	readability_measure(text, strlen(text), &rd);
	ck_assert_uint_eq(rd.words, 6);
	ck_assert_uint_eq(rd.sentences, 1);
	ck_assert_uint_eq(rd.syllables, 6);
	ck_assert(rd.grade > -1.46 && rd.grade < -1.44);
	/* a line without an end mark is a sentence of its own */
	readability_measure("Hello\nYou are here. Go", 21, &rd);
	ck_assert_uint_eq(rd.sentences, 3);
	ck_assert_uint_eq(rd.words, 5);
	readability_measure("", 0, &rd);
	ck_assert_uint_eq(rd.words, 0);
	ck_assert(rd.grade == 0);
}
END_TEST

/*
 * Template errors: a locale "xx" next to a link to the real "en", with
 * one broken file.
 */
static char *tdir;

static void
setup_tree(void)
{
	char path[4200], *target;

	tdir = tu_tmpdir();
	ck_assert_ptr_nonnull(tdir);
	target = realpath(tu_path("templates/en"), NULL);
	ck_assert_ptr_nonnull(target);
	snprintf(path, sizeof(path), "%s/en", tdir);
	ck_assert_int_eq(symlink(target, path), 0);
	free(target);
	snprintf(path, sizeof(path), "%s/xx", tdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/xx/reasons", tdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

static void
teardown_tree(void)
{
	tu_rmtree(tdir);
	free(tdir);
}

/* try_file - write text as xx/name and load; rc, message in why */
static int
try_file(const char *name, const char *text, struct buf *why,
	 struct notice_templates **tp)
{
	char path[4200];
	int rc;

	snprintf(path, sizeof(path), "%s/xx/%s", tdir, name);
	ck_assert_int_eq(tu_write_file(path, text), 0);
	buf_reset(why);
	*tp = NULL;
	rc = notice_load(tp, tdir, "xx", why);
	unlink(path);
	return rc;
}

#define ENV_OK "@sender.subject\ns\n@helpdesk.subject\nh\n" \
	       "@helpdesk.body\nb\n"

static const struct {
	const char *file;
	const char *text;
	const char *error;	/* expected "file:line: ..." suffix */
} bad[] = {
	{ "bounced.tmpl", ENV_OK "@sender.body\nok\n{{nosuch}}\n",
	  "xx/bounced.tmpl:9: unknown variable \"nosuch\"" },
	{ "bounced.tmpl", ENV_OK "@sender.body\n\n\n{{#recipients}}\nx\n",
	  "xx/bounced.tmpl:10: {{#recipients}} is never closed" },
	{ "bounced.tmpl", ENV_OK "@sender.body\n{{#recipients}}\n"
	  "{{#dsn}}x{{/recipients}}\n{{/dsn}}\n",
	  "xx/bounced.tmpl:9: {{/recipients}} does not close {{#dsn}} of "
	  "line 9" },
	{ "bounced.tmpl", ENV_OK "@sender.body\n{{/subject}}\n",
	  "xx/bounced.tmpl:8: {{/subject}} closes nothing" },
	{ "bounced.tmpl", ENV_OK "@sender.body\n{{recipient}}\n",
	  "xx/bounced.tmpl:8: {{recipient}} can only be used inside "
	  "{{#recipients}}" },
	{ "bounced.tmpl", ENV_OK "@sender.body\n{{recipients}}\n",
	  "xx/bounced.tmpl:8: {{recipients}} is a list" },
	{ "bounced.tmpl", ENV_OK "@sender.body\n{{#messages}}{{/messages}}\n",
	  "xx/bounced.tmpl:8: {{#messages}} cannot be used here" },
	{ "bounced.tmpl", ENV_OK "@sender.body\nab {{subject\n",
	  "xx/bounced.tmpl:8: \"{{\" without \"}}\"" },
	{ "bounced.tmpl", ENV_OK "@sender.body\n{{Subject}}\n",
	  "xx/bounced.tmpl:8: bad tag \"{{Subject}}\"" },
	{ "bounced.tmpl", ENV_OK "@sender.bdy\nx\n",
	  "xx/bounced.tmpl:7: unknown part \"@sender.bdy\"" },
	{ "bounced.tmpl", ENV_OK "@helpdesk.body\nx\n",
	  "xx/bounced.tmpl:7: part \"@helpdesk.body\" appears twice" },
	{ "bounced.tmpl", ENV_OK,
	  "xx/bounced.tmpl: missing part \"@sender.body\"" },
	{ "bounced.tmpl", "# ok\nstray\n" ENV_OK "@sender.body\nx\n",
	  "xx/bounced.tmpl:2: text before the first \"@part\" line" },
	{ "bounced.tmpl", ENV_OK "@sender.body\nx\r\n",
	  "xx/bounced.tmpl:8: control character 0x0d" },
	{ "bounced.tmpl", ENV_OK "@sender.body\n\xff\n",
	  "xx/bounced.tmpl:8: not valid UTF-8" },
	{ "digest.tmpl", ENV_OK "@sender.body\n{{subject}}\n",
	  "xx/digest.tmpl:8: {{subject}} can only be used inside "
	  "{{#messages}}" },
	{ "reasons/mailbox_full.tmpl", "@title\nT\n@sender.what\n{{what}}\n",
	  "xx/reasons/mailbox_full.tmpl:4: {{what}} cannot be used in a "
	  "reason block" },
	{ "reasons/mailbox_full.tmpl", "@title\n{{dsn}}\n",
	  "xx/reasons/mailbox_full.tmpl:2: {{dsn}}: this part takes plain "
	  "text only" },
	{ "reasons/mailbox_full.tmpl", "@title\nT\n@helpdesk.what\nw\n"
	  "@helpdesk.next_step\nn\n",
	  "xx/reasons/mailbox_full.tmpl: missing part \"@sender.what\"" },
	{ "actors.tmpl", "@sender.sender\nYou\n",
	  "xx/actors.tmpl: missing part \"@sender.nobody\"" },
};

START_TEST(test_syntax_errors)
{
	struct notice_templates *t;
	struct buf why;
	const char *msg;

	buf_init(&why, 4096);
	ck_assert_int_eq(try_file(bad[_i].file, bad[_i].text, &why, &t), -1);
	ck_assert_ptr_null(t);
	msg = buf_str(&why);
	ck_assert_msg(strstr(msg, bad[_i].error) != NULL,
		      "case %d: got \"%s\", want \"%s\"", _i, msg,
		      bad[_i].error);
	/* the message starts with the path */
	ck_assert_msg(strncmp(msg, tdir, strlen(tdir)) == 0, "%s", msg);
	buf_free(&why);
}
END_TEST

START_TEST(test_fallback_and_limits)
{
	struct notice_templates *t;
	struct buf why;
	const char *first = NULL;
	char *huge;
	size_t n;

	buf_init(&why, 4096);
	/* an empty locale borrows every file from en */
	ck_assert_int_eq(notice_load(&t, tdir, "xx", &why), 0);
	n = notice_fallbacks(t, &first);
	ck_assert_uint_eq(n, 5 + 1 + REASON_COUNT);
	ck_assert_str_eq(first, "bounced.tmpl");
	notice_free(t);
	/* a file present in the locale is used, the rest borrowed */
	ck_assert_int_eq(try_file("actors.tmpl",
		"# test\n@sender.sender\nYOU\n@sender.recipient\nR\n"
		"@sender.our_admin\nO\n@sender.their_admin\nT\n"
		"@sender.nobody\nN\n@helpdesk.sender\nS\n"
		"@helpdesk.recipient\nR\n@helpdesk.our_admin\nO\n"
		"@helpdesk.their_admin\nT\n@helpdesk.nobody\nN\n", &why, &t),
		0);
	notice_free(t);
	/* bad locale names never reach the file system */
	ck_assert_int_eq(notice_load(&t, tdir, "../en", &why), -1);
	ck_assert_int_eq(notice_load(&t, "/nonexistent", "en", &why), -1);
	ck_assert(strstr(buf_str(&why), "/nonexistent/en/bounced.tmpl"));
	/* files are bounded */
	huge = malloc(NOTICE_FILE_MAX + 100);
	ck_assert_ptr_nonnull(huge);
	memset(huge, '#', NOTICE_FILE_MAX + 99);
	huge[NOTICE_FILE_MAX + 99] = '\0';
	ck_assert_int_eq(try_file("bounced.tmpl", huge, &why, &t), -1);
	ck_assert(strstr(buf_str(&why), "larger than"));
	free(huge);
	buf_free(&why);
}
END_TEST

START_TEST(test_engine_semantics)
{
	struct notice_templates *t;
	struct notice_out o;
	struct notice_rcpt rc[2];
	struct notice_msg m;
	struct buf why;

	buf_init(&why, 4096);
	notice_out_init(&o);
	ck_assert_int_eq(try_file("bounced.tmpl",
		"# header comment\n"
		"@sender.subject\n"
		"  Re:   {{subject}}\n"
		"   more  \n"
		"@sender.body\n"
		"A{{! a comment }}B\n"
		"  {{#recipients}}\n"
		"- {{recipient}}: {{reason}}/{{who_acts_id}} {{who_acts}}\n"
		"{{/recipients}}\n"
		"{{^from}}no from{{/from}}{{#from}}from{{/from}}\n"
		"{{#several}}\n"
		"n={{recipient_count}}\n"
		"{{/several}}\n"
		"\n\n\n"
		"end   \n"
		"@helpdesk.subject\nh\n@helpdesk.body\nb\n", &why, &t), 0);
	rc[0] = sample_rcpt("a@x", REASON_ADDRESS_UNKNOWN, NOTICE_BOUNCED);
	rc[1] = sample_rcpt("b@y", REASON_MAILBOX_FULL, NOTICE_BOUNCED);
	rc[1].who_acts = ACTOR_RECIPIENT;
	m = sample_msg(NOTICE_BOUNCED, rc, 2);
	m.from = NULL;
	m.subject = "hi";
	ck_assert_int_eq(notice_render(t, NOTICE_SENDER, &m, NOTICE_HTML, &o,
				       &why), 0);
	ck_assert_str_eq(buf_str(&o.subject), "Re: hi more");
	ck_assert_str_eq(buf_str(&o.text),
			 "AB\n"
			 "- a@x: address_unknown/sender You\n"
			 "- b@y: mailbox_full/recipient The person you wrote "
			 "to\n"
			 "no from\n"
			 "n=2\n"
			 "\n"
			 "end\n");
	ck_assert(strstr(buf_str(&o.html), "<p>AB<br>\n- a@x"));
	ck_assert(strstr(buf_str(&o.html), "<title>Re: hi more</title>"));
	/* the same input renders the same output: no hidden state */
	{
		char *first = strdup(buf_str(&o.text));

		ck_assert_int_eq(notice_render(t, NOTICE_SENDER, &m, 0, &o,
					       &why), 0);
		ck_assert_str_eq(first, buf_str(&o.text));
		free(first);
	}
	/* recipient bounds are enforced */
	m.nrcpts = 0;
	ck_assert_int_eq(notice_render(t, NOTICE_SENDER, &m, 0, &o, &why), -1);
	m.nrcpts = 1;
	rc[0].reason = REASON_COUNT;
	ck_assert_int_eq(notice_render(t, NOTICE_SENDER, &m, 0, &o, &why), -1);
	notice_free(t);
	notice_out_free(&o);
	buf_free(&why);
}
END_TEST

Suite *
notice_suite(void)
{
	Suite *s = suite_create("notice");
	TCase *tc = tcase_create("render");
	TCase *te = tcase_create("errors");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_every_reason_every_kind);
	tcase_add_test(tc, test_five_recipients);
	tcase_add_test(tc, test_digest);
	tcase_add_test(tc, test_hostile_values);
	tcase_add_test(tc, test_fk_english_sender);
	tcase_add_test(tc, test_minimal_facts);
	tcase_add_test(tc, test_explain);
	tcase_add_test(tc, test_readability_counts);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(te, setup_tree, teardown_tree);
	tcase_add_loop_test(te, test_syntax_errors, 0,
			    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(te, test_fallback_and_limits);
	tcase_add_test(te, test_engine_semantics);
	suite_add_tcase(s, te);
	return s;
}
