/*
 * explain.c - the meaning of every field of a Postfix log line.
 *
 * Owns the words: what each daemon does in the mail flow, what each
 * key=value field is, what a status, an SMTP code, an enhanced status code
 * and Postfix's own failure texts mean.  Pure: reads a struct logline,
 * writes into the caller's struct explain, never allocates, never reads
 * the clock.  Meanings are built from constant text and numbers only;
 * bytes of the line reach the output solely through field and value spans,
 * which the caller escapes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dsncode.h"
#include "explain.h"

/* A word table: name -> meaning. */
struct words {
	const char *name;
	const char *meaning;
};

static const struct words daemons[] = {
	{ "smtpd", "Postfix's SMTP server: receiving mail from a client "
	  "(another server or a user's mail program)" },
	{ "postscreen", "the connection screener in front of smtpd: "
	  "tests clients for spam-bot behaviour before they may talk" },
	{ "dnsblog", "DNS blocklist lookups on behalf of postscreen" },
	{ "tlsproxy", "TLS for postscreen's connections" },
	{ "pickup", "picking up mail submitted on this machine with the "
	  "sendmail command" },
	{ "cleanup", "preparing the message for the queue: headers, "
	  "address rewriting, milters, Message-ID" },
	{ "qmgr", "the queue manager: takes messages into the active queue "
	  "and schedules their deliveries" },
	{ "smtp", "Postfix's SMTP client: delivering to a remote mail server" },
	{ "lmtp", "delivering by LMTP, usually to a mailbox server such as "
	  "Dovecot" },
	{ "local", "delivering on this machine: a mailbox, an alias, a "
	  ".forward file or a command" },
	{ "virtual", "delivering into a virtual mailbox on this machine" },
	{ "pipe", "handing the message to an external program" },
	{ "error", "failing a delivery on purpose: the error transport, or "
	  "a destination that is currently unreachable" },
	{ "retry", "deferring a delivery on purpose (the retry transport)" },
	{ "discard", "throwing the message away on purpose, reporting it as "
	  "delivered" },
	{ "bounce", "writing a notification to the sender (bounce, delay "
	  "warning or delivery report)" },
	{ "defer", "recording why a delivery was deferred, for a later "
	  "notification" },
	{ "trace", "recording a delivery for a report the sender asked for" },
	{ "verify", "address verification: probes whether an address would "
	  "be accepted" },
	{ "postsuper", "the administrator's queue tool (delete, hold, "
	  "expire, requeue)" },
	{ "postqueue", "the queue listing and flush command" },
	{ "sendmail", "the sendmail command a program used to submit mail" },
	{ "postdrop", "placing locally submitted mail into the maildrop "
	  "directory" },
	{ "master", "the master process that starts all other Postfix "
	  "processes" },
	{ "anvil", "counting client connections and rates" },
	{ "scache", "keeping SMTP connections open for reuse" },
	{ "tlsmgr", "TLS session cache and random numbers" },
	{ "proxymap", "shared lookup tables for other processes" },
	{ "postlog", "writing Postfix's own log file (maillog_file)" },
	{ "postfix-script", "the postfix start/stop command" },
	{ "postmap", "building lookup tables" },
	{ "trivial-rewrite", "resolving and rewriting addresses: decides "
	  "which transport and next hop a recipient gets" },
	{ "oqmgr", "the old queue manager: takes messages into the active "
	  "queue and schedules their deliveries" },
	{ "spawn", "running an external program as a service" },
	{ "qmqpd", "receiving mail by QMQP" },
	{ "smtp-sink", "a test SMTP server that accepts and discards mail" },
	{ "showq", "listing the queue for mailq" },
	{ "flush", "the fast-flush service (ETRN)" },
	{ NULL, NULL }
};

static const struct words keys[] = {
	{ "to", "the recipient this line is about, after alias and "
	  "virtual rewriting" },
	{ "orig_to", "the recipient as the sender wrote it, before "
	  "rewriting" },
	{ "from", "the envelope sender (MAIL FROM): where bounces go; <> is "
	  "the empty sender used by bounces themselves" },
	{ "size", "the message size in bytes as queued" },
	{ "nrcpt", "how many recipients the message has" },
	{ "message-id", "the Message-ID header: the same on every server "
	  "the message passes, unlike the queue ID" },
	{ "resent-message-id", "the Resent-Message-ID header of a "
	  "forwarded message" },
	{ "client", "the machine that handed the message to this server: "
	  "name[IP address]; \"unknown\" means it has no reverse DNS "
	  "name" },
	{ "orig_client", "the original client, passed on by a content "
	  "filter (XFORWARD)" },
	{ "orig_queue_id", "the message's queue ID before a content "
	  "filter re-injected it" },
	{ "sasl_method", "how the client logged in (SMTP AUTH mechanism)" },
	{ "sasl_username", "the account the client logged in as: the "
	  "sender of this message is one of our users" },
	{ "sasl_sender", "the sender address given in MAIL FROM AUTH=" },
	{ "uid", "the Unix user ID that submitted the message on this "
	  "machine" },
	{ "proto", "the protocol the client spoke: SMTP or ESMTP (extended "
	  "SMTP)" },
	{ "helo", "the name the client introduced itself with in "
	  "HELO/EHLO" },
	{ "conn_use", "this connection was reused: the number is how many "
	  "deliveries it has carried" },
	{ "delay", NULL },	/* computed */
	{ "delays", "time spent in each phase of delivery, in seconds: "
	  "a/b/c/d" },
	{ "dsn", NULL },	/* computed */
	{ "status", NULL },	/* computed */
	{ "relay", NULL },	/* computed */
	{ "tls", "the TLS protection of the connection" },
	{ "filter", "the content filter the message was sent through" },
	{ "header", "the message header a header check looked at" },
	{ "queued_as", "the queue ID the next hop gave the message" },
	{ NULL, NULL }
};

