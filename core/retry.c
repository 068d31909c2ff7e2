/*
 * retry.c - the retry policy: outcome tables, backoff and Retry-After.
 *
 * Only libcurl's result codes are used from curl.h (constants, no calls),
 * so the policy stays pure and testable without a network.
 */
#include <curl/curl.h>
#include <string.h>

#include "retry.h"

/* retry_policy_default - defaults shared by webhook and mail */
void
retry_policy_default(struct retry_policy *p)
{
	p->base_ms = RETRY_DEF_BASE_MS;
	p->max_delay_ms = RETRY_DEF_MAX_DELAY_MS;
	p->max_age_ms = RETRY_DEF_MAX_AGE_MS;
	p->retry_after_max_ms = RETRY_DEF_RA_MAX_MS;
	p->min_delay_ms = RETRY_DEF_MIN_DELAY_MS;
}

/* curl_class - libcurl results that say the request never completed */
static enum retry_class
curl_class(int rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_LOGIN_DENIED:
		/* our configuration is wrong; retrying cannot help */
		return RETRY_C_PERMANENT;
	default:
		/* refused, timed out, reset, TLS refused (a certificate can
		 * be fixed by its owner): retried until max age */
		return RETRY_C_TRANSIENT;
	}
}

/* retry_http_class - the webhook status table */
enum retry_class
retry_http_class(int curl_result, long status)
{
	if (curl_result != CURLE_OK)
		return curl_class(curl_result);
	if (status >= 200 && status <= 299)
		return RETRY_C_SUCCESS;
	if (status >= 300 && status <= 399)
		return RETRY_C_PERMANENT;	/* redirects are not followed */
	switch (status) {
	case 410:
		return RETRY_C_GONE;
	case 408:
	case 429:
	case 502:
	case 503:
	case 504:
		return RETRY_C_THROTTLE;
	default:
		break;
	}
	if (status >= 400 && status <= 499)
		return RETRY_C_PERMANENT;
	/* 5xx, and anything outside HTTP's range, may pass */
	return RETRY_C_TRANSIENT;
}

/* retry_smtp_class - the mail reply table */
enum retry_class
retry_smtp_class(int curl_result, long smtp_code)
{
	if (smtp_code >= 400 && smtp_code <= 499)
		return RETRY_C_TRANSIENT;
	if (smtp_code >= 500 && smtp_code <= 599)
		return RETRY_C_PERMANENT;
	if (curl_result != CURLE_OK)
		return curl_class(curl_result);
	return smtp_code >= 200 && smtp_code <= 299 ? RETRY_C_SUCCESS :
	       RETRY_C_TRANSIENT;
}

/* retry_backoff_ms - capped doubling, jittered into [d/2, d) */
int64_t
retry_backoff_ms(const struct retry_policy *p, int attempt, uint32_t rnd)
{
	int64_t d = p->base_ms, half;
	int i;

	if (d <= 0)
		return p->min_delay_ms;
	for (i = 1; i < attempt && d < p->max_delay_ms; i++)
		d *= 2;
	if (d > p->max_delay_ms)
		d = p->max_delay_ms;
	half = d / 2;
	d = half + (int64_t)(((uint64_t)(d - half) * rnd) >> 32);
	return d < p->min_delay_ms ? p->min_delay_ms : d;
}

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian date */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* digits - read between min and max decimal digits at *pp */
static int
digits(const char **pp, int min, int max, int64_t *out)
{
	const char *p = *pp;
	int64_t v = 0;
	int n = 0;

	while (n < max && *p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n < min)
		return -1;
	*pp = p;
	*out = v;
	return 0;
}

/* lit - consume the literal s at *pp */
static int
lit(const char **pp, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(*pp, s, n) != 0)
		return -1;
	*pp += n;
	return 0;
}

/* month - "Jan".."Dec" at *pp, 1..12, or -1 */
static int
month(const char **pp)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int i;

	for (i = 0; i < 12; i++)
		if (strncmp(*pp, names + 3 * i, 3) == 0) {
			*pp += 3;
			return i + 1;
		}
	return -1;
}

/* hms - "HH:MM:SS" at *pp, as seconds of the day */
static int
hms(const char **pp, int64_t *secs)
{
	int64_t h, mi, s;

	if (digits(pp, 2, 2, &h) || lit(pp, ":") || digits(pp, 2, 2, &mi) ||
	    lit(pp, ":") || digits(pp, 2, 2, &s) || h > 23 || mi > 59 ||
	    s > 60)
		return -1;
	*secs = h * 3600 + mi * 60 + s;
	return 0;
}

