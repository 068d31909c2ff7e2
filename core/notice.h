/*
 * notice.h - plain-language notices from templates: load a locale, render
 * one message's failed recipients (or a digest of several messages) for the
 * sender or for the helpdesk, as a subject line, a text body and an
 * optional HTML body.
 *
 * Guarantees: loading checks every file (size, UTF-8, syntax, variable
 * names and where each may be used) and reports "file:line: what"; a
 * loaded set renders every reason.  Rendering is pure (no clock, no global
 * state, no I/O); values from outside are never expanded as templates,
 * pass through escape_text(), are cut at NOTICE_VALUE_MAX bytes with an
 * ellipsis, and are HTML-escaped in the HTML body.  The subject is one
 * line of at most NOTICE_SUBJECT_MAX bytes; bodies hold no control
 * character but LF and are valid UTF-8.
 *
 * File layout (templates/README has the full description):
 *
 *   <dir>/<locale>/bounced.tmpl expired.tmpl deferred_long.tmpl
 *                  delivered_after_delay.tmpl digest.tmpl
 *                  parts sender.subject sender.body helpdesk.subject
 *                  helpdesk.body
 *   <dir>/<locale>/actors.tmpl  parts sender.<actor>, helpdesk.<actor>
 *   <dir>/<locale>/reasons/<reason id>.tmpl
 *                  parts title, sender.what, sender.next_step,
 *                  helpdesk.what, helpdesk.next_step (the sender parts are
 *                  optional for delivered, complaint and auto_reply)
 *
 * A file missing from <locale> is taken from "en" in the same directory.
 *
 * Syntax: "#" lines before the first part are comments; "@name" at the
 * start of a line begins a part; in a part, {{name}} is a value,
 * {{#name}}...{{/name}} repeats for each element of a list or shows its
 * content when a value is not empty, {{^name}}...{{/name}} shows its
 * content when the value is empty, {{! text}} is a comment.  A section
 * or comment tag alone on its line takes the whole line with it.
 */
#ifndef PB_NOTICE_H
#define PB_NOTICE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "reason.h"

#define NOTICE_VALUE_MAX	1000	/* bytes of one value, after escaping */
#define NOTICE_SUBJECT_MAX	250	/* bytes of the subject line */
#define NOTICE_BODY_MAX		(1024 * 1024)	/* bytes of one body */
#define NOTICE_FILE_MAX		(64 * 1024)	/* bytes of one template file */
#define NOTICE_RCPT_MAX		500	/* recipients in one rendering */

#define NOTICE_HTML	1	/* notice_render flag: also write out->html */

/* What happened to the recipients of one notice. */
enum notice_kind {
	NOTICE_BOUNCED = 0,		/* refused for good */
	NOTICE_EXPIRED,			/* Postfix gave up retrying */
	NOTICE_DEFERRED_LONG,		/* still retrying after a long time */
	NOTICE_DELIVERED_AFTER_DELAY,	/* arrived after an earlier warning */
	NOTICE_KIND_COUNT
};

/* Who reads the notice. */
enum notice_audience {
	NOTICE_SENDER = 0,	/* the person who wrote the mail */
	NOTICE_HELPDESK,	/* the site's helpdesk and mail admins */
	NOTICE_AUDIENCE_COUNT
};

/*
 * One recipient and what happened to it.  Strings are raw facts, any of
 * them may be NULL (absent): times and durations come already formatted
 * by the caller, e.g. "Mon 3 Nov 14:02 UTC" and "5 days".
 */
struct notice_rcpt {
	const char *recipient;		/* the address */
	enum reason reason;		/* from the classifier */
	enum actor who_acts;		/* from the classifier */
	bool has_last_reason;		/* for expired: last_reason is set */
	enum reason last_reason;	/* reason of the last deferral */
	const char *remote_words;	/* the remote server's own reply */
	const char *diagnostic;		/* Postfix's own text, when the
					   remote said nothing ("connect
					   to ...: Connection timed out") */
	const char *dsn;		/* enhanced status, "5.1.1" */
	const char *relay;		/* "mx.example.org[192.0.2.1]:25" */
	const char *delay;		/* total delay, "3.2" (seconds) */
	const char *delays;		/* "a/b/c/d" */
	const char *attempts;		/* delivery attempts so far */
	const char *retry_until;	/* when Postfix gives up */
	const char *tried_for;		/* how long Postfix tried */
	const char *delivered_at;	/* when it arrived after all */
	const char *blocklist;		/* blocklist or provider named */
};

