/*
 * cmd_import.c - `plainbounce import FILE...`: backfill the store from old
 * and rotated Postfix logs (.gz included), in time order.
 *
 * A thin shell over watch_import(): every event imported is historical,
 * so nothing is ever notified from an import, and events already in the
 * store (from the watcher or an earlier import) are not added again.  A
 * progress line is shown when stderr is a terminal.
 */
#include <stdio.h>
#include <unistd.h>

#include "cfg.h"
#include "classify.h"
#include "log.h"
#include "plainbounce.h"
#include "store.h"
#include "watch.h"

/* progress - "import: N lines, N MB" on a terminal */
static void
progress(void *arg, uint64_t bytes, uint64_t lines)
{
	(void)arg;
	fprintf(stderr, "\rimport: %llu lines, %llu MB",
		(unsigned long long)lines, (unsigned long long)(bytes >> 20));
}

int
cmd_import(int argc, char **argv)
{
	const char *path = cfg_default_path();
	struct classifier *cls;
	struct watch_ev_opts o;
	struct watch_counts wc;
	struct store_err err;
	struct store *s;
	struct watch *w;
	struct cfg c;
	struct buf why;
	int rc, tty = isatty(STDERR_FILENO);

	if (cli_conf_opt(argc, argv, &path) < 0 || optind >= argc)
		goto usage;
	log_init("plainbounce", 1);
	if ((rc = cli_config(&c, path)) != 0)
		return rc;
	buf_init(&why, 4096);
	if ((cls = classify_load(c.classify_rules, c.classify_site_rules,
				 &why)) == NULL) {
		fprintf(stderr, "plainbounce: %s\n", buf_str(&why));
		buf_free(&why);
		cfg_free(&c);
		return CFG_EX_CONFIG;
	}
	store_lean_process();
	if (store_open(&s, c.store_path, (int)c.store_busy_timeout, 0,
		       &err) != STORE_OK) {
		fprintf(stderr, "plainbounce: store: %s\n", err.msg);
		classify_free(cls);
		cfg_free(&c);
		buf_free(&why);
		return 1;
	}
	watch_ev_opts_init(&o);
	o.defer_notice_after = c.watcher_defer_notice_after / 1000;
	o.queue_lifetime = c.watcher_queue_lifetime / 1000;
	o.max_event_age = c.responder_max_event_age / 1000;
	o.historical = true;
	w = watch_new(s, cls, &o, false);
	rc = watch_import(w, (const char **)argv + optind,
			  (size_t)(argc - optind), WATCH_IMPORT_BATCH,
			  tty ? progress : NULL, NULL, &why);
	if (tty)
		fputc('\n', stderr);
	watch_counts(w, &wc);
	if (rc < 0)
		fprintf(stderr, "plainbounce: import: %s\n", buf_str(&why));
	else
		printf("imported %llu lines (%llu Postfix lines): %llu new "
		       "events, all historical\n",
		       (unsigned long long)wc.lines,
		       (unsigned long long)wc.postfix,
		       (unsigned long long)wc.events);
	watch_free(w);
	store_close(s);
	classify_free(cls);
	cfg_free(&c);
	buf_free(&why);
	return rc < 0 ? 1 : 0;
usage:
	fputs("usage: plainbounce import [-c FILE] LOGFILE...\n", stderr);
	return PB_EXIT_USAGE;
}
