/*
 * cmd_classify.c - `plainbounce classify`: what does this reply mean?
 *
 * Each TEXT argument, or with --tsv each stdin line
 * "status<TAB>dsn<TAB>text[<TAB>command]", is classified and answered by
 * one line "reason<TAB>actor<TAB>retry<TAB>sentence", or with --json by
 * one JSON object per line.  Input text is never echoed, so hostile
 * replies cannot reach the terminal.  A line that cannot be read is
 * reported on stderr with its number and answered as unknown, so output
 * lines stay in step with input lines.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "classify.h"
#include "plainbounce.h"

#define TSV_LINE_MAX (1024 * 1024)	/* longer lines are refused */

static const char usage_text[] =
    "usage: plainbounce classify [-c FILE] [--rules FILE] [--site-rules FILE]\n"
    "           [--json] [--status S] [--dsn X.Y.Z] [--code NNN]\n"
    "           [--command CMD] [--tried-for DURATION] TEXT...\n"
    "       plainbounce classify [-c FILE] [--rules FILE] [--json] --tsv\n"
    "  stdin lines for --tsv: status<TAB>dsn<TAB>text[<TAB>command]\n";

/* print_result - one answer line, TSV or JSON */
static void
print_result(const struct classifier *c, const struct classify_result *r,
	     int json)
{
	json_t *o;
	char *s;

	if (!json) {
		printf("%s\t%s\t%s\t%s\n", reason_name(r->reason),
		       actor_name(r->actor), r->retry ? "yes" : "no",
		       classify_sentence(r->reason));
		return;
	}
	o = json_object();
	json_object_set_new(o, "reason", json_string(reason_name(r->reason)));
	if (r->reason == REASON_DELIVERY_EXPIRED)
		json_object_set_new(o, "last_reason",
				    json_string(reason_name(r->last_reason)));
	json_object_set_new(o, "actor", json_string(actor_name(r->actor)));
	json_object_set_new(o, "retry", json_boolean(r->retry));
	json_object_set_new(o, "permanent", json_boolean(r->permanent));
	json_object_set_new(o, "explanation",
			    json_string(classify_sentence(r->reason)));
	if (r->retry_after >= 0)
		json_object_set_new(o, "retry_after",
				    json_integer(r->retry_after));
	if (r->tried_for >= 0)
		json_object_set_new(o, "tried_for", json_integer(r->tried_for));
	if (r->provider)
		json_object_set_new(o, "provider", json_string(r->provider));
	if (r->smtp_code)
		json_object_set_new(o, "smtp_code",
				    json_integer(r->smtp_code));
	if (r->dsn[0])
		json_object_set_new(o, "dsn", json_string(r->dsn));
	json_object_set_new(o, "stage",
			    json_string(classify_stage_name(r->stage)));
	json_object_set_new(o, "decided_by",
			    json_string(classify_via_name(r->via)));
	if (r->rule >= 0)
		json_object_set_new(o, "rule",
				    json_string(classify_rule_where(c,
								    r->rule)));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

/* tsv_field - cut the next tab-separated field off *p (NULL at the end) */
static char *
tsv_field(char **p)
{
	char *f = *p, *tab;

	if (f == NULL)
		return NULL;
	if ((tab = strchr(f, '\t')) != NULL) {
		*tab = '\0';
		*p = tab + 1;
	} else {
		*p = NULL;
	}
	return f;
}

/* run_tsv - classify every stdin line; 1 when some line was bad */
static int
run_tsv(const struct classifier *c, int json)
{
	char *line = NULL, *p, *status, *dsn, *text, *cmd;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int bad = 0;
	struct classify_input in;
	struct classify_result r;

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
				   line[len - 1] == '\r'))
			line[--len] = '\0';
		classify_input_init(&in);
		if ((size_t)len > TSV_LINE_MAX ||
		    memchr(line, '\0', (size_t)len) != NULL) {
			fprintf(stderr, "plainbounce: stdin:%zu: line too long "
				"or binary; answered as unknown\n", lineno);
			bad = 1;
			classify_reply(c, &in, &r);
			print_result(c, &r, json);
			continue;
		}
		p = line;
		status = tsv_field(&p);
		dsn = tsv_field(&p);
		text = tsv_field(&p);
		cmd = tsv_field(&p);
		if (text == NULL) {
			fprintf(stderr, "plainbounce: stdin:%zu: expected "
				"status<TAB>dsn<TAB>text; answered as "
				"unknown\n", lineno);
			bad = 1;
		} else {
			if (!classify_status_from_name(status, strlen(status),
						       &in.status)) {
				fprintf(stderr, "plainbounce: stdin:%zu: unknown "
					"status \"%.20s\" ignored\n", lineno,
					status);
				bad = 1;
			}
			in.dsn = span_make(dsn, strlen(dsn));
			in.text = span_make(text, strlen(text));
			if (cmd && !classify_stage_from_name(cmd, strlen(cmd),
							     &in.stage)) {
				fprintf(stderr, "plainbounce: stdin:%zu: unknown "
					"command \"%.20s\" ignored\n", lineno,
					cmd);
				bad = 1;
			}
		}
		classify_reply(c, &in, &r);
		print_result(c, &r, json);
	}
	free(line);
	if (ferror(stdin)) {
		fprintf(stderr, "plainbounce: reading stdin: %s\n",
			strerror(errno));
		return 1;
	}
	return bad;
}

