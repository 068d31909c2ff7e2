/*
 * logline.c - the Postfix log line parser.
 *
 * Owns: turning one syslog line into struct logline.  Guarantees: every
 * field is a span into the caller's line (nothing copied, nothing
 * allocated, no regex), the parser never reads outside line[0..len), and
 * any input at all - binary, truncated, 1 MiB long, hostile reply text -
 * yields a kind (LL_MALFORMED at worst) instead of a crash.
 *
 * The line is read left to right with a cursor, once: the syslog head
 * (<PRI>, timestamp, host, program[pid]), the severity, the queue ID, then
 * the body.  Bodies made of key=value fields are split generically; the
 * status word is taken from the status= field at its place in that list,
 * and everything after it is reply text that can never change the parse.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "inline.h"
#include "logline.h"

#define LIT(s)	(s), (sizeof(s) - 1)

/* at - true when [p, e) starts with the n bytes of lit */
static inline bool
at(const char *p, const char *e, const char *lit, size_t n)
{
	return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0;
}

/* after - the position just past lit when [p, e) starts with it, or NULL */
static inline const char *
after(const char *p, const char *e, const char *lit, size_t n)
{
	return at(p, e, lit, n) ? p + n : NULL;
}

/* find - first occurrence of lit in [p, e), or NULL */
static inline const char *
find(const char *p, const char *e, const char *lit, size_t n)
{
	if (p >= e)
		return NULL;
	return memmem(p, (size_t)(e - p), lit, n);
}

/* rfind - last occurrence of lit in [p, e), or NULL */
static const char *
rfind(const char *p, const char *e, const char *lit, size_t n)
{
	const char *q;

	if (p > e || (size_t)(e - p) < n)
		return NULL;
	/* candidates are the bytes equal to lit[0] in [p, e - n] */
	for (q = e - n + 1; (q = memrchr(p, *lit, (size_t)(q - p))) != NULL;)
		if (memcmp(q, lit, n) == 0)
			return q;
	return NULL;
}

/* Character classes, one table lookup per byte on the hot path. */
#define C_DIGIT	0x01		/* 0-9 */
#define C_HEXUP	0x02		/* 0-9 A-F: short queue IDs */
#define C_ALNUM	0x04		/* 0-9 A-Z a-z */
#define C_VOWEL	0x08		/* never in a long queue ID */
#define C_KEY	0x10		/* field names: alnum, '_', '-' */
#define C_SEP	0x20		/* ',' ' ' ';' end an unbracketed value */
#define C_ZED	0x40		/* 'z': between time and inode in long IDs */

#define D	(C_DIGIT | C_HEXUP | C_ALNUM | C_KEY)
#define H	(C_HEXUP | C_ALNUM | C_KEY)
#define A	(C_ALNUM | C_KEY)
#define V	(C_ALNUM | C_KEY | C_VOWEL)
#define HV	(C_HEXUP | C_ALNUM | C_KEY | C_VOWEL)
static const unsigned char cls[256] = {
	[' '] = C_SEP, [','] = C_SEP, [';'] = C_SEP,
	['-'] = C_KEY, ['_'] = C_KEY,
	['0'] = D, ['1'] = D, ['2'] = D, ['3'] = D, ['4'] = D,
	['5'] = D, ['6'] = D, ['7'] = D, ['8'] = D, ['9'] = D,
	['A'] = HV, ['B'] = H, ['C'] = H, ['D'] = H, ['E'] = HV, ['F'] = H,
	['G'] = A, ['H'] = A, ['I'] = V, ['J'] = A, ['K'] = A, ['L'] = A,
	['M'] = A, ['N'] = A, ['O'] = V, ['P'] = A, ['Q'] = A, ['R'] = A,
	['S'] = A, ['T'] = A, ['U'] = V, ['V'] = A, ['W'] = A, ['X'] = A,
	['Y'] = A, ['Z'] = A,
	['a'] = V, ['b'] = A, ['c'] = A, ['d'] = A, ['e'] = V, ['f'] = A,
	['g'] = A, ['h'] = A, ['i'] = V, ['j'] = A, ['k'] = A, ['l'] = A,
	['m'] = A, ['n'] = A, ['o'] = V, ['p'] = A, ['q'] = A, ['r'] = A,
	['s'] = A, ['t'] = A, ['u'] = V, ['v'] = A, ['w'] = A, ['x'] = A,
	['y'] = A, ['z'] = A | C_ZED,
};
#undef D
#undef H
#undef A
#undef V
#undef HV

#define CLS(c)	(cls[(unsigned char)(c)])

/* SPAN_IS - span equals a string literal (length first, inlined compare) */
#define SPAN_IS(s, lit) \
	((s).len == sizeof(lit) - 1 && memcmp((s).p, lit, sizeof(lit) - 1) == 0)

/* is_digit - ASCII digit, whatever the locale */
static inline bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* is_alnum - ASCII letter or digit, by table */
static inline bool
is_alnum(int c)
{
	return (CLS(c) & C_ALNUM) != 0;
}

/* sp - a span from p to e */
static inline struct span
sp(const char *p, const char *e)
{
	return span_make(p, (size_t)(e - p));
}

/* digits - read exactly n decimal digits at *pp into *out */
static bool
digits(const char **pp, const char *e, int n, int *out)
{
	const char *p = *pp;
	int v = 0;

	if (e - p < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*out = v;
	return true;
}

/*
 * find3 - the first byte equal to a, b or c in [p, e), or e.  With SSE2
 * sixteen bytes are compared at a time; then, on little-endian GCC/clang
 * targets, eight bytes at a time: a byte
 * equal to a makes (w ^ a...a) have a zero byte, and the lowest byte the
 * zero-byte test flags is always exact (only bytes above a true zero can
 * be false hits).
 */
static inline const char *
find3(const char *p, const char *e, unsigned char a, unsigned char b,
      unsigned char c)
{
#if defined(__SSE2__)
	const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);
	const __m128i vc = _mm_set1_epi8((char)c);

	while (e - p >= 16) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(w, va), _mm_cmpeq_epi8(w, vb)),
		    _mm_cmpeq_epi8(w, vc)));

		if (m != 0)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;

	while (e - p >= 8) {
		uint64_t w, x, y, z, m;

		memcpy(&w, p, 8);
		x = w ^ (ones * a);
		y = w ^ (ones * b);
		z = w ^ (ones * c);
		m = (((x - ones) & ~x) | ((y - ones) & ~y) |
		     ((z - ones) & ~z)) & highs;
		if (m != 0)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < e && (unsigned char)*p != a && (unsigned char)*p != b &&
	       (unsigned char)*p != c)
		p++;
	return p;
}

/* ---------------------------------------------------------------- */
/* Time */

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

/* year_of_days - the Gregorian year a day number falls in */
static int64_t
year_of_days(int64_t z)
{
	int64_t era, doe, yoe, doy, mp, y;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return y + (mp >= 10);
}

/* leap - Gregorian leap year */
static bool
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* mdays - days in month m of year y */
static int
mdays(int64_t y, int m)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				   30, 31 };

	return m == 2 && leap(y) ? 29 : n[m - 1];
}

/* floordiv - division rounding towards minus infinity */
static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* local_roundtrips - whether UTC time u shows as the given local hour */
static bool
local_roundtrips(time_t u, int64_t y, int m, int d, int h)
{
	struct tm tm;

	if (localtime_r(&u, &tm) == NULL)
		return false;
	return tm.tm_year + 1900 == y && tm.tm_mon + 1 == m &&
	    tm.tm_mday == d && tm.tm_hour == h && tm.tm_min == 0;
}

/*
 * local_hour_utc - UTC time of local y-m-d h:00:00 in the process TZ.
 * In the hour repeated when DST ends, the first (summer time) reading is
 * chosen; an hour skipped when DST starts is read as standard time.
 */
static int64_t
local_hour_utc(int64_t y, int m, int d, int h)
{
	struct tm tm;
	time_t t0, t1;
	bool ok0, ok1;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_isdst = 0;
	t0 = mktime(&tm);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_isdst = 1;
	t1 = mktime(&tm);
	ok0 = t0 != (time_t)-1 && local_roundtrips(t0, y, m, d, h);
	ok1 = t1 != (time_t)-1 && local_roundtrips(t1, y, m, d, h);
	if (ok0 && ok1)
		return t0 < t1 ? (int64_t)t0 : (int64_t)t1;
	if (ok1)
		return (int64_t)t1;
	if (t0 != (time_t)-1)
		return (int64_t)t0;
	/* mktime failed outright: fall back to reading the time as UTC */
	return (days_from_civil(y, m, d) * 24 + h) * 3600;
}

/* local_to_utc - convert a local time using the per-day, per-hour cache */
static int64_t
local_to_utc(struct logline_opts *o, int64_t y, int m, int d, int h,
	     int mi, int s)
{
	int64_t day = days_from_civil(y, m, d);

	if (o->tzcache.day_key != day + 1) {
		o->tzcache.day_key = day + 1;
		for (int i = 0; i < 24; i++)
			o->tzcache.hour_utc[i] = INT64_MIN;
	}
	if (o->tzcache.hour_utc[h] == INT64_MIN)
		o->tzcache.hour_utc[h] = local_hour_utc(y, m, d, h);
	return o->tzcache.hour_utc[h] + mi * 60 + s;
}

#define BSD_FUTURE_SLACK (31 * 86400)	/* how far past ref_time a line may be */

/*
 * bsd_time - a yearless BSD stamp to UTC.  The year is the latest one that
 * puts the line no more than a month after ref_time: live logs are never
 * from the future, and a December line read in January is last year's.
 */
static int64_t
bsd_time(struct logline_opts *o, int mon, int day, int h, int mi, int s,
	 int32_t *offset)
{
	int64_t ref = o ? o->ref_time : 0;
	int64_t rday = floordiv(ref, 86400), y0, ylim;

	/* the years around ref_time, worked out once per day of ref_time */
	if (o != NULL && o->yearcache.ref_day == rday + 1) {
		y0 = o->yearcache.y0;
		ylim = o->yearcache.ylim;
	} else {
		y0 = year_of_days(rday);
		ylim = year_of_days(floordiv(ref + BSD_FUTURE_SLACK, 86400) + 1);
		if (o != NULL) {
			o->yearcache.ref_day = rday + 1;
			o->yearcache.y0 = y0;
			o->yearcache.ylim = ylim;
		}
	}
	/* next year is possible only when ref_time is late in December */
	for (int64_t y = ylim > y0 ? y0 + 1 : y0; y >= y0 - 1; y--) {
		int64_t t, u;

		if (day > mdays(y, mon))
			continue;
		t = ((days_from_civil(y, mon, day) * 24 + h) * 60 + mi) * 60 +
		    s;
		if (t > ref + BSD_FUTURE_SLACK)
			continue;
		*offset = 0;
		if (o == NULL || o->local_is_utc)
			return t;
		u = local_to_utc(o, y, mon, day, h, mi, s);
		*offset = (int32_t)(t - u);
		return u;
	}
	*offset = 0;
	return 0;		/* Feb 29 with no leap year near ref_time */
}

