/*
 * mailmsg.c - the notice message: cleaned headers, encoded words,
 * quoted-printable parts.
 *
 * Everything is appended to a scratch buffer first and copied to the
 * caller's only when complete, so a failure leaves nothing half written.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "mailmsg.h"

#define BOUNDARY "=_plainbounce_alt"	/* "=_" never occurs in QP or base64 */
#define QP_LINE	76			/* RFC 2045 line limit, with the '=' */
#define EW_LINE	76			/* RFC 2047: lines with encoded words */
#define EW_OVERHEAD 12			/* "=?UTF-8?B?" and "?=" */

static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */

/* invisible - characters that must not reach a header: controls, C1,
 * line and paragraph separators, bidi controls */
static int
invisible(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	       c == 0x061c || c == 0x200e || c == 0x200f ||
	       c == 0x2028 || c == 0x2029 ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/*
 * clean_line - outside text to one line of valid UTF-8 for a header: bad
 * bytes become U+FFFD, invisibles a space, runs of spaces one, ends
 * trimmed, at most maxch characters (then "...").
 */
static int
clean_line(struct buf *out, const char *s, size_t maxch)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len, chars = 0;
	int space = 0, rc = BUF_OK;
	uint32_t c;

	for (; n > 0 && rc == BUF_OK; p += len, n -= len) {
		const void *emit = p;
		size_t elen;

		len = utf8_decode(p, n, &c);
		if (len == 0) {
			emit = replacement;
			elen = 3;
			len = 1;
		} else if (c == ' ' || invisible(c)) {
			space = 1;
			continue;
		} else {
			elen = len;
		}
		if (chars + (space && chars > 0) >= maxch)
			return buf_adds(out, "...");
		if (space && chars > 0) {
			rc = buf_addc(out, ' ');
			chars++;
		}
		space = 0;
		if (rc == BUF_OK)
			rc = buf_add(out, emit, elen);
		chars++;
	}
	return rc;
}

/* plain_ok - text that can stand unencoded in an unstructured header */
static int
plain_ok(const char *s, size_t len, size_t room)
{
	size_t i;

	if (len > room)
		return 0;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
		if (s[i] == '=' && i + 1 < len && s[i + 1] == '?')
			return 0;
	}
	return 1;
}

/*
 * encoded_words - RFC 2047 "B" words of whole UTF-8 characters, folded so
 * that no line is longer than 76 characters; used is how much of the
 * first line ("Subject: ") is taken already.
 */
static int
encoded_words(struct buf *out, const char *s, size_t len, size_t used)
{
	unsigned char b64[(EW_LINE - EW_OVERHEAD) + 4];
	size_t take, step, raw;
	uint32_t c;
	int rc = BUF_OK, first = 1;

	while (len > 0 && rc == BUF_OK) {
		/* base64 of raw bytes is 4/3 as long; a continuation line
		 * starts with one space */
		raw = (EW_LINE - (first ? used : 1) - EW_OVERHEAD) / 4 * 3;
		take = 0;
		while (take < len) {
			step = utf8_decode((const unsigned char *)s + take,
					len - take, &c);
			if (step == 0)
				step = 1;	/* cleaned text has none */
			if (take + step > raw)
				break;
			take += step;
		}
		EVP_EncodeBlock(b64, (const unsigned char *)s, (int)take);
		rc = buf_addf(out, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ",
			      (const char *)b64);
		first = 0;
		s += take;
		len -= take;
	}
	return rc;
}

/* header_text - "Name: value" for an untrusted unstructured value */
static int
header_text(struct buf *out, const char *name, const char *value,
	    size_t maxch)
{
	struct buf clean;
	int rc;

	buf_init(&clean, maxch * 4 + 8);
	rc = clean_line(&clean, value, maxch);
	if (rc == BUF_OK)
		rc = buf_addf(out, "%s: ", name);
	if (rc == BUF_OK) {
		if (plain_ok(buf_str(&clean), clean.len, 76 - strlen(name)))
			rc = buf_addspan(out, span_make(buf_str(&clean),
							clean.len));
		else
			rc = encoded_words(out, buf_str(&clean), clean.len,
					   strlen(name) + 2);
	}
	if (rc == BUF_OK)
		rc = buf_adds(out, "\r\n");
	buf_free(&clean);
	return rc;
}

/* atext - RFC 5322 atext */
static int
atext(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || (c != '\0' &&
	       strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* dot_atom - 1*atext *("." 1*atext) over exactly [p, p+n) */
static int
dot_atom(const char *p, size_t n)
{
	size_t i;
	int run = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (run == 0)
				return 0;
			run = 0;
		} else if (atext((unsigned char)p[i])) {
			run++;
		} else {
			return 0;
		}
	}
	return run > 0;
}

/* literal - "[" dtext* "]": printable ASCII but [ ] and backslash */
static int
literal(const char *p, size_t n)
{
	size_t i;

	if (n < 2 || p[0] != '[' || p[n - 1] != ']')
		return 0;
	for (i = 1; i + 1 < n; i++)
		if ((unsigned char)p[i] < 33 || (unsigned char)p[i] > 126 ||
		    p[i] == '[' || p[i] == ']' || p[i] == '\\')
			return 0;
	return 1;
}

