/*
 * callbacks.c - the libmilter callbacks: collect the facts of one message
 * and hand them to the writer at end of message.
 *
 * Owns the per-connection context (struct conn_ctx, connect to close)
 * and the per-message context (struct msg_ctx, MAIL to end of message or
 * abort).  Each has exactly one free function, called from every path
 * that ends it: close may be the only callback of a connection, abort
 * may come at any time, and one connection may carry many messages.
 * Guarantees: every callback returns SMFIS_CONTINUE (or no reply at all
 * where the MTA agreed to that), so mail is never delayed or refused by
 * bookkeeping; every value kept is bounded, and
 * header values are decoded to safe one-line UTF-8 before they are kept.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "escape.h"
#include "log.h"
#include "milter.h"
#include "rfc2047.h"
#include "xalloc.h"

/* Bounds on what one message may make us keep. */
#define ADDR_MAX	512		/* envelope address, bytes */
#define MSGID_MAX	998		/* one header line */
#define TEXT_MAX	1000		/* Subject and From, decoded UTF-8 */
#define SHORT_MAX	100		/* Auto-Submitted, Precedence */
#define LISTID_MAX	500
#define NOTIFY_MAX	64
#define HOST_MAX	256
#define RCPT_MAX	10000		/* recipients kept per message */

struct msg_ctx {
	char *sender;			/* NULL until MAIL */
	char *sasl_user;
	char *queue_id;
	char *message_id;
	char *subject;
	char *from_header;
	char *auto_submitted;
	char *precedence;
	char *list_id;
	struct store_milter_rcpt *rcpts;
	size_t nrcpts, cap;
	size_t rcpts_over;		/* beyond RCPT_MAX, not kept */
};

struct conn_ctx {
	char *client_name;
	char *client_addr;
	char *daemon_name;
	bool local_submission;		/* cleanup's emulated connect */
	bool trusted;			/* client in trusted_networks */
	unsigned long noreply;		/* SMFIP_NR_* agreed with the MTA */
	struct msg_ctx *msg;		/* the open message, or NULL */
};

/*
 * Steps we ask the MTA to skip, and steps it need not wait for our reply
 * to: we never act on any of them, so only end of message costs the MTA
 * a round trip.
 */
#define WANT_SKIP	(SMFIP_NOHELO | SMFIP_NOBODY | SMFIP_NODATA | \
			 SMFIP_NOUNKNOWN)
#define WANT_NOREPLY	(SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | \
			 SMFIP_NR_HDR | SMFIP_NR_EOH)

static const struct milter_conf *conf;

void
milter_callbacks_init(const struct milter_conf *c)
{
	conf = c;
}

/* safe_dup - a bounded, control-free UTF-8 copy of untrusted text */
static char *
safe_dup(const char *s, size_t max)
{
	struct buf b;
	char *r;

	buf_init(&b, max);
	escape_text(&b, span_make(s, strlen(s)));
	r = xstrdup(buf_str(&b));
	buf_free(&b);
	return r;
}

/* header_dup - a header value unfolded, RFC 2047 decoded, bounded, trimmed */
static char *
header_dup(const char *value, size_t max, bool decode)
{
	struct buf b;
	const char *p, *e;
	char *r;

	buf_init(&b, max);
	if (decode)
		rfc2047_decode(&b, span_make(value, strlen(value)));
	else
		escape_text(&b, span_make(value, strlen(value)));
	for (p = buf_str(&b); *p == ' '; p++)
		;
	for (e = p + strlen(p); e > p && e[-1] == ' '; e--)
		;
	r = xstrndup(p, (size_t)(e - p));
	buf_free(&b);
	return r;
}

/* addr_dup - an envelope address without its angle brackets */
static char *
addr_dup(const char *a)
{
	size_t len;

	while (*a == ' ')
		a++;
	len = strlen(a);
	if (len >= 2 && a[0] == '<' && a[len - 1] == '>') {
		char *inner = xstrndup(a + 1, len - 2), *r;

		r = safe_dup(inner, ADDR_MAX);
		free(inner);
		return r;
	}
	return safe_dup(a, ADDR_MAX);
}

/* msg_free - the one way a message context ends */
static void
msg_free(struct msg_ctx *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->sender);
	free(m->sasl_user);
	free(m->queue_id);
	free(m->message_id);
	free(m->subject);
	free(m->from_header);
	free(m->auto_submitted);
	free(m->precedence);
	free(m->list_id);
	for (i = 0; i < m->nrcpts; i++) {
		free(m->rcpts[i].address);
		free(m->rcpts[i].notify);
	}
	free(m->rcpts);
	free(m);
}

/* conn_free - the one way a connection context ends */
static void
conn_free(struct conn_ctx *c)
{
	if (c == NULL)
		return;
	msg_free(c->msg);
	free(c->client_name);
	free(c->client_addr);
	free(c->daemon_name);
	free(c);
}

