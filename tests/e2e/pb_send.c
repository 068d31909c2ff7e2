/*
 * pb_send.c - test driver for the notice transports (not installed).
 *
 * Until the responder daemon exists, the e2e tests drive core/webhook.c
 * and core/mailer.c through this program against real servers on
 * loopback.  It does one attempt, asks the retry policy what would follow
 * and prints one line of key=value facts; the exit status is 0 delivered,
 * 2 retry, 3 dead letter, 4 disable, 1 usage or setup error.
 *
 *   pb_send webhook --url U --secret S --id ID --ts T --body FILE
 *           [--ca F] [--connect-ms N] [--timeout-ms N] [--max-response N]
 *           [--allow-http] [--allow-private] [--attempt N] [--age-ms N]
 *   pb_send bench --url U --secret S --count N [--allow-http]
 *           [--allow-private] [--ca F]
 *   pb_send mail --relay URL --env-from ADDR --from ADDR --to ADDR
 *           --subject-file F --reply-file F [--orig-msgid-file F]
 *           --msgid ID --date T [--from-name NAME] [--no-html]
 *           [--starttls] [--ca F]
 *   pb_send event --store DB [--qid Q] [--sender S] [--submission K]
 *           [--log-only] [--msgid M] [--subject S] [--auto-submitted V]
 *           [--precedence V] [--list-id V] [--kind K] [--historical]
 *           [--count N] --rcpt ADDR[,REASON[,NOTIFY]]...
 *       (stands in for the watcher: one message, or N, with a recipient
 *       and an event with its route row per --rcpt, through the store
 *       API, which is the contract between the daemons)
 *
 * The mail body is a fixed sentence plus the remote reply quoted: it
 * stands in for the notice templates, which are not part of this driver.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "store.h"
#include "escape.h"
#include "mailer.h"
#include "mailmsg.h"
#include "retry.h"
#include "webhook.h"
#include "xalloc.h"

struct opts {
	const char *url, *secret, *id, *body, *ca, *relay, *env_from, *from,
		   *from_name, *to, *subject_file, *reply_file, *orig_file,
		   *msgid;
	long long ts, connect_ms, timeout_ms, max_response, attempt, age_ms,
		  count, date;
	int allow_http, allow_private, no_html, starttls;
};

/* usage - the synopsis, then exit 1 */
static void
usage(const char *why)
{
	fprintf(stderr, "pb_send: %s\nusage: pb_send webhook|bench|mail "
		"[options] (see tests/e2e/pb_send.c)\n", why);
	exit(1);
}

/* number - a whole decimal option value */
static long long
number(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		usage("bad number");
	return v;
}

/* slurp - a whole file (binary safe), NUL-terminated; length in *len */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 4096, n = 0, got;
	char *s;

	if (fp == NULL)
		usage("cannot open a file argument");
	s = xmalloc(cap + 1);
	while ((got = fread(s + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap)
			s = xrealloc(s, (cap *= 2) + 1);
	}
	fclose(fp);
	s[n] = '\0';
	if (len != NULL)
		*len = n;
	return s;
}

/* parse - the long options shared by all modes */
static void
parse(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->connect_ms = WEBHOOK_DEF_CONNECT_MS;
	o->timeout_ms = WEBHOOK_DEF_TIMEOUT_MS;
	o->max_response = WEBHOOK_DEF_MAX_RESPONSE;
	o->attempt = 1;
	o->count = 500;
	for (i = 2; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(k, "--allow-http") == 0) {
			o->allow_http = 1;
			continue;
		}
		if (strcmp(k, "--allow-private") == 0) {
			o->allow_private = 1;
			continue;
		}
		if (strcmp(k, "--starttls") == 0) {
			o->starttls = 1;
			continue;
		}
		if (strcmp(k, "--no-html") == 0) {
			o->no_html = 1;
			continue;
		}
		if (v == NULL)
			usage("option without value");
		i++;
#define S(name, field) if (strcmp(k, name) == 0) { o->field = v; continue; }
#define N(name, field) if (strcmp(k, name) == 0) { o->field = number(v); continue; }
		S("--url", url) S("--secret", secret) S("--id", id)
		S("--body", body) S("--ca", ca) S("--relay", relay)
		S("--env-from", env_from) S("--from", from)
		S("--from-name", from_name) S("--to", to)
		S("--subject-file", subject_file) S("--reply-file", reply_file)
		S("--orig-msgid-file", orig_file) S("--msgid", msgid)
		N("--ts", ts) N("--connect-ms", connect_ms)
		N("--timeout-ms", timeout_ms) N("--max-response", max_response)
		N("--attempt", attempt) N("--age-ms", age_ms)
		N("--count", count) N("--date", date)
#undef S
#undef N
		usage("unknown option");
	}
}

