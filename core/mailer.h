/*
 * mailer.h - submit one notice message by SMTP to the configured relay.
 *
 * Owns the SMTP side of an email notice, through libcurl: one connection
 * per message to the relay (by default the local Postfix), a loop-safe
 * envelope sender (the null sender "<>" unless a configured address whose
 * bounces are discarded is given), exactly one recipient.  Guarantees:
 * the envelope addresses are checked with mailmsg_addr_valid() before
 * anything is sent, so no CR or LF reaches an SMTP command; the message
 * must already be CRLF-only (mailmsg_build makes it so) and libcurl
 * dot-stuffs it; TLS, when used (smtps:// or starttls), always verifies
 * the peer; timeouts always apply.  4xx replies retry, 5xx are dead
 * letter (retry_smtp_class).
 */
#ifndef PB_MAILER_H
#define PB_MAILER_H

#include <stddef.h>

#include "retry.h"

#define MAILER_DEF_CONNECT_MS	5000
#define MAILER_DEF_TIMEOUT_MS	60000
#define MAILER_ERR_SIZE		256

struct mailer_conf {
	const char *relay_url;	/* "smtp://127.0.0.1:25/helo.name", smtps:// */
	const char *envelope_from; /* "" or NULL: the null sender <> */
	const char *ca_file;	/* NULL: the system's CA store */
	int starttls;		/* require STARTTLS on smtp:// */
	long connect_timeout_ms;
	long timeout_ms;
};

struct mailer_result {
	int curl_code;		/* CURLcode */
	long smtp_code;		/* last SMTP reply code, 0 when none */
	enum retry_class cls;	/* retry_smtp_class() of the above */
	char error[MAILER_ERR_SIZE]; /* libcurl's words, or "" */
};

/* mailer_conf_default - timeouts at their defaults, null sender */
void mailer_conf_default(struct mailer_conf *c);

/*
 * mailer_send - submit msg (len bytes, CRLF lines) for rcpt.  Returns 0
 * when a result was obtained (see r->cls), -1 when nothing was attempted
 * because an address or the relay URL is invalid (reason in r->error).
 */
int mailer_send(const struct mailer_conf *c, const char *rcpt,
		const char *msg, size_t len, struct mailer_result *r);

#endif
