/*
 * check_classify.c - the classifier with the shipped rules: one real-shaped
 * reply per reason, the SMTP stage deciding, Postfix's own texts, expired
 * recipients, site rules overriding, provider and blocklist names, the
 * retry-after hint, rules file errors, and hostile input.
 */
#include <check.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "testutil.h"
#include "xalloc.h"

static struct classifier *cls;

static void
setup(void)
{
	struct buf why;

	buf_init(&why, 4096);
	cls = classify_load(tu_path("config/classify.rules"), NULL, &why);
	if (cls == NULL)
		ck_abort_msg("loading config/classify.rules: %s", buf_str(&why));
	buf_free(&why);
}

static void
teardown(void)
{
	classify_free(cls);
	cls = NULL;
}

/* run - classify text with status, dsn, stage (NULL/NONE for unknown) */
static struct classify_result
run(const struct classifier *c, enum classify_status st, const char *dsn,
    enum classify_stage stage, const char *text)
{
	struct classify_input in;
	struct classify_result r;

	classify_input_init(&in);
	in.status = st;
	if (dsn)
		in.dsn = span_make(dsn, strlen(dsn));
	in.stage = stage;
	in.text = span_make(text, strlen(text));
	classify_reply(c, &in, &r);
	return r;
}

#define B CLS_STATUS_BOUNCED
#define D CLS_STATUS_DEFERRED

