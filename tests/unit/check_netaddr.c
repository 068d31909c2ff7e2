/*
 * check_netaddr.c - trusted_networks matching: prefixes, families, junk.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>

#include "netaddr.h"
#include "testutil.h"

START_TEST(test_parse)
{
	struct netaddr_net n;

	ck_assert_int_eq(netaddr_parse_net("10.1.2.3/8", &n), 0);
	ck_assert_uint_eq(n.bits, 8);
	ck_assert_int_eq(n.addr[0], 10);
	ck_assert_int_eq(n.addr[1], 0);	/* host bits cleared */
	ck_assert_int_eq(netaddr_parse_net("192.0.2.7", &n), 0);
	ck_assert_uint_eq(n.bits, 32);
	ck_assert_int_eq(netaddr_parse_net("2001:db8::/32", &n), 0);
	ck_assert_int_eq(n.family, AF_INET6);
	ck_assert_int_eq(netaddr_parse_net("10.0.0.0/33", &n), -1);
	ck_assert_int_eq(netaddr_parse_net("::/129", &n), -1);
	ck_assert_int_eq(netaddr_parse_net("10.0.0.0/", &n), -1);
	ck_assert_int_eq(netaddr_parse_net("10.0.0.0/8x", &n), -1);
	ck_assert_int_eq(netaddr_parse_net("10.0.0/8", &n), -1);
	ck_assert_int_eq(netaddr_parse_net("", &n), -1);
	ck_assert_int_eq(netaddr_parse_net("/8", &n), -1);
}
END_TEST

START_TEST(test_match)
{
	char *nets[] = { "127.0.0.0/8", "192.0.2.128/25", "2001:db8::/32",
			 "198.51.100.9" };
	struct netaddr_list l;
	const char *bad = NULL;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	ck_assert_int_eq(netaddr_list_init(&l, nets, 4, &bad), 0);
	ck_assert(netaddr_match_text(&l, "127.9.9.9"));
	ck_assert(netaddr_match_text(&l, "192.0.2.200"));
	ck_assert(!netaddr_match_text(&l, "192.0.2.127"));
	ck_assert(netaddr_match_text(&l, "2001:db8:1::5"));
	ck_assert(!netaddr_match_text(&l, "2001:db9::5"));
	ck_assert(netaddr_match_text(&l, "198.51.100.9"));
	ck_assert(!netaddr_match_text(&l, "198.51.100.10"));
	ck_assert(netaddr_match_text(&l, "::ffff:127.0.0.1"));
	ck_assert(!netaddr_match_text(&l, "not an address"));
	ck_assert(!netaddr_match_text(&l, ""));

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.129", &sin.sin_addr);
	ck_assert(netaddr_match_sa(&l, (struct sockaddr *)&sin));
	inet_pton(AF_INET, "8.8.8.8", &sin.sin_addr);
	ck_assert(!netaddr_match_sa(&l, (struct sockaddr *)&sin));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.130", &sin6.sin6_addr);
	ck_assert(netaddr_match_sa(&l, (struct sockaddr *)&sin6));
	ck_assert(!netaddr_match_sa(&l, NULL));
	netaddr_list_free(&l);
}
END_TEST

START_TEST(test_bad_entry)
{
	char *nets[] = { "10.0.0.0/8", "10.0.0.0/99" };
	struct netaddr_list l;
	const char *bad = NULL;

	ck_assert_int_eq(netaddr_list_init(&l, nets, 2, &bad), -1);
	ck_assert_str_eq(bad, "10.0.0.0/99");
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(netaddr_list_init(&l, NULL, 0, &bad), 0);
	ck_assert(!netaddr_match_text(&l, "10.0.0.1"));
	netaddr_list_free(&l);
}
END_TEST

Suite *
netaddr_suite(void)
{
	Suite *s = suite_create("netaddr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_bad_entry);
	suite_add_tcase(s, tc);
	return s;
}
