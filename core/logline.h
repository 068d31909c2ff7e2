/*
 * logline.h - one Postfix log line in, one struct out.
 *
 * logline_parse() reads a single syslog line (BSD or RFC 3339 timestamp,
 * optional <PRI>) and fills struct logline with spans into that line:
 * nothing is copied, nothing is allocated, and no regex engine is used.
 * The struct is valid only while the line's buffer is.  The parser is
 * pure: the reference time used to guess a BSD timestamp's year is an
 * argument, never read from the clock.
 *
 * A line that is not Postfix's is classified LL_NOT_POSTFIX and counted by
 * the caller; a malformed, overlong or binary line is LL_MALFORMED and never
 * stops processing.
 */
#ifndef PB_LOGLINE_H
#define PB_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "span.h"

#define LOGLINE_MAX_LEN (1024 * 1024)	/* longer lines are LL_MALFORMED */
#define LOGLINE_MAX_KV	32		/* key=value fields kept per line */

/* What a line says, as far as correlation is concerned. */
enum logline_kind {
	LL_MALFORMED = 0,	/* not even a syslog line, or too long */
	LL_NOT_POSTFIX,		/* a syslog line from another program */
	LL_OTHER,		/* a Postfix line with no per-message meaning */
	LL_CONNECT,		/* smtpd/postscreen: connect from host[ip] */
	LL_DISCONNECT,		/* smtpd: disconnect from host[ip] ... */
	LL_CLIENT,		/* smtpd: QID: client=host[ip], sasl_*=... */
	LL_PICKUP,		/* pickup: QID: uid=N from=<...> */
	LL_MESSAGE_ID,		/* cleanup: QID: message-id=<...> */
	LL_QUEUED,		/* qmgr: QID: from=<...>, size=N, nrcpt=N */
	LL_DELIVERY,		/* smtp/lmtp/local/...: QID: to=<...>, status=... */
	LL_EXPIRED,		/* qmgr: QID: from=<...>, status=expired|force-expired */
	LL_REMOVED,		/* qmgr/postsuper: QID: removed */
	LL_NOTIFICATION,	/* bounce: QID: sender ... notification: NEWQID */
	LL_REJECT,		/* NOQUEUE|QID: reject:, milter-reject:, discard:,
				 * hold:, proxy-reject: (other ACTION: STAGE
				 * lines such as reject_warning: are LL_OTHER
				 * with reject_action set) */
	LL_ADMIN,		/* postsuper: QID: expired|placed on hold|released */
	LL_RESENT,		/* cleanup: QID: resent-message-id=<...> */
	LL_WARNING,		/* a warning:/error:/fatal:/panic: line */
	LL_ATTEMPT,		/* smtp/lmtp: QID: host H said: ... (no to=),
				 * refused to talk, lost connection, SASL
				 * authentication failed, ...: reply is set */
	LL_KIND_COUNT
};

/* Delivery status word, read at its fixed place only. */
enum logline_status {
	LL_STATUS_NONE = 0,
	LL_STATUS_SENT,
	LL_STATUS_DEFERRED,
	LL_STATUS_BOUNCED,
	LL_STATUS_EXPIRED,	/* status=expired, returned to sender */
	LL_STATUS_FORCE_EXPIRED,/* status=force-expired (postsuper -e) */
	LL_STATUS_UNDELIVERABLE,/* address verification: undeliverable */
	LL_STATUS_DELIVERABLE,	/* address verification: deliverable */
	LL_STATUS_OTHER		/* a status word we do not know */
};

/* The SMTP command a remote reply answered. */
enum logline_command {
	LL_CMD_NONE = 0,
	LL_CMD_CONNECT,		/* banner / "refused to talk to me" */
	LL_CMD_HELO,		/* HELO or EHLO */
	LL_CMD_STARTTLS,
	LL_CMD_AUTH,
	LL_CMD_MAIL,
	LL_CMD_RCPT,
	LL_CMD_DATA,		/* the DATA command itself */
	LL_CMD_END_OF_DATA,	/* "end of DATA" (the message content) */
	LL_CMD_BDAT,
	LL_CMD_QUIT,
	LL_CMD_RSET,
	LL_CMD_OTHER
};

/* Postfix's own text after status= when no remote reply is quoted. */
enum logline_own {
	LL_OWN_NONE = 0,
	LL_OWN_CONNECT_REFUSED,	/* connect to host[ip]:port: Connection refused */
	LL_OWN_CONNECT_TIMEOUT,	/* connect to ...: Connection timed out */
	LL_OWN_CONNECT_OTHER,	/* connect to ...: No route to host, ... */
	LL_OWN_HOST_NOT_FOUND,	/* Host or domain name not found ... */
	LL_OWN_LOST_CONNECTION,	/* lost connection with ... while ... */
	LL_OWN_CONVERSATION_TIMEOUT, /* conversation with ... timed out while */
	LL_OWN_SUSPENDED,	/* delivery temporarily suspended: ... */
	LL_OWN_REFUSED_TO_TALK,	/* host ... refused to talk to me: ... */
	LL_OWN_TLS,		/* TLS is required, but ... / TLS failures */
	LL_OWN_UNKNOWN_USER,	/* unknown user: "x" (local) */
	LL_OWN_QUEUED_AS,	/* 250 ... queued as NEWID (content filter hop),
				 * or local(8) "forwarded as NEWID" */
	LL_OWN_NULL_MX,		/* nullMX / "does not accept mail (nullMX)" */
	LL_OWN_LOOPS_BACK,	/* mail for X loops back to myself */
	LL_OWN_OTHER		/* some other text of Postfix's own */
};