/* verdict_exit - print the decision and turn it into the exit status */
static int
verdict_exit(enum retry_class cls, long long attempt, long long age_ms,
	     int64_t retry_after_ms)
{
	struct retry_policy p;
	struct retry_decision d;

	retry_policy_default(&p);
	d = retry_decide(&p, cls, (int)attempt, age_ms, retry_after_ms,
			 0x80000000u);
	printf(" verdict=%s delay_ms=%lld why=\"%s\"\n",
	       retry_verdict_name(d.verdict), (long long)d.delay_ms, d.why);
	switch (d.verdict) {
	case RETRY_DONE:
		return 0;
	case RETRY_LATER:
		return 2;
	case RETRY_DEAD:
		return 3;
	case RETRY_DISABLE:
		return 4;
	}
	return 1;
}

/* client - a webhook client from the options, or exit 1 */
static struct webhook_client *
client(const struct opts *o)
{
	struct webhook_conf c;
	struct webhook_client *wc;
	const char *why = NULL;

	webhook_conf_default(&c);
	c.url = o->url;
	c.secret = o->secret;
	c.ca_file = o->ca;
	c.connect_timeout_ms = (long)o->connect_ms;
	c.timeout_ms = (long)o->timeout_ms;
	c.max_response = (size_t)o->max_response;
	c.allow_http = o->allow_http;
	c.allow_private = o->allow_private;
	if ((wc = webhook_client_new(&c, &why)) == NULL) {
		fprintf(stderr, "pb_send: %s\n", why);
		exit(1);
	}
	return wc;
}

/* do_webhook - one attempt and its verdict */
static int
do_webhook(const struct opts *o)
{
	struct webhook_client *wc;
	struct webhook_result r;
	struct buf resp;
	size_t len;
	char *body;

	if (o->id == NULL || o->body == NULL)
		usage("webhook needs --id and --body");
	body = slurp(o->body, &len);
	wc = client(o);
	buf_init(&resp, (size_t)o->max_response + 1);
	if (webhook_post(wc, o->id, o->ts, body, len, &r, &resp) != 0) {
		fprintf(stderr, "pb_send: %s\n", r.error);
		return 1;
	}
	printf("status=%ld curl=%d class=%s body_len=%zu capped=%d "
	       "retry_after_ms=%lld error=\"%s\"", r.status, r.curl_code,
	       retry_class_name(r.cls), r.body_len, r.body_capped,
	       (long long)r.retry_after_ms, r.error);
	buf_free(&resp);
	webhook_client_free(wc);
	free(body);
	return verdict_exit(r.cls, o->attempt, o->age_ms, r.retry_after_ms);
}

/* do_bench - count POSTs over one reused connection, print the rate */
static int
do_bench(const struct opts *o)
{
	static const char body[] = "{\"event\":\"bounce\",\"queue_id\":"
		"\"4Xb2Kq0abcz\",\"recipient\":\"bob@example.net\","
		"\"reason\":\"mailbox_unknown\",\"text\":\"The address does not "
		"exist at the receiving server: check it for typos.\"}";
	struct webhook_client *wc = client(o);
	struct webhook_result r;
	struct timespec t0, t1;
	char id[64];
	double secs;
	long long i, ok = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < o->count; i++) {
		snprintf(id, sizeof(id), "pb_bench_%lld", i);
		if (webhook_post(wc, id, (int64_t)time(NULL), body,
				 sizeof(body) - 1, &r, NULL) == 0 &&
		    r.cls == RETRY_C_SUCCESS)
			ok++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("webhook bench: %lld of %lld delivered in %.3f s: %.0f "
	       "notices/s\n", ok, o->count, secs, (double)ok / secs);
	webhook_client_free(wc);
	return ok == o->count ? 0 : 1;
}