/* macro_dup - a macro's value, made safe, or NULL when absent or empty */
static char *
macro_dup(SMFICTX *ctx, const char *name, size_t max)
{
	const char *v = smfi_getsymval(ctx, (char *)name);

	return v && *v ? safe_dup(v, max) : NULL;
}

/* reply - CONTINUE, or no reply at all when the MTA agreed to that */
static sfsistat
reply(const struct conn_ctx *c, unsigned long step)
{
	return c && (c->noreply & step) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* mlfi_negotiate - skip unused steps, drop replies; starts the context */
static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
	       unsigned long f2, unsigned long f3, unsigned long *pf0,
	       unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct conn_ctx *c = xcalloc(1, sizeof(*c));

	(void)f0;
	(void)f2;
	(void)f3;
	conn_free(smfi_getpriv(ctx));	/* never set here; defensive */
	*pf0 = 0;			/* we never modify a message */
	*pf1 = f1 & (WANT_SKIP | WANT_NOREPLY);
	*pf2 = 0;
	*pf3 = 0;
	c->noreply = *pf1 & WANT_NOREPLY;
	smfi_setpriv(ctx, c);
	return SMFIS_CONTINUE;
}

/* mlfi_connect - remember who connected and how */
static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct conn_ctx *c = smfi_getpriv(ctx);
	char addr[INET6_ADDRSTRLEN] = "";
	unsigned port = 1;

	if (c == NULL)			/* an MTA that did not negotiate */
		c = xcalloc(1, sizeof(*c));
	c->client_name = safe_dup(hostname ? hostname : "", HOST_MAX);
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		port = ntohs(sin->sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6->sin6_port);
	}
	c->client_addr = *addr ? xstrdup(addr) : NULL;
	c->daemon_name = macro_dup(ctx, "{daemon_name}", HOST_MAX);
	/*
	 * Postfix's cleanup(8) runs non_smtpd_milters for sendmail/pickup
	 * mail with an emulated connect from "localhost" 127.0.0.1 and
	 * client port 0.  A real SMTP client never has source port 0.
	 */
	c->local_submission = sa && sa->sa_family == AF_INET && port == 0 &&
			      strcmp(addr, "127.0.0.1") == 0 &&
			      strcmp(c->client_name, "localhost") == 0;
	c->trusted = netaddr_match_sa(&conf->trusted, sa);
	smfi_setpriv(ctx, c);
	return reply(c, SMFIP_NR_CONN);
}

/* mlfi_envfrom - a new message: envelope sender and the SASL login */
static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn_ctx *c = smfi_getpriv(ctx);
	struct msg_ctx *m;
	const char *v;

	if (c == NULL)
		return SMFIS_CONTINUE;	/* no context: nothing negotiated */
	msg_free(c->msg);		/* a message without abort; defensive */
	c->msg = m = xcalloc(1, sizeof(*m));
	if ((v = smfi_getsymval(ctx, "{mail_addr}")) != NULL)
		m->sender = safe_dup(v, ADDR_MAX);
	else
		m->sender = addr_dup(argv && argv[0] ? argv[0] : "");
	m->sasl_user = macro_dup(ctx, "{auth_authen}", ADDR_MAX);
	return reply(c, SMFIP_NR_MAIL);
}

/* notify_param - the NOTIFY= value among ESMTP RCPT parameters */
static char *
notify_param(char **argv)
{
	size_t i;

	for (i = 1; argv && argv[0] && argv[i]; i++)
		if (strncasecmp(argv[i], "NOTIFY=", 7) == 0)
			return safe_dup(argv[i] + 7, NOTIFY_MAX);
	return NULL;
}

/* mlfi_envrcpt - one accepted recipient (rejected ones never come) */
static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn_ctx *c = smfi_getpriv(ctx);
	struct msg_ctx *m = c ? c->msg : NULL;
	const char *v;
	struct store_milter_rcpt *r;

	if (m == NULL)
		return reply(c, SMFIP_NR_RCPT);
	if (m->nrcpts == RCPT_MAX) {
		m->rcpts_over++;
		return reply(c, SMFIP_NR_RCPT);
	}
	if (m->nrcpts == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 4;
		if (m->cap > RCPT_MAX)
			m->cap = RCPT_MAX;
		m->rcpts = xrealloc(m->rcpts, m->cap * sizeof(*m->rcpts));
	}
	r = &m->rcpts[m->nrcpts++];
	if ((v = smfi_getsymval(ctx, "{rcpt_addr}")) != NULL)
		r->address = safe_dup(v, ADDR_MAX);
	else
		r->address = addr_dup(argv && argv[0] ? argv[0] : "");
	r->notify = notify_param(argv);
	return reply(c, SMFIP_NR_RCPT);
}

/* keep_first - set *field from value unless an earlier header set it */
static void
keep_first(char **field, const char *value, size_t max, bool decode)
{
	if (*field == NULL)
		*field = header_dup(value, max, decode);
}

