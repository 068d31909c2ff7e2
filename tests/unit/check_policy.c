/*
 * check_policy.c - the routing policy as a table: each suppression rule,
 * the loop guard, NOTIFY, the rate limit, and that the helpdesk still
 * hears what the sender may not.
 */
#include <check.h>
#include <string.h>

#include "policy.h"
#include "testutil.h"

static const char *const domains[] = { "example.com", "corp.example", NULL };

/* conf - the configuration every row starts from */
static void
conf(struct policy_conf *c)
{
	policy_conf_default(c);
	c->local_domains = domains;
	c->helpdesk = true;
	c->webhook = true;
	c->notice_from = "notices@example.com";
	c->notice_envelope = "bounces-discard@example.com";
	c->msgid_prefix = "plainbounce.notice.";
	c->msgid_domain = "notice.example.com";
	c->sender_rate = 3;
	c->sender_skip[REASON_AUTO_REPLY] = true;
}

/* good - our authenticated user's ordinary mail, bounced */
static struct policy_event
good(void)
{
	struct policy_event e;

	memset(&e, 0, sizeof(e));
	e.kind = NOTICE_BOUNCED;
	e.reason = REASON_ADDRESS_UNKNOWN;
	e.sender = "alice@example.com";
	e.facts_from_milter = true;
	e.submission = "authenticated";
	e.message_id = "<abc.123@mail.example.com>";
	return e;
}

enum field { F_NONE, F_SENDER, F_SUBMISSION, F_AUTO, F_PREC, F_LIST,
	     F_MSGID, F_NOTIFY, F_KIND, F_REASON, F_LOGONLY };

static const struct row {
	const char *name;
	enum field f;
	const char *value;
	int kind;		/* for F_KIND */
	bool sender;		/* expected */
	bool others;		/* helpdesk and webhook told */
	const char *why;	/* substring of the refusal, or NULL */
} rows[] = {
	{ "own user, authenticated", F_NONE, NULL, 0, true, true, NULL },
	{ "trusted network", F_SUBMISSION, "trusted", 0, true, true, NULL },
	{ "local submission", F_SUBMISSION, "local", 0, true, true, NULL },
	{ "inbound (backscatter)", F_SUBMISSION, "inbound", 0, false, true,
	  "backscatter" },
	{ "submission unknown", F_SUBMISSION, NULL, 0, false, true,
	  "backscatter" },
	{ "log's word alone", F_LOGONLY, NULL, 0, false, true, "milter" },
	{ "foreign sender domain", F_SENDER, "bob@elsewhere.example", 0, false,
	  true, "local_domains" },
	{ "second local domain", F_SENDER, "carol@corp.example", 0, true, true,
	  NULL },
	{ "domain case", F_SENDER, "Carol@CORP.Example", 0, true, true, NULL },
	{ "null sender", F_SENDER, "", 0, false, true, "null" },
	{ "MAILER-DAEMON", F_SENDER, "MAILER-DAEMON@example.com", 0, false,
	  true, "role" },
	{ "postmaster", F_SENDER, "Postmaster@example.com", 0, false, true,
	  "role" },
	{ "postmaster+detail", F_SENDER, "postmaster+x@example.com", 0, false,
	  true, "role" },
	{ "owner-list", F_SENDER, "owner-staff@example.com", 0, false, true,
	  "role" },
	{ "list-request", F_SENDER, "staff-request@example.com", 0, false, true,
	  "role" },
	{ "BATV postmaster", F_SENDER, "prvs=1234abcd=postmaster@example.com",
	  0, false, true, "role" },
	{ "BATV person", F_SENDER, "prvs=1234abcd=alice@example.com", 0, true,
	  true, NULL },
	{ "SRS forwarded", F_SENDER, "SRS0=HHH=TT=other.example=x@example.com",
	  0, false, true, "forwarded" },
	{ "Auto-Submitted auto-replied", F_AUTO, "auto-replied", 0, false, true,
	  "Auto-Submitted" },
	{ "Auto-Submitted auto-generated", F_AUTO, "Auto-Generated", 0, false,
	  true, "Auto-Submitted" },
	{ "Auto-Submitted no", F_AUTO, "no", 0, true, true, NULL },
	{ "Auto-Submitted no with comment", F_AUTO, " no (manual)", 0, true,
	  true, NULL },
	{ "Auto-Submitted nothing-else", F_AUTO, "notify", 0, false, true,
	  "Auto-Submitted" },
	{ "Precedence bulk", F_PREC, "bulk", 0, false, true, "Precedence" },
	{ "Precedence list", F_PREC, "List", 0, false, true, "Precedence" },
	{ "Precedence junk", F_PREC, " junk ", 0, false, true, "Precedence" },
	{ "Precedence first-class", F_PREC, "first-class", 0, true, true, NULL },
	{ "List-Id", F_LIST, "<staff.example.com>", 0, false, true, "List-Id" },
	{ "NOTIFY=NEVER", F_NOTIFY, "NEVER", 0, false, true, "NEVER" },
	{ "NOTIFY=never lower", F_NOTIFY, "never", 0, false, true, "NEVER" },
	{ "NOTIFY=SUCCESS only", F_NOTIFY, "SUCCESS", 0, false, true,
	  "FAILURE" },
	{ "NOTIFY=FAILURE", F_NOTIFY, "FAILURE", 0, true, true, NULL },
	{ "NOTIFY=SUCCESS,FAILURE", F_NOTIFY, "SUCCESS,FAILURE", 0, true, true,
	  NULL },
	{ "reason skipped for senders", F_REASON, NULL, REASON_AUTO_REPLY,
	  false, true, "reason" },
	/* loop guard: nobody at all */
	{ "our From address", F_SENDER, "Notices@example.com", 0, false, false,
	  "loop" },
	{ "our envelope sender", F_SENDER, "bounces-discard@example.com", 0,
	  false, false, "loop" },
	{ "our Message-ID prefix", F_MSGID,
	  "<plainbounce.notice.12.1700000000@other.example>", 0, false, false,
	  "loop" },
	{ "our Message-ID domain", F_MSGID, " <x.y@NOTICE.example.com>", 0,
	  false, false, "loop" },
	{ "a similar domain is not ours", F_MSGID,
	  "<x.y@notice.example.com.evil.example>", 0, true, true, NULL },
};

