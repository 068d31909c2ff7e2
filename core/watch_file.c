/*
 * watch_file.c - follow one log file across rename+create and
 * copytruncate rotation (see watch_file.h for the guarantees).
 *
 * Reading is by polling: at the end of the file the follower checks, in
 * this order, whether the file shrank or its first bytes changed (it was
 * truncated: gap, start again at 0), whether it grew meanwhile (read on),
 * and whether the path now names another file (rotated: drain the old one
 * to its end, hand out a last line without newline, then switch).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "watch_file.h"
#include "xalloc.h"

struct watch_file {
	char *path;
	char *rotated;			/* path.1: where a renamed file goes */
	size_t max_line;
	int fd;
	dev_t dev;
	ino_t ino;
	unsigned char fp[WATCH_FILE_FP_MAX];
	size_t fp_len;
	int64_t off;			/* file offset of buf[pos] */
	char *buf;
	size_t cap, pos, len;		/* unconsumed: buf[pos..len) */
	bool skipping;			/* inside an overlong line's rest */
};

uint64_t
watch_file_fphash(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = UINT64_C(14695981039346656037);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

struct watch_file *
watch_file_new(const char *path, size_t max_line)
{
	struct watch_file *f = xcalloc(1, sizeof(*f));
	size_t n = strlen(path) + 3;

	f->path = xstrdup(path);
	f->rotated = xmalloc(n);
	snprintf(f->rotated, n, "%s.1", path);
	f->max_line = max_line ? max_line : 64 * 1024;
	f->cap = f->max_line + 64 * 1024;
	f->buf = xmalloc(f->cap);
	f->fd = -1;
	return f;
}

void
watch_file_free(struct watch_file *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f->rotated);
	free(f->buf);
	free(f);
}

/* cursor_of - the cursor text for a position in the current file */
static void
cursor_of(const struct watch_file *f, int64_t off,
	  char out[WATCH_FILE_CURSOR_MAX])
{
	snprintf(out, WATCH_FILE_CURSOR_MAX, "%ju:%ju:%zu:%016" PRIx64
		 ":%" PRId64, (uintmax_t)f->dev, (uintmax_t)f->ino, f->fp_len,
		 watch_file_fphash(f->fp, f->fp_len), off);
}

void
watch_file_cursor(const struct watch_file *f, char out[WATCH_FILE_CURSOR_MAX])
{
	if (f->fd < 0)
		snprintf(out, WATCH_FILE_CURSOR_MAX, "none");
	else
		cursor_of(f, f->off, out);
}

int64_t
watch_file_offset(const struct watch_file *f)
{
	return f->off;
}

int64_t
watch_file_size(const struct watch_file *f)
{
	struct stat st;

	if (f->fd < 0 || fstat(f->fd, &st) < 0)
		return 0;
	return (int64_t)st.st_size;
}

/* read_fp - the file's first bytes now (at most FP_MAX); -1 on error */
static ssize_t
read_fp(int fd, unsigned char *out)
{
	ssize_t n;

	do
		n = pread(fd, out, WATCH_FILE_FP_MAX, 0);
	while (n < 0 && errno == EINTR);
	return n;
}

/* adopt - make fd (already open on path) the current file at off */
static void
adopt(struct watch_file *f, int fd, const struct stat *st, int64_t off)
{
	ssize_t n;

	if (f->fd >= 0)
		close(f->fd);
	f->fd = fd;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	n = read_fp(fd, f->fp);
	f->fp_len = n > 0 ? (size_t)n : 0;
	f->off = off;
	f->pos = f->len = 0;
	f->skipping = false;
	if (lseek(fd, (off_t)off, SEEK_SET) < 0)
		f->off = 0;		/* not seekable: read from here */
}

/* open_path - open name as the current file at 0; false when absent */
static bool
open_path(struct watch_file *f, const char *name)
{
	struct stat st;
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return false;
	}
	adopt(f, fd, &st, 0);
	return true;
}

