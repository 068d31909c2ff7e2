/*
 * notice.c - load notice templates and render them with a failure's facts.
 *
 * Owns the loaded template set (file texts and compiled node lists).
 * Guarantees: a set that loaded has every file and every required part,
 * uses only known variables where they are in scope, and holds valid
 * UTF-8 with no control character but LF; rendering never expands a value
 * as a template, passes every value through escape_text() with a bound,
 * reads no clock and keeps no state between calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "notice.h"
#include "xalloc.h"

#define ELLIPSIS	"\xe2\x80\xa6"	/* U+2026, ends a cut value */
#define PART_BUF_MAX	(64 * 1024)	/* one rendered reason part */
#define TAG_MAX		64		/* bytes between {{ and }} */
#define DEPTH_MAX	16		/* nested sections */
#define FALLBACK_LOCALE	"en"

/* Where a variable may be used: the scope levels, outermost first. */
enum level { L_NONE = 0, L_GLOBAL, L_MESSAGE, L_RCPT };

enum var {
	/* global: the whole notice */
	V_SENDER, V_LOCALE, V_COUNT, V_SINCE, V_MESSAGES,
	/* one message */
	V_FROM, V_SUBJECT, V_SENT_AT, V_QUEUE_ID, V_MESSAGE_ID, V_KIND,
	V_KIND_BOUNCED, V_KIND_EXPIRED, V_KIND_DEFERRED_LONG,
	V_KIND_DELIVERED_AFTER_DELAY, V_RECIPIENT_COUNT, V_SEVERAL,
	V_RECIPIENTS,
	/* one recipient */
	V_RECIPIENT, V_REASON, V_REASON_TITLE, V_WHO_ACTS, V_WHO_ACTS_ID,
	V_WHAT, V_NEXT_STEP, V_LAST_REASON, V_LAST_REASON_TITLE, V_LAST_WHAT,
	V_REMOTE_WORDS, V_DIAGNOSTIC, V_DSN, V_RELAY, V_DELAY, V_DELAYS, V_ATTEMPTS,
	V_RETRY_UNTIL, V_TRIED_FOR, V_DELIVERED_AT, V_BLOCKLIST,
	V_COUNT_ALL
};

#define VF_LIST		1	/* a list: only as {{#x}} or {{^x}} */
#define VF_NOREASON	2	/* not inside a reason block */

static const struct var_def {
	const char *name;
	enum level level;
	int flags;
} var_defs[V_COUNT_ALL] = {
	[V_SENDER] = { "sender", L_GLOBAL, 0 },
	[V_LOCALE] = { "locale", L_GLOBAL, 0 },
	[V_COUNT] = { "count", L_GLOBAL, 0 },
	[V_SINCE] = { "since", L_GLOBAL, 0 },
	[V_MESSAGES] = { "messages", L_GLOBAL, VF_LIST | VF_NOREASON },
	[V_FROM] = { "from", L_MESSAGE, 0 },
	[V_SUBJECT] = { "subject", L_MESSAGE, 0 },
	[V_SENT_AT] = { "sent_at", L_MESSAGE, 0 },
	[V_QUEUE_ID] = { "queue_id", L_MESSAGE, 0 },
	[V_MESSAGE_ID] = { "message_id", L_MESSAGE, 0 },
	[V_KIND] = { "kind", L_MESSAGE, 0 },
	[V_KIND_BOUNCED] = { "kind_bounced", L_MESSAGE, 0 },
	[V_KIND_EXPIRED] = { "kind_expired", L_MESSAGE, 0 },
	[V_KIND_DEFERRED_LONG] = { "kind_deferred_long", L_MESSAGE, 0 },
	[V_KIND_DELIVERED_AFTER_DELAY] = { "kind_delivered_after_delay",
					   L_MESSAGE, 0 },
	[V_RECIPIENT_COUNT] = { "recipient_count", L_MESSAGE, 0 },
	[V_SEVERAL] = { "several", L_MESSAGE, 0 },
	[V_RECIPIENTS] = { "recipients", L_MESSAGE, VF_LIST | VF_NOREASON },
	[V_RECIPIENT] = { "recipient", L_RCPT, 0 },
	[V_REASON] = { "reason", L_RCPT, 0 },
	[V_REASON_TITLE] = { "reason_title", L_RCPT, 0 },
	[V_WHO_ACTS] = { "who_acts", L_RCPT, 0 },
	[V_WHO_ACTS_ID] = { "who_acts_id", L_RCPT, 0 },
	[V_WHAT] = { "what", L_RCPT, VF_NOREASON },
	[V_NEXT_STEP] = { "next_step", L_RCPT, VF_NOREASON },
	[V_LAST_REASON] = { "last_reason", L_RCPT, 0 },
	[V_LAST_REASON_TITLE] = { "last_reason_title", L_RCPT, 0 },
	[V_LAST_WHAT] = { "last_what", L_RCPT, 0 },
	[V_REMOTE_WORDS] = { "remote_words", L_RCPT, 0 },
	[V_DIAGNOSTIC] = { "diagnostic", L_RCPT, 0 },
	[V_DSN] = { "dsn", L_RCPT, 0 },
	[V_RELAY] = { "relay", L_RCPT, 0 },
	[V_DELAY] = { "delay", L_RCPT, 0 },
	[V_DELAYS] = { "delays", L_RCPT, 0 },
	[V_ATTEMPTS] = { "attempts", L_RCPT, 0 },
	[V_RETRY_UNTIL] = { "retry_until", L_RCPT, 0 },
	[V_TRIED_FOR] = { "tried_for", L_RCPT, 0 },
	[V_DELIVERED_AT] = { "delivered_at", L_RCPT, 0 },
	[V_BLOCKLIST] = { "blocklist", L_RCPT, 0 },
};

enum node_type { N_TEXT, N_VAR, N_SECTION, N_INVERTED };

/* One piece of a compiled part; sections span nodes up to end. */
struct node {
	enum node_type type;
	enum var var;
	size_t off, len;	/* N_TEXT: the bytes in the file text */
	size_t end;		/* sections: index of the first node after */
};

