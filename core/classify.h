/*
 * classify.h - why did a delivery fail: one reply in, one reason out.
 *
 * A classifier is built once from rules files (config/classify.rules,
 * shipped, plus an optional site file whose rules win) and is then
 * read-only: classify_reply() may be called from any number of threads
 * at once, allocates nothing and reads no clock or file.
 *
 * Decision order: site rules, provider rules, phrase rules (all three
 * from the rules files, first match wins), the enhanced status code
 * table (dsncode.h), the [code] rules on the basic reply code, unknown.
 * An expired recipient is delivery_expired; the same steps applied to
 * its last deferral text give last_reason.
 */
#ifndef PB_CLASSIFY_H
#define PB_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "reason.h"
#include "span.h"

/* The delivery status the reply came with. */
enum classify_status {
	CLS_STATUS_NONE = 0,	/* not known */
	CLS_STATUS_SENT,
	CLS_STATUS_DEFERRED,
	CLS_STATUS_BOUNCED,
	CLS_STATUS_EXPIRED,	/* Postfix gave up: text is the last deferral */
	CLS_STATUS_COUNT
};

/* The SMTP stage a reply answered. */
enum classify_stage {
	CLS_STAGE_NONE = 0,	/* not known: read "(in reply to ...)" */
	CLS_STAGE_CONN,		/* greeting, "refused to talk to me" */
	CLS_STAGE_HELO,		/* HELO / EHLO */
	CLS_STAGE_STARTTLS,
	CLS_STAGE_AUTH,
	CLS_STAGE_MAIL,		/* MAIL FROM */
	CLS_STAGE_RCPT,		/* RCPT TO */
	CLS_STAGE_DATA,		/* DATA, end of DATA, BDAT: after content */
	CLS_STAGE_OTHER,	/* QUIT, RSET, ... */
	CLS_STAGE_COUNT
};

/* Which step decided. */
enum classify_via {
	CLS_VIA_NONE = 0,	/* nothing matched: unknown */
	CLS_VIA_SITE,		/* a site rule */
	CLS_VIA_PROVIDER,	/* a provider rule */
	CLS_VIA_PHRASE,		/* a phrase rule */
	CLS_VIA_DSN,		/* the enhanced status code table */
	CLS_VIA_CODE,		/* a [code] rule on the basic reply code */
	CLS_VIA_COUNT
};

struct classify_input {
	enum classify_status status;
	struct span dsn;	/* "5.1.1"; empty: look for one in text */
	unsigned smtp_code;	/* 550; 0: read it from the text */
	struct span text;	/* remote reply or Postfix's own text */
	enum classify_stage stage;
	bool postfix_text;	/* text is Postfix's own, not a remote reply */
	int relay_reached;	/* 1 yes, 0 no (relay=none), -1 unknown */
	int64_t tried_for;	/* seconds Postfix kept trying; -1 unknown */
};

struct classify_result {
	enum reason reason;
	enum reason last_reason;/* expired: reason of the last deferral;
				 * otherwise the same as reason */
	enum actor actor;	/* who must act */
	bool retry;		/* will retrying (later) help without a fix */
	bool permanent;		/* the failure is 5xx-final, not transient */
	int64_t retry_after;	/* seconds the reply asks to wait; -1 none */
	int64_t tried_for;	/* copied from the input for expired; else -1 */
	const char *provider;	/* blocklist or provider named, or NULL */
	enum classify_via via;
	int rule;		/* index of the deciding rule, or -1 */
	enum classify_stage stage;	/* the stage used (input or text) */
	unsigned smtp_code;	/* the code used (input or text), 0 none */
	char dsn[12];		/* the enhanced code used, "" none */
};

struct classifier;

/*
 * classify_load - build a classifier from the shipped rules file (must be
 * readable) and an optional site rules file (NULL or "" for none).  On
 * error returns NULL with "file:line: what is wrong" in why.
 */
struct classifier *classify_load(const char *rules_path,
				 const char *site_path, struct buf *why);

/*
 * classify_load_text - the same from texts in memory (tests, fuzzing);
 * names are used in error messages and rule ids.
 */
struct classifier *classify_load_text(const char *name, const char *text,
				      const char *site_name,
				      const char *site_text, struct buf *why);

/* classify_free - release a classifier (NULL is fine) */
void classify_free(struct classifier *c);

/* classify_input_init - an input with everything unknown */
void classify_input_init(struct classify_input *in);

struct logline;

/*
 * classify_input_from_logline - the input for a parsed delivery line
 * (status, dsn, reply code and text, stage, relay).  tried_for is left
 * unknown: the caller knows when the message arrived.
 */
void classify_input_from_logline(struct classify_input *in,
				 const struct logline *ll);

struct corr_attempt;

/*
 * classify_input_from_attempt - the reply, code, stage and relay of one
 * delivery attempt the correlator kept (a "host H said: ..." reply is the
 * remote's words; any other text is Postfix's own).  Status and tried_for
 * are the caller's: it knows the recipient's state and the arrival.
 * Spans point into the attempt, valid while the message lives.
 */
void classify_input_from_attempt(struct classify_input *in,
				 const struct corr_attempt *a);

/* classify_reply - classify one reply; never fails, never allocates */
void classify_reply(const struct classifier *c,
		    const struct classify_input *in,
		    struct classify_result *out);

/*
 * classify_matching_rules - every rule whose phrases and conditions fit
 * the input, in decision order (the first is the one classify_reply
 * uses, unless the status code table decides before it); at most max
 * indexes are written to rules.  For explaining and for evaluation.
 */
size_t classify_matching_rules(const struct classifier *c,
			       const struct classify_input *in, int *rules,
			       size_t max);

/* classify_rule_count - how many rules (site + shipped) were loaded */
size_t classify_rule_count(const struct classifier *c);

/*
 * classify_index_size - bytes of the phrase automaton (transition table
 * and output lists); its states and byte classes into *states and
 * *classes where not NULL
 */
size_t classify_index_size(const struct classifier *c, size_t *states,
			   size_t *classes);

/* classify_rule_where - "classify.rules:42" for a rule index, or NULL */
const char *classify_rule_where(const struct classifier *c, int rule);

/* classify_sentence - one plain English sentence explaining a reason */
const char *classify_sentence(enum reason r);

/* classify_reason_actor - who must act on a reason by default */
enum actor classify_reason_actor(enum reason r);

/* Names of the enums, for output and for parsing options. */
const char *classify_status_name(enum classify_status s);
bool classify_status_from_name(const char *s, size_t len,
			       enum classify_status *out);
const char *classify_stage_name(enum classify_stage s);
bool classify_stage_from_name(const char *s, size_t len,
			      enum classify_stage *out);
const char *classify_via_name(enum classify_via v);

/*
 * classify_retry_after - the wait a reply asks for ("try again in 5
 * minutes", "retry after 300 seconds"): seconds, or -1.  Exposed for
 * tests; classify_reply fills retry_after with it.
 */
int64_t classify_retry_after(const char *text, size_t len);

#endif
