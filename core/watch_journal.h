/*
 * watch_journal.h - follow Postfix's entries in the systemd journal.
 *
 * Owns the watcher's journal source (libsystemd sd_journal): the system
 * journal, or the journal files of one directory (watcher.journal_dir).
 * Only entries whose SYSLOG_IDENTIFIER starts with "postfix" are used,
 * and only when the journal itself vouches for the writer: _UID is one of
 * the trusted uids (Postfix's user, root), so a local user's
 * `logger -t postfix/smtp ...` cannot forge an outcome (such entries are
 * counted and skipped).  Each entry is handed out as a syslog line with
 * an RFC 3339 UTC timestamp, "TIME HOST IDENT[PID]: MESSAGE", for the
 * ordinary parser.  The cursor is the journal's own cursor of the last
 * entry returned; one that no longer exists (its file was vacuumed or
 * deleted) is reported as a gap and reading resumes at the oldest entry
 * still there.
 */
#ifndef PB_WATCH_JOURNAL_H
#define PB_WATCH_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "span.h"
#include "watch_file.h"		/* struct watch_gap, WATCH_FILE_* codes */

#define WATCH_JOURNAL_CURSOR_MAX 512

struct watch_journal;

/*
 * watch_journal_open - the journal in dir ("" or NULL: the local system's
 * journal), trusting entries from uids[0..n).  NULL with why on error.
 */
struct watch_journal *watch_journal_open(const char *dir, const uid_t *uids,
					 size_t n, struct buf *why);

/* watch_journal_close - release it (NULL is fine) */
void watch_journal_close(struct watch_journal *j);

/*
 * watch_journal_start - resume after cursor; without one (NULL) start at
 * the end, or at the oldest entry when from_start; cursor "" (saved while
 * the journal had no entry) reads from the oldest.  WATCH_FILE_GAP when the
 * cursor's entry is gone (*gap says so; reading starts at the oldest).
 */
int watch_journal_start(struct watch_journal *j, const char *cursor,
			bool from_start, struct watch_gap *gap);

/*
 * watch_journal_next - the next trusted Postfix entry as a log line
 * (valid until the next call), WATCH_FILE_IDLE when none is new yet, or
 * WATCH_FILE_ERROR with why in gap->note.
 */
int watch_journal_next(struct watch_journal *j, struct span *line,
		       struct watch_gap *gap);

/* watch_journal_cursor - the cursor after the last entry returned */
void watch_journal_cursor(const struct watch_journal *j, char *out,
			  size_t size);

/* watch_journal_untrusted - entries skipped because _UID was not trusted */
uint64_t watch_journal_untrusted(const struct watch_journal *j);

#endif