/* SMTP command counters of smtpd's "disconnect from" line */
static const struct words smtp_commands[] = {
	{ "helo", "HELO greetings" },
	{ "ehlo", "EHLO greetings" },
	{ "starttls", "STARTTLS commands (switch to encryption)" },
	{ "auth", "AUTH commands (login attempts)" },
	{ "mail", "MAIL FROM commands (one per message)" },
	{ "rcpt", "RCPT TO commands (one per recipient)" },
	{ "data", "DATA commands (message transfers)" },
	{ "bdat", "BDAT commands (message transfers in chunks)" },
	{ "rset", "RSET commands (transaction resets)" },
	{ "noop", "NOOP commands" },
	{ "vrfy", "VRFY commands (address probes)" },
	{ "etrn", "ETRN commands (queue flush requests)" },
	{ "quit", "QUIT commands (a polite goodbye)" },
	{ "unknown", "commands the server did not recognise" },
	{ "commands", "commands in all" },
	{ NULL, NULL }
};

static const char *const phase_words[4] = {
	"before the queue manager: receiving the message and waiting in "
	"the incoming queue",
	"in the queue manager: waiting for a delivery agent (a long b means "
	"a busy queue or a concurrency limit)",
	"setting up the connection: DNS lookups, connecting, greeting, "
	"EHLO and the TLS handshake",
	"transmitting the message to the next hop",
};

/* span_lit - a span over a constant string */
static struct span
span_lit(const char *s)
{
	return span_make(s, strlen(s));
}

/* words_find - the meaning for a name in a word table, or NULL */
static const struct words *
words_find(const struct words *w, struct span name)
{
	for (; w->name; w++)
		if (span_eq(name, w->name))
			return w;
	return NULL;
}

/* vtext - format words into ex->text; a span over them (empty if full) */
__attribute__((format(printf, 2, 0)))
static struct span
vtext(struct explain *ex, const char *fmt, va_list ap)
{
	size_t room = sizeof(ex->text) - ex->used;
	int n;
	struct span s;

	if (room <= 1) {
		ex->truncated = true;
		return SPAN_NULL;
	}
	n = vsnprintf(ex->text + ex->used, room, fmt, ap);
	if (n < 0) {
		return SPAN_NULL;
	}
	if ((size_t)n >= room) {
		ex->truncated = true;
		n = (int)room - 1;
	}
	s = span_make(ex->text + ex->used, (size_t)n);
	ex->used += (size_t)n + 1;
	return s;
}

/* text - vtext with arguments */
__attribute__((format(printf, 2, 3)))
static struct span
text(struct explain *ex, const char *fmt, ...)
{
	va_list ap;
	struct span s;

	va_start(ap, fmt);
	s = vtext(ex, fmt, ap);
	va_end(ap);
	return s;
}

/* add - append one item; the meaning is formatted plainbounce text */
__attribute__((format(printf, 4, 5)))
static void
add(struct explain *ex, struct span field, struct span value,
    const char *fmt, ...)
{
	va_list ap;
	struct explain_item *it;

	if (ex->n >= EXPLAIN_MAX_ITEMS) {
		ex->truncated = true;
		return;
	}
	it = &ex->item[ex->n++];
	it->field = field;
	it->value = value;
	va_start(ap, fmt);
	it->meaning = vtext(ex, fmt, ap);
	va_end(ap);
}

/* span_number - a decimal number written in s, or -1 when it is none */
static double
span_number(struct span s)
{
	char tmp[32], *end;
	double v;

	if (s.len == 0 || s.len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s.p, s.len);
	tmp[s.len] = '\0';
	if (tmp[0] < '0' || tmp[0] > '9')
		return -1;
	v = strtod(tmp, &end);
	if (*end != '\0' || v < 0)
		return -1;
	return v;
}

