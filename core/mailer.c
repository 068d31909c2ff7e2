/*
 * mailer.c - libcurl SMTP submission of one notice.
 *
 * A new easy handle per message keeps no state between notices; notices
 * are few, and a fresh session makes every failure local to one message.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailer.h"
#include "mailmsg.h"

struct upload {
	const char *p;
	size_t left;
};

/* mailer_conf_default - null sender, bounded waits */
void
mailer_conf_default(struct mailer_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->connect_timeout_ms = MAILER_DEF_CONNECT_MS;
	c->timeout_ms = MAILER_DEF_TIMEOUT_MS;
}

/* on_read - hand the message to libcurl in the pieces it asks for */
static size_t
on_read(char *dst, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t len = size * n;

	if (len > u->left)
		len = u->left;
	memcpy(dst, u->p, len);
	u->p += len;
	u->left -= len;
	return len;
}

/* fail - a result for a send that was not attempted */
static int
fail(struct mailer_result *r, const char *why)
{
	snprintf(r->error, sizeof(r->error), "%s", why);
	r->cls = RETRY_C_PERMANENT;
	return -1;
}

/* mailer_send - one SMTP transaction, classified */
int
mailer_send(const struct mailer_conf *c, const char *rcpt, const char *msg,
	    size_t len, struct mailer_result *r)
{
	char from[MAILMSG_ADDR_MAX + 3], to[MAILMSG_ADDR_MAX + 3];
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *rcpts;
	struct upload u = { msg, len };
	CURL *curl;
	CURLcode rc;
	int tls;

	memset(r, 0, sizeof(*r));
	if (c->relay_url == NULL ||
	    !(strncasecmp(c->relay_url, "smtp://", 7) == 0 ||
	      strncasecmp(c->relay_url, "smtps://", 8) == 0))
		return fail(r, "relay URL must be smtp:// or smtps://");
	if (c->envelope_from != NULL && c->envelope_from[0] != '\0' &&
	    !mailmsg_addr_valid(c->envelope_from))
		return fail(r, "invalid envelope sender");
	if (!mailmsg_addr_valid(rcpt))
		return fail(r, "invalid recipient address");
	snprintf(from, sizeof(from), "<%s>",
		 c->envelope_from != NULL ? c->envelope_from : "");
	snprintf(to, sizeof(to), "<%s>", rcpt);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return fail(r, "libcurl initialisation failed");
	if ((curl = curl_easy_init()) == NULL ||
	    (rcpts = curl_slist_append(NULL, to)) == NULL) {
		if (curl != NULL)
			curl_easy_cleanup(curl);
		curl_global_cleanup();
		snprintf(r->error, sizeof(r->error), "out of memory");
		r->cls = RETRY_C_TRANSIENT;
		return 0;
	}
	tls = c->starttls || strncasecmp(c->relay_url, "smtps://", 8) == 0;
	rc = CURLE_OK;
#define SET(opt, val) \
	do { if (rc == CURLE_OK) rc = curl_easy_setopt(curl, opt, val); } while (0)
	SET(CURLOPT_URL, c->relay_url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_USE_SSL, (long)(tls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file != NULL)
		SET(CURLOPT_CAINFO, c->ca_file);
	SET(CURLOPT_MAIL_FROM, from);
	SET(CURLOPT_MAIL_RCPT, rcpts);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, on_read);
	SET(CURLOPT_READDATA, &u);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, errbuf);
#undef SET
	if (rc == CURLE_OK)
		rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->smtp_code);
	curl_easy_cleanup(curl);
	curl_slist_free_all(rcpts);
	curl_global_cleanup();
	r->curl_code = (int)rc;
	if (rc != CURLE_OK)
		snprintf(r->error, sizeof(r->error), "%s",
			 errbuf[0] ? errbuf : curl_easy_strerror(rc));
	r->cls = retry_smtp_class((int)rc, r->smtp_code);
	return 0;
}
