/*
 * gen_log.c - a seeded generator of large, realistic, interleaved Postfix
 * logs for the parse+correlate benchmark.
 *
 * Owns only test data.  Messages arrive at a steady rate (exponential gaps)
 * on several hosts, some with BSD and some with RFC 3339 timestamps, some
 * with short hex and some with long queue IDs, one with a multi-instance
 * syslog_name.  Each message follows a scenario (sent, mixed bounce with
 * its non-delivery notice, greylisted then sent, deferred until expired,
 * local pickup, content-filter hop, NOQUEUE reject, aborted session) and
 * its lines are scheduled in time, so lines of many messages interleave as
 * in a real log.  Same seed, same file.  At the end it prints, on stderr,
 * how many lines and messages it wrote and the most messages in flight at
 * once (first line written, last line not yet).
 *
 * usage: gen_log [-n MESSAGES] [-s SEED] [-r PER_SECOND] [-l LIFETIME_S]
 *                [-o FILE]
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXLINE 1024
#define T0 1795046400LL		/* 2026-11-19 00:00:00 UTC */

/* ------------------------------------------------------------------ */
/* seeded PRNG (xorshift64*) */

static uint64_t rng_state = 88172645463325252ULL;

/* rnd - the next 64 random bits */
static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

/* rnd_below - uniform in [0, n) */
static uint64_t
rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* rnd_unit - uniform in [0, 1) */
static double
rnd_unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* ------------------------------------------------------------------ */
/* hosts */

struct host {
	const char *name;
	const char *sysname;	/* syslog_name */
	int rfc3339;		/* timestamp form */
	int long_ids;		/* enable_long_queue_ids */
};

static const struct host hosts[] = {
	{ "mx1", "postfix", 0, 0 },
	{ "mx2", "postfix", 1, 1 },
	{ "relay", "postfix-out", 0, 1 },
	{ "mail3", "postfix", 1, 0 },
};
#define NHOSTS (sizeof(hosts) / sizeof(hosts[0]))

static const char *const domains[] = {
	"example.com", "example.net", "example.org", "mail.test",
	"gmail.test", "outlook.test", "corp.test", "shop.test",
};
#define NDOMAINS (sizeof(domains) / sizeof(domains[0]))

/* ------------------------------------------------------------------ */
/* scheduled lines */

struct msg {
	unsigned pending;	/* lines not yet written */
	int started;		/* first line written */
};

struct ev {
	int64_t t_us;		/* when, microseconds */
	uint64_t seq;		/* tie-break: insertion order */
	char *line;		/* text without the timestamp and host */
	const struct host *h;
	struct msg *m;		/* NULL for lines of no message */
};

static struct ev *heap;
static size_t nheap, capheap;
static uint64_t seqno;
static unsigned long inflight, max_inflight, nlines;

/* ev_less - heap order */
static int
ev_less(const struct ev *a, const struct ev *b)
{
	return a->t_us < b->t_us || (a->t_us == b->t_us && a->seq < b->seq);
}

/* push - schedule one line */
static void
push(int64_t t_us, const struct host *h, struct msg *m, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void
push(int64_t t_us, const struct host *h, struct msg *m, const char *fmt, ...)
{
	char tmp[MAXLINE];
	va_list ap;
	struct ev e, t;
	size_t i, p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		fputs("gen_log: line too long\n", stderr);
		exit(1);
	}
	e.t_us = t_us;
	e.seq = seqno++;
	e.line = strdup(tmp);
	if (e.line == NULL)
		abort();
	e.h = h;
	e.m = m;
	if (m)
		m->pending++;
	if (nheap == capheap) {
		capheap = capheap ? capheap * 2 : 4096;
		heap = realloc(heap, capheap * sizeof(*heap));
		if (heap == NULL)
			abort();
	}
	i = nheap++;
	heap[i] = e;
	while (i > 0 && ev_less(&heap[i], &heap[p = (i - 1) / 2])) {
		t = heap[i];
		heap[i] = heap[p];
		heap[p] = t;
		i = p;
	}
}

/* pop - the earliest line */
static struct ev
pop(void)
{
	struct ev top = heap[0], t;
	size_t i = 0, l, r, s;

	heap[0] = heap[--nheap];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		s = i;
		if (l < nheap && ev_less(&heap[l], &heap[s]))
			s = l;
		if (r < nheap && ev_less(&heap[r], &heap[s]))
			s = r;
		if (s == i)
			break;
		t = heap[i];
		heap[i] = heap[s];
		heap[s] = t;
		i = s;
	}
	return top;
}

