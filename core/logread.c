/*
 * logread.c - bounded line reading over plain and gzip files.
 *
 * Guarantees: memory is one buffer of fixed size per reader, whatever the
 * input; every byte of every file is either returned in a line or counted
 * as skipped (the tail of an overlong line); a read error in one file is
 * reported and the next file is read.  Plain files are read with read(2)
 * for speed (not mmap(2): a log truncated under the mapping, as
 * copytruncate rotation does, would kill the reader with SIGBUS); gzip
 * files (magic 1f 8b) and stdin go through zlib, which passes plain data
 * through unchanged.  NUL bytes are looked for once per read, not per
 * line, and each line says whether it holds one (logread_line.has_nul).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "inline.h"
#include "logread.h"
#include "xalloc.h"

#define READ_CHUNK (128 * 1024)	/* one read: small enough to stay in L2 */

struct logread {
	const char **paths;	/* copies of the names */
	size_t npaths, next;	/* next: index of the file to open next */
	size_t max_line;

	/* the open file */
	const char *path;
	int fd;			/* plain file, or -1 */
	gzFile gz;		/* gzip or stdin, or NULL */
	bool open;
	bool eof;
	int64_t mtime;
	uint64_t lineno;
	bool first;

	/* the buffer: text in data[start..end) */
	char *data;
	size_t cap, start, end, scan;
	size_t nul;		/* the first NUL in data[nul_from..end), or end */
	size_t nul_from;
	bool skipping;		/* inside the tail of an overlong line */
	uint64_t bytes;
};

struct logread *
logread_open(const char *const *paths, size_t n, size_t max_line)
{
	struct logread *r = xcalloc(1, sizeof(*r));
	size_t i;

	if (max_line == 0)
		max_line = LOGREAD_DEFAULT_MAX_LINE;
	r->max_line = max_line;
	if (n == 0) {
		r->paths = xmalloc(sizeof(char *));
		r->paths[0] = xstrdup("-");
		r->npaths = 1;
	} else {
		r->paths = xmalloc(n * sizeof(char *));
		for (i = 0; i < n; i++)
			r->paths[i] = xstrdup(paths[i]);
		r->npaths = n;
	}
	r->cap = max_line + READ_CHUNK;
	r->data = xmalloc(r->cap);
	r->fd = -1;
	return r;
}

/* close_current - release the open file, if any */
static void
close_current(struct logread *r)
{
	if (r->gz != NULL)
		gzclose(r->gz);
	else if (r->fd >= 0)
		close(r->fd);
	r->gz = NULL;
	r->fd = -1;
	r->open = false;
	r->start = r->end = r->scan = r->nul = r->nul_from = 0;
	r->skipping = false;
}

/* nul_scan - find the first NUL byte at or after data[from] */
static void
nul_scan(struct logread *r, size_t from)
{
	const char *z = memchr(r->data + from, '\0', r->end - from);

	r->nul_from = from;
	r->nul = z != NULL ? (size_t)(z - r->data) : r->end;
}

/* has_nul - whether data[at..at+len) holds a NUL byte */
static inline bool
has_nul(struct logread *r, size_t at, size_t len)
{
	if (at < r->nul_from || r->nul < at)
		nul_scan(r, at);	/* a NUL behind us: look further on */
	return r->nul < at + len;
}

/* open_next - open paths[next]; 0, or -1 with why (next still advances) */
static int
open_next(struct logread *r, struct buf *why)
{
	const char *path = r->paths[r->next++];
	unsigned char magic[2];
	struct stat st;
	int fd;
	ssize_t got;

	r->path = path;
	r->lineno = 0;
	r->first = true;
	r->eof = false;
	r->mtime = 0;
	if (strcmp(path, "-") == 0) {
		fd = dup(STDIN_FILENO);
		if (fd < 0 || (r->gz = gzdopen(fd, "rb")) == NULL) {
			if (fd >= 0)
				close(fd);
			buf_addf(why, "stdin: %s", strerror(errno));
			return -1;
		}
		gzbuffer(r->gz, 256 * 1024);
		r->open = true;
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf_addf(why, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0)
		r->mtime = (int64_t)st.st_mtime;
	got = pread(fd, magic, sizeof(magic), 0);
	if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		r->gz = gzdopen(fd, "rb");
		if (r->gz == NULL) {
			close(fd);
			buf_addf(why, "%s: cannot start gzip reader", path);
			return -1;
		}
		gzbuffer(r->gz, 256 * 1024);
	} else {
		r->fd = fd;
#ifdef POSIX_FADV_SEQUENTIAL
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	}
	r->open = true;
	return 0;
}

