/*
 * xalloc.h - allocation that either succeeds or does not return.
 *
 * Running out of memory is not a per-item failure plainbounce can recover
 * from in a useful way, so these abort with a message instead of making
 * every caller check for NULL (Postfix's mymalloc, OpenSMTPD's xmalloc).
 */
#ifndef PB_XALLOC_H
#define PB_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
