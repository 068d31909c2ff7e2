/*
 * check_logread.c - log files read back line by line: plain, gzip, several
 * rotated files in time order, a partial last line, an overlong line, a
 * missing file in the middle, lines with NUL bytes flagged.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "logread.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir;

static void
setup(void)
{
	dir = tu_tmpdir();
	ck_assert_ptr_nonnull(dir);
}

static void
teardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

/* in_dir - dir/name in a static buffer (one at a time) */
static const char *
in_dir(const char *name)
{
	static char path[4][4096];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir, name);
	return path[k];
}

/* write_gz - text gzip-compressed into path */
static void
write_gz(const char *path, const char *text)
{
	gzFile gz = gzopen(path, "wb");

	ck_assert_ptr_nonnull(gz);
	ck_assert_int_eq(gzwrite(gz, text, (unsigned)strlen(text)),
			 (int)strlen(text));
	ck_assert_int_eq(gzclose(gz), Z_OK);
}

/* read_all - every line of paths joined by '|', partial ones marked '+' */
static char *
read_all(const char **paths, size_t n, size_t max_line, int *errors)
{
	struct logread *r = logread_open(paths, n, max_line);
	struct logread_line l;
	struct buf out, why;
	char *got;
	int rc;

	buf_init(&out, 1 << 20);
	buf_init(&why, 4096);
	*errors = 0;
	while ((rc = logread_next(r, &l, &why)) != 0) {
		if (rc < 0) {
			(*errors)++;
			ck_assert_ptr_nonnull(strstr(buf_str(&why), "missing"));
			buf_reset(&why);
			continue;
		}
		buf_addspan(&out, l.text);
		if (l.partial)
			buf_addc(&out, '+');
		if (l.truncated)
			buf_addc(&out, '~');
		buf_addc(&out, '|');
	}
	logread_close(r);
	buf_free(&why);
	got = xstrdup(buf_str(&out));
	buf_free(&out);
	return got;
}

START_TEST(test_plain_partial_last_line)
{
	const char *p[1];
	char *got;
	int errors;

	p[0] = in_dir("mail.log");
	ck_assert_int_eq(tu_write_file(p[0], "one\ntwo\n\nthree"), 0);
	got = read_all(p, 1, 0, &errors);
	ck_assert_int_eq(errors, 0);
	ck_assert_str_eq(got, "one|two||three+|");
	free(got);
}
END_TEST

START_TEST(test_gzip_transparent)
{
	const char *p[1];
	char *got, big[200000];
	size_t i;
	int errors;

	p[0] = in_dir("mail.log.1.gz");
	write_gz(p[0], "alpha\nbeta\n");
	got = read_all(p, 1, 0, &errors);
	ck_assert_str_eq(got, "alpha|beta|");
	free(got);

	/* a gzip file larger than one read, with a partial last line */
	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = (i % 100 == 99) ? '\n' : (char)('a' + i % 26);
	big[sizeof(big) - 1] = '\0';
	write_gz(p[0], big);
	got = read_all(p, 1, 0, &errors);
	ck_assert_uint_eq(strlen(got), sizeof(big) - 1 + 1 + 1);
	ck_assert_ptr_nonnull(strstr(got, "+|"));
	free(got);
}
END_TEST

START_TEST(test_overlong_line)
{
	const char *p[1];
	char *got, *text;
	int errors;

	text = xmalloc(3000);
	memset(text, 'x', 2000);
	memcpy(text + 2000, "\nshort\n", 8);
	p[0] = in_dir("long.log");
	ck_assert_int_eq(tu_write_file(p[0], text), 0);
	got = read_all(p, 1, 100, &errors);
	/* cut at 100 bytes, flagged; the rest skipped; the next line whole */
	ck_assert_uint_eq(strlen(got), 100 + 2 + 6);
	ck_assert_str_eq(got + 100, "~|short|");
	free(got);
	free(text);
}
END_TEST

