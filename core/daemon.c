/*
 * daemon.c - the start-up the daemons (milter, watcher, responder) share:
 * their common options, loading the configuration, and giving up root.
 *
 * Owns nothing past start-up.  Guarantees: a bad configuration or an
 * unknown user stops the program with EX_CONFIG and a message naming the
 * setting; a failed chown or identity change stops it with 1; once
 * daemon_drop_root returns, root cannot be regained.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "daemon.h"
#include "log.h"

void
daemon_opts_init(struct daemon_opts *o)
{
	o->path = cfg_default_path();
	o->foreground = 0;
	o->check = 0;
}

int
daemon_option(struct daemon_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'c':
		o->path = arg;
		return 1;
	case 'f':
		o->foreground = 1;
		return 1;
	case 'n':
		o->check = 1;
		return 1;
	default:
		return 0;
	}
}

void
daemon_config(struct cfg *c, const char *path)
{
	struct buf why;

	buf_init(&why, 4096);
	if (cfg_load(c, path, &why) < 0)
		log_fatal(CFG_EX_CONFIG, "%s", buf_str(&why));
	buf_free(&why);
}

void
daemon_user_check(const char *key, const char *user)
{
	if (*user && getpwnam(user) == NULL)
		log_fatal(CFG_EX_CONFIG, "%s: no user \"%s\"", key, user);
}

void
daemon_drop_root(const char *key, const char *user, const char *store_path)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char file[4200];
	struct passwd *pw;
	size_t i;

	if (geteuid() != 0 || *user == '\0')
		return;
	if ((pw = getpwnam(user)) == NULL)
		log_fatal(CFG_EX_CONFIG, "%s: no user \"%s\"", key, user);
	/* the store files root just created must stay writable */
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(file, sizeof(file), "%s%s", store_path, suffix[i]);
		if (chown(file, pw->pw_uid, (gid_t)-1) < 0 && errno != ENOENT)
			log_fatal(1, "chown %s: %s", file, strerror(errno));
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		log_fatal(1, "cannot become %s: %s", pw->pw_name,
			  strerror(errno));
	if (setuid(0) == 0)
		log_fatal(1, "could regain root after dropping privileges");
}
