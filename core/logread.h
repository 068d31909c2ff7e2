/*
 * logread.h - read log lines from files or stdin, plain or gzip.
 *
 * Owns the reading side of batch work (trace, import, bench): a list of
 * files, each plain or .gz (detected by its magic bytes, not its name),
 * read one after the other, returning one line at a time as a span into
 * the reader's own buffer.  Lines are bounded: a line longer than the
 * limit is returned cut at the limit and flagged, and the rest of it is
 * skipped, so memory never grows with input.  A last line without its
 * newline is still returned, flagged partial.  logread_order() puts
 * rotated files (mail.log.3.gz, mail.log.2.gz, mail.log.1, mail.log)
 * into time order, oldest first.
 */
#ifndef PB_LOGREAD_H
#define PB_LOGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "span.h"

#define LOGREAD_DEFAULT_MAX_LINE (64 * 1024)

struct logread;

/* Where the line just returned came from and what was odd about it. */
struct logread_line {
	struct span text;	/* without the newline; valid until next call */
	const char *path;	/* "-" for stdin */
	uint64_t lineno;	/* 1-based, within that file */
	int64_t mtime;		/* the file's modification time (0: stdin) */
	bool partial;		/* the file ended without a newline */
	bool truncated;		/* longer than max_line; the rest skipped */
	bool new_file;		/* first line of a file */
	bool has_nul;		/* text holds a NUL byte; when false the
				 * caller may use logline_parse_nul_free() */
};

/*
 * logread_open - a reader over paths[0..n) in the order given ("-" is
 * stdin; n == 0 reads stdin).  max_line bounds one line (0: default).
 * Files are opened lazily, so an unreadable file is reported by
 * logread_next() when its turn comes.  Never NULL.
 */
struct logread *logread_open(const char *const *paths, size_t n,
			     size_t max_line);

/*
 * logread_next - the next line: 1 and *out filled, 0 at the end of the
 * last file, -1 when a file could not be opened or read (why says which
 * and why); calling again after -1 goes on with the next file.
 */
int logread_next(struct logread *r, struct logread_line *out,
		 struct buf *why);

/* logread_bytes - bytes of (uncompressed) text read so far */
uint64_t logread_bytes(const struct logread *r);

/* logread_close - close the current file and free the reader */
void logread_close(struct logread *r);

/*
 * logread_order - sort paths in place into time order for rotated logs:
 * within one base name, numbered rotations from highest to lowest
 * (name.3.gz, name.2.gz, name.1), then dated rotations in date order
 * (name-20240101.gz), then the live name; different base names keep
 * the order in which they were first given.
 */
void logread_order(const char **paths, size_t n);

#endif