/* human_duration - seconds as "4.2 seconds", "3 h 12 min", "2 days 4 h" */
static void
human_duration(char *out, size_t size, double secs)
{
	long s;

	if (secs < 60) {
		snprintf(out, size, "%.3g second%s", secs,
			 secs == 1 ? "" : "s");
		return;
	}
	s = (long)(secs + 0.5);
	if (s < 3600)
		snprintf(out, size, "%ld min %ld s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, size, "%ld h %ld min", s / 3600, s % 3600 / 60);
	else
		snprintf(out, size, "%ld day%s %ld h", s / 86400,
			 s / 86400 == 1 ? "" : "s", s % 86400 / 3600);
}

/* kind_words - what a kind of line is, in words */
static const char *
kind_words(enum logline_kind k)
{
	switch (k) {
	case LL_MALFORMED:
		return "not a log line plainbounce can read (no syslog "
		       "header, binary, or longer than 1 MiB)";
	case LL_NOT_POSTFIX:
		return "a log line from another program, not from Postfix";
	case LL_OTHER:
		return "a Postfix line that says nothing about one "
		       "message's delivery";
	case LL_CONNECT:
		return "a client opened a connection to this server";
	case LL_DISCONNECT:
		return "a client closed its connection; the counts are the "
		       "SMTP commands it sent";
	case LL_CLIENT:
		return "a message is being received from a client and got "
		       "its queue ID";
	case LL_PICKUP:
		return "a message submitted on this machine was picked up";
	case LL_MESSAGE_ID:
		return "the message's Message-ID header was recorded";
	case LL_QUEUED:
		return "the queue manager took the message in: sender, "
		       "size and number of recipients";
	case LL_DELIVERY:
		return "one delivery attempt for one recipient, and how it "
		       "ended";
	case LL_EXPIRED:
		return "Postfix gave up on the message after it stayed too "
		       "long in the queue";
	case LL_REMOVED:
		return "the message left the queue for good";
	case LL_NOTIFICATION:
		return "Postfix wrote a notification message (bounce, delay "
		       "warning or delivery report) about this message";
	case LL_REJECT:
		return "mail was refused while the client was still "
		       "connected: the client was told, and no bounce "
		       "message is sent by this server";
	case LL_ADMIN:
		return "an administrator acted on the queue";
	case LL_RESENT:
		return "the message is being forwarded (Resent- headers)";
	case LL_WARNING:
		return "a warning or error from Postfix itself";
	case LL_ATTEMPT:
		return "one step of a delivery attempt, logged before or "
		       "instead of the recipient's status line: what the "
		       "remote server said or how the connection failed";
	case LL_KIND_COUNT:
		break;
	}
	return "a line of a sort plainbounce does not know";
}

/* explain_head - timestamp, host, process, pid, severity, queue ID */
static void
explain_head(struct explain *ex, const struct logline *ll)
{
	const struct words *w;
	char when[64];
	struct tm tm;
	time_t t;

	if (span_present(ll->timestamp)) {
		t = (time_t)ll->time;
		if (ll->time != 0 && gmtime_r(&t, &tm) != NULL &&
		    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
			     &tm) > 0)
			add(ex, span_lit("timestamp"), ll->timestamp,
			    "when the line was written: %s%s", when,
			    ll->time_rfc3339 ? "" :
			    " (a BSD syslog stamp has no year or zone: "
			    "local time and a guessed year)");
		else
			add(ex, span_lit("timestamp"), ll->timestamp,
			    "when the line was written");
	}
	if (span_present(ll->host))
		add(ex, span_lit("host"), ll->host,
		    "the machine that wrote the line");
	if (!ex->is_postfix) {
		if (span_present(ll->syslog_name))
			add(ex, span_lit("process"), ll->syslog_name, "the "
			    "program that wrote the line: not Postfix, so "
			    "plainbounce reads no further");
		return;
	}
	if (span_present(ll->syslog_name)) {
		w = words_find(daemons, ll->daemon);
		if (w)
			add(ex, span_lit("process"), ll->syslog_name,
			    "%s", w->meaning);
		else
			add(ex, span_lit("process"), ll->syslog_name,
			    "a Postfix program plainbounce has no words "
			    "for");
		if (span_present(ll->instance) &&
		    !span_eq(ll->instance, "postfix"))
			add(ex, span_lit("instance"), ll->instance,
			    "the syslog_name of one Postfix instance of "
			    "several on this machine");
		if (span_present(ll->qualifier) && ll->qualifier.len > 0)
			add(ex, span_lit("service"), ll->qualifier,
			    "the service name in master.cf this process "
			    "runs under (e.g. submission on port 587)");
	}
	if (ll->pid >= 0 && span_present(ll->syslog_name))
		add(ex, span_lit("pid"), text(ex, "%ld", ll->pid),
		    "process ID: lines with the same process name and PID "
		    "come from one connection or one delivery process");
	if (span_present(ll->severity))
		add(ex, span_lit("severity"), ll->severity,
		    "Postfix reports a problem of its own, not a delivery "
		    "outcome");
	if (ll->noqueue)
		add(ex, span_lit("queue_id"), ll->queue_id,
		    "no queue ID: the message was never accepted into the "
		    "queue, so no later line will mention it");
	else if (span_present(ll->queue_id))
		add(ex, span_lit("queue_id"), ll->queue_id,
		    "Postfix's handle for this message on this server; "
		    "every line about the message carries it (%s)",
		    ll->queue_id.len >= 12 ?
		    "a long queue ID, unique over time" :
		    "a short queue ID, reused after the message is gone");
}

/* explain_relay - relay=: none, a transport, a socket, host[ip]:port */
static void
explain_relay(struct explain *ex, struct span field, struct span v)
{
	const char *lb = v.len ? memchr(v.p, '[', v.len) : NULL;

	if (span_eq(v, "none")) {
		add(ex, field, v, "no server was reached: the attempt "
		    "failed before a connection (DNS, connect, or a "
		    "destination known to be down)");
	} else if (lb == NULL) {
		add(ex, field, v, "delivered by the transport of this name "
		    "(local mailbox, virtual mailbox or a pipe command)");
	} else if (memchr(lb, '/', (size_t)(v.p + v.len - lb)) != NULL) {
		add(ex, field, v, "the server it talked to, through a "
		    "local socket: name[socket path]");
	} else {
		add(ex, field, v, "the server it talked to: host "
		    "name[IP address]:port");
	}
}

/* port_words - what a well-known TCP port of relay= says */
static const char *
port_words(struct span port)
{
	if (span_eq(port, "25"))
		return "the standard SMTP port between mail servers";
	if (span_eq(port, "587"))
		return "the submission port (mail from users' programs, "
		       "usually with login)";
	if (span_eq(port, "465"))
		return "SMTP inside TLS from the first byte (submissions)";
	if (span_eq(port, "24"))
		return "the LMTP port (a mailbox server)";
	if (span_eq(port, "10024") || span_eq(port, "10025") ||
	    span_eq(port, "10026"))
		return "a port usual for a content filter such as amavis "
		       "and its re-injection";
	return "a non-standard port: a relay, a filter or a local "
	       "service set up by the administrator";
}

