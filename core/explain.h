/*
 * explain.h - read a parsed Postfix log line out loud, field by field.
 *
 * explain_line() turns a struct logline into an ordered list of items
 * {field, value, meaning}, in the order an expert reads the line: who
 * wrote it and at which stage of the mail flow, the queue ID, then every
 * key=value field as it appears (recipient, relay, delays, DSN, status and
 * the remote reply taken apart).  It is pure: no I/O, no clock, no
 * allocation; everything lives in the caller's struct explain.
 *
 * Guarantees: field and value spans are text of the line itself (a reply
 * with its multi-line prefixes folded away is copied into text[]), or
 * plainbounce's own text and numbers, so a caller must pass both through
 * escape_display() before showing them; meaning spans are plainbounce's
 * own words only and never contain bytes of the line.  Every span is
 * valid as long as both the line and the struct explain are.  When more
 * items or words are needed than fit, the list is cut and truncated set.
 */
#ifndef PB_EXPLAIN_H
#define PB_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "logline.h"
#include "span.h"

#define EXPLAIN_MAX_ITEMS	96
#define EXPLAIN_TEXT_MAX	(16 * 1024)

struct explain_item {
	struct span field;	/* "queue_id", "relay", "delays.c", or an
				 * unknown key as written in the line */
	struct span value;	/* as written, or a derived value */
	struct span meaning;	/* plain words, into explain.text */
};

struct explain {
	enum logline_kind kind;
	const char *kind_name;	/* logline_kind_name(kind) */
	struct span kind_meaning; /* what this sort of line is, in words */
	bool is_postfix;	/* false for LL_MALFORMED and LL_NOT_POSTFIX */
	bool truncated;		/* items or text did not all fit */
	size_t n;		/* items used */
	struct explain_item item[EXPLAIN_MAX_ITEMS];
	size_t used;		/* bytes of text[] used */
	char text[EXPLAIN_TEXT_MAX];
};

/* explain_line - fill ex with the items of ll (ll must be parsed already) */
void explain_line(struct explain *ex, const struct logline *ll);

/* explain_find - the first item named field, or NULL (for tests, callers) */
const struct explain_item *explain_find(const struct explain *ex,
					const char *field);

#endif