/* One message: the envelope of a notice. */
struct notice_msg {
	enum notice_kind kind;
	const char *sender;		/* envelope sender */
	const char *from;		/* From: header */
	const char *subject;		/* Subject: of the original */
	const char *sent_at;		/* when it was submitted */
	const char *queue_id;
	const char *message_id;
	const struct notice_rcpt *rcpts;
	size_t nrcpts;			/* 1 .. NOTICE_RCPT_MAX */
};

/* A digest: failures held back by the per-sender rate limit. */
struct notice_digest {
	const char *sender;
	const char *since;		/* start of the period covered */
	const struct notice_msg *msgs;
	size_t nmsgs;			/* 1 .. NOTICE_RCPT_MAX */
};

/* A rendered notice; each buf is bounded (notice_out_init). */
struct notice_out {
	struct buf subject;		/* one line, no CR/LF */
	struct buf text;		/* text/plain body, LF line ends */
	struct buf html;		/* text/html body, when NOTICE_HTML */
};

/* One recipient's explanation alone, e.g. for a webhook's JSON fields. */
struct notice_explanation {
	struct buf title;	/* the reason's short label */
	struct buf what;	/* what happened */
	struct buf next_step;	/* what to do next */
	struct buf who_acts;	/* who must act, in words */
};

struct notice_templates;

/* notice_templates_locale - the locale t was loaded for ("en", "de") */
const char *notice_templates_locale(const struct notice_templates *t);

/*
 * notice_load - read and check all templates of locale under dir.  On
 * error returns -1 with "file:line: what is wrong" in why.
 */
int notice_load(struct notice_templates **tp, const char *dir,
		const char *locale, struct buf *why);
/* notice_free - release a loaded set (NULL is fine) */
void notice_free(struct notice_templates *t);
/* notice_fallbacks - how many files came from "en"; *first names one */
size_t notice_fallbacks(const struct notice_templates *t,
			const char **first);

/* notice_out_init - empty, bounded output buffers */
void notice_out_init(struct notice_out *o);
/* notice_out_free - release them */
void notice_out_free(struct notice_out *o);

/*
 * notice_render - one message's notice for an audience.  Returns 0, or -1
 * with the reason in why (a reason without a block for this audience,
 * too many recipients, a body over NOTICE_BODY_MAX).
 */
int notice_render(const struct notice_templates *t,
		  enum notice_audience aud, const struct notice_msg *m,
		  int flags, struct notice_out *o, struct buf *why);
/* notice_render_digest - the same for a digest of several messages */
int notice_render_digest(const struct notice_templates *t,
			 enum notice_audience aud,
			 const struct notice_digest *d, int flags,
			 struct notice_out *o, struct buf *why);

/* notice_explanation_init - empty, bounded buffers */
void notice_explanation_init(struct notice_explanation *ex);
/* notice_explanation_free - release them */
void notice_explanation_free(struct notice_explanation *ex);
/*
 * notice_explain - the reason block of one recipient of a message of the
 * given kind, for an audience, as plain text (escaped and bounded like any
 * rendering).  Returns 0, or -1 with the reason in why.
 */
int notice_explain(const struct notice_templates *t,
		   enum notice_audience aud, enum notice_kind kind,
		   const struct notice_rcpt *r, struct notice_explanation *ex,
		   struct buf *why);

/* notice_kind_name - "bounced", "expired", ... */
const char *notice_kind_name(enum notice_kind k);
/* notice_audience_name - "sender" or "helpdesk" */
const char *notice_audience_name(enum notice_audience a);

#endif