/* month_of - "Jan".."Dec" to 1..12, or 0 */
static ALWAYS_INLINE int
month_of(const char *p)
{
#define M3(a, b, c) ((unsigned)(a) << 16 | (unsigned)(b) << 8 | (unsigned)(c))
	switch (M3((unsigned char)p[0], (unsigned char)p[1],
		   (unsigned char)p[2])) {
	case M3('J', 'a', 'n'): return 1;
	case M3('F', 'e', 'b'): return 2;
	case M3('M', 'a', 'r'): return 3;
	case M3('A', 'p', 'r'): return 4;
	case M3('M', 'a', 'y'): return 5;
	case M3('J', 'u', 'n'): return 6;
	case M3('J', 'u', 'l'): return 7;
	case M3('A', 'u', 'g'): return 8;
	case M3('S', 'e', 'p'): return 9;
	case M3('O', 'c', 't'): return 10;
	case M3('N', 'o', 'v'): return 11;
	case M3('D', 'e', 'c'): return 12;
	default: return 0;
	}
#undef M3
}

/* parse_hms - "hh:mm:ss" */
static bool
parse_hms(const char **pp, const char *e, int *h, int *mi, int *s)
{
	const char *p = *pp;

	if (!digits(&p, e, 2, h) || p >= e || *p++ != ':' ||
	    !digits(&p, e, 2, mi) || p >= e || *p++ != ':' ||
	    !digits(&p, e, 2, s))
		return false;
	if (*h > 23 || *mi > 59 || *s > 60)
		return false;
	*pp = p;
	return true;
}

/*
 * stamp_cache_fill - remember what "Mmm dd hh" (the first 9 bytes of a
 * 15-byte stamp) means, for the reference times at which bsd_time() gives
 * the same year for every minute and second of that hour.  An hour that
 * straddles the "a month after ref_time" limit is not cached.
 */
static void
stamp_cache_fill(struct logline_opts *o, const char *text, int mon, int day,
		 int h)
{
	int64_t ref = o->ref_time, rday, lo, hi, y0, ylim, t, u;

	o->stampcache.ref_hi = o->stampcache.ref_lo;	/* empty */
	o->stampcache.same0 = 0;
	if (ref < -((int64_t)1 << 40) || ref > ((int64_t)1 << 40))
		return;
	rday = floordiv(ref, 86400);
	lo = rday * 86400;
	hi = lo + 86400;
	/* the candidate years, exactly as bsd_time() tries them */
	y0 = year_of_days(rday);
	ylim = year_of_days(floordiv(ref + BSD_FUTURE_SLACK, 86400) + 1);
	for (int64_t y = ylim > y0 ? y0 + 1 : y0; y >= y0 - 1; y--) {
		if (day > mdays(y, mon))
			continue;
		t = (days_from_civil(y, mon, day) * 24 + h) * 3600;
		if (t > ref + BSD_FUTURE_SLACK) {
			/* every second of the hour is too late this year */
			if (t - BSD_FUTURE_SLACK < hi)
				hi = t - BSD_FUTURE_SLACK;
			continue;
		}
		if (t + 3600 > ref + BSD_FUTURE_SLACK)
			return;
		if (t + 3600 - BSD_FUTURE_SLACK > lo)
			lo = t + 3600 - BSD_FUTURE_SLACK;
		u = o->local_is_utc ? t : local_to_utc(o, y, mon, day, h, 0, 0);
		memcpy(o->stampcache.text, text, sizeof(o->stampcache.text));
		o->stampcache.utc = o->local_is_utc;
		o->stampcache.offset = (int32_t)(t - u);
		o->stampcache.hour_utc = u;
		o->stampcache.ref_lo = lo;
		o->stampcache.ref_hi = hi;
		return;
	}
}

/*
 * eq_9to16 - n (9..16) bytes at a equal those at b: two overlapping
 * eight-byte compares, where a memcmp() call would cost more than the work
 */
static inline bool
eq_9to16(const char *a, const char *b, size_t n)
{
	uint64_t x0, y0, x1, y1;

	memcpy(&x0, a, 8);
	memcpy(&y0, b, 8);
	memcpy(&x1, a + n - 8, 8);
	memcpy(&y1, b + n - 8, 8);
	return ((x0 ^ y0) | (x1 ^ y1)) == 0;
}

/* two_digits - the value of two ASCII digits at p, or -1 */
static ALWAYS_INLINE int
two_digits(const char *p)
{
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* parse_bsd_stamp - "Mmm dd hh:mm:ss" with the day space- or zero-padded */
static bool
parse_bsd_stamp(struct logline *ll, const char **pp, const char *e,
		struct logline_opts *o)
{
	const char *p = *pp;
	int mon, day, h, mi, s;

	/* the same hour as a recent line: only minutes and seconds are new */
	if (o != NULL && e - p >= 15 && p[9] == ':' && p[12] == ':' &&
	    o->ref_time >= o->stampcache.ref_lo &&
	    o->ref_time < o->stampcache.ref_hi &&
	    o->local_is_utc == o->stampcache.utc &&
	    eq_9to16(p, o->stampcache.text, 9) &&
	    (mi = two_digits(p + 10)) >= 0 && mi <= 59 &&
	    (s = two_digits(p + 13)) >= 0 && s <= 60) {
		ll->timestamp = span_make(p, 15);
		ll->time = o->stampcache.hour_utc + mi * 60 + s;
		ll->utc_offset = o->stampcache.offset;
		memcpy(&o->stampcache.same0, p, 8);
		memcpy(&o->stampcache.same1, p + 7, 8);
		o->stampcache.same_time = ll->time;
		*pp = p + 15;
		return true;
	}
	if (e - p < 14 || (mon = month_of(p)) == 0 || p[3] != ' ')
		return false;
	p += 4;
	if (*p == ' ')
		p++;
	if (p < e && is_digit(*p) && p + 1 < e && is_digit(p[1])) {
		day = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
	} else if (p < e && is_digit(*p)) {
		day = *p++ - '0';
	} else {
		return false;
	}
	if (day < 1 || day > 31 || p >= e || *p++ != ' ' ||
	    !parse_hms(&p, e, &h, &mi, &s))
		return false;
	ll->timestamp = sp(*pp, p);
	ll->time = bsd_time(o, mon, day, h, mi, s, &ll->utc_offset);
	if (o != NULL && p - *pp == 15)
		stamp_cache_fill(o, *pp, mon, day, h);
	*pp = p;
	return true;
}

/*
 * same_bsd_stamp - the 15 bytes at p (readable) are those of the last
 * stamp read through o->stampcache, which still holds for o->ref_time:
 * the time is the same too
 */
static ALWAYS_INLINE bool
same_bsd_stamp(const struct logline_opts *o, const char *p)
{
	uint64_t w0, w1;

	memcpy(&w0, p, 8);
	memcpy(&w1, p + 7, 8);
	return ((w0 ^ o->stampcache.same0) | (w1 ^ o->stampcache.same1)) == 0 &&
	    o->stampcache.same0 != 0 &&
	    o->ref_time >= o->stampcache.ref_lo &&
	    o->ref_time < o->stampcache.ref_hi &&
	    o->local_is_utc == o->stampcache.utc;
}

/* rfc_second_is - the 19 bytes at p are "YYYY-MM-DDThh:mm:ss" of the last */
static ALWAYS_INLINE bool
rfc_second_is(const struct logline_opts *o, const char *p)
{
	uint64_t w0, w1, w2;

	memcpy(&w0, p, 8);
	memcpy(&w1, p + 8, 8);
	memcpy(&w2, p + 11, 8);
	return ((w0 ^ o->rfccache.sec0) | (w1 ^ o->rfccache.sec1) |
		(w2 ^ o->rfccache.sec2)) == 0;
}

/* rfc_second_set - remember the 19 bytes at p and their time t */
static inline void
rfc_second_set(struct logline_opts *o, const char *p, int64_t t)
{
	memcpy(&o->rfccache.sec0, p, 8);
	memcpy(&o->rfccache.sec1, p + 8, 8);
	memcpy(&o->rfccache.sec2, p + 11, 8);
	o->rfccache.sec_time = t;
}

/*
 * parse_rfc3339 - "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)".  When
 * "YYYY-MM-DDThh" is that of the last stamp (o->rfccache), only minutes
 * and seconds are read.
 */
static bool
parse_rfc3339(struct logline *ll, const char **pp, const char *e,
	      struct logline_opts *o)
{
	const char *p = *pp;
	int y, mon, day, h, mi, s, oh, om, usec = 0, sign;
	int64_t t;

	if (o != NULL && o->rfccache.valid && e - p >= 19 &&
	    rfc_second_is(o, p)) {
		/* the second of the last stamp (the fraction is new) */
		t = o->rfccache.sec_time;
		p += 19;
	} else if (o != NULL && o->rfccache.valid && e - p >= 19 &&
	    p[13] == ':' && p[16] == ':' &&
	    eq_9to16(p, o->rfccache.text, 13) &&
	    (mi = two_digits(p + 14)) >= 0 && mi <= 59 &&
	    (s = two_digits(p + 17)) >= 0 && s <= 60) {
		t = o->rfccache.hour + mi * 60 + s;
		rfc_second_set(o, p, t);
		p += 19;
	} else {
		if (!digits(&p, e, 4, &y) || p >= e || *p++ != '-' ||
		    !digits(&p, e, 2, &mon) || p >= e || *p++ != '-' ||
		    !digits(&p, e, 2, &day) || p >= e ||
		    (*p != 'T' && *p != 't'))
			return false;
		p++;
		if (mon < 1 || mon > 12 || day < 1 || day > mdays(y, mon) ||
		    !parse_hms(&p, e, &h, &mi, &s))
			return false;
		t = ((days_from_civil(y, mon, day) * 24 + h) * 60 + mi) * 60 +
		    s;
		if (o != NULL) {
			memcpy(o->rfccache.text, *pp, sizeof(o->rfccache.text));
			o->rfccache.hour = t - mi * 60 - s;
			o->rfccache.valid = true;
			rfc_second_set(o, *pp, t);
		}
	}
	if (p < e && *p == '.') {
		int n = 0;

		p++;
		if (p >= e || !is_digit(*p))
			return false;
		if (e - p > 6 && is_digit(p[1]) && is_digit(p[2]) &&
		    is_digit(p[3]) && is_digit(p[4]) && is_digit(p[5]) &&
		    !is_digit(p[6])) {
			/* the usual six digits, without a loop to mispredict */
			usec = (((((p[0] - '0') * 10 + (p[1] - '0')) * 10 +
				  (p[2] - '0')) * 10 + (p[3] - '0')) * 10 +
				(p[4] - '0')) * 10 + (p[5] - '0');
			p += 6;
			n = 6;
		}
		for (; p < e && is_digit(*p); p++, n++)
			if (n < 6)
				usec = usec * 10 + (*p - '0');
		for (; n < 6; n++)
			usec *= 10;
	}
	if (p < e && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < e && (*p == '+' || *p == '-')) {
		uint64_t zone = 0;

		if (o != NULL && e - p >= 6) {
			memcpy(&zone, p, 6);
			if (zone == o->rfccache.zone) {
				/* the zone of the last stamp */
				ll->utc_offset = o->rfccache.zone_offset;
				t -= ll->utc_offset;
				p += 6;
				goto zoned;
			}
		}
		sign = *p++ == '+' ? 1 : -1;
		if (e - p < 5 || (oh = two_digits(p)) < 0 || p[2] != ':' ||
		    (om = two_digits(p + 3)) < 0 || oh > 23 || om > 59)
			return false;
		p += 5;
		ll->utc_offset = sign * (oh * 3600 + om * 60);
		t -= ll->utc_offset;
		if (zone != 0) {
			o->rfccache.zone = zone;
			o->rfccache.zone_offset = ll->utc_offset;
		}
	} else {
		return false;
	}
zoned:
	ll->timestamp = sp(*pp, p);
	ll->time = t;
	ll->usec = usec;
	ll->time_rfc3339 = true;
	*pp = p;
	return true;
}

/* ---------------------------------------------------------------- */
/* Small field shapes */

/*
 * qid_shape - the queue ID verdict for n bytes whose class bits ANDed are
 * all and ORed are any (n already known to be 6..32).
 */
static inline bool
qid_shape(const char *p, size_t n, unsigned all, unsigned any)
{
	if (!(all & C_ALNUM))
		return false;
	if (n == 7 && memcmp(p, "NOQUEUE", 7) == 0)
		return true;
	return (all & C_HEXUP) ||
	    (!(any & C_VOWEL) && n >= 12 && (any & C_ZED));
}

#if defined(__SSE2__)
/* in_range16 - bytes of w in [lo, hi] (ASCII bounds; bytes >= 0x80 never) */
static inline __m128i
in_range16(__m128i w, char lo, char hi)
{
	return _mm_and_si128(_mm_cmpgt_epi8(w, _mm_set1_epi8((char)(lo - 1))),
			     _mm_cmplt_epi8(w, _mm_set1_epi8((char)(hi + 1))));
}

/* alnum16 - the bit mask of the ASCII letters and digits of 16 bytes at p */
static inline unsigned
alnum16(const char *p)
{
	__m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(
	    in_range16(w, '0', '9'),
	    in_range16(_mm_or_si128(w, _mm_set1_epi8(0x20)), 'a', 'z')));
}

