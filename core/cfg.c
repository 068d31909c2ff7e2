/*
 * cfg.c - load and check plainbounce.conf through one key table.
 *
 * Owns struct cfg's memory.  Guarantees: every key has its default unless
 * the file sets it; a value out of bounds, of the wrong type, or a key the
 * table does not know is an error naming the file and line; a failed load
 * leaves the defaults in place, so a daemon reloading on SIGHUP can keep
 * the configuration it had.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "xalloc.h"

#define DEF_STORE_PATH		"/var/lib/plainbounce/plainbounce.db"
#define DEF_TRUSTED_NETWORKS	"[ \"127.0.0.0/8\", \"::1/128\" ]"
#define DEF_LOCAL_DOMAINS	"[ ]"
#define DEF_NOTICE_LOCALE	"en"
#define DEF_NOTICE_TEMPLATES_DIR PB_DATADIR "/templates"
#define DEF_CLASSIFY_RULES	PB_DATADIR "/classify.rules"
#define DEF_STORE_BUSY_TIMEOUT	"\"2s\""
#define DEF_STORE_RETENTION	"\"30d\""
#define DEF_MILTER_SOCKET	"unix:/var/spool/postfix/plainbounce/milter.sock"
#define DEF_MILTER_SOCKET_MODE	"0660"
#define DEF_MILTER_SOCKET_GROUP	"postfix"
#define DEF_MILTER_USER		""
#define DEF_MILTER_INSTANCE	"postfix"
#define DEF_MILTER_QUEUE_SIZE	"10000"

static const char *check_cidr(const char *value);
static const char *check_domain(const char *value);
static const char *check_locale(const char *value);
static const char *check_path(const char *value);
static const char *check_milter_socket(const char *value);
static const char *check_octal_mode(const char *value);
static const char *check_name(const char *value);
static const char *check_kind(const char *value);
static const char *check_reason(const char *value);
static const char *check_addr_or_empty(const char *value);
static const char *check_addr(const char *value);
static const char *check_format(const char *value);
static const char *check_endpoint(const char *value);
static const char *check_msgid_domain(const char *value);

#define ALL_KINDS "[ \"bounced\", \"expired\", \"deferred_long\", " \
		  "\"delivered_after_delay\" ]"
static const char *check_source(const char *value);

#define OFF(field) offsetof(struct cfg, field)
#include "mailmsg.h"
#include "notice.h"
#include "reason.h"


static const struct cfg_key cfg_table[] = {
	{ "store.path", CFG_STR, "\"" DEF_STORE_PATH "\"", 0, 0,
	  OFF(store_path), NULL,
	  "SQLite database shared by the milter, watcher and responder" },
	{ "store.busy_timeout", CFG_DURATION, DEF_STORE_BUSY_TIMEOUT, 0,
	  600000, OFF(store_busy_timeout), NULL,
	  "how long a writer waits for another's lock before retrying later" },
	{ "store.retention", CFG_DURATION, DEF_STORE_RETENTION, 3600000,
	  INT64_C(3650) * 86400000, OFF(store_retention), NULL,
	  "how long messages, events and milter records are kept (personal data)" },
	{ "trusted_networks", CFG_STRLIST, DEF_TRUSTED_NETWORKS, 0, 0,
	  OFF(trusted_networks), check_cidr,
	  "client networks whose mail counts as our own users' (CIDR)" },
	{ "local_domains", CFG_STRLIST, DEF_LOCAL_DOMAINS, 0, 0,
	  OFF(local_domains), check_domain,
	  "sender domains that belong to this site" },
	{ "notice.locale", CFG_STR, "\"" DEF_NOTICE_LOCALE "\"", 0, 0,
	  OFF(notice_locale), check_locale,
	  "language of notices: a directory under templates/ (en, de)" },
	{ "notice.templates_dir", CFG_STR, "\"" DEF_NOTICE_TEMPLATES_DIR "\"",
	  0, 0, OFF(notice_templates_dir), NULL,
	  "directory holding one template directory per locale" },
	{ "notice.webhook.url", CFG_STR, "\"\"", 0, 0,
	  OFF(notice_webhook_url), NULL,
	  "the webhook endpoint's https:// URL (\"\": no webhook)" },
	{ "notice.webhook.name", CFG_STR, "\"helpdesk\"", 0, 0,
	  OFF(notice_webhook_name), check_endpoint,
	  "the endpoint's name in the outbox and the CLI" },
	{ "notice.webhook.secret", CFG_STR, "\"\"", 0, 0,
	  OFF(notice_webhook_secret), NULL,
	  "Standard Webhooks signing secret, whsec_<base64 of 24..64 bytes>" },
	{ "notice.webhook.format", CFG_STR, "\"json\"", 0, 0,
	  OFF(notice_webhook_format), check_format,
	  "json (documented body) or slack ({\"text\": ...})" },
	{ "notice.webhook.kinds", CFG_STRLIST, ALL_KINDS, 0, 0,
	  OFF(notice_webhook_kinds), check_kind,
	  "event kinds posted to the webhook" },
	{ "notice.webhook.skip_reasons", CFG_STRLIST, "[ ]", 0, 0,
	  OFF(notice_webhook_skip_reasons), check_reason,
	  "failure reasons not posted to the webhook" },
	{ "notice.webhook.ca_file", CFG_STR, "\"\"", 0, 0,
	  OFF(notice_webhook_ca_file), NULL,
	  "CA bundle for the endpoint's certificate (\"\": the system's)" },
	{ "notice.webhook.connect_timeout", CFG_DURATION, "\"5s\"", 100,
	  120000, OFF(notice_webhook_connect_timeout), NULL,
	  "longest wait for the endpoint's connection" },
	{ "notice.webhook.timeout", CFG_DURATION, "\"20s\"", 100, 600000,
	  OFF(notice_webhook_timeout), NULL,
	  "longest whole webhook request" },
	{ "notice.webhook.allow_http", CFG_BOOL, "false", 0, 0,
	  OFF(notice_webhook_allow_http), NULL,
	  "permit plain http:// (tests on loopback only)" },
	{ "notice.webhook.allow_private", CFG_BOOL, "false", 0, 0,
	  OFF(notice_webhook_allow_private), NULL,
	  "permit loopback and private addresses (tests only; SSRF guard off)" },
	{ "notice.webhooks", CFG_ENDPOINTS, "( )", 0, CFG_MAX_ENDPOINTS,
	  OFF(notice_webhooks), NULL,
	  "more endpoints: ( { name = \"x\"; url = \"...\"; secret = "
	  "\"...\"; format = \"json\"; kinds = [ ... ]; skip_reasons = "
	  "[ ... ]; }, ... )" },
	{ "notice.smtp.relay", CFG_STR, "\"smtp://127.0.0.1:25\"", 0, 0,
	  OFF(notice_smtp_relay), NULL,
	  "where email notices are submitted: smtp://host:port or smtps://" },
	{ "notice.smtp.from", CFG_STR, "\"postmaster@localhost\"", 0, 0,
	  OFF(notice_smtp_from), check_addr,
	  "From: address of email notices" },
	{ "notice.smtp.from_name", CFG_STR, "\"Mail delivery help\"", 0, 0,
	  OFF(notice_smtp_from_name), NULL,
	  "display name in From:" },
	{ "notice.smtp.envelope_from", CFG_STR, "\"\"", 0, 0,
	  OFF(notice_smtp_envelope_from), check_addr_or_empty,
	  "envelope sender of notices; \"\" is the null sender <>" },
	{ "notice.smtp.msgid_domain", CFG_STR, "\"plainbounce.invalid\"", 0,
	  0, OFF(notice_smtp_msgid_domain), check_msgid_domain,
	  "right-hand side of our notices' Message-IDs (loop guard knows it)" },
	{ "notice.smtp.starttls", CFG_BOOL, "false", 0, 0,
	  OFF(notice_smtp_starttls), NULL,
	  "require STARTTLS on smtp:// (the peer is always verified)" },
	{ "notice.smtp.ca_file", CFG_STR, "\"\"", 0, 0,
	  OFF(notice_smtp_ca_file), NULL,
	  "CA bundle for the relay's certificate (\"\": the system's)" },
	{ "notice.smtp.timeout", CFG_DURATION, "\"60s\"", 100, 600000,
	  OFF(notice_smtp_timeout), NULL,
	  "longest whole SMTP submission" },
	{ "notice.retry.base", CFG_DURATION, "\"10s\"", 100, 86400000,
	  OFF(notice_retry_base), NULL,
	  "delay after a notice's first failed attempt; doubles each time" },
	{ "notice.retry.max_delay", CFG_DURATION, "\"2h\"", 100, 86400000,
	  OFF(notice_retry_max_delay), NULL,
	  "no delay between attempts is longer" },
	{ "notice.retry.max_age", CFG_DURATION, "\"48h\"", 1000,
	  INT64_C(30) * 86400000, OFF(notice_retry_max_age), NULL,
	  "after this long a failing notice becomes a dead letter" },
	{ "notice.retry.retry_after_max", CFG_DURATION, "\"1h\"", 1000,
	  86400000, OFF(notice_retry_retry_after_max), NULL,
	  "a server's Retry-After is capped here" },
	{ "classify.rules", CFG_STR, "\"" DEF_CLASSIFY_RULES "\"", 0, 0,
	  OFF(classify_rules), check_path,
	  "the shipped failure classification rules (must be readable)" },
	{ "classify.site_rules", CFG_STR, "\"\"", 0, 0,
	  OFF(classify_site_rules), NULL,
	  "this site's own rules, same format, tried first; \"\" for none" },
	{ "milter.socket", CFG_STR, "\"" DEF_MILTER_SOCKET "\"", 0, 0,
	  OFF(milter_socket), check_milter_socket,
	  "where the milter listens: unix:/path or inet:PORT@127.0.0.1" },
	{ "milter.socket_mode", CFG_STR, "\"" DEF_MILTER_SOCKET_MODE "\"", 0,
	  0, OFF(milter_socket_mode), check_octal_mode,
	  "permissions of a unix: socket (octal)" },
	{ "milter.socket_group", CFG_STR, "\"" DEF_MILTER_SOCKET_GROUP "\"",
	  0, 0, OFF(milter_socket_group), check_name,
	  "group of a unix: socket, so Postfix can connect (\"\": unchanged)" },
	{ "milter.user", CFG_STR, "\"" DEF_MILTER_USER "\"", 0, 0,
	  OFF(milter_user), check_name,
	  "started as root: run as this user after opening socket and store" },
	{ "milter.instance", CFG_STR, "\"" DEF_MILTER_INSTANCE "\"", 0, 0,
	  OFF(milter_instance), check_name,
	  "Postfix instance served: its syslog_name, as in the log" },
	{ "milter.queue_size", CFG_INT, DEF_MILTER_QUEUE_SIZE, 16, 1000000,
	  OFF(milter_queue_size), NULL,
	  "records waiting for the store; beyond this they are dropped" },
	{ "responder.max_event_age", CFG_DURATION, "\"1h\"", 1000,
	  INT64_C(30) * 86400000, OFF(responder_max_event_age), NULL,
	  "events from log lines older than this are historical: no notice" },
	{ "responder.poll_interval", CFG_DURATION, "\"1s\"", 10, 60000,
	  OFF(responder_poll_interval), NULL,
	  "how often the responder looks for due notices" },
	{ "responder.group_delay", CFG_DURATION, "\"5s\"", 0, 600000,
	  OFF(responder_group_delay), NULL,
	  "wait after a message's first event so its failures share a notice" },
	{ "responder.lease", CFG_DURATION, "\"2m\"", 1000, 3600000,
	  OFF(responder_lease), NULL,
	  "how long a claimed notice is ours before another responder may take it" },
	{ "responder.batch", CFG_INT, "50", 1, 1000, OFF(responder_batch), NULL,
	  "notices claimed at once" },
	{ "responder.trust_log_only", CFG_BOOL, "false", 0, 0,
	  OFF(responder_trust_log_only), NULL,
	  "tell senders even when only the log (no milter record) says who sent" },
	{ "responder.sender_rate", CFG_INT, "10", 0, 100000,
	  OFF(responder_sender_rate), NULL,
	  "notices per sender per hour; more wait for a digest (0: no limit)" },
	{ "responder.helpdesk_address", CFG_STR, "\"\"", 0, 0,
	  OFF(responder_helpdesk_address), check_addr_or_empty,
	  "the helpdesk's address, told about every event (\"\": none)" },
	{ "responder.sender_kinds", CFG_STRLIST, ALL_KINDS, 0, 0,
	  OFF(responder_sender_kinds), check_kind,
	  "event kinds senders are told about" },
	{ "responder.helpdesk_kinds", CFG_STRLIST, ALL_KINDS, 0, 0,
	  OFF(responder_helpdesk_kinds), check_kind,
	  "event kinds the helpdesk address is told about" },
	{ "responder.sender_skip_reasons", CFG_STRLIST,
	  "[ \"auto_reply\", \"complaint\", \"delivered\" ]", 0, 0,
	  OFF(responder_sender_skip_reasons), check_reason,
	  "failure reasons senders are not told about (helpdesk still is)" },
	{ "responder.helpdesk_skip_reasons", CFG_STRLIST, "[ ]", 0, 0,
	  OFF(responder_helpdesk_skip_reasons), check_reason,
	  "failure reasons the helpdesk address is not told about" },
	{ "watcher.source", CFG_STR, "\"file\"", 0, 0, OFF(watcher_source),
	  check_source,
	  "where the watcher reads the Postfix log: file or journal" },
	{ "watcher.log_file", CFG_STR, "\"/var/log/mail.log\"", 0, 0,
	  OFF(watcher_log_file), NULL,
	  "the Postfix log file followed across rotation (source file)" },
	{ "watcher.journal_dir", CFG_STR, "\"\"", 0, 0,
	  OFF(watcher_journal_dir), NULL,
	  "journal files to read (source journal); \"\": the system journal" },
	{ "watcher.journal_trusted_users", CFG_STRLIST,
	  "[ \"postfix\", \"root\" ]", 0, 0,
	  OFF(watcher_journal_trusted_users), check_name,
	  "journal entries count only when written by these users (_UID)" },
	{ "watcher.defer_notice_after", CFG_DURATION, "\"4h\"", 1000,
	  INT64_C(30) * 86400000, OFF(watcher_defer_notice_after), NULL,
	  "a recipient deferred this long after arrival gets deferred_long" },
	{ "watcher.queue_lifetime", CFG_DURATION, "\"5d\"", 1000,
	  INT64_C(100) * 86400000, OFF(watcher_queue_lifetime), NULL,
	  "Postfix's maximal_queue_lifetime: how long it keeps trying" },
	{ "watcher.batch_interval", CFG_DURATION, "\"500ms\"", 10, 60000,
	  OFF(watcher_batch_interval), NULL,
	  "longest wait before lines read are committed to the store" },
	{ "watcher.batch_lines", CFG_INT, "1000", 1, 1000000,
	  OFF(watcher_batch_lines), NULL,
	  "most lines committed in one store transaction" },
	{ "watcher.tick", CFG_DURATION, "\"10s\"", 100, 3600000,
	  OFF(watcher_tick), NULL,
	  "how often open messages are checked for long deferrals" },
	{ "watcher.user", CFG_STR, "\"\"", 0, 0, OFF(watcher_user),
	  check_name,
	  "started as root: run as this user after opening log and store" },
};

const struct cfg_key *
cfg_keys(size_t *n)
{
	*n = sizeof(cfg_table) / sizeof(cfg_table[0]);
	return cfg_table;
}

const char *
cfg_default_path(void)
{
	return PB_SYSCONFDIR "/plainbounce/plainbounce.conf";
}

/* find_key - the table entry for a dotted name, or NULL */
static const struct cfg_key *
find_key(const char *name)
{
	size_t i, n;
	const struct cfg_key *k = cfg_keys(&n);

	for (i = 0; i < n; i++)
		if (strcmp(k[i].name, name) == 0)
			return &k[i];
	return NULL;
}