struct tmpl {
	struct node *nodes;
	size_t n;
	bool present;
	const char *src;	/* the file text the nodes point into */
};

/* The files of a locale: the kinds, digest, actors, then the reasons. */
#define ENV_COUNT	(NOTICE_KIND_COUNT + 1)	/* the kinds, then digest */
#define ENV_DIGEST	NOTICE_KIND_COUNT
#define FILE_COUNT	(ENV_COUNT + 1 + REASON_COUNT)

enum env_part { EP_SUBJECT, EP_BODY, EP_COUNT };
enum reason_part { RP_TITLE, RP_WHAT, RP_NEXT, RP_COUNT };

struct notice_templates {
	char *locale;
	char *texts[FILE_COUNT];	/* owned file contents */
	/* [env][audience][part] */
	struct tmpl env[ENV_COUNT][NOTICE_AUDIENCE_COUNT][EP_COUNT];
	/* [actor][audience] */
	struct tmpl actors[ACTOR_COUNT][NOTICE_AUDIENCE_COUNT];
	/* [reason][audience][part]; the title is kept under the sender */
	struct tmpl reasons[REASON_COUNT][NOTICE_AUDIENCE_COUNT][RP_COUNT];
	size_t nfallback;
	char *first_fallback;
};

static const char *const kind_names[NOTICE_KIND_COUNT] = {
	[NOTICE_BOUNCED] = "bounced",
	[NOTICE_EXPIRED] = "expired",
	[NOTICE_DEFERRED_LONG] = "deferred_long",
	[NOTICE_DELIVERED_AFTER_DELAY] = "delivered_after_delay",
};

static const char *const audience_names[NOTICE_AUDIENCE_COUNT] = {
	[NOTICE_SENDER] = "sender",
	[NOTICE_HELPDESK] = "helpdesk",
};

const char *
notice_kind_name(enum notice_kind k)
{
	return (unsigned)k < NOTICE_KIND_COUNT ? kind_names[k] : "?";
}

const char *
notice_audience_name(enum notice_audience a)
{
	return (unsigned)a < NOTICE_AUDIENCE_COUNT ? audience_names[a] : "?";
}

/* optional_sender_block - the reasons that are not failures */
static bool
optional_sender_block(enum reason r)
{
	return r == REASON_DELIVERED || r == REASON_COMPLAINT ||
	       r == REASON_AUTO_REPLY;
}

/*
 * Compilation: one part's text into nodes.
 */

/* A compile job: the part and where its text sits in the file. */
struct compile {
	struct tmpl *tp;
	const char *path;
	const char *src;
	size_t start, end;
	unsigned line;		/* line number at start */
	enum level level;	/* what is in scope at the top */
	bool in_reason;
	size_t cap;
	struct buf *why;
};

/* add_node - append a node, growing the array */
static size_t
add_node(struct compile *c, enum node_type type, enum var var, size_t off,
	 size_t len)
{
	struct tmpl *tp = c->tp;

	if (tp->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		tp->nodes = xrealloc(tp->nodes, c->cap * sizeof(*tp->nodes));
	}
	tp->nodes[tp->n] = (struct node){ type, var, off, len, 0 };
	return tp->n++;
}

/* count_lines - line feeds in src[a..b), to keep line numbers right */
static unsigned
count_lines(const char *src, size_t a, size_t b)
{
	unsigned n = 0;

	for (; a < b; a++)
		n += src[a] == '\n';
	return n;
}

/* find_var - the variable named name[0..len), or -1 */
static int
find_var(const char *name, size_t len)
{
	int i;

	for (i = 0; i < V_COUNT_ALL; i++)
		if (strlen(var_defs[i].name) == len &&
		    memcmp(var_defs[i].name, name, len) == 0)
			return i;
	return -1;
}

/* list_scope - the list whose section brings level lv into scope */
static const char *
list_scope(enum level lv)
{
	return lv == L_RCPT ? "{{#recipients}}" : "{{#messages}}";
}

/* check_use - may variable v be used at level lv as this kind of tag? */
static int
check_use(struct compile *c, unsigned line, enum var v, char sigil,
	  enum level lv)
{
	const struct var_def *d = &var_defs[v];

	if (lv == L_NONE) {
		buf_addf(c->why, "%s:%u: {{%s}}: this part takes plain text "
			 "only", c->path, line, d->name);
		return -1;
	}
	if (c->in_reason && (d->flags & VF_NOREASON)) {
		buf_addf(c->why, "%s:%u: {{%s}} cannot be used in a reason "
			 "block", c->path, line, d->name);
		return -1;
	}
	if ((d->flags & VF_LIST) && sigil == '\0') {
		buf_addf(c->why, "%s:%u: {{%s}} is a list: use {{#%s}}..."
			 "{{/%s}}", c->path, line, d->name, d->name, d->name);
		return -1;
	}
	if ((d->flags & VF_LIST) && sigil == '#' && d->level != lv) {
		buf_addf(c->why, "%s:%u: {{#%s}} cannot be used here",
			 c->path, line, d->name);
		return -1;
	}
	if (d->level > lv) {
		buf_addf(c->why, "%s:%u: {{%s}} can only be used inside %s",
			 c->path, line, d->name, list_scope(d->level));
		return -1;
	}
	return 0;
}

/* name_ok - a tag name is lower-case letters and underscores */
static bool
name_ok(const char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == '_'))
			return false;
	return true;
}

