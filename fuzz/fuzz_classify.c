/*
 * fuzz_classify.c - libFuzzer target: arbitrary bytes as a reply to
 * classify (with the shipped rules), and as a rules file to load.
 *
 * The first byte picks what to do and the status and stage; the rest is
 * the text.  Any crash, leak, overflow or undefined behaviour is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct classifier *shipped;

/* load_shipped - the real rules, once ($PB_SRCDIR or the current dir) */
static struct classifier *
load_shipped(void)
{
	char path[4096];
	const char *src = getenv("PB_SRCDIR");
	struct buf why;

	snprintf(path, sizeof(path), "%s/config/classify.rules",
		 src ? src : ".");
	buf_init(&why, 4096);
	shipped = classify_load(path, NULL, &why);
	if (shipped == NULL) {
		fprintf(stderr, "fuzz_classify: %s\n", buf_str(&why));
		abort();
	}
	buf_free(&why);
	return shipped;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct classify_input in;
	struct classify_result r;
	struct classifier *c;
	struct buf why;
	char *text;

	if (size < 1)
		return 0;
	if (shipped == NULL)
		load_shipped();
	if (data[0] & 0x80) {
		/* a rules file: must load or fail cleanly */
		text = xstrndup((const char *)data + 1, size - 1);
		buf_init(&why, 4096);
		c = classify_load_text("fuzz.rules", text, NULL, NULL, &why);
		if (c) {
			classify_input_init(&in);
			in.text = span_make(text, strlen(text));
			classify_reply(c, &in, &r);
			classify_free(c);
		}
		buf_free(&why);
		free(text);
		return 0;
	}
	classify_input_init(&in);
	in.status = (enum classify_status)(data[0] % CLS_STATUS_COUNT);
	in.stage = (enum classify_stage)((data[0] >> 3) % CLS_STAGE_COUNT);
	in.text = span_make((const char *)data + 1, size - 1);
	if (size > 7)
		in.dsn = span_make((const char *)data + 1, 6);
	classify_reply(shipped, &in, &r);
	if ((unsigned)r.reason >= REASON_COUNT || r.dsn[sizeof(r.dsn) - 1])
		abort();
	return 0;
}