/* is_group_prefix - true when some key lives under group "name." */
static int
is_group_prefix(const char *name)
{
	size_t i, n, len = strlen(name);
	const struct cfg_key *k = cfg_keys(&n);

	for (i = 0; i < n; i++)
		if (strncmp(k[i].name, name, len) == 0 && k[i].name[len] == '.')
			return 1;
	return 0;
}

int64_t
cfg_parse_duration(const char *s)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 }, { "", 1000 },
	};
	int64_t v = 0;
	size_t i;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (INT64_MAX / 10 - 9) / 86400000)
			return -1;
		v = v * 10 + (*p - '0');
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].unit) == 0)
			return v * units[i].ms;
	return -1;
}

/* field - the address of a key's value inside struct cfg */
static void *
field(struct cfg *c, const struct cfg_key *k)
{
	return (char *)c + k->offset;
}

static void
strlist_free(struct cfg_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* endpoints_free - release the entries of notice.webhooks */
static void
endpoints_free(struct cfg_endpoints *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].name);
		free(e->v[i].url);
		free(e->v[i].secret);
		free(e->v[i].format);
		strlist_free(&e->v[i].kinds);
		strlist_free(&e->v[i].skip_reasons);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

/* The sub-keys of one notice.webhooks entry: the same checks as the
 * matching notice.webhook keys; name and url are required. */