/* compile_part - turn c->src[start..end) into c->tp's nodes */
static int
compile_part(struct compile *c)
{
	struct {
		size_t node;
		enum var var;
		unsigned line;
		enum level level;
	} open[DEPTH_MAX];		/* sections not yet closed */
	size_t text = c->start;		/* where pending literal text begins */
	size_t p = text, depth = 0, q, r, ls, after;
	size_t nstart, nlen, tagend;
	const char *src = c->src, *hit;
	unsigned line = c->line;
	enum level lv = c->level;
	char sigil;
	int v;

	c->tp->present = true;
	c->tp->src = src;
	while (p < c->end) {
		hit = memmem(src + p, c->end - p, "{{", 2);
		if (hit == NULL)
			break;
		q = (size_t)(hit - src);
		line += count_lines(src, p, q);
		/* the tag runs to "}}" on the same line */
		for (r = q + 2; r + 1 < c->end && r - q < TAG_MAX; r++)
			if (src[r] == '\n' || (src[r] == '}' &&
					       src[r + 1] == '}'))
				break;
		if (r + 1 >= c->end || src[r] != '}' || src[r + 1] != '}') {
			buf_addf(c->why, "%s:%u: \"{{\" without \"}}\" on the "
				 "same line within %d bytes", c->path, line,
				 TAG_MAX);
			return -1;
		}
		tagend = r + 2;
		sigil = src[q + 2];
		if (sigil != '#' && sigil != '^' && sigil != '/' &&
		    sigil != '!')
			sigil = '\0';
		nstart = q + 2 + (sigil != '\0');
		nlen = r - nstart;
		while (nlen && src[nstart] == ' ')
			nstart++, nlen--;
		while (nlen && src[nstart + nlen - 1] == ' ')
			nlen--;
		/* a section or comment tag alone on its line takes the line */
		after = tagend;
		ls = q;
		if (sigil != '\0') {
			while (ls > text && src[ls - 1] == ' ')
				ls--;
			while (after < c->end && src[after] == ' ')
				after++;
			if ((ls == c->start || src[ls - 1] == '\n') &&
			    (after == c->end || src[after] == '\n')) {
				if (after < c->end)
					after++;
			} else {
				ls = q;
				after = tagend;
			}
		}
		if (ls > text)
			add_node(c, N_TEXT, 0, text, ls - text);
		if (sigil == '!')
			goto next;
		if (!name_ok(src + nstart, nlen)) {
			buf_addf(c->why, "%s:%u: bad tag \"%.*s\": names are "
				 "lower-case letters and \"_\"", c->path, line,
				 (int)(tagend - q), src + q);
			return -1;
		}
		if ((v = find_var(src + nstart, nlen)) < 0) {
			buf_addf(c->why, "%s:%u: unknown variable \"%.*s\"",
				 c->path, line, (int)nlen, src + nstart);
			return -1;
		}
		if (sigil == '/') {
			if (depth == 0 || open[depth - 1].var != (enum var)v) {
				if (depth == 0)
					buf_addf(c->why, "%s:%u: {{/%s}} closes "
						 "nothing", c->path, line,
						 var_defs[v].name);
				else
					buf_addf(c->why, "%s:%u: {{/%s}} does "
						 "not close {{#%s}} of line %u",
						 c->path, line, var_defs[v].name,
						 var_defs[open[depth - 1].var].name,
						 open[depth - 1].line);
				return -1;
			}
			depth--;
			c->tp->nodes[open[depth].node].end = c->tp->n;
			lv = open[depth].level;
			goto next;
		}
		if (check_use(c, line, (enum var)v, sigil, lv) < 0)
			return -1;
		if (sigil == '\0') {
			add_node(c, N_VAR, (enum var)v, 0, 0);
			goto next;
		}
		if (depth == DEPTH_MAX) {
			buf_addf(c->why, "%s:%u: sections nested deeper than "
				 "%d", c->path, line, DEPTH_MAX);
			return -1;
		}
		open[depth].node = add_node(c, sigil == '#' ? N_SECTION
						: N_INVERTED, (enum var)v, 0, 0);
		open[depth].var = (enum var)v;
		open[depth].line = line;
		open[depth].level = lv;
		depth++;
		if (sigil == '#' && (var_defs[v].flags & VF_LIST))
			lv = lv == L_GLOBAL ? L_MESSAGE : L_RCPT;
next:
		line += count_lines(src, q, after);
		p = text = after;
	}
	if (c->end > text)
		add_node(c, N_TEXT, 0, text, c->end - text);
	if (depth > 0) {
		buf_addf(c->why, "%s:%u: {{#%s}} is never closed", c->path,
			 open[depth - 1].line, var_defs[open[depth - 1].var].name);
		return -1;
	}
	return 0;
}

/*
 * Files: parts, checks, loading.
 */

/* A part a file may hold, and where it goes. */
struct part_slot {
	char name[40];
	struct tmpl *tp;
	enum level level;
	bool in_reason;
	bool required;
};

#define SLOTS_MAX	(2 * ACTOR_COUNT + 1)

/* file_slots - the parts of file index fi; returns how many */
static size_t
file_slots(struct notice_templates *t, size_t fi, struct part_slot *s)
{
	static const char *const env_parts[EP_COUNT] = { "subject", "body" };
	static const char *const rp[RP_COUNT] = { "title", "what",
						  "next_step" };
	size_t n = 0;
	int a, i;
	enum reason r;

	if (fi < ENV_COUNT) {
		for (a = 0; a < NOTICE_AUDIENCE_COUNT; a++)
			for (i = 0; i < EP_COUNT; i++, n++) {
				snprintf(s[n].name, sizeof(s[n].name), "%s.%s",
					 audience_names[a], env_parts[i]);
				s[n].tp = &t->env[fi][a][i];
				s[n].level = fi == ENV_DIGEST ? L_GLOBAL
							      : L_MESSAGE;
				s[n].in_reason = false;
				s[n].required = true;
			}
		return n;
	}
	if (fi == ENV_COUNT) {
		for (a = 0; a < NOTICE_AUDIENCE_COUNT; a++)
			for (i = 0; i < ACTOR_COUNT; i++, n++) {
				snprintf(s[n].name, sizeof(s[n].name), "%s.%s",
					 audience_names[a], actor_name(i));
				s[n].tp = &t->actors[i][a];
				s[n].level = L_NONE;
				s[n].in_reason = false;
				s[n].required = true;
			}
		return n;
	}
	r = (enum reason)(fi - ENV_COUNT - 1);
	snprintf(s[n].name, sizeof(s[n].name), "title");
	s[n].tp = &t->reasons[r][NOTICE_SENDER][RP_TITLE];
	s[n].level = L_NONE;
	s[n].in_reason = true;
	s[n++].required = true;
	for (a = 0; a < NOTICE_AUDIENCE_COUNT; a++)
		for (i = RP_WHAT; i < RP_COUNT; i++, n++) {
			snprintf(s[n].name, sizeof(s[n].name), "%s.%s",
				 audience_names[a], rp[i]);
			s[n].tp = &t->reasons[r][a][i];
			s[n].level = L_RCPT;
			s[n].in_reason = true;
			s[n].required = a == NOTICE_HELPDESK ||
					!optional_sender_block(r);
		}
	return n;
}