/* fill - read more text after data[end]; bytes read, 0 at EOF, -1 error */
static long
fill(struct logread *r, struct buf *why)
{
	size_t room;
	long got;
	int err;

	if (r->start > 0) {
		if (r->nul < r->start)	/* keep nul_from <= nul after the move */
			nul_scan(r, r->start);
		memmove(r->data, r->data + r->start, r->end - r->start);
		r->end -= r->start;
		r->scan -= r->start;
		r->nul -= r->nul >= r->start ? r->start : r->nul;
		r->nul_from -= r->nul_from >= r->start ? r->start : r->nul_from;
		r->start = 0;
	}
	room = r->cap - r->end;
	if (room > READ_CHUNK)
		room = READ_CHUNK;
	if (r->gz != NULL) {
		got = gzread(r->gz, r->data + r->end, (unsigned)room);
		if (got < 0) {
			buf_addf(why, "%s: %s", r->path, gzerror(r->gz, &err));
			return -1;
		}
	} else {
		do
			got = (long)read(r->fd, r->data + r->end, room);
		while (got < 0 && errno == EINTR);
		if (got < 0) {
			buf_addf(why, "%s: %s", r->path, strerror(errno));
			return -1;
		}
	}
	if (r->nul == r->end) {		/* none so far: look in the new text */
		const char *z = memchr(r->data + r->end, '\0', (size_t)got);

		r->nul = z != NULL ? (size_t)(z - r->data) : r->end + (size_t)got;
	}
	r->end += (size_t)got;
	r->bytes += (uint64_t)got;
	return got;
}

/* emit - hand out data[start..start+len) as the next line; inlined, as
 * logread_next's usual case runs it for nearly every line */
static ALWAYS_INLINE void
emit(struct logread *r, struct logread_line *out, size_t len, bool partial,
     bool truncated)
{
	out->text = span_make(r->data + r->start, len);
	out->has_nul = has_nul(r, r->start, len);
	out->path = r->path;
	out->lineno = ++r->lineno;
	out->mtime = r->mtime;
	out->partial = partial;
	out->truncated = truncated;
	out->new_file = r->first;
	r->first = false;
}

static NOINLINE int next_slow(struct logread *r, struct logread_line *out,
			       struct buf *why);

int
logread_next(struct logread *r, struct logread_line *out, struct buf *why)
{
	char *nl;
	size_t len;

	/* the usual case: a whole line of bounded length in the buffer */
	if (r->open && !r->skipping && r->scan == r->start &&
	    (nl = memchr(r->data + r->start, '\n', r->end - r->start)) !=
	    NULL && (len = (size_t)(nl - r->data) - r->start) <= r->max_line) {
		emit(r, out, len, false, false);
		r->start = r->scan = r->start + len + 1;
		return 1;
	}
	return next_slow(r, out, why);
}

/*
 * next_slow - logread_next() past its usual case: files to open, text to
 * read, overlong and unterminated lines.  A function of its own, so that
 * the usual case saves and restores few registers.
 */