/* explain_delay - total delay with a readable duration */
static void
explain_delay(struct explain *ex, struct span field, struct span v)
{
	double d = span_number(v);
	char h[64];

	if (d < 0) {
		add(ex, field, v, "total delay (not a number here)");
		return;
	}
	human_duration(h, sizeof(h), d);
	add(ex, field, v, "total time from when the message arrived to the "
	    "end of this attempt: %s", h);
}

/* explain_delays - a/b/c/d, each phase, and which one dominated */
static void
explain_delays(struct explain *ex, struct span field, struct span v)
{
	static const char *const names[4] = {
		"delays.a", "delays.b", "delays.c", "delays.d"
	};
	struct span part[4];
	double num[4];
	size_t i, np = 0, start = 0, k;
	int top = -1;
	char h[64];

	add(ex, field, v, "time spent in each phase of delivery, in "
	    "seconds: a/b/c/d");
	for (k = 0; k <= v.len && np < 4; k++) {
		if (k == v.len || v.p[k] == '/') {
			part[np++] = span_make(v.p + start, k - start);
			start = k + 1;
		}
	}
	if (np != 4 || start != v.len + 1)
		return;
	for (i = 0; i < 4; i++) {
		num[i] = span_number(part[i]);
		if (num[i] < 0)
			return;
	}
	for (i = 0; i < 4; i++) {
		human_duration(h, sizeof(h), num[i]);
		add(ex, span_lit(names[i]), part[i], "%s%s%s%s",
		    num[i] >= 60 ? "(" : "", num[i] >= 60 ? h : "",
		    num[i] >= 60 ? ") " : "", phase_words[i]);
		if (top < 0 || num[i] > num[top])
			top = (int)i;
	}
	if (num[top] < 0.01)
		add(ex, span_lit("delays.dominant"), span_lit("none"),
		    "every phase took less than 10 ms");
	else
		add(ex, span_lit("delays.dominant"),
		    span_lit(names[top] + 7), "most of the time was spent %s%s",
		    phase_words[top], num[0] + num[1] + num[2] + num[3] < 1 ?
		    " (though all of it took under a second)" : "");
}


/* dsn_part - the n-th dot-separated part of a valid "C.S.D" code */
static struct span
dsn_part(struct span v, int n)
{
	size_t i, start = 0;
	int part = 0;

	for (i = 0; i <= v.len; i++) {
		if (i == v.len || v.p[i] == '.') {
			if (part == n)
				return span_make(v.p + start, i - start);
			part++;
			start = i + 1;
		}
	}
	return SPAN_NULL;
}

/* explain_dsn - an enhanced status code and its class, subject, detail */
static void
explain_dsn(struct explain *ex, struct span field, struct span v,
	    const char *const names[3], const char *lead)
{
	struct dsn d;
	const struct dsncode *e;
	const char *st, *sm;

	if (!dsncode_parse(v.p, v.len, &d)) {
		add(ex, field, v, "%s, but not a valid one (class.subject."
		    "detail, class 2, 4 or 5)", lead);
		return;
	}
	e = dsncode_get(d.subject, d.detail);
	add(ex, field, v, "%s (RFC 3463): class.subject.detail", lead);
	add(ex, span_lit(names[0]), dsn_part(v, 0), "%s. %s",
	    dsncode_class_title(d.cls), dsncode_class_meaning(d.cls));
	if (d.subject == 0 && d.detail == 0)
		return;		/* X.0.0 says nothing beyond its class */
	st = dsncode_subject_title(d.subject);
	sm = dsncode_subject_meaning(d.subject);
	add(ex, span_lit(names[1]), dsn_part(v, 1), "%s%s%s",
	    st ? st : "a subject code not in the registry", sm ? ". " : "",
	    sm ? sm : "");
	if (e)
		add(ex, span_lit(names[2]), dsn_part(v, 2), "%s. %s",
		    e->title, e->meaning);
	else
		add(ex, span_lit(names[2]), dsn_part(v, 2), "a detail code "
		    "not in the registry: only class and subject carry "
		    "meaning here");
}

static const char *const dsn_names[3] = {
	"dsn.class", "dsn.subject", "dsn.detail"
};
static const char *const reply_dsn_names[3] = {
	"reply.dsn.class", "reply.dsn.subject", "reply.dsn.detail"
};

/* status_words - the verdict of a status word */
static const char *
status_words(enum logline_status s)
{
	switch (s) {
	case LL_STATUS_SENT:
		return "delivered: the next server accepted responsibility "
		       "for the message (not proof that it reached the "
		       "inbox)";
	case LL_STATUS_DEFERRED:
		return "not delivered yet: a temporary failure; the message "
		       "stays in the queue and Postfix will retry (for up "
		       "to maximal_queue_lifetime, 5 days by default)";
	case LL_STATUS_BOUNCED:
		return "failed for good: Postfix gave up on this recipient, "
		       "and the sender will get a bounce (non-delivery "
		       "notification)";
	case LL_STATUS_EXPIRED:
		return "gave up: the message stayed in the queue longer "
		       "than allowed without being delivered, and is "
		       "returned to the sender";
	case LL_STATUS_FORCE_EXPIRED:
		return "gave up on an administrator's order (postsuper -e): "
		       "the message is returned to the sender";
	case LL_STATUS_UNDELIVERABLE:
		return "address verification probe: this address would be "
		       "refused (no real message was lost)";
	case LL_STATUS_DELIVERABLE:
		return "address verification probe: this address would be "
		       "accepted";
	case LL_STATUS_OTHER:
		return "a status word plainbounce does not know";
	case LL_STATUS_NONE:
		break;
	}
	return "no status";
}

