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

/*
 * trace_time_opt - a --since/--until argument ("@EPOCH",
 * "YYYY-MM-DD[THH:MM[:SS]][Z]", UTC) into *out; -1 and a message on
 * stderr when malformed.  Shared by trace and trace --store.
 */
int trace_time_opt(const char *arg, int64_t *out);

#endif