START_TEST(test_rotation_order)
{
	const char *names[] = {
		"/v/mail.log", "/v/mail.log.1", "/v/other.log",
		"/v/mail.log.3.gz", "/v/mail.log.2.gz",
		"/v/other.log-20240102.gz", "/v/other.log-20240101.gz",
		"/v/mail.log.10.gz",
	};
	const char *want[] = {
		"/v/mail.log.10.gz", "/v/mail.log.3.gz", "/v/mail.log.2.gz",
		"/v/mail.log.1", "/v/mail.log",
		"/v/other.log-20240101.gz", "/v/other.log-20240102.gz",
		"/v/other.log",
	};
	size_t i;

	logread_order(names, sizeof(names) / sizeof(names[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_str_eq(names[i], want[i]);
}
END_TEST

START_TEST(test_rotated_files_in_time_order)
{
	const char *p[5];
	char *got;
	int errors;

	/* given newest first, as a shell glob of mail.log* would not */
	p[0] = in_dir("mail.log");
	p[1] = in_dir("mail.log.1");
	p[2] = in_dir("mail.log.2.gz");
	p[3] = in_dir("mail.log.3.gz");
	ck_assert_int_eq(tu_write_file(p[0], "l7\nl8"), 0);
	ck_assert_int_eq(tu_write_file(p[1], "l5\nl6\n"), 0);
	write_gz(p[2], "l3\nl4\n");
	write_gz(p[3], "l1\nl2\n");
	logread_order(p, 4);
	got = read_all(p, 4, 0, &errors);
	ck_assert_int_eq(errors, 0);
	ck_assert_str_eq(got, "l1|l2|l3|l4|l5|l6|l7|l8+|");
	free(got);

	/* a missing file is reported and the next one is still read */
	p[0] = in_dir("mail.log.1");
	p[1] = in_dir("missing.log");
	p[2] = in_dir("mail.log");
	got = read_all(p, 3, 0, &errors);
	ck_assert_int_eq(errors, 1);
	ck_assert_str_eq(got, "l5|l6|l7|l8+|");
	free(got);
}
END_TEST

START_TEST(test_line_metadata)
{
	const char *p[2];
	struct logread *r;
	struct logread_line l;
	struct buf why;

	p[0] = in_dir("a.log");
	p[1] = in_dir("b.log");
	ck_assert_int_eq(tu_write_file(p[0], "a1\na2\n"), 0);
	ck_assert_int_eq(tu_write_file(p[1], "b1\n"), 0);
	buf_init(&why, 256);
	r = logread_open(p, 2, 0);
	ck_assert_int_eq(logread_next(r, &l, &why), 1);
	ck_assert(l.new_file);
	ck_assert_uint_eq(l.lineno, 1);
	ck_assert_int_gt(l.mtime, 0);
	ck_assert_int_eq(logread_next(r, &l, &why), 1);
	ck_assert(!l.new_file);
	ck_assert_uint_eq(l.lineno, 2);
	ck_assert_int_eq(logread_next(r, &l, &why), 1);
	ck_assert(l.new_file);
	ck_assert_str_eq(l.path, p[1]);
	ck_assert_uint_eq(l.lineno, 1);
	ck_assert_int_eq(logread_next(r, &l, &why), 0);
	ck_assert_uint_eq(logread_bytes(r), 9);
	logread_close(r);
	buf_free(&why);
}
END_TEST

/* nul_lines - read path with max_line; every has_nul must match the text */
static unsigned
nul_lines(const char *path, size_t max_line, unsigned *lines)
{
	const char *p[1] = { path };
	struct logread *r = logread_open(p, 1, max_line);
	struct logread_line l;
	struct buf why;
	unsigned with_nul = 0;

	buf_init(&why, 256);
	*lines = 0;
	while (logread_next(r, &l, &why) > 0) {
		bool want = l.text.len > 0 &&
		    memchr(l.text.p, '\0', l.text.len) != NULL;

		ck_assert_msg(l.has_nul == want, "line %u: has_nul %d", *lines,
			      (int)l.has_nul);
		with_nul += want;
		(*lines)++;
	}
	logread_close(r);
	buf_free(&why);
	return with_nul;
}

START_TEST(test_nul_flag)
{
	const char *path = in_dir("nul.log");
	size_t size = 3 * 1024 * 1024 + 777, i, len = 0;
	char *text = xmalloc(size);
	unsigned lines, with_nul, k = 0;

	/* lines of varied length over several reads; NULs at the start, in
	 * the middle, at the end, in runs, and in some long lines' tails */
	while (len < size) {
		size_t n = 1 + (k * 7919) % 300, at;

		if (k % 97 == 0)
			n = 5000;	/* overlong for a max_line of 1000 */
		if (len + n + 1 > size)
			n = size - len - 1;
		for (i = 0; i < n; i++)
			text[len + i] = (char)('a' + (k + i) % 26);
		if (k % 5 == 0 && n > 0) {
			at = (k / 5) % 4 == 0 ? 0 : (k / 5) % 4 == 1 ? n - 1 :
			    (k / 5) % 4 == 2 ? n / 2 : n - n / 8 - 1;
			text[len + at] = '\0';
			if (k % 3 == 0 && at + 1 < n)
				text[len + at + 1] = '\0';
		}
		text[len + n] = '\n';
		len += n + 1;
		k++;
	}
	ck_assert_int_eq(tu_write_bytes(path, text, len), 0);
	with_nul = nul_lines(path, 0, &lines);
	ck_assert_uint_eq(lines, k);
	ck_assert_uint_gt(with_nul, k / 6);
	with_nul = nul_lines(path, 1000, &lines);
	ck_assert_uint_gt(with_nul, k / 6);

	/* no NUL at all, and a NUL as the very last byte without newline */
	memset(text, 'x', 100);
	text[50] = '\n';
	ck_assert_int_eq(tu_write_bytes(path, text, 100), 0);
	ck_assert_uint_eq(nul_lines(path, 0, &lines), 0);
	ck_assert_uint_eq(lines, 2);
	text[99] = '\0';
	ck_assert_int_eq(tu_write_bytes(path, text, 100), 0);
	ck_assert_uint_eq(nul_lines(path, 0, &lines), 1);
	free(text);
}
END_TEST

Suite *
logread_suite(void)
{
	Suite *s = suite_create("logread");
	TCase *tc = tcase_create("logread");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_plain_partial_last_line);
	tcase_add_test(tc, test_gzip_transparent);
	tcase_add_test(tc, test_overlong_line);
	tcase_add_test(tc, test_rotation_order);
	tcase_add_test(tc, test_rotated_files_in_time_order);
	tcase_add_test(tc, test_line_metadata);
	tcase_add_test(tc, test_nul_flag);
	suite_add_tcase(s, tc);
	return s;
}
