/*
 * rfc2047.c - decode MIME encoded-words in header values, boundedly.
 *
 * Owns no state.  Guarantees: never reads past the input span, never
 * writes more than the output buffer's maximum, and produces valid UTF-8
 * without control characters (escape_text does the last step).  Charsets
 * other than UTF-8 and US-ASCII go through iconv(3); bytes iconv cannot
 * convert become U+FFFD.
 */
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "escape.h"
#include "rfc2047.h"

/* hexval - value of one hex digit, or -1 */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* b64val - value of one base64 character, or -1 */
static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* decode_q - the "Q" encoding into out; never fails on bad input */
static int
decode_q(struct buf *out, const char *p, size_t len)
{
	size_t i;
	int hi, lo, rc = BUF_OK;

	for (i = 0; i < len && rc == BUF_OK; i++) {
		if (p[i] == '_') {
			rc = buf_addc(out, ' ');
		} else if (p[i] == '=' && i + 2 < len &&
			   (hi = hexval(p[i + 1])) >= 0 &&
			   (lo = hexval(p[i + 2])) >= 0) {
			rc = buf_addc(out, (char)(hi << 4 | lo));
			i += 2;
		} else {
			rc = buf_addc(out, p[i]);
		}
	}
	return rc;
}

/* decode_b - the "B" encoding into out; -2 when it is not base64 */
static int
decode_b(struct buf *out, const char *p, size_t len)
{
	unsigned acc = 0;
	int bits = 0, v, rc = BUF_OK;
	size_t i, start = out->len;

	for (i = 0; i < len && rc == BUF_OK; i++) {
		if (p[i] == '=')
			break;
		if ((v = b64val(p[i])) < 0) {
			out->len = start;
			if (out->data)
				out->data[start] = '\0';
			return -2;
		}
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			rc = buf_addc(out, (char)(acc >> bits & 0xff));
		}
	}
	return rc;
}

/* is_utf8_charset - charsets whose bytes go through unchanged */
static bool
is_utf8_charset(const char *cs)
{
	return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0 ||
	       strcasecmp(cs, "us-ascii") == 0;
}

/* convert - bytes in charset cs appended to out as UTF-8; -2: unknown cs */
static int
convert(struct buf *out, const char *cs, const char *p, size_t len)
{
	iconv_t cd;
	char tmp[256], *in = (char *)p, *o;
	size_t inleft = len, oleft, r;
	int rc = BUF_OK;

	if (is_utf8_charset(cs))
		return buf_add(out, p, len);
	if ((cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
		return -2;
	while (inleft > 0 && rc == BUF_OK) {
		o = tmp;
		oleft = sizeof(tmp);
		r = iconv(cd, &in, &inleft, &o, &oleft);
		rc = buf_add(out, tmp, sizeof(tmp) - oleft);
		if (r == (size_t)-1 && errno != E2BIG && rc == BUF_OK) {
			/* EILSEQ or EINVAL: skip one byte, mark it */
			rc = buf_adds(out, "\xef\xbf\xbd");
			in++;
			inleft--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	iconv_close(cd);
	return rc;
}

/*
 * encoded_word - if p[0..len) starts with "=?cs?E?text?=", decode it into
 * out and return its length; 0 when it is not one (or cannot be decoded).
 */
static size_t
encoded_word(struct buf *out, const char *p, size_t len, int *full)
{
	char cs[64], mode;
	const char *q, *end = p + len, *text, *tend;
	size_t cslen, save = out->len;
	struct buf raw;
	int rc;

	if (len < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	for (q = p + 2; q < end && *q != '?'; q++)
		if (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
			return 0;
	cslen = (size_t)(q - (p + 2));
	if (q + 3 >= end || cslen == 0 || cslen >= sizeof(cs) || q[2] != '?')
		return 0;
	memcpy(cs, p + 2, cslen);
	cs[cslen] = '\0';
	if ((q = memchr(cs, '*', cslen)) != NULL)	/* RFC 2231 language */
		cs[q - cs] = '\0';
	mode = p[cslen + 3];
	text = p + cslen + 5;
	for (tend = text; tend + 1 < end; tend++) {
		if (*tend == ' ' || *tend == '\t' || *tend == '\r' ||
		    *tend == '\n')
			return 0;
		if (tend[0] == '?' && tend[1] == '=')
			break;
	}
	if (tend + 1 >= end)
		return 0;
	buf_init(&raw, (size_t)(tend - text) + 1);
	if (mode == 'Q' || mode == 'q')
		rc = decode_q(&raw, text, (size_t)(tend - text));
	else if (mode == 'B' || mode == 'b')
		rc = decode_b(&raw, text, (size_t)(tend - text));
	else
		rc = -2;
	if (rc == BUF_OK)
		rc = convert(out, cs, buf_str(&raw), raw.len);
	buf_free(&raw);
	if (rc == -2) {
		out->len = save;
		if (out->data)
			out->data[save] = '\0';
		return 0;
	}
	if (rc != BUF_OK)
		*full = 1;
	return (size_t)(tend + 2 - p);
}

int
rfc2047_decode(struct buf *out, struct span raw)
{
	struct buf mid;
	const char *p = raw.p, *end = raw.p + raw.len, *ws;
	size_t n;
	int rc = BUF_OK, last_was_word = 0, full = 0;

	/* decoded bytes may be up to twice the room left (Latin-1 -> UTF-8) */
	buf_init(&mid, 2 * (out->max - out->len) + 16);
	while (p < end && rc == BUF_OK && !full) {
		if (*p == '\r' || *p == '\n') {
			/* folding: CR/LF before white space disappears */
			for (ws = p; ws < end && (*ws == '\r' || *ws == '\n');)
				ws++;
			if (ws < end && (*ws == ' ' || *ws == '\t')) {
				p = ws;
				continue;
			}
		}
		if (last_was_word && (*p == ' ' || *p == '\t' || *p == '\r' ||
				      *p == '\n')) {
			/* white space between two encoded-words is dropped */
			for (ws = p; ws < end && (*ws == ' ' || *ws == '\t' ||
				      *ws == '\r' || *ws == '\n');)
				ws++;
			if ((n = encoded_word(&mid, ws, (size_t)(end - ws),
					      &full))) {
				p = ws + n;
				continue;
			}
		}
		if ((n = encoded_word(&mid, p, (size_t)(end - p), &full)) > 0) {
			p += n;
			last_was_word = 1;
			continue;
		}
		last_was_word = 0;
		rc = buf_addc(&mid, *p++);
	}
	if (full)
		rc = BUF_TOOBIG;
	if (mid.len > 0 &&
	    escape_text(out, span_make(mid.data, mid.len)) != BUF_OK)
		rc = BUF_TOOBIG;
	buf_free(&mid);
	return rc == BUF_OK ? BUF_OK : BUF_TOOBIG;
}
