/*
 * buf.h - a growable text buffer with a hard maximum (curl's dynbuf idea).
 *
 * Every buffer is created with the largest size it may ever reach; an
 * append that would pass it fails with BUF_TOOBIG and leaves the content
 * as it was, so hostile input can never grow memory without bound.  The
 * content is always NUL-terminated.
 */
#ifndef PB_BUF_H
#define PB_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "span.h"

enum buf_status { BUF_OK = 0, BUF_TOOBIG = -1 };

struct buf {
	char *data;		/* NUL-terminated, or NULL before first use */
	size_t len;		/* bytes used, excluding the NUL */
	size_t cap;		/* bytes allocated */
	size_t max;		/* the hard limit on len */
};

/* buf_init - an empty buffer that will never hold more than max bytes */
void buf_init(struct buf *b, size_t max);
/* buf_free - release the memory; the buffer may be reused after buf_init */
void buf_free(struct buf *b);
/* buf_reset - empty the buffer, keeping its memory for reuse */
void buf_reset(struct buf *b);
int buf_add(struct buf *b, const void *p, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addspan(struct buf *b, struct span s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* buf_str - the content as a C string ("" when nothing was added) */
const char *buf_str(const struct buf *b);

#endif
