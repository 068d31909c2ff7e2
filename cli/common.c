/*
 * common.c - what several subcommands do alike: read a lone -c FILE
 * option, load the configuration, open the configured store.
 *
 * Owns no state.  Guarantees: a failure is said once on stderr, prefixed
 * "plainbounce: ", and comes back as the exit status the subcommand
 * returns (CFG_EX_CONFIG for the configuration, 1 for the store).
 */
#include <stdio.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "plainbounce.h"
#include "store.h"

int
cli_conf_opt(int argc, char **argv, const char **conf)
{
	int ch;

	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch != 'c')
			return -1;
		*conf = optarg;
	}
	return 0;
}

int
cli_config(struct cfg *c, const char *path)
{
	struct buf why;
	int status = 0;

	buf_init(&why, 4096);
	if (cfg_load(c, path, &why) < 0) {
		fprintf(stderr, "plainbounce: %s\n", buf_str(&why));
		status = CFG_EX_CONFIG;
	}
	buf_free(&why);
	return status;
}

struct store *
cli_store_open(const char *conf, int flags, int *status)
{
	struct cfg cfg;
	struct store *s = NULL;
	struct store_err err;

	*status = cli_config(&cfg, conf ? conf : cfg_default_path());
	if (*status == 0 && store_open(&s, cfg.store_path,
				       (int)cfg.store_busy_timeout, flags,
				       &err) != STORE_OK) {
		fprintf(stderr, "plainbounce: store: %s\n", err.msg);
		*status = 1;
		s = NULL;
	}
	cfg_free(&cfg);
	return s;
}