static NOINLINE int
next_slow(struct logread *r, struct logread_line *out, struct buf *why)
{
	char *nl;
	size_t len;
	long got;

	for (;;) {
		if (!r->open) {
			if (r->next >= r->npaths)
				return 0;
			if (open_next(r, why) < 0)
				return -1;
		}
		nl = r->scan < r->end ?
		    memchr(r->data + r->scan, '\n', r->end - r->scan) : NULL;
		if (r->skipping) {
			if (nl == NULL) {
				r->start = r->scan = r->end;
			} else {
				r->start = r->scan = (size_t)(nl - r->data) + 1;
				r->skipping = false;
				continue;
			}
		} else if (nl != NULL) {
			len = (size_t)(nl - r->data) - r->start;
			if (len > r->max_line) {
				emit(r, out, r->max_line, false, true);
			} else {
				emit(r, out, len, false, false);
			}
			r->start = r->scan = (size_t)(nl - r->data) + 1;
			return 1;
		} else if (r->end - r->start >= r->max_line) {
			emit(r, out, r->max_line, false, true);
			r->start += r->max_line;
			r->scan = r->start;
			r->skipping = true;
			return 1;
		} else {
			r->scan = r->end;
		}
		if (r->eof) {
			if (r->end > r->start && !r->skipping) {
				emit(r, out, r->end - r->start, true, false);
				r->start = r->scan = r->end;
				return 1;
			}
			close_current(r);
			continue;
		}
		got = fill(r, why);
		if (got < 0) {
			close_current(r);
			return -1;
		}
		if (got == 0)
			r->eof = true;
	}
}

uint64_t
logread_bytes(const struct logread *r)
{
	return r->bytes;
}

void
logread_close(struct logread *r)
{
	size_t i;

	if (r == NULL)
		return;
	close_current(r);
	for (i = 0; i < r->npaths; i++)
		free((void *)r->paths[i]);
	free(r->paths);
	free(r->data);
	free(r);
}

/* Rotation classes, oldest first. */
enum rot_class { ROT_NUMBERED = 0, ROT_DATED = 1, ROT_LIVE = 2 };

struct rot_key {
	const char *path;
	size_t baselen;		/* length of the base name in path */
	size_t group;		/* first index at which this base appeared */
	enum rot_class cls;
	unsigned long long value;
};

/* digits_back - how many decimal digits end s[0..len) */
static size_t
digits_back(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[len - 1 - n] >= '0' && s[len - 1 - n] <= '9')
		n++;
	return n;
}

/* rot_parse - split a rotated name into base, class and number */
static void
rot_parse(struct rot_key *k, const char *path)
{
	size_t len = strlen(path), nd, i;
	unsigned long long v = 0;

	k->path = path;
	if (len > 3 && strcmp(path + len - 3, ".gz") == 0)
		len -= 3;
	nd = digits_back(path, len);
	k->cls = ROT_LIVE;
	k->baselen = len;
	k->value = 0;
	if (nd == 0 || nd == len || nd > 14)
		return;
	for (i = len - nd; i < len; i++)
		v = v * 10 + (unsigned)(path[i] - '0');
	if (path[len - nd - 1] == '.' && nd <= 4) {
		k->cls = ROT_NUMBERED;
		k->baselen = len - nd - 1;
		k->value = v;
	} else if (path[len - nd - 1] == '-' && nd >= 8) {
		k->cls = ROT_DATED;
		k->baselen = len - nd - 1;
		k->value = v;
	}
}

/* rot_before - true when a is older than b (sorts before it) */
static bool
rot_before(const struct rot_key *a, const struct rot_key *b)
{
	if (a->group != b->group)
		return a->group < b->group;
	if (a->cls != b->cls)
		return a->cls < b->cls;
	if (a->cls == ROT_NUMBERED)
		return a->value > b->value;
	return a->value < b->value;
}

void
logread_order(const char **paths, size_t n)
{
	struct rot_key *k, t;
	size_t i, j;

	if (n < 2)
		return;
	k = xcalloc(n, sizeof(*k));
	for (i = 0; i < n; i++) {
		rot_parse(&k[i], paths[i]);
		k[i].group = i;
		for (j = 0; j < i; j++)
			if (k[j].baselen == k[i].baselen &&
			    memcmp(k[j].path, k[i].path, k[i].baselen) == 0) {
				k[i].group = k[j].group;
				break;
			}
	}
	/* insertion sort: stable, and n is a handful of file names */
	for (i = 1; i < n; i++) {
		t = k[i];
		for (j = i; j > 0 && rot_before(&t, &k[j - 1]); j--)
			k[j] = k[j - 1];
		k[j] = t;
	}
	for (i = 0; i < n; i++)
		paths[i] = k[i].path;
	free(k);
}
