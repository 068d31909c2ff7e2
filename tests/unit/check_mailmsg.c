/*
 * check_mailmsg.c - the notice message: exact headers, encoded subjects,
 * threading only under a valid Message-ID, and no CR or LF from outside
 * ever reaching a header.  Parsing by a real MUA library is done in the
 * e2e test (Python's email package, strict policy).
 */
#include <check.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "mailmsg.h"
#include "testutil.h"

/* filled - a heap string of n copies of c */
static char *
filled(size_t n, char c)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* base - a valid notice the tests vary one field of */
static struct mailmsg
base(void)
{
	struct mailmsg m = {
		.from_addr = "notices@example.org",
		.from_name = "Mail Desk",
		.to_addr = "alice@example.org",
		.subject = "Undelivered: quarterly report",
		.date = 1614265330,
		.message_id = "<pb.1.abc@example.org>",
		.orig_message_id = "<orig.42@client.example.org>",
		.text = "Your message could not be delivered.\n",
		.html = "<p>Your message could not be delivered.</p>\n",
	};

	return m;
}

/* build - mailmsg_build into b, asserting success; the header block */
static const char *
build(struct buf *b, const struct mailmsg *m)
{
	const char *why = NULL;

	buf_reset(b);
	ck_assert_msg(mailmsg_build(b, m, &why) == 0, "build: %s", why);
	return buf_str(b);
}

/* wire_clean - only CRLF line ends, 7-bit, lines under 998 octets */
static void
wire_clean(const struct buf *b)
{
	size_t i, col = 0;

	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		ck_assert_msg(c < 0x80 && c != 0, "8-bit byte at %zu", i);
		if (c == '\r') {
			ck_assert_msg(i + 1 < b->len && b->data[i + 1] == '\n',
				      "bare CR at %zu", i);
		} else if (c == '\n') {
			ck_assert_msg(i > 0 && b->data[i - 1] == '\r',
				      "bare LF at %zu", i);
			col = 0;
			continue;
		}
		ck_assert_msg(++col <= 998, "line too long at %zu", i);
	}
}

/* header_names - the names of the top-level header fields, in order,
 * separated by spaces; asserts every continuation line is folded */
static void
header_names(const char *msg, char *out, size_t size)
{
	const char *p = msg, *colon;
	size_t used = 0;

	out[0] = '\0';
	while (*p != '\0' && strncmp(p, "\r\n", 2) != 0) {
		if (*p != ' ' && *p != '\t') {
			colon = strchr(p, ':');
			ck_assert_ptr_nonnull(colon);
			used += (size_t)snprintf(out + used, size - used, "%s%.*s",
						 used ? " " : "", (int)(colon - p), p);
			ck_assert_uint_lt(used, size);
		}
		p = strstr(p, "\r\n");
		ck_assert_ptr_nonnull(p);
		p += 2;
	}
}

/* subject_decoded - unfold and decode the Subject into out */
static void
subject_decoded(const char *msg, struct buf *out)
{
	const char *p = strstr(msg, "\r\nSubject: "), *e, *line;
	unsigned char raw[64];

	ck_assert_ptr_nonnull(p);
	line = p + 2;
	p += strlen("\r\nSubject: ");
	buf_reset(out);
	if (strncmp(p, "=?UTF-8?B?", 10) != 0) {
		e = strstr(p, "\r\n");
		buf_add(out, p, (size_t)(e - p));
		return;
	}
	for (;;) {
		int n, pad = 0;

		ck_assert_int_eq(strncmp(p, "=?UTF-8?B?", 10), 0);
		p += 10;
		e = strstr(p, "?=");
		ck_assert_ptr_nonnull(e);
		ck_assert_int_le(e + 2 - (p - 10), 75);
		/* the whole line, "Subject: " or the folding space included */
		ck_assert_int_le(e + 2 - line, 76);
		n = EVP_DecodeBlock(raw, (const unsigned char *)p, (int)(e - p));
		ck_assert_int_ge(n, 0);
		pad = (e[-1] == '=') + (e[-2] == '=');
		buf_add(out, raw, (size_t)(n - pad));
		p = e + 2;
		if (strncmp(p, "\r\n ", 3) != 0)
			break;
		line = p + 2;
		p += 3;
	}
	ck_assert_int_eq(strncmp(p, "\r\n", 2), 0);
}

