/*
 * check_cfg.c - the configuration table: defaults, the sample file, and
 * errors that name the file and line.
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
	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof(path), "%s/t.conf", dir);
}

static void
teardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

/* load_text - write text as a config file and load it; returns rc */
static int
load_text(struct cfg *c, const char *text, struct buf *why)
{
	ck_assert_int_eq(tu_write_file(path, text), 0);
	buf_init(why, 4096);
	return cfg_load(c, path, why);
}

START_TEST(test_defaults)
{
	struct cfg c;

	cfg_init(&c);
	ck_assert_str_eq(c.store_path, "/var/lib/plainbounce/plainbounce.db");
	ck_assert_uint_eq(c.trusted_networks.n, 2);
	ck_assert_str_eq(c.trusted_networks.v[0], "127.0.0.0/8");
	ck_assert_ptr_null(c.trusted_networks.v[2]);
	ck_assert_uint_eq(c.local_domains.n, 0);
	ck_assert_str_eq(c.notice_locale, "en");
	cfg_free(&c);
}
END_TEST

START_TEST(test_sample_matches_committed)
{
	char *mem = NULL, *committed;
	size_t len = 0;
	FILE *fp = open_memstream(&mem, &len);

	cfg_write_sample(fp);
	fclose(fp);
	committed = tu_read_file(tu_path("config/plainbounce.conf"), NULL);
	ck_assert_msg(committed != NULL, "config/plainbounce.conf missing");
	ck_assert_msg(strcmp(mem, committed) == 0,
		      "config/plainbounce.conf differs from the key table: "
		      "regenerate with `plainbounce config --sample`");
	free(mem);
	free(committed);
}
END_TEST

START_TEST(test_sample_loads)
{
	struct cfg c;
	struct buf why;

	buf_init(&why, 4096);
	ck_assert_int_eq(cfg_load(&c, tu_path("config/plainbounce.conf"),
				  &why), 0);
	ck_assert_str_eq(c.notice_locale, "en");
	cfg_free(&c);
	buf_free(&why);
}
END_TEST

START_TEST(test_values)
{
	struct cfg c;
	struct buf why;

	ck_assert_int_eq(load_text(&c,
	    "store = { path = \"/tmp/x.db\"; };\n"
	    "trusted_networks = [ \"10.0.0.0/8\", \"2001:db8::/32\", "
	    "\"192.0.2.1\" ];\n"
	    "local_domains = [ \"example.org\" ];\n"
	    "notice = { locale = \"de\"; };\n", &why), 0);
	ck_assert_str_eq(c.store_path, "/tmp/x.db");
	ck_assert_uint_eq(c.trusted_networks.n, 3);
	ck_assert_str_eq(c.trusted_networks.v[1], "2001:db8::/32");
	ck_assert_str_eq(c.local_domains.v[0], "example.org");
	ck_assert_str_eq(c.notice_locale, "de");
	cfg_free(&c);
	buf_free(&why);
}
END_TEST

START_TEST(test_unknown_key)
{
	struct cfg c;
	struct buf why;

	ck_assert_int_eq(load_text(&c,
	    "store = {\n  path = \"/x\";\n  paht = \"/y\";\n};\n", &why), -1);
	ck_assert_msg(strstr(buf_str(&why), "t.conf:3: unknown key "
			     "\"store.paht\"") != NULL, "got: %s",
		      buf_str(&why));
	/* a failed load leaves the defaults */
	ck_assert_str_eq(c.store_path, "/var/lib/plainbounce/plainbounce.db");
	cfg_free(&c);
	buf_free(&why);

	ck_assert_int_eq(load_text(&c, "bogus = 1;\n", &why), -1);
	ck_assert_ptr_nonnull(strstr(buf_str(&why), ":1: unknown key"));
	cfg_free(&c);
	buf_free(&why);
}
END_TEST

START_TEST(test_bad_values)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "trusted_networks = [ \"10.0.0.0/33\" ];",
		  ":1: trusted_networks: \"10.0.0.0/33\": bad prefix length" },
		{ "trusted_networks = [ \"mail.example\" ];",
		  "not an IPv4 or IPv6 address" },
		{ "trusted_networks = \"10.0.0.0/8\";", "expected a list" },
		{ "local_domains = [ \"ex ample.org\" ];", "not a domain name" },
		{ "notice = { locale = \"../etc\"; };", "not a locale name" },
		{ "store = { path = 3; };", "expected a string" },
		{ "store = { path = \"/x\"\n", ":2: syntax error" },
	};
	struct cfg c;
	struct buf why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(load_text(&c, cases[i].text, &why), -1);
		ck_assert_msg(strstr(buf_str(&why), cases[i].want) != NULL,
			      "case %zu: want \"%s\", got \"%s\"", i,
			      cases[i].want, buf_str(&why));
		cfg_free(&c);
		buf_free(&why);
	}
}
END_TEST

