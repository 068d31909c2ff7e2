/*
 * check_dsncode.c - the enhanced status code table is well formed and
 * codes are parsed and found in text the way replies write them.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "dsncode.h"
#include "testutil.h"

START_TEST(test_table_sorted_and_named)
{
	size_t i, n;
	const struct dsncode *t = dsncode_table(&n);
	char want[16];

	ck_assert_uint_ge(n, 80);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "X.%d.%d", t[i].subject,
			 t[i].detail);
		ck_assert_str_eq(t[i].code, want);
		ck_assert(t[i].title[0] != '\0');
		ck_assert(strlen(t[i].meaning) > 20);
		ck_assert_int_lt(t[i].reason, REASON_COUNT);
		if (i > 0)
			ck_assert_int_lt(t[i - 1].subject * 1000 +
					 t[i - 1].detail,
					 t[i].subject * 1000 + t[i].detail);
		ck_assert_ptr_eq(dsncode_get(t[i].subject, t[i].detail),
				 &t[i]);
	}
}
END_TEST

START_TEST(test_lookup)
{
	const struct dsncode *e;

	e = dsncode_lookup("5.1.1", 5);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->reason, REASON_ADDRESS_UNKNOWN);
	ck_assert_str_eq(e->code, "X.1.1");
	e = dsncode_lookup("X.2.2", 5);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->reason, REASON_MAILBOX_FULL);
	e = dsncode_lookup("4.7.25", 6);
	ck_assert_int_eq(e->reason, REASON_REVERSE_DNS_MISSING);
	e = dsncode_lookup("5.1.10", 6);
	ck_assert_int_eq(e->reason, REASON_DOMAIN_UNKNOWN);
	ck_assert_int_eq(dsncode_lookup("5.7.26", 6)->reason,
			 REASON_AUTHENTICATION_FAILED);
	/* a span: only len bytes count */
	ck_assert_ptr_nonnull(dsncode_lookup("5.1.1 user unknown", 5));
	ck_assert_ptr_null(dsncode_lookup("5.1.1 user", 10));
	ck_assert_ptr_null(dsncode_lookup("5.7.606", 7));	/* unregistered */
	ck_assert_ptr_null(dsncode_lookup("3.1.1", 5));
	ck_assert_ptr_null(dsncode_lookup("5.1", 3));
	ck_assert_ptr_null(dsncode_lookup("", 0));
	ck_assert_ptr_null(dsncode_lookup(NULL, 0));
}
END_TEST

START_TEST(test_parse)
{
	struct dsn d;

	ck_assert(dsncode_parse("4.7.650", 7, &d));
	ck_assert_int_eq(d.cls, 4);
	ck_assert_int_eq(d.subject, 7);
	ck_assert_int_eq(d.detail, 650);
	ck_assert(!dsncode_parse("4.7.6500", 8, &d));
	ck_assert(!dsncode_parse("X.7.1", 5, &d));
	ck_assert(!dsncode_parse("5.7.", 4, &d));
	ck_assert(!dsncode_parse("5..1", 4, &d));
	ck_assert(!dsncode_parse("5.7.1 ", 6, &d));
	ck_assert(!dsncode_parse("6.1.1", 5, &d));
}
END_TEST

START_TEST(test_scan)
{
	struct dsn d;
	size_t off, len;
	const char *s;

	s = "550-5.1.1 The email account that you tried to reach";
	off = dsncode_scan(s, strlen(s), &d, &len);
	ck_assert_uint_eq(off, 4);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(d.subject, 1);
	s = "sorry, no mailbox here by that name (#5.1.1 - chkusr)";
	off = dsncode_scan(s, strlen(s), &d, &len);
	ck_assert_uint_eq(off, 38);
	/* an IP address or version number is not a code */
	s = "blocked: 5.7.1.100 listed, see v2.5.1 notes";
	ck_assert_uint_eq(dsncode_scan(s, strlen(s), &d, &len), (size_t)-1);
	/* a code ending a sentence is */
	s = "Rejected, status 4.2.2.";
	off = dsncode_scan(s, strlen(s), &d, &len);
	ck_assert_uint_eq(off, 17);
	ck_assert_int_eq(d.cls, 4);
	ck_assert_uint_eq(dsncode_scan("", 0, &d, &len), (size_t)-1);
	ck_assert_uint_eq(dsncode_scan("5.1", 3, &d, &len), (size_t)-1);
}
END_TEST

START_TEST(test_reason_fallbacks)
{
	struct dsn d = { 5, 7, 999 };

	ck_assert_int_eq(dsncode_reason(&d), REASON_POLICY_BLOCKED);
	d = (struct dsn){ 2, 0, 0 };
	ck_assert_int_eq(dsncode_reason(&d), REASON_DELIVERED);
	d = (struct dsn){ 5, 9, 1 };
	ck_assert_int_eq(dsncode_reason(&d), REASON_UNKNOWN);
	d = (struct dsn){ 4, 4, 1 };
	ck_assert_int_eq(dsncode_reason(&d), REASON_CANNOT_CONNECT);
	ck_assert_ptr_nonnull(dsncode_class_meaning(4));
	ck_assert_ptr_null(dsncode_class_meaning(3));
	ck_assert_str_eq(dsncode_subject_title(1), "Addressing");
	ck_assert_ptr_null(dsncode_subject_meaning(8));
}
END_TEST

Suite *
dsncode_suite(void)
{
	Suite *s = suite_create("dsncode");
	TCase *tc = tcase_create("dsncode");

	tcase_add_test(tc, test_table_sorted_and_named);
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_scan);
	tcase_add_test(tc, test_reason_fallbacks);
	suite_add_tcase(s, tc);
	return s;
}
