/*
 * check_webhook_sign.c - the Standard Webhooks known-answer vector and
 * the refusals that keep ids and secrets honest.
 */
#include <check.h>
#include <string.h>

#include "testutil.h"
#include "webhook_sign.h"

/*
 * The vector published in standard-webhooks/standard-webhooks,
 * libraries/go/webhook_test.go (TestWebhookSign).
 */
#define KAT_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define KAT_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define KAT_TS 1614265330
#define KAT_BODY "{\"test\": 2432232314}"
#define KAT_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

START_TEST(test_known_answer)
{
	struct webhook_key key;
	const char *why = NULL;
	char sig[WEBHOOK_SIG_SIZE];

	ck_assert_int_eq(webhook_key_decode(&key, KAT_SECRET, &why), 0);
	ck_assert_uint_eq(key.len, 24);
	ck_assert_int_eq(webhook_sign(&key, KAT_ID, KAT_TS, KAT_BODY,
				      strlen(KAT_BODY), sig), 0);
	ck_assert_str_eq(sig, KAT_SIG);
	/* the prefix is optional, the key the same */
	ck_assert_int_eq(webhook_key_decode(&key, KAT_SECRET + 6, &why), 0);
	ck_assert_int_eq(webhook_sign(&key, KAT_ID, KAT_TS, KAT_BODY,
				      strlen(KAT_BODY), sig), 0);
	ck_assert_str_eq(sig, KAT_SIG);
}
END_TEST

START_TEST(test_every_part_is_signed)
{
	struct webhook_key key;
	const char *why = NULL;
	char sig[WEBHOOK_SIG_SIZE];

	ck_assert_int_eq(webhook_key_decode(&key, KAT_SECRET, &why), 0);
	/* one byte of body, id or timestamp changes the signature */
	webhook_sign(&key, KAT_ID, KAT_TS, "{\"test\": 2432232315}",
		     strlen(KAT_BODY), sig);
	ck_assert_str_ne(sig, KAT_SIG);
	webhook_sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJeK", KAT_TS, KAT_BODY,
		     strlen(KAT_BODY), sig);
	ck_assert_str_ne(sig, KAT_SIG);
	webhook_sign(&key, KAT_ID, KAT_TS + 1, KAT_BODY, strlen(KAT_BODY),
		     sig);
	ck_assert_str_ne(sig, KAT_SIG);
	ck_assert_uint_eq(strlen(sig), 47);
	/* an empty body is legal and signed */
	ck_assert_int_eq(webhook_sign(&key, KAT_ID, KAT_TS, "", 0, sig), 0);
	ck_assert_str_ne(sig, KAT_SIG);
}
END_TEST

START_TEST(test_refusals)
{
	struct webhook_key key;
	const char *why = NULL;
	char sig[WEBHOOK_SIG_SIZE], longid[WEBHOOK_ID_MAX + 2];

	/* 18 bytes: too short */
	ck_assert_int_eq(webhook_key_decode(&key, "whsec_MTIzNDU2Nzg5MDEyMzQ1Njc4",
					    &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(webhook_key_decode(&key, "whsec_", &why), -1);
	ck_assert_int_eq(webhook_key_decode(&key, "whsec_MfKQ9r8GKYqrTwjUPD8I!PZIo2LaLaSw",
					    &why), -1);
	ck_assert_int_eq(webhook_key_decode(&key, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
					    &why), -1);
	ck_assert_int_eq(webhook_key_decode(&key, KAT_SECRET, &why), 0);

	ck_assert(!webhook_id_valid(""));
	ck_assert(!webhook_id_valid("msg\r\nX-Evil: 1"));
	ck_assert(!webhook_id_valid("msg 1"));
	ck_assert(webhook_id_valid("pb_1234.5-x"));
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	ck_assert(!webhook_id_valid(longid));
	longid[WEBHOOK_ID_MAX] = '\0';
	ck_assert(webhook_id_valid(longid));
	ck_assert_int_eq(webhook_sign(&key, "a\nb", KAT_TS, "x", 1, sig), -1);
	ck_assert_str_eq(sig, "");
	ck_assert_int_eq(webhook_sign(&key, KAT_ID, -1, "x", 1, sig), -1);
}
END_TEST

Suite *
webhook_sign_suite(void)
{
	Suite *s = suite_create("webhook_sign");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_known_answer);
	tcase_add_test(tc, test_every_part_is_signed);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}
