/*
 * mailmsg.h - build the RFC 5322 message of an email notice.
 *
 * Owns the wire form of a notice: headers Date, From, To, Subject,
 * Message-ID, In-Reply-To and References (only from a syntactically valid
 * original Message-ID), Auto-Submitted: auto-generated and
 * X-Auto-Response-Suppress: All, MIME-Version, and a multipart/alternative
 * body of text and HTML parts in quoted-printable (or one text part).
 *
 * Guarantees: every value from outside (subject, names, the original
 * Message-ID, body text) is cleaned before it is written: no CR, LF or
 * other control character ever reaches a header; a subject that is not
 * plain short ASCII, or that holds "=?", is RFC 2047 encoded in words of
 * at most 75 characters; header lines stay under 998 octets; bodies are
 * valid UTF-8 (bad bytes become U+FFFD), 7-bit on the wire, CRLF only.
 * Pure: the date and our Message-ID are arguments.
 */
#ifndef PB_MAILMSG_H
#define PB_MAILMSG_H

#include <stdint.h>

#include "buf.h"
#include "span.h"

#define MAILMSG_SUBJECT_MAX	200	/* characters of subject kept */
#define MAILMSG_NAME_MAX	64	/* characters of display name kept */
#define MAILMSG_MSGID_MAX	250	/* longest Message-ID accepted */
#define MAILMSG_ADDR_MAX	254	/* longest address accepted */

struct mailmsg {
	const char *from_addr;	/* our From address (configured) */
	const char *from_name;	/* display name, or NULL */
	const char *to_addr;	/* the recipient */
	const char *subject;	/* UTF-8 text; may hold anything */
	int64_t date;		/* seconds since the epoch, written in UTC */
	const char *message_id;	/* ours: "<left@right>" */
	const char *orig_message_id; /* the original's raw value, or NULL */
	const char *text;	/* plain text body */
	const char *html;	/* HTML body (already escaped), or NULL */
};

/*
 * mailmsg_build - append the whole message to out.  Returns 0, or -1 with
 * a static reason in *why when an address or our Message-ID is invalid or
 * out is too small (out is then left as it was).
 */
int mailmsg_build(struct buf *out, const struct mailmsg *m,
		  const char **why);

/*
 * mailmsg_addr_valid - a plain ASCII addr-spec: dot-atom local part (no
 * quoted strings), "@", a host name or address literal; at most 254 chars.
 * What passes is safe on an SMTP command line and in a header.
 */
int mailmsg_addr_valid(const char *addr);

/*
 * mailmsg_msgid - find a valid msg-id ("<" dot-atom "@" dot-atom or
 * [literal] ">") in s, allowing only surrounding white space.  Returns 1
 * and the "<...>" span in *id, or 0.
 */
int mailmsg_msgid(struct span s, struct span *id);

/* mailmsg_html_escape - append s as HTML text: & < > " ' escaped, bad
 * UTF-8 and control characters (but tab and newline) as U+FFFD */
int mailmsg_html_escape(struct buf *out, struct span s);

#endif
