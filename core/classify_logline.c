/*
 * classify_logline.c - fill a classifier input from a parsed Postfix log
 * line (logline.h), so the watcher can classify what it parses.
 *
 * Only reads struct fields; it calls no parser function, so the
 * classifier does not depend on the parser at link time.  Spans point
 * into the log line: the input is valid as long as the line's buffer.
 */
#include "classify.h"
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