/* mlfi_header - the headers we report; the first of each counts */
static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn_ctx *c = smfi_getpriv(ctx);
	struct msg_ctx *m = c ? c->msg : NULL;

	if (m == NULL || name == NULL || value == NULL)
		return reply(c, SMFIP_NR_HDR);
	if (strcasecmp(name, "Message-ID") == 0)
		keep_first(&m->message_id, value, MSGID_MAX, false);
	else if (strcasecmp(name, "Subject") == 0)
		keep_first(&m->subject, value, TEXT_MAX, true);
	else if (strcasecmp(name, "From") == 0)
		keep_first(&m->from_header, value, TEXT_MAX, true);
	else if (strcasecmp(name, "Auto-Submitted") == 0)
		keep_first(&m->auto_submitted, value, SHORT_MAX, false);
	else if (strcasecmp(name, "Precedence") == 0)
		keep_first(&m->precedence, value, SHORT_MAX, false);
	else if (strcasecmp(name, "List-Id") == 0)
		keep_first(&m->list_id, value, LISTID_MAX, true);
	return reply(c, SMFIP_NR_HDR);
}

/* read_queue_id - {i}, which Postfix defines by end of headers */
static void
read_queue_id(SMFICTX *ctx, struct msg_ctx *m)
{
	if (m->queue_id == NULL)
		m->queue_id = macro_dup(ctx, "i", 64);
}

/* mlfi_eoh - the queue ID is known from here on */
static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct conn_ctx *c = smfi_getpriv(ctx);

	if (c && c->msg)
		read_queue_id(ctx, c->msg);
	return reply(c, SMFIP_NR_EOH);
}

/* submission - how the message came in, strongest evidence first */
static const char *
submission(const struct conn_ctx *c, const struct msg_ctx *m)
{
	if (m->sasl_user)
		return STORE_SUBMIT_AUTHENTICATED;
	if (c->local_submission)
		return STORE_SUBMIT_LOCAL;
	if (c->trusted)
		return STORE_SUBMIT_TRUSTED;
	return STORE_SUBMIT_INBOUND;
}

/* mlfi_eom - the message is accepted: hand its record to the writer */
static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	static pthread_mutex_t warn_lock = PTHREAD_MUTEX_INITIALIZER;
	static time_t last_warn;
	struct conn_ctx *c = smfi_getpriv(ctx);
	struct msg_ctx *m = c ? c->msg : NULL;
	struct store_milter_record *r;
	time_t now = time(NULL);

	if (m == NULL)
		return SMFIS_CONTINUE;
	read_queue_id(ctx, m);
	if (m->queue_id == NULL) {
		pthread_mutex_lock(&warn_lock);
		if (now - last_warn >= 60) {
			log_warn("message without queue ID: Postfix did not send"
				 " the {i} macro (check milter_*_macros)");
			last_warn = now;
		}
		pthread_mutex_unlock(&warn_lock);
		msg_free(m);
		c->msg = NULL;
		return SMFIS_CONTINUE;
	}
	if (m->rcpts_over > 0)
		log_warn("%s: %zu recipient(s) beyond %d not recorded",
			 m->queue_id, m->rcpts_over, RCPT_MAX);
	r = xcalloc(1, sizeof(*r));
	r->instance = xstrdup(conf->instance);
	r->recorded_at = (int64_t)now;
	r->submission = submission(c, m);
	/* move the message's strings into the record */
	r->queue_id = m->queue_id;
	r->sender = m->sender;
	r->sasl_user = m->sasl_user;
	r->message_id = m->message_id;
	r->subject = m->subject;
	r->from_header = m->from_header;
	r->auto_submitted = m->auto_submitted;
	r->precedence = m->precedence;
	r->list_id = m->list_id;
	r->rcpts = m->rcpts;
	r->nrcpts = m->nrcpts;
	r->client_name = c->client_name ? xstrdup(c->client_name) : NULL;
	r->client_addr = c->client_addr ? xstrdup(c->client_addr) : NULL;
	r->daemon_name = c->daemon_name ? xstrdup(c->daemon_name) : NULL;
	memset(m, 0, sizeof(*m));
	msg_free(m);
	c->msg = NULL;
	writer_submit(r);
	return SMFIS_CONTINUE;
}

/* mlfi_abort - the message ends without being accepted */
static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct conn_ctx *c = smfi_getpriv(ctx);

	if (c) {
		msg_free(c->msg);
		c->msg = NULL;
	}
	return SMFIS_CONTINUE;
}

/* mlfi_close - the connection ends; may be the only callback */
static sfsistat
mlfi_close(SMFICTX *ctx)
{
	conn_free(smfi_getpriv(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = "plainbounce",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = 0,		/* we never modify a message */
	.xxfi_connect = mlfi_connect,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_negotiate = mlfi_negotiate,
};