static const struct cfg_key endpoint_keys[] = {
	{ "name", CFG_STR, NULL, 0, 0, offsetof(struct cfg_endpoint, name),
	  check_endpoint, NULL },
	{ "url", CFG_STR, NULL, 0, 0, offsetof(struct cfg_endpoint, url),
	  check_path, NULL },
	{ "secret", CFG_STR, NULL, 0, 0,
	  offsetof(struct cfg_endpoint, secret), NULL, NULL },
	{ "format", CFG_STR, NULL, 0, 0,
	  offsetof(struct cfg_endpoint, format), check_format, NULL },
	{ "kinds", CFG_STRLIST, NULL, 0, 0,
	  offsetof(struct cfg_endpoint, kinds), check_kind, NULL },
	{ "skip_reasons", CFG_STRLIST, NULL, 0, 0,
	  offsetof(struct cfg_endpoint, skip_reasons), check_reason, NULL },
};

static int set_value(struct cfg *c, const struct cfg_key *k,
		     config_setting_t *s, struct buf *why);

/* where - "file:line: " of a setting, as every config error starts */
static void
where(struct buf *why, config_setting_t *s)
{
	const char *file = config_setting_source_file(s);

	buf_addf(why, "%s:%u: ", file ? file : "?",
		 config_setting_source_line(s));
}