static const struct {
	enum classify_status st;
	const char *dsn;
	enum classify_stage stage;
	const char *text;
	enum reason want;
} cases[] = {
	{ B, "5.1.1", CLS_STAGE_RCPT, "host mx.example.com[192.0.2.10] said: "
	  "550 5.1.1 <a@example.com>: Recipient address rejected: User "
	  "unknown in virtual mailbox table (in reply to RCPT TO command)",
	  REASON_ADDRESS_UNKNOWN },
	{ B, "5.1.1", CLS_STAGE_RCPT, "host gmail-smtp-in.l.google.com"
	  "[192.0.2.27] said: 550-5.1.1 The email account that you tried to "
	  "reach does not exist. Please try 550-5.1.1 double-checking the "
	  "recipient's email address for typos (in reply to RCPT TO "
	  "command)", REASON_ADDRESS_UNKNOWN },
	{ B, "5.4.4", CLS_STAGE_NONE, "Host or domain name not found. Name "
	  "service error for name=example.invalid type=A: Host not found",
	  REASON_DOMAIN_UNKNOWN },
	{ B, "5.1.0", CLS_STAGE_NONE, "Domain example.com does not accept "
	  "mail (nullMX)", REASON_DOMAIN_UNKNOWN },
	{ B, "5.1.6", CLS_STAGE_RCPT, "550 5.1.6 recipient no longer on "
	  "server: a@example.org", REASON_ADDRESS_MOVED },
	{ B, "5.2.1", CLS_STAGE_RCPT, "550 5.2.1 The email account that you "
	  "tried to reach is disabled. https://support.google.com/mail/?p="
	  "DisabledUser", REASON_MAILBOX_DISABLED },
	{ D, "4.2.2", CLS_STAGE_RCPT, "host gmail-smtp-in.l.google.com"
	  "[192.0.2.27] said: 452-4.2.2 The recipient's inbox is out of "
	  "452-4.2.2 storage space. (in reply to RCPT TO command)",
	  REASON_MAILBOX_FULL },
	{ B, "5.3.4", CLS_STAGE_NONE, "message size 31457280 exceeds size "
	  "limit 20971520 of server mx.example.com[192.0.2.10]",
	  REASON_MESSAGE_TOO_LARGE },
	{ B, "5.7.1", CLS_STAGE_DATA, "host mx.example.com[192.0.2.10] said: "
	  "550 5.7.1 Message content rejected, UBE, id=12345-01 (in reply to "
	  "end of DATA command)", REASON_SPAM_SUSPECTED },
	{ B, "5.7.1", CLS_STAGE_DATA, "host mx.example.com[192.0.2.10] said: "
	  "554 5.7.1 Virus detected: Eicar-Test-Signature (in reply to end "
	  "of DATA command)", REASON_UNSAFE_CONTENT },
	{ B, "5.7.1", CLS_STAGE_DATA, "host mx.example.com[192.0.2.10] said: "
	  "550 5.7.1 Message rejected due to local policy (in reply to end of "
	  "DATA command)", REASON_POLICY_BLOCKED },
	{ B, "5.7.1", CLS_STAGE_RCPT, "host mx.example.com[192.0.2.10] said: "
	  "554 5.7.1 Service unavailable; Client host [203.0.113.7] blocked "
	  "using zen.spamhaus.org (in reply to RCPT TO command)",
	  REASON_SENDER_BLOCKED },
	{ B, "5.7.26", CLS_STAGE_DATA, "host mx.example.com[192.0.2.10] said: "
	  "550 5.7.26 Unauthenticated email from example.net is not accepted "
	  "due to domain's DMARC policy (in reply to end of DATA command)",
	  REASON_AUTHENTICATION_FAILED },
	{ D, "4.7.1", CLS_STAGE_RCPT, "host mx.example.com[192.0.2.10] said: "
	  "450 4.7.1 Client host rejected: cannot find your reverse hostname, "
	  "[203.0.113.7] (in reply to RCPT TO command)",
	  REASON_REVERSE_DNS_MISSING },
	{ D, "4.1.8", CLS_STAGE_RCPT, "host mx.example.com[192.0.2.10] said: "
	  "450 4.1.8 <s@example.net>: Sender address rejected: Domain not "
	  "found (in reply to RCPT TO command)",
	  REASON_SENDER_ADDRESS_REJECTED },
	{ B, "5.7.1", CLS_STAGE_RCPT, "host mx.example.com[192.0.2.10] said: "
	  "554 5.7.1 <a@example.com>: Relay access denied (in reply to RCPT "
	  "TO command)", REASON_RELAY_DENIED },
	{ D, "4.7.4", CLS_STAGE_NONE, "TLS is required, but was not offered "
	  "by host mx.example.com[192.0.2.10]", REASON_TLS_REQUIRED },
	{ D, "4.7.0", CLS_STAGE_CONN, "host mx.example.com[192.0.2.10] "
	  "refused to talk to me: 421 4.7.0 mx.example.com Error: too many "
	  "connections from 203.0.113.7", REASON_RATE_LIMITED },
	{ D, "4.2.0", CLS_STAGE_RCPT, "host mx.example.com[192.0.2.10] said: "
	  "450 4.2.0 <a@example.com>: Recipient address rejected: "
	  "Greylisted, see http://postgrey.schweikert.ch/help/example.com.html"
	  " (in reply to RCPT TO command)", REASON_GREYLISTED },
	{ D, "4.4.1", CLS_STAGE_NONE, "connect to mx.example.com[192.0.2.10]"
	  ":25: Connection refused", REASON_CANNOT_CONNECT },
	{ D, "4.3.0", CLS_STAGE_DATA, "host mx.example.com[192.0.2.10] said: "
	  "451 4.3.0 Error: queue file write error (in reply to end of DATA "
	  "command)", REASON_REMOTE_SERVER_PROBLEM },
	{ B, "5.6.0", CLS_STAGE_DATA, "host mx.example.com[192.0.2.10] said: "
	  "550 5.6.0 This message is not RFC 5322 compliant, there are "
	  "multiple Subject headers (in reply to end of DATA command)",
	  REASON_MALFORMED_MESSAGE },
	{ B, "5.5.2", CLS_STAGE_MAIL, "host mx.example.com[192.0.2.10] said: "
	  "501 5.5.2 Syntax error in parameters or arguments (in reply to "
	  "MAIL FROM command)", REASON_PROTOCOL_ERROR },
	{ B, "5.7.0", CLS_STAGE_MAIL, "host smtp.example.com[192.0.2.10] "
	  "said: 530 5.7.0 Authentication required (in reply to MAIL FROM "
	  "command)", REASON_SECURITY_REQUIREMENT },
	{ B, "5.4.6", CLS_STAGE_NONE, "mail for example.com loops back to "
	  "myself", REASON_LOCAL_SYSTEM_PROBLEM },
	{ CLS_STATUS_NONE, NULL, CLS_STAGE_NONE, "I am out of the office "
	  "until Monday and will answer your message on my return.",
	  REASON_AUTO_REPLY },
	{ CLS_STATUS_NONE, NULL, CLS_STAGE_NONE, "This is an email abuse "
	  "report for an email message received from IP 192.0.2.1",
	  REASON_COMPLAINT },
	{ CLS_STATUS_SENT, "2.0.0", CLS_STAGE_DATA, "250 2.0.0 Ok: queued as "
	  "4XyZ1234", REASON_DELIVERED },
	{ B, "5.1.1", CLS_STAGE_NONE, "unknown user: \"alice\"",
	  REASON_ADDRESS_UNKNOWN },
};

START_TEST(test_reason_per_kind)
{
	struct classify_result r;

	r = run(cls, cases[_i].st, cases[_i].dsn, cases[_i].stage,
		cases[_i].text);
	ck_assert_msg(r.reason == cases[_i].want, "case %d: got %s, want %s "
		      "(%s)", _i, reason_name(r.reason),
		      reason_name(cases[_i].want),
		      r.rule >= 0 ? classify_rule_where(cls, r.rule) : "-");
	ck_assert_int_eq(r.actor, classify_reason_actor(r.reason));
}
END_TEST