/* do_mail - build the notice for a hostile subject and reply, submit it */
static int
do_mail(const struct opts *o)
{
	struct mailer_conf c;
	struct mailer_result r;
	struct mailmsg m;
	struct buf subject, quoted, text, html, msg;
	const char *why = NULL;
	char *subj, *reply, *orig = NULL;
	size_t rlen;

	if (o->relay == NULL || o->from == NULL || o->to == NULL ||
	    o->subject_file == NULL || o->reply_file == NULL ||
	    o->msgid == NULL)
		usage("mail needs --relay --from --to --subject-file "
		      "--reply-file --msgid");
	subj = slurp(o->subject_file, NULL);
	reply = slurp(o->reply_file, &rlen);
	if (o->orig_file != NULL)
		orig = slurp(o->orig_file, NULL);
	buf_init(&subject, 1 << 16);
	buf_init(&quoted, 1 << 16);
	buf_init(&text, 1 << 17);
	buf_init(&html, 1 << 18);
	buf_init(&msg, 1 << 20);
	/* the subject goes in raw: mailmsg must make it safe */
	buf_addf(&subject, "Undelivered: %s", subj);
	escape_text(&quoted, span_make(reply, rlen));
	buf_addf(&text, "Your message to %s could not be delivered.\n\n"
		 "The receiving server said:\n\n> %s\n", o->to,
		 buf_str(&quoted));
	buf_adds(&html, "<p>Your message could not be delivered.</p>\n"
		 "<blockquote>");
	mailmsg_html_escape(&html, span_make(quoted.data, quoted.len));
	buf_adds(&html, "</blockquote>\n");
	memset(&m, 0, sizeof(m));
	m.from_addr = o->from;
	m.from_name = o->from_name;
	m.to_addr = o->to;
	m.subject = buf_str(&subject);
	m.date = o->date;
	m.message_id = o->msgid;
	m.orig_message_id = orig;
	m.text = buf_str(&text);
	m.html = o->no_html ? NULL : buf_str(&html);
	if (mailmsg_build(&msg, &m, &why) != 0) {
		fprintf(stderr, "pb_send: %s\n", why);
		return 1;
	}
	mailer_conf_default(&c);
	c.relay_url = o->relay;
	c.envelope_from = o->env_from;
	c.ca_file = o->ca;
	c.starttls = o->starttls;
	c.timeout_ms = (long)o->timeout_ms;
	if (mailer_send(&c, o->to, msg.data, msg.len, &r) != 0) {
		fprintf(stderr, "pb_send: %s\n", r.error);
		return 1;
	}
	printf("smtp=%ld curl=%d class=%s error=\"%s\"", r.smtp_code,
	       r.curl_code, retry_class_name(r.cls), r.error);
	buf_free(&subject);
	buf_free(&quoted);
	buf_free(&text);
	buf_free(&html);
	buf_free(&msg);
	free(subj);
	free(reply);
	free(orig);
	return verdict_exit(r.cls, o->attempt, o->age_ms, -1);
}

#define EV_RCPT_MAX 64