/* smtp_code_words - what a three-digit SMTP reply code means */
static const char *
smtp_code_words(unsigned code)
{
	static const struct {
		unsigned code;
		const char *words;
	} codes[] = {
		{ 220, "the server is ready (greeting)" },
		{ 221, "the server is closing the connection normally" },
		{ 250, "OK: the request was carried out" },
		{ 251, "OK: the user is not local, the server forwards it" },
		{ 252, "the server cannot verify the user but will try" },
		{ 354, "the server is waiting for the message text" },
		{ 421, "the server is not available now and closes the "
		  "connection: try later" },
		{ 450, "the mailbox is unavailable for now (busy or "
		  "temporarily blocked): try later" },
		{ 451, "the server had a problem or wants the sender to "
		  "come back later (often greylisting)" },
		{ 452, "the server has no room for now (storage, or too "
		  "many recipients)" },
		{ 454, "TLS or login is temporarily unavailable" },
		{ 455, "the server cannot take these parameters now" },
		{ 500, "the server did not understand the command" },
		{ 501, "the command's arguments are malformed" },
		{ 502, "the server does not implement that command" },
		{ 503, "the commands came in the wrong order" },
		{ 504, "the server does not implement that parameter" },
		{ 521, "this server accepts no mail at all" },
		{ 530, "the server requires a login or TLS first" },
		{ 535, "login failed" },
		{ 550, "the mailbox is unavailable: it does not exist, or "
		  "the server refuses it by policy" },
		{ 551, "the user is not local to this server" },
		{ 552, "too big: the mailbox or the message exceeds a size "
		  "limit" },
		{ 553, "the address is not allowed (bad syntax, or the "
		  "sender is refused)" },
		{ 554, "the transaction failed: usually refused by policy, "
		  "as spam, or the server accepts no mail" },
		{ 555, "the MAIL FROM or RCPT TO parameters are not "
		  "recognised" },
		{ 556, "the domain accepts no mail" },
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code)
			return codes[i].words;
	switch (code / 100) {
	case 2:
		return "success";
	case 3:
		return "the server waits for more input";
	case 4:
		return "a temporary failure: try again later";
	case 5:
		return "a permanent failure";
	}
	return "not a valid SMTP reply code";
}

/* command_words - what it means that a reply answered this command */
static const char *
command_words(enum logline_command c)
{
	switch (c) {
	case LL_CMD_CONNECT:
		return "the greeting at connection time: the server refused "
		       "the connection itself, before any address was sent";
	case LL_CMD_HELO:
		return "HELO/EHLO: the server refused how the sending "
		       "server introduced itself (often its name or IP "
		       "reputation)";
	case LL_CMD_STARTTLS:
		return "STARTTLS: the start of encryption failed";
	case LL_CMD_AUTH:
		return "AUTH: logging in to the server failed";
	case LL_CMD_MAIL:
		return "MAIL FROM: the server refused the sender address";
	case LL_CMD_RCPT:
		return "RCPT TO: the server refused this recipient address; "
		       "the message itself was never sent";
	case LL_CMD_DATA:
		return "DATA: the server refused to receive the message";
	case LL_CMD_END_OF_DATA:
		return "end of DATA: the server received the whole message "
		       "and then judged it (content, spam or virus filter, "
		       "size)";
	case LL_CMD_BDAT:
		return "BDAT: the server refused the message while it was "
		       "sent in chunks";
	case LL_CMD_QUIT:
		return "QUIT: the end of the conversation";
	case LL_CMD_RSET:
		return "RSET: resetting the conversation";
	case LL_CMD_OTHER:
		return "an SMTP command plainbounce has no words for";
	case LL_CMD_NONE:
		break;
	}
	return "no command";
}

/* own_words - what Postfix's own text after status= means */
static const char *
own_words(enum logline_own o)
{
	switch (o) {
	case LL_OWN_CONNECT_REFUSED:
		return "Postfix could not connect: the other side actively "
		       "refused (nothing listens on that port, or a "
		       "firewall rejects)";
	case LL_OWN_CONNECT_TIMEOUT:
		return "Postfix could not connect: no answer in time (the "
		       "server is down, or a firewall silently drops the "
		       "connection, e.g. outgoing port 25 blocked)";
	case LL_OWN_CONNECT_OTHER:
		return "Postfix could not connect (no route, network "
		       "unreachable or a similar network error)";
	case LL_OWN_HOST_NOT_FOUND:
		return "DNS has no mail server for the recipient domain, or "
		       "the domain does not exist";
	case LL_OWN_LOST_CONNECTION:
		return "the remote server dropped the connection in the "
		       "middle of the conversation";
	case LL_OWN_CONVERSATION_TIMEOUT:
		return "the remote server stopped answering in the middle of "
		       "the conversation";
	case LL_OWN_SUSPENDED:
		return "Postfix did not try now: an attempt to the same "
		       "destination failed moments ago, and this reuses "
		       "that result";
	case LL_OWN_REFUSED_TO_TALK:
		return "the remote server refused the connection in its "
		       "greeting (often rate limiting or a blocklist)";
	case LL_OWN_TLS:
		return "encryption (TLS) was required but could not be set "
		       "up";
	case LL_OWN_UNKNOWN_USER:
		return "no such mailbox on this machine";
	case LL_OWN_QUEUED_AS:
		return "the next hop accepted the message and queued it "
		       "under its own queue ID";
	case LL_OWN_NULL_MX:
		return "the recipient domain declares that it receives no "
		       "mail (null MX)";
	case LL_OWN_LOOPS_BACK:
		return "the mail would come back to this server: its MX "
		       "points here but the domain is not configured as "
		       "ours";
	case LL_OWN_OTHER:
		return "Postfix's own account of what happened";
	case LL_OWN_NONE:
		break;
	}
	return "no text";
}

