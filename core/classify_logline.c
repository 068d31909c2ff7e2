/*
 * classify_logline.c - fill a classifier input from a parsed Postfix log
 * line (logline.h), so the watcher can classify what it parses.
 *
 * Also from one attempt the correlator kept (corr.h), so trace and the
 * watcher classify a recipient's story the same way.
 *
 * Only reads struct fields; it calls no parser or correlator function,
 * so the classifier depends on neither at link time.  Spans point into
 * the log line or the attempt: the input is valid as long as they are.
 */
#include <string.h>

#include "classify.h"
#include "corr.h"
#include "logline.h"

/* stage_of - the classifier's stage for the command a reply answered */
static enum classify_stage
stage_of(enum logline_command cmd)
{
	switch (cmd) {
	case LL_CMD_CONNECT:
		return CLS_STAGE_CONN;
	case LL_CMD_HELO:
		return CLS_STAGE_HELO;
	case LL_CMD_STARTTLS:
		return CLS_STAGE_STARTTLS;
	case LL_CMD_AUTH:
		return CLS_STAGE_AUTH;
	case LL_CMD_MAIL:
		return CLS_STAGE_MAIL;
	case LL_CMD_RCPT:
		return CLS_STAGE_RCPT;
	case LL_CMD_DATA:
	case LL_CMD_END_OF_DATA:
	case LL_CMD_BDAT:
		return CLS_STAGE_DATA;
	case LL_CMD_QUIT:
	case LL_CMD_RSET:
	case LL_CMD_OTHER:
		return CLS_STAGE_OTHER;
	case LL_CMD_NONE:
		break;
	}
	return CLS_STAGE_NONE;
}

void
classify_input_from_logline(struct classify_input *in,
			    const struct logline *ll)
{
	classify_input_init(in);
	switch (ll->status) {
	case LL_STATUS_SENT:
	case LL_STATUS_DELIVERABLE:
		in->status = CLS_STATUS_SENT;
		break;
	case LL_STATUS_DEFERRED:
		in->status = CLS_STATUS_DEFERRED;
		break;
	case LL_STATUS_BOUNCED:
	case LL_STATUS_UNDELIVERABLE:
		in->status = CLS_STATUS_BOUNCED;
		break;
	case LL_STATUS_EXPIRED:
	case LL_STATUS_FORCE_EXPIRED:
		in->status = CLS_STATUS_EXPIRED;
		break;
	case LL_STATUS_NONE:
	case LL_STATUS_OTHER:
		break;
	}
	in->dsn = ll->reply.dsn.len ? ll->reply.dsn : ll->dsn;
	in->smtp_code = ll->reply.smtp_code;
	in->text = ll->reply.text;
	in->stage = stage_of(ll->reply.command);
	if (ll->reply.own == LL_OWN_REFUSED_TO_TALK)
		in->stage = CLS_STAGE_CONN;
	in->postfix_text = ll->reply.own != LL_OWN_NONE &&
	    ll->reply.own != LL_OWN_REFUSED_TO_TALK;
	if (span_present(ll->relay))
		in->relay_reached = !span_eq(ll->relay, "none");
}

void
classify_input_from_attempt(struct classify_input *in,
			    const struct corr_attempt *a)
{
	const char *said;

	in->dsn = span_make(a->dsn, strlen(a->dsn));
	in->smtp_code = a->smtp_code;
	in->stage = stage_of(a->command);
	said = strstr(a->reply, " said: ");
	if (strncmp(a->reply, "host ", 5) == 0 && said != NULL) {
		said += 7;
		in->text = span_make(said, strlen(said));
	} else {
		in->text = span_make(a->reply, strlen(a->reply));
		in->postfix_text = true;
	}
	if (a->relay != NULL)
		in->relay_reached = strcmp(a->relay, "none") != 0;
}