/* set_endpoint - one entry of notice.webhooks into *e (defaults first) */
static int
set_endpoint(struct cfg_endpoint *e, config_setting_t *g, const char *key,
	     size_t idx, struct buf *why)
{
	config_setting_t *s;
	const struct cfg_key *k;
	struct cfg_key sub;
	char name[128];
	size_t j;
	int i;

	e->format = xstrdup("json");
	e->secret = xstrdup("");
	e->kinds.v = xcalloc(NOTICE_KIND_COUNT + 1, sizeof(char *));
	for (i = 0; i < NOTICE_KIND_COUNT; i++)
		e->kinds.v[i] = xstrdup(notice_kind_name((enum notice_kind)i));
	e->kinds.n = NOTICE_KIND_COUNT;
	e->skip_reasons.v = xcalloc(1, sizeof(char *));
	if (!config_setting_is_group(g)) {
		where(why, g);
		buf_addf(why, "%s: entry %zu: expected a group { name = ...; "
			 "url = ...; }", key, idx + 1);
		return -1;
	}
	for (i = 0; i < config_setting_length(g); i++) {
		s = config_setting_get_elem(g, (unsigned)i);
		for (k = NULL, j = 0; j < sizeof(endpoint_keys) /
		     sizeof(endpoint_keys[0]); j++)
			if (strcmp(endpoint_keys[j].name,
				   config_setting_name(s)) == 0)
				k = &endpoint_keys[j];
		where(why, s);
		if (k == NULL) {
			buf_addf(why, "unknown key \"%s.%s\"", key,
				 config_setting_name(s));
			return -1;
		}
		/* set_value names the key: give it the full dotted name */
		sub = *k;
		snprintf(name, sizeof(name), "%s.%s", key, k->name);
		sub.name = name;
		if (set_value((struct cfg *)(void *)e, &sub, s, why) < 0)
			return -1;
		buf_reset(why);
	}
	if (e->name == NULL || e->url == NULL) {
		where(why, g);
		buf_addf(why, "%s: entry %zu: needs a name and a url", key,
			 idx + 1);
		return -1;
	}
	return 0;
}

