/*
 * webhook_sign.c - Standard Webhooks v1 signatures with OpenSSL.
 *
 * The MAC is computed over the three parts fed to one HMAC context in
 * order (id, ".", timestamp, ".", body), so the body is never copied and
 * the signed bytes are exactly the bytes the transport sends.
 */
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#include "webhook_sign.h"

#define SECRET_PREFIX "whsec_"

/* webhook_key_decode - base64 secret to key bytes, length checked */
int
webhook_key_decode(struct webhook_key *key, const char *secret,
		   const char **why)
{
	unsigned char tmp[(WEBHOOK_KEY_MAX + 2) / 3 * 3 + 3];
	size_t len, pad = 0;
	int n;

	memset(key, 0, sizeof(*key));
	if (strncmp(secret, SECRET_PREFIX, strlen(SECRET_PREFIX)) == 0)
		secret += strlen(SECRET_PREFIX);
	len = strlen(secret);
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof(tmp)) {
		*why = "secret is not base64 of 24 to 64 bytes";
		return -1;
	}
	if (secret[len - 1] == '=')
		pad++;
	if (len > 1 && secret[len - 2] == '=')
		pad++;
	/* EVP_DecodeBlock counts padding as zero bytes; pad is taken off */
	n = EVP_DecodeBlock(tmp, (const unsigned char *)secret, (int)len);
	if (n < 0 || (size_t)n < pad) {
		*why = "secret is not valid base64";
		return -1;
	}
	n -= (int)pad;
	if (n < WEBHOOK_KEY_MIN || n > WEBHOOK_KEY_MAX) {
		*why = "secret must decode to 24 to 64 bytes";
		return -1;
	}
	memcpy(key->k, tmp, (size_t)n);
	key->len = (size_t)n;
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
}

/* webhook_id_valid - the id goes into a header and into the MAC input */
int
webhook_id_valid(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++) {
		unsigned char c = (unsigned char)id[i];

		if (i >= WEBHOOK_ID_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return 0;
	}
	return i > 0;
}

/* webhook_sign - HMAC over id.ts.body, base64 with the v1 tag */
int
webhook_sign(const struct webhook_key *key, const char *id, int64_t ts,
	     const void *body, size_t len, char out[WEBHOOK_SIG_SIZE])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	char tsbuf[24], digest[] = "SHA256";
	OSSL_PARAM params[2];
	EVP_MAC *hmac;
	EVP_MAC_CTX *mac_ctx;
	int n, ok;

	out[0] = '\0';
	if (!webhook_id_valid(id) || ts < 0)
		return -1;
	n = snprintf(tsbuf, sizeof(tsbuf), "%lld", (long long)ts);
	if (n < 0 || (size_t)n >= sizeof(tsbuf))
		return -1;
	mac_ctx = NULL;
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (hmac != NULL)
		mac_ctx = EVP_MAC_CTX_new(hmac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = mac_ctx != NULL &&
	     EVP_MAC_init(mac_ctx, key->k, key->len, params) &&
	     EVP_MAC_update(mac_ctx, (const unsigned char *)id, strlen(id)) &&
	     EVP_MAC_update(mac_ctx, (const unsigned char *)".", 1) &&
	     EVP_MAC_update(mac_ctx, (const unsigned char *)tsbuf,
			    (size_t)n) &&
	     EVP_MAC_update(mac_ctx, (const unsigned char *)".", 1) &&
	     (len == 0 || EVP_MAC_update(mac_ctx, body, len)) &&
	     EVP_MAC_final(mac_ctx, mac, &maclen, sizeof(mac));
	EVP_MAC_CTX_free(mac_ctx);
	EVP_MAC_free(hmac);
	if (!ok || maclen != 32)
		return -1;
	memcpy(out, "v1,", 3);
	EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)maclen);
	return 0;
}