/* file_name - the file's path below the locale directory */
static void
file_name(size_t fi, char *out, size_t size)
{
	if (fi < NOTICE_KIND_COUNT)
		snprintf(out, size, "%s.tmpl", kind_names[fi]);
	else if (fi == ENV_DIGEST)
		snprintf(out, size, "digest.tmpl");
	else if (fi == ENV_COUNT)
		snprintf(out, size, "actors.tmpl");
	else
		snprintf(out, size, "reasons/%s.tmpl",
			 reason_name((enum reason)(fi - ENV_COUNT - 1)));
}

/* check_text - valid UTF-8, and no control character but LF */
static int
check_text(const char *path, const char *text, size_t len, struct buf *why)
{
	size_t i, ls = 0;
	unsigned line = 1;
	unsigned char ch;

	for (i = 0; i <= len; i++) {
		ch = i < len ? (unsigned char)text[i] : '\n';
		if (ch == '\n') {
			if (!utf8_valid(span_make(text + ls, i - ls))) {
				buf_addf(why, "%s:%u: not valid UTF-8", path,
					 line);
				return -1;
			}
			ls = i + 1;
			line++;
		} else if (ch < 0x20 || ch == 0x7f) {
			buf_addf(why, "%s:%u: control character 0x%02x (only "
				 "line feeds are allowed%s)", path, line, ch,
				 ch == '\r' ? "; save with Unix line ends" : "");
			return -1;
		}
	}
	return 0;
}

/* blank_line - only spaces in text[a..b) */
static bool
blank_line(const char *text, size_t a, size_t b)
{
	for (; a < b; a++)
		if (text[a] != ' ')
			return false;
	return true;
}

/* finish_part - trim a part's blank edges and compile it */
static int
finish_part(struct compile *c, const char *text, size_t a, size_t b,
	    unsigned line)
{
	const char *nl;
	size_t e;

	while (a < b) {
		nl = memchr(text + a, '\n', b - a);
		e = nl ? (size_t)(nl - text) : b;
		if (!blank_line(text, a, e) || e == b)
			break;
		a = e + 1;
		line++;
	}
	while (b > a && (text[b - 1] == '\n' || text[b - 1] == ' '))
		b--;
	c->start = a;
	c->end = b;
	c->line = line;
	return compile_part(c);
}

/* parse_file - split a file into parts and compile each */
static int
parse_file(struct notice_templates *t, size_t fi, const char *path,
	   const char *text, size_t len, struct buf *why)
{
	struct part_slot slots[SLOTS_MAX];
	size_t ns = file_slots(t, fi, slots), pos = 0, e, nlen, i;
	size_t cstart = 0;
	struct compile c = { 0 };
	unsigned line = 1, cline = 0;
	int cur = -1;
	const char *nl;

	if (check_text(path, text, len, why) < 0)
		return -1;
	c.path = path;
	c.src = text;
	c.why = why;
	while (pos < len) {
		nl = memchr(text + pos, '\n', len - pos);
		e = nl ? (size_t)(nl - text) : len;
		if (text[pos] == '@') {
			if (cur >= 0 && finish_part(&c, text, cstart, pos,
						    cline) < 0)
				return -1;
			nlen = e - pos - 1;
			while (nlen && text[pos + 1 + nlen - 1] == ' ')
				nlen--;
			for (i = 0; i < ns; i++)
				if (strlen(slots[i].name) == nlen &&
				    memcmp(slots[i].name, text + pos + 1,
					   nlen) == 0)
					break;
			if (i == ns) {
				buf_addf(why, "%s:%u: unknown part \"@%.*s\"",
					 path, line, (int)nlen, text + pos + 1);
				return -1;
			}
			if (slots[i].tp->present) {
				buf_addf(why, "%s:%u: part \"@%s\" appears "
					 "twice", path, line, slots[i].name);
				return -1;
			}
			cur = (int)i;
			c.tp = slots[i].tp;
			c.level = slots[i].level;
			c.in_reason = slots[i].in_reason;
			c.cap = 0;
			c.tp->present = true;
			cstart = e < len ? e + 1 : len;
			cline = line + 1;
		} else if (cur < 0 && !blank_line(text, pos, e) &&
			   text[pos] != '#') {
			buf_addf(why, "%s:%u: text before the first \"@part\" "
				 "line", path, line);
			return -1;
		}
		pos = e + 1;
		line++;
	}
	if (cur >= 0 && finish_part(&c, text, cstart, len, cline) < 0)
		return -1;
	for (i = 0; i < ns; i++)
		if (slots[i].required && !slots[i].tp->present) {
			buf_addf(why, "%s: missing part \"@%s\"", path,
				 slots[i].name);
			return -1;
		}
	return 0;
}