/* set_endpoints - the list notice.webhooks; names unique among its entries */
static int
set_endpoints(struct cfg *c, const struct cfg_key *k, config_setting_t *s,
	      struct buf *why)
{
	struct cfg_endpoints *l = field(c, k), n = { NULL, 0 };
	int i, len;
	size_t j;

	buf_reset(why);
	if (!config_setting_is_list(s)) {
		where(why, s);
		buf_addf(why, "%s: expected a list ( { ... }, ... )", k->name);
		return -1;
	}
	len = config_setting_length(s);
	if (len > k->max) {
		where(why, s);
		buf_addf(why, "%s: more than %" PRId64 " endpoints", k->name,
			 k->max);
		return -1;
	}
	n.v = xcalloc((size_t)len + 1, sizeof(*n.v));
	for (i = 0; i < len; i++) {
		n.n++;
		if (set_endpoint(&n.v[i], config_setting_get_elem(s,
				 (unsigned)i), k->name, (size_t)i, why) < 0)
			goto bad;
		for (j = 0; j < (size_t)i; j++)
			if (strcmp(n.v[j].name, n.v[i].name) == 0) {
				where(why, config_setting_get_elem(s,
					(unsigned)i));
				buf_addf(why, "%s: endpoint name \"%s\" "
					 "used twice", k->name, n.v[i].name);
				goto bad;
			}
	}
	endpoints_free(l);
	*l = n;
	return 0;
bad:
	endpoints_free(&n);
	return -1;
}

/* set_value - check one setting against its key and store it */
static int
set_value(struct cfg *c, const struct cfg_key *k, config_setting_t *s,
	  struct buf *why)
{
	const char *str, *bad;
	long long ll;
	int64_t ms;
	int i, n;
	struct cfg_strlist *l;

