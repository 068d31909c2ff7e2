/*
 * classify_rules.c - read classification rules files and compile them
 * into the automaton the matcher uses (see classify_int.h).
 *
 * Format (documented for users in config/classify.rules and the man
 * page): "#" starts a comment; "[provider]", "[phrase]", "[code]" and
 * "[names]" start sections; a rule is one line, and a line that starts
 * with blanks continues the one before.  A rule is a reason id, then
 * conditions key=value[,value...] (cmd, status, class, code, dsn,
 * provider) and options (actor, retry), then phrases in double quotes, of
 * which any one must occur in the lower-cased reply; "!" before a phrase
 * vetoes the rule; " ... " inside a phrase means "followed later by".
 * Every phrase (and every part of one) matches from the start of a word,
 * never inside the local part of a mail address; a "|" at its end
 * demands that a word ends there too.  A rule
 * without phrases decides on its conditions alone.  In [names] the first
 * token is the name reported as provider or blocklist.
 *
 * Loading is mandatory: there is no compiled-in fallback, because two
 * copies of the rules would drift apart; a missing or bad file is a
 * configuration error reported with file:line at start.
 *
 * Guarantees: a loaded classifier is immutable; every error names the
 * file and line; nothing of a failed load leaks.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify_int.h"
#include "xalloc.h"

#define LINE_MAX_LEN	16384

/* A phrase as read, before fragments are shared. */
struct raw_frag {
	char *text;
	uint8_t left_bound, right_bound, kind, value;
};

struct raw_phrase {
	uint32_t rule;
	uint8_t negative, nfrag;
	struct raw_frag frag[CLS_MAX_FRAGS];
};

struct builder {
	struct cls_rule *rules;
	size_t nrules, caprules;
	struct raw_phrase *phrases;
	size_t nphrases, capphrases;
	struct buf where;
	char *names[CLS_MAX_NAMES];
	unsigned nnames;
	struct buf *why;
	const char *file;
	unsigned line;
	int site;
	enum cls_section section;
};

/* grow - make room for one more element in a dynamic array */
static void *
grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	return xrealloc(p, *cap * size);
}

int
cls_section_rank(enum cls_section s)
{
	return (int)s;
}

/* fail - record "file:line: message" once */
static int fail(struct builder *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
fail(struct builder *b, const char *fmt, ...)
{
	va_list ap;

	buf_addf(b->why, "%s:%u: ", b->file, b->line);
	va_start(ap, fmt);
	buf_vaddf(b->why, fmt, ap);
	va_end(ap);
	return -1;
}

/* Stage names as written in rules and in `classify --command`. */
static const char *const stage_names[CLS_STAGE_COUNT] = {
	[CLS_STAGE_NONE] = "none", [CLS_STAGE_CONN] = "CONN",
	[CLS_STAGE_HELO] = "HELO", [CLS_STAGE_STARTTLS] = "STARTTLS",
	[CLS_STAGE_AUTH] = "AUTH", [CLS_STAGE_MAIL] = "MAIL",
	[CLS_STAGE_RCPT] = "RCPT", [CLS_STAGE_DATA] = "DATA",
	[CLS_STAGE_OTHER] = "OTHER",
};

const char *
classify_stage_name(enum classify_stage s)
{
	return (unsigned)s < CLS_STAGE_COUNT ? stage_names[s] : "none";
}

bool
classify_stage_from_name(const char *s, size_t len, enum classify_stage *out)
{
	static const struct {
		const char *name;
		enum classify_stage stage;
	} alias[] = {
		{ "EHLO", CLS_STAGE_HELO }, { "CONNECT", CLS_STAGE_CONN },
		{ "BDAT", CLS_STAGE_DATA }, { "END-OF-MESSAGE", CLS_STAGE_DATA },
		{ "QUIT", CLS_STAGE_OTHER }, { "RSET", CLS_STAGE_OTHER },
		{ "", CLS_STAGE_NONE },
	};
	size_t i;

	for (i = 0; i < CLS_STAGE_COUNT; i++)
		if (strlen(stage_names[i]) == len &&
		    strncasecmp(stage_names[i], s, len) == 0) {
			*out = (enum classify_stage)i;
			return true;
		}
	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strlen(alias[i].name) == len &&
		    strncasecmp(alias[i].name, s, len) == 0) {
			*out = alias[i].stage;
			return true;
		}
	return false;
}

static const char *const status_names[CLS_STATUS_COUNT] = {
	[CLS_STATUS_NONE] = "none", [CLS_STATUS_SENT] = "sent",
	[CLS_STATUS_DEFERRED] = "deferred", [CLS_STATUS_BOUNCED] = "bounced",
	[CLS_STATUS_EXPIRED] = "expired",
};

const char *
classify_status_name(enum classify_status s)
{
	return (unsigned)s < CLS_STATUS_COUNT ? status_names[s] : "none";
}

bool
classify_status_from_name(const char *s, size_t len,
			  enum classify_status *out)
{
	size_t i;

