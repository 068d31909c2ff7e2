/*
 * main.c - plainbounce-responder: turn the watcher's events into notices.
 *
 * A thin shell over core/outbox.c: reads the configuration, loads the
 * templates, prepares the webhook client and the mailer, then loops:
 * route due events, deliver due notices, sleep responder.poll_interval
 * when there was nothing to do.  SIGTERM and SIGINT finish the send in
 * progress, hand back what was leased and not sent, and exit.  -f logs to
 * stderr in the foreground (otherwise it detaches and logs to syslog); -n
 * checks the configuration; --dry-run routes what is due, prints each
 * notice once instead of sending it, leaves them all queued and exits;
 * --once stops when a pass finds nothing to do.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "notice.h"
#include "outbox.h"
#include "policy.h"
#include "store.h"
#include "webhook.h"

static volatile sig_atomic_t stop;

/* on_stop - SIGTERM/SIGINT: finish the current send, then leave */
static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* usage - the synopsis, then exit 2 */
static void
usage(void)
{
	fprintf(stderr, "usage: plainbounce-responder [-c FILE] [-f] [-n] "
		"[--dry-run] [--once]\n");
	exit(2);
}

/* kinds_bits - a strlist of event kinds as POLICY_KIND bits */
static unsigned
kinds_bits(const struct cfg_strlist *l)
{
	enum notice_kind k;
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (policy_kind_from_name(l->v[i], &k))
			bits |= POLICY_KIND(k);
	return bits;
}

/* skip_set - a strlist of reason ids as a table of flags */
static void
skip_set(const struct cfg_strlist *l, bool skip[REASON_COUNT])
{
	enum reason r;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (reason_from_name(l->v[i], strlen(l->v[i]), &r))
			skip[r] = true;
}

/* build_conf - the worker's configuration from the loaded cfg; xc are the
 * clients of notice.webhooks' endpoints */
static void
build_conf(const struct cfg *cfg, struct outbox_conf *oc, const char *owner,
	   struct webhook_client *const *xc)
{
	struct policy_conf *p = &oc->policy;
	const struct cfg_endpoint *e;
	size_t i;

	memset(oc, 0, sizeof(*oc));
	policy_conf_default(p);
	p->local_domains = (const char *const *)cfg->local_domains.v;
	p->trust_log_only = cfg->responder_trust_log_only;
	p->sender_kinds = kinds_bits(&cfg->responder_sender_kinds);
	p->helpdesk_kinds = kinds_bits(&cfg->responder_helpdesk_kinds);
	p->webhook_kinds = kinds_bits(&cfg->notice_webhook_kinds);
	skip_set(&cfg->responder_sender_skip_reasons, p->sender_skip);
	skip_set(&cfg->responder_helpdesk_skip_reasons, p->helpdesk_skip);
	skip_set(&cfg->notice_webhook_skip_reasons, p->webhook_skip);
	p->helpdesk = *cfg->responder_helpdesk_address != '\0';
	p->webhook = *cfg->notice_webhook_url != '\0';
	p->notice_from = cfg->notice_smtp_from;
	p->notice_envelope = cfg->notice_smtp_envelope_from;
	p->msgid_prefix = OUTBOX_MSGID_PREFIX;
	p->msgid_domain = cfg->notice_smtp_msgid_domain;
	p->sender_rate = cfg->responder_sender_rate;
	oc->owner = owner;
	oc->lease_secs = (cfg->responder_lease + 999) / 1000;
	oc->group_delay_secs = (cfg->responder_group_delay + 999) / 1000;
	oc->batch = (size_t)cfg->responder_batch;
	oc->helpdesk_address = cfg->responder_helpdesk_address;
	oc->webhook_name = p->webhook ? cfg->notice_webhook_name : NULL;
	oc->webhook_slack = strcmp(cfg->notice_webhook_format, "slack") == 0;
	for (i = 0; i < cfg->notice_webhooks.n && i < POLICY_MAX_EXTRA; i++) {
		e = &cfg->notice_webhooks.v[i];
		p->extra[i].kinds = kinds_bits(&e->kinds);
		skip_set(&e->skip_reasons, p->extra[i].skip);
		oc->extra[i].name = e->name;
		oc->extra[i].slack = strcmp(e->format, "slack") == 0;
		oc->extra[i].client = xc[i];
	}
	p->n_extra = oc->n_extra = i;
	retry_policy_default(&oc->retry);
	oc->retry.base_ms = cfg->notice_retry_base;
	oc->retry.max_delay_ms = cfg->notice_retry_max_delay;
	oc->retry.max_age_ms = cfg->notice_retry_max_age;
	oc->retry.retry_after_max_ms = cfg->notice_retry_retry_after_max;
	mailer_conf_default(&oc->mailer);
	oc->mailer.relay_url = cfg->notice_smtp_relay;
	oc->mailer.envelope_from = cfg->notice_smtp_envelope_from;
	oc->mailer.ca_file = *cfg->notice_smtp_ca_file
			     ? cfg->notice_smtp_ca_file : NULL;
	oc->mailer.starttls = cfg->notice_smtp_starttls;
	oc->mailer.timeout_ms = cfg->notice_smtp_timeout;
	oc->from_addr = cfg->notice_smtp_from;
	oc->from_name = cfg->notice_smtp_from_name;
	oc->msgid_domain = cfg->notice_smtp_msgid_domain;
}