	switch (k->type) {
	case CFG_ENDPOINTS:
		return set_endpoints(c, k, s, why);
	case CFG_STR:
		if ((str = config_setting_get_string(s)) == NULL) {
			buf_addf(why, "%s: expected a string", k->name);
			return -1;
		}
		if (k->check && (bad = k->check(str)) != NULL) {
			buf_addf(why, "%s: \"%s\": %s", k->name, str, bad);
			return -1;
		}
		free(*(char **)field(c, k));
		*(char **)field(c, k) = xstrdup(str);
		return 0;
	case CFG_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			buf_addf(why, "%s: expected true or false", k->name);
			return -1;
		}
		*(int *)field(c, k) = config_setting_get_bool(s);
		return 0;
	case CFG_INT:
		if (config_setting_type(s) != CONFIG_TYPE_INT &&
		    config_setting_type(s) != CONFIG_TYPE_INT64) {
			buf_addf(why, "%s: expected an integer", k->name);
			return -1;
		}
		ll = config_setting_get_int64(s);
		if (ll < k->min || ll > k->max) {
			buf_addf(why, "%s: %lld is outside %" PRId64 "..%"
				 PRId64, k->name, ll, k->min, k->max);
			return -1;
		}
		*(int64_t *)field(c, k) = ll;
		return 0;
	case CFG_DURATION:
		if (config_setting_type(s) == CONFIG_TYPE_INT ||
		    config_setting_type(s) == CONFIG_TYPE_INT64) {
			ll = config_setting_get_int64(s);
			ms = ll >= 0 && ll < INT64_MAX / 1000 ? ll * 1000 : -1;
		} else if ((str = config_setting_get_string(s)) != NULL) {
			ms = cfg_parse_duration(str);
		} else {
			ms = -1;
		}
		if (ms < 0) {
			buf_addf(why, "%s: expected a duration such as "
				 "\"30s\", \"4h\" or \"500ms\"", k->name);
			return -1;
		}
		if (ms < k->min || ms > k->max) {
			buf_addf(why, "%s: %" PRId64 "ms is outside %" PRId64
				 "..%" PRId64 "ms", k->name, ms, k->min,
				 k->max);
			return -1;
		}
		*(int64_t *)field(c, k) = ms;
		return 0;
	case CFG_STRLIST:
		if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
			buf_addf(why, "%s: expected a list [ \"...\", ... ]",
				 k->name);
			return -1;
		}
		n = config_setting_length(s);
		for (i = 0; i < n; i++) {
			str = config_setting_get_string_elem(s, i);
			if (str == NULL) {
				buf_addf(why, "%s: element %d is not a string",
					 k->name, i + 1);
				return -1;
			}
			if (k->check && (bad = k->check(str)) != NULL) {
				buf_addf(why, "%s: \"%s\": %s", k->name, str,
					 bad);
				return -1;
			}
		}
		l = field(c, k);
		strlist_free(l);
		l->v = xcalloc((size_t)n + 1, sizeof(char *));
		for (i = 0; i < n; i++)
			l->v[i] = xstrdup(config_setting_get_string_elem(s, i));
		l->n = (size_t)n;
		return 0;
	}
	buf_addf(why, "%s: internal error: unknown type", k->name);
	return -1;
}

/* walk - visit every setting below s, rejecting what the table lacks */
static int
walk(struct cfg *c, config_setting_t *s, const char *prefix, struct buf *why)
{
	int i, n = config_setting_length(s);
	char name[256];
	const struct cfg_key *k;
	config_setting_t *child;
	const char *file;

	for (i = 0; i < n; i++) {
		child = config_setting_get_elem(s, (unsigned)i);
		snprintf(name, sizeof(name), "%s%s%s", prefix,
			 *prefix ? "." : "", config_setting_name(child));
		file = config_setting_source_file(child);
		if (config_setting_is_group(child) && is_group_prefix(name)) {
			if (walk(c, child, name, why) < 0)
				return -1;
			continue;
		}
		if ((k = find_key(name)) == NULL) {
			buf_addf(why, "%s:%u: unknown key \"%s\"",
				 file ? file : "?",
				 config_setting_source_line(child), name);
			return -1;
		}
		buf_addf(why, "%s:%u: ", file ? file : "?",
			 config_setting_source_line(child));
		if (set_value(c, k, child, why) < 0)
			return -1;
		buf_reset(why);
	}
	return 0;
}

/* set_default - parse a key's default text as if it came from a file */
static void
set_default(struct cfg *c, const struct cfg_key *k)
{
	config_t lc;
	char text[512];
	struct buf why;

	config_init(&lc);
	snprintf(text, sizeof(text), "v = %s;", k->def);
	buf_init(&why, 512);
	if (config_read_string(&lc, text) != CONFIG_TRUE ||
	    set_value(c, k, config_lookup(&lc, "v"), &why) < 0) {
		fprintf(stderr, "plainbounce: bad default for %s: %s\n",
			k->name, buf_str(&why));
		abort();
	}
	buf_free(&why);
	config_destroy(&lc);
}

void
cfg_init(struct cfg *c)
{
	size_t i, n;
	const struct cfg_key *k = cfg_keys(&n);

	memset(c, 0, sizeof(*c));
	for (i = 0; i < n; i++)
		set_default(c, &k[i]);
}