/* write_ev - one full log line */
static void
write_ev(FILE *fp, const struct ev *e)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t s = (time_t)(e->t_us / 1000000);
	struct tm tm;

	gmtime_r(&s, &tm);
	if (e->h->rfc3339)
		fprintf(fp, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00 %s %s\n",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec,
			(long)(e->t_us % 1000000), e->h->name, e->line);
	else
		fprintf(fp, "%s %2d %02d:%02d:%02d %s %s\n", mon[tm.tm_mon],
			tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			e->h->name, e->line);
	nlines++;
	if (e->m) {
		if (!e->m->started) {
			e->m->started = 1;
			if (++inflight > max_inflight)
				max_inflight = inflight;
		}
		if (--e->m->pending == 0) {
			inflight--;
			free(e->m);
		}
	}
	free(e->line);
}

/* ------------------------------------------------------------------ */
/* names */

/*
 * make_qid - a queue ID in the host's style: 10 upper-case hex digits, or
 * a long ID (time part, 'z', inode part, no vowels) like 4jXNDZ0ydKz1bYDc
 */
static void
make_qid(const struct host *h, char *out, size_t size)
{
	static const char alnum[] =
	    "0123456789BCDFGHJKLMNPQRSTVWXYbcdfghjklmnpqrstvwxy";
	size_t i, n;

	if (!h->long_ids || size < 18) {
		snprintf(out, size, "%010llX",
			 (unsigned long long)(rnd() & 0xFFFFFFFFFFULL));
		return;
	}
	n = 15 + rnd_below(2);
	for (i = 0; i < n; i++)
		out[i] = alnum[rnd_below(sizeof(alnum) - 1)];
	out[10] = 'z';
	out[n] = '\0';
}

/* make_addr - user@domain */
static void
make_addr(char *out, size_t size, const char *prefix)
{
	snprintf(out, size, "%s%llu@%s", prefix,
		 (unsigned long long)rnd_below(50000),
		 domains[rnd_below(NDOMAINS)]);
}

/* ------------------------------------------------------------------ */
/* scenarios */

struct ctx {
	const struct host *h;
	const char *sys;
	int64_t lifetime_us;
};

/* delays - a plausible delays= field and total */
static void
delays(char *out, size_t size, double *total, double wait)
{
	double a = 0.01 + rnd_unit() * 0.2, b = wait + rnd_unit() * 0.01;
	double c = 0.05 + rnd_unit() * 0.5, d = 0.01 + rnd_unit() * 0.3;

	*total = a + b + c + d;
	snprintf(out, size, "%.2g/%.2g/%.2g/%.2g", a, b, c, d);
}

/* deliver - one delivery line for one recipient */
static void
deliver(struct ctx *x, struct msg *m, int64_t t, const char *qid,
	const char *rcpt, const char *status, int64_t arrival)
{
	char dl[64], rq[32];
	double total;
	const char *dom = strchr(rcpt, '@') + 1;
	unsigned ip = 1 + (unsigned)rnd_below(250);
	unsigned pid = 3000 + (unsigned)rnd_below(5000);

	delays(dl, sizeof(dl), &total,
	       (double)(t - arrival) / 1e6 > 1 ? (double)(t - arrival) / 1e6
					       : 0);
	if (strcmp(status, "sent") == 0) {
		make_qid(&hosts[1], rq, sizeof(rq));
		push(t, x->h, m, "%s/smtp[%u]: %s: to=<%s>, relay=mx.%s[198.51."
		     "100.%u]:25, delay=%.2g, delays=%s, dsn=2.0.0, status=sent "
		     "(250 2.0.0 Ok: queued as %s)", x->sys, pid, qid, rcpt,
		     dom, ip, total, dl, rq);
	} else if (strcmp(status, "bounced") == 0) {
		push(t, x->h, m, "%s/smtp[%u]: %s: to=<%s>, relay=mx.%s[198.51."
		     "100.%u]:25, delay=%.2g, delays=%s, dsn=5.1.1, "
		     "status=bounced (host mx.%s[198.51.100.%u] said: 550 5.1.1 "
		     "<%s>: Recipient address rejected: User unknown in virtual "
		     "mailbox table (in reply to RCPT TO command))", x->sys,
		     pid, qid, rcpt, dom, ip, total, dl, dom, ip, rcpt);
	} else if (strcmp(status, "greylisted") == 0) {
		push(t, x->h, m, "%s/smtp[%u]: %s: to=<%s>, relay=mx.%s[198.51."
		     "100.%u]:25, delay=%.2g, delays=%s, dsn=4.7.1, "
		     "status=deferred (host mx.%s[198.51.100.%u] said: 451 4.7.1"
		     " <%s>: Recipient address rejected: Greylisted, please try "
		     "again later (in reply to RCPT TO command))", x->sys, pid,
		     qid, rcpt, dom, ip, total, dl, dom, ip, rcpt);
	} else {
		push(t, x->h, m, "%s/smtp[%u]: %s: to=<%s>, relay=none, "
		     "delay=%.2g, delays=%s, dsn=4.4.1, status=deferred "
		     "(connect to mx.%s[203.0.113.%u]:25: Connection timed out)",
		     x->sys, pid, qid, rcpt, total, dl, dom, ip);
	}
}