/* The parenthesised text after status=, taken apart. */
struct logline_reply {
	struct span text;	/* everything inside the outer parentheses */
	struct span host;	/* remote host name ("host H[IP] said:") */
	struct span addr;	/* remote IP address */
	struct span port;	/* ":25" of "connect to H[A]:25", as digits */
	unsigned smtp_code;	/* 550; 0 when there is none */
	struct span dsn;	/* enhanced code in the reply, "5.1.1" */
	struct span remote_text;/* the remote's reply as written, codes
				 * included, before "(in reply to ...)" */
	struct span message;	/* reply text after the codes, before
				 * "(in reply to ...)"; multi-line prefixes
				 * like "550-5.1.1 " are still inside: use
				 * logline_reply_fold() to remove them */
	enum logline_command command;
	struct span command_text; /* "RCPT TO", "end of DATA", ... */
	enum logline_own own;	/* Postfix's own text, when no remote said */
	struct span queued_as;	/* NEWID of "queued as NEWID" or
				 * "forwarded as NEWID" */
	bool multiline;		/* the reply began "550-": several lines */
};

struct logline_kv {
	struct span key;
	struct span val;
};

struct logline {
	enum logline_kind kind;

	/* Syslog head */
	int pri;		/* <PRI> value, or -1 */
	int64_t time;		/* seconds since the epoch, UTC; 0 if none */
	int32_t usec;		/* fraction from RFC 3339, else 0 */
	int32_t utc_offset;	/* seconds east of UTC the stamp was written
				 * in: an RFC 3339 offset, or the offset the
				 * TZ gave a local BSD stamp; 0 for UTC */
	bool time_rfc3339;	/* the line had an RFC 3339 timestamp */
	struct span timestamp;	/* the timestamp as written */
	struct span host;
	struct span syslog_name;/* "postfix/submission/smtpd" as written */
	struct span instance;	/* "postfix", "postfix-mx" */
	struct span qualifier;	/* "submission" (middle parts), or empty */
	struct span daemon;	/* "smtpd" (last part) */
	long pid;		/* -1 when absent */
	struct span severity;	/* "warning", "error", "fatal", "panic" */
	struct span text;	/* everything after "prog[pid]: " */

	/* Message */
	struct span queue_id;	/* hex short ID, long ID, or "NOQUEUE" */
	bool noqueue;
	struct span body;	/* text after severity and "QID: " */

	/* key=value fields, in order, unknown keys kept */
	struct logline_kv kv[LOGLINE_MAX_KV];
	unsigned nkv;

	/* Common fields, also present in kv[]; empty when absent.  client is
	 * client= or, on connect/disconnect/reject lines, the "host[ip]" the
	 * line names; client_name/client_addr split it ("[ip]:port" for
	 * postscreen gives an empty name). */
	struct span to, orig_to, from, relay, dsn, message_id, client;
	struct span client_name, client_addr, client_port;
	/* relay= split into name, address (or socket path) and port; with
	 * relay=none or no relay= at all, the remote host the line names
	 * ("connect to H[A]:25: ..."), else empty */
	struct span relay_name, relay_addr, relay_port;
	struct span sasl_method, sasl_username, uid, size, nrcpt;
	struct span delay;	/* as written, seconds with fraction */
	double delays[4];	/* a/b/c/d of delays=; -1 when absent */
	struct span status_word;
	enum logline_status status;
	struct span status_note;/* "returned to sender" in "status=expired,
				 * returned to sender" */
	struct logline_reply reply;	/* status= text; also the reply of a
					 * reject line or an LL_ATTEMPT line */

	/* LL_NOTIFICATION: "sender non-delivery notification: NEWID" */
	struct span notify_kind;/* "non-delivery", "delay", "delivery status" */
	struct span notify_qid;	/* NEWID */
	struct span notify_who;	/* "sender" or "postmaster" */

	/* LL_REJECT: "reject: RCPT from host[ip]: 550 5.1.1 ...; from=..." */
	struct span reject_stage;	/* "RCPT", "CONNECT", "END-OF-MESSAGE";
					 * also the stage of smtpd/postscreen
					 * "lost connection after DATA from"
					 * and "... after RCPT" session lines */
	struct span reject_action;	/* "reject", "milter-reject", ... */
	struct span reject_text;	/* after "ACTION: ", before the
					 * "; from=<...> ..." tail */

	/* LL_ADMIN: the postsuper action ("expired", "placed on hold") */
	struct span admin_action;
};