void
cfg_free(struct cfg *c)
{
	size_t i, n;
	const struct cfg_key *k = cfg_keys(&n);

	for (i = 0; i < n; i++) {
		if (k[i].type == CFG_STR) {
			free(*(char **)field(c, &k[i]));
			*(char **)field(c, &k[i]) = NULL;
		} else if (k[i].type == CFG_STRLIST) {
			strlist_free(field(c, &k[i]));
		} else if (k[i].type == CFG_ENDPOINTS) {
			endpoints_free(field(c, &k[i]));
		}
	}
}

/* check_names - notice.webhooks names differ from notice.webhook's */
static int
check_names(const struct cfg *c, config_t *lc, struct buf *why)
{
	const struct cfg_endpoints *e = &c->notice_webhooks;
	config_setting_t *s = config_lookup(lc, "notice.webhooks");
	size_t i;

	if (*c->notice_webhook_url == '\0' || s == NULL)
		return 0;
	for (i = 0; i < e->n; i++)
		if (strcmp(e->v[i].name, c->notice_webhook_name) == 0) {
			where(why, config_setting_get_elem(s, (unsigned)i));
			buf_addf(why, "notice.webhooks: endpoint name \"%s\" "
				 "is notice.webhook.name already",
				 e->v[i].name);
			return -1;
		}
	return 0;
}

int
cfg_load(struct cfg *c, const char *path, struct buf *why)
{
	config_t lc;
	int rc = -1;

	cfg_init(c);
	config_init(&lc);
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			buf_addf(why, "%s: cannot read: %s", path,
				 strerror(errno));
		else
			buf_addf(why, "%s:%d: %s",
				 config_error_file(&lc) ? config_error_file(&lc)
							 : path,
				 config_error_line(&lc), config_error_text(&lc));
		goto out;
	}
	if (walk(c, config_root_setting(&lc), "", why) < 0 ||
	    check_names(c, &lc, why) < 0) {
		cfg_free(c);
		cfg_init(c);
		goto out;
	}
	rc = 0;
out:
	config_destroy(&lc);
	return rc;
}

/* shared_groups - leading group components a and b have in common */
static size_t
shared_groups(const char *a, const char *b, size_t max)
{
	const char *da, *db;
	size_t n = 0;

	while (n < max && (da = strchr(a, '.')) != NULL &&
	       (db = strchr(b, '.')) != NULL && da - a == db - b &&
	       strncmp(a, b, (size_t)(da - a)) == 0) {
		n++;
		a = da + 1;
		b = db + 1;
	}
	return n;
}

void
cfg_write_sample(FILE *fp)
{
	size_t i, n, depth = 0, j;
	const struct cfg_key *k = cfg_keys(&n);
	const char *open = "", *p, *q;

	fputs("# plainbounce.conf - configuration of the plainbounce suite.\n"
	      "# Written by `plainbounce config --sample` from the key table;\n"
	      "# every key is shown with its default.  Unknown keys are "
	      "errors.\n"
	      "# Durations: \"500ms\", \"30s\", \"5m\", \"4h\", \"2d\".\n"
	      "# See plainbounce.conf(5).\n", fp);
	for (i = 0; i < n; i++) {
		/* close the groups this key is not in, open those it is */
		j = shared_groups(open, k[i].name, depth);
		for (; depth > j; depth--)
			fprintf(fp, "%*s};\n", (int)(2 * (depth - 1)), "");
		for (p = k[i].name, j = 0; (q = strchr(p, '.')) != NULL;
		     p = q + 1, j++)
			if (j >= depth) {
				fprintf(fp, "\n%*s%.*s = {\n", (int)(2 * depth),
					"", (int)(q - p), p);
				depth++;
			}
		open = k[i].name;
		fprintf(fp, "\n%*s# %s\n%*s%s = %s;\n", (int)(2 * depth), "",
			k[i].doc, (int)(2 * depth), "", p, k[i].def);
	}
	for (; depth > 0; depth--)
		fprintf(fp, "%*s};\n", (int)(2 * (depth - 1)), "");
}

/* check_cidr - an IPv4 or IPv6 network, "a.b.c.d/n" or an address */
static const char *
check_cidr(const char *value)
{
	char addr[64];
	unsigned char bin[16];
	const char *slash = strchr(value, '/');
	size_t len = slash ? (size_t)(slash - value) : strlen(value);
	long bits;
	char *end;
	int v6;

	if (len == 0 || len >= sizeof(addr))
		return "not an address or network";
	memcpy(addr, value, len);
	addr[len] = '\0';
	v6 = strchr(addr, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bin) != 1)
		return "not an IPv4 or IPv6 address";
	if (slash) {
		errno = 0;
		bits = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end != '\0' || bits < 0 ||
		    bits > (v6 ? 128 : 32))
			return "bad prefix length";
	}
	return NULL;
}

