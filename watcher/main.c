/*
 * main.c - plainbounce-watcher: follow the Postfix log into the store.
 *
 * A thin shell over core/watch.c and core/watch_file.c: options, config,
 * privileges, signals and the batch loop.  Guarantees: the log is opened
 * before privileges are dropped to watcher.user; each batch (at most
 * watcher.batch_lines lines or watcher.batch_interval) commits the facts,
 * events and outbox rows of its lines together with the cursor after them
 * and the open-message state, so kill -9 at any moment loses and repeats
 * nothing; SIGTERM finishes the batch, commits and exits 0; SIGHUP reloads
 * the configuration (a bad one is reported and the old one kept).  Any
 * store failure mid-batch rolls back and exits non-zero: a restart resumes
 * from the last commit.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "classify.h"
#include "daemon.h"
#include "log.h"
#include "store.h"
#include "watch.h"
#include "watch_file.h"
#include "watch_journal.h"

#define CURSOR_MAX WATCH_JOURNAL_CURSOR_MAX

/* The log source: a file followed across rotation, or the journal. */
struct source {
	char name[4200];		/* cursors.source */
	struct watch_file *file;
	struct watch_journal *journal;
};

/* src_next - the next line, gap or IDLE from whichever source */
static int
src_next(struct source *src, struct span *line, bool *cut,
	 struct watch_gap *gap)
{
	*cut = false;
	if (src->journal != NULL)
		return watch_journal_next(src->journal, line, gap);
	return watch_file_next(src->file, line, cut, gap);
}

/* src_cursor - the source's position after the last line returned */
static void
src_cursor(const struct source *src, char out[CURSOR_MAX])
{
	if (src->journal != NULL)
		watch_journal_cursor(src->journal, out, CURSOR_MAX);
	else
		watch_file_cursor(src->file, out);
}

/* src_open - open the configured source (before dropping privileges) */
static void
src_open(struct source *src, const struct cfg *c)
{
	struct buf why;
	uid_t *uids;
	size_t i;
	struct passwd *pw;
	char *end;
	unsigned long v;

	memset(src, 0, sizeof(*src));
	if (strcmp(c->watcher_source, "journal") != 0) {
		snprintf(src->name, sizeof(src->name), "file:%s",
			 c->watcher_log_file);
		src->file = watch_file_new(c->watcher_log_file, 0);
		return;
	}
	uids = calloc(c->watcher_journal_trusted_users.n + 1, sizeof(*uids));
	if (uids == NULL)
		log_fatal(1, "out of memory");
	for (i = 0; i < c->watcher_journal_trusted_users.n; i++) {
		const char *u = c->watcher_journal_trusted_users.v[i];

		errno = 0;
		v = strtoul(u, &end, 10);
		if (*u != '\0' && *end == '\0' && errno == 0)
			uids[i] = (uid_t)v;
		else if ((pw = getpwnam(u)) != NULL)
			uids[i] = pw->pw_uid;
		else
			log_fatal(CFG_EX_CONFIG, "watcher.journal_trusted_users:"
				  " no user \"%s\"", u);
	}
	buf_init(&why, 1024);
	src->journal = watch_journal_open(c->watcher_journal_dir, uids,
					  c->watcher_journal_trusted_users.n,
					  &why);
	free(uids);
	if (src->journal == NULL)
		log_fatal(1, "%s", buf_str(&why));
	buf_free(&why);
	if (*c->watcher_journal_dir)
		snprintf(src->name, sizeof(src->name), "journal:%s",
			 c->watcher_journal_dir);
	else
		snprintf(src->name, sizeof(src->name), "journal");
}

/* src_start - resume at cursor (see watch_file_start) */
static int
src_start(struct source *src, const char *cursor, bool from_start,
	  struct watch_gap *gap)
{
	if (src->journal != NULL)
		return watch_journal_start(src->journal, cursor, from_start,
					   gap);
	return watch_file_start(src->file, cursor, from_start, gap);
}

/* src_close - release the source */
static void
src_close(struct source *src)
{
	watch_file_free(src->file);
	watch_journal_close(src->journal);
}