/* explain_reply - who answered, the codes, the words, the command */
static void
explain_reply(struct explain *ex, const struct logline *ll, bool ours)
{
	const struct logline_reply *r = &ll->reply;
	struct span folded = r->message;
	/* someone replied: there is a code, or "host H said:" */
	bool replied = r->smtp_code != 0 || (span_present(r->host) &&
	    (r->own == LL_OWN_NONE || r->own == LL_OWN_OTHER));
	bool has_message;
	size_t room, n;

	if (span_present(r->host))
		add(ex, span_lit("reply.host"), r->host, "%s", replied ?
		    "the remote server that answered (its host name)" :
		    "the server Postfix tried to reach (its host name)");
	if (span_present(r->addr))
		add(ex, span_lit("reply.addr"), r->addr, "its IP address");
	if (r->smtp_code != 0)
		add(ex, span_lit("reply.code"), text(ex, "%u", r->smtp_code),
		    "SMTP reply code: %s", smtp_code_words(r->smtp_code));
	if (span_present(r->dsn) && span_present(ll->dsn) &&
	    r->dsn.len == ll->dsn.len &&
	    memcmp(r->dsn.p, ll->dsn.p, r->dsn.len) == 0)
		add(ex, span_lit("reply.dsn"), r->dsn, "the enhanced status "
		    "code inside the reply: the same as dsn= above");
	else if (span_present(r->dsn))
		explain_dsn(ex, span_lit("reply.dsn"), r->dsn,
			    reply_dsn_names,
			    "the enhanced status code inside the reply");
	has_message = span_present(r->message) && r->message.len > 0;
	if ((ours || replied) && (has_message || r->text.len > 0)) {
		if (!has_message)
			folded = r->text;
		/* fold "550-5.1.1 " continuation prefixes when it fits */
		room = sizeof(ex->text) - ex->used;
		if (has_message && r->multiline && r->message.len < room &&
		    r->message.len <= 4096) {
			n = logline_reply_fold(r, ex->text + ex->used, room);
			folded = span_make(ex->text + ex->used, n);
			ex->used += n + 1;
		}
		add(ex, span_lit("reply.text"), folded, "%s", ours ?
		    "the reason this server gave the client, in its own "
		    "words" : has_message ?
		    "the remote server's own words: free text chosen by "
		    "its administrator, often the most telling part" :
		    "what the remote server said (plainbounce found no "
		    "valid SMTP code in it)");
	} else if (!replied && span_present(r->text) && r->text.len > 0) {
		add(ex, span_lit("postfix_text"), r->text, "Postfix's own "
		    "words, no remote server replied: %s", own_words(
		    r->own == LL_OWN_NONE ? LL_OWN_OTHER : r->own));
	}
	if (replied && r->own != LL_OWN_NONE && r->own != LL_OWN_OTHER &&
	    r->own != LL_OWN_QUEUED_AS)
		add(ex, span_lit("reply.situation"),
		    span_lit(logline_own_name(r->own)), "%s",
		    own_words(r->own));
	if (r->command != LL_CMD_NONE && (replied ||
	    r->command_text.len > 0))
		add(ex, span_lit("reply.command"), r->command_text.len > 0 ?
		    r->command_text : span_lit(logline_command_name(
		    r->command)), "the reply answered %s",
		    command_words(r->command));
	if (span_present(r->queued_as))
		add(ex, span_lit("queued_as"), r->queued_as, "the queue ID "
		    "the next hop gave the message: follow it there (a "
		    "content filter or the next server)");
}

/* explain_status - the verdict, then the reply taken apart */
static void
explain_status(struct explain *ex, const struct logline *ll,
	       struct span field)
{
	struct span word = span_present(ll->status_word) ? ll->status_word
							 : field;

	add(ex, span_lit("status"), word, "%s", status_words(ll->status));
	if (span_present(ll->status_note) && ll->status_note.len > 0)
		add(ex, span_lit("status.note"), ll->status_note,
		    "%s", span_eq(ll->status_note, "returned to sender") ?
		    "the sender gets the message back with a notice saying "
		    "it could not be delivered" :
		    "Postfix's remark on the status");
	explain_reply(ex, ll, false);
}

/* in_kv - true when span s lies inside one of the line's kv values */
static bool
in_kv(const struct logline *ll, struct span s)
{
	unsigned i;

	for (i = 0; i < ll->nkv; i++)
		if (s.p >= ll->kv[i].val.p &&
		    s.p <= ll->kv[i].val.p + ll->kv[i].val.len)
			return true;
	return false;
}

