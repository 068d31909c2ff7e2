/*
 * check_escape.c - hostile text stays on one line, valid and readable.
 */
#include <check.h>
#include <string.h>

#include "escape.h"
#include "testutil.h"

/* disp - escape_display of a literal of len bytes, as a C string */
static const char *
disp(struct buf *b, const char *s, size_t len)
{
	buf_reset(b);
	escape_display(b, span_make(s, len));
	return buf_str(b);
}

START_TEST(test_display)
{
	struct buf b;

	buf_init(&b, 1024);
	ck_assert_str_eq(disp(&b, "plain text", 10), "plain text");
	ck_assert_str_eq(disp(&b, "a\r\nb", 4), "a\\x0d\\x0ab");
	ck_assert_str_eq(disp(&b, "\x1b[31mred", 8), "\\x1b[31mred");
	ck_assert_str_eq(disp(&b, "caf\xc3\xa9", 5), "caf\xc3\xa9");
	ck_assert_str_eq(disp(&b, "bad\xff\xc3", 5), "bad\\xff\\xc3");
	/* U+202E RIGHT-TO-LEFT OVERRIDE */
	ck_assert_str_eq(disp(&b, "a\xe2\x80\xae" "b", 5), "a\\u{202e}b");
	/* overlong '/' and a surrogate are invalid */
	ck_assert_str_eq(disp(&b, "\xc0\xaf", 2), "\\xc0\\xaf");
	ck_assert_str_eq(disp(&b, "\xed\xa0\x80", 3), "\\xed\\xa0\\x80");
	ck_assert_str_eq(disp(&b, "nul\0x", 5), "nul\\x00x");
	buf_free(&b);
}
END_TEST

START_TEST(test_text_and_bounds)
{
	struct buf b;
	char big[5000];

	buf_init(&b, 1024);
	escape_text(&b, span_make("a\r\nb\xff", 5));
	ck_assert_str_eq(buf_str(&b), "a  b\xef\xbf\xbd");
	ck_assert(utf8_valid(span_make(buf_str(&b), b.len)));
	buf_reset(&b);
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(escape_display(&b, span_make(big, sizeof(big))),
			 BUF_TOOBIG);
	ck_assert_uint_le(b.len, 1024);
	buf_free(&b);
	ck_assert(!utf8_valid(span_make("\xf5\x80\x80\x80", 4)));
	ck_assert(utf8_valid(span_make("\xf0\x9f\x98\x80", 4)));
}
END_TEST

/* the decoder escape.c and mailmsg.c share: lengths, code points, refusals */
START_TEST(test_utf8_decode)
{
	const unsigned char *u = (const unsigned char *)
		"A\xc3\xa9\xe2\x80\xae\xf0\x9f\x98\x80";
	const unsigned char *bad = (const unsigned char *)
		"\xc0\x80" "\xed\xa0\x80" "\xc3" "A";
	uint32_t c = 0;

	ck_assert_uint_eq(utf8_decode(u, 10, &c), 1);
	ck_assert_uint_eq(c, 'A');
	ck_assert_uint_eq(utf8_decode(u + 1, 9, &c), 2);
	ck_assert_uint_eq(c, 0xe9);
	ck_assert_uint_eq(utf8_decode(u + 3, 7, &c), 3);
	ck_assert_uint_eq(c, 0x202e);
	ck_assert_uint_eq(utf8_decode(u + 6, 4, &c), 4);
	ck_assert_uint_eq(c, 0x1f600);
	ck_assert_uint_eq(utf8_decode(u + 6, 3, &c), 0);	/* cut short */
	ck_assert_uint_eq(utf8_decode(u, 0, &c), 0);
	/* overlong, surrogate, bad continuation */
	ck_assert_uint_eq(utf8_decode(bad, 2, &c), 0);
	ck_assert_uint_eq(utf8_decode(bad + 2, 3, &c), 0);
	ck_assert_uint_eq(utf8_decode(bad + 5, 2, &c), 0);
}
END_TEST

Suite *
escape_suite(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, test_display);
	tcase_add_test(tc, test_text_and_bounds);
	tcase_add_test(tc, test_utf8_decode);
	suite_add_tcase(s, tc);
	return s;
}
