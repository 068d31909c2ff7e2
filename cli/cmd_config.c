/*
 * cmd_config.c - `plainbounce config`: check a configuration file (-n) or
 * print the sample configuration generated from the key table.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "plainbounce.h"

int
cmd_config(int argc, char **argv)
{
	const char *path = cfg_default_path();
	int ch, sample = 0;
	struct cfg c;
	static const struct option longopts[] = {
		{ "sample", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "c:n", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			break;
		case 's':
			sample = 1;
			break;
		default:
			fputs("usage: plainbounce config [-c FILE] [-n | "
			      "--sample]\n", stderr);
			return PB_EXIT_USAGE;
		}
	}
	if (sample) {
		cfg_write_sample(stdout);
		return 0;
	}
	if (cli_config(&c, path) != 0)
		return CFG_EX_CONFIG;
	printf("%s: configuration OK\n", path);
	cfg_free(&c);
	return 0;
}