/* notice.webhooks: a list of endpoint groups with their own checked keys */
START_TEST(test_endpoints)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "notice = { webhooks = (\n { name = \"a\"; url = \"https://a\"; },"
		  "\n { name = \"a\"; url = \"https://b\"; } ); };",
		  "t.conf:3: notice.webhooks: endpoint name \"a\" used twice" },
		{ "notice = { webhook = { url = \"https://h\"; };\n"
		  "webhooks = (\n { name = \"helpdesk\"; url = \"https://b\"; } );"
		  " };", "t.conf:3: notice.webhooks: endpoint name \"helpdesk\" "
		  "is notice.webhook.name already" },
		{ "notice = { webhooks = (\n { name = \"a\"; url = \"https://a\";"
		  "\n  kind = [ \"bounced\" ]; } ); };",
		  "t.conf:3: unknown key \"notice.webhooks.kind\"" },
		{ "notice = { webhooks = (\n { name = \"a\";\n"
		  " url = \"https://a\"; kinds = [ \"boing\" ]; } ); };",
		  "t.conf:3: notice.webhooks.kinds: \"boing\": not an event kind" },
		{ "notice = { webhooks = ( { name = \"A b\"; url = \"x\"; } ); };",
		  ":1: notice.webhooks.name: \"A b\": only a-z" },
		{ "notice = { webhooks = (\n\n { url = \"https://a\"; } ); };",
		  "t.conf:3: notice.webhooks: entry 1: needs a name and a url" },
		{ "notice = { webhooks = ( \"https://a\" ); };",
		  ":1: notice.webhooks: entry 1: expected a group" },
		{ "notice = { webhooks = [ \"https://a\" ]; };",
		  ":1: notice.webhooks: expected a list" },
		{ "notice = { webhooks = ( { name = \"a\"; url = \"u\";\n"
		  " format = \"xml\"; } ); };",
		  "t.conf:2: notice.webhooks.format: \"xml\": must be json" },
	};
	struct cfg c;
	struct buf why;
	size_t i;

	ck_assert_int_eq(load_text(&c, "notice = { webhook = { url = "
	    "\"https://h\"; };\n webhooks = ( { name = \"tickets\"; url = "
	    "\"https://t\"; secret = \"s\"; kinds = [ \"bounced\" ]; },\n"
	    " { name = \"chat\"; url = \"https://c\"; format = \"slack\";"
	    " skip_reasons = [ \"mailbox_full\" ]; } ); };\n", &why), 0);
	ck_assert_uint_eq(c.notice_webhooks.n, 2);
	ck_assert_str_eq(c.notice_webhooks.v[0].name, "tickets");
	ck_assert_str_eq(c.notice_webhooks.v[0].url, "https://t");
	ck_assert_str_eq(c.notice_webhooks.v[0].secret, "s");
	ck_assert_str_eq(c.notice_webhooks.v[0].format, "json");
	ck_assert_uint_eq(c.notice_webhooks.v[0].kinds.n, 1);
	ck_assert_str_eq(c.notice_webhooks.v[0].kinds.v[0], "bounced");
	ck_assert_str_eq(c.notice_webhooks.v[1].format, "slack");
	ck_assert_uint_eq(c.notice_webhooks.v[1].kinds.n, 4);	/* default */
	ck_assert_uint_eq(c.notice_webhooks.v[1].skip_reasons.n, 1);
	cfg_free(&c);
	buf_free(&why);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(load_text(&c, bad[i].text, &why), -1);
		ck_assert_msg(strstr(buf_str(&why), bad[i].want) != NULL,
			      "case %zu: want \"%s\", got \"%s\"", i,
			      bad[i].want, buf_str(&why));
		/* a failed load leaves the defaults: no endpoints */
		ck_assert_uint_eq(c.notice_webhooks.n, 0);
		cfg_free(&c);
		buf_free(&why);
	}
}
END_TEST

START_TEST(test_missing_file)
{
	struct cfg c;
	struct buf why;

	buf_init(&why, 4096);
	ck_assert_int_eq(cfg_load(&c, "/nonexistent/p.conf", &why), -1);
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "cannot read"));
	cfg_free(&c);
	buf_free(&why);
}
END_TEST

START_TEST(test_durations)
{
	ck_assert_int_eq(cfg_parse_duration("500ms"), 500);
	ck_assert_int_eq(cfg_parse_duration("30s"), 30000);
	ck_assert_int_eq(cfg_parse_duration("5m"), 300000);
	ck_assert_int_eq(cfg_parse_duration("4h"), 14400000);
	ck_assert_int_eq(cfg_parse_duration("2d"), 172800000);
	ck_assert_int_eq(cfg_parse_duration("90"), 90000);
	ck_assert_int_eq(cfg_parse_duration(""), -1);
	ck_assert_int_eq(cfg_parse_duration("h"), -1);
	ck_assert_int_eq(cfg_parse_duration("5 h"), -1);
	ck_assert_int_eq(cfg_parse_duration("-5s"), -1);
	ck_assert_int_eq(cfg_parse_duration("99999999999999999999s"), -1);
}
END_TEST

Suite *
cfg_suite(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc = tcase_create("cfg");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_sample_matches_committed);
	tcase_add_test(tc, test_sample_loads);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_endpoints);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_durations);
	suite_add_tcase(s, tc);
	return s;
}
