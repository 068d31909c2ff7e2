/*
 * escape.h - make text from the log or from a remote server safe to show.
 *
 * Text from a log line or an SMTP reply is attacker-controlled.  Before it
 * reaches a terminal, a notice or a header it is passed through one of
 * these, which guarantee valid UTF-8 with no control characters and no
 * bidirectional overrides, bounded in length.
 */
#ifndef PB_ESCAPE_H
#define PB_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "span.h"

/*
 * escape_display - append s to out for a human: control bytes become
 * "\xNN" (tab and newline too, so one value stays on one line), invalid
 * UTF-8 bytes become "\xNN", and the Unicode bidi controls (U+202A..U+202E,
 * U+2066..U+2069, U+200E, U+200F, U+061C) become "\u{XXXX}".  Returns
 * BUF_OK, or BUF_TOOBIG when out is full (what fitted is kept).
 */
int escape_display(struct buf *out, struct span s);

/*
 * escape_text - like escape_display, but invalid or unsafe sequences
 * become U+FFFD and control characters a space: for notice bodies, where
 * a reader wants words, not escapes.
 */
int escape_text(struct buf *out, struct span s);

/*
 * utf8_decode - the one UTF-8 decoder: the length (1..4) of the valid
 * sequence at p, at most n bytes, with its code point in *cp; 0 when it
 * is invalid (overlong, surrogate, beyond U+10FFFF, cut short) or n is 0
 */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/* utf8_valid - true when s is well-formed UTF-8 (no overlongs, surrogates) */
int utf8_valid(struct span s);

#endif