/* mailmsg_msgid - one msg-id and nothing else but white space */
int
mailmsg_msgid(struct span s, struct span *id)
{
	const char *p = s.p, *e, *at;

	if (p == NULL)
		return 0;
	e = p + s.len;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e - p < 5 || e - p > MAILMSG_MSGID_MAX || *p != '<' ||
	    e[-1] != '>')
		return 0;
	at = memchr(p, '@', (size_t)(e - p));
	if (at == NULL || !dot_atom(p + 1, (size_t)(at - p - 1)) ||
	    !(dot_atom(at + 1, (size_t)(e - at - 2)) ||
	      literal(at + 1, (size_t)(e - at - 2))))
		return 0;
	*id = span_make(p, (size_t)(e - p));
	return 1;
}

/* mailmsg_addr_valid - dot-atom local part, host name or literal */
int
mailmsg_addr_valid(const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t n = strlen(addr), i, label = 0;
	const char *d;

	if (at == NULL || n > MAILMSG_ADDR_MAX || at - addr > 64 ||
	    !dot_atom(addr, (size_t)(at - addr)))
		return 0;
	d = at + 1;
	if (*d == '[')
		return literal(d, strlen(d));
	for (i = 0; d[i] != '\0'; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return 0;
			label = 0;
		} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && d[i - 1] != '-';
}

