/*
 * writer.c - one thread that owns the store connection and writes milter
 * records handed over by the connection threads.
 *
 * Owns the queue and every record in it.  Guarantees: submitting never
 * waits for the store (only for the queue mutex, held for a pointer
 * copy); a record is dropped only when the queue is full, which happens
 * only when the store is locked from outside, slow or failing, since the
 * writer drains the queue in batches of up to WRITER_BATCH records per
 * transaction, far faster than mail arrives (it gathers for
 * WRITER_GATHER_MS after the first record, so a burst costs one commit
 * and few wake-ups); every dropped record is
 * counted in the store's milter_dropped counter at the next successful
 * commit and reported in the log at most once per DROP_LOG_INTERVAL.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "milter.h"
#include "xalloc.h"

#define WRITER_BATCH		256
#define WRITER_GATHER_MS	20	/* wait for more before a small batch */
#define DROP_LOG_INTERVAL	60	/* seconds */
#define STOP_ATTEMPTS		3	/* store tries when stopping */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	struct store *store;
	struct store_milter_record **ring;
	size_t cap, head, len;
	int64_t dropped_unsaved;	/* dropped, not yet in the counter */
	int64_t dropped_unlogged;	/* dropped since the last warning */
	time_t last_drop_log;
	int64_t retry_ms;
	int stopping;
} w = { .lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER };

/* note_drop - count n lost records and warn, rate limited; lock held */
static void
note_drop(size_t n, const char *why)
{
	time_t now = time(NULL);

	w.dropped_unsaved += (int64_t)n;
	w.dropped_unlogged += (int64_t)n;
	if (now - w.last_drop_log >= DROP_LOG_INTERVAL) {
		log_warn("dropped %lld milter record(s) since the last report:"
			 " %s", (long long)w.dropped_unlogged, why);
		w.dropped_unlogged = 0;
		w.last_drop_log = now;
	}
}

void
writer_submit(struct store_milter_record *rec)
{
	pthread_mutex_lock(&w.lock);
	if (w.len == w.cap || w.stopping) {
		note_drop(1, w.stopping ? "stopping" :
			  "queue full (store locked, slow or failing)");
		pthread_mutex_unlock(&w.lock);
		store_milter_record_free(rec);
		return;
	}
	w.ring[(w.head + w.len) % w.cap] = rec;
	w.len++;
	/* wake the writer for the first record and for a full batch only */
	if (w.len == 1 || w.len == WRITER_BATCH)
		pthread_cond_signal(&w.wake);
	pthread_mutex_unlock(&w.lock);
}

/* take - move up to WRITER_BATCH records into batch; lock held */
static size_t
take(struct store_milter_record **batch)
{
	size_t n = 0;

	while (w.len > 0 && n < WRITER_BATCH) {
		batch[n++] = w.ring[w.head];
		w.head = (w.head + 1) % w.cap;
		w.len--;
	}
	return n;
}

/* free_batch - release n written or abandoned records */
static void
free_batch(struct store_milter_record **batch, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_milter_record_free(batch[i]);
}

/* nap - wait ms, or less when woken (stop, full batch); lock held */
static void
nap(int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (!w.stopping)
		pthread_cond_timedwait(&w.wake, &w.lock, &ts);
}

/* writer_main - batch, write, retry on busy, drop on failure */
static void *
writer_main(void *arg)
{
	struct store_milter_record **batch = xcalloc(WRITER_BATCH,
						     sizeof(*batch));
	struct store_err err;
	size_t n = 0;
	int64_t dropped;
	int rc, tries = 0, busy_logged = 0;

	(void)arg;
	pthread_mutex_lock(&w.lock);
	for (;;) {
		if (n == 0) {
			while (w.len == 0 && !w.stopping)
				pthread_cond_wait(&w.wake, &w.lock);
			if (w.len == 0 && w.stopping)
				break;
			/* gather: one commit per burst, not per record */
			if (w.len < WRITER_BATCH && !w.stopping)
				nap(WRITER_GATHER_MS);
			n = take(batch);
			tries = 0;
		}
		dropped = w.dropped_unsaved;
		pthread_mutex_unlock(&w.lock);
		rc = store_milter_put(w.store, batch, n, dropped, &err);
		pthread_mutex_lock(&w.lock);
		if (rc == STORE_OK) {
			w.dropped_unsaved -= dropped;
			if (busy_logged)
				log_info("store writable again");
			busy_logged = 0;
			free_batch(batch, n);
			n = 0;
			continue;
		}
		if (rc == STORE_RETRY && !(w.stopping && ++tries >= STOP_ATTEMPTS)) {
			/* keep the batch; new records wait in the queue */
			if (!busy_logged)
				log_warn("store busy, will retry: %s", err.msg);
			busy_logged = 1;
			nap(w.retry_ms);
			continue;
		}
		log_error("cannot store %zu milter record(s): %s", n, err.msg);
		note_drop(n, "store error");
		free_batch(batch, n);
		n = 0;
		if (w.stopping && rc == STORE_RETRY) {
			/* giving up at exit: the rest would fail the same way */
			while ((n = take(batch)) > 0) {
				note_drop(n, "store busy at exit");
				free_batch(batch, n);
			}
		}
	}
	if (w.dropped_unsaved > 0 || w.dropped_unlogged > 0)
		log_warn("%lld milter record(s) dropped and not yet counted in "
			 "the store at exit", (long long)w.dropped_unsaved);
	pthread_mutex_unlock(&w.lock);
	free(batch);
	return NULL;
}

void
writer_start(struct store *s, size_t queue_size, int64_t retry_ms)
{
	int rc;

	w.store = s;
	w.cap = queue_size;
	w.ring = xcalloc(queue_size, sizeof(*w.ring));
	w.retry_ms = retry_ms > 0 ? retry_ms : 100;
	if ((rc = pthread_create(&w.thread, NULL, writer_main, NULL)) != 0)
		log_fatal(1, "cannot start the writer thread: error %d", rc);
}

void
writer_stop(void)
{
	pthread_mutex_lock(&w.lock);
	w.stopping = 1;
	pthread_cond_signal(&w.wake);
	pthread_mutex_unlock(&w.lock);
	pthread_join(w.thread, NULL);
	free(w.ring);
	w.ring = NULL;
}
