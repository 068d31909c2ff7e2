/*
 * check_daemon.c - the daemons' shared start-up: common options, and a bad
 * configuration or unknown user stopping with EX_CONFIG.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"
#include "log.h"
#include "testutil.h"

START_TEST(test_options)
{
	struct daemon_opts o;

	daemon_opts_init(&o);
	ck_assert_str_eq(o.path, cfg_default_path());
	ck_assert_int_eq(o.foreground, 0);
	ck_assert_int_eq(o.check, 0);
	ck_assert_int_eq(daemon_option(&o, 'c', "/tmp/x.conf"), 1);
	ck_assert_str_eq(o.path, "/tmp/x.conf");
	ck_assert_int_eq(daemon_option(&o, 'f', NULL), 1);
	ck_assert_int_eq(o.foreground, 1);
	ck_assert_int_eq(o.check, 0);
	ck_assert_int_eq(daemon_option(&o, 'n', NULL), 1);
	ck_assert_int_eq(o.check, 1);
	/* a daemon's own letters and getopt's '?' are left to the caller */
	ck_assert_int_eq(daemon_option(&o, 's', NULL), 0);
	ck_assert_int_eq(daemon_option(&o, '?', NULL), 0);
	ck_assert_str_eq(o.path, "/tmp/x.conf");
}
END_TEST

START_TEST(test_config_good)
{
	char *dir = tu_tmpdir(), path[4200];
	struct cfg c;

	snprintf(path, sizeof(path), "%s/pb.conf", dir);
	ck_assert_int_eq(tu_write_file(path, "store: {\n path = \"/x.db\";\n"
				       "};\n"), 0);
	daemon_config(&c, path);
	ck_assert_str_eq(c.store_path, "/x.db");
	cfg_free(&c);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

static char *bad_dir;

/* rm_bad_dir - the exit tests' cleanup: log_fatal leaves through exit() */
static void
rm_bad_dir(void)
{
	tu_rmtree(bad_dir);
	free(bad_dir);
}

/* each of these exits (in check's child) with EX_CONFIG */
START_TEST(test_config_bad)
{
	char path[4200];
	struct cfg c;

	bad_dir = tu_tmpdir();
	atexit(rm_bad_dir);
	snprintf(path, sizeof(path), "%s/pb.conf", bad_dir);
	ck_assert_int_eq(tu_write_file(path, "no_such_key = 1;\n"), 0);
	log_init("check_daemon", 1);
	daemon_config(&c, path);
}
END_TEST

START_TEST(test_user_unknown)
{
	/* unset: nothing to check */
	daemon_user_check("watcher.user", "");
	daemon_user_check("watcher.user", "root");
	log_init("check_daemon", 1);
	daemon_user_check("watcher.user", "no-such-user-pb");
}
END_TEST

Suite *
daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_config_good);
	tcase_add_exit_test(tc, test_config_bad, CFG_EX_CONFIG);
	tcase_add_exit_test(tc, test_user_unknown, CFG_EX_CONFIG);
	suite_add_tcase(s, tc);
	return s;
}
