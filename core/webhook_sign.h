/*
 * webhook_sign.h - Standard Webhooks signatures (v1, HMAC-SHA256).
 *
 * Owns the byte-exact signing rule of the Standard Webhooks specification:
 * the signed content is "<id>.<timestamp>.<body>", the MAC is HMAC-SHA256
 * keyed with the base64-decoded secret ("whsec_" prefix optional), and the
 * header value is "v1,<base64 MAC>".  Pure: no clock, no I/O.  Ids that
 * could not travel safely in an HTTP header are refused here, so no caller
 * can put CR or LF into a request through them.
 */
#ifndef PB_WEBHOOK_SIGN_H
#define PB_WEBHOOK_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_KEY_MIN	24	/* the spec's shortest secret, in bytes */
#define WEBHOOK_KEY_MAX	64	/* the spec's longest secret, in bytes */
#define WEBHOOK_ID_MAX	128	/* longest webhook-id we send */
#define WEBHOOK_SIG_SIZE 48	/* "v1," + 44 base64 chars + NUL */

struct webhook_key {
	unsigned char k[WEBHOOK_KEY_MAX];
	size_t len;
};

/*
 * webhook_key_decode - "whsec_<base64>" (or bare base64) into key bytes.
 * Returns 0, or -1 with a static reason in *why when the text is not
 * base64 or the key is shorter than 24 or longer than 64 bytes.
 */
int webhook_key_decode(struct webhook_key *key, const char *secret,
		       const char **why);

/* webhook_id_valid - 1..128 chars of [A-Za-z0-9_.-]: safe in a header */
int webhook_id_valid(const char *id);

/*
 * webhook_sign - write "v1,<base64 HMAC-SHA256(id.ts.body)>" into out
 * (at least WEBHOOK_SIG_SIZE bytes).  Returns 0, or -1 when the id is not
 * valid or the timestamp is negative.
 */
int webhook_sign(const struct webhook_key *key, const char *id, int64_t ts,
		 const void *body, size_t len, char out[WEBHOOK_SIG_SIZE]);

#endif