START_TEST(test_every_reason_covered)
{
	int seen[REASON_COUNT] = { 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		seen[cases[i].want] = 1;
	for (i = 1; i < REASON_COUNT; i++)
		if (i != REASON_DELIVERY_EXPIRED &&
		    i != REASON_RECIPIENT_REFUSED)
			ck_assert_msg(seen[i], "no case for %s",
				      reason_name((enum reason)i));
}
END_TEST

START_TEST(test_stage_decides)
{
	struct classify_result r;

	/* the same words at three stages */
	r = run(cls, B, NULL, CLS_STAGE_RCPT, "550 User unknown");
	ck_assert_int_eq(r.reason, REASON_ADDRESS_UNKNOWN);
	ck_assert_int_eq(r.actor, ACTOR_SENDER);
	r = run(cls, B, NULL, CLS_STAGE_DATA, "550 User unknown");
	ck_assert_int_eq(r.reason, REASON_RECIPIENT_REFUSED);
	ck_assert_int_eq(r.actor, ACTOR_RECIPIENT);
	r = run(cls, B, NULL, CLS_STAGE_MAIL, "550 User unknown");
	ck_assert_int_eq(r.reason, REASON_SENDER_ADDRESS_REJECTED);
	/* the stage read from Postfix's "(in reply to ...)" */
	r = run(cls, B, "5.0.0", CLS_STAGE_NONE, "host mx.example.com"
		"[192.0.2.10] said: 550 User unknown (in reply to end of DATA "
		"command)");
	ck_assert_int_eq(r.stage, CLS_STAGE_DATA);
	ck_assert_int_eq(r.reason, REASON_RECIPIENT_REFUSED);
	r = run(cls, B, "5.0.0", CLS_STAGE_NONE, "host mx.example.com"
		"[192.0.2.10] said: 550 User unknown (in reply to RCPT TO "
		"command)");
	ck_assert_int_eq(r.stage, CLS_STAGE_RCPT);
	ck_assert_int_eq(r.reason, REASON_ADDRESS_UNKNOWN);
	ck_assert_uint_eq(r.smtp_code, 550);
	/* a greeting refusal is a block of our server */
	r = run(cls, B, NULL, CLS_STAGE_NONE, "host mx.example.com"
		"[192.0.2.10] refused to talk to me: 554 5.7.1 Go away");
	ck_assert_int_eq(r.stage, CLS_STAGE_CONN);
	ck_assert_int_eq(r.reason, REASON_SENDER_BLOCKED);
	/* a full disk before any recipient is their server's; after RCPT
	 * it is the recipient's mailbox */
	r = run(cls, D, "4.3.1", CLS_STAGE_NONE, "host mx.example.com"
		"[192.0.2.10] said: 452 4.3.1 Insufficient disk space, retry "
		"later (in reply to MAIL FROM command)");
	ck_assert_int_eq(r.reason, REASON_REMOTE_SERVER_PROBLEM);
	r = run(cls, D, "4.2.2", CLS_STAGE_RCPT, "452 4.2.2 Not enough disk "
		"space for this user");
	ck_assert_int_eq(r.reason, REASON_MAILBOX_FULL);
	/* "user unknown" beats a mention of filtering */
	r = run(cls, B, "5.1.1", CLS_STAGE_RCPT, "550 5.1.1 User unknown "
		"(recipient filtered by local table)");
	ck_assert_int_eq(r.reason, REASON_ADDRESS_UNKNOWN);
	r = run(cls, B, NULL, CLS_STAGE_MAIL, "550 Unroutable sender address");
	ck_assert_int_eq(r.reason, REASON_SENDER_ADDRESS_REJECTED);
	/* spam named first in a spam-or-virus rejection */
	r = run(cls, B, NULL, CLS_STAGE_DATA, "554 Rejected: spam or virus "
		"found in message");
	ck_assert_int_eq(r.reason, REASON_SPAM_SUSPECTED);
	/* a local delivery program on their side that failed */
	r = run(cls, B, "5.3.0", CLS_STAGE_NONE, "X-Unix; 75");
	ck_assert_int_eq(r.reason, REASON_REMOTE_SERVER_PROBLEM);
}
END_TEST

START_TEST(test_postfix_own_texts)
{
	static const struct {
		const char *text;
		enum classify_status st;
		enum reason want;
	} own[] = {
		{ "connect to mx.example.com[192.0.2.10]:25: Connection "
		  "refused", D, REASON_CANNOT_CONNECT },
		{ "connect to mx.example.com[192.0.2.10]:25: Connection timed "
		  "out", D, REASON_CANNOT_CONNECT },
		{ "connect to mx.example.com[2001:db8::1]:25: Network is "
		  "unreachable", D, REASON_CANNOT_CONNECT },
		{ "Host or domain name not found. Name service error for "
		  "name=example.com type=MX: Host not found, try again", D,
		  REASON_CANNOT_CONNECT },
		{ "Host or domain name not found. Name service error for "
		  "name=example.invalid type=MX: Host not found", B,
		  REASON_DOMAIN_UNKNOWN },
		{ "Domain example.org does not accept mail (nullMX)", B,
		  REASON_DOMAIN_UNKNOWN },
		{ "mail for example.org loops back to myself", B,
		  REASON_LOCAL_SYSTEM_PROBLEM },
		{ "unknown user: \"bob\"", B, REASON_ADDRESS_UNKNOWN },
		{ "delivery temporarily suspended: connect to mx.example.com"
		  "[192.0.2.10]:25: Connection timed out", D,
		  REASON_CANNOT_CONNECT },
		{ "delivery temporarily suspended: lost connection with "
		  "mx.example.com[192.0.2.10] while receiving the initial "
		  "server greeting", D, REASON_CANNOT_CONNECT },
		{ "lost connection with mx.example.com[192.0.2.10] while "
		  "sending RCPT TO", D, REASON_CANNOT_CONNECT },
		{ "conversation with mx.example.com[192.0.2.10] timed out "
		  "while receiving the initial server greeting", D,
		  REASON_CANNOT_CONNECT },
		{ "TLS is required, but host mx.example.com[192.0.2.10] "
		  "refused to start TLS: 454 4.7.0 TLS not available", D,
		  REASON_TLS_REQUIRED },
		{ "mail transport unavailable", D,
		  REASON_LOCAL_SYSTEM_PROBLEM },
	};
	struct classify_result r;
	size_t i;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		r = run(cls, own[i].st, NULL, CLS_STAGE_NONE, own[i].text);
		ck_assert_msg(r.reason == own[i].want, "%s: got %s",
			      own[i].text, reason_name(r.reason));
	}
	r = run(cls, D, NULL, CLS_STAGE_NONE, own[0].text);
	ck_assert(r.retry);
	ck_assert_int_eq(r.actor, ACTOR_NOBODY);
	ck_assert(!r.permanent);
}
END_TEST

