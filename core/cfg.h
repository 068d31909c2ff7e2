/*
 * cfg.h - plainbounce.conf: one table of keys drives everything.
 *
 * The key table in cfg.c names each key, its type, default, bounds and a
 * one-line description.  The same table loads and checks a libconfig file
 * (unknown keys are errors with file and line), answers `-n`, and writes
 * the commented sample config/plainbounce.conf.  Durations are stored in
 * milliseconds and written as "4h", "30s", "500ms" or plain seconds.
 */
#ifndef PB_CFG_H
#define PB_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

#define CFG_EX_CONFIG 78	/* sysexits.h EX_CONFIG */

enum cfg_type {
	CFG_STR,		/* string */
	CFG_INT,		/* integer within [min, max] */
	CFG_BOOL,		/* true / false */
	CFG_DURATION,		/* milliseconds within [min, max] */
	CFG_STRLIST,		/* list of strings: [ "a", "b" ] */
	CFG_ENDPOINTS		/* list of webhook endpoint groups */
};

struct cfg_strlist {
	char **v;		/* n strings, then NULL */
	size_t n;
};

/*
 * Several webhook endpoints.  notice.webhook stays the first endpoint (so
 * existing files keep their meaning); notice.webhooks adds more, as a list
 * of groups with their own small key table (name, url, secret, format,
 * kinds, skip_reasons), checked with file:line like any other key.  The
 * transport settings (ca_file, timeouts, allow_http, allow_private) are
 * notice.webhook's and shared by all endpoints.  Names are unique across
 * all endpoints: a delivery row's target is the endpoint's name.
 */
#define CFG_MAX_ENDPOINTS 8	/* entries of notice.webhooks */

struct cfg_endpoint {
	char *name, *url, *secret, *format;
	struct cfg_strlist kinds;	/* default: every kind */
	struct cfg_strlist skip_reasons;
};

struct cfg_endpoints {
	struct cfg_endpoint *v;
	size_t n;
};

/* The loaded configuration: one field per key, named after the key. */
struct cfg {
	char *store_path;
	int64_t store_busy_timeout;	/* ms */
	int64_t store_retention;	/* ms */
	struct cfg_strlist trusted_networks;
	struct cfg_strlist local_domains;
	char *notice_locale;
	char *notice_templates_dir;
	char *classify_rules;
	char *classify_site_rules;
	char *milter_socket;
	char *milter_socket_mode;
	char *milter_socket_group;
	char *milter_user;
	char *milter_instance;
	int64_t milter_queue_size;
	/* the responder */
	int64_t responder_poll_interval;	/* ms */
	int64_t responder_group_delay;		/* ms */
	int64_t responder_lease;		/* ms */
	int64_t responder_batch;
	int responder_trust_log_only;
	int64_t responder_sender_rate;		/* per hour; 0: no limit */
	char *responder_helpdesk_address;
	struct cfg_strlist responder_sender_kinds;
	struct cfg_strlist responder_helpdesk_kinds;
	struct cfg_strlist responder_sender_skip_reasons;
	struct cfg_strlist responder_helpdesk_skip_reasons;
	char *notice_webhook_url;
	char *notice_webhook_name;
	char *notice_webhook_secret;
	char *notice_webhook_format;
	struct cfg_strlist notice_webhook_kinds;
	struct cfg_strlist notice_webhook_skip_reasons;
	char *notice_webhook_ca_file;
	int64_t notice_webhook_connect_timeout;	/* ms */
	int64_t notice_webhook_timeout;		/* ms */
	int notice_webhook_allow_http;
	int notice_webhook_allow_private;
	struct cfg_endpoints notice_webhooks;	/* more endpoints */
	char *notice_smtp_relay;
	char *notice_smtp_from;
	char *notice_smtp_from_name;
	char *notice_smtp_envelope_from;
	char *notice_smtp_msgid_domain;
	int notice_smtp_starttls;
	char *notice_smtp_ca_file;
	int64_t notice_smtp_timeout;		/* ms */
	int64_t notice_retry_base;		/* ms */
	int64_t notice_retry_max_delay;		/* ms */
	int64_t notice_retry_max_age;		/* ms */
	int64_t notice_retry_retry_after_max;	/* ms */
	char *watcher_source;
	char *watcher_log_file;
	char *watcher_journal_dir;
	struct cfg_strlist watcher_journal_trusted_users;
	int64_t watcher_defer_notice_after;	/* ms */
	int64_t watcher_queue_lifetime;		/* ms */
	int64_t watcher_batch_interval;		/* ms */
	int64_t watcher_batch_lines;
	int64_t watcher_tick;			/* ms */
	char *watcher_user;
	int64_t responder_max_event_age;	/* ms */
};

struct cfg_key {
	const char *name;	/* dotted path: "store.path" */
	enum cfg_type type;
	const char *def;	/* default, written as in the file */
	int64_t min, max;	/* bounds for CFG_INT and CFG_DURATION */
	size_t offset;		/* where in struct cfg */
	/* extra check of one string value; returns why it is bad, or NULL */
	const char *(*check)(const char *value);
	const char *doc;	/* one line for the sample config and -n */
};

/* cfg_keys - the table, and its length in *n */
const struct cfg_key *cfg_keys(size_t *n);

/* cfg_init - every key set to its default */
void cfg_init(struct cfg *c);

/*
 * cfg_load - cfg_init, then read path over it.  On error returns -1 with
 * "file:line: what is wrong" in why and leaves *c at its defaults.
 */
int cfg_load(struct cfg *c, const char *path, struct buf *why);

/* cfg_free - release what cfg_init/cfg_load allocated */
void cfg_free(struct cfg *c);

/* cfg_write_sample - the commented sample configuration, from the table */
void cfg_write_sample(FILE *fp);

/* cfg_parse_duration - "4h", "30m", "10s", "500ms", "2d", "90": ms, or -1 */
int64_t cfg_parse_duration(const char *s);

/* cfg_default_path - where daemons look when -c is not given */
const char *cfg_default_path(void);

#endif
