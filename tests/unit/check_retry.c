/*
 * check_retry.c - the status tables, the backoff schedule, Retry-After in
 * both forms and the maximum age, with the clock and jitter as inputs.
 */
#include <check.h>
#include <curl/curl.h>

#include "retry.h"
#include "testutil.h"

START_TEST(test_http_table)
{
	ck_assert_int_eq(retry_http_class(CURLE_OK, 200), RETRY_C_SUCCESS);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 204), RETRY_C_SUCCESS);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 301), RETRY_C_PERMANENT);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 302), RETRY_C_PERMANENT);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 307), RETRY_C_PERMANENT);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 400), RETRY_C_PERMANENT);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 401), RETRY_C_PERMANENT);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 404), RETRY_C_PERMANENT);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 410), RETRY_C_GONE);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 408), RETRY_C_THROTTLE);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 429), RETRY_C_THROTTLE);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 503), RETRY_C_THROTTLE);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 502), RETRY_C_THROTTLE);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 500), RETRY_C_TRANSIENT);
	ck_assert_int_eq(retry_http_class(CURLE_OK, 599), RETRY_C_TRANSIENT);
	ck_assert_int_eq(retry_http_class(CURLE_COULDNT_CONNECT, 0),
			 RETRY_C_TRANSIENT);
	ck_assert_int_eq(retry_http_class(CURLE_OPERATION_TIMEDOUT, 0),
			 RETRY_C_TRANSIENT);
	ck_assert_int_eq(retry_http_class(CURLE_PEER_FAILED_VERIFICATION, 0),
			 RETRY_C_TRANSIENT);
	ck_assert_int_eq(retry_http_class(CURLE_UNSUPPORTED_PROTOCOL, 0),
			 RETRY_C_PERMANENT);
	ck_assert_int_eq(retry_http_class(CURLE_URL_MALFORMAT, 0),
			 RETRY_C_PERMANENT);
}
END_TEST

START_TEST(test_smtp_table)
{
	ck_assert_int_eq(retry_smtp_class(CURLE_OK, 250), RETRY_C_SUCCESS);
	ck_assert_int_eq(retry_smtp_class(CURLE_SEND_ERROR, 451),
			 RETRY_C_TRANSIENT);
	ck_assert_int_eq(retry_smtp_class(CURLE_SEND_ERROR, 421),
			 RETRY_C_TRANSIENT);
	ck_assert_int_eq(retry_smtp_class(CURLE_SEND_ERROR, 550),
			 RETRY_C_PERMANENT);
	ck_assert_int_eq(retry_smtp_class(CURLE_WEIRD_SERVER_REPLY, 554),
			 RETRY_C_PERMANENT);
	ck_assert_int_eq(retry_smtp_class(CURLE_COULDNT_CONNECT, 0),
			 RETRY_C_TRANSIENT);
	ck_assert_int_eq(retry_smtp_class(CURLE_GOT_NOTHING, 0),
			 RETRY_C_TRANSIENT);
}
END_TEST

START_TEST(test_backoff_schedule)
{
	struct retry_policy p;
	int64_t expect = RETRY_DEF_BASE_MS;
	int a;

	retry_policy_default(&p);
	for (a = 1; a <= 40; a++) {
		int64_t lo = retry_backoff_ms(&p, a, 0);
		int64_t hi = retry_backoff_ms(&p, a, UINT32_MAX);
		int64_t mid = retry_backoff_ms(&p, a, 0x80000000u);

		ck_assert_int_eq(lo, expect / 2);
		ck_assert_int_lt(hi, expect);
		ck_assert_int_ge(hi, expect - 1 - expect / 1000);
		ck_assert_int_gt(mid, lo);
		ck_assert_int_lt(mid, hi);
		expect *= 2;
		if (expect > RETRY_DEF_MAX_DELAY_MS)
			expect = RETRY_DEF_MAX_DELAY_MS;
	}
	/* huge attempt numbers cannot overflow */
	ck_assert_int_eq(retry_backoff_ms(&p, 1 << 30, 0),
			 RETRY_DEF_MAX_DELAY_MS / 2);
	/* the floor holds for tiny bases (tests use about 1 s) */
	p.base_ms = 100;
	ck_assert_int_eq(retry_backoff_ms(&p, 1, 0), RETRY_DEF_MIN_DELAY_MS);
	/* a zero base cannot spin through a huge attempt count */
	p.base_ms = 0;
	ck_assert_int_eq(retry_backoff_ms(&p, 1 << 30, 0),
			 RETRY_DEF_MIN_DELAY_MS);
}
END_TEST