START_TEST(test_expired)
{
	struct classify_input in;
	struct classify_result r;
	const char *t = "connect to mx.example.com[192.0.2.10]:25: Connection "
	    "timed out";

	classify_input_init(&in);
	in.status = CLS_STATUS_EXPIRED;
	in.dsn = span_make("4.4.1", 5);
	in.text = span_make(t, strlen(t));
	in.tried_for = 5 * 86400;
	classify_reply(cls, &in, &r);
	ck_assert_int_eq(r.reason, REASON_DELIVERY_EXPIRED);
	ck_assert_int_eq(r.last_reason, REASON_CANNOT_CONNECT);
	ck_assert_int_eq(r.tried_for, 5 * 86400);
	ck_assert_int_eq(r.actor, ACTOR_SENDER);
	ck_assert(r.retry);
	/* the last deferral was a block: sending again won't help */
	t = "host mx.example.com[192.0.2.10] said: 450 4.7.1 Client host "
	    "rejected: cannot find your reverse hostname, [203.0.113.7] (in "
	    "reply to RCPT TO command)";
	in.text = span_make(t, strlen(t));
	in.dsn = span_make("4.7.1", 5);
	classify_reply(cls, &in, &r);
	ck_assert_int_eq(r.reason, REASON_DELIVERY_EXPIRED);
	ck_assert_int_eq(r.last_reason, REASON_REVERSE_DNS_MISSING);
	ck_assert(!r.retry);
	/* an MTA's own expiry words without the expired status */
	r = run(cls, B, "4.4.7", CLS_STAGE_NONE, "421 4.4.7 Delivery time "
		"expired");
	ck_assert_int_eq(r.reason, REASON_DELIVERY_EXPIRED);
	ck_assert_int_eq(r.last_reason, REASON_UNKNOWN);
	ck_assert_int_eq(r.tried_for, -1);
	/* expiry words that name the cause: the cause is last_reason, and
	 * the bare reply code of the expiry report is not taken for one */
	r = run(cls, B, "", CLS_STAGE_NONE, "connect to mx.example.net["
		"192.0.2.7]:25: Connection refused; giving up.");
	ck_assert_int_eq(r.reason, REASON_DELIVERY_EXPIRED);
	ck_assert_int_eq(r.last_reason, REASON_CANNOT_CONNECT);
	r = run(cls, B, "", CLS_STAGE_NONE, "451 message expired");
	ck_assert_int_eq(r.reason, REASON_DELIVERY_EXPIRED);
	ck_assert_int_eq(r.last_reason, REASON_UNKNOWN);
	/* not expired: tried_for is not reported */
	in.status = CLS_STATUS_DEFERRED;
	classify_reply(cls, &in, &r);
	ck_assert_int_eq(r.reason, REASON_REVERSE_DNS_MISSING);
	ck_assert_int_eq(r.last_reason, REASON_REVERSE_DNS_MISSING);
	ck_assert_int_eq(r.tried_for, -1);
}
END_TEST