/* class_masks16 - per-byte bit masks of 16 bytes at p: alnum, upper-case
 * hex digit, vowel, 'z' (the classes is_queue_id() reads from cls[]) */
static inline void
class_masks16(const char *p, unsigned *alnum, unsigned *hex, unsigned *vowel,
	      unsigned *zed)
{
	__m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i dig = in_range16(w, '0', '9');
	__m128i lw = _mm_or_si128(w, _mm_set1_epi8(0x20));
	__m128i vow;

	/* | 0x20 maps 'A'..'Z' onto 'a'..'z' and nothing else there */
	*alnum = (unsigned)_mm_movemask_epi8(_mm_or_si128(dig,
	    in_range16(lw, 'a', 'z')));
	*hex = (unsigned)_mm_movemask_epi8(_mm_or_si128(dig,
	    in_range16(w, 'A', 'F')));
	/* letters only (masked by alnum below): | 0x20 folds the case */
	vow = _mm_or_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(lw, _mm_set1_epi8('a')),
	    _mm_cmpeq_epi8(lw, _mm_set1_epi8('e'))),
	    _mm_or_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(lw, _mm_set1_epi8('i')),
	    _mm_cmpeq_epi8(lw, _mm_set1_epi8('o'))),
	    _mm_cmpeq_epi8(lw, _mm_set1_epi8('u'))));
	*vowel = (unsigned)_mm_movemask_epi8(vow);
	*zed = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w,
	    _mm_set1_epi8('z')));
}

/*
 * digits8 - the value of the n (1..8) ASCII digits at p, 8 bytes readable:
 * padded on the left with '0' to eight, then summed pairwise in one word.
 */
static inline uint64_t
digits8(const char *p, unsigned n)
{
	uint64_t w, zeros = 0x3030303030303030ULL;
	unsigned s = 8 * (8 - n);

	memcpy(&w, p, 8);
	if (s != 0)
		w = (w << s) | (zeros & (((uint64_t)1 << s) - 1));
	w -= zeros;
	w = (w * 10 + (w >> 8)) & 0x00FF00FF00FF00FFULL;
	w = (w * 100 + (w >> 16)) & 0x0000FFFF0000FFFFULL;
	w = (w * 10000 + (w >> 32)) & 0xFFFFFFFFULL;
	return w;
}

/*
 * qid_classes16 - fold the class bits of the n (0..16) alnum bytes at p
 * (16 readable) into *all and *any, as the scalar queue ID scan would.
 */
static inline void
qid_classes16(const char *p, unsigned n, unsigned *all, unsigned *any)
{
	unsigned a, h, v, z, low = (1u << n) - 1;

	class_masks16(p, &a, &h, &v, &z);
	if ((h & low) != low)
		*all &= ~(unsigned)C_HEXUP;
	if (v & a & low)
		*any |= C_VOWEL;
	if (z & low)
		*any |= C_ZED;
}

/*
 * qid_scan16 - the queue ID scan over 16 readable bytes at p: returns p + n
 * for the n (0..16) leading alnum bytes and, when all 16 are alnum or a
 * ':' follows at least 6, folds their class bits into *all and *any as
 * the scalar scan would, which goes on from there.
 */
static inline const char *
qid_scan16(const char *p, unsigned *all, unsigned *any)
{
	unsigned n = (unsigned)__builtin_ctz(~alnum16(p));	/* n <= 16 */

	if (n < 16 && (n < 6 || p[n] != ':'))
		return p + n;	/* no queue ID: its classes do not matter */
	qid_classes16(p, n, all, any);
	return p + n;
}

/*
 * qid_scan32 - the queue ID scan over 32 readable bytes at p, without a
 * loop: returns the first byte that is not alnum and, when that byte is
 * the ':' after at least 6 (a queue ID's shape), folds the class bits of
 * the bytes before it into *all and *any as the scalar scan would.  The
 * second 16 bytes are looked at only when the first 16 are all alnum.
 * When all 32 are alnum it returns p with *all and *any untouched, for
 * the scalar scan to redo.
 */
static inline const char *
qid_scan32(const char *p, unsigned *all, unsigned *any)
{
	unsigned a0, h0, v0, z0, a1, h1, v1, z1, n;
	uint32_t alnum, hex, vowel, zed, low;

	a0 = alnum16(p);
	if (a0 != 0xffffu) {
		/* the word ends in the first 16 bytes: they alone matter */
		n = (unsigned)__builtin_ctz(~a0);
		if (n < 6 || p[n] != ':')
			return p + n;	/* no queue ID: its classes do not matter */
		qid_classes16(p, n, all, any);
		return p + n;
	}
	alnum = a0 | alnum16(p + 16) << 16;
	if (alnum == 0xffffffffu)
		return p;
	n = (unsigned)__builtin_ctz(~alnum);
	if (n < 6 || p[n] != ':')
		return p + n;	/* no queue ID: its classes do not matter */
	class_masks16(p, &a0, &h0, &v0, &z0);
	class_masks16(p + 16, &a1, &h1, &v1, &z1);
	hex = h0 | h1 << 16;
	vowel = v0 | v1 << 16;
	zed = z0 | z1 << 16;
	low = (uint32_t)(((uint64_t)1 << n) - 1);
	*all = C_ALNUM | ((hex & low) == low ? C_HEXUP : 0);
	*any = ((vowel & alnum & low) ? C_VOWEL : 0) |
	    ((zed & low) ? C_ZED : 0);
	return p + n;
}
#endif

/*
 * is_queue_id - Postfix queue IDs: short ones are upper-case hex (at least
 * 6 digits: 5 for the microseconds, then the inode); long ones
 * (enable_long_queue_ids) use digits and consonants with a 'z' between
 * the time and the inode, at least 12 characters.
 */
static bool
is_queue_id(const char *p, size_t n)
{
	unsigned all = C_HEXUP | C_ALNUM, any = 0;

	if (n < 6 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned c = CLS(p[i]);

		all &= c;
		any |= c;
	}
	return qid_shape(p, n, all, any);
}

/*
 * split_hostaddr - "host[addr]" or "host[addr]:port" into its parts; false
 * when the text has no such shape.  port may be NULL.
 */
static bool
split_hostaddr(struct span s, struct span *host, struct span *addr,
	       struct span *port)
{
	const char *p = s.p, *e, *lb, *rb, *d;

	if (s.p == NULL)
		return false;
	e = s.p + s.len;
	if ((lb = find3(p, e, '[', '[', '[')) == e ||
	    (rb = find3(lb, e, ']', ']', ']')) == e)
		return false;
	*host = sp(p, lb);
	*addr = sp(lb + 1, rb);
	if (port != NULL && rb + 1 < e && rb[1] == ':') {
		for (d = rb + 2; d < e && is_digit(*d); d++)
			;
		if (d > rb + 2)
			*port = sp(rb + 2, d);
	}
	return true;
}

/*
 * A host name is at most 255 bytes and an address (IPv6, or an LMTP socket
 * path) well under 256: bounding the scans keeps hostile lines full of '['
 * linear instead of quadratic.
 */
#define HOSTADDR_MAX	256
#define PEER_TRIES	8	/* bracketed words looked at on a session line */

