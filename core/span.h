/*
 * span.h - a borrowed slice of someone else's text.
 *
 * Parsers return spans that point into the caller's buffer, so nothing is
 * copied on the hot path.  A span is valid only as long as that buffer; a
 * caller that keeps a field copies it with span_dup().  An empty span has
 * p == NULL and len == 0, and means "absent".
 */
#ifndef PB_SPAN_H
#define PB_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct span {
	const char *p;
	size_t len;
};

#define SPAN_NULL ((struct span){ NULL, 0 })

/* span_make - a span over len bytes at p */
static inline struct span
span_make(const char *p, size_t len)
{
	return (struct span){ p, len };
}

/* span_present - true when the field was found (it may still be empty) */
static inline bool
span_present(struct span s)
{
	return s.p != NULL;
}

/* span_eq - compare a span with a NUL-terminated literal, case-sensitive */
static inline bool
span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

/* span_dup - a NUL-terminated heap copy; never NULL (aborts on ENOMEM) */
char *span_dup(struct span s);

/* span_copy - copy into a fixed buffer, truncating; returns dst */
char *span_copy(char *dst, size_t size, struct span s);

#endif
