/*
 * daemon.h - the start-up the daemons (milter, watcher, responder) share:
 * their common options, loading the configuration, and giving up root.
 *
 * Every failure here stops the program through log_fatal before it serves
 * anything; nothing here runs after start-up.
 */
#ifndef PB_DAEMON_H
#define PB_DAEMON_H

#include "cfg.h"

/* The options every daemon takes; append a daemon's own letters to it. */
#define DAEMON_OPTSTRING "c:fn"

struct daemon_opts {
	const char *path;	/* -c FILE, else cfg_default_path() */
	int foreground;		/* -f: stay attached, log to stderr */
	int check;		/* -n: check the configuration, exit */
};

/* daemon_opts_init - the defaults, before the first daemon_option */
void daemon_opts_init(struct daemon_opts *o);

/*
 * daemon_option - take getopt's ch (with its arg) when it is one of
 * DAEMON_OPTSTRING's: 1 taken, 0 not ours (the caller's, or usage)
 */
int daemon_option(struct daemon_opts *o, int ch, const char *arg);

/* daemon_config - cfg_load path into c, or stop with EX_CONFIG and why */
void daemon_config(struct cfg *c, const char *path);

/*
 * daemon_user_check - stop with EX_CONFIG when user (the value of config
 * key) is set and the system does not know it
 */
void daemon_user_check(const char *key, const char *user);

/*
 * daemon_drop_root - when running as root and user is set, hand the store
 * files (store_path and its -wal, -shm) to user, then become user for
 * good; key names the setting in messages
 */
void daemon_drop_root(const char *key, const char *user,
		      const char *store_path);

#endif
