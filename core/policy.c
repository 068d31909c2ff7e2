/*
 * policy.c - the responder's routing policy as a pure function.
 *
 * Owns the suppression rules (RFC 3834, vacation(1) practice, Postfix's
 * backscatter advice), the loop guard and the rate-limit verdict; see
 * policy.h for what is guaranteed.  Nothing here reads the clock or the
 * store: the caller passes the facts and the count of recent notices.
 */
#include <string.h>
#include <strings.h>

#include "policy.h"

void
policy_conf_default(struct policy_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->sender_kinds = POLICY_ALL_KINDS;
	c->helpdesk_kinds = POLICY_ALL_KINDS;
	c->webhook_kinds = POLICY_ALL_KINDS;
	c->notice_envelope = "";
}

bool
policy_kind_from_name(const char *name, enum notice_kind *k)
{
	int i;

	for (i = 0; i < NOTICE_KIND_COUNT; i++)
		if (strcmp(name, notice_kind_name((enum notice_kind)i)) == 0) {
			*k = (enum notice_kind)i;
			return true;
		}
	return false;
}

/* prefix_ci - s starts with p, ignoring case */
static int
prefix_ci(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && strncasecmp(s, p, n) == 0;
}

/* suffix_ci - s[0..len) ends with p, ignoring case */
static int
suffix_ci(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && strncasecmp(s + len - n, p, n) == 0;
}

/* equal_ci - s[0..len) is p, ignoring case */
static int
equal_ci(const char *s, size_t len, const char *p)
{
	return strlen(p) == len && strncasecmp(s, p, len) == 0;
}

int
policy_role_sender(const char *sender)
{
	const char *at, *local, *p;
	size_t len;

	if (sender == NULL || *sender == '\0')
		return 1;			/* null sender: never */
	at = strrchr(sender, '@');
	local = sender;
	len = at ? (size_t)(at - sender) : strlen(sender);
	/* SRS: somebody else's mail we forwarded, never our user's own */
	if (prefix_ci(local, len, "srs0=") || prefix_ci(local, len, "srs1="))
		return 1;
	/* BATV prvs=TAG=local: judge the local part behind the tag */
	if (prefix_ci(local, len, "prvs=") || prefix_ci(local, len, "msprvs1=")
	    || prefix_ci(local, len, "btv1=")) {
		p = memchr(local, '=', len);
		p = p ? memchr(p + 1, '=', len - (size_t)(p + 1 - local)) : NULL;
		if (p) {
			len -= (size_t)(p + 1 - local);
			local = p + 1;
		}
	}
	/* a "+detail" never turns a role address into a person */
	if ((p = memchr(local, '+', len)) != NULL)
		len = (size_t)(p - local);
	return equal_ci(local, len, "mailer-daemon") ||
	       equal_ci(local, len, "postmaster") ||
	       prefix_ci(local, len, "owner-") ||
	       suffix_ci(local, len, "-request") ||
	       suffix_ci(local, len, "-owner") ||
	       equal_ci(local, len, "majordomo") ||
	       equal_ci(local, len, "listserv");
}

/* domain_local - the sender's domain is one of ours */
static int
domain_local(const struct policy_conf *c, const char *sender)
{
	const char *at = strrchr(sender, '@');
	size_t i;

	if (at == NULL || c->local_domains == NULL)
		return 0;
	for (i = 0; c->local_domains[i]; i++)
		if (strcasecmp(at + 1, c->local_domains[i]) == 0)
			return 1;
	return 0;
}

/* strip_ws - s without leading and trailing blanks, as a length */
static const char *
strip_ws(const char *s, size_t *len)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
			 s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	*len = n;
	return s;
}

/* auto_submitted - Auto-Submitted present with a value other than "no" */
static int
auto_submitted(const char *v)
{
	size_t n;
	const char *s;

	if (v == NULL)
		return 0;
	s = strip_ws(v, &n);
	/* the value may carry parameters: "no; comment" is still no */
	if (prefix_ci(s, n, "no") && (n == 2 || s[2] == ';' || s[2] == ' ' ||
				     s[2] == '('))
		return 0;
	return n > 0;
}

/* bulk_precedence - Precedence bulk, list or junk */
static int
bulk_precedence(const char *v)
{
	size_t n;
	const char *s;

	if (v == NULL)
		return 0;
	s = strip_ws(v, &n);
	return equal_ci(s, n, "bulk") || equal_ci(s, n, "list") ||
	       equal_ci(s, n, "junk");
}