START_TEST(test_exact_headers)
{
	struct buf b;
	struct mailmsg m = base();
	char names[512];
	const char *msg;

	buf_init(&b, 1 << 16);
	msg = build(&b, &m);
	wire_clean(&b);
	header_names(msg, names, sizeof(names));
	ck_assert_str_eq(names, "Date From To Subject Message-ID In-Reply-To "
			 "References Auto-Submitted X-Auto-Response-Suppress "
			 "MIME-Version Content-Type");
	ck_assert_ptr_nonnull(strstr(msg, "Date: Thu, 25 Feb 2021 15:02:10 +0000\r\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\r\nFrom: Mail Desk <notices@example.org>\r\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\r\nTo: <alice@example.org>\r\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\r\nSubject: Undelivered: quarterly report\r\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\r\nIn-Reply-To: <orig.42@client.example.org>\r\n"
				     "References: <orig.42@client.example.org>\r\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n"
				     "X-Auto-Response-Suppress: All\r\n"));
	ck_assert_ptr_nonnull(strstr(msg, "boundary=\"=_plainbounce_alt\"\r\n\r\n"
				     "--=_plainbounce_alt\r\nContent-Type: text/plain; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\r\n--=_plainbounce_alt\r\nContent-Type: text/html;"));
	ck_assert_str_eq(msg + b.len - 25, "\r\n--=_plainbounce_alt--\r\n");

	/* without HTML: one text part, no multipart */
	m.html = NULL;
	m.from_name = NULL;
	msg = build(&b, &m);
	wire_clean(&b);
	ck_assert_ptr_nonnull(strstr(msg, "\r\nFrom: notices@example.org\r\n"));
	ck_assert_ptr_null(strstr(msg, "multipart"));
	ck_assert_ptr_nonnull(strstr(msg, "\r\nContent-Type: text/plain; charset=utf-8\r\n"
				     "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
				     "Your message could not be delivered.\r\n"));
	m = base();
	m.date = 951782400;
	ck_assert_ptr_nonnull(strstr(build(&b, &m), "Date: Tue, 29 Feb 2000 00:00:00 +0000\r\n"));
	m.date = 0;
	ck_assert_ptr_nonnull(strstr(build(&b, &m), "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
	buf_free(&b);
}
END_TEST

START_TEST(test_hostile_subjects)
{
	static const struct {
		const char *in;
		const char *decoded;
	} cases[] = {
		{ "plain", "plain" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "a\r\nBcc: victim@example.com", "a Bcc: victim@example.com" },
		{ "a\rb\nc\x00d", "a b c" },
		{ "=?utf-8?Q?a=0D=0ABcc:_x@y?=", "=?utf-8?Q?a=0D=0ABcc:_x@y?=" },
		{ "x=0D=0Ay", "x=0D=0Ay" },
		{ "bad \xff\xfe utf8 \xc3", "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \xef\xbf\xbd" },
		{ "{{x}} %n %s", "{{x}} %n %s" },
		{ "  tabs\t\tand   spaces  ", "tabs and spaces" },
		{ "rtl \xe2\x80\xae" "evil", "rtl evil" },
		{ "nel\xc2\x85x", "nel x" },
	};
	struct buf b, dec;
	struct mailmsg m = base();
	char names[512];
	size_t i;

	buf_init(&b, 1 << 16);
	buf_init(&dec, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m.subject = cases[i].in;
		build(&b, &m);
		wire_clean(&b);
		header_names(buf_str(&b), names, sizeof(names));
		ck_assert_str_eq(names, "Date From To Subject Message-ID "
				 "In-Reply-To References Auto-Submitted "
				 "X-Auto-Response-Suppress MIME-Version "
				 "Content-Type");
		subject_decoded(buf_str(&b), &dec);
		ck_assert_str_eq(buf_str(&dec), cases[i].decoded);
	}
	/* "=?" can never pass unencoded */
	m.subject = "=?utf-8?Q?a=0D=0ABcc:_x@y?=";
	ck_assert_ptr_nonnull(strstr(build(&b, &m), "Subject: =?UTF-8?B?"));
	buf_free(&dec);
	buf_free(&b);
}
END_TEST

START_TEST(test_long_subject)
{
	struct buf b, dec;
	struct mailmsg m = base();
	char *big = filled(10240, 'x');
	const char *s;
	size_t chars = 0;

	buf_init(&b, 1 << 16);
	buf_init(&dec, 4096);
	/* 10 KB of one word, then of multi-byte characters */
	m.subject = big;
	build(&b, &m);
	wire_clean(&b);
	subject_decoded(buf_str(&b), &dec);
	ck_assert_uint_eq(dec.len, MAILMSG_SUBJECT_MAX + 3);
	ck_assert_str_eq(buf_str(&dec) + MAILMSG_SUBJECT_MAX, "...");
	for (size_t i = 0; i + 2 <= 10238; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[10238] = '\0';
	build(&b, &m);
	wire_clean(&b);
	subject_decoded(buf_str(&b), &dec);
	for (s = buf_str(&dec); *s != '\0'; s++)
		chars += ((unsigned char)*s & 0xc0) != 0x80;
	ck_assert_uint_eq(chars, MAILMSG_SUBJECT_MAX + 3);
	free(big);
	buf_free(&dec);
	buf_free(&b);
}
END_TEST

START_TEST(test_threading)
{
	static const char *const bad[] = {
		"", "   ", "orig@example.org", "<orig@example.org",
		"<orig@example.org>\r\nBcc: victim@example.com",
		"<orig@example.org> <second@example.org>",
		"<a b@example.org>", "<@example.org>", "<orig@>",
		"<orig..x@example.org>", "<\"q\"@example.org>",
		"<orig@exa\xc3\xa9mple.org>", "<orig@[1.2.3.4\\]>",
	};
	struct buf b;
	struct mailmsg m = base();
	char id[300];
	size_t i;

	buf_init(&b, 1 << 16);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m.orig_message_id = bad[i];
		build(&b, &m);
		wire_clean(&b);
		ck_assert_msg(strstr(buf_str(&b), "In-Reply-To") == NULL &&
			      strstr(buf_str(&b), "References") == NULL,
			      "threaded under invalid id %zu", i);
	}
	memset(id, 'a', sizeof(id));
	memcpy(id, "<", 1);
	memcpy(id + 280, "@example.org>", 14);
	m.orig_message_id = id;
	ck_assert_ptr_null(strstr(build(&b, &m), "In-Reply-To"));
	m.orig_message_id = NULL;
	ck_assert_ptr_null(strstr(build(&b, &m), "In-Reply-To"));
	/* white space around a valid id is dropped; literals are valid */
	m.orig_message_id = " <x.1@[192.0.2.1]>\t";
	ck_assert_ptr_nonnull(strstr(build(&b, &m), "\r\nIn-Reply-To: <x.1@[192.0.2.1]>\r\n"
				     "References: <x.1@[192.0.2.1]>\r\n"));
	buf_free(&b);
}
END_TEST

START_TEST(test_refusals)
{
	struct buf b;
	struct mailmsg m = base();
	const char *why = NULL;

	ck_assert(mailmsg_addr_valid("a.b+c@example.org"));
	ck_assert(mailmsg_addr_valid("postmaster@[192.0.2.1]"));
	ck_assert(!mailmsg_addr_valid("a@b\r\nRCPT TO:<x@y>"));
	ck_assert(!mailmsg_addr_valid("\"x>\"@example.org"));
	ck_assert(!mailmsg_addr_valid("a b@example.org"));
	ck_assert(!mailmsg_addr_valid("a@-example.org"));
	ck_assert(!mailmsg_addr_valid("a@example-.org"));
	ck_assert(!mailmsg_addr_valid("a@example..org"));
	ck_assert(!mailmsg_addr_valid("@example.org"));
	ck_assert(!mailmsg_addr_valid("a@"));
	ck_assert(!mailmsg_addr_valid("j\xc3\xb6rg@example.org"));
	ck_assert(!mailmsg_addr_valid("<a@example.org>"));

	buf_init(&b, 1 << 16);
	buf_adds(&b, "kept");
	m.to_addr = "a@b\r\nBcc: x@y";
	ck_assert_int_eq(mailmsg_build(&b, &m, &why), -1);
	ck_assert_str_eq(why, "invalid recipient address");
	m = base();
	m.from_addr = "";
	ck_assert_int_eq(mailmsg_build(&b, &m, &why), -1);
	m = base();
	m.message_id = "<x@y>\r\nBcc: z@w";
	ck_assert_int_eq(mailmsg_build(&b, &m, &why), -1);
	m.message_id = " <x@y>";
	ck_assert_int_eq(mailmsg_build(&b, &m, &why), -1);
	ck_assert_str_eq(buf_str(&b), "kept");
	buf_free(&b);
	/* too small: nothing written */
	buf_init(&b, 100);
	buf_adds(&b, "kept");
	m = base();
	ck_assert_int_eq(mailmsg_build(&b, &m, &why), -1);
	ck_assert_str_eq(buf_str(&b), "kept");
	buf_free(&b);
}
END_TEST

START_TEST(test_from_name)
{
	struct buf b;
	struct mailmsg m = base();

	buf_init(&b, 1 << 16);
	m.from_name = "Desk\r\nBcc: x@y";
	build(&b, &m);
	wire_clean(&b);
	ck_assert_ptr_null(strstr(buf_str(&b), "\r\nBcc"));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), "\r\nFrom: =?UTF-8?B?"));
	ck_assert_ptr_nonnull(strstr(buf_str(&b), "?=\r\n <notices@example.org>\r\n"));
	m.from_name = "\r\n";
	ck_assert_ptr_nonnull(strstr(build(&b, &m), "\r\nFrom: <notices@example.org>\r\n"));
	buf_free(&b);
}
END_TEST

