/*
 * check_manpages.c - the manual pages keep up with the code: every key of
 * the configuration table is documented in plainbounce.conf(5), and every
 * subcommand in the CLI's command table has a section in plainbounce(1).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "testutil.h"

/* has_line - true when text holds a whole line equal to want */
static int
has_line(const char *text, const char *want)
{
	size_t n = strlen(want);
	const char *p = text;

	while ((p = strstr(p, want)) != NULL) {
		if ((p == text || p[-1] == '\n') &&
		    (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

START_TEST(test_conf_keys_documented)
{
	char *man, want[256];
	size_t i, n;
	const struct cfg_key *k = cfg_keys(&n);

	man = tu_read_file(tu_path("man/plainbounce.conf.5"), NULL);
	ck_assert_msg(man != NULL, "cannot read man/plainbounce.conf.5");
	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++) {
		/* each key is the tag of its own .TP paragraph */
		snprintf(want, sizeof(want), ".TP\n.B %s", k[i].name);
		ck_assert_msg(strstr(man, want) != NULL,
			      "key %s is not documented in plainbounce.conf.5",
			      k[i].name);
	}
	free(man);
}
END_TEST

START_TEST(test_commands_documented)
{
	char *src, *man, name[64], want[96];
	const char *p, *q;
	size_t len, i, k;
	int found = 0;

	src = tu_read_file(tu_path("cli/plainbounce.c"), NULL);
	man = tu_read_file(tu_path("man/plainbounce.1"), NULL);
	ck_assert_msg(src != NULL && man != NULL, "cannot read sources");
	/* command table entries look like: { "name", cmd_name, */
	for (p = src; (p = strstr(p, "{ \"")) != NULL; p = q) {
		p += 3;
		q = strchr(p, '"');
		ck_assert_ptr_nonnull(q);
		len = (size_t)(q - p);
		if (strncmp(q, "\", cmd_", 7) != 0 || len >= sizeof(name))
			continue;
		/* as roff writes it: a hyphen in a command name is \- */
		for (i = 0, k = 0; i < len && k + 3 < sizeof(name); i++) {
			if (p[i] == '-')
				name[k++] = '\\';
			name[k++] = p[i];
		}
		name[k] = '\0';
		snprintf(want, sizeof(want), ".SS %s", name);
		ck_assert_msg(has_line(man, want),
			      "command %s has no section in plainbounce.1",
			      name);
		snprintf(want, sizeof(want), ".B plainbounce %s", name);
		ck_assert_msg(has_line(man, want),
			      "command %s is not in the SYNOPSIS", name);
		found++;
	}
	ck_assert_int_ge(found, 2);	/* config and explain at least */
	free(src);
	free(man);
}
END_TEST

Suite *
manpages_suite(void)
{
	Suite *s = suite_create("manpages");
	TCase *tc = tcase_create("manpages");

	tcase_add_test(tc, test_conf_keys_documented);
	tcase_add_test(tc, test_commands_documented);
	suite_add_tcase(s, tc);
	return s;
}