/* read_file - the whole file, at most NOTICE_FILE_MAX bytes; errno kept */
static char *
read_file(const char *path, size_t *len, struct buf *why)
{
	int fd, saved;
	struct stat st;
	char *data;
	size_t n = 0;
	ssize_t got = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		saved = errno;
		buf_addf(why, "%s: not a regular file", path);
		close(fd);
		errno = saved ? saved : EINVAL;
		return NULL;
	}
	if (st.st_size > NOTICE_FILE_MAX) {
		buf_addf(why, "%s: larger than %d bytes", path,
			 NOTICE_FILE_MAX);
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	data = xmalloc(NOTICE_FILE_MAX + 1);
	while (n <= NOTICE_FILE_MAX) {
		got = read(fd, data + n, NOTICE_FILE_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	saved = errno;
	close(fd);
	if (got < 0 || n > NOTICE_FILE_MAX) {
		buf_addf(why, "%s: %s", path, got < 0 ? strerror(saved)
				: "grew past the size limit while read");
		free(data);
		errno = EIO;
		return NULL;
	}
	data[n] = '\0';
	*len = n;
	return data;
}

/* locale_ok - a locale is a safe directory name: letters, "_", "-" */
static bool
locale_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n > 10)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

/* load_one - read file fi of locale, or of "en" when it is missing */
static int
load_one(struct notice_templates *t, size_t fi, const char *dir,
	 struct buf *why)
{
	char name[128], path[4096];
	const char *loc = t->locale;
	size_t len = 0;
	char *text;
	size_t before = why->len;
	int n;

	file_name(fi, name, sizeof(name));
	for (;;) {
		n = snprintf(path, sizeof(path), "%s/%s/%s", dir, loc, name);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			buf_addf(why, "%s: template path too long", dir);
			return -1;
		}
		errno = 0;
		if ((text = read_file(path, &len, why)) != NULL)
			break;
		if (errno != ENOENT || strcmp(loc, FALLBACK_LOCALE) == 0) {
			if (why->len == before)
				buf_addf(why, "%s: %s", path, strerror(errno));
			return -1;
		}
		loc = FALLBACK_LOCALE;
		if (t->nfallback++ == 0)
			t->first_fallback = xstrdup(name);
	}
	t->texts[fi] = text;
	return parse_file(t, fi, path, text, len, why);
}

int
notice_load(struct notice_templates **tp, const char *dir,
	    const char *locale, struct buf *why)
{
	struct notice_templates *t;
	size_t fi;

	*tp = NULL;
	if (!locale_ok(locale)) {
		buf_addf(why, "notice locale \"%s\": not a name such as "
			 "\"en\" or \"de\"", locale);
		return -1;
	}
	t = xcalloc(1, sizeof(*t));
	t->locale = xstrdup(locale);
	for (fi = 0; fi < FILE_COUNT; fi++) {
		if (load_one(t, fi, dir, why) < 0) {
			notice_free(t);
			return -1;
		}
	}
	*tp = t;
	return 0;
}

const char *
notice_templates_locale(const struct notice_templates *t)
{
	return t ? t->locale : NULL;
}

void
notice_free(struct notice_templates *t)
{
	size_t i, j, k;

	if (t == NULL)
		return;
	for (i = 0; i < ENV_COUNT; i++)
		for (j = 0; j < NOTICE_AUDIENCE_COUNT; j++)
			for (k = 0; k < EP_COUNT; k++)
				free(t->env[i][j][k].nodes);
	for (i = 0; i < ACTOR_COUNT; i++)
		for (j = 0; j < NOTICE_AUDIENCE_COUNT; j++)
			free(t->actors[i][j].nodes);
	for (i = 0; i < REASON_COUNT; i++)
		for (j = 0; j < NOTICE_AUDIENCE_COUNT; j++)
			for (k = 0; k < RP_COUNT; k++)
				free(t->reasons[i][j][k].nodes);
	for (i = 0; i < FILE_COUNT; i++)
		free(t->texts[i]);
	free(t->first_fallback);
	free(t->locale);
	free(t);
}

size_t
notice_fallbacks(const struct notice_templates *t, const char **first)
{
	if (first)
		*first = t->first_fallback;
	return t->nfallback;
}

/*
 * Rendering.
 */

/* Rendered per-recipient parts, made when a recipient comes into scope. */
enum rpart { R_WHO, R_TITLE, R_LAST_TITLE, R_LAST_WHAT, R_WHAT, R_NEXT,
	     R_COUNT };

struct render {
	const struct notice_templates *t;
	enum notice_audience aud;
	bool html;
	bool in_last;		/* rendering last_what: it is empty */
	const struct notice_digest *d;
	const struct notice_msg *m;
	const struct notice_rcpt *r;
	struct buf part[R_COUNT];
	struct buf tmp;		/* one value being escaped */
	char num[32];		/* a number being shown */
	bool toobig;
	struct buf *why;
};

/* put - append, remembering that output was cut */
static void
put(struct render *st, struct buf *out, const char *p, size_t len)
{
	if (buf_add(out, p, len) != BUF_OK)
		st->toobig = true;
}

/* put_s - append a C string */
static void
put_s(struct render *st, struct buf *out, const char *s)
{
	put(st, out, s, strlen(s));
}

/* put_html - append with &<>"' as entities */
static void
put_html(struct render *st, struct buf *out, const char *p, size_t len)
{
	size_t i, run = 0;
	const char *ent;

	for (i = 0; i < len; i++) {
		switch (p[i]) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		put(st, out, p + run, i - run);
		put(st, out, ent, strlen(ent));
		run = i + 1;
	}
	put(st, out, p + run, len - run);
}

/* put_literal - template text: HTML-escaped in the HTML body */
static void
put_literal(struct render *st, struct buf *out, const char *p, size_t len)
{
	if (st->html)
		put_html(st, out, p, len);
	else
		put(st, out, p, len);
}

/* put_value - an outside value: escaped, bounded, never expanded */
static void
put_value(struct render *st, struct buf *out, const char *s)
{
	int cut;

	buf_reset(&st->tmp);
	/* on BUF_TOOBIG what fitted is kept, ending between characters */
	cut = escape_text(&st->tmp, span_make(s, strlen(s))) != BUF_OK;
	put_literal(st, out, buf_str(&st->tmp), st->tmp.len);
	if (cut)
		put(st, out, ELLIPSIS, sizeof(ELLIPSIS) - 1);
}

/* number - n as text in st->num */
static const char *
number(struct render *st, size_t n)
{
	snprintf(st->num, sizeof(st->num), "%zu", n);
	return st->num;
}

/*
 * scalar - the value of variable v: a raw outside string (*rendered
 * false) or already rendered template text (*rendered true); NULL or ""
 * when absent.
 */