START_TEST(test_retry_after)
{
	int64_t d = -1;
	/* Sun, 06 Nov 1994 08:49:37 GMT */
	const int64_t t = 784111777;

	ck_assert_int_eq(retry_after_parse("120", 0, &d), 0);
	ck_assert_int_eq(d, 120);
	ck_assert_int_eq(retry_after_parse(" 0 ", 0, &d), 0);
	ck_assert_int_eq(d, 0);
	ck_assert_int_eq(retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT",
					   t - 30, &d), 0);
	ck_assert_int_eq(d, 30);
	ck_assert_int_eq(retry_after_parse("Sunday, 06-Nov-94 08:49:37 GMT",
					   t - 31, &d), 0);
	ck_assert_int_eq(d, 31);
	ck_assert_int_eq(retry_after_parse("Sun Nov  6 08:49:37 1994",
					   t - 32, &d), 0);
	ck_assert_int_eq(d, 32);
	/* a leap day and a date in the past */
	ck_assert_int_eq(retry_after_parse("Thu, 29 Feb 2024 00:00:00 GMT",
					   1709164800 - 5, &d), 0);
	ck_assert_int_eq(d, 5);
	ck_assert_int_eq(retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT",
					   t + 100, &d), 0);
	ck_assert_int_eq(d, 0);
	d = 77;
	ck_assert_int_eq(retry_after_parse("", 0, &d), -1);
	ck_assert_int_eq(retry_after_parse("-5", 0, &d), -1);
	ck_assert_int_eq(retry_after_parse("1.5", 0, &d), -1);
	ck_assert_int_eq(retry_after_parse("99999999999", 0, &d), -1);
	ck_assert_int_eq(retry_after_parse("Sun, 06 Nov 1994 08:49:37 PST",
					   0, &d), -1);
	ck_assert_int_eq(retry_after_parse("Sun, 06 Nov 1994 25:49:37 GMT",
					   0, &d), -1);
	ck_assert_int_eq(retry_after_parse("Sun, 06 Foo 1994 08:49:37 GMT",
					   0, &d), -1);
	ck_assert_int_eq(retry_after_parse("soon", 0, &d), -1);
	ck_assert_int_eq(d, 77);
}
END_TEST

START_TEST(test_decide)
{
	struct retry_policy p;
	struct retry_decision d;

	retry_policy_default(&p);
	d = retry_decide(&p, RETRY_C_SUCCESS, 1, 0, -1, 0);
	ck_assert_int_eq(d.verdict, RETRY_DONE);
	d = retry_decide(&p, RETRY_C_PERMANENT, 1, 0, -1, 0);
	ck_assert_int_eq(d.verdict, RETRY_DEAD);
	d = retry_decide(&p, RETRY_C_GONE, 1, 0, -1, 0);
	ck_assert_int_eq(d.verdict, RETRY_DISABLE);
	d = retry_decide(&p, RETRY_C_TRANSIENT, 3, 60000, -1, 0);
	ck_assert_int_eq(d.verdict, RETRY_LATER);
	ck_assert_int_eq(d.delay_ms, 20000);
	/* Retry-After honoured, then capped, then floored */
	d = retry_decide(&p, RETRY_C_THROTTLE, 1, 0, 7000, 0);
	ck_assert_int_eq(d.verdict, RETRY_LATER);
	ck_assert_int_eq(d.delay_ms, 7000);
	d = retry_decide(&p, RETRY_C_THROTTLE, 1, 0, 86400000, 0);
	ck_assert_int_eq(d.delay_ms, RETRY_DEF_RA_MAX_MS);
	d = retry_decide(&p, RETRY_C_THROTTLE, 1, 0, 0, 0);
	ck_assert_int_eq(d.delay_ms, RETRY_DEF_MIN_DELAY_MS);
	/* throttle without Retry-After backs off like a 5xx */
	d = retry_decide(&p, RETRY_C_THROTTLE, 2, 0, -1, 0);
	ck_assert_int_eq(d.delay_ms, 10000);
	/* a retry that would land past max age is a dead letter */
	d = retry_decide(&p, RETRY_C_TRANSIENT, 30,
			 RETRY_DEF_MAX_AGE_MS - 1000, -1, 0);
	ck_assert_int_eq(d.verdict, RETRY_DEAD);
	ck_assert_str_eq(retry_verdict_name(d.verdict), "dead");
	ck_assert_str_eq(retry_class_name(RETRY_C_THROTTLE), "throttle");
}
END_TEST

START_TEST(test_whole_schedule)
{
	struct retry_policy p;
	struct retry_decision d;
	int64_t age = 0;
	int attempt = 1;

	/* with the midpoint jitter the default schedule ends in a dead
	 * letter within max age, after a bounded number of attempts */
	retry_policy_default(&p);
	for (;;) {
		d = retry_decide(&p, RETRY_C_TRANSIENT, attempt, age, -1,
				 0x80000000u);
		if (d.verdict != RETRY_LATER)
			break;
		age += d.delay_ms;
		attempt++;
	}
	ck_assert_int_eq(d.verdict, RETRY_DEAD);
	ck_assert_int_le(age, RETRY_DEF_MAX_AGE_MS);
	ck_assert_int_gt(attempt, 20);
	ck_assert_int_lt(attempt, 60);
}
END_TEST

Suite *
retry_suite(void)
{
	Suite *s = suite_create("retry");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_http_table);
	tcase_add_test(tc, test_smtp_table);
	tcase_add_test(tc, test_backoff_schedule);
	tcase_add_test(tc, test_retry_after);
	tcase_add_test(tc, test_decide);
	tcase_add_test(tc, test_whole_schedule);
	suite_add_tcase(s, tc);
	return s;
}
