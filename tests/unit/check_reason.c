/*
 * check_reason.c - reason and actor ids round-trip and keep their names.
 */
#include <check.h>
#include <string.h>

#include "reason.h"
#include "testutil.h"

START_TEST(test_roundtrip)
{
	int i;
	enum reason r;
	enum actor a;
	const char *n;

	for (i = 0; i < REASON_COUNT; i++) {
		n = reason_name((enum reason)i);
		ck_assert_ptr_nonnull(n);
		ck_assert(reason_from_name(n, strlen(n), &r));
		ck_assert_int_eq(r, i);
	}
	for (i = 0; i < ACTOR_COUNT; i++) {
		n = actor_name((enum actor)i);
		ck_assert(actor_from_name(n, strlen(n), &a));
		ck_assert_int_eq(a, i);
	}
	ck_assert(!reason_from_name("address", 7, &r));
	ck_assert(!reason_from_name("address_unknownx", 16, &r));
	/* the ids the issue fixed must keep their exact spelling */
	ck_assert_str_eq(reason_name(REASON_ADDRESS_UNKNOWN), "address_unknown");
	ck_assert_str_eq(reason_name(REASON_DELIVERY_EXPIRED),
			 "delivery_expired");
	ck_assert_str_eq(actor_name(ACTOR_THEIR_ADMIN), "their_admin");
}
END_TEST

Suite *
reason_suite(void)
{
	Suite *s = suite_create("reason");
	TCase *tc = tcase_create("reason");

	tcase_add_test(tc, test_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