/*
 * How the parser reads times.  ref_time is "about now" (for live logs) or
 * the time of the previous line (for old logs): a BSD timestamp has no
 * year, so the latest year that puts the line no more than 31 days after
 * ref_time is chosen, which handles New Year both ways (a December line
 * read in January is last year's; a January line after a December
 * ref_time is next year's).  local_is_utc treats BSD timestamps as UTC
 * (for logs from hosts that run in UTC); otherwise they are local time in
 * the TZ of the process, converted across DST: in the hour repeated when
 * DST ends the first (summer-time) reading is taken, and a time in the
 * hour skipped when DST starts is read as standard time.  RFC 3339 stamps
 * carry their own offset and never consult TZ.
 */
struct logline_opts {
	int64_t ref_time;
	bool local_is_utc;
	/* leave kv[] of a disconnect line empty: its command counters
	 * ("ehlo=1 mail=1 ... commands=5") serve explain only, and reading
	 * them is a twentieth of the work on a busy log */
	bool skip_counters;
	/* leave unread what only explain shows of the peers: client= is not
	 * split into client_name/addr/port (client is set); on a line with
	 * a queue ID relay_name/addr/port stay empty (relay is set); and
	 * with skip_counters too, smtpd's "connect from" and "disconnect
	 * from" lines are read no further than their kind (client stays
	 * empty).  The correlator reads none of these. */
	bool skip_peers;
	/* a small cache for local-to-UTC conversion; zero it before use
	 * (logline_opts_init does).  One local day at a time: the UTC time
	 * of each local hour's hh:00:00, filled on first use, so mktime()
	 * runs at most once or twice per hour of log, not per line. */
	struct {
		int64_t day_key;	/* local day number + 1; 0 = empty */
		int64_t hour_utc[24];	/* INT64_MIN = not yet known */
	} tzcache;
	/* the year of ref_time and of a month after it, per day of ref_time */
	struct {
		int64_t ref_day;	/* day number + 1; 0 = empty */
		int64_t y0, ylim;
	} yearcache;
	/* the "Mmm dd hh" of the last 15-byte BSD stamp and the UTC time of
	 * its hh:00:00, valid for every minute and second of that hour while
	 * ref_time stays in [ref_lo, ref_hi) and local_is_utc is as it was */
	struct {
		char text[9];
		bool utc;
		int32_t offset;		/* utc_offset of that hour */
		int64_t ref_lo, ref_hi;	/* equal: empty */
		int64_t hour_utc;
		/* the 15 bytes of the last stamp read through this cache, as
		 * two overlapping words (0: none), and its time: the next
		 * line of the same second is one compare */
		uint64_t same0, same1;
		int64_t same_time;
	} stampcache;
	/* the "YYYY-MM-DDThh" of the last RFC 3339 stamp and its hh:00:00
	 * read as UTC (before the stamp's own offset is applied) */
	struct {
		char text[13];
		bool valid;
		int64_t hour;
		/* "YYYY-MM-DDThh:mm:ss" of the last stamp as three words and
		 * its time; the last "+hh:mm" (0: none) and its seconds */
		uint64_t sec0, sec1, sec2;
		int64_t sec_time;
		uint64_t zone;
		int32_t zone_offset;
	} rfccache;
};

/* logline_opts_init - defaults: local time, reference time as given */
void logline_opts_init(struct logline_opts *o, int64_t ref_time);

/*
 * logline_parse - parse line[0..len); returns ll->kind. Never fails hard.
 * A trailing CR/LF is ignored and leading NUL bytes are skipped; any other
 * NUL byte, or more than LOGLINE_MAX_LEN bytes, makes the line
 * LL_MALFORMED.  opts may be NULL (BSD stamps then read as UTC with a
 * reference time of 0: only for callers that ignore ll->time).
 */
enum logline_kind logline_parse(struct logline *ll, const char *line,
				size_t len, struct logline_opts *opts);

/*
 * logline_parse_nul_free - logline_parse() for a line the caller has
 * already found to hold no NUL byte (logread_line.has_nul false): the same
 * result without scanning the line for NULs again.  A NUL byte passed
 * anyway is read as any other byte (never outside line[0..len)).
 */
enum logline_kind logline_parse_nul_free(struct logline *ll,
					 const char *line, size_t len,
					 struct logline_opts *opts);

/* logline_kv_get - the value of key=, or SPAN_NULL */
struct span logline_kv_get(const struct logline *ll, const char *key);

/*
 * logline_reply_fold - the reply message with multi-line prefixes such as
 * "550-5.1.1 " removed, written NUL-terminated into out (truncated to
 * size); returns the length written.
 */
size_t logline_reply_fold(const struct logline_reply *r, char *out,
			  size_t size);

/* Names for enums, for explain and JSON output. */
const char *logline_kind_name(enum logline_kind k);
const char *logline_status_name(enum logline_status s);
const char *logline_command_name(enum logline_command c);
const char *logline_own_name(enum logline_own o);

#endif
