/*
 * watch.h - the watcher's pipeline: log lines in, store rows out, exactly
 * once.
 *
 * Owns parsing, correlation and the store writes of the watcher daemon
 * and of `plainbounce import`.  The caller opens a transaction
 * (watch_begin), feeds lines and gaps, and commits with the source's
 * cursor (watch_commit): the facts and events derived from the lines and
 * the correlator's open state after them are written in that one
 * transaction, so after a crash the watcher resumes from the last commit
 * with exactly the state that matched it -- nothing lost, nothing twice.
 * Rows: messages / recipients / attempts (facts), events (one per
 * message, recipient and kind, by unique key) and, for each new event
 * that is not historical, one outbox row on channel "route".
 * Time is always an argument.
 */
#ifndef PB_WATCH_H
#define PB_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "store.h"
#include "watch_events.h"
#include "watch_file.h"

struct watch;

struct watch_counts {
	uint64_t lines;			/* fed */
	uint64_t postfix;		/* of which Postfix lines */
	uint64_t events;		/* new events stored */
	uint64_t notices;		/* of which not historical (outbox) */
	uint64_t gaps;
	uint64_t commits;
	uint64_t repeats;		/* final events derived twice live */
};

/*
 * watch_new - a pipeline writing to s (not owned), classifying with cls
 * (not owned; NULL: reasons unknown).  local_is_utc reads BSD stamps as
 * UTC.
 */
struct watch *watch_new(struct store *s, const struct classifier *cls,
			const struct watch_ev_opts *o, bool local_is_utc);

/* watch_free - free the correlator and buffers */
void watch_free(struct watch *w);

/* watch_set_opts - new event options (SIGHUP) */
void watch_set_opts(struct watch *w, const struct watch_ev_opts *o,
		    const struct classifier *cls);

/*
 * watch_set_bulk - whether watch_import may hold a message's rows until
 * it ends and write them in one go (default on; off: each line's rows at
 * once, as the watcher does; the rows come out the same)
 */
void watch_set_bulk(struct watch *w, bool on);

/* watch_set_historical - events from now on are (not) historical */
void watch_set_historical(struct watch *w, bool on);

/*
 * watch_restore - the saved cursor of source (a new string in *cursor,
 * NULL when never saved) and the correlator state that goes with it.
 * STORE_NOTFOUND on a first start.
 */
int watch_restore(struct watch *w, const char *source, char **cursor,
		  struct store_err *err);

/* watch_begin - open the batch transaction (STORE_RETRY: try later) */
int watch_begin(struct watch *w, struct store_err *err);

/* watch_in_txn - true between watch_begin and commit/rollback */
bool watch_in_txn(const struct watch *w);

/*
 * watch_line - in the batch: one log line.  ref_time guesses the year of
 * BSD stamps; now is the clock (historical, dropping); now 0 uses the
 * line's own time (import).  Returns STORE_OK or the store's error.
 */
int watch_line(struct watch *w, const char *text, size_t len,
	       int64_t ref_time, int64_t now, struct store_err *err);

/* watch_tick - in the batch: deferred_long for open recipients at now */
int watch_tick(struct watch *w, int64_t now, struct store_err *err);

/* watch_gap - in the batch: record a loss of source, loudly */
int watch_gap(struct watch *w, const char *source, const struct watch_gap *g,
	      int64_t now, struct store_err *err);

/*
 * watch_commit - save the cursor (source NULL: none, for import) with
 * the correlator's open state, and commit the batch.
 */
int watch_commit(struct watch *w, const char *source, const char *cursor,
		 int64_t now, struct store_err *err);

/* watch_rollback - abandon the batch (the caller must then restart) */
void watch_rollback(struct watch *w);

/* watch_store - the store the pipeline writes */
struct store *watch_store(const struct watch *w);

/* watch_counts - the counters so far */
void watch_counts(const struct watch *w, struct watch_counts *out);

/* Lines per import transaction: few commits, each page written rarely. */
#define WATCH_IMPORT_BATCH	100000

/*
 * watch_import - backfill from paths (plain or .gz, put in time order),
 * all events historical, committing every batch lines.  progress, when
 * not NULL, is called after each commit.  Returns 0, or -1 with why.
 */
int watch_import(struct watch *w, const char **paths, size_t n,
		 size_t batch, void (*progress)(void *arg, uint64_t bytes,
						uint64_t lines),
		 void *arg, struct buf *why);

#endif
