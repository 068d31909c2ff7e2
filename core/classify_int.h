/*
 * classify_int.h - the compiled form of the classification rules, shared
 * by the loader (classify_rules.c) and the matcher (classify.c) only.
 *
 * Phrases are split into fragments ("mailbox ... full" has two).  Every
 * fragment starts at the start of a word, so the matcher looks only at
 * word starts: the first four bytes there (or two or three for short
 * fragments) are looked up in a small hash table that lists the
 * fragments beginning with them, which are then compared byte by byte.
 * The table fits in the first-level cache; a reply costs one pass to
 * normalise it and one probe per word.
 */
#ifndef PB_CLASSIFY_INT_H
#define PB_CLASSIFY_INT_H

#include <stdint.h>

#include "classify.h"

#define CLS_MAX_FRAGS	4	/* fragments per phrase ("a ... b ...") */
#define CLS_MAX_CODES	8	/* code= patterns per rule */
#define CLS_MAX_DSNS	8	/* dsn= patterns per rule */
#define CLS_MAX_NAMES	64	/* entries of [names], one bit each */
#define CLS_NORM_MAX	4096	/* bytes of a reply that are examined */
#define CLS_KEY_MAX	4	/* bytes of a word start used as hash key */

/* Sections of a rules file, in decision order. */
enum cls_section {
	SEC_SITE = 0,		/* every rule of the site file */
	SEC_PROVIDER,
	SEC_PHRASE,
	SEC_CODE,		/* after the status code table */
	SEC_NAMES,		/* name a provider/blocklist; decide nothing */
	SEC_COUNT
};

/* What a fragment match means beyond rule phrases. */
enum cls_frag_kind {
	FRAG_RULE = 0,		/* part of rule phrases */
	FRAG_STAGE,		/* "in reply to rcpt to": sets the stage */
	FRAG_RETRY,		/* "try again in": a wait follows */
	FRAG_CODE		/* "said:": the reply code follows */
};

struct cls_frag {
	uint32_t off;		/* into classifier.fragtext */
	uint16_t len;
	uint8_t left_bound;	/* must start at a word boundary */
	uint8_t right_bound;	/* must end at a word boundary */
	uint8_t kind;		/* enum cls_frag_kind */
	uint8_t value;		/* FRAG_STAGE: the stage */
	uint32_t ph_start;	/* phrases using it: frag_phrases[start..+n) */
	uint32_t ph_n;
};

struct cls_bucket {		/* 8 bytes: the table stays in L1 cache */
	uint32_t key;		/* the first len bytes, little-endian */
	uint16_t start;		/* fragments: bucket_frags[start..+n) */
	uint8_t n;
	uint8_t len;		/* 2, 3 or 4; 0 marks an empty slot */
};

#define CLS_MAX_FRAGMENTS 65535	/* bucket_frags index is 16 bits */
#define CLS_MAX_PER_BUCKET 255	/* fragments sharing their first bytes */

struct cls_phrase {
	uint32_t rule;
	uint8_t nfrag;
	uint8_t negative;	/* "!..." vetoes the rule */
	uint32_t frag[CLS_MAX_FRAGS];
};

struct cls_dsnpat {
	int8_t cls;		/* 2, 4, 5, or 0 for X */
	int16_t subject;	/* -1 for * */
	int16_t lo, hi;		/* detail range; lo=-1 for * */
};

struct cls_rule {
	uint8_t section;	/* enum cls_section */
	uint8_t reason;		/* enum reason */
	int8_t actor;		/* -1: the reason's default */
	int8_t retry;		/* -1: the reason's default, else 0/1 */
	uint8_t has_positive;	/* has at least one phrase without '!' */
	uint8_t name;		/* SEC_NAMES: bit number of the name */
	uint16_t stages;	/* bit per enum classify_stage; 0 any */
	uint16_t statuses;	/* bit per enum classify_status; 0 any */
	uint8_t classes;	/* bit 2, 4, 5 of the reply class; 0 any */
	uint8_t ncodes, ndsns;
	char codes[CLS_MAX_CODES][3];	/* digits or 'x' */
	struct cls_dsnpat dsns[CLS_MAX_DSNS];
	uint64_t providers;	/* any of these names; 0 any */
	uint32_t where;		/* into classifier.wheretext */
};

struct classifier {
	struct cls_rule *rules;
	uint32_t nrules;
	struct cls_phrase *phrases;
	uint32_t nphrases;
	struct cls_frag *frags;
	uint32_t nfrags;
	char *fragtext;
	uint32_t *frag_phrases;
	uint32_t *always;	/* rules without positive phrases, in order */
	uint32_t nalways;
	char *names[CLS_MAX_NAMES];
	uint32_t nnames;
	char *wheretext;

	/* fragments by the first bytes of the word they start with */
	struct cls_bucket *buckets;	/* nbuckets, a power of two */
	uint32_t nbuckets;
	uint32_t *bucket_frags;
	uint8_t short_first[256];	/* bit 2, 3: some fragment of that
					 * length starts with this byte */
	uint64_t first2[1024];	/* bit per byte pair some fragment starts
				 * with: words starting otherwise are skipped */
	uint8_t lower[256];	/* ASCII lower case; controls become ' ' */
	uint8_t word[256];	/* 1 for bytes that make up words */
};

/* cls_key - the hash key of len (2..4) bytes at p */
static inline uint32_t
cls_key(const char *p, uint32_t len)
{
	uint32_t k = 0, i;

	for (i = 0; i < len; i++)
		k |= (uint32_t)(unsigned char)p[i] << (8 * i);
	return k;
}

/* cls_slot - the first slot to probe for a key */
static inline uint32_t
cls_slot(uint32_t key, uint32_t len, uint32_t nbuckets)
{
	return ((key ^ len) * 2654435761u >> 7) & (nbuckets - 1);
}

/* cls_wordchar - bytes that make up words: ASCII letters, digits, UTF-8 */
static inline int
cls_wordchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* cls_section_rank - the sort key of a section (site first) */
int cls_section_rank(enum cls_section s);


/* The openings of "wait this long" requests (built-in fragments). */
extern const char *const cls_retry_anchors[];
extern const size_t cls_nretry_anchors;

/*
 * cls_normalize - the form phrases are matched against: ASCII lower case,
 * every run of blanks and control bytes one space, multi-line reply
 * prefixes such as "550-5.1.1 " removed, one space added at both ends.
 * Writes at most size - 1 bytes and a NUL; returns the length.
 */
size_t cls_normalize(const char *s, size_t len, char *out, size_t size);

/* cls_parse_wait - "5 minutes", "300 seconds", "1h" at p: seconds or -1 */
int64_t cls_parse_wait(const char *p, const char *end);

#endif
