/*
 * webhook.c - the libcurl side of a webhook notice.
 *
 * Every security-relevant libcurl option is set explicitly, even where the
 * library default is already safe, so a reader sees the whole policy here.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webhook.h"
#include "webhook_sign.h"
#include "xalloc.h"

struct webhook_client {
	CURL *curl;
	struct webhook_key key;
	size_t max_response;
	int allow_private;
	int refused;		/* a destination address was refused */
	/* per attempt */
	struct webhook_result *r;
	struct buf *resp;
	char retry_after[64];
	char errbuf[CURL_ERROR_SIZE];
};

/* webhook_conf_default - safe timeouts and cap */
void
webhook_conf_default(struct webhook_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->connect_timeout_ms = WEBHOOK_DEF_CONNECT_MS;
	c->timeout_ms = WEBHOOK_DEF_TIMEOUT_MS;
	c->max_response = WEBHOOK_DEF_MAX_RESPONSE;
}

/* v4_blocked - the IPv4 special-purpose ranges, address in host order */
static int
v4_blocked(uint32_t a)
{
	static const struct {
		uint32_t net, mask;
	} r[] = {
		{ 0x00000000, 0xff000000 },	/* 0/8 "this network" */
		{ 0x0a000000, 0xff000000 },	/* 10/8 */
		{ 0x64400000, 0xffc00000 },	/* 100.64/10 CGN */
		{ 0x7f000000, 0xff000000 },	/* 127/8 loopback */
		{ 0xa9fe0000, 0xffff0000 },	/* 169.254/16 link-local */
		{ 0xac100000, 0xfff00000 },	/* 172.16/12 */
		{ 0xc0000000, 0xffffff00 },	/* 192.0.0/24 */
		{ 0xc0000200, 0xffffff00 },	/* 192.0.2/24 TEST-NET-1 */
		{ 0xc0a80000, 0xffff0000 },	/* 192.168/16 */
		{ 0xc6120000, 0xfffe0000 },	/* 198.18/15 benchmarking */
		{ 0xc6336400, 0xffffff00 },	/* 198.51.100/24 TEST-NET-2 */
		{ 0xcb007100, 0xffffff00 },	/* 203.0.113/24 TEST-NET-3 */
		{ 0xe0000000, 0xe0000000 },	/* 224/3: multicast, reserved */
	};
	size_t i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if ((a & r[i].mask) == r[i].net)
			return 1;
	return 0;
}

/* webhook_addr_blocked - is this destination outside the public Internet */
int
webhook_addr_blocked(const struct sockaddr *sa)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	static const unsigned char compat[12] = { 0 };
	static const unsigned char nat64[12] = {
		0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0
	};
	const unsigned char *b;
	uint32_t v4;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return v4_blocked(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family != AF_INET6)
		return 1;
	b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
	     (uint32_t)b[14] << 8 | b[15];
	/* ::/96 holds :: and ::1 too, both blocked as 0/8 */
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, compat, 12) == 0 ||
	    memcmp(b, nat64, 12) == 0)
		return v4_blocked(v4);
	return (b[0] & 0xfe) == 0xfc ||			/* fc00::/7 */
	       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||	/* fe80::/10 */
	       b[0] == 0xff ||					/* ff00::/8 */
	       (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d &&
		b[3] == 0xb8);					/* 2001:db8::/32 */
}

/* on_socket - the last look at where libcurl is about to connect */
static curl_socket_t
on_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct webhook_client *wc = arg;

	(void)purpose;
	if (!wc->allow_private && webhook_addr_blocked(&a->addr)) {
		wc->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

/* on_body - keep up to max_response bytes, then stop the transfer */
static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct webhook_client *wc = arg;
	size_t len = size * n, room;

	room = wc->max_response - wc->r->body_len;
	if (len > room) {
		if (wc->resp != NULL)
			buf_add(wc->resp, p, room);
		wc->r->body_len += room;
		wc->r->body_capped = 1;
		return 0;	/* CURLE_WRITE_ERROR: the rest is not read */
	}
	if (wc->resp != NULL)
		buf_add(wc->resp, p, len);
	wc->r->body_len += len;
	return len;
}

/* on_header - remember the last response's Retry-After */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	static const char name[] = "retry-after:";
	struct webhook_client *wc = arg;
	size_t len = size * n, i = sizeof(name) - 1, j = 0;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
		wc->retry_after[0] = '\0';	/* a new response begins */
	if (len < i || strncasecmp(p, name, i) != 0)
		return len;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	while (i < len && p[i] != '\r' && p[i] != '\n' &&
	       j + 1 < sizeof(wc->retry_after))
		wc->retry_after[j++] = p[i++];
	wc->retry_after[j] = '\0';
	return len;
}

