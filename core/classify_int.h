/*
 * classify_int.h - the compiled form of the classification rules, shared
 * by the loader (classify_rules.c) and the matcher (classify.c) only.
 *
 * Phrases are split into fragments ("mailbox ... full" has two).  All
 * fragments are compiled into one Aho-Corasick automaton (a full
 * transition table over byte classes; states in depth-first order, so
 * the states of one phrase lie together, and those that end fragments
 * last), run once over the folded reply; a fragment counts only where it
 * starts a word.  The reply is made lower case and its blanks collapsed
 * in one pass (16 bytes at a time where SSE2 is there) through a
 * 256-entry table.
 */
#ifndef PB_CLASSIFY_INT_H
#define PB_CLASSIFY_INT_H

#include <stdint.h>

#include "classify.h"

#define CLS_MAX_FRAGS	4	/* fragments per phrase ("a ... b ...") */
#define CLS_MAX_CODES	8	/* code= patterns per rule */
#define CLS_MAX_DSNS	8	/* dsn= patterns per rule */
#define CLS_MAX_NAMES	64	/* entries of [names], one bit each */
#define CLS_MAX_RULES	4096	/* rules (site, shipped, [names]): the
				 * matcher keeps a bit per rule */
#define CLS_NORM_MAX	4096	/* bytes of a reply that are examined */
#define CLS_TEXT_SIZE	(CLS_NORM_MAX + 3)	/* folded text buffer:
				 * text, a space at each end, NUL */

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
	FRAG_CODE,		/* "said:": the reply code follows */
	FRAG_DSN		/* "5.": an enhanced status code may start */
};

struct cls_frag {
	uint32_t off;		/* into classifier.fragtext */
	uint16_t len;
	uint8_t left_bound;	/* must start at a word boundary */
	uint8_t right_bound;	/* must end at a word boundary */
	uint8_t kind;		/* enum cls_frag_kind */
	uint8_t value;		/* FRAG_STAGE: the stage */
};

#define CLS_MAX_FRAGMENTS 65535	/* fragment ids are kept in 16 bits */
#define CLS_START	0	/* row of the state "the byte before was no word
				 * byte"; "inside a word" is the next one */

/* A fragment that ends in a state, with what emit() looks at. */
struct cls_out {
	uint16_t frag;		/* index into classifier.frags */
	uint16_t len;
	uint8_t kind;		/* enum cls_frag_kind */
	uint8_t value;		/* FRAG_STAGE: the stage */
	uint8_t right_bound;
};

struct cls_phrase {
	uint32_t rule;
	uint8_t nfrag;
	uint8_t negative;	/* "!..." vetoes the rule */
	uint8_t names;		/* the rule is a [names] entry ... */
	uint8_t name;		/* ... with this bit (copies of the rule's) */
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
	uint32_t *phstart;	/* phrases (sorted by first fragment) of f:
				 * phrases[phstart[f]..phstart[f+1]) */
	uint64_t *always;	/* a bit per rule without positive phrases */
	uint32_t nwords;	/* words of such a bit set: (nrules + 63) / 64 */
	char *names[CLS_MAX_NAMES];
	uint32_t nnames;
	char *wheretext;

	/*
	 * The automaton: delta[row + cmap[byte]] is the next state's row
	 * (state * nclass).  Fragments end in the states from out_first on
	 * (the last ones, so telling them takes no table lookup): for the
	 * row r of such a state they are outs[out[s]..out[s + 1]), s being
	 * cls_out_index(c, r).
	 */
	uint32_t *delta;
	uint32_t nstates, nclass;
	uint32_t out_first;	/* row of the first state fragments end in */
	uint64_t rowmul;	/* r * rowmul >> 40 is r / nclass */
	uint32_t *out;
	struct cls_out *outs;
	uint8_t cmap[256];	/* byte class: 0 for bytes no fragment has */
	uint8_t fold[256];	/* ASCII lower case; blanks, controls ' ' */
	uint8_t word[256];	/* 1 for bytes that make up words */
	uint8_t local[256];	/* 1 for those and . - _ + (address local
				 * parts) */
};

/* cls_wordchar - bytes that make up words: ASCII letters, digits, UTF-8 */
static inline int
cls_wordchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* cls_out_index - which state with fragments row r (>= out_first) is,
 * without a division: rows are multiples of nclass below 2^31 */
static inline uint32_t
cls_out_index(const struct classifier *c, uint32_t r)
{
	return (uint32_t)((uint64_t)(r - c->out_first) * c->rowmul >> 40);
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