/* check_domain - letters, digits, dots and hyphens, not empty */
static const char *
check_domain(const char *value)
{
	const char *p;

	if (*value == '\0')
		return "empty domain";
	for (p = value; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return "not a domain name";
	return NULL;
}

/* check_locale - a short name usable as a directory: "en", "de", "pt_BR" */
static const char *
check_locale(const char *value)
{
	size_t len = strlen(value), i;

	if (len < 2 || len > 10)
		return "not a locale name such as \"en\" or \"de\"";
	for (i = 0; i < len; i++)
		if (!isalpha((unsigned char)value[i]) && value[i] != '_' &&
		    value[i] != '-')
			return "not a locale name such as \"en\" or \"de\"";
	return NULL;
}

/* check_path - a file name that is not empty */
static const char *
check_path(const char *value)
{
	return *value == '\0' ? "must name a file" : NULL;
}

/* check_milter_socket - libmilter's unix:/path, or inet on loopback only */
static const char *
check_milter_socket(const char *value)
{
	const char *at;

	if (strncmp(value, "unix:", 5) == 0 || strncmp(value, "local:", 6) == 0)
		return strchr(value, ':')[1] == '/'
		       ? NULL : "a unix: socket needs an absolute path";
	if (strncmp(value, "inet:", 5) == 0 ||
	    strncmp(value, "inet6:", 6) == 0) {
		if ((at = strchr(value, '@')) == NULL)
			return "inet: needs PORT@HOST with a loopback HOST";
		if (strcmp(at + 1, "127.0.0.1") != 0 &&
		    strcmp(at + 1, "localhost") != 0 &&
		    strcmp(at + 1, "::1") != 0 &&
		    strcmp(at + 1, "[::1]") != 0)
			return "an inet: socket must be on loopback";
		return NULL;
	}
	return "expected unix:/path or inet:PORT@127.0.0.1";
}

/* check_octal_mode - "0660": permission bits in octal, nothing else */
static const char *
check_octal_mode(const char *value)
{
	const char *p;

	if (*value == '\0' || strlen(value) > 4)
		return "expected an octal mode such as \"0660\"";
	for (p = value; *p; p++)
		if (*p < '0' || *p > '7')
			return "expected an octal mode such as \"0660\"";
	return NULL;
}

/* check_name - a user, group or syslog name: no spaces or controls */
static const char *
check_name(const char *value)
{
	const char *p;

	for (p = value; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.' && *p != '/')
			return "letters, digits, '-', '_', '.', '/' only";
	return strlen(value) > 64 ? "too long" : NULL;
}

/* check_kind - an event kind */
static const char *
check_kind(const char *value)
{
	int i;

	for (i = 0; i < NOTICE_KIND_COUNT; i++)
		if (strcmp(value, notice_kind_name((enum notice_kind)i)) == 0)
			return NULL;
	return "not an event kind (bounced, expired, deferred_long, "
	       "delivered_after_delay)";
}

/* check_reason - a reason id of reason.h */
static const char *
check_reason(const char *value)
{
	enum reason r;

	return reason_from_name(value, strlen(value), &r) ? NULL
	       : "not a reason id (see plainbounce classify)";
}

/* check_addr - a plain address safe in a header and an SMTP command */
static const char *
check_addr(const char *value)
{
	return mailmsg_addr_valid(value) ? NULL : "not a plain address";
}

/* check_addr_or_empty - an address or "" */
static const char *
check_addr_or_empty(const char *value)
{
	return *value == '\0' ? NULL : check_addr(value);
}

/* check_format - json or slack */
static const char *
check_format(const char *value)
{
	return strcmp(value, "json") == 0 || strcmp(value, "slack") == 0
	       ? NULL : "must be json or slack";
}

/* check_endpoint - a name safe inside a webhook-id: [a-z0-9_-]{1,32} */
static const char *
check_endpoint(const char *value)
{
	size_t i, n = strlen(value);

	if (n == 0 || n > 32)
		return "must be 1 to 32 characters";
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)value[i]) &&
		    !isdigit((unsigned char)value[i]) && value[i] != '_' &&
		    value[i] != '-')
			return "only a-z, 0-9, _ and -";
	return NULL;
}

/* check_msgid_domain - a dot-atom host part for our Message-IDs */
static const char *
check_msgid_domain(const char *value)
{
	size_t i, n = strlen(value);

	if (n == 0 || n > 200)
		return "must be 1 to 200 characters";
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)value[i]) && value[i] != '.' &&
		    value[i] != '-')
			return "only letters, digits, . and -";
	return NULL;
}

/* check_source - the log sources the watcher knows */
static const char *
check_source(const char *value)
{
	if (strcmp(value, "file") == 0 || strcmp(value, "journal") == 0)
		return NULL;
	return "must be \"file\" or \"journal\"";
}