static volatile sig_atomic_t got_term, got_hup;

/* on_signal - note the signal; the loop acts on it between lines */
static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

/* usage - the synopsis, then exit 64 */
static void
usage(void)
{
	fputs("usage: plainbounce-watcher [-f] [-n] [-c config] "
	      "[--from-start]\n"
	      "       plainbounce-watcher [-c config] --import FILE...\n",
	      stderr);
	exit(64);
}

/* mono_ms - a monotonic clock for batching, in milliseconds */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ev_opts - the event options from the configuration */
static void
ev_opts(const struct cfg *c, struct watch_ev_opts *o)
{
	watch_ev_opts_init(o);
	o->defer_notice_after = c->watcher_defer_notice_after / 1000;
	o->queue_lifetime = c->watcher_queue_lifetime / 1000;
	o->max_event_age = c->responder_max_event_age / 1000;
}

/* load_classifier - the rules the configuration names, or exit */
static struct classifier *
load_classifier(const struct cfg *c, int fatal)
{
	struct classifier *cls;
	struct buf why;

	buf_init(&why, 4096);
	cls = classify_load(c->classify_rules, c->classify_site_rules, &why);
	if (cls == NULL) {
		if (fatal)
			log_fatal(CFG_EX_CONFIG, "%s", buf_str(&why));
		log_error("%s", buf_str(&why));
	}
	buf_free(&why);
	return cls;
}

/* reload - SIGHUP: a good new configuration replaces the old one */
static void
reload(const char *path, struct cfg *c, struct classifier **cls,
       struct watch *w)
{
	struct cfg nc;
	struct buf why;
	struct classifier *ncls;
	struct watch_ev_opts o;

	buf_init(&why, 4096);
	if (cfg_load(&nc, path, &why) < 0) {
		log_error("reload: %s: keeping the running configuration",
			  buf_str(&why));
		buf_free(&why);
		return;
	}
	buf_free(&why);
	if ((ncls = load_classifier(&nc, 0)) == NULL) {
		log_error("reload: keeping the running configuration");
		cfg_free(&nc);
		return;
	}
	if (strcmp(nc.watcher_log_file, c->watcher_log_file) != 0 ||
	    strcmp(nc.store_path, c->store_path) != 0)
		log_warn("reload: watcher.log_file and store.path change "
			 "only at restart");
	ev_opts(&nc, &o);
	watch_set_opts(w, &o, ncls);
	classify_free(*cls);
	*cls = ncls;
	free(nc.watcher_log_file);
	nc.watcher_log_file = c->watcher_log_file;
	c->watcher_log_file = NULL;
	free(nc.store_path);
	nc.store_path = c->store_path;
	c->store_path = NULL;
	cfg_free(c);
	*c = nc;
	log_info("configuration reloaded");
}

/* progress - import's progress line, on a terminal only */
static void
progress(void *arg, uint64_t bytes, uint64_t lines)
{
	(void)arg;
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\rimport: %llu lines, %llu MB",
			(unsigned long long)lines,
			(unsigned long long)(bytes >> 20));
}

/* run_import - --import FILE...: backfill, every event historical */
static int
run_import(struct store *store, struct classifier *cls,
	   const struct watch_ev_opts *o, const char **paths, size_t n)
{
	struct watch *w = watch_new(store, cls, o, false);
	struct watch_counts wc;
	struct buf why;
	int rc;

	buf_init(&why, 4096);
	rc = watch_import(w, paths, n, WATCH_IMPORT_BATCH, progress, NULL,
			  &why);
	if (isatty(STDERR_FILENO))
		fputc('\n', stderr);
	watch_counts(w, &wc);
	if (rc < 0)
		log_error("import: %s", buf_str(&why));
	else
		log_info("import: %llu lines, %llu Postfix lines, %llu new "
			 "events (all historical)",
			 (unsigned long long)wc.lines,
			 (unsigned long long)wc.postfix,
			 (unsigned long long)wc.events);
	buf_free(&why);
	watch_free(w);
	return rc < 0 ? 1 : 0;
}