START_TEST(test_fallbacks)
{
	struct classify_result r;

	/* no phrase: the enhanced status code table decides */
	r = run(cls, B, "5.7.26", CLS_STAGE_DATA, "550 5.7.26 zzz qqq");
	ck_assert_int_eq(r.reason, REASON_AUTHENTICATION_FAILED);
	ck_assert_int_eq(r.via, CLS_VIA_DSN);
	ck_assert_int_eq(r.rule, -1);
	/* the code found in the text when the dsn field is X.0.0 */
	r = run(cls, B, "5.0.0", CLS_STAGE_NONE, "550 #5.2.2 zzz qqq");
	ck_assert_int_eq(r.reason, REASON_MAILBOX_FULL);
	ck_assert_str_eq(r.dsn, "5.2.2");
	/* an IP address is not a status code */
	r = run(cls, B, NULL, CLS_STAGE_NONE, "zzz 5.1.1.7 qqq");
	ck_assert_int_eq(r.reason, REASON_UNKNOWN);
	ck_assert_str_eq(r.dsn, "");
	/* then the bare reply code and stage */
	r = run(cls, B, NULL, CLS_STAGE_RCPT, "550 zzz qqq");
	ck_assert_int_eq(r.reason, REASON_ADDRESS_UNKNOWN);
	ck_assert_int_eq(r.via, CLS_VIA_CODE);
	/* nothing at all: unknown, retried when temporary */
	r = run(cls, D, NULL, CLS_STAGE_NONE, "zzz qqq");
	ck_assert_int_eq(r.reason, REASON_UNKNOWN);
	ck_assert_int_eq(r.via, CLS_VIA_NONE);
	ck_assert(r.retry);
	r = run(cls, B, NULL, CLS_STAGE_NONE, "zzz qqq");
	ck_assert(!r.retry);
	ck_assert(r.permanent);
}
END_TEST

START_TEST(test_provider_names)
{
	static const struct {
		const char *text, *name;
	} named[] = {
		{ "554 5.7.1 Service unavailable; Client host [203.0.113.7] "
		  "blocked using zen.spamhaus.org", "Spamhaus" },
		{ "554 Service unavailable; Client host [203.0.113.7] blocked "
		  "using b.barracudacentral.org", "Barracuda" },
		{ "554 5.7.1 Blocked - see http://www.spamcop.net/bl.shtml?"
		  "203.0.113.7", "SpamCop" },
		{ "550 5.7.1 Unfortunately, messages from [203.0.113.7] weren't "
		  "sent. Part of their network is on our block list (S3150).",
		  "Microsoft S3150" },
		{ "554 Blocked - see https://support.proofpoint.com/"
		  "dnsbl-lookup.cgi?ip=203.0.113.7", "Proofpoint" },
		{ "550 Invalid Recipient - https://community.mimecast.com/docs/"
		  "DOC-1369#550", "Mimecast" },
		{ "host gmail-smtp-in.l.google.com[192.0.2.27] said: 550 5.2.1 "
		  "The email account that you tried to reach is inactive",
		  "Gmail" },
	};
	struct classify_result r;
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		r = run(cls, B, NULL, CLS_STAGE_NONE, named[i].text);
		ck_assert_ptr_nonnull(r.provider);
		ck_assert_str_eq(r.provider, named[i].name);
	}
	ck_assert_int_eq(run(cls, B, NULL, CLS_STAGE_NONE, named[0].text)
			 .reason, REASON_SENDER_BLOCKED);
	ck_assert_int_eq(run(cls, B, NULL, CLS_STAGE_NONE, named[3].text)
			 .reason, REASON_SENDER_BLOCKED);
	/* Gmail's 5.2.1 "inactive" is a disabled mailbox (provider rule) */
	r = run(cls, B, "5.2.1", CLS_STAGE_RCPT, named[6].text);
	ck_assert_int_eq(r.reason, REASON_MAILBOX_DISABLED);
	ck_assert_int_eq(r.via, CLS_VIA_PROVIDER);
	r = run(cls, B, NULL, CLS_STAGE_NONE, "550 5.1.1 user unknown");
	ck_assert_ptr_null(r.provider);
}
END_TEST

START_TEST(test_retry_after)
{
	struct classify_result r;

	ck_assert_int_eq(classify_retry_after("450 Please try again in 5 "
					      "minutes", 32), 300);
	ck_assert_int_eq(classify_retry_after("451 retry after 300 seconds",
					      27), 300);
	ck_assert_int_eq(classify_retry_after("Greylisted for 60 seconds",
					      25), 60);
	ck_assert_int_eq(classify_retry_after("Try again in 1 hour", 19),
			 3600);
	ck_assert_int_eq(classify_retry_after("RETRY AFTER 2h", 14), 7200);
	ck_assert_int_eq(classify_retry_after("try again later", 15), -1);
	ck_assert_int_eq(classify_retry_after("wait for it", 11), -1);
	ck_assert_int_eq(classify_retry_after("retry in 99999999 seconds",
					      25), -1);
	r = run(cls, D, "4.7.1", CLS_STAGE_RCPT, "451 4.7.1 Greylisted, please "
		"try again in 10 minutes");
	ck_assert_int_eq(r.reason, REASON_GREYLISTED);
	ck_assert_int_eq(r.retry_after, 600);
	ck_assert(r.retry);
}
END_TEST

