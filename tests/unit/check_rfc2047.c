/*
 * check_rfc2047.c - encoded-words decoded, hostile values made harmless.
 */
#include <check.h>
#include <string.h>

#include "escape.h"
#include "rfc2047.h"
#include "testutil.h"

/* dec - decode a C string into b (max bytes) and return the text */
static const char *
dec(struct buf *b, size_t max, const char *s, int *rc)
{
	buf_free(b);
	buf_init(b, max);
	*rc = rfc2047_decode(b, span_make(s, strlen(s)));
	return buf_str(b);
}

static const struct {
	const char *in, *want;
} cases[] = {
	{ "plain subject", "plain subject" },
	{ "=?UTF-8?Q?caf=C3=A9?=", "caf\xc3\xa9" },
	{ "=?utf-8?b?Y2Fmw6k=?=", "caf\xc3\xa9" },
	{ "=?ISO-8859-1?Q?caf=E9?=", "caf\xc3\xa9" },
	{ "=?iso-8859-1*fr?q?caf=E9?=", "caf\xc3\xa9" },
	{ "=?UTF-8?Q?a_b?=", "a b" },
	/* white space between adjacent encoded-words is dropped */
	{ "=?UTF-8?Q?ab?= =?UTF-8?Q?cd?=", "abcd" },
	{ "=?UTF-8?Q?ab?=\r\n =?UTF-8?Q?cd?=", "abcd" },
	/* but kept next to plain text */
	{ "x =?UTF-8?Q?ab?= y", "x ab y" },
	/* folding */
	{ "long\r\n\tsubject", "long subject" },	/* tab shown as space */
	/* encoded CR/LF must not survive as a line break */
	{ "=?UTF-8?Q?a=0D=0ABcc:_evil@example?=", "a  Bcc: evil@example" },
	{ "=?UTF-8?B?YQ0KYg==?=", "a  b" },
	/* bare CR/LF not followed by white space becomes a space */
	{ "a\r\nBcc: x", "a  Bcc: x" },
	/* invalid UTF-8, raw or encoded */
	{ "bad\xff", "bad\xef\xbf\xbd" },
	{ "=?UTF-8?Q?bad=FF?=", "bad\xef\xbf\xbd" },
	/* unknown charset, bad base64, unknown mode: kept as written */
	{ "=?x-no-such?Q?abc?=", "=?x-no-such?Q?abc?=" },
	{ "=?UTF-8?B?!!!?=", "=?UTF-8?B?!!!?=" },
	{ "=?UTF-8?X?abc?=", "=?UTF-8?X?abc?=" },
	/* unterminated word */
	{ "=?UTF-8?Q?abc", "=?UTF-8?Q?abc" },
	{ "=?", "=?" },
	{ "", "" },
	/* a bad escape in Q stays literal */
	{ "=?UTF-8?Q?50=ZZ?=", "50=ZZ" },
};

START_TEST(test_cases)
{
	struct buf b;
	int rc;

	buf_init(&b, 1024);
	ck_assert_str_eq(dec(&b, 1024, cases[_i].in, &rc), cases[_i].want);
	ck_assert_int_eq(rc, BUF_OK);
	buf_free(&b);
}
END_TEST

START_TEST(test_bounds)
{
	static char big[12000], enc[12000];
	struct buf b;
	const char *out;
	size_t i;
	int rc;

	/* a 10 KB subject is cut to the buffer, at a character boundary */
	for (i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[i] = '\0';
	buf_init(&b, 1);
	out = dec(&b, 999, big, &rc);
	ck_assert_int_eq(rc, BUF_TOOBIG);
	ck_assert_uint_le(strlen(out), 999);
	ck_assert_uint_ge(strlen(out), 990);
	ck_assert(utf8_valid(span_make(out, strlen(out))));

	/* the same through thousands of encoded-words */
	enc[0] = '\0';
	for (i = 0; strlen(enc) + 20 < sizeof(enc); i++)
		memcpy(enc + strlen(enc), "=?UTF-8?Q?=C3=A9?= ", 20);
	out = dec(&b, 500, enc, &rc);
	ck_assert_int_eq(rc, BUF_TOOBIG);
	ck_assert_uint_le(strlen(out), 500);
	ck_assert(utf8_valid(span_make(out, strlen(out))));
	ck_assert(strchr(out, ' ') == NULL);
	buf_free(&b);
}
END_TEST

START_TEST(test_embedded_nul)
{
	struct buf b;

	buf_init(&b, 100);
	ck_assert_int_eq(rfc2047_decode(&b, span_make("a\0b", 3)), BUF_OK);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_str_eq(buf_str(&b), "a b");
	buf_reset(&b);
	ck_assert_int_eq(rfc2047_decode(&b,
		span_make("=?UTF-8?Q?x=00y?=", 17)), BUF_OK);
	ck_assert_str_eq(buf_str(&b), "x y");
	buf_free(&b);
}
END_TEST

Suite *
rfc2047_suite(void)
{
	Suite *s = suite_create("rfc2047");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_cases, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_embedded_nul);
	suite_add_tcase(s, tc);
	return s;
}