/*
 * hostaddr_split - end of a "host[addr]" or "host[addr]:port" token at p,
 * also setting host, addr and port (when the token has one) as
 * split_hostaddr() of the token would, from the same scan; on NULL
 * nothing is set.  Inlined, so hostaddr_end's unread spans cost nothing.
 */
static ALWAYS_INLINE const char *
hostaddr_split(const char *p, const char *e, struct span *host,
	       struct span *addr, struct span *port)
{
	const char *lb, *rb, *q, *lim;

	lim = (size_t)(e - p) > HOSTADDR_MAX ? p + HOSTADDR_MAX : e;
	lb = find3(p, lim, '[', ' ', ' ');
	if (lb >= lim || *lb != '[')
		return NULL;
	lim = (size_t)(e - lb) > HOSTADDR_MAX ? lb + HOSTADDR_MAX : e;
	rb = memchr(lb, ']', (size_t)(lim - lb));
	if (rb == NULL)
		return NULL;
	*host = sp(p, lb);
	*addr = sp(lb + 1, rb);
	q = rb + 1;
	if (q < e && *q == ':' && q + 1 < e && is_digit(q[1])) {
		for (q++; q < e && is_digit(*q) && q - p < 2 * HOSTADDR_MAX;
		     q++)
			;
		if (q > rb + 2)
			*port = sp(rb + 2, q);
	}
	return q;
}

/* hostaddr_end - hostaddr_split() for a caller that needs only the end */
static const char *
hostaddr_end(const char *p, const char *e)
{
	struct span host, addr, port;

	return hostaddr_split(p, e, &host, &addr, &port);
}

/*
 * parse_double - a decimal like "0.04", "92777", "1e-05" at the start of
 * [p, e); *end is set to where reading stopped.  The value, or -1 when the
 * text there is no such number.
 */
static double
parse_double(const char *p, const char *e, const char **end)
{
	double v = 0, scale = 1;
	int ex = 0, esign = 1;

	*end = p;
	if (p >= e || !is_digit(*p))
		return -1;
	for (; p < e && is_digit(*p); p++)
		v = v * 10 + (*p - '0');
	if (p < e && *p == '.') {
		/* the scales 1/10, 1/10/10, ... folded at compile time: the
		 * same values, without a division per digit */
		static const double tenths[] = {
			1.0 / 10, 1.0 / 10 / 10, 1.0 / 10 / 10 / 10,
			1.0 / 10 / 10 / 10 / 10, 1.0 / 10 / 10 / 10 / 10 / 10,
			1.0 / 10 / 10 / 10 / 10 / 10 / 10,
			1.0 / 10 / 10 / 10 / 10 / 10 / 10 / 10,
			1.0 / 10 / 10 / 10 / 10 / 10 / 10 / 10 / 10,
		};
		size_t k = 0;

		for (p++; p < e && is_digit(*p); p++, k++) {
			if (k < sizeof(tenths) / sizeof(tenths[0]))
				scale = tenths[k];
			else
				scale /= 10;
			v += (*p - '0') * scale;
		}
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '-' || *p == '+'))
			esign = *p++ == '-' ? -1 : 1;
		if (p >= e || !is_digit(*p))
			return -1;
		for (; p < e && is_digit(*p) && ex < 400; p++)
			ex = ex * 10 + (*p - '0');
		for (; ex > 0; ex--)
			v = esign > 0 ? v * 10 : v / 10;
	}
	*end = p;
	return v;
}

/* parse_delays - "a/b/c/d" into four doubles (-1 where unreadable) */
static void
parse_delays(struct logline *ll, struct span s)
{
	const char *p = s.p, *e;

	if (p == NULL)
		return;
	e = p + s.len;
	/* one pass: a number must end exactly at the next '/' or at e */
	for (int i = 0; i < 4 && p <= e; i++) {
		const char *q;
		double v = parse_double(p, e, &q);

		if (q < e && *q != '/') {
			v = -1;
			while (q < e && *q != '/')
				q++;
		}
		ll->delays[i] = v;
		if (q == e)
			break;
		p = q + 1;
	}
}

/* status_of - the status word to its enum */
static enum logline_status
status_of(struct span w)
{
	if (span_eq(w, "sent"))
		return LL_STATUS_SENT;
	if (span_eq(w, "deferred"))
		return LL_STATUS_DEFERRED;
	if (span_eq(w, "bounced"))
		return LL_STATUS_BOUNCED;
	if (span_eq(w, "expired"))
		return LL_STATUS_EXPIRED;
	if (span_eq(w, "force-expired"))
		return LL_STATUS_FORCE_EXPIRED;
	if (at(w.p, w.p + w.len, LIT("undeliverable")))
		return LL_STATUS_UNDELIVERABLE;
	if (at(w.p, w.p + w.len, LIT("deliverable")))
		return LL_STATUS_DELIVERABLE;
	return LL_STATUS_OTHER;
}

/* ---------------------------------------------------------------- */
/* Reply text */

