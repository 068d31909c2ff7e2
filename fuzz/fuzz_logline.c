/*
 * fuzz_logline.c - libFuzzer target for the log line parser.
 *
 * Feeds arbitrary bytes to logline_parse() and checks what the parser
 * promises: it returns a valid kind, every span it hands out lies inside
 * the input, and the reply fold stays within its buffer; for input with
 * no NUL byte, logline_parse_nul_free() must give the same kind; a
 * second parse with the same (now warm) options, and one with
 * skip_counters and skip_peers, the same kind and time.  ASan
 * and UBSan (see `make fuzz`) catch any read outside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logline.h"

#define FUZZ_MAX_INPUT 65536	/* longer inputs add nothing but time */

/* inside - abort unless s is absent or lies within [b, b + n] */
static void
inside(struct span s, const char *b, size_t n)
{
	if (s.p == NULL) {
		if (s.len != 0)
			abort();
		return;
	}
	if (s.p < b || s.len > n || (size_t)(s.p - b) > n - s.len)
		abort();
}

/* check_all - every span of ll points into the line */
static void
check_all(const struct logline *ll, const char *b, size_t n)
{
	const struct logline_reply *r = &ll->reply;
	const struct span all[] = {
		ll->timestamp, ll->host, ll->syslog_name, ll->instance,
		ll->qualifier, ll->daemon, ll->severity, ll->text,
		ll->queue_id, ll->body, ll->to, ll->orig_to, ll->from,
		ll->relay, ll->dsn, ll->message_id, ll->client,
		ll->client_name, ll->client_addr, ll->client_port,
		ll->relay_name, ll->relay_addr, ll->relay_port, ll->sasl_method,
		ll->sasl_username, ll->uid, ll->size, ll->nrcpt, ll->delay,
		ll->status_word, ll->status_note, ll->notify_kind,
		ll->notify_qid, ll->notify_who, ll->reject_stage,
		ll->reject_action, ll->reject_text, ll->admin_action, r->text,
		r->host,
		r->addr, r->port, r->dsn, r->remote_text, r->message,
		r->command_text,
		r->queued_as,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		inside(all[i], b, n);
	if (ll->nkv > LOGLINE_MAX_KV)
		abort();
	for (unsigned i = 0; i < ll->nkv; i++) {
		inside(ll->kv[i].key, b, n);
		inside(ll->kv[i].val, b, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct logline ll, ll2;
	struct logline_opts o, o2;
	char fold[128];
	size_t n;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	logline_opts_init(&o, 1764300000);
	/* the last byte picks UTC or local reading, so both paths run */
	o.local_is_utc = size > 0 && (data[size - 1] & 1);
	if ((unsigned)logline_parse(&ll, (const char *)data, size, &o) >=
	    LL_KIND_COUNT)
		abort();
	check_all(&ll, (const char *)data, size);
	if (size > 0 && memchr(data, '\0', size) == NULL) {
		logline_opts_init(&o2, 1764300000);
		o2.local_is_utc = o.local_is_utc;
		if (logline_parse_nul_free(&ll2, (const char *)data, size,
					   &o2) != ll.kind ||
		    ll2.time != ll.time || ll2.nkv != ll.nkv)
			abort();
		check_all(&ll2, (const char *)data, size);
	}
	/* the same line again through o's warm time caches, then with the
	 * options of the correlator's callers: the same kind and time */
	if (logline_parse(&ll2, (const char *)data, size, &o) != ll.kind ||
	    ll2.time != ll.time || ll2.usec != ll.usec ||
	    ll2.utc_offset != ll.utc_offset)
		abort();
	o.skip_counters = o.skip_peers = true;
	if (logline_parse(&ll2, (const char *)data, size, &o) != ll.kind ||
	    ll2.time != ll.time)
		abort();
	check_all(&ll2, (const char *)data, size);
	n = logline_reply_fold(&ll.reply, fold, sizeof(fold));
	if (n >= sizeof(fold) || fold[n] != '\0')
		abort();
	(void)logline_kv_get(&ll, "to");
	(void)logline_kind_name(ll.kind);
	(void)logline_status_name(ll.status);
	(void)logline_command_name(ll.reply.command);
	(void)logline_own_name(ll.reply.own);
	return 0;
}