/* notice - a non-delivery notice back to sender, as its own message */
static void
notice(struct ctx *x, struct msg *m, int64_t t, const char *parent,
       const char *sender)
{
	char q[32];

	make_qid(x->h, q, sizeof(q));
	push(t, x->h, m, "%s/cleanup[%u]: %s: message-id=<%lld.%s@%s.test>",
	     x->sys, 2000 + (unsigned)rnd_below(100), q, (long long)(t / 1000000), q,
	     x->h->name);
	push(t + 300, x->h, m, "%s/bounce[%u]: %s: sender non-delivery "
	     "notification: %s", x->sys, 2500 + (unsigned)rnd_below(100),
	     parent, q);
	push(t + 600, x->h, m, "%s/qmgr[99]: %s: from=<>, size=%u, nrcpt=1 "
	     "(queue active)", x->sys, q, 2000 + (unsigned)rnd_below(4000));
	deliver(x, m, t + 200000 + (int64_t)rnd_below(500000), q, sender,
		"sent", t);
	push(t + 900000, x->h, m, "%s/qmgr[99]: %s: removed", x->sys, q);
}

/* message - schedule all the lines of one message starting at t */
static void
message(struct ctx *x, int64_t t)
{
	struct msg *m = calloc(1, sizeof(*m));
	char qid[32], sender[96], rcpt[3][96], cq[32];
	unsigned pid = 1000 + (unsigned)rnd_below(2000);
	unsigned cip = 1 + (unsigned)rnd_below(250);
	unsigned nr = 1 + (unsigned)rnd_below(3), i, j, n;
	double dice = rnd_unit();
	int64_t q, d, arrival;
	int pickup = dice >= 0.90 && dice < 0.93;

	if (m == NULL)
		abort();
	make_qid(x->h, qid, sizeof(qid));
	make_addr(sender, sizeof(sender), "user");
	for (i = 0; i < nr; i++)
		make_addr(rcpt[i], sizeof(rcpt[i]), "rcpt");

	if (dice >= 0.995) {
		/* NOQUEUE reject: a lone line, no message */
		free(m);
		push(t, x->h, NULL, "%s/smtpd[%u]: NOQUEUE: reject: RCPT from "
		     "unknown[192.0.2.%u]: 554 5.7.1 <%s>: Relay access denied;"
		     " from=<%s> to=<%s> proto=ESMTP helo=<spam.test>", x->sys,
		     pid, cip, rcpt[0], sender, rcpt[0]);
		return;
	}
	if (pickup) {
		push(t, x->h, m, "%s/pickup[88]: %s: uid=%u from=<%s>", x->sys,
		     qid, 1000 + (unsigned)rnd_below(50), sender);
	} else {
		push(t, x->h, m, "%s/smtpd[%u]: connect from client%u.%s"
		     "[203.0.113.%u]", x->sys, pid, cip,
		     domains[cip % NDOMAINS], cip);
		if (rnd_below(3) == 0)
			push(t + 20000, x->h, m, "%s/smtpd[%u]: %s: client="
			     "client%u.%s[203.0.113.%u], sasl_method=PLAIN, "
			     "sasl_username=%s", x->sys, pid, qid, cip,
			     domains[cip % NDOMAINS], cip, sender);
		else
			push(t + 20000, x->h, m, "%s/smtpd[%u]: %s: client="
			     "client%u.%s[203.0.113.%u]", x->sys, pid, qid, cip,
			     domains[cip % NDOMAINS], cip);
	}
	push(t + 40000, x->h, m, "%s/cleanup[%u]: %s: message-id=<%llx.%u@%s>",
	     x->sys, 2000 + (unsigned)rnd_below(100), qid,
	     (unsigned long long)rnd(), cip, strchr(sender, '@') + 1);
	if (dice >= 0.993) {
		/* aborted: the client went away after DATA; never queued */
		push(t + 60000, x->h, m, "%s/smtpd[%u]: disconnect from client%u."
		     "%s[203.0.113.%u] ehlo=1 mail=1 rcpt=1 data=0/1 commands="
		     "3/4", x->sys, pid, cip, domains[cip % NDOMAINS], cip);
		return;
	}
	arrival = q = t + 60000;
	push(q, x->h, m, "%s/qmgr[99]: %s: from=<%s>, size=%u, nrcpt=%u "
	     "(queue active)", x->sys, qid, sender,
	     800 + (unsigned)rnd_below(60000), nr);
	if (!pickup)
		push(q + 5000, x->h, m, "%s/smtpd[%u]: disconnect from client%u."
		     "%s[203.0.113.%u] ehlo=1 mail=1 rcpt=%u data=1 quit=1 "
		     "commands=%u", x->sys, pid, cip, domains[cip % NDOMAINS],
		     cip, nr, 4 + nr);
	d = q + 100000 + (int64_t)rnd_below(900000);

	if (dice < 0.80 || pickup) {
		for (i = 0; i < nr; i++)
			deliver(x, m, d + i * 3000, qid, rcpt[i], "sent",
				arrival);
		push(d + nr * 3000 + 1000, x->h, m, "%s/qmgr[99]: %s: removed",
		     x->sys, qid);
	} else if (dice < 0.86) {
		/* mixed: first recipient bounces, notice goes back */
		deliver(x, m, d, qid, rcpt[0], "bounced", arrival);
		for (i = 1; i < nr; i++)
			deliver(x, m, d + i * 3000, qid, rcpt[i], "sent",
				arrival);
		notice(x, m, d + nr * 3000 + 1000, qid, sender);
		push(d + nr * 3000 + 2000, x->h, m, "%s/qmgr[99]: %s: removed",
		     x->sys, qid);
	} else if (dice < 0.90) {
		/* greylisted, retried after 5..15 minutes, then sent */
		n = 1 + (unsigned)rnd_below(2);
		for (j = 0; j < n; j++) {
			for (i = 0; i < nr; i++)
				deliver(x, m, d + i * 3000, qid, rcpt[i],
					"greylisted", arrival);
			d += (300 + (int64_t)rnd_below(600)) * 1000000;
			push(d - 1000, x->h, m, "%s/qmgr[99]: %s: from=<%s>, "
			     "size=1200, nrcpt=%u (queue active)", x->sys, qid,
			     sender, nr);
		}
		for (i = 0; i < nr; i++)
			deliver(x, m, d + i * 3000, qid, rcpt[i], "sent",
				arrival);
		push(d + nr * 3000 + 1000, x->h, m, "%s/qmgr[99]: %s: removed",
		     x->sys, qid);
	} else if (dice < 0.98) {
		/* content filter hop: handed to 127.0.0.1:10024, back as cq */
		make_qid(x->h, cq, sizeof(cq));
		push(d, x->h, m, "%s/smtpd[%u]: connect from localhost"
		     "[127.0.0.1]", x->sys, pid + 1);
		push(d + 1000, x->h, m, "%s/smtpd[%u]: %s: client=localhost"
		     "[127.0.0.1]", x->sys, pid + 1, cq);
		push(d + 2000, x->h, m, "%s/cleanup[%u]: %s: message-id=<%s."
		     "hop@%s>", x->sys, 2000 + (unsigned)rnd_below(100), cq,
		     qid, strchr(sender, '@') + 1);
		push(d + 3000, x->h, m, "%s/qmgr[99]: %s: from=<%s>, size=1500,"
		     " nrcpt=%u (queue active)", x->sys, cq, sender, nr);
		for (i = 0; i < nr; i++)
			push(d + 4000 + i, x->h, m, "%s/smtp[%u]: %s: to=<%s>, "
			     "relay=127.0.0.1[127.0.0.1]:10024, delay=0.3, "
			     "delays=0.05/0/0.01/0.24, dsn=2.0.0, status=sent "
			     "(250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 "
			     "2.0.0 Ok: queued as %s)", x->sys, 4000 + pid, qid,
			     rcpt[i], cq);
		push(d + 6000, x->h, m, "%s/qmgr[99]: %s: removed", x->sys, qid);
		push(d + 7000, x->h, m, "%s/smtpd[%u]: disconnect from localhost"
		     "[127.0.0.1] ehlo=1 mail=1 rcpt=%u data=1 quit=1 commands="
		     "%u", x->sys, pid + 1, nr, 4 + nr);
		for (i = 0; i < nr; i++)
			deliver(x, m, d + 200000 + i * 3000, cq, rcpt[i],
				"sent", d);
		push(d + 200000 + nr * 3000 + 1000, x->h, m, "%s/qmgr[99]: %s: "
		     "removed", x->sys, cq);
	} else {
		/* deferred until the queue lifetime runs out */
		while (d < arrival + x->lifetime_us) {
			for (i = 0; i < nr; i++)
				deliver(x, m, d + i * 3000, qid, rcpt[i],
					"timeout", arrival);
			d += x->lifetime_us / 5;
			push(d - 1000, x->h, m, "%s/qmgr[99]: %s: from=<%s>, "
			     "size=1200, nrcpt=%u (queue active)", x->sys, qid,
			     sender, nr);
		}
		push(d, x->h, m, "%s/qmgr[99]: %s: from=<%s>, status=expired, "
		     "returned to sender", x->sys, qid, sender);
		notice(x, m, d + 1000, qid, sender);
		push(d + 2000, x->h, m, "%s/qmgr[99]: %s: removed", x->sys, qid);
	}
}