/* rfc5322_date - "Sat, 28 Nov 2026 04:16:39 +0000" from epoch seconds */
static int
rfc5322_date(struct buf *out, int64_t t)
{
	static const char wd[] = "ThuFriSatSunMonTueWed";
	static const char mn[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int64_t days = t / 86400, secs = t % 86400, z, era, doe, yoe, y, doy,
		mp, d, m;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* civil_from_days (proleptic Gregorian) */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	return buf_addf(out, "Date: %.3s, %02d %.3s %04lld %02d:%02d:%02d "
			"+0000\r\n", wd + 3 * (((days % 7) + 7) % 7),
			(int)d, mn + 3 * (m - 1), (long long)y,
			(int)(secs / 3600), (int)(secs / 60 % 60),
			(int)(secs % 60));
}

/* qp_token - one byte as it goes into a QP line */
static int
qp_token(struct buf *out, size_t *col, unsigned char c, int last)
{
	char tok[4];
	size_t n;

	if ((c >= 33 && c <= 126 && c != '=' && !(c == '.' && *col == 0)) ||
	    ((c == ' ' || c == '\t') && !last)) {
		tok[0] = (char)c;
		n = 1;
	} else {
		n = (size_t)snprintf(tok, sizeof(tok), "=%02X", c);
	}
	/* keep room for the soft break's '=' */
	if (*col + n > QP_LINE - 1) {
		if (buf_adds(out, "=\r\n") != BUF_OK)
			return BUF_TOOBIG;
		*col = 0;
		if (c == '.')
			n = (size_t)snprintf(tok, sizeof(tok), "=2E");
	}
	*col += n;
	return buf_add(out, tok, n);
}

/*
 * qp_body - text as quoted-printable: CR, LF and CRLF become hard line
 * breaks; bad UTF-8 and controls but tab become U+FFFD.
 */
static int
qp_body(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len, col = 0, i;
	struct buf line;
	uint32_t c;
	int rc = BUF_OK;

	buf_init(&line, n * 3 + 16);
	while (rc == BUF_OK) {
		/* one input line, repaired, into line */
		buf_reset(&line);
		while (n > 0 && *p != '\r' && *p != '\n' && rc == BUF_OK) {
			len = utf8_decode(p, n, &c);
			if (len == 0 || (invisible(c) && c != '\t' &&
					 c >= 0x20) || (c < 0x20 && c != '\t')) {
				rc = buf_adds(&line, replacement);
				len = len == 0 ? 1 : len;
			} else {
				rc = buf_add(&line, p, len);
			}
			p += len;
			n -= len;
		}
		col = 0;
		for (i = 0; i < line.len && rc == BUF_OK; i++)
			rc = qp_token(out, &col, (unsigned char)line.data[i],
				      i + 1 == line.len);
		if (rc != BUF_OK || n == 0)
			break;
		rc = buf_adds(out, "\r\n");
		if (n >= 2 && p[0] == '\r' && p[1] == '\n') {
			p++;
			n--;
		}
		p++;
		n--;
	}
	if (rc == BUF_OK)
		rc = buf_adds(out, "\r\n");
	buf_free(&line);
	return rc;
}

/* part - one text part with its headers */
static int
part(struct buf *out, const char *type, const char *body)
{
	if (buf_addf(out, "Content-Type: text/%s; charset=utf-8\r\n"
		     "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		     type) != BUF_OK)
		return BUF_TOOBIG;
	return qp_body(out, body);
}

/* from_header - "From: name <addr>", the name cleaned and encoded */
static int
from_header(struct buf *out, const struct mailmsg *m)
{
	struct buf clean;
	size_t i;
	int rc = BUF_OK, atoms = 1;

	if (m->from_name == NULL || m->from_name[0] == '\0')
		return buf_addf(out, "From: %s\r\n", m->from_addr);
	buf_init(&clean, MAILMSG_NAME_MAX * 4 + 8);
	rc = clean_line(&clean, m->from_name, MAILMSG_NAME_MAX);
	for (i = 0; i < clean.len; i++) {
		char c = clean.data[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == ' '))
			atoms = 0;
	}
	if (rc == BUF_OK)
		rc = buf_adds(out, "From: ");
	if (rc == BUF_OK && clean.len > 0)
		rc = atoms ? buf_addspan(out, span_make(clean.data,
							clean.len)) :
		     encoded_words(out, clean.data, clean.len, 6);
	/* after encoded words the address gets a line of its own */
	if (rc == BUF_OK)
		rc = buf_addf(out, "%s<%s>\r\n", clean.len == 0 ? "" :
			      atoms ? " " : "\r\n ", m->from_addr);
	buf_free(&clean);
	return rc;
}

/* mailmsg_build - the whole message, or nothing */
int
mailmsg_build(struct buf *out, const struct mailmsg *m, const char **why)
{
	struct span ours, orig;
	struct buf msg;
	int rc, thread;

	if (!mailmsg_addr_valid(m->from_addr)) {
		*why = "invalid From address";
		return -1;
	}
	if (!mailmsg_addr_valid(m->to_addr)) {
		*why = "invalid recipient address";
		return -1;
	}
	if (!mailmsg_msgid(span_make(m->message_id, strlen(m->message_id)),
			   &ours) || ours.len != strlen(m->message_id)) {
		*why = "invalid Message-ID of our own";
		return -1;
	}
	thread = m->orig_message_id != NULL &&
		 mailmsg_msgid(span_make(m->orig_message_id,
					 strlen(m->orig_message_id)), &orig);
	buf_init(&msg, out->max);
	rc = rfc5322_date(&msg, m->date);
	if (rc == BUF_OK)
		rc = from_header(&msg, m);
	if (rc == BUF_OK)
		rc = buf_addf(&msg, "To: <%s>\r\n", m->to_addr);
	if (rc == BUF_OK)
		rc = header_text(&msg, "Subject", m->subject != NULL ?
				 m->subject : "", MAILMSG_SUBJECT_MAX);
	if (rc == BUF_OK)
		rc = buf_addf(&msg, "Message-ID: %s\r\n", m->message_id);
	if (rc == BUF_OK && thread)
		rc = buf_addf(&msg, "In-Reply-To: %.*s\r\nReferences: %.*s\r\n",
			      (int)orig.len, orig.p, (int)orig.len, orig.p);
	if (rc == BUF_OK)
		rc = buf_adds(&msg, "Auto-Submitted: auto-generated\r\n"
			      "X-Auto-Response-Suppress: All\r\n"
			      "MIME-Version: 1.0\r\n");
	if (rc == BUF_OK && m->html != NULL) {
		rc = buf_adds(&msg, "Content-Type: multipart/alternative; "
			      "boundary=\"" BOUNDARY "\"\r\n\r\n"
			      "--" BOUNDARY "\r\n");
		if (rc == BUF_OK)
			rc = part(&msg, "plain", m->text);
		if (rc == BUF_OK)
			rc = buf_adds(&msg, "--" BOUNDARY "\r\n");
		if (rc == BUF_OK)
			rc = part(&msg, "html", m->html);
		if (rc == BUF_OK)
			rc = buf_adds(&msg, "--" BOUNDARY "--\r\n");
	} else if (rc == BUF_OK) {
		rc = part(&msg, "plain", m->text);
	}
	if (rc == BUF_OK)
		rc = buf_addspan(out, span_make(buf_str(&msg), msg.len));
	buf_free(&msg);
	if (rc != BUF_OK) {
		*why = "message larger than its buffer";
		return -1;
	}
	return 0;
}

/* mailmsg_html_escape - text into HTML, one entity at a time */
int
mailmsg_html_escape(struct buf *out, struct span s)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t n = s.len, len;
	uint32_t c;
	int rc = BUF_OK;

	while (n > 0 && rc == BUF_OK) {
		len = utf8_decode(p, n, &c);
		if (len == 0) {
			rc = buf_adds(out, replacement);
			len = 1;
		} else if (c == '&') {
			rc = buf_adds(out, "&amp;");
		} else if (c == '<') {
			rc = buf_adds(out, "&lt;");
		} else if (c == '>') {
			rc = buf_adds(out, "&gt;");
		} else if (c == '"') {
			rc = buf_adds(out, "&quot;");
		} else if (c == '\'') {
			rc = buf_adds(out, "&#39;");
		} else if (invisible(c) && c != '\t' && c != '\n') {
			rc = buf_adds(out, replacement);
		} else {
			rc = buf_add(out, p, len);
		}
		p += len;
		n -= len;
	}
	return rc;
}