/* fail_batch - a store failure mid-batch: roll back and stop */
static void
fail_batch(struct watch *w, const struct store_err *err)
{
	watch_rollback(w);
	log_fatal(1, "store: %s: stopping; a restart resumes from the last "
		  "commit", err->msg);
}

/* begin - open a batch, waiting out another writer's lock */
static void
begin(struct watch *w)
{
	struct store_err err;
	int rc;

	while ((rc = watch_begin(w, &err)) == STORE_RETRY && !got_term)
		log_warn("store busy: %s: retrying", err.msg);
	if (rc != STORE_OK && !got_term)
		fail_batch(w, &err);
}

/* idle_us - how long to wait for lines: 50 ms, less when a batch is due */
static useconds_t
idle_us(const struct watch *w, int64_t batch_start, int64_t interval)
{
	int64_t left = batch_start + interval - mono_ms();

	if (!watch_in_txn(w) || left >= 50)
		return 50000;
	return left > 0 ? (useconds_t)left * 1000 : 0;
}

/* follow - the main loop over the file source */
static void
follow(const char *cfgpath, struct cfg *c, struct classifier **cls,
       struct watch *w, struct source *src, bool hist)
{
	const char *source = src->name;
	struct store_err err;
	struct watch_gap gap;
	struct span line;
	char cursor[CURSOR_MAX];
	int64_t batch_start = 0, next_tick = 0, next_purge = 0, now, deleted;
	uint64_t inbatch = 0;
	bool cut;
	int rc;

	for (;;) {
		if (got_hup) {
			got_hup = 0;
			reload(cfgpath, c, cls, w);
		}
		now = (int64_t)time(NULL);
		rc = got_term ? WATCH_FILE_IDLE
			      : src_next(src, &line, &cut, &gap);
		if (rc == WATCH_FILE_ERROR)
			log_fatal(1, "%s: %s", source, gap.note);
		if (rc != WATCH_FILE_IDLE && !watch_in_txn(w)) {
			begin(w);
			batch_start = mono_ms();
		}
		if (rc == WATCH_FILE_LINE) {
			if (cut)
				log_warn("%s: a line longer than the limit was "
					 "cut", source);
			if (watch_line(w, line.p, line.len, now, now, &err))
				fail_batch(w, &err);
			inbatch++;
		} else if (rc == WATCH_FILE_GAP) {
			if (watch_gap(w, source, &gap, now, &err))
				fail_batch(w, &err);
		}
		if (now >= next_tick) {
			if (!watch_in_txn(w))
				begin(w);
			if (watch_tick(w, now, &err) != STORE_OK)
				fail_batch(w, &err);
			next_tick = now + c->watcher_tick / 1000 +
			    (c->watcher_tick < 1000);
		}
		/*
		 * Not at every idle moment: each commit also saves the open
		 * messages' state, which costs more than the lines at a few
		 * thousand a second.  A line waits batch_interval at most.
		 */
		if (watch_in_txn(w) && (got_term ||
		    inbatch >= (uint64_t)c->watcher_batch_lines ||
		    mono_ms() - batch_start >= c->watcher_batch_interval)) {
			src_cursor(src, cursor);
			if (watch_commit(w, source, cursor, now, &err))
				fail_batch(w, &err);
			inbatch = 0;
		}
		if (hist && rc == WATCH_FILE_IDLE && !watch_in_txn(w)) {
			/* the log as it was at the first start is read */
			watch_set_historical(w, false);
			hist = false;
		}
		if (got_term)
			return;
		if (now >= next_purge && !watch_in_txn(w)) {
			next_purge = now + 3600;
			if (store_purge(watch_store(w), now -
					c->store_retention / 1000, &deleted,
					&err) != STORE_OK)
				log_warn("store.retention purge: %s", err.msg);
			else if (deleted > 0)
				log_info("purged %lld rows older than "
					 "store.retention", (long long)deleted);
		}
		if (rc == WATCH_FILE_IDLE)
			usleep(idle_us(w, batch_start, c->watcher_batch_interval));
	}
}