int
main(int argc, char **argv)
{
	unsigned long nmsg = 1000000, i;
	unsigned long long seed = 1;
	double rate = 8.0;
	int64_t lifetime = 7200, t;
	const char *out = NULL;
	FILE *fp = stdout;
	struct ctx x;
	struct ev e;
	int ch;

	while ((ch = getopt(argc, argv, "n:s:r:l:o:")) != -1) {
		switch (ch) {
		case 'n':
			nmsg = strtoul(optarg, NULL, 10);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 'l':
			lifetime = strtoll(optarg, NULL, 10);
			break;
		case 'o':
			out = optarg;
			break;
		default:
			fputs("usage: gen_log [-n MESSAGES] [-s SEED] "
			      "[-r PER_SECOND] [-l LIFETIME_S] [-o FILE]\n",
			      stderr);
			return 2;
		}
	}
	if (rate <= 0 || lifetime <= 0) {
		fputs("gen_log: rate and lifetime must be positive\n", stderr);
		return 2;
	}
	rng_state ^= seed * 0x9E3779B97F4A7C15ULL;
	if (rng_state == 0)
		rng_state = 1;
	if (out != NULL && (fp = fopen(out, "w")) == NULL) {
		perror(out);
		return 1;
	}
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	x.lifetime_us = lifetime * 1000000;
	t = T0 * 1000000;
	for (i = 0; i < nmsg; i++) {
		t += (int64_t)(-1e6 / rate * log(1.0 - rnd_unit()));
		while (nheap > 0 && heap[0].t_us <= t) {
			e = pop();
			write_ev(fp, &e);
		}
		x.h = &hosts[rnd_below(NHOSTS)];
		x.sys = x.h->sysname;
		message(&x, t);
		if (rnd_below(50) == 0)
			push(t + 1, x.h, NULL, "dovecot: imap-login: Login: "
			     "user=<u%llu>, method=PLAIN, rip=192.0.2.7",
			     (unsigned long long)rnd_below(1000));
		if (rnd_below(200) == 0)
			push(t + 2, x.h, NULL, "%s/anvil[77]: statistics: max "
			     "connection rate 3/60s for (smtp:203.0.113.5)",
			     x.sys);
	}
	while (nheap > 0) {
		e = pop();
		write_ev(fp, &e);
	}
	if (fflush(fp) != 0 || (fp != stdout && fclose(fp) != 0)) {
		perror("gen_log: write");
		return 1;
	}
	free(heap);
	fprintf(stderr, "gen_log: seed %llu, %lu messages, %lu lines, "
		"rate %.0f/s, lifetime %llds, max in flight %lu\n", seed, nmsg,
		nlines, rate, (long long)lifetime, max_inflight);
	return 0;
}