/* apply - set one field of e as the row says */
static void
apply(const struct row *r, struct policy_event *e)
{
	switch (r->f) {
	case F_SENDER: e->sender = r->value; break;
	case F_SUBMISSION: e->submission = r->value; break;
	case F_AUTO: e->auto_submitted = r->value; break;
	case F_PREC: e->precedence = r->value; break;
	case F_LIST: e->list_id = r->value; break;
	case F_MSGID: e->message_id = r->value; break;
	case F_NOTIFY: e->notify = r->value; break;
	case F_KIND: e->kind = (enum notice_kind)r->kind; break;
	case F_REASON: e->reason = (enum reason)r->kind; break;
	case F_LOGONLY: e->facts_from_milter = false; break;
	case F_NONE: break;
	}
}

START_TEST(test_table)
{
	const struct row *r = &rows[_i];
	struct policy_conf c;
	struct policy_event e = good();
	struct policy_verdict v;

	conf(&c);
	apply(r, &e);
	v = policy_decide(&c, &e);
	ck_assert_msg(v.sender == r->sender, "%s: sender %d", r->name,
		      v.sender);
	ck_assert_msg(v.helpdesk == r->others && v.webhook == r->others,
		      "%s: helpdesk %d webhook %d", r->name, v.helpdesk,
		      v.webhook);
	if (r->why)
		ck_assert_msg(v.why && strstr(v.why, r->why), "%s: why \"%s\"",
			      r->name, v.why ? v.why : "(null)");
	else
		ck_assert_msg(v.why == NULL, "%s: why \"%s\"", r->name, v.why);
}
END_TEST

/* NOTIFY=DELAY decides the delay kinds, FAILURE the failure kinds */
START_TEST(test_notify_delay)
{
	struct policy_conf c;
	struct policy_event e = good();

	conf(&c);
	e.kind = NOTICE_DEFERRED_LONG;
	e.notify = "FAILURE";
	ck_assert(!policy_decide(&c, &e).sender);
	e.notify = "FAILURE,DELAY";
	ck_assert(policy_decide(&c, &e).sender);
	e.notify = NULL;		/* absent: RFC 3461 default */
	ck_assert(policy_decide(&c, &e).sender);
	e.kind = NOTICE_DELIVERED_AFTER_DELAY;
	e.notify = "FAILURE";
	ck_assert(!policy_decide(&c, &e).sender);
	e.kind = NOTICE_EXPIRED;
	e.notify = "DELAY";
	ck_assert(!policy_decide(&c, &e).sender);
	e.notify = "DELAY,FAILURE";
	ck_assert(policy_decide(&c, &e).sender);
}
END_TEST

/* trust_log_only lets the log's facts stand in for the milter's */
START_TEST(test_trust_log_only)
{
	struct policy_conf c;
	struct policy_event e = good();

	conf(&c);
	e.facts_from_milter = false;
	ck_assert(!policy_decide(&c, &e).sender);
	ck_assert(policy_decide(&c, &e).helpdesk);
	c.trust_log_only = true;
	ck_assert(policy_decide(&c, &e).sender);
	e.submission = "inbound";	/* still never backscatter */
	ck_assert(!policy_decide(&c, &e).sender);
}
END_TEST