/* notify_has - NOTIFY= (a comma list) names word */
static int
notify_has(const char *notify, const char *word)
{
	const char *p = notify, *e;

	while (*p) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if (equal_ci(p, (size_t)(e - p), word))
			return 1;
		p = *e ? e + 1 : e;
	}
	return 0;
}

int
policy_is_our_notice(const struct policy_conf *c,
		     const struct policy_event *ev)
{
	const char *id = ev->message_id, *at, *end;
	size_t plen, dlen;

	if (ev->sender && *ev->sender) {
		if (c->notice_from && *c->notice_from &&
		    strcasecmp(ev->sender, c->notice_from) == 0)
			return 1;
		if (c->notice_envelope && *c->notice_envelope &&
		    strcasecmp(ev->sender, c->notice_envelope) == 0)
			return 1;
	}
	if (id == NULL)
		return 0;
	while (*id == ' ' || *id == '\t' || *id == '<')
		id++;
	at = strrchr(id, '@');
	if (at == NULL)
		return 0;
	if (c->msgid_prefix && (plen = strlen(c->msgid_prefix)) > 0 &&
	    strncasecmp(id, c->msgid_prefix, plen) == 0)
		return 1;
	end = strchr(at, '>');
	dlen = end ? (size_t)(end - at - 1) : strlen(at + 1);
	return c->msgid_domain && *c->msgid_domain &&
	       equal_ci(at + 1, dlen, c->msgid_domain);
}

/* sender_refusal - why the sender may not be told, or NULL */
static const char *
sender_refusal(const struct policy_conf *c, const struct policy_event *ev)
{
	bool delay_kind = ev->kind == NOTICE_DEFERRED_LONG ||
			  ev->kind == NOTICE_DELIVERED_AFTER_DELAY;

	if (!(c->sender_kinds & POLICY_KIND(ev->kind)))
		return "kind not routed to senders";
	if ((unsigned)ev->reason < REASON_COUNT && c->sender_skip[ev->reason])
		return "reason not routed to senders";
	if (policy_role_sender(ev->sender))
		return "null, role or forwarded sender";
	if (!ev->facts_from_milter && !c->trust_log_only)
		return "no milter record (log's word alone)";
	if (ev->submission == NULL ||
	    (strcmp(ev->submission, "authenticated") != 0 &&
	     strcmp(ev->submission, "trusted") != 0 &&
	     strcmp(ev->submission, "local") != 0))
		return "not submitted by our users (backscatter)";
	if (!domain_local(c, ev->sender))
		return "sender domain not in local_domains";
	if (auto_submitted(ev->auto_submitted))
		return "Auto-Submitted";
	if (bulk_precedence(ev->precedence))
		return "Precedence bulk/list/junk";
	if (ev->list_id != NULL)
		return "List-Id";
	if (ev->notify != NULL && *ev->notify != '\0') {
		if (notify_has(ev->notify, "NEVER"))
			return "NOTIFY=NEVER";
		if (delay_kind && !notify_has(ev->notify, "DELAY"))
			return "NOTIFY without DELAY";
		if (!delay_kind && !notify_has(ev->notify, "FAILURE"))
			return "NOTIFY without FAILURE";
	}
	return NULL;
}

struct policy_verdict
policy_decide(const struct policy_conf *c, const struct policy_event *ev)
{
	struct policy_verdict v = { false, false, false, 0, NULL };
	size_t i;

	if ((unsigned)ev->kind >= NOTICE_KIND_COUNT) {
		v.why = "unknown event kind";
		return v;
	}
	if (policy_is_our_notice(c, ev)) {
		v.why = "loop guard: one of our own notices";
		return v;
	}
	v.why = sender_refusal(c, ev);
	v.sender = v.why == NULL;
	v.helpdesk = c->helpdesk && (c->helpdesk_kinds & POLICY_KIND(ev->kind))
		     && !((unsigned)ev->reason < REASON_COUNT &&
			  c->helpdesk_skip[ev->reason]);
	v.webhook = c->webhook && (c->webhook_kinds & POLICY_KIND(ev->kind))
		    && !((unsigned)ev->reason < REASON_COUNT &&
			 c->webhook_skip[ev->reason]);
	for (i = 0; i < c->n_extra && i < POLICY_MAX_EXTRA; i++)
		if ((c->extra[i].kinds & POLICY_KIND(ev->kind)) &&
		    !((unsigned)ev->reason < REASON_COUNT &&
		      c->extra[i].skip[ev->reason]))
			v.extra |= 1u << i;
	return v;
}

int
policy_rate_hold(const struct policy_conf *c, int64_t sent_in_window)
{
	return c->sender_rate > 0 && sent_in_window >= c->sender_rate;
}