/* http_date - the three date forms of RFC 9110 section 5.6.7, in GMT */
static int
http_date(const char *p, int64_t *when)
{
	int64_t day, year, secs;
	int mon, n = 0;

	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
		p++;
		n++;
	}
	if (n < 3)
		return -1;
	if (*p == ',') {
		p++;
		if (lit(&p, " ") || digits(&p, 2, 2, &day))
			return -1;
		if (*p == ' ') {	/* IMF-fixdate: Sun, 06 Nov 1994 */
			p++;
			if ((mon = month(&p)) < 0 || lit(&p, " ") ||
			    digits(&p, 4, 4, &year))
				return -1;
		} else {		/* RFC 850: Sunday, 06-Nov-94 */
			if (lit(&p, "-") || (mon = month(&p)) < 0 ||
			    lit(&p, "-") || digits(&p, 2, 2, &year))
				return -1;
			year += year < 70 ? 2000 : 1900;
		}
		if (lit(&p, " ") || hms(&p, &secs) || lit(&p, " GMT"))
			return -1;
	} else {			/* asctime: Sun Nov  6 08:49:37 1994 */
		if (lit(&p, " ") || (mon = month(&p)) < 0 || lit(&p, " "))
			return -1;
		if (*p == ' ')
			p++;
		if (digits(&p, 1, 2, &day) || lit(&p, " ") ||
		    hms(&p, &secs) || lit(&p, " ") || digits(&p, 4, 4, &year))
			return -1;
	}
	if (*p != '\0' || day < 1 || day > 31)
		return -1;
	*when = days_from_civil(year, mon, (int)day) * 86400 + secs;
	return 0;
}

/* retry_after_parse - delta-seconds or HTTP-date */
int
retry_after_parse(const char *value, int64_t now_s, int64_t *delay_s)
{
	const char *p = value;
	int64_t v, when;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p >= '0' && *p <= '9') {
		/* ten digits are over 300 years: more is nonsense */
		if (digits(&p, 1, 10, &v))
			return -1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0')
			return -1;
		*delay_s = v;
		return 0;
	}
	if (http_date(p, &when))
		return -1;
	*delay_s = when > now_s ? when - now_s : 0;
	return 0;
}

/* retry_decide - class and history to verdict */
struct retry_decision
retry_decide(const struct retry_policy *p, enum retry_class c, int attempt,
	     int64_t age_ms, int64_t retry_after_ms, uint32_t rnd)
{
	struct retry_decision d = { RETRY_DEAD, 0, NULL };

	switch (c) {
	case RETRY_C_SUCCESS:
		d.verdict = RETRY_DONE;
		d.why = "delivered";
		return d;
	case RETRY_C_PERMANENT:
		d.why = "permanent failure";
		return d;
	case RETRY_C_GONE:
		d.verdict = RETRY_DISABLE;
		d.why = "endpoint gone (410): disabled";
		return d;
	case RETRY_C_THROTTLE:
		if (retry_after_ms >= 0) {
			d.delay_ms = retry_after_ms;
			if (d.delay_ms > p->retry_after_max_ms)
				d.delay_ms = p->retry_after_max_ms;
			if (d.delay_ms < p->min_delay_ms)
				d.delay_ms = p->min_delay_ms;
			d.why = "throttled: retry after the server's delay";
			break;
		}
		/* FALLTHROUGH */
	case RETRY_C_TRANSIENT:
		d.delay_ms = retry_backoff_ms(p, attempt, rnd);
		d.why = "temporary failure: retry with backoff";
		break;
	}
	if (age_ms + d.delay_ms > p->max_age_ms) {
		d.verdict = RETRY_DEAD;
		d.delay_ms = 0;
		d.why = "temporary failure past the maximum age";
		return d;
	}
	d.verdict = RETRY_LATER;
	return d;
}

/* retry_class_name - for logs and the test driver */
const char *
retry_class_name(enum retry_class c)
{
	static const char *const names[] = {
		"success", "transient", "throttle", "permanent", "gone"
	};

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] :
	       "?";
}

/* retry_verdict_name - for logs, the store and the test driver */
const char *
retry_verdict_name(enum retry_verdict v)
{
	static const char *const names[] = {
		"done", "retry", "dead", "disable"
	};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] :
	       "?";
}