/* command_of - the SMTP command a reply answered, from its name */
static enum logline_command
command_of(struct span c)
{
	static const struct {
		const char *name;
		enum logline_command cmd;
	} tab[] = {
		{ "RCPT TO", LL_CMD_RCPT }, { "MAIL FROM", LL_CMD_MAIL },
		{ "end of DATA", LL_CMD_END_OF_DATA }, { "DATA", LL_CMD_DATA },
		{ "EHLO", LL_CMD_HELO }, { "HELO", LL_CMD_HELO },
		{ "LHLO", LL_CMD_HELO }, { "STARTTLS", LL_CMD_STARTTLS },
		{ "AUTH", LL_CMD_AUTH }, { "BDAT", LL_CMD_BDAT },
		{ "QUIT", LL_CMD_QUIT }, { "RSET", LL_CMD_RSET },
		{ "CONNECT", LL_CMD_CONNECT },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (span_eq(c, tab[i].name))
			return tab[i].cmd;
	return c.len ? LL_CMD_OTHER : LL_CMD_NONE;
}

/* command_while - the command in "... while sending RCPT TO" phrases */
static void
command_while(struct logline_reply *r, const char *p, const char *e)
{
	static const struct {
		const char *phrase;
		size_t n;
		enum logline_command cmd;
	} tab[] = {
		{ LIT("receiving the initial server greeting"), LL_CMD_CONNECT },
		{ LIT("performing the initial protocol handshake"), LL_CMD_CONNECT },
		{ LIT("performing the EHLO handshake"), LL_CMD_HELO },
		{ LIT("performing the HELO handshake"), LL_CMD_HELO },
		{ LIT("performing the LHLO handshake"), LL_CMD_HELO },
		{ LIT("performing the TLS handshake"), LL_CMD_STARTTLS },
		{ LIT("sending STARTTLS"), LL_CMD_STARTTLS },
		{ LIT("sending MAIL FROM"), LL_CMD_MAIL },
		{ LIT("sending RCPT TO"), LL_CMD_RCPT },
		{ LIT("sending DATA command"), LL_CMD_DATA },
		{ LIT("sending message body"), LL_CMD_END_OF_DATA },
		{ LIT("sending end of data"), LL_CMD_END_OF_DATA },
		{ LIT("sending BDAT"), LL_CMD_BDAT },
		{ LIT("sending QUIT"), LL_CMD_QUIT },
		{ LIT("sending RSET"), LL_CMD_RSET },
		{ LIT("sending AUTH"), LL_CMD_AUTH },
		{ LIT("sending EHLO"), LL_CMD_HELO },
		{ LIT("sending HELO"), LL_CMD_HELO },
		{ LIT("sending LHLO"), LL_CMD_HELO },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (at(p, e, tab[i].phrase, tab[i].n)) {
			r->command = tab[i].cmd;
			r->command_text = span_make(p, tab[i].n);
			return;
		}
	r->command = p < e ? LL_CMD_OTHER : LL_CMD_NONE;
	r->command_text = sp(p, e);
}

/* smtp_code_at - a 3-digit reply code at p followed by ' ', '-' or end */
static ALWAYS_INLINE bool
smtp_code_at(const char *p, const char *e, unsigned *code)
{
	if (e - p < 3 || p[0] < '2' || p[0] > '5' || !is_digit(p[1]) ||
	    !is_digit(p[2]))
		return false;
	if (e - p > 3 && p[3] != ' ' && p[3] != '-')
		return false;
	*code = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 +
			   (p[2] - '0'));
	return true;
}

/* dsn_end - end of an enhanced status code "c.sss.ddd" at p, or NULL */
static const char *
dsn_end(const char *p, const char *e)
{
	const char *q = p;
	int n;

	if (q >= e || (*q != '2' && *q != '4' && *q != '5'))
		return NULL;
	q++;
	for (int part = 0; part < 2; part++) {
		if (q >= e || *q != '.')
			return NULL;
		q++;
		for (n = 0; q < e && is_digit(*q) && n < 3; q++, n++)
			;
		if (n == 0)
			return NULL;
	}
	if (q < e && *q != ' ' && *q != ';' && *q != ',')
		return NULL;
	return q;
}

/*
 * remote_reply - "550 5.1.1 text (in reply to RCPT TO command)" and the
 * like: code and enhanced code when present, the message, the command.
 */
static void
remote_reply(struct logline_reply *r, const char *p, const char *e)
{
	const char *q, *start = p;

	if (smtp_code_at(p, e, &r->smtp_code)) {
		p += 3;
		if (p < e)
			r->multiline = *p++ == '-';
	}
	if ((q = dsn_end(p, e)) != NULL) {
		r->dsn = sp(p, q);
		p = q;
		while (p < e && *p == ' ')
			p++;
	}
	/* "(in reply to X command)" must close the text */
	if (e - p > 2 && e[-1] == ')' &&
	    (q = rfind(p, e, LIT("(in reply to "))) != NULL &&
	    at(e - 9, e, LIT(" command)"))) {
		const char *c = q + sizeof("(in reply to ") - 1;

		if (c <= e - 9) {
			r->command_text = sp(c, e - 9);
			r->command = command_of(r->command_text);
			e = q;
			while (e > p && e[-1] == ' ')
				e--;
		}
	}
	r->message = sp(p, e);
	r->remote_text = sp(start, e);
	if (r->smtp_code / 100 != 2)
		return;
#if defined(__SSE2__)
	if (e - p >= 16) {
		/*
		 * "... queued as ID" ending the text: the alnum run that ends
		 * at e, and the ten bytes before it.  That is rfind()'s answer
		 * too: a later "queued as " would put its spaces in the run.
		 */
		unsigned a, h, v, z, run, low;

		class_masks16(e - 16, &a, &h, &v, &z);
		run = (unsigned)__builtin_clz(~(a << 16));	/* 0..16 */
		if (run >= 6 && run < 16 && (size_t)(e - p) >= run + 10 &&
		    memcmp(e - run - 10, "queued as ", 10) == 0) {
			unsigned all = C_ALNUM, any = 0;

			low = 0xffffu & ~((1u << (16 - run)) - 1);
			if ((h & low) == low)
				all |= C_HEXUP;
			if (v & a & low)
				any |= C_VOWEL;
			if (z & low)
				any |= C_ZED;
			if (qid_shape(e - run, run, all, any))
				r->queued_as = sp(e - run, e);
			return;
		}
	}
#endif
	if ((q = rfind(p, e, LIT("queued as "))) != NULL) {
		const char *id = q + sizeof("queued as ") - 1, *ie = id;
		unsigned all = C_HEXUP | C_ALNUM, any = 0, c;

		/* one pass: the word's end and its classes (is_queue_id) */
#if defined(__SSE2__)
		if (e - id >= 16) {
			unsigned n = (unsigned)__builtin_ctz(~alnum16(id));

			qid_classes16(id, n, &all, &any);
			ie = id + n;	/* the scalar scan stops there or goes on */
		}
#endif
		for (; ie < e && ((c = CLS(*ie)) & C_ALNUM); ie++) {
			all &= c;
			any |= c;
		}
		if (ie - id >= 6 && ie - id <= 32 &&
		    qid_shape(id, (size_t)(ie - id), all, any))
			r->queued_as = sp(id, ie);
	}
}

/* host_then - parse "H[A]" at p; returns the end or NULL */
static const char *
host_then(struct logline_reply *r, const char *p, const char *e)
{
	return hostaddr_split(p, e, &r->host, &r->addr, &r->port);
}

/*
 * parse_reply - take apart the text Postfix puts in parentheses after
 * status=, or the body of a per-attempt line.  Remote replies give host,
 * codes, message and command; Postfix's own texts set r->own.
 */
static void
parse_reply(struct logline_reply *r, const char *p, const char *e)
{
	const char *q, *h, *start = p;
	bool suspended = false;

	r->text = sp(p, e);
	/*
	 * The commonest text, "250 2.0.0 Ok: queued as X": no prefix tested
	 * below begins with a digit, so a digit goes straight to the code.
	 */
	if (p < e && is_digit(*p)) {
		if (smtp_code_at(p, e, &r->smtp_code)) {
			remote_reply(r, p, e);
			if (r->queued_as.p != NULL)
				r->own = LL_OWN_QUEUED_AS;
			return;
		}
		goto other;
	}
	/* error(8) repeats an earlier reason after this prefix */
	while ((q = after(p, e, LIT("delivery temporarily suspended: "))) !=
	    NULL) {
		suspended = true;
		p = q;
	}
	if (suspended) {
		parse_reply(r, p, e);	/* once: the prefix is gone now */
		r->text = sp(start, e);
		r->own = LL_OWN_SUSPENDED;
		return;
	}
	if ((h = after(p, e, LIT("host "))) != NULL &&
	    (q = host_then(r, h, e)) != NULL) {
		if ((h = after(q, e, LIT(" said: "))) != NULL) {
			remote_reply(r, h, e);
			return;
		}
		if ((h = after(q, e, LIT(" refused to talk to me: "))) != NULL) {
			r->own = LL_OWN_REFUSED_TO_TALK;
			remote_reply(r, h, e);
			if (r->command == LL_CMD_NONE)
				r->command = LL_CMD_CONNECT;
			return;
		}
		r->own = LL_OWN_OTHER;
		r->message = sp(p, e);
		return;
	}
	if ((h = after(p, e, LIT("connect to "))) != NULL &&
	    (q = host_then(r, h, e)) != NULL &&
	    (q = after(q, e, LIT(": "))) != NULL) {
		if (at(q, e, LIT("Connection refused")))
			r->own = LL_OWN_CONNECT_REFUSED;
		else if (at(q, e, LIT("Connection timed out")))
			r->own = LL_OWN_CONNECT_TIMEOUT;
		else
			r->own = LL_OWN_CONNECT_OTHER;
		r->command = LL_CMD_CONNECT;
		r->message = sp(q, e);
		return;
	}
	if ((h = after(p, e, LIT("lost connection with "))) != NULL &&
	    (q = host_then(r, h, e)) != NULL) {
		r->own = LL_OWN_LOST_CONNECTION;
		r->message = sp(p, e);
		if ((h = after(q, e, LIT(" while "))) != NULL)
			command_while(r, h, e);
		return;
	}
	if ((h = after(p, e, LIT("conversation with "))) != NULL &&
	    (q = host_then(r, h, e)) != NULL) {
		r->own = LL_OWN_CONVERSATION_TIMEOUT;
		r->message = sp(p, e);
		if ((h = after(q, e, LIT(" timed out while "))) != NULL)
			command_while(r, h, e);
		return;
	}
	if ((h = after(p, e, LIT("SASL authentication failed; server "))) !=
	    NULL && (q = host_then(r, h, e)) != NULL &&
	    (h = after(q, e, LIT(" said: "))) != NULL) {
		remote_reply(r, h, e);
		r->command = LL_CMD_AUTH;
		return;
	}
	if ((h = after(p, e, LIT("SSL_connect error to "))) != NULL &&
	    (q = host_then(r, h, e)) != NULL &&
	    (h = after(q, e, LIT(": "))) != NULL) {
		r->own = LL_OWN_TLS;
		r->command = LL_CMD_STARTTLS;
		r->message = sp(h, e);
		return;
	}
	if (at(p, e, LIT("Host or domain name not found"))) {
		r->own = LL_OWN_HOST_NOT_FOUND;
		r->message = sp(p, e);
		return;
	}
	if (at(p, e, LIT("unknown user: "))) {
		r->own = LL_OWN_UNKNOWN_USER;
		r->message = sp(p, e);
		return;
	}
other:
	r->message = sp(p, e);
	if ((q = after(p, e, LIT("forwarded as "))) != NULL) {
		/* local(8) re-queued the message for an alias: a new ID */
		for (h = q; h < e && is_alnum(*h); h++)
			;
		if (h == e && is_queue_id(q, (size_t)(h - q))) {
			r->queued_as = sp(q, h);
			r->own = LL_OWN_QUEUED_AS;
			return;
		}
	}
	if (at(p, e, LIT("TLS is required")) ||
	    at(p, e, LIT("Cannot start TLS")) ||
	    at(p, e, LIT("Server certificate not")) ||
	    find(p, e, LIT("TLS handshake")) != NULL)
		r->own = LL_OWN_TLS;
	else if (find(p, e, LIT("loops back to myself")) != NULL)
		r->own = LL_OWN_LOOPS_BACK;
	else if (find(p, e, LIT("nullMX")) != NULL)
		r->own = LL_OWN_NULL_MX;
	else if (p < e)
		r->own = LL_OWN_OTHER;
}

/* ---------------------------------------------------------------- */
/* key=value fields */

/* is_key_char - characters Postfix uses in field names */
static inline bool
is_key_char(int c)
{
	return (CLS(c) & C_KEY) != 0;
}

/* key_end - end of a "key=" at p (pointing at '='), or NULL */
static const char *
key_end(const char *p, const char *e)
{
	const char *q = p;

	while (q < e && is_key_char(*q))
		q++;
	if (q == p || q >= e || *q != '=' || q - p > 40)
		return NULL;
	return q;
}

/* is_sep - bytes that end an unbracketed value */
static inline bool
is_sep(int c)
{
	return (CLS(c) & C_SEP) != 0;
}

/* The fields struct logline names, recognised by their "key=" text. */
enum kv_key {
	K_OTHER = 0, K_TO, K_ORIG_TO, K_FROM, K_RELAY, K_DSN, K_DELAY,
	K_DELAYS, K_MESSAGE_ID, K_CLIENT, K_STATUS, K_SIZE, K_SASL_METHOD,
	K_SASL_USERNAME, K_UID, K_NRCPT
};

/*
 * known_key - which named field the "key=" at p (p < e) is, with *ke at
 * its '='; K_OTHER (and *ke untouched) for any other text.  Matching the
 * whole "key=" is the same as the generic scan: '=' is no key byte.
 */
static inline enum kv_key
known_key(const char *p, const char *e, const char **ke)
{
	size_t n = (size_t)(e - p);

#define KEY(lit, id)							\
	if (n >= sizeof(lit) - 1 && memcmp(p, lit, sizeof(lit) - 1) == 0) { \
		*ke = p + sizeof(lit) - 2;				\
		return id;						\
	}
	switch (*p) {
	case 't':
		KEY("to=", K_TO);
		break;
	case 'o':
		KEY("orig_to=", K_ORIG_TO);
		break;
	case 'f':
		KEY("from=", K_FROM);
		break;
	case 'r':
		KEY("relay=", K_RELAY);
		break;
	case 'd':
		KEY("dsn=", K_DSN);
		KEY("delay=", K_DELAY);
		KEY("delays=", K_DELAYS);
		break;
	case 'm':
		KEY("message-id=", K_MESSAGE_ID);
		break;
	case 'c':
		KEY("client=", K_CLIENT);
		break;
	case 's':
		KEY("status=", K_STATUS);
		KEY("size=", K_SIZE);
		KEY("sasl_method=", K_SASL_METHOD);
		KEY("sasl_username=", K_SASL_USERNAME);
		break;
	case 'u':
		KEY("uid=", K_UID);
		break;
	case 'n':
		KEY("nrcpt=", K_NRCPT);
		break;
	default:
		break;
	}
#undef KEY
	return K_OTHER;
}

/*
 * set_common - fill the named field for a known key; split false leaves
 * client= and relay= unsplit into name, address and port
 */
static ALWAYS_INLINE void
set_common(struct logline *ll, enum kv_key id, struct span v, bool split)
{
	switch (id) {
	case K_TO:
		ll->to = v;
		break;
	case K_ORIG_TO:
		ll->orig_to = v;
		break;
	case K_FROM:
		ll->from = v;
		break;
	case K_RELAY:
		ll->relay = v;
		if (!split)
			break;
		split_hostaddr(v, &ll->relay_name, &ll->relay_addr,
			       &ll->relay_port);
		/* local, virtual, a pipe transport; "none" is none */
		if (ll->relay_name.p == NULL && !SPAN_IS(v, "none"))
			ll->relay_name = v;
		break;
	case K_DSN:
		ll->dsn = v;
		break;
	case K_DELAY:
		ll->delay = v;
		break;
	case K_DELAYS:
		parse_delays(ll, v);
		break;
	case K_MESSAGE_ID:
		ll->message_id = v;
		break;
	case K_CLIENT:
		ll->client = v;
		if (!split)
			break;
		split_hostaddr(v, &ll->client_name, &ll->client_addr,
			       &ll->client_port);
		break;
	case K_SIZE:
		ll->size = v;
		break;
	case K_SASL_METHOD:
		ll->sasl_method = v;
		break;
	case K_SASL_USERNAME:
		ll->sasl_username = v;
		break;
	case K_UID:
		ll->uid = v;
		break;
	case K_NRCPT:
		ll->nrcpt = v;
		break;
	case K_STATUS:
	case K_OTHER:
		break;
	}
}

/* value_end - the first separator (' ', ',', ';') in [p, e), or e */
static inline const char *
value_end(const char *p, const char *e)
{
	return find3(p, e, ' ', ',', ';');
}

/*
 * parse_kv - key=value fields from p, separated by ", ", " " or "; ".  A
 * value in <...> keeps everything inside (quoted local parts may hold
 * commas and spaces); it ends at the '>' that is followed by a separator
 * or the end.  Parsing stops at the first thing that is not key=value and
 * at status=, whose trailing text becomes the reply.  Returns where it
 * stopped (p itself when no field was read).  split: as set_common().
 */
static const char *
parse_kv(struct logline *ll, const char *p, const char *e, bool split)
{
	while (p < e) {
		const char *k = p, *ke, *v, *ve, *next, *q;
		enum kv_key id = known_key(p, e, &ke);

		if (id == K_OTHER && (ke = key_end(p, e)) == NULL)
			break;
		v = ke + 1;
		if (v < e && *v == '<') {
			const char *last = NULL;

			q = v + 1;
			for (;;) {
				if ((q = find3(q, e, '>', '>', '>')) == e)
					q = NULL;
				if (q == NULL || q + 1 == e || is_sep(q[1]) ||
				    q[1] == ':' || q[1] == ')')
					break;
				last = q++;
			}
			/* "<id>junk": the last '>' closes the value */
			if (q == NULL)
				q = last;
			if (q == NULL) {	/* truncated: take the rest */
				v++;
				ve = e;
				next = e;
			} else {
				v++;
				ve = q;
				next = q + 1;
			}
		} else if (v < e && *v == '"' &&
			   (q = memchr(v + 1, '"', (size_t)(e - v - 1))) != NULL &&
			   (q + 1 == e || is_sep(q[1]))) {
			/* a quoted value (third-party programs) */
			v++;
			ve = q;
			next = q + 1;
		} else {
			ve = value_end(v, e);
			next = ve;
		}
		{
			struct span ks = sp(k, ke), vs = sp(v, ve);

			if (ll->nkv < LOGLINE_MAX_KV) {
				ll->kv[ll->nkv].key = ks;
				ll->kv[ll->nkv].val = vs;
				ll->nkv++;
			}
			if (id == K_STATUS) {
				ll->status_word = vs;
				ll->status = status_of(vs);
				return next;
			}
			if (id != K_OTHER)
				set_common(ll, id, vs, split);
		}
		p = next;
		if (p < e && (*p == ',' || *p == ';'))
			p++;
		while (p < e && *p == ' ')
			p++;
	}
	return p;
}

/* status_tail - what follows status=WORD: " (reply)" or ", note" */
static void
status_tail(struct logline *ll, const char *p, const char *e)
{
	if (at(p, e, LIT(" ("))) {
		const char *te = e;

		p += 2;
		if (te > p && te[-1] == ')')
			te--;	/* the outer parenthesis; truncated lines lack it */
		parse_reply(&ll->reply, p, te);
	} else if (at(p, e, LIT(", "))) {
		ll->status_note = sp(p + 2, e);
	}
}

/* ---------------------------------------------------------------- */
/* Line kinds */

/* set_client - "host[ip]" (or "[ip]:port") named by a session line */
static void
set_client(struct logline *ll, const char *p, const char *e)
{
	ll->client = sp(p, e);
	split_hostaddr(ll->client, &ll->client_name, &ll->client_addr,
		       &ll->client_port);
}

/* kv_kind - the kind of a QID line made of key=value fields */
static enum logline_kind
kv_kind(struct logline *ll)
{
	if (ll->status != LL_STATUS_NONE) {
		if (ll->to.p == NULL &&
		    (ll->status == LL_STATUS_EXPIRED ||
		     ll->status == LL_STATUS_FORCE_EXPIRED))
			return LL_EXPIRED;
		return LL_DELIVERY;
	}
	if (ll->nkv == 0)
		return LL_OTHER;
	if (span_eq(ll->kv[0].key, "client"))
		return LL_CLIENT;
	if (span_eq(ll->kv[0].key, "uid"))
		return LL_PICKUP;
	if (span_eq(ll->kv[0].key, "message-id"))
		return LL_MESSAGE_ID;
	if (span_eq(ll->kv[0].key, "resent-message-id"))
		return LL_RESENT;
	if (ll->from.p != NULL && (ll->size.p != NULL || ll->nrcpt.p != NULL))
		return LL_QUEUED;
	return LL_OTHER;
}

/*
 * parse_reject - "ACTION: STAGE from host[ip]: CODE D.S.N text; from=<a>
 * to=<b> proto=P helo=<h>" from smtpd, postscreen and cleanup, and the
 * header/body check form "ACTION: header NAME: VALUE from host[ip];
 * from=<a> ...: D.S.N text".
 */
static void
parse_reject(struct logline *ll, const char *p, const char *e)
{
	const char *stage = p, *se, *tail = NULL, *re, *q;

	while (p < e && *p != ' ' && *p != ':')
		p++;
	se = p;
	ll->reject_stage = sp(stage, se);
	/* the "; key=" tail that Postfix appends */
	for (q = se; q < e && (q = memchr(q, ';', (size_t)(e - q))) != NULL;
	     q++) {
		if (q + 1 < e && q[1] == ' ' && key_end(q + 2, e) != NULL) {
			tail = q;
			break;
		}
	}
	ll->reject_text = sp(stage, tail ? tail : e);
	if (span_eq(ll->reject_stage, "header") ||
	    span_eq(ll->reject_stage, "body")) {
		const char *end = tail ? tail : e, *f;

		if ((f = rfind(se, end, LIT(" from "))) != NULL)
			set_client(ll, f + 6, end);
		if (tail != NULL) {
			q = parse_kv(ll, tail + 2, e, true);
			if (at(q, e, LIT(": ")))
				remote_reply(&ll->reply, q + 2, e),
				    ll->reply.text = sp(q + 2, e);
		}
		return;
	}
	re = tail ? tail : e;
	if (at(p, re, LIT(" from "))) {
		const char *c = p + 6, *ce = hostaddr_end(c, re);

		if (ce != NULL) {
			set_client(ll, c, ce);
			p = ce;
		}
	}
	if (at(p, re, LIT(": "))) {
		ll->reply.text = sp(p + 2, re);
		remote_reply(&ll->reply, p + 2, re);
	}
	if (tail != NULL)
		parse_kv(ll, tail + 2, e, true);
}

/* is_stage - the SMTP stage word that follows "ACTION: " */
static bool
is_stage(const char *p, const char *e)
{
	static const struct {
		const char *w;
		size_t n;
	} tab[] = {
		{ LIT("RCPT") }, { LIT("CONNECT") }, { LIT("END-OF-MESSAGE") },
		{ LIT("MAIL") }, { LIT("DATA") }, { LIT("EHLO") },
		{ LIT("HELO") }, { LIT("VRFY") }, { LIT("ETRN") },
		{ LIT("BDAT") }, { LIT("AUTH") }, { LIT("STARTTLS") },
		{ LIT("UNKNOWN") }, { LIT("header") }, { LIT("body") },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (at(p, e, tab[i].w, tab[i].n) &&
		    (p + tab[i].n == e || p[tab[i].n] == ' ' ||
		     p[tab[i].n] == ':'))
			return true;
	return false;
}

/*
 * reject_action - length of "ACTION" in "ACTION: STAGE ..." at body start
 * (reject, milter-reject, discard, hold, reject_warning, proxy-accept,
 * milter-header-redirect, ...), else 0.  *stops is set for the actions
 * after which the message, or this recipient, goes no further.
 */
static size_t
reject_action(const char *p, const char *e, bool *stops)
{
	static const char *const stopping[] = {
		"reject", "milter-reject", "discard", "milter-discard",
		"hold", "milter-hold", "defer", "proxy-reject",
	};
	const char *q = p;

	while (q < e && ((*q >= 'a' && *q <= 'z') || *q == '-' || *q == '_'))
		q++;
	if (q == p || q - p > 40 || !at(q, e, LIT(": ")) ||
	    !is_stage(q + 2, e))
		return 0;
	*stops = false;
	for (size_t i = 0; i < sizeof(stopping) / sizeof(stopping[0]); i++)
		if (span_eq(sp(p, q), stopping[i]))
			*stops = true;
	return (size_t)(q - p);
}

/*
 * parse_qid_body - the body of a line that names a queue ID; split false
 * leaves client= and relay= unsplit
 */
static enum logline_kind
parse_qid_body(struct logline *ll, const char *p, const char *e, bool split)
{
	const char *q;
	size_t n;
	bool stops;

	if ((p < e && *p == 'm' && at(p, e, LIT("message-id=")) &&
	     (p + 11 == e || p[11] != '<')) ||
	    (p < e && *p == 'r' && at(p, e, LIT("resent-message-id=")) &&
	     (p + 18 == e || p[18] != '<'))) {
		/* an unbracketed Message-ID is free text to the end */
		q = memchr(p, '=', (size_t)(e - p));
		ll->kv[0].key = sp(p, q);
		ll->kv[0].val = sp(q + 1, e);
		ll->nkv = 1;
		if (*p == 'm')
			ll->message_id = ll->kv[0].val;
		return kv_kind(ll);
	}
	/* before parse_kv, which finds no field in it: the commonest body */
	if (e - p == 7 && memcmp(p, "removed", 7) == 0)
		return LL_REMOVED;
	if ((q = parse_kv(ll, p, e, split)) != p) {	/* a key=value or more */
		if (ll->status != LL_STATUS_NONE)
			status_tail(ll, q, e);
		return kv_kind(ll);
	}
	if ((n = reject_action(p, e, &stops)) != 0) {
		ll->reject_action = span_make(p, n);
		parse_reject(ll, p + n + 2, e);
		return stops ? LL_REJECT : LL_OTHER;
	}
	if (span_eq(sp(p, e), "expired") ||
	    span_eq(sp(p, e), "placed on hold") ||
	    span_eq(sp(p, e), "released from hold") ||
	    span_eq(sp(p, e), "requeued")) {
		ll->admin_action = sp(p, e);
		return LL_ADMIN;
	}
	if ((q = find(p, e, LIT(" notification: "))) != NULL) {
		const char *w = memchr(p, ' ', (size_t)(q - p + 1));

		if (w != NULL && w < q && (at(p, e, LIT("sender ")) ||
					   at(p, e, LIT("postmaster ")))) {
			ll->notify_who = sp(p, w);
			ll->notify_kind = sp(w + 1, q);
			ll->notify_qid = sp(q + 15, e);
			return LL_NOTIFICATION;
		}
	}
	parse_reply(&ll->reply, p, e);
	if (ll->reply.host.p != NULL || (ll->reply.own != LL_OWN_NONE &&
					 ll->reply.own != LL_OWN_OTHER))
		return LL_ATTEMPT;
	memset(&ll->reply, 0, sizeof(ll->reply));
	return LL_OTHER;
}

/*
 * session_peer - the client named by an smtpd, postscreen or tlsproxy
 * session line ("lost connection after DATA from H[A]", "PASS NEW
 * [A]:port", "COMMAND TIME LIMIT from [A]:port after RCPT") and the SMTP
 * stage such a line names.
 */
static void
session_peer(struct logline *ll, const char *p, const char *e)
{
	const char *q, *c;
	int tries = 0;

	for (q = p; tries < PEER_TRIES &&
	     (q = find(q, e, LIT(" from "))) != NULL; q += 6, tries++)
		if ((c = hostaddr_end(q + 6, e)) != NULL) {
			set_client(ll, q + 6, c);
			break;
		}
	tries = 0;
	if (ll->client.p == NULL)	/* "PASS OLD [A]:port" and the like */
		for (q = p; tries < PEER_TRIES &&
		     (q = memchr(q, '[', (size_t)(e - q))) != NULL; q++)
			if (q == p || q[-1] == ' ') {
				tries++;
				if ((c = hostaddr_end(q, e)) != NULL &&
				    c[-1] != ']') {
					set_client(ll, q, c);
					break;
				}
			}
	if ((q = find(p, e, LIT(" after "))) != NULL) {
		const char *st = q + 7;

		for (c = st; c < e && ((*c >= 'A' && *c <= 'Z') || *c == '-');
		     c++)
			;
		if (c == st && c < e && *c == '.')
			c++;
		if (c > st && (c == e || *c == ' ' || *c == ':'))
			ll->reject_stage = sp(st, c);
	}
}

/*
 * parse_session_body - a body with no queue ID: sessions and noise.
 * counters false leaves a disconnect line's command counters unread;
 * with peers false as well, connect and disconnect lines are not read
 * past their kind.
 */
static enum logline_kind
parse_session_body(struct logline *ll, const char *p, const char *e,
		   bool counters, bool peers)
{
	const char *q;
	size_t n;
	bool stops;

	if (!peers && !counters && p < e && (*p == 'c' || *p == 'd')) {
		/* the kind alone: nothing else of these lines is wanted */
		if (at(p, e, LIT("connect from ")))
			return LL_CONNECT;
		if (at(p, e, LIT("disconnect from ")))
			return LL_DISCONNECT;
	}
	if (at(p, e, LIT("connect from "))) {
		q = hostaddr_split(p + 13, e, &ll->client_name,
				   &ll->client_addr, &ll->client_port);
		if (q != NULL)
			ll->client = sp(p + 13, q);
		else
			set_client(ll, p + 13, e);
		return LL_CONNECT;
	}
	if (at(p, e, LIT("disconnect from "))) {
		q = hostaddr_split(p + 16, e, &ll->client_name,
				   &ll->client_addr, &ll->client_port);
		if (q != NULL)
			ll->client = sp(p + 16, q);
		else
			set_client(ll, p + 16, e);
		if (counters && q != NULL && at(q, e, LIT(" ")))
			parse_kv(ll, q + 1, e, true);
		return LL_DISCONNECT;
	}
	if (at(p, e, LIT("CONNECT from "))) {	/* postscreen */
		q = p + 13;
		while (q < e && *q != ' ')
			q++;
		set_client(ll, p + 13, q);
		return LL_CONNECT;
	}
	if ((n = reject_action(p, e, &stops)) != 0) {	/* proxy-accept */
		ll->reject_action = span_make(p, n);
		parse_reject(ll, p + n + 2, e);
		return stops ? LL_REJECT : LL_OTHER;
	}
	if (parse_kv(ll, p, e, true) != p)	/* third-party key=value */
		return LL_OTHER;
	if (at(p, e, LIT("connect to ")) || at(p, e, LIT("host ")) ||
	    at(p, e, LIT("lost connection with ")) ||
	    at(p, e, LIT("conversation with ")) ||
	    at(p, e, LIT("SSL_connect error to "))) {
		parse_reply(&ll->reply, p, e);
		return LL_OTHER;
	}
	if ((q = find(p, e, LIT(" connection established to "))) != NULL) {
		const char *h = q + sizeof(" connection established to ") - 1;
		const char *he = hostaddr_end(h, e);

		if (he != NULL)
			split_hostaddr(sp(h, he), &ll->relay_name,
				       &ll->relay_addr, &ll->relay_port);
		return LL_OTHER;
	}
	session_peer(ll, p, e);
	return LL_OTHER;
}

/* ---------------------------------------------------------------- */
/* The syslog head */

/* parse_prog - "name[pid]: " with the name split at its slashes */
static bool
parse_prog(struct logline *ll, const char **pp, const char *e)
{
	const char *p = *pp, *n = p, *ne, *s1, *s2;

	p = find3(p, e, '[', ':', ' ');
	ne = p;
	if (ne == n)
		return false;
	ll->syslog_name = sp(n, ne);
	if (p < e && *p == '[') {
		long pid = 0;
		const char *d = ++p;

#if defined(__SSE2__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		if (e - d >= 16) {
			/* up to 8 digits without a loop: count them with one
			 * compare, then read them as one word */
			__m128i w = _mm_loadu_si128((const __m128i *)
						    (const void *)d);
			unsigned m = (unsigned)_mm_movemask_epi8(
			    in_range16(w, '0', '9'));
			unsigned nd = (unsigned)__builtin_ctz(~m);

			if (nd >= 1 && nd <= 8) {
				pid = (long)digits8(d, nd);
				p = d + nd;
			}
		}
#endif
		for (; p < e && is_digit(*p) && p - d < 10; p++)
			pid = pid * 10 + (*p - '0');
		if (p == d || p >= e || *p != ']')
			return false;
		ll->pid = pid;
		p++;
	}
	if (p < e && *p == ':')
		p++;
	if (p < e && *p == ' ')
		p++;
	else if (p < e)
		return false;
	if (*n == '/' && ne - n > 1)	/* "/postfix-script" */
		n++;
#if defined(__SSE2__)
	if (ne - n <= 16 && e - n >= 16) {
		/* the first and last '/' of a short name from one compare */
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)n);
		unsigned m = (unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(w, _mm_set1_epi8('/')));

		m &= (1u << (ne - n)) - 1;
		if (m == 0) {
			s1 = s2 = NULL;
		} else {
			s1 = n + __builtin_ctz(m);
			s2 = n + (31 - __builtin_clz(m)) + 1;
		}
	} else
