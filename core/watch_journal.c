/*
 * watch_journal.c - the journal source (see watch_journal.h).
 *
 * Entries are read in the journal's order with sd_journal_next; at the
 * end, sd_journal_process takes in what was appended or added since (the
 * fd from sd_journal_get_fd is set up at open so that this works without
 * blocking).  The cursor of the last entry handed out is kept, whether
 * the entry was used or skipped, so skipped entries are not read again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "watch_journal.h"
#include "xalloc.h"

#define LINE_MAX_BYTES	(64 * 1024)

struct watch_journal {
	sd_journal *j;
	uid_t *uids;
	size_t nuids;
	char cursor[WATCH_JOURNAL_CURSOR_MAX];	/* "" = none yet */
	struct buf line;
	uint64_t untrusted;
};

struct watch_journal *
watch_journal_open(const char *dir, const uid_t *uids, size_t n,
		   struct buf *why)
{
	struct watch_journal *w = xcalloc(1, sizeof(*w));
	int rc;

	if (dir != NULL && *dir != '\0')
		rc = sd_journal_open_directory(&w->j, dir, 0);
	else
		rc = sd_journal_open(&w->j, SD_JOURNAL_LOCAL_ONLY);
	if (rc < 0) {
		buf_addf(why, "journal %s: %s", dir && *dir ? dir : "(system)",
			 strerror(-rc));
		free(w);
		return NULL;
	}
	/* sets up inotify, so that sd_journal_process sees new data */
	(void)sd_journal_get_fd(w->j);
	w->uids = xcalloc(n ? n : 1, sizeof(*w->uids));
	memcpy(w->uids, uids, n * sizeof(*uids));
	w->nuids = n;
	buf_init(&w->line, LINE_MAX_BYTES);
	return w;
}

void
watch_journal_close(struct watch_journal *w)
{
	if (w == NULL)
		return;
	sd_journal_close(w->j);
	buf_free(&w->line);
	free(w->uids);
	free(w);
}

/* remember - keep the cursor of the current entry */
static void
remember(struct watch_journal *w)
{
	char *c = NULL;

	if (sd_journal_get_cursor(w->j, &c) >= 0 && c != NULL) {
		snprintf(w->cursor, sizeof(w->cursor), "%s", c);
		free(c);
	}
}

int
watch_journal_start(struct watch_journal *w, const char *cursor,
		    bool from_start, struct watch_gap *gap)
{
	int rc;

	if (cursor != NULL && *cursor == '\0') {
		/* saved while the journal was empty: all of it is new */
		sd_journal_seek_head(w->j);
		return WATCH_FILE_IDLE;
	}
	if (cursor == NULL) {
		if (from_start) {
			sd_journal_seek_head(w->j);
			return WATCH_FILE_IDLE;
		}
		/* at the end: the last entry is the position */
		sd_journal_seek_tail(w->j);
		if (sd_journal_previous(w->j) > 0)
			remember(w);
		return WATCH_FILE_IDLE;
	}
	snprintf(w->cursor, sizeof(w->cursor), "%s", cursor);
	if (sd_journal_seek_cursor(w->j, cursor) >= 0 &&
	    sd_journal_next(w->j) > 0 &&
	    (rc = sd_journal_test_cursor(w->j, cursor)) > 0)
		return WATCH_FILE_IDLE;	/* on it: next() goes past it */
	/* the entry is gone: say so, and take all that is still there */
	snprintf(gap->from, sizeof(gap->from), "%.*s",
		 (int)sizeof(gap->from) - 1, cursor);
	snprintf(gap->note, sizeof(gap->note), "journal cursor not found "
		 "(journal files vacuumed or deleted): entries after it that "
		 "are gone were not read; resuming at the oldest entry");
	sd_journal_seek_head(w->j);
	w->cursor[0] = '\0';
	snprintf(gap->to, sizeof(gap->to), "head");
	return WATCH_FILE_GAP;
}

/* field - the value of one field of the current entry, or an empty span */
static struct span
field(sd_journal *j, const char *name)
{
	const void *data;
	size_t len, nlen = strlen(name);

	if (sd_journal_get_data(j, name, &data, &len) < 0 || len <= nlen ||
	    ((const char *)data)[nlen] != '=')
		return span_make("", 0);
	return span_make((const char *)data + nlen + 1, len - nlen - 1);
}

/* trusted - did a trusted uid write the current entry */
static bool
trusted(struct watch_journal *w)
{
	struct span s = field(w->j, "_UID");
	char num[24];
	char *end;
	unsigned long uid;
	size_t i;

	if (s.len == 0 || s.len >= sizeof(num))
		return false;
	memcpy(num, s.p, s.len);
	num[s.len] = '\0';
	errno = 0;
	uid = strtoul(num, &end, 10);
	if (*end != '\0' || errno != 0)
		return false;
	for (i = 0; i < w->nuids; i++)
		if ((unsigned long)w->uids[i] == uid)
			return true;
	return false;
}

/* format - "TIME HOST IDENT[PID]: MESSAGE" for the current entry */
static void
format(struct watch_journal *w)
{
	struct span host = field(w->j, "_HOSTNAME");
	struct span ident = field(w->j, "SYSLOG_IDENTIFIER");
	struct span pid = field(w->j, "SYSLOG_PID");
	struct span msg = field(w->j, "MESSAGE");
	uint64_t usec = 0;
	time_t t;
	struct tm tm;
	char stamp[40];

	if (pid.len == 0)
		pid = field(w->j, "_PID");
	sd_journal_get_realtime_usec(w->j, &usec);
	t = (time_t)(usec / 1000000);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_reset(&w->line);
	buf_addf(&w->line, "%s.%06u+00:00 %.*s %.*s", stamp,
		 (unsigned)(usec % 1000000), (int)(host.len ? host.len : 9),
		 host.len ? host.p : "localhost", (int)ident.len, ident.p);
	if (pid.len)
		buf_addf(&w->line, "[%.*s]", (int)pid.len, pid.p);
	buf_adds(&w->line, ": ");
	/* a message longer than the buffer is cut by buf's bound */
	buf_add(&w->line, msg.p, msg.len);
}

int
watch_journal_next(struct watch_journal *w, struct span *line,
		   struct watch_gap *gap)
{
	struct span ident;
	int rc;

	for (;;) {
		rc = sd_journal_next(w->j);
		if (rc < 0) {
			snprintf(gap->note, sizeof(gap->note), "journal: %s",
				 strerror(-rc));
			return WATCH_FILE_ERROR;
		}
		if (rc == 0) {
			/* take in appended data and new files, then retry */
			rc = sd_journal_process(w->j);
			if (rc == SD_JOURNAL_NOP || rc < 0)
				return WATCH_FILE_IDLE;
			continue;
		}
		remember(w);
		ident = field(w->j, "SYSLOG_IDENTIFIER");
		if (ident.len < 7 || memcmp(ident.p, "postfix", 7) != 0)
			continue;
		if (!trusted(w)) {
			w->untrusted++;
			continue;
		}
		format(w);
		*line = span_make(buf_str(&w->line), w->line.len);
		return WATCH_FILE_LINE;
	}
}

void
watch_journal_cursor(const struct watch_journal *w, char *out, size_t size)
{
	snprintf(out, size, "%s", w->cursor);
}

uint64_t
watch_journal_untrusted(const struct watch_journal *w)
{
	return w->untrusted;
}