/* main - options, config, log, privileges, store, then follow */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from-start", no_argument, NULL, 's' },
		{ "import", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, from_start = 0, import = 0, rc;
	struct daemon_opts opt;
	struct cfg cfg;
	struct classifier *cls;
	struct store *store;
	struct store_err err;
	struct watch_ev_opts o;
	struct watch *w;
	struct source src;
	struct watch_gap gap;
	struct watch_counts wc;
	struct sigaction sa;
	char *cursor = NULL, pos[CURSOR_MAX];
	bool hist = false;

	daemon_opts_init(&opt);
	while ((ch = getopt_long(argc, argv, DAEMON_OPTSTRING, longopts,
				 NULL)) != -1) {
		switch (ch) {
		case 's':
			from_start = 1;
			break;
		case 'i':
			import = 1;
			break;
		default:
			if (!daemon_option(&opt, ch, optarg))
				usage();
		}
	}
	if ((optind != argc) != import)
		usage();
	log_init("plainbounce-watcher", opt.foreground || opt.check || import);
	daemon_config(&cfg, opt.path);
	cls = load_classifier(&cfg, 1);
	daemon_user_check("watcher.user", cfg.watcher_user);
	if (opt.check) {
		printf("%s: configuration OK\n", opt.path);
		classify_free(cls);
		cfg_free(&cfg);
		return 0;
	}
	ev_opts(&cfg, &o);
	if (import) {
		if (store_open(&store, cfg.store_path,
			       (int)cfg.store_busy_timeout, 0, &err))
			log_fatal(1, "store: %s", err.msg);
		rc = run_import(store, cls, &o, (const char **)argv + optind,
				(size_t)(argc - optind));
		store_close(store);
		classify_free(cls);
		cfg_free(&cfg);
		return rc;
	}
	/* the log first (it may need root), the store, then drop root */
	src_open(&src, &cfg);
	if (store_open(&store, cfg.store_path, (int)cfg.store_busy_timeout,
		       0, &err) != STORE_OK)
		log_fatal(1, "store: %s", err.msg);
	w = watch_new(store, cls, &o, false);
	rc = watch_restore(w, src.name, &cursor, &err);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		log_fatal(1, "store: %s", err.msg);
	memset(&gap, 0, sizeof(gap));
	rc = src_start(&src, cursor, from_start, &gap);
	if (cursor == NULL && from_start) {
		/* a first start on an existing log: its past is history */
		hist = true;
		watch_set_historical(w, true);
	}
	daemon_drop_root("watcher.user", cfg.watcher_user, cfg.store_path);
	if (!opt.foreground && daemon(0, 0) < 0)
		log_fatal(1, "daemon: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("following %s from %s%s, store %s", src.name,
		 cursor ? "the saved cursor " : from_start ? "its start"
		 : "its end", cursor ? cursor : "", cfg.store_path);
	if (rc == WATCH_FILE_GAP || cursor == NULL) {
		/* the starting point is a commitment too: a crash before the
		 * first line must not move it to a later end of the log */
		begin(w);
		if (rc == WATCH_FILE_GAP &&
		    watch_gap(w, src.name, &gap, (int64_t)time(NULL), &err))
			fail_batch(w, &err);
		src_cursor(&src, pos);
		if (watch_commit(w, src.name, pos, (int64_t)time(NULL),
				 &err))
			fail_batch(w, &err);
	}
	free(cursor);
	follow(opt.path, &cfg, &cls, w, &src, hist);
	watch_counts(w, &wc);
	log_info("stopped: %llu lines, %llu new events, %llu routed, %llu "
		 "gaps, %llu repeated", (unsigned long long)wc.lines,
		 (unsigned long long)wc.events,
		 (unsigned long long)wc.notices, (unsigned long long)wc.gaps,
		 (unsigned long long)wc.repeats);
	if (src.journal != NULL)
		log_info("journal entries ignored (writer not trusted): %llu",
			 (unsigned long long)
			 watch_journal_untrusted(src.journal));
	watch_free(w);
	src_close(&src);
	store_close(store);
	classify_free(cls);
	cfg_free(&cfg);
	return 0;
}