#endif
	{
		s1 = memchr(n, '/', (size_t)(ne - n));
		if (s1 != NULL)
			for (s2 = ne; s2[-1] != '/'; s2--)
				;
	}
	if (s1 == NULL) {
		ll->instance = sp(n, ne);
	} else {
		ll->instance = sp(n, s1);
		ll->daemon = sp(s2, ne);
		if (s2 - 1 > s1)
			ll->qualifier = sp(s1 + 1, s2 - 1);
	}
	*pp = p;
	return true;
}

/* first_hostaddr - the first "host[addr]" or "host[addr]:port" word */
static struct span
first_hostaddr(const char *p, const char *e)
{
	const char *w = p, *te, *end;
	int tries = 0;

	/* word by word; only the first few bracketed words are candidates */
	while (w < e && tries < PEER_TRIES) {
		te = memchr(w, ' ', (size_t)(e - w));
		if (te == NULL)
			te = e;
		if (memchr(w, '[', (size_t)(te - w)) != NULL) {
			tries++;
			if ((end = hostaddr_end(w, e)) != NULL)
				return sp(w, end);
		}
		w = te + 1;
	}
	return SPAN_NULL;
}

/* is_postfix - the name (or its instance part) is "postfix" or "postfix-..." */
static ALWAYS_INLINE bool
is_postfix(struct span inst)
{
	return inst.p != NULL &&
	    at(inst.p, inst.p + inst.len, LIT("postfix")) &&
	    (inst.len == 7 || inst.p[7] == '-' || inst.p[7] == '/');
}