START_TEST(test_site_rules_override)
{
	struct buf why;
	char *rules;
	size_t len;
	struct classifier *c;
	struct classify_result r;
	const char *site =
	    "# our own filter says \"user unknown\" for blocked partners\n"
	    "policy_blocked actor=their_admin retry=yes \"user unknown\"\n"
	    "  \"partner refused\"\n"
	    "[names]\nPartnerGate \"partnergate\"\n"
	    "[site]\nrate_limited provider=PartnerGate cmd=RCPT\n";

	rules = tu_read_file(tu_path("config/classify.rules"), &len);
	ck_assert_ptr_nonnull(rules);
	buf_init(&why, 4096);
	c = classify_load_text("classify.rules", rules, "site.rules", site,
			       &why);
	ck_assert_msg(c != NULL, "%s", buf_str(&why));
	r = run(c, B, "5.1.1", CLS_STAGE_RCPT, "550 5.1.1 User unknown");
	ck_assert_int_eq(r.reason, REASON_POLICY_BLOCKED);
	ck_assert_int_eq(r.via, CLS_VIA_SITE);
	ck_assert_int_eq(r.actor, ACTOR_THEIR_ADMIN);
	ck_assert(r.retry);
	ck_assert_str_eq(classify_rule_where(c, r.rule), "site.rules:2");
	r = run(c, B, NULL, CLS_STAGE_RCPT, "550 mx.partnergate.example "
		"says no");
	ck_assert_int_eq(r.reason, REASON_RATE_LIMITED);
	ck_assert_str_eq(r.provider, "PartnerGate");
	/* the shipped rules still answer the rest */
	r = run(c, B, NULL, CLS_STAGE_RCPT, "554 5.7.1 <a@example.com>: "
		"Relay access denied");
	ck_assert_int_eq(r.reason, REASON_RELAY_DENIED);
	ck_assert_int_ne(r.via, CLS_VIA_SITE);
	classify_free(c);
	free(rules);
	buf_free(&why);
}
END_TEST

START_TEST(test_rules_errors)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "[phrase]\nno_such_reason \"x y\"\n", "t.rules:2: unknown "
		  "reason \"no_such_reason\"" },
		{ "\n\naddress_unknown colour=blue \"xx\"\n", "t.rules:3: "
		  "unknown condition \"colour\"" },
		{ "address_unknown \"unterminated\n", "t.rules:1: "
		  "unterminated" },
		{ "address_unknown \"(paren\"\n", "t.rules:1: phrase part "
		  "\"(paren\" must start with a letter" },
		{ "address_unknown provider=Nobody \"xx\"\n", "t.rules:1: "
		  "provider \"Nobody\" is not in [names]" },
		{ "address_unknown\n", "t.rules:1: rule for "
		  "\"address_unknown\" would match every reply" },
		{ "  \"orphan\"\n", "t.rules:1: continuation line" },
		{ "[bogus]\n", "t.rules:1: unknown section" },
		{ "address_unknown dsn=5.x.1 \"xx\"\n", "t.rules:1: bad "
		  "enhanced status code pattern" },
		{ "address_unknown code=650 \"xx\"\n", "t.rules:1: bad reply "
		  "code pattern" },
		{ "address_unknown \"a\"\n", "t.rules:1: phrase part \"a\" is "
		  "shorter" },
		{ "address_unknown retry=maybe \"xx\"\n", "t.rules:1: retry "
		  "must be yes or no" },
		{ "[names]\nX\n", "t.rules:2: name \"X\" has no phrase" },
	};
	struct buf why;
	struct classifier *c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_init(&why, 4096);
		c = classify_load_text("t.rules", bad[i].text, NULL, NULL,
				       &why);
		ck_assert_msg(c == NULL, "case %zu loaded", i);
		ck_assert_msg(strstr(buf_str(&why), bad[i].want) != NULL,
			      "case %zu: \"%s\" lacks \"%s\"", i,
			      buf_str(&why), bad[i].want);
		buf_free(&why);
	}
	/* a missing file names the file */
	buf_init(&why, 4096);
	ck_assert_ptr_null(classify_load("/nonexistent/x.rules", NULL, &why));
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "/nonexistent/x.rules"));
	buf_free(&why);
	/* the smallest good file */
	buf_init(&why, 4096);
	c = classify_load_text("t.rules", "mailbox_full \"over quota\"  # c\n",
			       NULL, NULL, &why);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(classify_rule_count(c), 1);
	ck_assert_int_eq(run(c, B, NULL, CLS_STAGE_NONE, "552 User Is Over "
			     "Quota").reason, REASON_MAILBOX_FULL);
	{
		size_t states, classes, bytes;

		/* the start, "inside a word", a state per byte of the phrase
		 * (and of the built-in parts); a class per byte value it
		 * uses (o v e r space q u t a) and two for all others */
		bytes = classify_index_size(c, &states, &classes);
		ck_assert_uint_ge(states, 2 + strlen("over quota"));
		ck_assert_uint_ge(classes, 2 + 9);
		ck_assert_uint_ge(bytes, states * classes * 4);
	}
	classify_free(c);
	buf_free(&why);
	/* the matcher keeps a bit per rule: 4096 load, one more does not */
	{
		struct buf text;
		size_t r;

		buf_init(&text, (size_t)1 << 20);
		for (r = 0; r < 4096; r++)
			buf_addf(&text, "mailbox_full \"quota%zu\"\n", r);
		buf_init(&why, 4096);
		c = classify_load_text("t.rules", buf_str(&text), NULL, NULL,
				       &why);
		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(classify_rule_count(c), 4096);
		ck_assert_int_eq(run(c, B, NULL, CLS_STAGE_NONE, "552 quota4095 "
				     "reached").reason, REASON_MAILBOX_FULL);
		classify_free(c);
		buf_addf(&text, "mailbox_full \"quota4096\"\n");
		c = classify_load_text("t.rules", buf_str(&text), NULL, NULL,
				       &why);
		ck_assert_ptr_null(c);
		ck_assert_ptr_nonnull(strstr(buf_str(&why), "t.rules:4097: "
					     "more than 4096 rules"));
		buf_free(&why);
		buf_free(&text);
	}
}
END_TEST

