/*
 * plainbounce.c - the command line tool: a table of subcommands.
 *
 * Owns only the dispatch.  Every subcommand is a thin shell over core/
 * and lives in its own cmd_*.c file.
 */
#include <stdio.h>
#include <string.h>

#include "plainbounce.h"

static const struct command {
	const char *name;
	int (*run)(int, char **);
	const char *usage;
} commands[] = {
	{ "trace", cmd_trace,
	  "trace [--queue-id ID | --to A | --from A | --message-id ID |\n"
	  "                     --domain D] [--since T] [--until T] [--json]"
	  " [FILE...]\n"
	  "                     tell the story of each matching message" },
	{ "explain", cmd_explain,
	  "explain [--json] ['LOG LINE'...]   read log lines field by field" },
	{ "classify", cmd_classify,
	  "classify [--json] [--tsv | TEXT...] explain an SMTP reply" },
	{ "import", cmd_import,
	  "import [-c FILE] LOGFILE...        backfill the store (historical)" },
	{ "status", cmd_status,
	  "status [-c FILE]                   sources, lag, gaps, notices" },
	{ "config", cmd_config,
	  "config [-c FILE] [-n | --sample]   check or print configuration" },
	{ "notices", cmd_notices,
	  "notices [-c FILE] [--pending | --dead | --sent]   the outbox" },
	{ "resend", cmd_resend,
	  "resend [-c FILE] ID                 queue a dead notice again" },
	{ "enable-endpoint", cmd_enable_endpoint,
	  "enable-endpoint [-c FILE] NAME     a webhook disabled by 410 again" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* usage - the list of subcommands, on stderr */
static int
usage(void)
{
	size_t i;

	fputs("usage: plainbounce COMMAND [ARGS]\n", stderr);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(stderr, "  plainbounce %s\n", commands[i].usage);
	fputs("See plainbounce(1).\n", stderr);
	return PB_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage();
		return 0;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "plainbounce: unknown command \"%s\"\n", argv[1]);
	return usage();
}
