/*
 * reason.h - the vocabulary of failure reasons and of who must act.
 *
 * These ids are a contract: they appear in the store, in webhook bodies,
 * in template file names and in `plainbounce classify` output.  New ids
 * may be added at the end; existing ids are never renamed.
 */
#ifndef PB_REASON_H
#define PB_REASON_H

#include <stdbool.h>
#include <stddef.h>

enum reason {
	REASON_UNKNOWN = 0,
	REASON_ADDRESS_UNKNOWN,
	REASON_DOMAIN_UNKNOWN,
	REASON_ADDRESS_MOVED,
	REASON_MAILBOX_DISABLED,
	REASON_MAILBOX_FULL,
	REASON_MESSAGE_TOO_LARGE,
	REASON_RECIPIENT_REFUSED,
	REASON_SPAM_SUSPECTED,
	REASON_UNSAFE_CONTENT,
	REASON_POLICY_BLOCKED,
	REASON_SENDER_BLOCKED,
	REASON_AUTHENTICATION_FAILED,
	REASON_REVERSE_DNS_MISSING,
	REASON_SENDER_ADDRESS_REJECTED,
	REASON_RELAY_DENIED,
	REASON_TLS_REQUIRED,
	REASON_RATE_LIMITED,
	REASON_GREYLISTED,
	REASON_CANNOT_CONNECT,
	REASON_REMOTE_SERVER_PROBLEM,
	REASON_MALFORMED_MESSAGE,
	REASON_PROTOCOL_ERROR,
	REASON_SECURITY_REQUIREMENT,
	REASON_LOCAL_SYSTEM_PROBLEM,
	REASON_DELIVERY_EXPIRED,
	REASON_AUTO_REPLY,
	REASON_COMPLAINT,
	REASON_DELIVERED,
	REASON_COUNT
};

/* Who has to do something about a failure. */
enum actor {
	ACTOR_NOBODY = 0,
	ACTOR_SENDER,
	ACTOR_RECIPIENT,
	ACTOR_OUR_ADMIN,
	ACTOR_THEIR_ADMIN,
	ACTOR_COUNT
};

/* reason_name - the stable id, e.g. "address_unknown" */
const char *reason_name(enum reason r);
/* reason_from_name - the reason for an id; false when it is not one */
bool reason_from_name(const char *name, size_t len, enum reason *out);
/* actor_name - "sender", "recipient", "our_admin", "their_admin", "nobody" */
const char *actor_name(enum actor a);
/* actor_from_name - the actor for an id; false when it is not one */
bool actor_from_name(const char *name, size_t len, enum actor *out);

#endif
