/*
 * retry.h - what to do after one delivery attempt: the retry policy.
 *
 * Owns the mapping from a transport's outcome (libcurl result, HTTP status
 * or SMTP reply code) to a class, and from a class plus the history of a
 * notice to a verdict: delivered, try again after a delay, dead letter, or
 * disable the endpoint.  Pure: the clock, the attempt count and the random
 * jitter are arguments, so every schedule can be tested exactly.
 *
 * Webhook (Standard Webhooks): 2xx success; 3xx is a failure and is not
 * followed (dead letter: the endpoint is misconfigured, and following it
 * could lead anywhere); 410 disables the endpoint; 408, 429, 502, 503 and
 * 504 are throttling and honour Retry-After (capped); other 4xx are dead
 * letter; other 5xx, timeouts and connection failures retry.
 * Email: 4xx retry, 5xx dead letter; connection failures retry.
 */
#ifndef PB_RETRY_H
#define PB_RETRY_H

#include <stdint.h>

enum retry_class {
	RETRY_C_SUCCESS,	/* delivered */
	RETRY_C_TRANSIENT,	/* try again with backoff */
	RETRY_C_THROTTLE,	/* try again, honouring Retry-After */
	RETRY_C_PERMANENT,	/* never succeeds as is: dead letter */
	RETRY_C_GONE		/* endpoint asked to be disabled (410) */
};

enum retry_verdict {
	RETRY_DONE,		/* delivered; forget it */
	RETRY_LATER,		/* try again after delay_ms */
	RETRY_DEAD,		/* dead letter: keep it, stop trying */
	RETRY_DISABLE		/* dead letter and disable the endpoint */
};

struct retry_policy {
	int64_t base_ms;	/* delay after the first failure */
	int64_t max_delay_ms;	/* no single delay is longer */
	int64_t max_age_ms;	/* no retry later than this after attempt 1 */
	int64_t retry_after_max_ms; /* a server's Retry-After is capped here */
	int64_t min_delay_ms;	/* no delay is shorter (Retry-After: 0) */
};

/* Defaults: 10 s doubling to at most 2 h, for up to 48 h; Retry-After
 * capped at 1 h and floored at 1 s. */
#define RETRY_DEF_BASE_MS	(10 * 1000)
#define RETRY_DEF_MAX_DELAY_MS	(2 * 3600 * 1000)
#define RETRY_DEF_MAX_AGE_MS	((int64_t)48 * 3600 * 1000)
#define RETRY_DEF_RA_MAX_MS	(3600 * 1000)
#define RETRY_DEF_MIN_DELAY_MS	1000

struct retry_decision {
	enum retry_verdict verdict;
	int64_t delay_ms;	/* for RETRY_LATER */
	const char *why;	/* static text for the log and the CLI */
};

/* retry_policy_default - the documented defaults above */
void retry_policy_default(struct retry_policy *p);

/*
 * retry_http_class - class of one webhook attempt from the libcurl result
 * (a CURLcode) and the HTTP status (0 when no response was read).  A
 * response whose body was cut off by our cap is passed as CURLE_OK.
 */
enum retry_class retry_http_class(int curl_result, long status);

/* retry_smtp_class - class of one SMTP submission: result and last code */
enum retry_class retry_smtp_class(int curl_result, long smtp_code);

/*
 * retry_backoff_ms - exponential backoff with jitter for the delay after
 * failed attempt number `attempt` (1 = the first): d = min(max_delay,
 * base * 2^(attempt-1)), then a delay in [d/2, d) chosen by rnd (any
 * 32-bit random value, the caller's).
 */
int64_t retry_backoff_ms(const struct retry_policy *p, int attempt,
			 uint32_t rnd);

/*
 * retry_after_parse - an HTTP Retry-After value: delta-seconds or an
 * HTTP-date (IMF-fixdate, RFC 850 or asctime form) relative to now_s.
 * Stores seconds to wait (0 for a date in the past) in *delay_s and
 * returns 0, or returns -1 for anything else.
 */
int retry_after_parse(const char *value, int64_t now_s, int64_t *delay_s);

/*
 * retry_decide - the verdict after attempt number `attempt` (1 = first),
 * age_ms after the first attempt, with class c.  retry_after_ms is the
 * server's requested wait, or -1 when it gave none (or none parsed).
 * A retry that would fall after max_age becomes a dead letter.
 */
struct retry_decision retry_decide(const struct retry_policy *p,
				   enum retry_class c, int attempt,
				   int64_t age_ms, int64_t retry_after_ms,
				   uint32_t rnd);

/* retry_class_name / retry_verdict_name - stable lower-case names */
const char *retry_class_name(enum retry_class c);
const char *retry_verdict_name(enum retry_verdict v);

#endif
