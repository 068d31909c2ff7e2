/*
 * plainbounce.h - the subcommands of the plainbounce command line tool.
 *
 * Each subcommand lives in its own cli/cmd_NAME.c, takes argv with argv[0]
 * being its own name, and returns the process exit status: 0 success,
 * 1 "nothing matched" or a per-item failure, 2 usage, 78 bad config.
 */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <stdint.h>

#define PB_EXIT_USAGE 2

int cmd_config(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_notices(int argc, char **argv);
int cmd_resend(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_trace_store(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_enable_endpoint(int argc, char **argv);

struct cfg;
struct store;
struct store_trace_query;

/*
 * cli_conf_opt - getopt for a subcommand whose one option is -c FILE:
 * *conf = FILE when given; 0, or -1 on any other option (usage)
 */
int cli_conf_opt(int argc, char **argv, const char **conf);

/* cli_config - cfg_load path into c: 0, or CFG_EX_CONFIG after saying why */
int cli_config(struct cfg *c, const char *path);

/*
 * cli_store_open - the store the configuration conf (NULL: the default
 * file) names, opened with store_open flags; NULL after saying why, with
 * *status the exit status to return
 */
struct store *cli_store_open(const char *conf, int flags, int *status);

/* The filter options of trace and trace --store, for their longopts. */
#define TRACE_FILTER_LONGOPTS \
	{ "queue-id", required_argument, NULL, 'q' }, \
	{ "to", required_argument, NULL, 't' }, \
	{ "from", required_argument, NULL, 'f' }, \
	{ "message-id", required_argument, NULL, 'm' }, \
	{ "domain", required_argument, NULL, 'd' }, \
	{ "since", required_argument, NULL, 's' }, \
	{ "until", required_argument, NULL, 'u' }

/*
 * trace_filter_opt - take getopt_long's ch (a TRACE_FILTER_LONGOPTS
 * letter) and its arg into q, so trace and trace --store read filters
 * alike: --domain may start with '@'; --since/--until are "@EPOCH" or
 * "YYYY-MM-DD[THH:MM[:SS]][Z]" (UTC).  1 taken, 0 not a filter option,
 * -1 a malformed time (said on stderr).
 */
int trace_filter_opt(int ch, const char *arg, struct store_trace_query *q);

#endif