/* new_webhook - an endpoint's client with notice.webhook's transport
 * settings, or NULL when url is "" */
static struct webhook_client *
new_webhook(const struct cfg *cfg, const char *url, const char *secret,
	    const char *name)
{
	struct webhook_conf wc;
	struct webhook_client *c;
	const char *why = NULL;

	if (*url == '\0')
		return NULL;
	webhook_conf_default(&wc);
	wc.url = url;
	wc.secret = secret;
	wc.ca_file = *cfg->notice_webhook_ca_file ? cfg->notice_webhook_ca_file
						  : NULL;
	wc.connect_timeout_ms = cfg->notice_webhook_connect_timeout;
	wc.timeout_ms = cfg->notice_webhook_timeout;
	wc.allow_http = cfg->notice_webhook_allow_http;
	wc.allow_private = cfg->notice_webhook_allow_private;
	if ((c = webhook_client_new(&wc, &why)) == NULL)
		log_fatal(CFG_EX_CONFIG, "webhook endpoint %s: %s", name, why);
	return c;
}

/* wall_clock - the worker's clock: unix seconds */
static int64_t
wall_clock(void)
{
	return (int64_t)time(NULL);
}

/* sleep_ms - wait, cut short by a signal */
static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* free_loaded - what main built from the configuration, after -n or a run */
static void
free_loaded(struct cfg *cfg, struct notice_templates *tmpl,
	    struct webhook_client *wc,
	    struct webhook_client *xc[POLICY_MAX_EXTRA])
{
	size_t i;

	for (i = 0; i < POLICY_MAX_EXTRA; i++)
		webhook_client_free(xc[i]);
	webhook_client_free(wc);
	notice_free(tmpl);
	cfg_free(cfg);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'D' },
		{ "once", no_argument, NULL, '1' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, dry = 0, once = 0, r, d;
	struct daemon_opts opt;
	struct cfg cfg;
	struct buf why;
	struct notice_templates *tmpl = NULL;
	struct webhook_client *wc, *xc[POLICY_MAX_EXTRA] = { NULL };
	struct outbox_conf oc;
	size_t i;
	struct outbox ob;
	struct store *store;
	struct store_err err;
	struct sigaction sa;
	char owner[128], host[64];

	daemon_opts_init(&opt);
	while ((ch = getopt_long(argc, argv, DAEMON_OPTSTRING, longopts,
				 NULL)) != -1) {
		switch (ch) {
		case 'D':
			dry = 1;
			break;
		case '1':
			once = 1;
			break;
		default:
			if (!daemon_option(&opt, ch, optarg))
				usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("plainbounce-responder", opt.foreground || opt.check || dry);
	daemon_config(&cfg, opt.path);
	buf_init(&why, 4096);
	if (notice_load(&tmpl, cfg.notice_templates_dir, cfg.notice_locale,
			&why) < 0)
		log_fatal(CFG_EX_CONFIG, "templates: %s", buf_str(&why));
	buf_free(&why);
	wc = new_webhook(&cfg, cfg.notice_webhook_url, cfg.notice_webhook_secret,
			 cfg.notice_webhook_name);
	for (i = 0; i < cfg.notice_webhooks.n && i < POLICY_MAX_EXTRA; i++)
		xc[i] = new_webhook(&cfg, cfg.notice_webhooks.v[i].url,
				    cfg.notice_webhooks.v[i].secret,
				    cfg.notice_webhooks.v[i].name);
	if (opt.check) {
		printf("%s: configuration OK\n", opt.path);
		free_loaded(&cfg, tmpl, wc, xc);
		return 0;
	}
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(owner, sizeof(owner), "%s:%ld", host, (long)getpid());
	build_conf(&cfg, &oc, owner, xc);
	if (dry) {
		oc.dry_run = stdout;
		oc.dry_keep = 1;
		oc.batch = 1000;	/* one pass shows up to this many */
	}
	oc.clock = wall_clock;
	if (!opt.foreground && !dry && daemon(0, 0) < 0)
		log_fatal(1, "daemon: %s", strerror(errno));
	if (store_open(&store, cfg.store_path, (int)cfg.store_busy_timeout, 0,
		       &err) != STORE_OK)
		log_fatal(1, "store: %s", err.msg);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	outbox_init(&ob, store, &oc, tmpl, wc,
		    (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16));
	log_info("started as %s, store %s%s", owner, cfg.store_path,
		 dry ? " (dry run)" : "");
	while (!stop && dry) {
		/* route what is due (as the real run would), print each
		 * notice once, leave them all queued, and stop */
		if (outbox_route(&ob, (int64_t)time(NULL)) > 0)
			continue;
		outbox_deliver(&ob, (int64_t)time(NULL), &stop);
		break;
	}
	while (!stop && !dry) {
		r = outbox_route(&ob, (int64_t)time(NULL));
		d = outbox_deliver(&ob, (int64_t)time(NULL), &stop);
		if (r <= 0 && d <= 0) {
			if (once)
				break;
			if (!stop)
				sleep_ms(cfg.responder_poll_interval);
		}
	}
	log_info("stopping: %" PRId64 " routed, %" PRId64 " sent, %" PRId64
		 " retried, %" PRId64 " dead", ob.stats.routed, ob.stats.sent,
		 ob.stats.retried, ob.stats.dead);
	store_close(store);
	free_loaded(&cfg, tmpl, wc, xc);
	return 0;
}