/* per-kind routing for each audience */
START_TEST(test_kinds)
{
	struct policy_conf c;
	struct policy_event e = good();
	struct policy_verdict v;

	conf(&c);
	c.sender_kinds = POLICY_KIND(NOTICE_BOUNCED);
	c.helpdesk_kinds = POLICY_KIND(NOTICE_EXPIRED);
	c.webhook_kinds = POLICY_ALL_KINDS;
	v = policy_decide(&c, &e);
	ck_assert(v.sender && !v.helpdesk && v.webhook);
	e.kind = NOTICE_EXPIRED;
	v = policy_decide(&c, &e);
	ck_assert(!v.sender && v.helpdesk && v.webhook);
	ck_assert_str_eq(v.why, "kind not routed to senders");
	e.reason = REASON_MAILBOX_FULL;	/* per-reason routing */
	c.helpdesk_skip[REASON_MAILBOX_FULL] = true;
	v = policy_decide(&c, &e);
	ck_assert(!v.helpdesk && v.webhook);
	c.webhook_skip[REASON_MAILBOX_FULL] = true;
	v = policy_decide(&c, &e);
	ck_assert(!v.helpdesk && !v.webhook);
	e.reason = REASON_ADDRESS_UNKNOWN;
	v = policy_decide(&c, &e);
	ck_assert(v.helpdesk && v.webhook);
	c.helpdesk = false;	/* no address configured */
	c.webhook = false;
	v = policy_decide(&c, &e);
	ck_assert(!v.helpdesk && !v.webhook);
}
END_TEST

/* two more endpoints with different kinds and reasons: each gets its own */
START_TEST(test_extra_endpoints)
{
	struct policy_conf c;
	struct policy_event e = good();
	struct policy_verdict v;

	conf(&c);
	c.webhook = false;		/* only notice.webhooks */
	c.n_extra = 2;
	c.extra[0].kinds = POLICY_KIND(NOTICE_BOUNCED) |
			   POLICY_KIND(NOTICE_EXPIRED);
	c.extra[1].kinds = POLICY_KIND(NOTICE_DEFERRED_LONG) |
			   POLICY_KIND(NOTICE_EXPIRED);
	c.extra[1].skip[REASON_MAILBOX_FULL] = true;
	v = policy_decide(&c, &e);	/* bounced */
	ck_assert(!v.webhook);
	ck_assert_uint_eq(v.extra, 1u);
	e.kind = NOTICE_DEFERRED_LONG;
	ck_assert_uint_eq(policy_decide(&c, &e).extra, 2u);
	e.kind = NOTICE_EXPIRED;
	ck_assert_uint_eq(policy_decide(&c, &e).extra, 3u);
	e.reason = REASON_MAILBOX_FULL;	/* skipped by the second only */
	ck_assert_uint_eq(policy_decide(&c, &e).extra, 1u);
	e.kind = NOTICE_DELIVERED_AFTER_DELAY;
	ck_assert_uint_eq(policy_decide(&c, &e).extra, 0u);
	/* the loop guard holds for every endpoint */
	e.kind = NOTICE_EXPIRED;
	e.sender = "notices@example.com";
	ck_assert_uint_eq(policy_decide(&c, &e).extra, 0u);
	/* entries past n_extra are never routed */
	c.n_extra = 1;
	e = good();
	e.kind = NOTICE_DEFERRED_LONG;
	ck_assert_uint_eq(policy_decide(&c, &e).extra, 0u);
}
END_TEST

/* the rate limit: N per window, then held for the digest; 0 = none */
START_TEST(test_rate)
{
	struct policy_conf c;

	conf(&c);
	ck_assert(!policy_rate_hold(&c, 0));
	ck_assert(!policy_rate_hold(&c, 2));
	ck_assert(policy_rate_hold(&c, 3));
	ck_assert(policy_rate_hold(&c, 100));
	c.sender_rate = 0;
	ck_assert(!policy_rate_hold(&c, 1000000));
}
END_TEST

START_TEST(test_kind_names)
{
	enum notice_kind k;

	ck_assert(policy_kind_from_name("deferred_long", &k));
	ck_assert_int_eq(k, NOTICE_DEFERRED_LONG);
	ck_assert(!policy_kind_from_name("bounce", &k));
	ck_assert(policy_role_sender(NULL));
	ck_assert(!policy_role_sender("alice@example.com"));
	ck_assert(policy_role_sender("mailer-daemon"));
}
END_TEST

Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");

	tcase_add_loop_test(tc, test_table, 0,
			    (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_notify_delay);
	tcase_add_test(tc, test_trust_log_only);
	tcase_add_test(tc, test_kinds);
	tcase_add_test(tc, test_extra_endpoints);
	tcase_add_test(tc, test_rate);
	tcase_add_test(tc, test_kind_names);
	suite_add_tcase(s, tc);
	return s;
}