static const char *
scalar(struct render *st, enum var v, bool *rendered)
{
	const struct notice_msg *m = st->m;
	const struct notice_rcpt *r = st->r;
	size_t i, n = 0;
	enum rpart rp;

	*rendered = false;
	switch (v) {
	case V_SENDER: return st->d ? st->d->sender : m->sender;
	case V_LOCALE: return st->t->locale;
	case V_COUNT:
		if (st->d)
			for (i = 0; i < st->d->nmsgs; i++)
				n += st->d->msgs[i].nrcpts;
		else
			n = m->nrcpts;
		return number(st, n);
	case V_SINCE: return st->d ? st->d->since : NULL;
	case V_FROM: return m->from;
	case V_SUBJECT: return m->subject;
	case V_SENT_AT: return m->sent_at;
	case V_QUEUE_ID: return m->queue_id;
	case V_MESSAGE_ID: return m->message_id;
	case V_KIND: return notice_kind_name(m->kind);
	case V_KIND_BOUNCED:
		return m->kind == NOTICE_BOUNCED ? "yes" : NULL;
	case V_KIND_EXPIRED:
		return m->kind == NOTICE_EXPIRED ? "yes" : NULL;
	case V_KIND_DEFERRED_LONG:
		return m->kind == NOTICE_DEFERRED_LONG ? "yes" : NULL;
	case V_KIND_DELIVERED_AFTER_DELAY:
		return m->kind == NOTICE_DELIVERED_AFTER_DELAY ? "yes" : NULL;
	case V_RECIPIENT_COUNT: return number(st, m->nrcpts);
	case V_SEVERAL: return m->nrcpts > 1 ? "yes" : NULL;
	case V_RECIPIENT: return r->recipient;
	case V_REASON: return reason_name(r->reason);
	case V_WHO_ACTS_ID: return actor_name(r->who_acts);
	case V_LAST_REASON:
		return r->has_last_reason ? reason_name(r->last_reason) : NULL;
	case V_REMOTE_WORDS: return r->remote_words;
	case V_DIAGNOSTIC: return r->diagnostic;
	case V_DSN: return r->dsn;
	case V_RELAY: return r->relay;
	case V_DELAY: return r->delay;
	case V_DELAYS: return r->delays;
	case V_ATTEMPTS: return r->attempts;
	case V_RETRY_UNTIL: return r->retry_until;
	case V_TRIED_FOR: return r->tried_for;
	case V_DELIVERED_AT: return r->delivered_at;
	case V_BLOCKLIST: return r->blocklist;
	case V_REASON_TITLE: rp = R_TITLE; break;
	case V_WHO_ACTS: rp = R_WHO; break;
	case V_WHAT: rp = R_WHAT; break;
	case V_NEXT_STEP: rp = R_NEXT; break;
	case V_LAST_REASON_TITLE: rp = R_LAST_TITLE; break;
	case V_LAST_WHAT:
		if (st->in_last)
			return NULL;
		rp = R_LAST_WHAT;
		break;
	default:
		return NULL;	/* lists are not scalars */
	}
	*rendered = true;
	return buf_str(&st->part[rp]);
}

static int render_nodes(struct render *st, const struct tmpl *tp,
			size_t from, size_t to, struct buf *out);

/* render_part - a whole compiled part into out, emptied first */
static int
render_part(struct render *st, const struct tmpl *tp, struct buf *out)
{
	buf_reset(out);
	if (!tp->present)
		return 0;
	return render_nodes(st, tp, 0, tp->n, out);
}

/* enter_rcpt - check recipient r and render its reason's parts */
static int
enter_rcpt(struct render *st, const struct notice_rcpt *r)
{
	const struct notice_templates *t = st->t;
	int a = st->aud, rc = 0;

	if ((unsigned)r->reason >= REASON_COUNT ||
	    (unsigned)r->who_acts >= ACTOR_COUNT ||
	    (r->has_last_reason && (unsigned)r->last_reason >= REASON_COUNT)) {
		buf_addf(st->why, "recipient with an invalid reason or actor");
		return -1;
	}
	if (!t->reasons[r->reason][a][RP_WHAT].present) {
		buf_addf(st->why, "reason %s has no %s block",
			 reason_name(r->reason), audience_names[a]);
		return -1;
	}
	st->r = r;
	rc |= render_part(st, &t->actors[r->who_acts][a], &st->part[R_WHO]);
	rc |= render_part(st, &t->reasons[r->reason][NOTICE_SENDER][RP_TITLE],
			  &st->part[R_TITLE]);
	buf_reset(&st->part[R_LAST_TITLE]);
	buf_reset(&st->part[R_LAST_WHAT]);
	if (r->has_last_reason) {
		rc |= render_part(st, &t->reasons[r->last_reason]
					   [NOTICE_SENDER][RP_TITLE],
				  &st->part[R_LAST_TITLE]);
		st->in_last = true;
		rc |= render_part(st, &t->reasons[r->last_reason][a][RP_WHAT],
				  &st->part[R_LAST_WHAT]);
		st->in_last = false;
	}
	rc |= render_part(st, &t->reasons[r->reason][a][RP_WHAT],
			  &st->part[R_WHAT]);
	rc |= render_part(st, &t->reasons[r->reason][a][RP_NEXT],
			  &st->part[R_NEXT]);
	return rc;
}

/* render_list - a {{#messages}} or {{#recipients}} section */
static int
render_list(struct render *st, const struct tmpl *tp, size_t i,
	    struct buf *out)
{
	const struct node *nd = &tp->nodes[i];
	const struct notice_msg *saved_m = st->m;
	size_t k;

	if (nd->var == V_MESSAGES) {
		for (k = 0; k < st->d->nmsgs; k++) {
			st->m = &st->d->msgs[k];
			if (render_nodes(st, tp, i + 1, nd->end, out) < 0)
				return -1;
		}
		st->m = saved_m;
		return 0;
	}
	for (k = 0; k < st->m->nrcpts; k++) {
		if (enter_rcpt(st, &st->m->rcpts[k]) < 0 ||
		    render_nodes(st, tp, i + 1, nd->end, out) < 0)
			return -1;
	}
	st->r = NULL;
	return 0;
}

