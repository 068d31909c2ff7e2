/*
 * fuzz_mailmsg.c - libFuzzer target for the notice message builder.
 *
 * The input is split at NUL bytes into subject, original Message-ID,
 * display name, text and HTML; whatever they hold, the message must be
 * 7-bit, CRLF-only, with lines of at most 998 octets, lines holding
 * encoded words within 76, and exactly the fixed set of header fields.
 * Retry-After parsing gets the same bytes.  A broken property aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailmsg.h"
#include "retry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* field - the next NUL-terminated piece of the input, or "" */
static const char *
field(const char **p, const char *end)
{
	const char *s = *p;

	if (s >= end)
		return "";
	*p = s + strlen(s) + 1;
	return s;
}

/* check - the wire properties every notice has */
static void
check(const struct buf *b, int multipart)
{
	const char *l = b->data, *e, *body;
	size_t i, headers = 0;

	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (c == 0 || c > 127)
			abort();
		if (c == '\r' && (i + 1 >= b->len || b->data[i + 1] != '\n'))
			abort();
		if (c == '\n' && (i == 0 || b->data[i - 1] != '\r'))
			abort();
	}
	if ((body = strstr(b->data, "\r\n\r\n")) == NULL)
		abort();
	for (; l <= body; l = e + 2) {
		e = strstr(l, "\r\n");
		if (*l != ' ' && *l != '\t')
			headers++;
		/* encoded words stay within 76 columns; a Message-ID may
		 * itself contain "=?UTF-8?B?" (all atext), so threading
		 * headers are not encoded-word lines */
		if (e - l > 998 || (e - l > 76 &&
		    strncmp(l, "In-Reply-To:", 12) != 0 &&
		    strncmp(l, "References:", 11) != 0 &&
		    memmem(l, (size_t)(e - l), "=?UTF-8?B?", 10) != NULL))
			abort();
	}
	for (l = body + 4; (e = strstr(l, "\r\n")) != NULL; l = e + 2)
		if (e - l > 998)
			abort();
	/* Date From To Subject Message-ID [In-Reply-To References]
	 * Auto-Submitted X-Auto-Response-Suppress MIME-Version Content-Type,
	 * and Content-Transfer-Encoding when there is only the text part */
	headers -= multipart ? 0 : 1;
	if (headers != 9 && headers != 11)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	const char *p = copy, *end = copy + size, *why;
	struct mailmsg m;
	struct buf b;
	int64_t d;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	(void)retry_after_parse(copy, 1764300000, &d);
	memset(&m, 0, sizeof(m));
	m.from_addr = "notices@example.org";
	m.to_addr = "alice@example.org";
	m.message_id = "<pb.1@example.org>";
	m.date = 1764300000;
	m.subject = field(&p, end);
	m.orig_message_id = field(&p, end);
	m.from_name = field(&p, end);
	m.text = field(&p, end);
	m.html = p < end ? field(&p, end) : NULL;
	buf_init(&b, 1 << 20);
	if (mailmsg_build(&b, &m, &why) != 0)
		abort();	/* valid addresses and room: must succeed */
	check(&b, m.html != NULL);
	buf_free(&b);
	free(copy);
	return 0;
}