/*
 * zero - clear n bytes with plain vector stores.  For the few hundred
 * bytes reset() clears per line, the "rep stos" compilers emit for a
 * memset of known size costs more to start than the stores themselves.
 */
static inline void
zero(void *mem, size_t n)
{
	char *p = mem;

#if defined(__SSE2__)
	const __m128i z = _mm_setzero_si128();

	/* n is a constant here: unrolled, no loop exit to mispredict */
#pragma GCC unroll 16
	for (; n >= 64; p += 64, n -= 64) {
		_mm_storeu_si128((__m128i *)(void *)p, z);
		_mm_storeu_si128((__m128i *)(void *)(p + 16), z);
		_mm_storeu_si128((__m128i *)(void *)(p + 32), z);
		_mm_storeu_si128((__m128i *)(void *)(p + 48), z);
	}
#pragma GCC unroll 4
	for (; n >= 16; p += 16, n -= 16)
		_mm_storeu_si128((__m128i *)(void *)p, z);
#endif
	if (n > 0)
		memset(p, 0, n);
}

/*
 * reset - clear a struct logline, leaving kv[] slots past nkv untouched.
 * The kv[] array is most of the struct and needs no clearing.
 */
static void
reset(struct logline *ll)
{
	size_t head = offsetof(struct logline, kv);
	size_t tail = offsetof(struct logline, nkv);

	zero(ll, head);
	zero((char *)ll + tail, sizeof(*ll) - tail);
	ll->pri = -1;
	ll->pid = -1;
	for (int i = 0; i < 4; i++)
		ll->delays[i] = -1;
}