/* list_empty - true when the list variable v has no elements in scope */
static bool
list_empty(const struct render *st, enum var v)
{
	if (v == V_MESSAGES)
		return st->d == NULL || st->d->nmsgs == 0;
	return st->m == NULL || st->m->nrcpts == 0;
}

/* render_nodes - nodes [from, to) of tp into out */
static int
render_nodes(struct render *st, const struct tmpl *tp, size_t from,
	     size_t to, struct buf *out)
{
	const struct node *nd;
	const char *s;
	bool rendered, empty;
	size_t i = from;

	while (i < to) {
		nd = &tp->nodes[i];
		switch (nd->type) {
		case N_TEXT:
			put_literal(st, out, tp->src + nd->off, nd->len);
			i++;
			break;
		case N_VAR:
			s = scalar(st, nd->var, &rendered);
			if (s && rendered)
				put(st, out, s, strlen(s));
			else if (s)
				put_value(st, out, s);
			i++;
			break;
		case N_SECTION:
		case N_INVERTED:
			if (var_defs[nd->var].flags & VF_LIST) {
				empty = list_empty(st, nd->var);
				if (nd->type == N_SECTION && !empty &&
				    render_list(st, tp, i, out) < 0)
					return -1;
			} else {
				s = scalar(st, nd->var, &rendered);
				empty = s == NULL || *s == '\0';
			}
			if (nd->type == N_INVERTED && empty &&
			    render_nodes(st, tp, i + 1, nd->end, out) < 0)
				return -1;
			if (nd->type == N_SECTION && !empty &&
			    !(var_defs[nd->var].flags & VF_LIST) &&
			    render_nodes(st, tp, i + 1, nd->end, out) < 0)
				return -1;
			i = nd->end;
			break;
		}
	}
	return 0;
}

/* tidy - trailing spaces off, no leading or doubled blank lines, one LF */
static void
tidy(struct render *st, const struct buf *in, struct buf *out)
{
	const char *p = buf_str(in), *end = p + in->len, *nl, *e;
	bool blank_pending = false, any = false;

	for (; p < end; p = nl ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		e = nl ? nl : end;
		while (e > p && e[-1] == ' ')
			e--;
		if (e == p) {
			blank_pending = any;
			continue;
		}
		if (blank_pending)
			put_s(st, out, "\n");
		put(st, out, p, (size_t)(e - p));
		put_s(st, out, "\n");
		blank_pending = false;
		any = true;
	}
}

/* starts_quote - an escaped "> " opens the line: the remote's words */
static bool
starts_quote(const char *p, size_t len)
{
	return len >= 5 && memcmp(p, "&gt; ", 5) == 0;
}

/*
 * html_wrap - the tidied, escaped body as HTML: paragraphs at blank
 * lines, <br> at line ends, "> " lines as a blockquote.
 */
static void
html_wrap(struct render *st, const struct buf *body, const struct buf *subj,
	  struct buf *out)
{
	const char *p = buf_str(body), *end = p + body->len, *nl;
	bool in_block = false, quote = false, q;
	size_t len;

	put_s(st, out, "<!DOCTYPE html>\n<html lang=\"");
	put_html(st, out, st->t->locale, strlen(st->t->locale));
	put_s(st, out, "\">\n<head><meta charset=\"utf-8\"><title>");
	put_html(st, out, buf_str(subj), subj->len);
	put_s(st, out, "</title></head>\n<body>\n");
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len == 0) {
			if (in_block)
				put_s(st, out, quote ? "</p></blockquote>\n"
						     : "</p>\n");
			in_block = false;
			continue;
		}
		q = starts_quote(p, len);
		if (in_block && q != quote) {
			put_s(st, out, quote ? "</p></blockquote>\n"
					     : "</p>\n");
			in_block = false;
		}
		if (!in_block) {
			quote = q;
			put_s(st, out, quote ? "<blockquote><p>" : "<p>");
			in_block = true;
		} else {
			put_s(st, out, "<br>\n");
		}
		if (q)
			put(st, out, p + 5, len - 5);
		else
			put(st, out, p, len);
		if (nl == end)
			break;
	}
	if (in_block)
		put_s(st, out, quote ? "</p></blockquote>\n" : "</p>\n");
	put_s(st, out, "</body>\n</html>\n");
}

/*
 * subject_line - whitespace runs (line ends included) to one space, then
 * cut at NOTICE_SUBJECT_MAX bytes on a character boundary with an
 * ellipsis; work holds the collapsed line.
 */
static void
subject_line(struct render *st, const struct buf *in, struct buf *work,
	     struct buf *out)
{
	const char *p = buf_str(in);
	size_t i, cut;
	bool space = false;

	buf_reset(work);
	for (i = 0; i < in->len; i++) {
		if ((unsigned char)p[i] <= ' ') {
			space = work->len > 0;
			continue;
		}
		if (space)
			put(st, work, " ", 1);
		put(st, work, p + i, 1);
		space = false;
	}
	cut = work->len;
	if (cut > NOTICE_SUBJECT_MAX) {
		cut = NOTICE_SUBJECT_MAX - (sizeof(ELLIPSIS) - 1);
		while (cut > 0 &&
		       ((unsigned char)work->data[cut] & 0xc0) == 0x80)
			cut--;
	}
	put(st, out, buf_str(work), cut);
	if (cut < work->len)
		put_s(st, out, ELLIPSIS);
}

