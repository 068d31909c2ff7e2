/*
 * rfc2047.h - a raw header value made readable: unfolded, MIME
 * encoded-words (RFC 2047) decoded to UTF-8, and made safe.
 *
 * Header values come from whoever sent the mail.  The result is always
 * valid UTF-8 on one line with no control characters (an encoded CR/LF
 * such as "=?utf-8?q?a=0D=0Ab?=" becomes spaces), bounded by the output
 * buffer's maximum, so it can be shown, stored and later put in a notice.
 */
#ifndef PB_RFC2047_H
#define PB_RFC2047_H

#include "buf.h"
#include "span.h"

/*
 * rfc2047_decode - append the display form of raw to out.  Encoded-words
 * in an unknown charset or with bad base64 are kept as written.  Returns
 * BUF_OK, or BUF_TOOBIG when out filled up (what fitted is kept, cut at a
 * character boundary).
 */
int rfc2047_decode(struct buf *out, struct span raw);

#endif