/* explain_kv - one key=value field */
static void
explain_kv(struct explain *ex, const struct logline *ll,
	   const struct logline_kv *kv, bool *reply_done)
{
	const struct words *w;

	if (span_eq(kv->key, "status")) {
		explain_status(ex, ll, kv->val);
		*reply_done = true;
	} else if (span_eq(kv->key, "relay")) {
		explain_relay(ex, kv->key, kv->val);
		if (span_present(ll->relay_port) && ll->relay_port.len > 0)
			add(ex, span_lit("relay.port"), ll->relay_port, "%s",
			    port_words(ll->relay_port));
	} else if (span_eq(kv->key, "delay")) {
		explain_delay(ex, kv->key, kv->val);
	} else if (span_eq(kv->key, "delays")) {
		explain_delays(ex, kv->key, kv->val);
	} else if (span_eq(kv->key, "dsn")) {
		explain_dsn(ex, kv->key, kv->val, dsn_names,
			    "the enhanced status code Postfix recorded for "
			    "this recipient");
	} else if (ll->kind == LL_REJECT && span_eq(kv->key, "to")) {
		add(ex, kv->key, kv->val, "the recipient the client asked "
		    "for (RCPT TO)");
	} else if (ll->kind == LL_REJECT && span_eq(kv->key, "from")) {
		add(ex, kv->key, kv->val, "the sender the client gave (MAIL "
		    "FROM); <> is the empty sender of bounces");
	} else if (ll->kind == LL_DISCONNECT) {
		w = words_find(smtp_commands, kv->key);
		add(ex, kv->key, kv->val, "how many %s the client sent; "
		    "\"2/3\" means 3 sent, 2 of them accepted",
		    w ? w->meaning : "commands of this name");
	} else if (span_eq(kv->key, "size") && span_number(kv->val) >= 0) {
		add(ex, kv->key, kv->val, "the message size in bytes as "
		    "queued (about %.0f KB)", span_number(kv->val) / 1024);
	} else if ((w = words_find(keys, kv->key)) != NULL && w->meaning) {
		add(ex, kv->key, kv->val, "%s", w->meaning);
	} else {
		add(ex, kv->key, kv->val, "a field plainbounce does not "
		    "know");
	}
}

/* notify_words - the kind of notification the bounce daemon wrote */
static const char *
notify_words(struct span kind)
{
	if (span_eq(kind, "non-delivery"))
		return "a bounce: tells the sender that delivery failed";
	if (span_eq(kind, "delay"))
		return "a delay warning: tells the sender the message is "
		       "not delivered yet but still being retried";
	if (span_eq(kind, "delivery status") || span_eq(kind, "delivery"))
		return "a delivery report the sender asked for (DSN "
		       "NOTIFY=SUCCESS, or sendmail -v)";
	return "a notification of a sort plainbounce does not know";
}

/* reject_action_words - what a reject-line action did to the mail */
static const char *
reject_action_words(struct span a)
{
	if (span_eq(a, "reject"))
		return "this server refused with an SMTP error reply; the "
		       "client must tell its sender";
	if (span_eq(a, "milter-reject"))
		return "a milter (mail filter) refused the message";
	if (span_eq(a, "milter-discard") || span_eq(a, "discard"))
		return "accepted, then thrown away without telling anyone";
	if (span_eq(a, "milter-hold") || span_eq(a, "hold"))
		return "put on hold: the message waits in the hold queue "
		       "until an administrator releases or deletes it";
	if (span_eq(a, "defer") || span_eq(a, "defer_if_permit") ||
	    span_eq(a, "defer_if_reject"))
		return "refused for now with a temporary error: the client "
		       "may try again";
	if (span_eq(a, "warning") || span_eq(a, "warn"))
		return "only logged as a warning; the mail was not stopped";
	if (span_eq(a, "redirect") || span_eq(a, "filter"))
		return "sent somewhere else than where it was addressed";
	return "an action of an access rule or filter";
}

/* reject_stage_words - when in the SMTP conversation the rule fired */
static const char *
reject_stage_words(struct span st)
{
	if (span_eq(st, "CONNECT"))
		return "as soon as the client connected";
	if (span_eq(st, "HELO") || span_eq(st, "EHLO"))
		return "when the client introduced itself (HELO/EHLO)";
	if (span_eq(st, "MAIL"))
		return "when the client named the sender (MAIL FROM)";
	if (span_eq(st, "RCPT"))
		return "when the client named a recipient (RCPT TO)";
	if (span_eq(st, "DATA"))
		return "when the client started sending the message (DATA)";
	if (span_eq(st, "END-OF-MESSAGE"))
		return "after the whole message was received";
	if (span_eq(st, "header"))
		return "a header_checks rule matched a message header";
	if (span_eq(st, "body"))
		return "a body_checks rule matched a line of the message";
	if (span_eq(st, "VRFY") || span_eq(st, "ETRN"))
		return "when the client sent a VRFY or ETRN command";
	return "at a stage of the SMTP conversation";
}

/* admin_words - what an administrator's queue action means */
static const char *
admin_words(struct span a)
{
	if (span_eq(a, "expired"))
		return "an administrator made the message expire (postsuper "
		       "-e): it goes back to the sender at the next attempt";
	if (span_eq(a, "placed on hold"))
		return "an administrator put the message on hold: no "
		       "delivery until it is released";
	if (span_eq(a, "released from hold"))
		return "the message was released from hold and will be "
		       "delivered again";
	if (span_eq(a, "requeued"))
		return "the message was put back into the queue to be "
		       "processed again";
	return "an administrator's action on the queue";
}

/* starts_with - true when span s begins with the literal lit */
static bool
starts_with(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len >= n && memcmp(s.p, lit, n) == 0;
}