	if (len == 0) {
		*out = CLS_STATUS_NONE;
		return true;
	}
	for (i = 0; i < CLS_STATUS_COUNT; i++)
		if (strlen(status_names[i]) == len &&
		    strncasecmp(status_names[i], s, len) == 0) {
			*out = (enum classify_status)i;
			return true;
		}
	if (len == 7 && strncasecmp(s, "unknown", 7) == 0) {
		*out = CLS_STATUS_NONE;
		return true;
	}
	return false;
}

/* add_phrase - split "a ... b" into fragments and keep it for rule r */
static int
add_phrase(struct builder *b, uint32_t r, const char *text, int negative)
{
	struct raw_phrase *p;
	char norm[512];
	size_t n = 0, i, len = strlen(text), start, end;
	char *gap, *frag;

	/* lower-case and collapse blanks the way replies are normalised */
	for (i = 0; i < len; i++) {
		char c = (char)tolower((unsigned char)text[i]);

		if (isspace((unsigned char)c)) {
			if (n == 0 || norm[n - 1] == ' ')
				continue;
			c = ' ';
		}
		if (n + 1 >= sizeof(norm))
			return fail(b, "phrase longer than %s bytes", "500");
		norm[n++] = c;
	}
	while (n > 0 && norm[n - 1] == ' ')
		n--;
	norm[n] = '\0';
	b->phrases = grow(b->phrases, &b->capphrases, b->nphrases,
			  sizeof(*b->phrases));
	p = &b->phrases[b->nphrases];
	memset(p, 0, sizeof(*p));
	p->rule = r;
	p->negative = (uint8_t)negative;
	for (frag = norm; frag != NULL; frag = gap) {
		if ((gap = strstr(frag, " ... ")) != NULL) {
			*gap = '\0';
			gap += 5;
		}
		start = 0;
		end = strlen(frag);
		if (p->nfrag == CLS_MAX_FRAGS) {
			fail(b, "more than %s \" ... \" parts in a phrase", "3");
			goto bad;
		}
		p->frag[p->nfrag].left_bound = frag[0] == '|';
		if (frag[0] == '|')
			start++;
		if (end > start && frag[end - 1] == '|') {
			p->frag[p->nfrag].right_bound = 1;
			end--;
		}
		if (end - start < 2) {
			fail(b, "phrase part \"%s\" is shorter than 2 bytes",
			     frag);
			goto bad;
		}
		if (!cls_wordchar((unsigned char)frag[start])) {
			fail(b, "phrase part \"%s\" must start with a letter "
			     "or digit: phrases match from the start of a "
			     "word", frag);
			goto bad;
		}
		p->frag[p->nfrag].text = xstrndup(frag + start, end - start);
		p->nfrag++;
	}
	b->nphrases++;
	return 0;
bad:
	for (i = 0; i < p->nfrag; i++)
		free(p->frag[i].text);
	return -1;
}

/* next_token - read one token at *pp into tok; 1 token, 0 end, -1 error */
static int
next_token(struct builder *b, const char **pp, char *tok, size_t size,
	   int *quoted, int *negated)
{
	const char *p = *pp;
	size_t n = 0;
	int inq = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	*quoted = *negated = 0;
	if (p[0] == '!' && p[1] == '"') {
		*negated = 1;
		p++;
	}
	if (*p == '"')
		*quoted = 1;
	for (; *p != '\0'; p++) {
		if (!inq && (*p == ' ' || *p == '\t'))
			break;
		if (*p == '"') {
			inq = !inq;
			if (!inq && *quoted) {
				p++;
				break;
			}
			continue;
		}
		if (inq && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		if (n + 1 >= size)
			return fail(b, "token longer than %s bytes", "500");
		tok[n++] = *p;
	}
	if (inq)
		return fail(b, "unterminated quoted string%s", "");
	tok[n] = '\0';
	*pp = p;
	return 1;
}

/* parse_dsnpat - "5.7.1", "X.7.1", "X.7.*", "X.7.500-699", "X.*" */
static int
parse_dsnpat(const char *s, struct cls_dsnpat *d)
{
	char *end;
	long v;

	if (*s == 'X' || *s == 'x')
		d->cls = 0;
	else if (*s == '2' || *s == '4' || *s == '5')
		d->cls = (int8_t)(*s - '0');
	else
		return -1;
	if (*++s != '.')
		return -1;
	s++;
	d->subject = d->lo = d->hi = -1;
	if (strcmp(s, "*") == 0)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0 || v > 999 || *end != '.')
		return -1;
	d->subject = (int16_t)v;
	s = end + 1;
	if (strcmp(s, "*") == 0)
		return 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0 || v > 999)
		return -1;
	d->lo = d->hi = (int16_t)v;
	if (*end == '-') {
		s = end + 1;
		v = strtol(s, &end, 10);
		if (errno || end == s || v < d->lo || v > 999)
			return -1;
		d->hi = (int16_t)v;
	}
	return *end == '\0' ? 0 : -1;
}