START_TEST(test_quoted_printable)
{
	struct buf b;
	struct mailmsg m = base();
	char *longline = filled(300, 'y');
	const char *body, *p;

	buf_init(&b, 1 << 16);
	m.html = NULL;
	m.text = "a=b\n.dot\r\ntrail  \rcaf\xc3\xa9 \xff\x01\n";
	body = strstr(build(&b, &m), "\r\n\r\n") + 4;
	wire_clean(&b);
	ck_assert_str_eq(body, "a=3Db\r\n=2Edot\r\ntrail =20\r\n"
			 "caf=C3=A9 =EF=BF=BD=EF=BF=BD\r\n\r\n");
	m.text = longline;
	body = strstr(build(&b, &m), "\r\n\r\n") + 4;
	wire_clean(&b);
	for (p = body; (p = strstr(body, "\r\n")) != NULL; body = p + 2)
		ck_assert_int_le(p - body, 76);
	free(longline);
	buf_free(&b);
}
END_TEST

START_TEST(test_html_escape)
{
	struct buf b;

	buf_init(&b, 1024);
	mailmsg_html_escape(&b, span_make("<a href=\"x\">&'</a>\n\x01\xff", 21));
	ck_assert_str_eq(buf_str(&b), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
			 "&lt;/a&gt;\n\xef\xbf\xbd\xef\xbf\xbd");
	buf_free(&b);
}
END_TEST

Suite *
mailmsg_suite(void)
{
	Suite *s = suite_create("mailmsg");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_exact_headers);
	tcase_add_test(tc, test_hostile_subjects);
	tcase_add_test(tc, test_long_subject);
	tcase_add_test(tc, test_threading);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_from_name);
	tcase_add_test(tc, test_quoted_printable);
	tcase_add_test(tc, test_html_escape);
	suite_add_tcase(s, tc);
	return s;
}
