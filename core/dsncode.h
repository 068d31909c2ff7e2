/*
 * dsncode.h - the SMTP enhanced status codes (RFC 3463 and the IANA
 * registry that extends it) as data: class, subject and detail, each with
 * a title, a meaning in plain words, and the reason the classifier falls
 * back to when nothing more specific is known.
 *
 * Codes are written "C.S.D" (class 2, 4 or 5; subject and detail 0..999).
 * The table is keyed by subject and detail only ("X.S.D"): the class says
 * whether a problem is temporary (4) or permanent (5), not what it is.
 * Nothing here allocates or reads files; all strings are static.
 */
#ifndef PB_DSNCODE_H
#define PB_DSNCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "reason.h"

/* A parsed enhanced status code, e.g. 5.7.1 -> { 5, 7, 1 }. */
struct dsn {
	int cls;		/* 2, 4 or 5 */
	int subject;		/* 0..999 */
	int detail;		/* 0..999 */
};

/* One registered code (detail level), written "X.S.D". */
struct dsncode {
	const char *code;	/* "X.1.1" */
	int subject;
	int detail;
	const char *title;	/* short name, e.g. "Bad destination mailbox" */
	const char *meaning;	/* one plain sentence */
	enum reason reason;	/* classifier default for this code */
};

/*
 * dsncode_parse - read exactly "C.S.D" from s[0..len) (nothing before or
 * after); false unless class is 2, 4 or 5 and subject/detail have 1..3
 * digits.
 */
bool dsncode_parse(const char *s, size_t len, struct dsn *out);

/*
 * dsncode_scan - find the first enhanced status code inside free text,
 * such as "550-5.1.1 <x@y>: user unknown"; a code must stand alone (not
 * part of an IP address like 5.7.1.100 or a version 1.5.2.4).  Returns
 * its offset and sets *out and *codelen, or returns (size_t)-1.
 */
size_t dsncode_scan(const char *s, size_t len, struct dsn *out,
		    size_t *codelen);

/*
 * dsncode_lookup - the registered entry for "C.S.D" or "X.S.D" in
 * code[0..len), or NULL when the text is not a code or not registered.
 */
const struct dsncode *dsncode_lookup(const char *code, size_t len);

/* dsncode_get - the registered entry for subject.detail, or NULL */
const struct dsncode *dsncode_get(int subject, int detail);

/* dsncode_table - all registered entries, in code order; count in *n */
const struct dsncode *dsncode_table(size_t *n);

/* dsncode_class_title - "Success", "Persistent transient failure", ... */
const char *dsncode_class_title(int cls);
/* dsncode_class_meaning - one sentence on what the class means, or NULL */
const char *dsncode_class_meaning(int cls);
/* dsncode_subject_title - "Addressing", "Mailbox", ...; NULL if unknown */
const char *dsncode_subject_title(int subject);
/* dsncode_subject_meaning - one sentence on the subject, or NULL */
const char *dsncode_subject_meaning(int subject);
/* dsncode_subject_reason - fallback reason for X.S.* with unknown detail */
enum reason dsncode_subject_reason(int subject);

/*
 * dsncode_reason - the table's reason for a parsed code: 2.x.x is
 * delivered, a registered detail gives its reason, else the subject's
 * fallback, else unknown.
 */
enum reason dsncode_reason(const struct dsn *d);

#endif
