/*
 * check_cfg_milter.c - the milter's and the store's config keys: defaults,
 * bounds, and the checks that keep the socket on loopback.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "testutil.h"

static char *dir;
static char path[4200];

static void
setup(void)
{
	dir = tu_tmpdir();
	snprintf(path, sizeof(path), "%s/m.conf", dir);
}

static void
teardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

START_TEST(test_defaults)
{
	struct cfg c;

	cfg_init(&c);
	ck_assert_str_eq(c.milter_socket,
			 "unix:/var/spool/postfix/plainbounce/milter.sock");
	ck_assert_str_eq(c.milter_socket_mode, "0660");
	ck_assert_str_eq(c.milter_socket_group, "postfix");
	ck_assert_str_eq(c.milter_user, "");
	ck_assert_str_eq(c.milter_instance, "postfix");
	ck_assert_int_eq(c.milter_queue_size, 10000);
	ck_assert_int_eq(c.store_busy_timeout, 2000);
	ck_assert_int_eq(c.store_retention, INT64_C(30) * 86400000);
	cfg_free(&c);
}
END_TEST

static const struct {
	const char *text;	/* file content */
	const char *want;	/* substring of the error, NULL = loads */
} cases[] = {
	{ "milter = { socket = \"inet:8891@127.0.0.1\"; };", NULL },
	{ "milter = { socket = \"inet6:8891@::1\"; };", NULL },
	{ "milter = { socket = \"unix:/run/pb/m.sock\"; };", NULL },
	{ "milter = { socket = \"unix:/run/a:b/m.sock\"; };", NULL },
	{ "milter = { socket = \"inet:8891@0.0.0.0\"; };", "loopback" },
	{ "milter = { socket = \"inet:8891@192.0.2.1\"; };", "loopback" },
	{ "milter = { socket = \"inet:8891\"; };", "PORT@HOST" },
	{ "milter = { socket = \"unix:relative\"; };", "absolute" },
	{ "milter = { socket = \"/tmp/x\"; };", "expected unix:" },
	{ "milter = { socket_mode = \"0660\"; };", NULL },
	{ "milter = { socket_mode = \"0689\"; };", "octal" },
	{ "milter = { socket_mode = \"\"; };", "octal" },
	{ "milter = { user = \"pb milter\"; };", "only" },
	{ "milter = { socket_group = \"post;fix\"; };", "only" },
	{ "milter = { queue_size = 15; };", "outside" },
	{ "milter = { queue_size = 16; };", NULL },
	{ "milter = { queue_size = \"big\"; };", "integer" },
	{ "store = { busy_timeout = \"500ms\"; };", NULL },
	{ "store = { busy_timeout = \"11m\"; };", "outside" },
	{ "store = { retention = \"7d\"; };", NULL },
	{ "store = { retention = \"30m\"; };", "outside" },
	{ "milter = { sokcet = \"x\"; };", "unknown key \"milter.sokcet\"" },
};

START_TEST(test_cases)
{
	struct cfg c;
	struct buf why;
	int rc;

	ck_assert_int_eq(tu_write_file(path, cases[_i].text), 0);
	buf_init(&why, 4096);
	rc = cfg_load(&c, path, &why);
	if (cases[_i].want == NULL) {
		ck_assert_msg(rc == 0, "%s: %s", cases[_i].text,
			      buf_str(&why));
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strstr(buf_str(&why), cases[_i].want) != NULL,
			      "%s: got \"%s\"", cases[_i].text, buf_str(&why));
		/* the error names the file and line */
		ck_assert_ptr_nonnull(strstr(buf_str(&why), "m.conf:1:"));
	}
	cfg_free(&c);
	buf_free(&why);
}
END_TEST

Suite *
cfg_milter_suite(void)
{
	Suite *s = suite_create("cfg_milter");
	TCase *tc = tcase_create("keys");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_cases, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	return s;
}
