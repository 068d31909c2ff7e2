/*
 * milter.h - the parts of plainbounce-milter and how they meet.
 *
 * callbacks.c turns libmilter events into one struct
 * store_milter_record per accepted message; writer.c owns the only
 * store connection and writes those records from one thread; main.c
 * wires config, socket, store, privileges and signals together.
 */
#ifndef PB_MILTER_H
#define PB_MILTER_H

#include <libmilter/mfapi.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"
#include "store.h"

/* What the callbacks need to know, set once before smfi_main. */
struct milter_conf {
	const char *instance;		/* milter.instance */
	struct netaddr_list trusted;	/* trusted_networks */
};

/* callbacks.c */
extern struct smfiDesc milter_desc;
/* milter_callbacks_init - the settings every callback reads (kept, not copied) */
void milter_callbacks_init(const struct milter_conf *conf);

/*
 * writer.c - the bounded queue and its single writer thread.
 * writer_submit takes ownership of rec; it never blocks on the store:
 * when the queue is full the record is dropped, counted and (rate
 * limited) logged.
 */
void writer_start(struct store *s, size_t queue_size, int64_t retry_ms);
void writer_submit(struct store_milter_record *rec);
/* writer_stop - write what is queued (bounded effort), stop the thread */
void writer_stop(void);

#endif