/* render_all - the shared body of notice_render and _digest */
static int
render_all(struct render *st, size_t env, int flags, struct notice_out *o)
{
	const struct tmpl *subj = &st->t->env[env][st->aud][EP_SUBJECT];
	const struct tmpl *body = &st->t->env[env][st->aud][EP_BODY];
	struct buf raw, tidied;
	size_t i;
	int rc = -1;

	buf_reset(&o->subject);
	buf_reset(&o->text);
	buf_reset(&o->html);
	buf_init(&raw, NOTICE_BODY_MAX);
	buf_init(&tidied, NOTICE_BODY_MAX);
	buf_init(&st->tmp, NOTICE_VALUE_MAX);
	for (i = 0; i < R_COUNT; i++)
		buf_init(&st->part[i], PART_BUF_MAX);
	if (render_nodes(st, subj, 0, subj->n, &raw) < 0)
		goto out;
	subject_line(st, &raw, &tidied, &o->subject);
	buf_reset(&raw);
	if (render_nodes(st, body, 0, body->n, &raw) < 0)
		goto out;
	tidy(st, &raw, &o->text);
	if (flags & NOTICE_HTML) {
		st->html = true;
		buf_reset(&raw);
		buf_reset(&tidied);
		if (render_nodes(st, body, 0, body->n, &raw) < 0)
			goto out;
		tidy(st, &raw, &tidied);
		html_wrap(st, &tidied, &o->subject, &o->html);
	}
	if (st->toobig) {
		buf_addf(st->why, "notice larger than %d bytes",
			 NOTICE_BODY_MAX);
		goto out;
	}
	rc = 0;
out:
	buf_free(&raw);
	buf_free(&tidied);
	buf_free(&st->tmp);
	for (i = 0; i < R_COUNT; i++)
		buf_free(&st->part[i]);
	return rc;
}

/* check_msg - a message the renderer can show */
static int
check_msg(const struct notice_msg *m, struct buf *why)
{
	if ((unsigned)m->kind >= NOTICE_KIND_COUNT) {
		buf_addf(why, "invalid notice kind %d", (int)m->kind);
		return -1;
	}
	if (m->nrcpts == 0 || m->nrcpts > NOTICE_RCPT_MAX ||
	    m->rcpts == NULL) {
		buf_addf(why, "a notice needs 1 to %d recipients, not %zu",
			 NOTICE_RCPT_MAX, m->nrcpts);
		return -1;
	}
	return 0;
}

int
notice_render(const struct notice_templates *t, enum notice_audience aud,
	      const struct notice_msg *m, int flags, struct notice_out *o,
	      struct buf *why)
{
	struct render st = { 0 };

	if ((unsigned)aud >= NOTICE_AUDIENCE_COUNT || check_msg(m, why) < 0)
		return -1;
	st.t = t;
	st.aud = aud;
	st.m = m;
	st.why = why;
	return render_all(&st, (size_t)m->kind, flags, o);
}

int
notice_render_digest(const struct notice_templates *t,
		     enum notice_audience aud, const struct notice_digest *d,
		     int flags, struct notice_out *o, struct buf *why)
{
	struct render st = { 0 };
	size_t i, total = 0;

	if ((unsigned)aud >= NOTICE_AUDIENCE_COUNT)
		return -1;
	if (d->nmsgs == 0 || d->nmsgs > NOTICE_RCPT_MAX || d->msgs == NULL) {
		buf_addf(why, "a digest needs 1 to %d messages",
			 NOTICE_RCPT_MAX);
		return -1;
	}
	for (i = 0; i < d->nmsgs; i++) {
		if (check_msg(&d->msgs[i], why) < 0)
			return -1;
		total += d->msgs[i].nrcpts;
	}
	if (total > NOTICE_RCPT_MAX) {
		buf_addf(why, "a digest holds at most %d recipients",
			 NOTICE_RCPT_MAX);
		return -1;
	}
	st.t = t;
	st.aud = aud;
	st.d = d;
	st.why = why;
	return render_all(&st, ENV_DIGEST, flags, o);
}

void
notice_out_init(struct notice_out *o)
{
	buf_init(&o->subject, NOTICE_SUBJECT_MAX);
	buf_init(&o->text, NOTICE_BODY_MAX);
	buf_init(&o->html, NOTICE_BODY_MAX * 2);
}

void
notice_out_free(struct notice_out *o)
{
	buf_free(&o->subject);
	buf_free(&o->text);
	buf_free(&o->html);
}

void
notice_explanation_init(struct notice_explanation *ex)
{
	buf_init(&ex->title, PART_BUF_MAX);
	buf_init(&ex->what, PART_BUF_MAX);
	buf_init(&ex->next_step, PART_BUF_MAX);
	buf_init(&ex->who_acts, PART_BUF_MAX);
}

void
notice_explanation_free(struct notice_explanation *ex)
{
	buf_free(&ex->title);
	buf_free(&ex->what);
	buf_free(&ex->next_step);
	buf_free(&ex->who_acts);
}

int
notice_explain(const struct notice_templates *t, enum notice_audience aud,
	       enum notice_kind kind, const struct notice_rcpt *r,
	       struct notice_explanation *ex, struct buf *why)
{
	struct render st = { 0 };
	struct notice_msg m = { 0 };
	size_t i;
	int rc = -1;

	m.kind = kind;
	m.rcpts = r;
	m.nrcpts = 1;
	if ((unsigned)aud >= NOTICE_AUDIENCE_COUNT || check_msg(&m, why) < 0)
		return -1;
	st.t = t;
	st.aud = aud;
	st.m = &m;
	st.why = why;
	buf_init(&st.tmp, NOTICE_VALUE_MAX);
	for (i = 0; i < R_COUNT; i++)
		buf_init(&st.part[i], PART_BUF_MAX);
	if (enter_rcpt(&st, r) == 0 && !st.toobig) {
		buf_reset(&ex->title);
		buf_reset(&ex->what);
		buf_reset(&ex->next_step);
		buf_reset(&ex->who_acts);
		buf_addspan(&ex->title, span_make(st.part[R_TITLE].data,
						  st.part[R_TITLE].len));
		buf_addspan(&ex->what, span_make(st.part[R_WHAT].data,
						 st.part[R_WHAT].len));
		buf_addspan(&ex->next_step, span_make(st.part[R_NEXT].data,
						      st.part[R_NEXT].len));
		buf_addspan(&ex->who_acts, span_make(st.part[R_WHO].data,
						     st.part[R_WHO].len));
		rc = 0;
	} else if (st.toobig) {
		buf_addf(why, "explanation larger than %d bytes",
			 PART_BUF_MAX);
	}
	buf_free(&st.tmp);
	for (i = 0; i < R_COUNT; i++)
		buf_free(&st.part[i]);
	return rc;
}
