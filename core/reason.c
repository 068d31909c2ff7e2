/*
 * reason.c - names of failure reasons and actors, as data.
 *
 * Guarantees: every enum value has exactly one name, and names round-trip
 * through reason_from_name()/actor_from_name().
 */
#include <string.h>

#include "reason.h"

static const char *const reason_names[REASON_COUNT] = {
	[REASON_UNKNOWN] = "unknown",
	[REASON_ADDRESS_UNKNOWN] = "address_unknown",
	[REASON_DOMAIN_UNKNOWN] = "domain_unknown",
	[REASON_ADDRESS_MOVED] = "address_moved",
	[REASON_MAILBOX_DISABLED] = "mailbox_disabled",
	[REASON_MAILBOX_FULL] = "mailbox_full",
	[REASON_MESSAGE_TOO_LARGE] = "message_too_large",
	[REASON_RECIPIENT_REFUSED] = "recipient_refused",
	[REASON_SPAM_SUSPECTED] = "spam_suspected",
	[REASON_UNSAFE_CONTENT] = "unsafe_content",
	[REASON_POLICY_BLOCKED] = "policy_blocked",
	[REASON_SENDER_BLOCKED] = "sender_blocked",
	[REASON_AUTHENTICATION_FAILED] = "authentication_failed",
	[REASON_REVERSE_DNS_MISSING] = "reverse_dns_missing",
	[REASON_SENDER_ADDRESS_REJECTED] = "sender_address_rejected",
	[REASON_RELAY_DENIED] = "relay_denied",
	[REASON_TLS_REQUIRED] = "tls_required",
	[REASON_RATE_LIMITED] = "rate_limited",
	[REASON_GREYLISTED] = "greylisted",
	[REASON_CANNOT_CONNECT] = "cannot_connect",
	[REASON_REMOTE_SERVER_PROBLEM] = "remote_server_problem",
	[REASON_MALFORMED_MESSAGE] = "malformed_message",
	[REASON_PROTOCOL_ERROR] = "protocol_error",
	[REASON_SECURITY_REQUIREMENT] = "security_requirement",
	[REASON_LOCAL_SYSTEM_PROBLEM] = "local_system_problem",
	[REASON_DELIVERY_EXPIRED] = "delivery_expired",
	[REASON_AUTO_REPLY] = "auto_reply",
	[REASON_COMPLAINT] = "complaint",
	[REASON_DELIVERED] = "delivered",
};

static const char *const actor_names[ACTOR_COUNT] = {
	[ACTOR_NOBODY] = "nobody",
	[ACTOR_SENDER] = "sender",
	[ACTOR_RECIPIENT] = "recipient",
	[ACTOR_OUR_ADMIN] = "our_admin",
	[ACTOR_THEIR_ADMIN] = "their_admin",
};

const char *
reason_name(enum reason r)
{
	return (unsigned)r < REASON_COUNT ? reason_names[r] : "unknown";
}

/* lookup - index of name[0..len) in a table of n names, or -1 */
static int
lookup(const char *const *names, int n, const char *name, size_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return i;
	return -1;
}

bool
reason_from_name(const char *name, size_t len, enum reason *out)
{
	int i = lookup(reason_names, REASON_COUNT, name, len);

	if (i < 0)
		return false;
	*out = (enum reason)i;
	return true;
}

const char *
actor_name(enum actor a)
{
	return (unsigned)a < ACTOR_COUNT ? actor_names[a] : "nobody";
}

bool
actor_from_name(const char *name, size_t len, enum actor *out)
{
	int i = lookup(actor_names, ACTOR_COUNT, name, len);

	if (i < 0)
		return false;
	*out = (enum actor)i;
	return true;
}