START_TEST(test_phrase_syntax)
{
	struct buf why;
	struct classifier *c;

	buf_init(&why, 4096);
	c = classify_load_text("t.rules",
	    "mailbox_full \"mailbox ... full\" !\"system\"\n"
	    "reverse_dns_missing \"ptr|\"\n", NULL, NULL, &why);
	ck_assert_msg(c != NULL, "%s", buf_str(&why));
	ck_assert_int_eq(run(c, B, NULL, CLS_STAGE_NONE, "Mailbox of a is "
			     "FULL").reason, REASON_MAILBOX_FULL);
	/* order matters for " ... " */
	ck_assert_int_eq(run(c, B, NULL, CLS_STAGE_NONE, "full mailbox")
			 .reason, REASON_UNKNOWN);
	/* a veto */
	ck_assert_int_eq(run(c, B, NULL, CLS_STAGE_NONE, "mailbox system "
			     "full").reason, REASON_UNKNOWN);
	/* word boundaries: "ptr" but not "ptrace" nor "interrupted" */
	ck_assert_int_eq(run(c, B, NULL, CLS_STAGE_NONE, "no PTR.").reason,
			 REASON_REVERSE_DNS_MISSING);
	ck_assert_int_eq(run(c, B, NULL, CLS_STAGE_NONE, "ptrace").reason,
			 REASON_UNKNOWN);
	ck_assert_int_eq(run(c, B, NULL, CLS_STAGE_NONE, "interrupted")
			 .reason, REASON_UNKNOWN);
	/* blanks and line breaks are one space */
	ck_assert_int_eq(run(c, B, NULL, CLS_STAGE_NONE, "mailbox\r\n\t is "
			     "full").reason, REASON_MAILBOX_FULL);
	classify_free(c);
	buf_free(&why);
}
END_TEST

/*
 * The automaton runs over the two halves of a text at once: a phrase
 * across the middle, and the first of two enhanced codes, must be found
 * wherever the middle falls.
 */
START_TEST(test_split_anywhere)
{
	char text[2048];
	struct classify_result r;
	size_t k, j, len;

	for (k = 0; k < 160; k++) {
		len = 0;
		for (j = 0; j < k; j++)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"ab ");
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"452 4.2.2 the mailbox is full, 5.1.1 ");
		for (j = k; j < 160; j++)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"cd ");
		r = run(cls, CLS_STATUS_NONE, NULL, CLS_STAGE_NONE, text);
		ck_assert_int_eq(r.reason, REASON_MAILBOX_FULL);
		ck_assert_str_eq(r.dsn, "4.2.2");
	}
}
END_TEST