/* load_classifier - from --rules/--site-rules, else the configuration */
static struct classifier *
load_classifier(const char *conf, const char *rules, const char *site,
		int *status)
{
	struct cfg cfg;
	struct buf why;
	struct classifier *c = NULL;
	int have_cfg = 0;

	buf_init(&why, 4096);
	if (conf || access(cfg_default_path(), F_OK) == 0) {
		if (cfg_load(&cfg, conf ? conf : cfg_default_path(), &why) < 0)
			goto fail;
		have_cfg = 1;
	} else {
		cfg_init(&cfg);
		have_cfg = 1;
	}
	c = classify_load(rules ? rules : cfg.classify_rules,
			  site ? site : cfg.classify_site_rules, &why);
	if (c == NULL)
		goto fail;
	cfg_free(&cfg);
	buf_free(&why);
	return c;
fail:
	fprintf(stderr, "plainbounce: %s\n", buf_str(&why));
	if (have_cfg)
		cfg_free(&cfg);
	buf_free(&why);
	*status = CFG_EX_CONFIG;
	return NULL;
}

int
cmd_classify(int argc, char **argv)
{
	const char *conf = NULL, *rules = NULL, *site = NULL;
	int ch, json = 0, tsv = 0, i, status = 0;
	struct classify_input in;
	struct classify_result r;
	struct classifier *c;
	char *end;
	long code;
	int64_t ms;
	static const struct option longopts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "site-rules", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "tsv", no_argument, NULL, 't' },
		{ "status", required_argument, NULL, 's' },
		{ "dsn", required_argument, NULL, 'd' },
		{ "code", required_argument, NULL, 'C' },
		{ "command", required_argument, NULL, 'm' },
		{ "tried-for", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	classify_input_init(&in);
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'r':
			rules = optarg;
			break;
		case 'S':
			site = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 't':
			tsv = 1;
			break;
		case 's':
			if (!classify_status_from_name(optarg, strlen(optarg),
						       &in.status)) {
				fprintf(stderr, "plainbounce: --status: expected "
					"sent, deferred, bounced or expired\n");
				return PB_EXIT_USAGE;
			}
			break;
		case 'd':
			in.dsn = span_make(optarg, strlen(optarg));
			break;
		case 'C':
			errno = 0;
			code = strtol(optarg, &end, 10);
			if (errno || *end || code < 200 || code > 599) {
				fprintf(stderr, "plainbounce: --code: expected "
					"a reply code such as 550\n");
				return PB_EXIT_USAGE;
			}
			in.smtp_code = (unsigned)code;
			break;
		case 'm':
			if (!classify_stage_from_name(optarg, strlen(optarg),
						      &in.stage)) {
				fprintf(stderr, "plainbounce: --command: expected "
					"CONN, HELO, EHLO, MAIL, RCPT or DATA\n");
				return PB_EXIT_USAGE;
			}
			break;
		case 'T':
			if ((ms = cfg_parse_duration(optarg)) < 0) {
				fprintf(stderr, "plainbounce: --tried-for: "
					"expected a duration such as 5d\n");
				return PB_EXIT_USAGE;
			}
			in.tried_for = ms / 1000;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return PB_EXIT_USAGE;
		}
	}
	if (tsv ? optind != argc : optind == argc) {
		fputs(usage_text, stderr);
		return PB_EXIT_USAGE;
	}
	if ((c = load_classifier(conf, rules, site, &status)) == NULL)
		return status;
	if (tsv) {
		status = run_tsv(c, json);
	} else {
		for (i = optind; i < argc; i++) {
			in.text = span_make(argv[i], strlen(argv[i]));
			classify_reply(c, &in, &r);
			print_result(c, &r, json);
		}
	}
	classify_free(c);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "plainbounce: writing output: %s\n",
			strerror(errno));
		return 1;
	}
	return status;
}