/* webhook_client_new - the fixed part of every request */
struct webhook_client *
webhook_client_new(const struct webhook_conf *c, const char **why)
{
	struct webhook_client *wc;
	CURLcode rc;

	if (c->url == NULL || (strncasecmp(c->url, "https://", 8) != 0 &&
	    !(c->allow_http && strncasecmp(c->url, "http://", 7) == 0))) {
		*why = "webhook URL must be https://";
		return NULL;
	}
	if (c->connect_timeout_ms <= 0 || c->timeout_ms <= 0 ||
	    c->max_response == 0) {
		*why = "webhook timeouts and response cap must be positive";
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*why = "libcurl initialisation failed";
		return NULL;
	}
	wc = xcalloc(1, sizeof(*wc));
	if (c->secret == NULL || webhook_key_decode(&wc->key, c->secret,
						    why) != 0) {
		if (c->secret == NULL)
			*why = "webhook secret missing";
		webhook_client_free(wc);
		return NULL;
	}
	wc->max_response = c->max_response;
	wc->allow_private = c->allow_private;
	wc->curl = curl_easy_init();
	if (wc->curl == NULL) {
		*why = "libcurl handle allocation failed";
		webhook_client_free(wc);
		return NULL;
	}
	rc = CURLE_OK;
#define SET(opt, val) \
	do { if (rc == CURLE_OK) rc = curl_easy_setopt(wc->curl, opt, val); } while (0)
	SET(CURLOPT_URL, c->url);
	SET(CURLOPT_PROTOCOLS_STR, c->allow_http ? "http,https" : "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_MAXREDIRS, 0L);
	SET(CURLOPT_PROXY, "");		/* no proxy, whatever the env says */
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->ca_file != NULL)
		SET(CURLOPT_CAINFO, c->ca_file);
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, "plainbounce-webhook/1");
	SET(CURLOPT_ERRORBUFFER, wc->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, wc);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, wc);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_OPENSOCKETFUNCTION, on_socket);
	SET(CURLOPT_OPENSOCKETDATA, wc);
#undef SET
	if (rc != CURLE_OK) {
		*why = "libcurl lacks a required option (7.85 or later needed)";
		webhook_client_free(wc);
		return NULL;
	}
	return wc;
}

/* webhook_post - one signed attempt, classified */
int
webhook_post(struct webhook_client *wc, const char *id, int64_t ts,
	     const void *body, size_t len, struct webhook_result *r,
	     struct buf *resp)
{
	char sig[WEBHOOK_SIG_SIZE], lines[5][WEBHOOK_ID_MAX + 64];
	struct curl_slist *hdrs = NULL, *h;
	int i;
	int64_t ra;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
	if (webhook_sign(&wc->key, id, ts, body, len, sig) != 0) {
		snprintf(r->error, sizeof(r->error), "invalid webhook id");
		r->cls = RETRY_C_PERMANENT;
		return -1;
	}
	/* id is [A-Za-z0-9_.-], ts digits, sig base64: nothing to escape */
	snprintf(lines[0], sizeof(lines[0]), "Content-Type: application/json");
	snprintf(lines[1], sizeof(lines[1]), "webhook-id: %s", id);
	snprintf(lines[2], sizeof(lines[2]), "webhook-timestamp: %lld",
		 (long long)ts);
	snprintf(lines[3], sizeof(lines[3]), "webhook-signature: %s", sig);
	snprintf(lines[4], sizeof(lines[4]), "Expect:");  /* no 100-continue */
	for (i = 0; i < 5; i++) {
		if ((h = curl_slist_append(hdrs, lines[i])) == NULL) {
			curl_slist_free_all(hdrs);
			snprintf(r->error, sizeof(r->error), "out of memory");
			r->cls = RETRY_C_TRANSIENT;
			return 0;
		}
		hdrs = h;
	}
	wc->r = r;
	wc->resp = resp;
	wc->retry_after[0] = '\0';
	wc->errbuf[0] = '\0';
	wc->refused = 0;
	curl_easy_setopt(wc->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(wc->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(wc->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)len);
	rc = curl_easy_perform(wc->curl);
	curl_easy_getinfo(wc->curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_setopt(wc->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(wc->curl, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hdrs);
	wc->r = NULL;
	wc->resp = NULL;
	/* a body cut by our own cap is a complete answer */
	if (rc == CURLE_WRITE_ERROR && r->body_capped && r->status != 0)
		rc = CURLE_OK;
	r->curl_code = (int)rc;
	if (rc != CURLE_OK)
		snprintf(r->error, sizeof(r->error), "%s",
			 wc->errbuf[0] ? wc->errbuf : curl_easy_strerror(rc));
	r->cls = retry_http_class((int)rc, r->status);
	if (wc->refused && rc == CURLE_COULDNT_CONNECT) {
		/* the endpoint resolves only to addresses we refuse: that is
		 * configuration, not a passing failure */
		snprintf(r->error, sizeof(r->error), "destination address is "
			 "loopback, private or reserved: refused");
		r->cls = RETRY_C_PERMANENT;
	}
	if (wc->retry_after[0] != '\0' &&
	    retry_after_parse(wc->retry_after, ts, &ra) == 0)
		r->retry_after_ms = ra * 1000;
	return 0;
}

/* webhook_client_free - release the handle and wipe the key */
void
webhook_client_free(struct webhook_client *wc)
{
	if (wc == NULL)
		return;
	if (wc->curl != NULL)
		curl_easy_cleanup(wc->curl);
	OPENSSL_cleanse(&wc->key, sizeof(wc->key));
	free(wc);
	curl_global_cleanup();
}