/* do_event - record messages and events as the watcher would */
static int
do_event(int argc, char **argv)
{
	struct store_message_in m = { "postfix", "4XyzAB1c2D", 0, "<orig@example.com>",
				       "alice@example.com", "alice", "127.0.0.1",
				       "authenticated", "Quarterly report", "Alice <alice@example.com>",
				       NULL, NULL, NULL, 1 };
	const char *path = NULL, *kind = "bounced", *rcpt[EV_RCPT_MAX];
	char qid[64], ukey[256], addr[256], reply[512], msgid[300];
	char *reason, *notify;
	struct store_event_in e;
	struct store *s;
	struct store_err err;
	int64_t mid, rid, eid;
	long long count = 1, i;
	int j, nr = 0, hist = 0;

	for (j = 2; j < argc; j++) {
		const char *a = argv[j], *v = j + 1 < argc ? argv[j + 1] : NULL;

		if (strcmp(a, "--log-only") == 0) { m.from_milter = 0; continue; }
		if (strcmp(a, "--historical") == 0) { hist = 1; continue; }
		if (v == NULL)
			usage("option needs a value");
		j++;
		if (strcmp(a, "--store") == 0) path = v;
		else if (strcmp(a, "--qid") == 0) m.queue_id = v;
		else if (strcmp(a, "--sender") == 0) m.sender = v;
		else if (strcmp(a, "--submission") == 0) m.submission = v;
		else if (strcmp(a, "--msgid") == 0) m.message_id = v;
		else if (strcmp(a, "--subject") == 0) m.subject = v;
		else if (strcmp(a, "--auto-submitted") == 0) m.auto_submitted = v;
		else if (strcmp(a, "--precedence") == 0) m.precedence = v;
		else if (strcmp(a, "--list-id") == 0) m.list_id = v;
		else if (strcmp(a, "--kind") == 0) kind = v;
		else if (strcmp(a, "--count") == 0) count = number(v);
		else if (strcmp(a, "--rcpt") == 0 && nr < EV_RCPT_MAX) rcpt[nr++] = v;
		else usage("unknown event option");
	}
	if (path == NULL || nr == 0 || count < 1)
		usage("event needs --store and --rcpt");
	if (store_open(&s, path, 5000, 0, &err) != STORE_OK) {
		fprintf(stderr, "pb_send: %s\n", err.msg);
		return 1;
	}
	m.first_seen = (int64_t)time(NULL);
	for (i = 0; i < count; i++) {
		snprintf(qid, sizeof(qid), "%s%s%lld", m.queue_id,
			 count > 1 ? "x" : "", count > 1 ? i : 0LL);
		if (count > 1) {
			struct store_message_in mm = m;

			snprintf(msgid, sizeof(msgid), "<%lld.%s>", i,
				 m.message_id + (*m.message_id == '<'));
			mm.queue_id = qid;
			mm.message_id = msgid;
			if (store_message_add(s, &mm, &mid, &err) != STORE_OK)
				goto fail;
		} else if (store_message_add(s, &m, &mid, &err) != STORE_OK) {
			goto fail;
		}
		for (j = 0; j < nr; j++) {
			snprintf(addr, sizeof(addr), "%s", rcpt[j]);
			reason = strchr(addr, ',');
			notify = NULL;
			if (reason) {
				*reason++ = '\0';
				if ((notify = strchr(reason, ',')) != NULL)
					*notify++ = '\0';
			}
			if (store_recipient_add(s, mid, addr, notify, &rid,
						&err) != STORE_OK)
				goto fail;
			snprintf(reply, sizeof(reply), "550 5.1.1 <%s>: Recipient "
				 "address rejected: User unknown", addr);
			snprintf(ukey, sizeof(ukey), "%lld/%lld/%s", (long long)mid,
				 (long long)rid, kind);
			memset(&e, 0, sizeof(e));
			e.message = mid;
			e.recipient = rid;
			e.kind = kind;
			e.reason = reason ? reason : "address_unknown";
			e.who_acts = "sender";
			e.dsn = "5.1.1";
			e.reply = reply;
			e.ukey = ukey;
			e.historical = hist;
			if (store_event_add(s, &e, (int64_t)time(NULL), &eid,
					    &err) != STORE_OK)
				goto fail;
		}
	}
	store_close(s);
	return 0;
fail:
	fprintf(stderr, "pb_send: %s\n", err.msg);
	store_close(s);
	return 1;
}

int
main(int argc, char **argv)
{
	struct opts o;

	if (argc < 2)
		usage("no mode");
	if (strcmp(argv[1], "event") == 0)
		return do_event(argc, argv);
	parse(argc, argv, &o);
	if (strcmp(argv[1], "webhook") == 0)
		return do_webhook(&o);
	if (strcmp(argv[1], "bench") == 0)
		return do_bench(&o);
	if (strcmp(argv[1], "mail") == 0)
		return do_mail(&o);
	usage("unknown mode");
	return 1;
}
