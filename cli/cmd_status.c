/*
 * cmd_status.c - `plainbounce status`: is the pipeline keeping up?
 *
 * Reads the store only (read-only connection): per source its cursor,
 * when it last committed and how far behind the log it is; the gaps the
 * watcher recorded; events and the notices waiting for the responder;
 * milter records dropped; the responder's dead letters.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "escape.h"
#include "plainbounce.h"
#include "store.h"
#include "watch_file.h"

/* when - "2026-11-28 05:00:00 UTC (12 s ago)" into out */
static const char *
when(int64_t t, int64_t now, char *out, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char day[32];

	if (t <= 0) {
		snprintf(out, size, "never");
		return out;
	}
	gmtime_r(&tt, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(out, size, "%s (%lld s ago)", day, (long long)(now - t));
	return out;
}

struct show {
	int64_t now;
};

/* show_source - one source: cursor, last commit, lag */
static void
show_source(void *arg, const struct store_source_status *src)
{
	const struct show *sh = arg;
	char w[96];
	int64_t lag;

	printf("source %s\n", src->source);
	printf("  cursor       %s\n", src->cursor ? src->cursor : "none");
	printf("  committed    %s\n", when(src->updated, sh->now, w,
					    sizeof(w)));
	if (strncmp(src->source, "file:", 5) == 0) {
		if (watch_file_lag(src->source + 5, src->cursor, &lag) == 0)
			printf("  lag          %lld bytes unread\n",
			       (long long)lag);
		else
			printf("  lag          unknown: the file was rotated "
			       "since the last commit\n");
	}
	printf("  gaps         %lld\n", (long long)src->gaps);
}

/* show_gap - one recorded gap */
static void
show_gap(void *arg, const struct store_gap_row *g)
{
	const struct show *sh = arg;
	char w[96];

	printf("  %s %s: %s\n", when(g->detected, sh->now, w, sizeof(w)),
	       g->source, g->note ? g->note : "");
}

/*
 * show_disabled - one endpoint a 410 disabled, for `plainbounce status`;
 * the reason is the remote's answer, so it is shown escaped
 */
static void
show_disabled(void *arg, const char *name, int64_t at, const char *why)
{
	const struct show *sh = arg;
	char w[64];
	struct buf b;

	buf_init(&b, 2048);
	escape_display(&b, span_make(why ? why : "", why ? strlen(why) : 0));
	printf("  %s since %s: %s\n", name, when(at, sh->now, w, sizeof(w)),
	       buf_str(&b));
	buf_free(&b);
}

int
cmd_status(int argc, char **argv)
{
	const char *conf = NULL;
	struct store_overview o;
	struct store_err err;
	struct store *s;
	struct show sh;
	char w[96];
	int rc, status;

	if (cli_conf_opt(argc, argv, &conf) < 0) {
		fputs("usage: plainbounce status [-c FILE]\n", stderr);
		return PB_EXIT_USAGE;
	}
	if ((s = cli_store_open(conf, STORE_READONLY, &status)) == NULL)
		return status;
	sh.now = (int64_t)time(NULL);
	rc = store_overview(s, &o, show_source, NULL, 0, &sh, &err);
	if (rc == STORE_OK) {
		printf("events         %lld (%lld historical, never notified)\n",
		       (long long)o.events, (long long)o.events_historical);
		printf("notices        %lld waiting, %lld in progress, %lld "
		       "sent, %lld dead letters\n",
		       (long long)o.outbox_pending, (long long)o.outbox_leased,
		       (long long)o.outbox_sent, (long long)o.outbox_dead);
		printf("oldest waiting %s\n", when(o.oldest_pending, sh.now, w,
						   sizeof(w)));
		printf("milter records dropped %lld\n",
		       (long long)o.milter_dropped);
		printf("events derived twice   %lld\n",
		       (long long)o.event_repeats);
		printf("gaps           %lld%s\n", (long long)o.gaps,
		       o.gaps ? ", newest first:" : "");
		rc = store_overview(s, &o, NULL, show_gap, 10, &sh, &err);
	}
	/* a read-only open does not migrate: older stores have no table */
	if (rc == STORE_OK && store_version(s) >= 3) {
		printf("disabled webhook endpoints (410 Gone; enable with "
		       "plainbounce enable-endpoint NAME):\n");
		rc = store_endpoints_disabled(s, show_disabled, &sh, &err);
	}
	if (rc != STORE_OK)
		fprintf(stderr, "plainbounce: store: %s\n", err.msg);
	store_close(s);
	return rc == STORE_OK ? 0 : 1;
}
