/*
 * testutil.c - fixture, temp-dir and store-reading helpers for the unit
 * suites.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "xalloc.h"

const char *
tu_srcdir(void)
{
	const char *d = getenv("PB_SRCDIR");

	return d && *d ? d : ".";
}

const char *
tu_path(const char *rel)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", tu_srcdir(), rel);
	return path;
}

char *
tu_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *data = NULL;
	size_t cap = 0, n = 0, got;

	if (fp == NULL)
		return NULL;
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			data = xrealloc(data, cap + 1);
		}
		got = fread(data + n, 1, cap - n, fp);
		n += got;
	} while (got > 0);
	fclose(fp);
	data[n] = '\0';
	if (len)
		*len = n;
	return data;
}

int
tu_write_file(const char *path, const char *text)
{
	return tu_write_bytes(path, text, strlen(text));
}

/* tu_write_bytes - for texts with NULs in them, which tu_write_file stops at */
int
tu_write_bytes(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	int rc;

	if (fp == NULL)
		return -1;
	rc = fwrite(data, 1, len, fp) == len ? 0 : -1;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

char *
tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];

	snprintf(tmpl, sizeof(tmpl), "%s/pbtest.XXXXXX",
		 base && *base ? base : "/tmp");
	if (mkdtemp(tmpl) == NULL)
		return NULL;
	return xstrdup(tmpl);
}

void
tu_rmtree(const char *dir)
{
	char cmd[4200];

	if (dir == NULL || strncmp(dir, "/", 1) != 0 ||
	    strstr(dir, "pbtest.") == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "testutil: could not remove %s\n", dir);
}

long long
tu_db_int(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long v = -1;

	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}
