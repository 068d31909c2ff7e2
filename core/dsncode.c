/*
 * dsncode.c - the enhanced status code registry (RFC 3463, 3886, 4468,
 * 4954, 5248, 6531, 6710, 7293, 7372, 7505, 8098, 8617, 8689) written as
 * data in our own words, and a parser for "C.S.D" codes.
 *
 * Guarantees: the table is sorted by (subject, detail) and every entry's
 * code string matches its numbers (checked by the unit test); parsing
 * never reads outside the given span.
 */
#include <stdlib.h>

#include "dsncode.h"

#define E(s, d, title, meaning, r) \
	{ "X." #s "." #d, s, d, title, meaning, REASON_##r }

static const struct dsncode table[] = {
	E(0, 0, "Other undefined status",
	  "The server gave no detail beyond whether the failure is "
	  "temporary or permanent.", UNKNOWN),

	E(1, 0, "Other address status",
	  "Something is wrong with one of the addresses, without saying "
	  "what.", ADDRESS_UNKNOWN),
	E(1, 1, "Bad destination mailbox address",
	  "The part of the address before the @ does not exist at the "
	  "receiving server.", ADDRESS_UNKNOWN),
	E(1, 2, "Bad destination system address",
	  "The domain after the @ does not exist or cannot take mail.",
	  DOMAIN_UNKNOWN),
	E(1, 3, "Bad destination mailbox address syntax",
	  "The recipient address is not written in a valid form.",
	  ADDRESS_UNKNOWN),
	E(1, 4, "Destination mailbox address ambiguous",
	  "The recipient address matches more than one mailbox.",
	  ADDRESS_UNKNOWN),
	E(1, 5, "Destination address valid",
	  "The recipient address was checked and is fine.", DELIVERED),
	E(1, 6, "Destination mailbox has moved, no forwarding address",
	  "The person used to have this address but no longer does, and "
	  "mail is not forwarded.", ADDRESS_MOVED),
	E(1, 7, "Bad sender's mailbox address syntax",
	  "The sender address is malformed or not accepted.",
	  SENDER_ADDRESS_REJECTED),
	E(1, 8, "Bad sender's system address",
	  "The domain of the sender address does not exist or cannot "
	  "receive replies.", SENDER_ADDRESS_REJECTED),
	E(1, 9, "Message relayed to non-compliant mailer",
	  "The message was passed on to a system that cannot report "
	  "delivery status.", DELIVERED),
	E(1, 10, "Recipient address has null MX",
	  "The recipient domain publishes a null MX record: it declares "
	  "that it receives no mail at all.", DOMAIN_UNKNOWN),

	E(2, 0, "Other or undefined mailbox status",
	  "The mailbox exists but there is a problem with it that is not "
	  "specified.", RECIPIENT_REFUSED),
	E(2, 1, "Mailbox disabled, not accepting messages",
	  "The mailbox exists but is switched off or refuses mail.",
	  MAILBOX_DISABLED),
	E(2, 2, "Mailbox full",
	  "The recipient's mailbox has run out of space.", MAILBOX_FULL),
	E(2, 3, "Message length exceeds administrative limit",
	  "The message is bigger than this mailbox allows.",
	  MESSAGE_TOO_LARGE),
	E(2, 4, "Mailing list expansion problem",
	  "The address is a mailing list that could not be expanded to "
	  "its members.", REMOTE_SERVER_PROBLEM),

	E(3, 0, "Other or undefined mail system status",
	  "The receiving mail system has a problem that is not specified.",
	  REMOTE_SERVER_PROBLEM),
	E(3, 1, "Mail system full",
	  "The receiving system has run out of storage.",
	  REMOTE_SERVER_PROBLEM),
	E(3, 2, "System not accepting network messages",
	  "The receiving system is not taking mail at the moment, for "
	  "example because it is shutting down.", REMOTE_SERVER_PROBLEM),
	E(3, 3, "System not capable of selected features",
	  "The message needs a feature the receiving system lacks.",
	  REMOTE_SERVER_PROBLEM),
	E(3, 4, "Message too big for system",
	  "The message is bigger than the receiving system accepts at "
	  "all.", MESSAGE_TOO_LARGE),
	E(3, 5, "System incorrectly configured",
	  "The receiving system is set up wrongly and cannot take the "
	  "message.", REMOTE_SERVER_PROBLEM),
	E(3, 6, "Requested priority was changed",
	  "The message was accepted, but at a different priority than "
	  "asked for.", DELIVERED),

	E(4, 0, "Other or undefined network or routing status",
	  "Something went wrong on the way to the receiving server.",
	  CANNOT_CONNECT),
	E(4, 1, "No answer from host",
	  "The receiving server did not answer the connection attempt.",
	  CANNOT_CONNECT),
	E(4, 2, "Bad connection",
	  "The connection was made but broke or misbehaved.",
	  CANNOT_CONNECT),
	E(4, 3, "Directory server failure",
	  "A lookup needed for routing, usually DNS, failed.",
	  CANNOT_CONNECT),
	E(4, 4, "Unable to route",
	  "No route to the destination could be found, usually because "
	  "the domain has no mail servers.", DOMAIN_UNKNOWN),
	E(4, 5, "Mail system congestion",
	  "The receiving side is overloaded and asks to try later.",
	  RATE_LIMITED),
	E(4, 6, "Routing loop detected",
	  "The message went round in circles between servers.",
	  REMOTE_SERVER_PROBLEM),
	E(4, 7, "Delivery time expired",
	  "The message could not be delivered within the time allowed.",
	  DELIVERY_EXPIRED),

	E(5, 0, "Other or undefined protocol status",
	  "The two servers had an unspecified problem speaking SMTP.",
	  PROTOCOL_ERROR),
	E(5, 1, "Invalid command",
	  "A command was sent that the server does not know or does not "
	  "allow at this point.", PROTOCOL_ERROR),
	E(5, 2, "Syntax error",
	  "A command was sent that the server could not parse.",
	  PROTOCOL_ERROR),
	E(5, 3, "Too many recipients",
	  "The message has more recipients than the server takes at once.",
	  RATE_LIMITED),
	E(5, 4, "Invalid command arguments",
	  "A command was understood but one of its arguments was not "
	  "acceptable.", PROTOCOL_ERROR),
	E(5, 5, "Wrong protocol version",
	  "The servers do not agree on the protocol version.",
	  PROTOCOL_ERROR),
	E(5, 6, "Authentication exchange line is too long",
	  "A login exchange line was longer than the server allows.",
	  PROTOCOL_ERROR),

	E(6, 0, "Other or undefined media error",
	  "Something about the content of the message is not acceptable.",
	  MALFORMED_MESSAGE),
	E(6, 1, "Media not supported",
	  "The message uses a content type the receiver does not take.",
	  MALFORMED_MESSAGE),
	E(6, 2, "Conversion required and prohibited",
	  "The content would have to be converted, but the sender forbade "
	  "that.", MALFORMED_MESSAGE),
	E(6, 3, "Conversion required but not supported",
	  "The content would have to be converted and nobody on the path "
	  "can do it.", MALFORMED_MESSAGE),
	E(6, 4, "Conversion with loss performed",
	  "The message was delivered after a conversion that lost some "
	  "detail.", DELIVERED),
	E(6, 5, "Conversion failed",
	  "A needed conversion of the content went wrong.",
	  MALFORMED_MESSAGE),
	E(6, 6, "Message content not available",
	  "The content referred to could not be fetched.",
	  MALFORMED_MESSAGE),
	E(6, 7, "Non-ASCII addresses not permitted",
	  "An address uses international characters that this path does "
	  "not allow.", ADDRESS_UNKNOWN),
	E(6, 8, "UTF-8 reply required but not permitted",
	  "The server had to answer with international characters the "
	  "client did not ask for.", PROTOCOL_ERROR),
	E(6, 9, "UTF-8 header cannot be transferred",
	  "The headers use international characters that a server on the "
	  "way cannot carry.", MALFORMED_MESSAGE),
	E(6, 10, "UTF-8 reply required (duplicate of X.6.8)",
	  "An older registration of the same condition as X.6.8.",
	  PROTOCOL_ERROR),

	E(7, 0, "Other or undefined security status",
	  "A security or policy rule stopped the message, without saying "
	  "which.", SECURITY_REQUIREMENT),
	E(7, 1, "Delivery not authorized, message refused",
	  "The receiver's policy does not allow this message; the reply "
	  "text says why.", POLICY_BLOCKED),
	E(7, 2, "Mailing list expansion prohibited",
	  "The sender may not write to this mailing list.",
	  POLICY_BLOCKED),
	E(7, 3, "Security conversion required but not possible",
	  "The message would need a security conversion that cannot be "
	  "done.", SECURITY_REQUIREMENT),
	E(7, 4, "Security features not supported",
	  "A security feature the message needs is not offered.",
	  TLS_REQUIRED),
	E(7, 5, "Cryptographic failure",
	  "Encryption or signature handling failed.", TLS_REQUIRED),
	E(7, 6, "Cryptographic algorithm not supported",
	  "An encryption or signing method used is not supported.",
	  SECURITY_REQUIREMENT),
	E(7, 7, "Message integrity failure",
	  "The message was changed or damaged on the way.",
	  SECURITY_REQUIREMENT),
	E(7, 8, "Authentication credentials invalid",
	  "The login name or password was not accepted.",
	  SECURITY_REQUIREMENT),
	E(7, 9, "Authentication mechanism is too weak",
	  "The login method offered is not strong enough for the server.",
	  SECURITY_REQUIREMENT),
	E(7, 10, "Encryption needed",
	  "The server accepts this only over an encrypted connection.",
	  TLS_REQUIRED),
	E(7, 11, "Encryption required for requested authentication "
	  "mechanism",
	  "The chosen login method needs an encrypted connection first.",
	  TLS_REQUIRED),
	E(7, 12, "A password transition is needed",
	  "The account must set a new password before it can log in.",
	  SECURITY_REQUIREMENT),
	E(7, 13, "User account disabled",
	  "The account has been switched off by its administrator.",
	  MAILBOX_DISABLED),
	E(7, 14, "Trust relationship required",
	  "The receiver only takes this from parties it has an agreement "
	  "with.", POLICY_BLOCKED),
	E(7, 15, "Priority level is too low",
	  "The message's priority is too low to be handled now.",
	  RATE_LIMITED),
	E(7, 16, "Message is too big for the specified priority",
	  "At its priority the message is over the allowed size.",
	  MESSAGE_TOO_LARGE),
	E(7, 17, "Mailbox owner has changed",
	  "The mailbox now belongs to someone else than the sender "
	  "meant.", ADDRESS_MOVED),
	E(7, 18, "Domain owner has changed",
	  "The domain now belongs to someone else than the sender meant.",
	  ADDRESS_MOVED),
	E(7, 19, "RRVS test cannot be completed",
	  "The receiver could not check whether the mailbox changed "
	  "owner.", POLICY_BLOCKED),
	E(7, 20, "No passing DKIM signature found",
	  "The message carries no DKIM signature that verifies.",
	  AUTHENTICATION_FAILED),
	E(7, 21, "No acceptable DKIM signature found",
	  "The DKIM signatures verify but none meets the receiver's "
	  "rules.", AUTHENTICATION_FAILED),
	E(7, 22, "No valid author-matched DKIM signature found",
	  "No valid DKIM signature belongs to the From domain.",
	  AUTHENTICATION_FAILED),
	E(7, 23, "SPF validation failed",
	  "The sending server is not listed in the sender domain's SPF "
	  "record.", AUTHENTICATION_FAILED),
	E(7, 24, "SPF validation error",
	  "The sender domain's SPF record could not be evaluated.",
	  AUTHENTICATION_FAILED),
	E(7, 25, "Reverse DNS validation failed",
	  "The sending server's IP address has no matching host name.",
	  REVERSE_DNS_MISSING),
	E(7, 26, "Multiple authentication checks failed",
	  "Several sender checks (SPF, DKIM, DMARC) failed together.",
	  AUTHENTICATION_FAILED),
	E(7, 27, "Sender address has null MX",
	  "The sender's domain declares that it receives no mail, so "
	  "replies could not reach it.", SENDER_ADDRESS_REJECTED),
	E(7, 28, "Mail flood detected",
	  "The receiver sees an unusual flood of mail from this sender.",
	  RATE_LIMITED),
	E(7, 29, "ARC validation failure",
	  "The message's forwarding (ARC) signatures did not verify.",
	  AUTHENTICATION_FAILED),
	E(7, 30, "REQUIRETLS support required",
	  "The message demands TLS on every hop and this hop cannot "
	  "promise it.", TLS_REQUIRED),
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

static const struct {
	const char *title;
	const char *meaning;
	enum reason reason;
} subjects[8] = {
	{ "Other or undefined",
	  "No subject given; only whether the failure is temporary or "
	  "permanent is known.", REASON_UNKNOWN },
	{ "Addressing",
	  "A problem with the sender or recipient address.",
	  REASON_ADDRESS_UNKNOWN },
	{ "Mailbox",
	  "A problem with the recipient's mailbox, which exists.",
	  REASON_RECIPIENT_REFUSED },
	{ "Mail system",
	  "A problem with the receiving mail system itself.",
	  REASON_REMOTE_SERVER_PROBLEM },
	{ "Network and routing",
	  "A problem reaching the receiving system over the network or "
	  "through DNS.", REASON_CANNOT_CONNECT },
	{ "Mail delivery protocol",
	  "A problem in the SMTP conversation between the servers.",
	  REASON_PROTOCOL_ERROR },
	{ "Message content or media",
	  "A problem with the content or format of the message.",
	  REASON_MALFORMED_MESSAGE },
	{ "Security or policy",
	  "A security setting or a policy of the receiver stopped the "
	  "message.", REASON_POLICY_BLOCKED },
};

/* digits - read 1..maxd decimal digits at s[*i]; -1 when none or too many */
static int
digits(const char *s, size_t len, size_t *i, int maxd)
{
	int v = 0, n = 0;

	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		if (++n > maxd)
			return -1;
		v = v * 10 + (s[*i] - '0');
		(*i)++;
	}
	return n ? v : -1;
}

/* parse_at - read "C.S.D" at s[*i] (class digit may be 'X'); -1 if not */
static int
parse_at(const char *s, size_t len, size_t *i, struct dsn *out, int allow_x)
{
	int cls;

	if (*i >= len)
		return -1;
	if (s[*i] == '2' || s[*i] == '4' || s[*i] == '5')
		cls = s[*i] - '0';
	else if (allow_x && (s[*i] == 'X' || s[*i] == 'x'))
		cls = 0;
	else
		return -1;
	(*i)++;
	if (*i >= len || s[*i] != '.')
		return -1;
	(*i)++;
	if ((out->subject = digits(s, len, i, 3)) < 0)
		return -1;
	if (*i >= len || s[*i] != '.')
		return -1;
	(*i)++;
	if ((out->detail = digits(s, len, i, 3)) < 0)
		return -1;
	out->cls = cls;
	return 0;
}

bool
dsncode_parse(const char *s, size_t len, struct dsn *out)
{
	size_t i = 0;
	struct dsn d;

	if (s == NULL || parse_at(s, len, &i, &d, 0) < 0 || i != len)
		return false;
	*out = d;
	return true;
}

/* glued - a byte that may not touch a code: digits, dots, letters */
static int
glued(char c)
{
	return (c >= '0' && c <= '9') || c == '.' ||
	    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

size_t
dsncode_scan(const char *s, size_t len, struct dsn *out, size_t *codelen)
{
	size_t i, j;
	struct dsn d;

	for (i = 0; i < len; i++) {
		if (s[i] != '2' && s[i] != '4' && s[i] != '5')
			continue;
		if (i > 0 && glued(s[i - 1]))
			continue;
		j = i;
		if (parse_at(s, len, &j, &d, 0) < 0)
			continue;
		/* "5.7.1." ends a sentence; "5.7.1.100" is an address */
		if (j < len && glued(s[j]) &&
		    !(s[j] == '.' && (j + 1 == len || !glued(s[j + 1]))))
			continue;
		*out = d;
		*codelen = j - i;
		return i;
	}
	return (size_t)-1;
}

const struct dsncode *
dsncode_get(int subject, int detail)
{
	size_t lo = 0, hi = NTABLE, mid;
	int key = subject * 1000 + detail, k;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		k = table[mid].subject * 1000 + table[mid].detail;
		if (k == key)
			return &table[mid];
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct dsncode *
dsncode_lookup(const char *code, size_t len)
{
	size_t i = 0;
	struct dsn d;

	if (code == NULL || parse_at(code, len, &i, &d, 1) < 0 || i != len)
		return NULL;
	return dsncode_get(d.subject, d.detail);
}

const struct dsncode *
dsncode_table(size_t *n)
{
	*n = NTABLE;
	return table;
}

const char *
dsncode_class_title(int cls)
{
	switch (cls) {
	case 2:
		return "Success";
	case 4:
		return "Persistent transient failure";
	case 5:
		return "Permanent failure";
	}
	return NULL;
}

const char *
dsncode_class_meaning(int cls)
{
	switch (cls) {
	case 2:
		return "The message was delivered; this is not a failure.";
	case 4:
		return "A temporary problem: the message is fine and the "
		    "sending server keeps retrying, so a later attempt may "
		    "succeed.";
	case 5:
		return "A permanent problem: sending the same message again "
		    "will not help until something is changed.";
	}
	return NULL;
}

const char *
dsncode_subject_title(int subject)
{
	return subject >= 0 && subject < 8 ? subjects[subject].title : NULL;
}

const char *
dsncode_subject_meaning(int subject)
{
	return subject >= 0 && subject < 8 ? subjects[subject].meaning : NULL;
}

enum reason
dsncode_subject_reason(int subject)
{
	return subject >= 0 && subject < 8 ? subjects[subject].reason
					   : REASON_UNKNOWN;
}

enum reason
dsncode_reason(const struct dsn *d)
{
	const struct dsncode *e;

	if (d->cls == 2)
		return REASON_DELIVERED;
	if ((e = dsncode_get(d->subject, d->detail)) != NULL)
		return e->reason;
	return dsncode_subject_reason(d->subject);
}
