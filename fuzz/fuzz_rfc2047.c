/*
 * fuzz_rfc2047.c - libFuzzer target for the header value decoder.
 *
 * The first input byte picks the output bound (1..256 bytes); the rest is
 * the raw header value.  Checks what rfc2047_decode promises: the status is
 * BUF_OK or BUF_TOOBIG, the output never passes its bound, and it is valid
 * UTF-8 with no control characters at all.
 */
#include <stdint.h>
#include <stdlib.h>

#include "escape.h"
#include "rfc2047.h"

#define FUZZ_MAX_INPUT 16384

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - decode one input and check the promises */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out;
	size_t max, i;
	int rc;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	max = (size_t)data[0] + 1;
	buf_init(&out, max);
	rc = rfc2047_decode(&out, span_make((const char *)data + 1, size - 1));
	if (rc != BUF_OK && rc != BUF_TOOBIG)
		abort();
	if (out.len > max)
		abort();
	if (!utf8_valid(span_make(buf_str(&out), out.len)))
		abort();
	for (i = 0; i < out.len; i++)
		if ((unsigned char)out.data[i] < 0x20 ||
		    (unsigned char)out.data[i] == 0x7f)
			abort();
	buf_free(&out);
	return 0;
}