START_TEST(test_hostile_input)
{
	struct classify_input in;
	struct classify_result r;
	char *big;
	size_t i, n = 10 * 1024;
	static const char crlf[] = "550 5.1.1 user\r\nunknown\r\n\r\n"
	    "X-Injected: yes\r\n";
	static const char bad_utf8[] = "550 5.1.1 \xff\xfe\xc3\x28 user "
	    "unknown \xe2\x82 \xf0\x9f";
	static const char nul[] = "550 5.1.1 user\0unknown";

	/* CR/LF inside the reply */
	r = run(cls, B, NULL, CLS_STAGE_RCPT, crlf);
	ck_assert_int_eq(r.reason, REASON_ADDRESS_UNKNOWN);
	/* invalid UTF-8 */
	r = run(cls, B, NULL, CLS_STAGE_RCPT, bad_utf8);
	ck_assert_int_eq(r.reason, REASON_ADDRESS_UNKNOWN);
	/* a NUL byte inside the span is data, not an end */
	classify_input_init(&in);
	in.text = span_make(nul, sizeof(nul) - 1);
	in.stage = CLS_STAGE_RCPT;
	classify_reply(cls, &in, &r);
	ck_assert_int_lt(r.reason, REASON_COUNT);
	/* 10 KB of repeated phrases and of junk */
	big = xmalloc(n + 1);
	for (i = 0; i < n; i++)
		big[i] = "mailbox full spam virus relay denied "[i % 37];
	big[n] = '\0';
	r = run(cls, B, NULL, CLS_STAGE_NONE, big);
	ck_assert_int_lt(r.reason, REASON_COUNT);
	for (i = 0; i < n; i++)
		big[i] = (char)(i * 7919 % 256);
	classify_input_init(&in);
	in.text = span_make(big, n);
	in.dsn = span_make(big, 40);
	classify_reply(cls, &in, &r);
	ck_assert_int_lt(r.reason, REASON_COUNT);
	ck_assert_int_lt(strlen(r.dsn), sizeof(r.dsn));
	for (i = 0; i < n; i++)
		big[i] = i % 10 == 9 ? '-' : "5505.1.1 "[i % 9];
	r = run(cls, B, NULL, CLS_STAGE_NONE, big);
	ck_assert_int_lt(r.reason, REASON_COUNT);
	free(big);
	/* nothing at all */
	classify_input_init(&in);
	classify_reply(cls, &in, &r);
	ck_assert_int_eq(r.reason, REASON_UNKNOWN);
	in.text = span_make("", 0);
	in.dsn = span_make("9.9.9", 5);
	in.smtp_code = 999;
	classify_reply(cls, &in, &r);
	ck_assert_int_eq(r.reason, REASON_UNKNOWN);
	ck_assert_uint_eq(r.smtp_code, 0);
}
END_TEST

START_TEST(test_matching_rules)
{
	struct classify_input in;
	struct classify_result r;
	int rules[64];
	size_t n, i;
	const char *t = "host mx.example.com[192.0.2.10] said: 554 5.7.1 "
	    "Service unavailable; Client host [203.0.113.7] blocked using "
	    "zen.spamhaus.org (in reply to RCPT TO command)";

	classify_input_init(&in);
	in.status = B;
	in.text = span_make(t, strlen(t));
	classify_reply(cls, &in, &r);
	n = classify_matching_rules(cls, &in, rules, 64);
	/* the deciding rule is the first that fits; others fit too */
	ck_assert_uint_ge(n, 2);
	ck_assert_int_eq(rules[0], r.rule);
	for (i = 1; i < n; i++)
		ck_assert_int_gt(rules[i], rules[i - 1]);
	ck_assert_uint_eq(classify_matching_rules(cls, &in, rules, 1), 1);
	in.text = span_make("zzz", 3);
	in.status = CLS_STATUS_NONE;
	ck_assert_uint_eq(classify_matching_rules(cls, &in, rules, 64), 0);
}
END_TEST

START_TEST(test_names)
{
	enum classify_stage st;
	enum classify_status ss;
	int i;

	for (i = 0; i < CLS_STAGE_COUNT; i++) {
		const char *n = classify_stage_name((enum classify_stage)i);

		ck_assert(classify_stage_from_name(n, strlen(n), &st));
		ck_assert_int_eq(st, i);
	}
	ck_assert(classify_stage_from_name("EHLO", 4, &st));
	ck_assert_int_eq(st, CLS_STAGE_HELO);
	ck_assert(classify_stage_from_name("rcpt", 4, &st));
	ck_assert_int_eq(st, CLS_STAGE_RCPT);
	ck_assert(!classify_stage_from_name("FOO", 3, &st));
	ck_assert(classify_status_from_name("expired", 7, &ss));
	ck_assert_int_eq(ss, CLS_STATUS_EXPIRED);
	ck_assert(!classify_status_from_name("gone", 4, &ss));
	for (i = 0; i < REASON_COUNT; i++)
		ck_assert(strlen(classify_sentence((enum reason)i)) > 10);
}
END_TEST

Suite *
classify_suite(void)
{
	Suite *s = suite_create("classify");
	TCase *tc = tcase_create("classify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_reason_per_kind, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_every_reason_covered);
	tcase_add_test(tc, test_stage_decides);
	tcase_add_test(tc, test_postfix_own_texts);
	tcase_add_test(tc, test_expired);
	tcase_add_test(tc, test_split_anywhere);
	tcase_add_test(tc, test_fallbacks);
	tcase_add_test(tc, test_provider_names);
	tcase_add_test(tc, test_retry_after);
	tcase_add_test(tc, test_site_rules_override);
	tcase_add_test(tc, test_rules_errors);
	tcase_add_test(tc, test_phrase_syntax);
	tcase_add_test(tc, test_hostile_input);
	tcase_add_test(tc, test_matching_rules);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}