/* find_name - the bit of a [names] entry, or -1 */
static int
find_name(struct builder *b, const char *name)
{
	unsigned i;

	for (i = 0; i < b->nnames; i++)
		if (strcasecmp(b->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* parse_condition - one key=value[,value...] into rule r */
static int
parse_condition(struct builder *b, struct cls_rule *r, char *tok)
{
	char *val = strchr(tok, '='), *v, *next;
	enum classify_stage st;
	enum classify_status ss;
	enum actor a;
	int bit;

	*val++ = '\0';
	if (*val == '\0')
		return fail(b, "empty value for \"%s\"", tok);
	if (strcmp(tok, "actor") == 0) {
		if (!actor_from_name(val, strlen(val), &a))
			return fail(b, "unknown actor \"%s\"", val);
		r->actor = (int8_t)a;
		return 0;
	}
	if (strcmp(tok, "retry") == 0) {
		if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
			return fail(b, "retry must be yes or no, not \"%s\"",
				    val);
		r->retry = val[0] == 'y';
		return 0;
	}
	for (v = val; v != NULL; v = next) {
		if ((next = strchr(v, ',')) != NULL)
			*next++ = '\0';
		if (*v == '\0')
			return fail(b, "empty value in list of \"%s\"", tok);
		if (strcmp(tok, "cmd") == 0) {
			if (!classify_stage_from_name(v, strlen(v), &st))
				return fail(b, "unknown SMTP stage \"%s\"", v);
			r->stages |= (uint16_t)(1u << st);
		} else if (strcmp(tok, "status") == 0) {
			if (!classify_status_from_name(v, strlen(v), &ss))
				return fail(b, "unknown status \"%s\"", v);
			r->statuses |= (uint16_t)(1u << ss);
		} else if (strcmp(tok, "class") == 0) {
			if (strlen(v) != 1 || (v[0] != '2' && v[0] != '4' &&
					       v[0] != '5'))
				return fail(b, "class must be 2, 4 or 5, not "
					    "\"%s\"", v);
			r->classes |= (uint8_t)(1u << (v[0] - '0'));
		} else if (strcmp(tok, "code") == 0) {
			if (strlen(v) != 3 || !strchr("245", v[0]) ||
			    !(isdigit((unsigned char)v[1]) || v[1] == 'x') ||
			    !(isdigit((unsigned char)v[2]) || v[2] == 'x'))
				return fail(b, "bad reply code pattern \"%s\"",
					    v);
			if (r->ncodes == CLS_MAX_CODES)
				return fail(b, "too many codes at \"%s\"", v);
			memcpy(r->codes[r->ncodes++], v, 3);
		} else if (strcmp(tok, "dsn") == 0) {
			if (r->ndsns == CLS_MAX_DSNS)
				return fail(b, "too many dsn patterns at "
					    "\"%s\"", v);
			if (parse_dsnpat(v, &r->dsns[r->ndsns]) < 0)
				return fail(b, "bad enhanced status code "
					    "pattern \"%s\"", v);
			r->ndsns++;
		} else if (strcmp(tok, "provider") == 0) {
			if ((bit = find_name(b, v)) < 0)
				return fail(b, "provider \"%s\" is not in "
					    "[names] above", v);
			r->providers |= (uint64_t)1 << bit;
		} else {
			return fail(b, "unknown condition \"%s\"", tok);
		}
	}
	return 0;
}

/* parse_rule - one logical line of a rule section or [names] */
static int
parse_rule(struct builder *b, const char *line)
{
	char tok[512];
	int quoted, negated, rc, first = 1;
	struct cls_rule *r;
	uint32_t ri;
	enum reason reason;

	if (b->nrules == CLS_MAX_RULES)
		return fail(b, "more than %d rules", CLS_MAX_RULES);
	b->rules = grow(b->rules, &b->caprules, b->nrules, sizeof(*b->rules));
	ri = (uint32_t)b->nrules;
	r = &b->rules[ri];
	memset(r, 0, sizeof(*r));
	r->section = (uint8_t)(b->site && b->section != SEC_NAMES ? SEC_SITE
							     : b->section);
	r->actor = r->retry = -1;
	r->where = (uint32_t)b->where.len;
	buf_addf(&b->where, "%s:%u", b->file, b->line);
	buf_addc(&b->where, '\0');
	while ((rc = next_token(b, &line, tok, sizeof(tok), &quoted,
				&negated)) > 0) {
		if (first && b->section == SEC_NAMES) {
			if (find_name(b, tok) >= 0)
				return fail(b, "name \"%s\" given twice", tok);
			if (b->nnames == CLS_MAX_NAMES)
				return fail(b, "more than %s names", "64");
			r->name = (uint8_t)b->nnames;
			b->names[b->nnames++] = xstrdup(tok);
		} else if (first) {
			if (quoted || !reason_from_name(tok, strlen(tok),
							&reason))
				return fail(b, "unknown reason \"%s\"", tok);
			r->reason = (uint8_t)reason;
		} else if (quoted) {
			if (add_phrase(b, ri, tok, negated) < 0)
				return -1;
			if (!negated)
				r->has_positive = 1;
		} else if (strchr(tok, '=') != NULL) {
			if (parse_condition(b, r, tok) < 0)
				return -1;
		} else {
			return fail(b, "expected key=value or a \"phrase\", "
				    "not \"%s\"", tok);
		}
		first = 0;
	}
	if (rc < 0)
		return -1;
	if (b->section == SEC_NAMES && !r->has_positive)
		return fail(b, "name \"%s\" has no phrase", b->names[r->name]);
	if (!r->has_positive && !r->stages && !r->statuses && !r->classes &&
	    !r->ncodes && !r->ndsns && !r->providers)
		return fail(b, "rule for \"%s\" would match every reply",
			    reason_name((enum reason)r->reason));
	b->nrules++;
	return 0;
}

/* parse_section - "[provider]" etc.; the site file takes any of them */
static int
parse_section(struct builder *b, const char *line)
{
	static const struct {
		const char *name;
		enum cls_section sec;
	} secs[] = {
		{ "[provider]", SEC_PROVIDER }, { "[phrase]", SEC_PHRASE },
		{ "[code]", SEC_CODE }, { "[names]", SEC_NAMES },
		{ "[site]", SEC_SITE },
	};
	size_t i, n = strcspn(line, " \t");

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		if (strlen(secs[i].name) == n &&
		    strncmp(secs[i].name, line, n) == 0) {
			b->section = secs[i].sec;
			return 0;
		}
	return fail(b, "unknown section \"%s\"", line);
}

/* flush - parse the logical line collected so far, if any */
static int
flush(struct builder *b, struct buf *logical, unsigned start)
{
	int rc;

	if (logical->len == 0)
		return 0;
	b->line = start;
	rc = logical->data[0] == '[' ? parse_section(b, logical->data)
				     : parse_rule(b, logical->data);
	buf_reset(logical);
	return rc;
}

/* content_len - length of a line without its comment and trailing blanks */
static size_t
content_len(const char *line, size_t len)
{
	size_t cut;
	int inq = 0;

	for (cut = 0; cut < len; cut++) {
		if (line[cut] == '"' && (cut == 0 || line[cut - 1] != '\\'))
			inq = !inq;
		if (line[cut] == '#' && !inq)
			break;
	}
	while (cut > 0 && (line[cut - 1] == ' ' || line[cut - 1] == '\t' ||
			   line[cut - 1] == '\r'))
		cut--;
	return cut;
}

/* parse_text - every logical line of one file's text */
static int
parse_text(struct builder *b, const char *name, const char *text, int site)
{
	struct buf logical;
	const char *p = text, *eol;
	unsigned lineno = 0, start = 0;
	int rc = 0;
	size_t len, cut;

	b->file = name;
	b->site = site;
	b->section = site ? SEC_SITE : SEC_PHRASE;
	buf_init(&logical, LINE_MAX_LEN);
	for (; rc == 0 && *p != '\0'; p = eol ? eol + 1 : p + len) {
		eol = strchr(p, '\n');
		len = eol ? (size_t)(eol - p) : strlen(p);
		lineno++;
		if ((cut = content_len(p, len)) == 0)
			continue;
		if (p[0] == ' ' || p[0] == '\t') {
			/* a continuation of the rule above */
			if (logical.len == 0) {
				b->line = lineno;
				rc = fail(b, "continuation line without a "
					  "rule%s", "");
			} else if (buf_addc(&logical, ' ') < 0 ||
				   buf_add(&logical, p, cut) < 0) {
				b->line = start;
				rc = fail(b, "rule longer than %d bytes",
					  LINE_MAX_LEN);
			}
			continue;
		}
		if ((rc = flush(b, &logical, start)) < 0)
			break;
		start = lineno;
		if (buf_add(&logical, p, cut) < 0) {
			b->line = start;
			rc = fail(b, "rule longer than %d bytes", LINE_MAX_LEN);
		}
	}
	if (rc == 0)
		rc = flush(b, &logical, start);
	buf_free(&logical);
	return rc;
}

/* Built-in fragments: the SMTP stage a client's wording names, where the
 * reply code and an enhanced status code may stand, and the openings of
 * a "wait this long" request.  Mechanics, not reasons. */
static const struct {
	const char *text;
	uint8_t kind, value;
} builtin[] = {
	{ "in reply to rcpt to", FRAG_STAGE, CLS_STAGE_RCPT },
	{ "in reply to mail from", FRAG_STAGE, CLS_STAGE_MAIL },
	{ "in reply to end of data", FRAG_STAGE, CLS_STAGE_DATA },
	{ "in reply to data command", FRAG_STAGE, CLS_STAGE_DATA },
	{ "in reply to bdat", FRAG_STAGE, CLS_STAGE_DATA },
	{ "in reply to ehlo", FRAG_STAGE, CLS_STAGE_HELO },
	{ "in reply to helo", FRAG_STAGE, CLS_STAGE_HELO },
	{ "in reply to starttls", FRAG_STAGE, CLS_STAGE_STARTTLS },
	{ "in reply to auth", FRAG_STAGE, CLS_STAGE_AUTH },
	{ "in reply to quit", FRAG_STAGE, CLS_STAGE_OTHER },
	{ "refused to talk to me", FRAG_STAGE, CLS_STAGE_CONN },
	{ "while receiving the initial server greeting", FRAG_STAGE,
	  CLS_STAGE_CONN },
	{ "after initial connection", FRAG_STAGE, CLS_STAGE_CONN },
	{ "after rcpt to", FRAG_STAGE, CLS_STAGE_RCPT },
	{ "after mail from", FRAG_STAGE, CLS_STAGE_MAIL },
	{ "after end of data", FRAG_STAGE, CLS_STAGE_DATA },
	{ "after data", FRAG_STAGE, CLS_STAGE_DATA },
	{ "did not like our rcpt to", FRAG_STAGE, CLS_STAGE_RCPT },
	{ "did not like our mail from", FRAG_STAGE, CLS_STAGE_MAIL },
	{ "did not like our final data", FRAG_STAGE, CLS_STAGE_DATA },
	{ "failed after i sent the message", FRAG_STAGE, CLS_STAGE_DATA },
	{ "said:", FRAG_CODE, 0 },
	{ "talk to me:", FRAG_CODE, 0 },
	{ "2.", FRAG_DSN, 0 },
	{ "4.", FRAG_DSN, 0 },
	{ "5.", FRAG_DSN, 0 },
};

const char *const cls_retry_anchors[] = {
	"again in ", "again after ", "retry in ", "retry after ", "try after ",
	"resend in ", "wait ", "later in ", "greylisted for ", "deferred for ",
	"retry-after: ",
};
const size_t cls_nretry_anchors =
    sizeof(cls_retry_anchors) / sizeof(cls_retry_anchors[0]);

/* frag_id - the shared fragment for (text, bounds, kind), added if new */
static uint32_t
frag_id(struct classifier *c, size_t *cap, struct buf *text,
	const struct raw_frag *f)
{
	uint32_t i;
	size_t len = strlen(f->text);

	for (i = 0; i < c->nfrags; i++)
		if (c->frags[i].len == len &&
		    c->frags[i].left_bound == f->left_bound &&
		    c->frags[i].right_bound == f->right_bound &&
		    c->frags[i].kind == f->kind &&
		    c->frags[i].value == f->value &&
		    memcmp(text->data + c->frags[i].off, f->text, len) == 0)
			return i;
	c->frags = grow(c->frags, cap, c->nfrags, sizeof(*c->frags));
	memset(&c->frags[c->nfrags], 0, sizeof(c->frags[0]));
	c->frags[c->nfrags].off = (uint32_t)text->len;
	c->frags[c->nfrags].len = (uint16_t)len;
	c->frags[c->nfrags].left_bound = f->left_bound;
	c->frags[c->nfrags].right_bound = f->right_bound;
	c->frags[c->nfrags].kind = f->kind;
	c->frags[c->nfrags].value = f->value;
	buf_add(text, f->text, len);
	buf_addc(text, '\0');
	return c->nfrags++;
}

/* A trie node while it is built: children and fragments as lists. */
struct tnode {
	uint32_t child;		/* first child, 0 none (the root is no child) */
	uint32_t sibling;	/* next child of the same parent, 0 none */
	uint32_t nterm, nchild;
	uint8_t byte;
};

/* tnode_child - the child of node n reached by byte b, made if absent */
static uint32_t
tnode_child(struct tnode **t, size_t *n, size_t *cap, uint32_t parent,
	    uint8_t b)
{
	uint32_t k;

	for (k = (*t)[parent].child; k != 0; k = (*t)[k].sibling)
		if ((*t)[k].byte == b)
			return k;
	*t = grow(*t, cap, *n, sizeof(**t));
	k = (uint32_t)(*n)++;
	memset(&(*t)[k], 0, sizeof((*t)[k]));
	(*t)[k].byte = b;
	(*t)[k].sibling = (*t)[parent].child;
	(*t)[parent].child = k;
	(*t)[parent].nchild++;
	return k;
}

/*
 * build_index - the Aho-Corasick automaton of all fragments, anchored at
 * word starts: besides the trie's root ("the byte before was not a word
 * byte") there is a state for "inside a word no fragment began at", so
 * a fragment is only ever found where it starts a word, and text inside
 * other words keeps to those two states.  Built over trie node numbers
 * (root 0, "inside a word" n), then renumbered: start 0, "inside a
 * word" 1, depth first the states no fragment ends in, then (depth
 * first) the ones fragments end in, so a row number alone tells those.
 */
static int
build_index(struct classifier *c, struct buf *why)
{
	struct tnode *t = NULL;
	size_t n = 0, cap = 0, i, j, total, N;
	uint32_t node, K, a, s, u, q, head, tail, *queue, *fail, *endnode;
	uint32_t *at, *row, inword, *d, *out, *outs, *perm, *old, k, first;
	uint16_t *nout;
	uint8_t seen[256], wordclass[256];
	const unsigned char *p;
	const struct cls_frag *fr;

	if (c->nfrags > CLS_MAX_FRAGMENTS) {
		buf_addf(why, "more than %d distinct phrase parts",
			 CLS_MAX_FRAGMENTS);
		return -1;
	}
	t = grow(t, &cap, n, sizeof(*t));
	memset(&t[0], 0, sizeof(t[0]));
	n = 1;
	endnode = xcalloc(c->nfrags + 1, sizeof(uint32_t));
	/* classes: 0 other non-word bytes, 1 other word bytes, then one
	 * per byte value fragments use */
	memset(seen, 0, sizeof(seen));
	memset(wordclass, 0, sizeof(wordclass));
	wordclass[1] = 1;
	K = 2;
	for (i = 0; i < c->nfrags; i++) {
		p = (const unsigned char *)c->fragtext + c->frags[i].off;
		for (node = 0, j = 0; j < c->frags[i].len; j++) {
			if (!seen[p[j]]) {
				seen[p[j]] = 1;
				wordclass[K] = (uint8_t)cls_wordchar(p[j]);
				c->cmap[p[j]] = (uint8_t)K++;
			}
			node = tnode_child(&t, &n, &cap, node, p[j]);
		}
		endnode[i] = node;
		t[node].nterm++;
	}
	for (i = 0; i < 256; i++)
		if (!seen[i])
			c->cmap[i] = (uint8_t)cls_wordchar((unsigned char)i);
	N = n + 1;
	inword = (uint32_t)n;
	if (N > (UINT32_C(1) << 31) / K) {
		buf_addf(why, "phrases too long in total (%zu bytes)", n);
		free(endnode);
		free(t);
		return -1;
	}
	d = xcalloc(N * K, sizeof(uint32_t));
	/* the trie's own edges (state 0 is never a target) */
	for (s = 0; s < n; s++)
		for (q = t[s].child; q != 0; q = t[q].sibling)
			d[(size_t)s * K + c->cmap[t[q].byte]] = q;
	/* inside a word: stay until a non-word byte; at a word start,
	 * begin a fragment or go inside the word */
	for (a = 0; a < K; a++) {
		d[(size_t)inword * K + a] = wordclass[a] ? inword : 0;
		if (d[a] == 0)
			d[a] = wordclass[a] ? inword : 0;
	}
	/*
	 * Breadth first, so a state's failure state (shallower) is done
	 * before it: a row holds only trie edges until its state is taken
	 * from the queue; then its gaps are filled from the failure state.
	 * A fragment's first byte is a word byte, so the failure of a depth
	 * one state is "inside a word".
	 */
	fail = xcalloc(N, sizeof(uint32_t));
	queue = xcalloc(N, sizeof(uint32_t));
	nout = xcalloc(N, sizeof(uint16_t));
	head = tail = 0;
	for (q = t[0].child; q != 0; q = t[q].sibling) {
		fail[q] = inword;
		queue[tail++] = q;
	}
	while (head < tail) {
		s = queue[head++];
		row = d + (size_t)s * K;
		nout[s] = (uint16_t)(t[s].nterm + nout[fail[s]]);
		for (a = 0; a < K; a++) {
			u = row[a];
			if (u != 0) {
				fail[u] = d[(size_t)fail[s] * K + a];
				queue[tail++] = u;
			} else {
				row[a] = d[(size_t)fail[s] * K + a];
			}
		}
	}
	/* outputs: a state's own fragments (by id), then its failure's */
	out = xcalloc(N, sizeof(uint32_t));
	for (s = 0, total = 0; s < N; s++) {
		out[s] = (uint32_t)total;
		total += nout[s];
	}
	outs = xcalloc(total + 1, sizeof(uint32_t));
	at = xcalloc(N, sizeof(uint32_t));
	for (i = 0; i < c->nfrags; i++) {
		node = endnode[i];
		outs[out[node] + at[node]++] = (uint32_t)i;
	}
	for (i = 0; i < tail; i++) {
		s = queue[i];
		if (nout[fail[s]] != 0)
			memcpy(outs + out[s] + t[s].nterm, outs + out[fail[s]],
			       nout[fail[s]] * sizeof(uint32_t));
	}
	/* the new numbers: depth first, so a phrase's states are near
	 * (fail, done with, is the stack; queue takes the order) */
	perm = xcalloc(N, sizeof(uint32_t));
	old = xcalloc(N, sizeof(uint32_t));
	for (k = 0, head = 0, q = t[0].child; q != 0; q = t[q].sibling)
		fail[head++] = q;
	while (head > 0) {
		s = fail[--head];
		queue[k++] = s;
		for (q = t[s].child; q != 0; q = t[q].sibling)
			fail[head++] = q;
	}
	assert(k == tail);
	perm[0] = 0;
	perm[inword] = 1;
	for (k = 2, i = 0; i < tail; i++)
		if (nout[queue[i]] == 0)
			perm[queue[i]] = k++;
	first = k;
	for (i = 0; i < tail; i++)
		if (nout[queue[i]] != 0)
			perm[queue[i]] = k++;
	assert(k == N && nout[0] == 0 && nout[inword] == 0);
	for (s = 0; s < N; s++)
		old[perm[s]] = s;
	c->nstates = (uint32_t)N;
	c->nclass = K;
	c->out_first = first * K;
	c->rowmul = ((uint64_t)1 << 40) / K + 1;
	c->delta = xcalloc(N * K, sizeof(uint32_t));
	for (s = 0; s < N; s++)
		for (a = 0; a < K; a++)
			c->delta[(size_t)perm[s] * K + a] =
			    perm[d[(size_t)s * K + a]] * K;
	c->out = xcalloc(N - first + 1, sizeof(uint32_t));
	c->outs = xcalloc(total + 1, sizeof(struct cls_out));
	for (k = 0, s = first; s < N; s++) {
		c->out[s - first] = k;
		for (j = 0; j < nout[old[s]]; j++, k++) {
			fr = &c->frags[outs[out[old[s]] + j]];
			c->outs[k].frag = (uint16_t)outs[out[old[s]] + j];
			c->outs[k].len = fr->len;
			c->outs[k].kind = fr->kind;
			c->outs[k].value = fr->value;
			c->outs[k].right_bound = fr->right_bound;
		}
	}
	c->out[N - first] = k;
	free(old);
	free(perm);
	free(at);
	free(outs);
	free(out);
	free(nout);
	free(queue);
	free(fail);
	free(d);
	free(endnode);
	free(t);
	return 0;
}

/* compile - order rules, share fragments, index them */
static struct classifier *
compile(struct builder *b)
{
	struct classifier *c = xcalloc(1, sizeof(*c));
	uint32_t *order, *newpos, i, j, n = 0, f;
	size_t capfrags = 0;
	int rank;
	struct buf text, ierr;
	struct raw_frag rf;
	struct cls_phrase *byfirst;

	/* stable order by section: site, provider, phrase, code, names */
	order = xcalloc(b->nrules + 1, sizeof(uint32_t));
	newpos = xcalloc(b->nrules + 1, sizeof(uint32_t));
	for (rank = 0; rank < SEC_COUNT; rank++)
		for (i = 0; i < b->nrules; i++)
			if (cls_section_rank(b->rules[i].section) == rank) {
				newpos[i] = n;
				order[n++] = i;
			}
	c->nrules = (uint32_t)b->nrules;
	c->rules = xcalloc(b->nrules + 1, sizeof(*c->rules));
	for (i = 0; i < b->nrules; i++)
		c->rules[i] = b->rules[order[i]];
	c->nwords = (c->nrules + 63) / 64;
	c->always = xcalloc(c->nwords + 1, sizeof(uint64_t));
	for (i = 0; i < c->nrules; i++)
		if (!c->rules[i].has_positive &&
		    c->rules[i].section != SEC_NAMES)
			c->always[i / 64] |= (uint64_t)1 << (i % 64);
	/* fragments: built-ins first, then every phrase's parts */
	buf_init(&text, (size_t)1 << 30);
	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		rf.text = (char *)builtin[i].text;
		rf.left_bound = rf.right_bound = 0;
		rf.kind = builtin[i].kind;
		rf.value = builtin[i].value;
		frag_id(c, &capfrags, &text, &rf);
	}
	for (i = 0; i < cls_nretry_anchors; i++) {
		rf.text = (char *)cls_retry_anchors[i];
		rf.left_bound = rf.right_bound = 0;
		rf.kind = FRAG_RETRY;
		rf.value = 0;
		frag_id(c, &capfrags, &text, &rf);
	}
	c->nphrases = (uint32_t)b->nphrases;
	c->phrases = xcalloc(b->nphrases + 1, sizeof(*c->phrases));
	for (i = 0; i < b->nphrases; i++) {
		c->phrases[i].rule = newpos[b->phrases[i].rule];
		c->phrases[i].negative = b->phrases[i].negative;
		c->phrases[i].nfrag = b->phrases[i].nfrag;
		for (j = 0; j < b->phrases[i].nfrag; j++)
			c->phrases[i].frag[j] = frag_id(c, &capfrags, &text,
						      &b->phrases[i].frag[j]);
	}
	c->fragtext = text.data ? text.data : xstrdup("");
	/* phrases grouped by their first fragment (stable), so those of
	 * one fragment are side by side: phrases[phstart[f]..phstart[f+1]) */
	for (i = 0; i < c->nphrases; i++) {
		c->phrases[i].names = c->rules[c->phrases[i].rule].section ==
		    SEC_NAMES;
		c->phrases[i].name = c->rules[c->phrases[i].rule].name;
	}
	c->phstart = xcalloc(c->nfrags + 2, sizeof(uint32_t));
	for (i = 0; i < c->nphrases; i++)
		c->phstart[c->phrases[i].frag[0] + 2]++;
	for (f = 0; f < c->nfrags; f++)
		c->phstart[f + 2] += c->phstart[f + 1];
	byfirst = xcalloc(c->nphrases + 1, sizeof(*byfirst));
	for (i = 0; i < c->nphrases; i++)
		byfirst[c->phstart[c->phrases[i].frag[0] + 1]++] =
		    c->phrases[i];
	free(c->phrases);
	c->phrases = byfirst;
	for (i = 0; i < b->nnames; i++) {
		c->names[i] = b->names[i];
		b->names[i] = NULL;
	}
	c->nnames = b->nnames;
	c->wheretext = b->where.data;
	b->where.data = NULL;
	free(order);
	free(newpos);
	buf_init(&ierr, 512);
	if (build_index(c, &ierr) < 0) {
		buf_addf(b->why, "%s: %s", b->file, buf_str(&ierr));
		buf_free(&ierr);
		classify_free(c);
		return NULL;
	}
	buf_free(&ierr);
	for (i = 0; i < 256; i++) {
		c->fold[i] = (uint8_t)(i <= ' ' || i == 0x7f ? ' ' :
		    i >= 'A' && i <= 'Z' ? i + 32 : i);
		c->word[i] = (uint8_t)cls_wordchar((unsigned char)i);
		c->local[i] = (uint8_t)(c->word[i] || i == '.' || i == '-' ||
					i == '_' || i == '+');
	}
	return c;
}

/* builder_free - release what parsing kept */
static void
builder_free(struct builder *b)
{
	size_t i, j;

	for (i = 0; i < b->nphrases; i++)
		for (j = 0; j < b->phrases[i].nfrag; j++)
			free(b->phrases[i].frag[j].text);
	for (i = 0; i < b->nnames; i++)
		free(b->names[i]);
	free(b->phrases);
	free(b->rules);
	buf_free(&b->where);
}

struct classifier *
classify_load_text(const char *name, const char *text, const char *site_name,
		   const char *site_text, struct buf *why)
{
	struct builder b;
	struct classifier *c = NULL;

	memset(&b, 0, sizeof(b));
	buf_init(&b.where, (size_t)1 << 26);
	b.why = why;
	if (parse_text(&b, name, text, 0) == 0 &&
	    (site_text == NULL ||
	     parse_text(&b, site_name ? site_name : "site", site_text, 1) == 0))
		c = compile(&b);
	builder_free(&b);
	return c;
}

/* read_all - a whole file as a NUL-terminated string, or NULL */
static char *
read_all(const char *path, struct buf *why)
{
	FILE *fp = fopen(path, "r");
	struct buf text;
	char chunk[8192];
	size_t n;

	if (fp == NULL) {
		buf_addf(why, "%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	buf_init(&text, (size_t)16 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_add(&text, chunk, n) < 0) {
			buf_addf(why, "%s: larger than 16 MB", path);
			buf_free(&text);
			fclose(fp);
			return NULL;
		}
	if (ferror(fp)) {
		buf_addf(why, "%s: read error: %s", path, strerror(errno));
		buf_free(&text);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	if (memchr(text.data ? text.data : "", '\0', text.len) != NULL) {
		buf_addf(why, "%s: contains a NUL byte", path);
		buf_free(&text);
		return NULL;
	}
	return text.data ? text.data : xstrdup("");
}

struct classifier *
classify_load(const char *rules_path, const char *site_path, struct buf *why)
{
	char *text, *site = NULL;
	struct classifier *c;

	if ((text = read_all(rules_path, why)) == NULL)
		return NULL;
	if (site_path && *site_path && (site = read_all(site_path, why)) ==
	    NULL) {
		free(text);
		return NULL;
	}
	c = classify_load_text(rules_path, text, site_path, site, why);
	free(text);
	free(site);
	return c;
}

void
classify_free(struct classifier *c)
{
	uint32_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->rules);
	free(c->phrases);
	free(c->frags);
	free(c->fragtext);
	free(c->phstart);
	free(c->always);
	free(c->wheretext);
	free(c->delta);
	free(c->out);
	free(c->outs);
	free(c);
}

size_t
classify_rule_count(const struct classifier *c)
{
	return c->nrules;
}

size_t
classify_index_size(const struct classifier *c, size_t *states,
		    size_t *classes)
{
	size_t nout = c->nstates - c->out_first / c->nclass;

	if (states)
		*states = c->nstates;
	if (classes)
		*classes = c->nclass;
	return (size_t)c->nstates * c->nclass * sizeof(c->delta[0]) +
	    (nout + 1) * sizeof(c->out[0]) +
	    c->out[nout] * sizeof(c->outs[0]);
}

const char *
classify_rule_where(const struct classifier *c, int rule)
{
	if (rule < 0 || (uint32_t)rule >= c->nrules)
		return NULL;
	return c->wheretext + c->rules[rule].where;
}
