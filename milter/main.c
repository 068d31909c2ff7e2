/*
 * main.c - plainbounce-milter: options, config, socket, store,
 * privileges, then libmilter's loop.
 *
 * Owns start-up and shutdown.  Guarantees: a bad configuration, socket or
 * store stops the program before it accepts a connection, with a clear
 * message; when started as root with milter.user set it opens the socket
 * and the store first and then runs as that user (Postfix style); on
 * SIGTERM (and, libmilter's choice, SIGHUP and SIGINT) it stops accepting,
 * lets the writer store what is queued, and exits 0.  Reloading the
 * configuration therefore means restarting the milter.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "milter.h"

static struct cfg cfg;
static struct milter_conf mconf;

/* usage - the synopsis, then exit 64 */
static void
usage(void)
{
	fputs("usage: plainbounce-milter [-f] [-n] [-c config]\n", stderr);
	exit(64);
}

/* socket_path - the file of a unix:/local: socket, or NULL for inet */
static const char *
socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

/* open_socket - listen where milter.socket says, with mode and group */
static void
open_socket(void)
{
	const char *path = socket_path(cfg.milter_socket);
	mode_t mode = (mode_t)strtol(cfg.milter_socket_mode, NULL, 8);
	mode_t old = umask(0177);	/* no wider than 0600 until chmod */
	struct group *gr;

	if (smfi_setconn(cfg.milter_socket) != MI_SUCCESS)
		log_fatal(CFG_EX_CONFIG, "milter.socket: cannot use \"%s\"",
			  cfg.milter_socket);
	if (smfi_register(milter_desc) != MI_SUCCESS)
		log_fatal(1, "smfi_register failed");
	if (smfi_opensocket(1) != MI_SUCCESS)
		log_fatal(1, "cannot listen on %s (is the directory there, "
			  "or another milter running?)", cfg.milter_socket);
	umask(old);
	if (path == NULL)
		return;
	if (*cfg.milter_socket_group) {
		if ((gr = getgrnam(cfg.milter_socket_group)) == NULL)
			log_fatal(CFG_EX_CONFIG, "milter.socket_group: no "
				  "group \"%s\"", cfg.milter_socket_group);
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0)
			log_fatal(1, "chown %s: %s", path, strerror(errno));
	}
	if (chmod(path, mode) < 0)
		log_fatal(1, "chmod %s: %s", path, strerror(errno));
}

/* main - options, config, socket, store, privileges, then smfi_main */
int
main(int argc, char **argv)
{
	const char *bad;
	int ch, rc;
	struct daemon_opts opt;
	struct store *store;
	struct store_err err;
	sigset_t set;

	daemon_opts_init(&opt);
	while ((ch = getopt(argc, argv, DAEMON_OPTSTRING)) != -1)
		if (!daemon_option(&opt, ch, optarg))
			usage();
	if (optind != argc)
		usage();
	log_init("plainbounce-milter", opt.foreground || opt.check);
	daemon_config(&cfg, opt.path);
	if (netaddr_list_init(&mconf.trusted, cfg.trusted_networks.v,
			      cfg.trusted_networks.n, &bad) < 0)
		log_fatal(CFG_EX_CONFIG, "trusted_networks: bad \"%s\"", bad);
	mconf.instance = cfg.milter_instance;
	/* names that only the system can check: fail now, not at start */
	if (*cfg.milter_socket_group && socket_path(cfg.milter_socket) &&
	    getgrnam(cfg.milter_socket_group) == NULL)
		log_fatal(CFG_EX_CONFIG, "milter.socket_group: no group \"%s\"",
			  cfg.milter_socket_group);
	daemon_user_check("milter.user", cfg.milter_user);
	if (opt.check) {
		printf("%s: configuration OK\n", opt.path);
		netaddr_list_free(&mconf.trusted);
		cfg_free(&cfg);
		return 0;
	}
	milter_callbacks_init(&mconf);
	open_socket();
	/*
	 * Open (create, migrate) the store while privileged and report any
	 * problem on the terminal; close it again, since an SQLite
	 * connection must not cross fork(), and reopen it as the final user
	 * in the final process.
	 */
	if (store_open(&store, cfg.store_path, (int)cfg.store_busy_timeout,
		       0, &err) != STORE_OK)
		log_fatal(1, "store: %s", err.msg);
	store_close(store);
	daemon_drop_root("milter.user", cfg.milter_user, cfg.store_path);
	if (!opt.foreground && daemon(0, 0) < 0)
		log_fatal(1, "daemon: %s", strerror(errno));
	if (store_open(&store, cfg.store_path, (int)cfg.store_busy_timeout,
		       0, &err) != STORE_OK)
		log_fatal(1, "store: %s", err.msg);
	/*
	 * libmilter waits for SIGHUP/SIGTERM/SIGINT in its own thread; block
	 * them here so the writer thread inherits the mask and a signal can
	 * never kill the process behind libmilter's back.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	writer_start(store, (size_t)cfg.milter_queue_size, 100);
	log_info("listening on %s for instance %s, store %s",
		 cfg.milter_socket, cfg.milter_instance, cfg.store_path);
	rc = smfi_main();
	log_info("stopping");
	writer_stop();
	store_close(store);
	netaddr_list_free(&mconf.trusted);
	cfg_free(&cfg);
	log_info("stopped");
	return rc == MI_SUCCESS ? 0 : 1;
}