/* logline_opts_init - defaults: local time, empty caches */
void
logline_opts_init(struct logline_opts *o, int64_t ref_time)
{
	memset(o, 0, sizeof(*o));
	o->ref_time = ref_time;
}

/*
 * parse_line - head, severity, queue ID, then the body by its shape;
 * every early return leaves a valid kind and whatever was read so far.
 * check_nul false skips the scan for NUL bytes the caller has done.
 */
static enum logline_kind
parse_line(struct logline *ll, const char *line, size_t len,
	   struct logline_opts *opts, bool check_nul)
{
	const char *p = line, *e, *q;
	static const struct {
		const char *w;
		size_t n;
	} sev[] = {
		{ LIT("warning: ") }, { LIT("error: ") }, { LIT("fatal: ") },
		{ LIT("panic: ") },
	};

	reset(ll);
	if (line == NULL || len > LOGLINE_MAX_LEN)
		return ll->kind = LL_MALFORMED;
	e = line + len;
	while (e > p && (e[-1] == '\n' || e[-1] == '\r'))
		e--;
	while (p < e && *p == '\0')	/* runs of NULs left by a crash */
		p++;
	if (p == e ||
	    (check_nul && memchr(p, '\0', (size_t)(e - p)) != NULL))
		return ll->kind = LL_MALFORMED;

	/* <PRI> */
	if (*p == '<') {
		int pri = 0;
		const char *d = ++p;

		for (; p < e && is_digit(*p) && p - d < 3; p++)
			pri = pri * 10 + (*p - '0');
		if (p == d || p >= e || *p != '>' || pri > 191)
			return ll->kind = LL_MALFORMED;
		ll->pri = pri;
		p++;
		if (p >= e)
			return ll->kind = LL_MALFORMED;
	}
	/* timestamp, then host */
	if (is_digit(*p)) {
		if (!parse_rfc3339(ll, &p, e, opts))
			return ll->kind = LL_MALFORMED;
		/* a collector's stamp in front of the syslog one */
		q = p + 1;
		if (p < e && *p == ' ' && e - q > 15 && month_of(q) != 0 &&
		    q[3] == ' ') {
			struct logline tmp;

			tmp.time = 0;
			if (parse_bsd_stamp(&tmp, &q, e, NULL))
				p = q;
		}
	} else if (opts != NULL && e - p >= 15 && same_bsd_stamp(opts, p)) {
		/* the second of the line before: most lines of a busy log */
		ll->timestamp = span_make(p, 15);
		ll->time = opts->stampcache.same_time;
		ll->utc_offset = opts->stampcache.offset;
		p += 15;
	} else if (!parse_bsd_stamp(ll, &p, e, opts)) {
		return ll->kind = LL_MALFORMED;
	}
	if (p >= e || *p++ != ' ')
		return ll->kind = LL_MALFORMED;
	q = p;
	p = find3(p, e, ' ', ' ', ' ');
	if (p == q || p >= e)
		return ll->kind = LL_MALFORMED;
	ll->host = sp(q, p);
	p++;
	if (!parse_prog(ll, &p, e)) {
		if (ll->syslog_name.p != NULL && is_postfix(ll->syslog_name))
			return ll->kind = LL_MALFORMED;
		return ll->kind = LL_NOT_POSTFIX;
	}
	if (!is_postfix(ll->instance))
		return ll->kind = LL_NOT_POSTFIX;
	ll->text = sp(p, e);

	/* severity (a first-letter switch keeps memcmp off the hot path) */
	if (p < e) {
		size_t i = SIZE_MAX;

		switch (*p) {
		case 'w': i = 0; break;
		case 'e': i = 1; break;
		case 'f': i = 2; break;
		case 'p': i = 3; break;
		default: break;
		}
		if (i != SIZE_MAX && at(p, e, sev[i].w, sev[i].n)) {
			ll->severity = span_make(p, sev[i].n - 2);
			p += sev[i].n;
		}
	}
	/* queue ID: one pass both finds its end and classifies its bytes */
	{
		unsigned all = C_HEXUP | C_ALNUM, any = 0, c;
		const char *lim = e - p > 33 ? p + 33 : e;

		q = p;
#if defined(__SSE2__)
		if (e - p >= 32)
			q = qid_scan32(p, &all, &any);
		else if (e - p >= 16)	/* "QID: removed" and the like */
			q = qid_scan16(p, &all, &any);
#endif
		for (; q < lim; q++) {
			c = CLS(*q);
			if (!(c & C_ALNUM))
				break;
			all &= c;
			any |= c;
		}
		if (q - p >= 6 && q - p <= 32 && q < e && *q == ':' &&
		    (q + 1 == e || q[1] == ' ') &&
		    qid_shape(p, (size_t)(q - p), all, any)) {
			ll->queue_id = sp(p, q);
			ll->noqueue = SPAN_IS(ll->queue_id, "NOQUEUE");
			p = q + 1 < e ? q + 2 : e;
		}
	}
	ll->body = sp(p, e);
	if (ll->severity.p != NULL) {
		/* "warning: H[A]: SASL LOGIN authentication failed: ..." */
		if ((q = hostaddr_end(p, e)) != NULL && at(q, e, LIT(": ")))
			set_client(ll, p, q);
		return ll->kind = LL_WARNING;
	}
	if (ll->queue_id.p != NULL)
		ll->kind = parse_qid_body(ll, p, e,
		    opts == NULL || !opts->skip_peers);
	else
		ll->kind = parse_session_body(ll, p, e,
		    opts == NULL || !opts->skip_counters,
		    opts == NULL || !opts->skip_peers);
	if (opts != NULL && opts->skip_peers && ll->queue_id.p != NULL) {
		/* relay_name, relay_addr and relay_port stay empty */
	} else if (ll->relay_name.p == NULL && ll->reply.host.p != NULL) {
		/* no relay= or relay=none: the host the reply names */
		ll->relay_name = ll->reply.host;
		ll->relay_addr = ll->reply.addr;
		ll->relay_port = ll->reply.port;
	} else if (ll->relay_name.p == NULL && ll->relay.p == NULL &&
		   (SPAN_IS(ll->daemon, "smtp") || SPAN_IS(ll->daemon, "lmtp"))) {
		/* "certificate verification failed for H[A]:25", ... */
		struct span t = first_hostaddr(p, e);

		split_hostaddr(t, &ll->relay_name, &ll->relay_addr,
			       &ll->relay_port);
	}
	return ll->kind;
}

/* logline_parse - the parser, NUL bytes looked for */
enum logline_kind
logline_parse(struct logline *ll, const char *line, size_t len,
	      struct logline_opts *opts)
{
	return parse_line(ll, line, len, opts, true);
}

/* logline_parse_nul_free - the parser, trusting the caller's NUL scan */
enum logline_kind
logline_parse_nul_free(struct logline *ll, const char *line, size_t len,
		       struct logline_opts *opts)
{
	return parse_line(ll, line, len, opts, false);
}

/* logline_kv_get - linear: lines hold a handful of fields */
struct span
logline_kv_get(const struct logline *ll, const char *key)
{
	size_t n = strlen(key);

	for (unsigned i = 0; i < ll->nkv; i++)
		if (ll->kv[i].key.len == n &&
		    memcmp(ll->kv[i].key.p, key, n) == 0)
			return ll->kv[i].val;
	return SPAN_NULL;
}

/*
 * fold_prefix_len - length of a " 550-5.1.1" or " 550 5.1.1" continuation
 * prefix at p repeating the reply's own code (and enhanced code), else 0.
 */
static size_t
fold_prefix_len(const struct logline_reply *r, const char *p, const char *e)
{
	const char *q = p + 1;
	unsigned code;

	if (*p != ' ' || !smtp_code_at(q, e, &code) || code != r->smtp_code)
		return 0;
	q += 3;
	if (q == e)
		return (size_t)(q - p);
	q++;			/* ' ' or '-' */
	if (r->dsn.len && at(q, e, r->dsn.p, r->dsn.len) &&
	    (q + r->dsn.len == e || q[r->dsn.len] == ' '))
		q += r->dsn.len;
	else
		q--;
	return (size_t)(q - p);
}

/* logline_reply_fold - copy the message, dropping repeated code prefixes */
size_t
logline_reply_fold(const struct logline_reply *r, char *out, size_t size)
{
	const char *p = r->message.p, *e;
	size_t n = 0;
	bool multi;

	if (size == 0)
		return 0;
	if (p == NULL) {
		out[0] = '\0';
		return 0;
	}
	e = p + r->message.len;
	/* only replies Postfix flattened from several lines are folded */
	multi = r->multiline;
	while (p < e && n + 1 < size) {
		size_t k = multi ? fold_prefix_len(r, p, e) : 0;

		if (k > 0) {
			p += k;
			if (p < e && *p != ' ')
				out[n++] = ' ';
			continue;
		}
		out[n++] = *p++;
	}
	out[n] = '\0';
	return n;
}

/* logline_kind_name - stable names for explain and JSON */
const char *
logline_kind_name(enum logline_kind k)
{
	static const char *const names[LL_KIND_COUNT] = {
		"malformed", "not-postfix", "other", "connect", "disconnect",
		"client", "pickup", "message-id", "queued", "delivery",
		"expired", "removed", "notification", "reject", "admin",
		"resent", "warning", "attempt",
	};

	return (unsigned)k < LL_KIND_COUNT ? names[k] : "unknown";
}

/* logline_status_name - stable names for explain and JSON */
const char *
logline_status_name(enum logline_status s)
{
	static const char *const names[] = {
		"none", "sent", "deferred", "bounced", "expired",
		"force-expired", "undeliverable", "deliverable", "other",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] :
	    "unknown";
}

/* logline_command_name - stable names for explain and JSON */
const char *
logline_command_name(enum logline_command c)
{
	static const char *const names[] = {
		"none", "connect", "helo", "starttls", "auth", "mail", "rcpt",
		"data", "end-of-data", "bdat", "quit", "rset", "other",
	};

	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] :
	    "unknown";
}

/* logline_own_name - stable names for explain and JSON */
const char *
logline_own_name(enum logline_own o)
{
	static const char *const names[] = {
		"none", "connect-refused", "connect-timeout", "connect-other",
		"host-not-found", "lost-connection", "conversation-timeout",
		"suspended", "refused-to-talk", "tls", "unknown-user",
		"queued-as", "null-mx", "loops-back", "other",
	};

	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] :
	    "unknown";
}