/* parse_cursor - split "DEV:INO:FPLEN:FPHASH:OFF"; false when malformed */
static bool
parse_cursor(const char *s, uintmax_t *dev, uintmax_t *ino, size_t *fplen,
	     uint64_t *hash, int64_t *off)
{
	char *end;

	errno = 0;
	*dev = strtoumax(s, &end, 10);
	if (*end != ':')
		return false;
	*ino = strtoumax(end + 1, &end, 10);
	if (*end != ':')
		return false;
	*fplen = (size_t)strtoumax(end + 1, &end, 10);
	if (*end != ':' || *fplen > WATCH_FILE_FP_MAX)
		return false;
	*hash = (uint64_t)strtoumax(end + 1, &end, 16);
	if (*end != ':')
		return false;
	*off = (int64_t)strtoimax(end + 1, &end, 10);
	return *end == '\0' && errno == 0 && *off >= 0;
}

/*
 * try_resume - open name if it is the file the cursor names: 1 resumed,
 * 0 not that file, -1 that file but changed (truncated or rewritten)
 */
static int
try_resume(struct watch_file *f, const char *name, uintmax_t dev,
	   uintmax_t ino, size_t fplen, uint64_t hash, int64_t off)
{
	unsigned char fp[WATCH_FILE_FP_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	if (stat(name, &st) < 0 || (uintmax_t)st.st_dev != dev ||
	    (uintmax_t)st.st_ino != ino)
		return 0;
	if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return 0;
	n = read_fp(fd, fp);
	if (fstat(fd, &st) < 0 || n < (ssize_t)fplen ||
	    watch_file_fphash(fp, fplen) != hash || (int64_t)st.st_size < off) {
		close(fd);
		return -1;
	}
	adopt(f, fd, &st, off);
	return 1;
}

int
watch_file_start(struct watch_file *f, const char *cursor, bool from_start,
		 struct watch_gap *gap)
{
	uintmax_t dev, ino;
	uint64_t hash;
	size_t fplen;
	int64_t off;
	int rc;

	if (cursor != NULL && strcmp(cursor, "none") == 0) {
		open_path(f, f->path);	/* it did not exist: all of it is new */
		return WATCH_FILE_IDLE;
	}
	if (cursor == NULL) {
		if (open_path(f, f->path) && !from_start) {
			f->off = watch_file_size(f);
			if (lseek(f->fd, (off_t)f->off, SEEK_SET) < 0)
				f->off = 0;
		}
		return WATCH_FILE_IDLE;
	}
	if (!parse_cursor(cursor, &dev, &ino, &fplen, &hash, &off)) {
		snprintf(gap->from, sizeof(gap->from), "%s", cursor);
		snprintf(gap->note, sizeof(gap->note),
			 "unreadable cursor: reading %s from its start",
			 f->path);
		rc = -2;
	} else if ((rc = try_resume(f, f->path, dev, ino, fplen, hash,
				    off)) == 1 ||
		   (rc == 0 && try_resume(f, f->rotated, dev, ino, fplen,
					  hash, off) == 1)) {
		return WATCH_FILE_IDLE;
	}
	if (rc != -2) {
		snprintf(gap->from, sizeof(gap->from), "%s", cursor);
		snprintf(gap->note, sizeof(gap->note), rc == -1 ?
			 "%s changed while the watcher was stopped (truncated, "
			 "rewritten, or rotated away and its inode reused): "
			 "the rest of the old content was not read" :
			 "%s was rotated away or deleted while the watcher was "
			 "stopped and is not found as .1: the rest of it was "
			 "not read", f->path);
	}
	open_path(f, f->path);
	watch_file_cursor(f, gap->to);
	return WATCH_FILE_GAP;
}

/* restart_at_zero - the file was truncated under us: report, read anew */
static int
restart_at_zero(struct watch_file *f, struct watch_gap *gap, const char *why)
{
	ssize_t n;

	cursor_of(f, f->off, gap->from);
	snprintf(gap->note, sizeof(gap->note), "%s %s: what was written "
		 "after offset %" PRId64 " of the old content was not read",
		 f->path, why, f->off);
	f->off = 0;
	f->pos = f->len = 0;
	f->skipping = false;
	if (lseek(f->fd, 0, SEEK_SET) < 0)
		return WATCH_FILE_ERROR;
	n = read_fp(f->fd, f->fp);
	f->fp_len = n > 0 ? (size_t)n : 0;
	cursor_of(f, 0, gap->to);
	return WATCH_FILE_GAP;
}

/*
 * check_same - is the open file still the one we read: GAP when it shrank
 * below what we read or its first bytes changed (copytruncate), else 3
 */
static int
check_same(struct watch_file *f, struct watch_gap *gap)
{
	unsigned char fp[WATCH_FILE_FP_MAX];
	int64_t rdoff = f->off + (int64_t)(f->len - f->pos);
	struct stat st;
	ssize_t n;

	if (fstat(f->fd, &st) < 0)
		return WATCH_FILE_ERROR;
	if ((int64_t)st.st_size < rdoff)
		return restart_at_zero(f, gap, "was truncated");
	if ((n = read_fp(f->fd, fp)) < 0)
		return WATCH_FILE_ERROR;
	if (memcmp(fp, f->fp, (size_t)n < f->fp_len ? (size_t)n : f->fp_len))
		return restart_at_zero(f, gap, "was truncated and rewritten");
	if ((size_t)n > f->fp_len) {
		memcpy(f->fp, fp, (size_t)n);
		f->fp_len = (size_t)n;
	}
	return 3;
}

/*
 * at_eof - the checks at the end of the file: GAP (truncated), LINE (the
 * rotated file's unterminated last line), IDLE (nothing new), or 3 (read
 * on: the file grew, or we switched to the new file)
 */
static int
at_eof(struct watch_file *f, struct span *line, struct watch_gap *gap)
{
	struct stat st, ps;
	int64_t rdoff = f->off + (int64_t)(f->len - f->pos);
	int rc;

	if ((rc = check_same(f, gap)) != 3)
		return rc;
	if (fstat(f->fd, &st) < 0)
		return WATCH_FILE_ERROR;
	if ((int64_t)st.st_size > rdoff)
		return 3;
	if (stat(f->path, &ps) < 0 ||
	    (ps.st_dev == f->dev && ps.st_ino == f->ino))
		return WATCH_FILE_IDLE;
	/* rotated by rename: the old file is complete; finish it first */
	if (f->pos < f->len && !f->skipping) {
		*line = span_make(f->buf + f->pos, f->len - f->pos);
		f->off += (int64_t)(f->len - f->pos);
		f->pos = f->len;
		return WATCH_FILE_LINE;
	}
	if (!open_path(f, f->path))
		return WATCH_FILE_IDLE;
	return 3;
}

int
watch_file_next(struct watch_file *f, struct span *line, bool *cut,
		struct watch_gap *gap)
{
	char *nl;
	size_t n;
	ssize_t got;
	int rc;

	*cut = false;
	for (;;) {
		if (f->pos < f->len) {
			n = f->len - f->pos;
			nl = memchr(f->buf + f->pos, '\n', n);
			if (nl != NULL || n >= f->max_line) {
				n = nl ? (size_t)(nl - (f->buf + f->pos))
				       : f->max_line;
				*line = span_make(f->buf + f->pos, n);
				f->pos += n + (nl != NULL);
				f->off += (int64_t)(n + (nl != NULL));
				if (f->skipping) {
					f->skipping = nl == NULL;
					continue;
				}
				if (nl == NULL) {
					*cut = true;
					f->skipping = true;
				}
				return WATCH_FILE_LINE;
			}
		}
		if (f->fd < 0 && !open_path(f, f->path))
			return WATCH_FILE_IDLE;
		/* truncated (and maybe rewritten) since we last looked? */
		if ((rc = check_same(f, gap)) != 3)
			return rc;
		if (f->pos > 0) {
			memmove(f->buf, f->buf + f->pos, f->len - f->pos);
			f->len -= f->pos;
			f->pos = 0;
		}
		got = read(f->fd, f->buf + f->len, f->cap - f->len);
		if (got > 0) {
			f->len += (size_t)got;
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(gap->note, sizeof(gap->note), "read %s: %s",
				 f->path, strerror(errno));
			return WATCH_FILE_ERROR;
		}
		rc = at_eof(f, line, gap);
		if (rc != 3)
			return rc;
	}
}

int
watch_file_lag(const char *path, const char *cursor, int64_t *bytes)
{
	uintmax_t dev, ino;
	uint64_t hash;
	size_t fplen;
	int64_t off;
	struct stat st;

	*bytes = 0;
	if (cursor == NULL || !parse_cursor(cursor, &dev, &ino, &fplen, &hash,
					    &off) ||
	    stat(path, &st) < 0 || (uintmax_t)st.st_dev != dev ||
	    (uintmax_t)st.st_ino != ino)
		return -1;
	*bytes = (int64_t)st.st_size - off;
	return 0;
}
