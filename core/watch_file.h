/*
 * watch_file.h - follow one log file across rotation, losing nothing
 * silently.
 *
 * Owns the reading side of the watcher's file source.  A file is known by
 * its device, inode and a fingerprint of its first bytes (a reused inode
 * or a file truncated and rewritten is a different file).  Guarantees:
 * - lines are returned whole: a last line without its newline waits;
 * - rename+create (logrotate's default, `postfix logrotate`): the old
 *   file is drained to its end before the new one is read from its start;
 *   after a restart the old file is found again as PATH.1;
 * - copytruncate (size below our offset, or other first bytes): reading
 *   restarts at 0 and a gap is reported;
 * - whatever cannot be read is reported as a gap (from, to, why), never
 *   skipped silently.
 * The cursor is text: "DEV:INO:FPLEN:FPHASH:OFFSET" (FPHASH: FNV-1a 64 of
 * the first FPLEN bytes, hex), the position just after the last line
 * returned.
 */
#ifndef PB_WATCH_FILE_H
#define PB_WATCH_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"

#define WATCH_FILE_FP_MAX	64	/* fingerprint: first bytes */
#define WATCH_FILE_CURSOR_MAX	128

enum watch_file_rc {
	WATCH_FILE_ERROR = -1,		/* why is in gap->note */
	WATCH_FILE_IDLE = 0,		/* nothing new: poll again later */
	WATCH_FILE_LINE = 1,		/* *line filled */
	WATCH_FILE_GAP = 2		/* *gap filled: something was lost */
};

struct watch_gap {
	char from[WATCH_FILE_CURSOR_MAX];	/* cursor before the loss */
	char to[WATCH_FILE_CURSOR_MAX];		/* cursor reading resumed at */
	char note[256];				/* why */
};

struct watch_file;

/* watch_file_new - a follower of path; lines longer than max_line are cut */
struct watch_file *watch_file_new(const char *path, size_t max_line);

/* watch_file_free - close and free (NULL is fine) */
void watch_file_free(struct watch_file *f);

/*
 * watch_file_start - resume at cursor; with cursor NULL start at the end
 * of the file, or at its start when from_start (cursor "none": the file
 * did not exist when saved, so all of it is new).  Returns WATCH_FILE_IDLE,
 * or WATCH_FILE_GAP when the saved file is gone or changed (reading then
 * starts at the current file's beginning).  A missing file is not an
 * error: it is waited for.
 */
int watch_file_start(struct watch_file *f, const char *cursor,
		     bool from_start, struct watch_gap *gap);

/*
 * watch_file_next - the next whole line (without its newline; valid
 * until the next call), a gap, or IDLE when there is nothing new yet.
 */
int watch_file_next(struct watch_file *f, struct span *line, bool *cut,
		    struct watch_gap *gap);

/* watch_file_cursor - the position after the last line returned */
void watch_file_cursor(const struct watch_file *f,
		       char out[WATCH_FILE_CURSOR_MAX]);

/* watch_file_offset - the offset after the last line returned */
int64_t watch_file_offset(const struct watch_file *f);

/* watch_file_size - the current file's size (for the lag in status) */
int64_t watch_file_size(const struct watch_file *f);

/*
 * watch_file_lag - bytes of path not yet read according to cursor: 0 and
 * *bytes, or -1 when path is no longer the cursor's file (rotated since,
 * or the cursor is not a file cursor).
 */
int watch_file_lag(const char *path, const char *cursor, int64_t *bytes);

/* watch_file_fphash - FNV-1a 64 of len bytes (exposed for tests) */
uint64_t watch_file_fphash(const void *p, size_t len);

#endif
