/*
 * cmd_notices.c - `plainbounce notices` lists the responder's outbox
 * (pending and leased notices by default, --dead for dead letters, --sent
 * for what went out), and `plainbounce resend ID` puts a dead (or sent)
 * notice back in the queue with its webhook-id, so a receiver that
 * deduplicates still sees it once.
 *
 * Reads the store named by the configuration; every value printed passes
 * through escape_display(), since error texts quote remote servers.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "escape.h"
#include "outbox.h"
#include "plainbounce.h"
#include "store.h"

/* show - print one value for a terminal, escaped */
static void
show(const char *s)
{
	struct buf b;

	buf_init(&b, 400);
	escape_display(&b, span_make(s ? s : "-", strlen(s ? s : "-")));
	fputs(buf_str(&b), stdout);
	buf_free(&b);
}

/* print_row - one outbox row on one line */
static int
print_row(const struct store_outbox_row *r, void *arg)
{
	char when[64];

	++*(int *)arg;
	outbox_format_time(r->next_attempt, when, sizeof(when));
	printf("%" PRId64 "\t%s\t", r->id, r->state);
	show(r->channel);
	putchar('\t');
	show(r->target);
	printf("\tevents=%" PRId64 "\tattempts=%" PRId64 "\tnext=%s\tid=",
	       r->nevents, r->attempts, when);
	show(r->webhook_id);
	fputs("\terror=", stdout);
	show(r->last_error);
	putchar('\n');
	return 0;
}

int
cmd_notices(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pending", no_argument, NULL, 'p' },
		{ "dead", no_argument, NULL, 'd' },
		{ "sent", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = NULL, *state = NULL;
	struct store *s;
	struct store_err err;
	int ch, n = 0, status = 0;

	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'p':
			state = NULL;
			break;
		case 'd':
			state = "dead";
			break;
		case 's':
			state = "sent";
			break;
		default:
			fputs("usage: plainbounce notices [-c FILE] [--pending | "
			      "--dead | --sent]\n", stderr);
			return PB_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs("usage: plainbounce notices [-c FILE] [--pending | --dead"
		      " | --sent]\n", stderr);
		return PB_EXIT_USAGE;
	}
	if ((s = cli_store_open(conf, STORE_READONLY, &status)) == NULL)
		return status;
	if (store_outbox_list(s, state, print_row, &n, &err) != STORE_OK) {
		fprintf(stderr, "plainbounce: store: %s\n", err.msg);
		store_close(s);
		return 1;
	}
	store_close(s);
	return n > 0 ? 0 : 1;
}

int
cmd_resend(int argc, char **argv)
{
	const char *conf = NULL;
	struct store *s;
	struct store_err err;
	char *end;
	long long id;
	int rc, status = 0;

	if (cli_conf_opt(argc, argv, &conf) < 0 || optind + 1 != argc) {
		fputs("usage: plainbounce resend [-c FILE] ID\n", stderr);
		return PB_EXIT_USAGE;
	}
	errno = 0;
	id = strtoll(argv[optind], &end, 10);
	if (errno || *end || end == argv[optind] || id <= 0) {
		fprintf(stderr, "plainbounce: resend: not a notice id\n");
		return PB_EXIT_USAGE;
	}
	if ((s = cli_store_open(conf, 0, &status)) == NULL)
		return status;
	rc = store_outbox_resend(s, (int64_t)id, (int64_t)time(NULL), &err);
	store_close(s);
	if (rc == STORE_NOTFOUND) {
		fprintf(stderr, "plainbounce: resend: no dead or sent notice "
			"%lld\n", id);
		return 1;
	}
	if (rc != STORE_OK) {
		fprintf(stderr, "plainbounce: store: %s\n", err.msg);
		return 1;
	}
	printf("notice %lld queued again\n", id);
	return 0;
}

/*
 * cmd_enable_endpoint - `plainbounce enable-endpoint NAME`: after a 410
 * Gone the endpoint stays disabled until the admin says it works again.
 */
int
cmd_enable_endpoint(int argc, char **argv)
{
	const char *conf = NULL;
	struct store *s;
	struct store_err err;
	int rc, status = 0;

	if (cli_conf_opt(argc, argv, &conf) < 0 || optind + 1 != argc ||
	    argv[optind][0] == '\0')
		goto usage;
	if ((s = cli_store_open(conf, 0, &status)) == NULL)
		return status;
	rc = store_endpoint_enable(s, argv[optind], &err);
	store_close(s);
	if (rc == STORE_NOTFOUND) {
		fprintf(stderr, "plainbounce: enable-endpoint: %s is not "
			"disabled\n", argv[optind]);
		return 1;
	}
	if (rc != STORE_OK) {
		fprintf(stderr, "plainbounce: store: %s\n", err.msg);
		return 1;
	}
	printf("webhook endpoint %s enabled again; notices that died while it "
	       "was disabled can be queued again with resend\n",
	       argv[optind]);
	return 0;
usage:
	fputs("usage: plainbounce enable-endpoint [-c FILE] NAME\n", stderr);
	return PB_EXIT_USAGE;
}
