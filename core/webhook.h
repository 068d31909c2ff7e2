/*
 * webhook.h - deliver one notice by HTTPS POST, Standard Webhooks signed.
 *
 * Owns the HTTP side of a webhook notice: the request carries
 * Content-Type: application/json and the headers webhook-id (the caller's
 * stable id: the same on every retry), webhook-timestamp (the attempt's
 * time, given by the caller) and webhook-signature (v1, see
 * webhook_sign.h).  Guarantees: TLS peer and host name verification are
 * always on (a CA file may replace the system store, never disable it);
 * redirects are never followed; only https is spoken unless plain http is
 * explicitly allowed; proxy environment variables are ignored; connect and
 * total timeouts always apply; at most max_response bytes of the response
 * body are read, then the connection is dropped; the address actually
 * connected to is checked, so loopback, private, link-local, multicast and
 * other special-purpose destinations (also as IPv4-mapped IPv6) are refused
 * unless explicitly allowed, whatever name or IP spelling the URL used.
 * The outcome is classified by retry.h.  One client reuses its connection
 * between posts.
 */
#ifndef PB_WEBHOOK_H
#define PB_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "retry.h"

#define WEBHOOK_DEF_CONNECT_MS	5000
#define WEBHOOK_DEF_TIMEOUT_MS	20000
#define WEBHOOK_DEF_MAX_RESPONSE 4096
#define WEBHOOK_ERR_SIZE	256

struct webhook_conf {
	const char *url;
	const char *secret;	/* "whsec_<base64>", 24..64 bytes */
	const char *ca_file;	/* NULL: the system's CA store */
	long connect_timeout_ms;
	long timeout_ms;	/* the whole request */
	size_t max_response;	/* response body bytes kept */
	int allow_http;		/* permit http:// (loopback tests) */
	int allow_private;	/* permit loopback and private destinations */
};

struct webhook_result {
	int curl_code;		/* CURLcode; CURLE_OK when only the body was cut */
	long status;		/* HTTP status, 0 when none was read */
	enum retry_class cls;	/* retry_http_class() of the above */
	int64_t retry_after_ms;	/* the server's Retry-After, or -1 */
	size_t body_len;	/* response bytes kept */
	int body_capped;	/* the body was longer than max_response */
	char error[WEBHOOK_ERR_SIZE]; /* libcurl's words, or "" */
};

struct webhook_client;

/*
 * webhook_addr_blocked - 1 when sa is not a public unicast address:
 * IPv4 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24,
 * 192.0.2/24, 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24, 224/4
 * and above; IPv6 ::, ::1, fc00::/7, fe80::/10, ff00::/8, 2001:db8::/32,
 * and IPv4-mapped, -compatible or NAT64 (64:ff9b::/96) forms of blocked
 * IPv4.  Other address families are blocked.
 */
int webhook_addr_blocked(const struct sockaddr *sa);

/* webhook_conf_default - timeouts and cap at their defaults, rest empty */
void webhook_conf_default(struct webhook_conf *c);

/*
 * webhook_client_new - check the configuration (URL scheme, secret) and
 * prepare a reusable connection.  NULL with a static reason in *why.
 */
struct webhook_client *webhook_client_new(const struct webhook_conf *c,
					  const char **why);

/*
 * webhook_post - one attempt: sign id.ts.body and POST it.  The response
 * body (capped) is appended to resp when resp is not NULL.  Returns 0
 * when a result was obtained (see r->cls), -1 when the request could not
 * be made at all (invalid id; the reason is in r->error).
 */
int webhook_post(struct webhook_client *wc, const char *id, int64_t ts,
		 const void *body, size_t len, struct webhook_result *r,
		 struct buf *resp);

/* webhook_client_free - close the connection and forget the key */
void webhook_client_free(struct webhook_client *wc);

#endif
