/*
 * testutil.h - small helpers shared by the unit suites: where the source
 * tree is, reading fixture files, making temporary directories, reading
 * a store as another process would.
 */
#ifndef PB_TESTUTIL_H
#define PB_TESTUTIL_H

#include <stddef.h>

#include <check.h>

/* every suite's constructor, from the generated list */
#define SUITE(name) Suite *name##_suite(void);
#include "suites.inc"
#undef SUITE

/* tu_srcdir - the source tree ($PB_SRCDIR, else ".") */
const char *tu_srcdir(void);
/* tu_path - srcdir + "/" + rel, in a static buffer per call site copy */
const char *tu_path(const char *rel);
/* tu_read_file - whole file, NUL-terminated, length in *len; or NULL */
char *tu_read_file(const char *path, size_t *len);
/* tu_write_file - write text to path; 0 or -1 */
int tu_write_file(const char *path, const char *text);
/* tu_write_bytes - write data[0..len) (NULs and all) to path; 0 or -1 */
int tu_write_bytes(const char *path, const void *data, size_t len);
/* tu_tmpdir - a fresh directory under $TMPDIR; caller frees the string */
char *tu_tmpdir(void);
/* tu_rmtree - remove a directory made by tu_tmpdir */
void tu_rmtree(const char *dir);
/*
 * tu_db_int - the first integer sql answers on the SQLite file db, through
 * a separate plain connection (what another process would read); -1 when
 * no row
 */
long long tu_db_int(const char *db, const char *sql);

#endif