/* explain_session_end - smtpd "lost connection after DATA from ..." */
static void
explain_session_end(struct explain *ex, const struct logline *ll)
{
	struct span b = span_present(ll->body) ? ll->body : ll->text;
	const char *what = "the SMTP session ended abnormally";

	if (starts_with(b, "lost connection"))
		what = "the client dropped the connection before it "
		       "finished: whatever it was sending then was not "
		       "accepted";
	else if (starts_with(b, "timeout"))
		what = "the client stopped talking and the server gave up "
		       "waiting: whatever it was sending then was not "
		       "accepted";
	else if (starts_with(b, "too many errors"))
		what = "the client made too many errors and the server "
		       "hung up";
	add(ex, span_lit("event"), b, "%s", what);
	add(ex, span_lit("stage"), ll->reject_stage, "%s",
	    reject_stage_words(ll->reject_stage));
	if (span_present(ll->client) && !in_kv(ll, ll->client))
		add(ex, span_lit("client"), ll->client, "the machine on "
		    "the other end: name[IP address]");
}

/* explain_body - the parts that are not key=value, by kind */
static void
explain_body(struct explain *ex, const struct logline *ll,
	     bool *reply_done)
{
	switch (ll->kind) {
	case LL_REMOVED:
		add(ex, span_lit("event"), span_lit("removed"), "the message "
		    "left the queue: every recipient has a final outcome "
		    "(delivered, bounced or expired) or an administrator "
		    "deleted it; this queue ID is finished");
		break;
	case LL_NOTIFICATION:
		if (span_present(ll->notify_who))
			add(ex, span_lit("notification.to"), ll->notify_who,
			    "%s", span_eq(ll->notify_who, "postmaster") ?
			    "the notice goes to the postmaster of this "
			    "server (notify_classes), not to the sender" :
			    "the notice goes to the envelope sender of the "
			    "message");
		if (span_present(ll->notify_kind))
			add(ex, span_lit("notification"), ll->notify_kind,
			    "%s", notify_words(ll->notify_kind));
		if (span_present(ll->notify_qid))
			add(ex, span_lit("notification.queue_id"),
			    ll->notify_qid, "the queue ID of the "
			    "notification message itself: follow it to see "
			    "whether the notice reached the sender");
		break;
	case LL_REJECT:
		if (span_present(ll->reject_action))
			add(ex, span_lit("reject.action"), ll->reject_action,
			    "%s", reject_action_words(ll->reject_action));
		if (span_present(ll->reject_stage))
			add(ex, span_lit("reject.stage"), ll->reject_stage,
			    "%s", reject_stage_words(ll->reject_stage));
		if (span_present(ll->client) && !in_kv(ll, ll->client))
			add(ex, span_lit("client"), ll->client,
			    "the client that was refused: name[IP address]");
		explain_reply(ex, ll, true);
		*reply_done = true;
		break;
	case LL_ADMIN:
		if (span_present(ll->admin_action))
			add(ex, span_lit("admin.action"), ll->admin_action,
			    "%s", admin_words(ll->admin_action));
		break;
	case LL_CONNECT:
	case LL_DISCONNECT:
		if (span_present(ll->client) && !in_kv(ll, ll->client))
			add(ex, span_lit("client"), ll->client, "the machine "
			    "on the other end: name[IP address]; "
			    "\"unknown\" means it has no reverse DNS name");
		break;
	default:
		if (span_present(ll->reject_stage))
			explain_session_end(ex, ll);
		break;
	}
}

/* plain_text - true when a line has nothing but free text to show */
static bool
plain_text(const struct logline *ll)
{
	switch (ll->kind) {
	case LL_OTHER:
	case LL_WARNING:
	case LL_RESENT:
		return ll->nkv == 0 && !span_present(ll->reject_stage);
	case LL_CONNECT:
		return !span_present(ll->client);
	default:
		return false;
	}
}

void
explain_line(struct explain *ex, const struct logline *ll)
{
	unsigned i;
	bool reply_done = false;

	ex->kind = ll->kind;
	ex->kind_name = logline_kind_name(ll->kind);
	ex->is_postfix = ll->kind != LL_MALFORMED &&
	    ll->kind != LL_NOT_POSTFIX;
	ex->truncated = false;
	ex->n = 0;
	ex->used = 0;
	ex->kind_meaning = text(ex, "%s", kind_words(ll->kind));
	if (ll->kind == LL_MALFORMED)
		return;
	explain_head(ex, ll);
	if (!ex->is_postfix) {
		if (span_present(ll->text))
			add(ex, span_lit("text"), ll->text, "what that "
			    "program said; plainbounce does not read it");
		return;
	}
	explain_body(ex, ll, &reply_done);
	for (i = 0; i < ll->nkv && i < LOGLINE_MAX_KV; i++)
		explain_kv(ex, ll, &ll->kv[i], &reply_done);
	if (!reply_done && (ll->reply.smtp_code != 0 ||
			    ll->reply.own != LL_OWN_NONE ||
			    span_present(ll->reply.host)))
		explain_reply(ex, ll, false);
	if (plain_text(ll)) {
		add(ex, span_lit("text"), span_present(ll->body) ? ll->body
		    : ll->text, "what Postfix said; plainbounce has no "
		    "per-field meaning for this line");
	}
}

const struct explain_item *
explain_find(const struct explain *ex, const char *field)
{
	size_t i;

	for (i = 0; i < ex->n; i++)
		if (span_eq(ex->item[i].field, field))
			return &ex->item[i];
	return NULL;
}
