/*
 * check_webhook.c - what the webhook client refuses before any network
 * traffic: unsafe configurations, and destination addresses that are not
 * public unicast (the SSRF guard), in every IPv4 and IPv6 spelling.
 * Delivery itself is tested end to end (tests/e2e/t_webhook*.sh).
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>

#include "testutil.h"
#include "webhook.h"

/* blocked - webhook_addr_blocked of a numeric address */
static int
blocked(const char *text)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;

	memset(&in, 0, sizeof(in));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, text, &in.sin_addr) == 1) {
		in.sin_family = AF_INET;
		return webhook_addr_blocked((struct sockaddr *)&in);
	}
	ck_assert_msg(inet_pton(AF_INET6, text, &in6.sin6_addr) == 1,
		      "bad test address %s", text);
	in6.sin6_family = AF_INET6;
	return webhook_addr_blocked((struct sockaddr *)&in6);
}

START_TEST(test_addresses)
{
	static const char *const refused[] = {
		"0.0.0.0", "10.1.2.3", "100.64.0.1", "127.0.0.1",
		"127.255.255.254", "169.254.169.254", "172.16.0.1",
		"172.31.255.255", "192.0.2.10", "192.168.1.1", "198.18.0.1",
		"198.51.100.7", "203.0.113.9", "224.0.0.1", "240.0.0.1",
		"255.255.255.255", "::", "::1", "::ffff:127.0.0.1",
		"::ffff:7f00:1", "::ffff:10.0.0.1", "::127.0.0.1",
		"64:ff9b::a9fe:a9fe", "fc00::1", "fd12:3456::1", "fe80::1",
		"febf::1", "ff02::1", "2001:db8::1",
	};
	static const char *const allowed[] = {
		"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0",
		"172.15.255.255", "172.32.0.0", "192.0.3.1", "192.169.0.1",
		"198.20.0.1", "223.255.255.255", "2606:4700::1111",
		"::ffff:8.8.8.8", "64:ff9b::808:808", "fec0::1", "2001:db9::1",
	};
	size_t i;
	struct sockaddr sa;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert_msg(blocked(refused[i]), "%s allowed", refused[i]);
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		ck_assert_msg(!blocked(allowed[i]), "%s refused", allowed[i]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	ck_assert(webhook_addr_blocked(&sa));
}
END_TEST

START_TEST(test_config_refusals)
{
	struct webhook_conf c;
	struct webhook_client *wc;
	const char *why = NULL;

	webhook_conf_default(&c);
	ck_assert_int_eq(c.connect_timeout_ms, WEBHOOK_DEF_CONNECT_MS);
	ck_assert_int_eq(c.timeout_ms, WEBHOOK_DEF_TIMEOUT_MS);
	ck_assert_uint_eq(c.max_response, WEBHOOK_DEF_MAX_RESPONSE);
	ck_assert_int_eq(c.allow_http, 0);
	ck_assert_int_eq(c.allow_private, 0);
	c.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

	c.url = "http://hooks.example.com/x";
	ck_assert_ptr_null(webhook_client_new(&c, &why));
	ck_assert_str_eq(why, "webhook URL must be https://");
	c.url = "ftp://hooks.example.com/x";
	c.allow_http = 1;
	ck_assert_ptr_null(webhook_client_new(&c, &why));
	c.url = "https://hooks.example.com/x";
	c.timeout_ms = 0;
	ck_assert_ptr_null(webhook_client_new(&c, &why));
	c.timeout_ms = 1000;
	c.secret = "whsec_c2hvcnQ=";
	ck_assert_ptr_null(webhook_client_new(&c, &why));
	ck_assert_str_eq(why, "secret must decode to 24 to 64 bytes");
	c.secret = NULL;
	ck_assert_ptr_null(webhook_client_new(&c, &why));
	c.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
	wc = webhook_client_new(&c, &why);
	ck_assert_ptr_nonnull(wc);
	webhook_client_free(wc);
}
END_TEST

Suite *
webhook_suite(void)
{
	Suite *s = suite_create("webhook");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_config_refusals);
	suite_add_tcase(s, tc);
	return s;
}
