/*
 * xalloc.c - allocation wrappers that never return NULL.
 *
 * Owns nothing; guarantees that a returned pointer is valid and that an
 * allocation failure ends the process with one clear line on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "span.h"
#include "xalloc.h"

/* oom - the one place an allocation failure is reported */
static void
oom(size_t size)
{
	fprintf(stderr, "plainbounce: out of memory (%zu bytes)\n", size);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		oom(size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom(n * size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		oom(size);
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
span_dup(struct span s)
{
	return xstrndup(s.p ? s.p : "", s.len);
}

char *
span_copy(char *dst, size_t size, struct span s)
{
	size_t n;

	if (size == 0)
		return dst;
	n = s.len < size - 1 ? s.len : size - 1;
	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
	return dst;
}
