/*
 * escape.c - neutralise hostile text for display.
 *
 * Owns no memory; appends to the caller's bounded buffer.  Guarantees the
 * appended bytes are valid UTF-8 without C0/C1 controls, DEL or bidi
 * controls, whatever the input.
 */
#include <stdint.h>

#include "escape.h"

size_t
utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	} else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* is_bidi_control - the code points that reorder displayed text */
static int
is_bidi_control(uint32_t c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200e || c == 0x200f || c == 0x061c;
}

/* escape - the shared walk; display selects escapes over replacements */
static int
escape(struct buf *out, struct span s, int display)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t i = 0, len;
	uint32_t c;
	int rc = BUF_OK;

	while (i < s.len && rc == BUF_OK) {
		len = utf8_decode(p + i, s.len - i, &c);
		if (len == 0) {
			rc = display ? buf_addf(out, "\\x%02x", p[i])
				     : buf_adds(out, "\xef\xbf\xbd");
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
			rc = display ? buf_addf(out, "\\x%02x", (unsigned)c)
				     : buf_addc(out, ' ');
		else if (is_bidi_control(c))
			rc = display ? buf_addf(out, "\\u{%04x}", (unsigned)c)
				     : buf_adds(out, "\xef\xbf\xbd");
		else
			rc = buf_add(out, p + i, len);
		i += len;
	}
	return rc;
}

int
escape_display(struct buf *out, struct span s)
{
	return escape(out, s, 1);
}

int
escape_text(struct buf *out, struct span s)
{
	return escape(out, s, 0);
}

int
utf8_valid(struct span s)
{
	const unsigned char *p = (const unsigned char *)s.p;
	size_t i = 0, len;
	uint32_t c;

	while (i < s.len) {
		if ((len = utf8_decode(p + i, s.len - i, &c)) == 0)
			return 0;
		i += len;
	}
	return 1;
}
