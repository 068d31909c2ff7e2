/*
 * null_milter.c - a milter that records nothing, for bench/b_milter.sh.
 *
 * It negotiates exactly what plainbounce-milter negotiates (skipped steps,
 * no replies before end of message) and does no work, so the benchmark can
 * split the cost of a milter into Postfix's and libmilter's share (this
 * program) and plainbounce's own share (the difference to it).
 * usage: null_milter unix:/path
 */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <sys/stat.h>

/* null_negotiate - the same protocol options as plainbounce-milter */
static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
	       unsigned long f2, unsigned long f3, unsigned long *pf0,
	       unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f0;
	(void)f2;
	(void)f3;
	*pf0 = 0;
	*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NOBODY | SMFIP_NODATA |
		     SMFIP_NOUNKNOWN | SMFIP_NR_CONN | SMFIP_NR_MAIL |
		     SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

/* null_connect - nothing to remember */
static sfsistat
null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_NOREPLY;
}

/* null_env - MAIL and RCPT: nothing to remember */
static sfsistat
null_env(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_NOREPLY;
}

/* null_header - nothing to remember */
static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_NOREPLY;
}

/* null_eoh - nothing to do */
static sfsistat
null_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_NOREPLY;
}

/* null_eom - accept, like plainbounce-milter */
static sfsistat
null_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static struct smfiDesc null_desc = {
	.xxfi_name = "null",
	.xxfi_version = SMFI_VERSION,
	.xxfi_connect = null_connect,
	.xxfi_envfrom = null_env,
	.xxfi_envrcpt = null_env,
	.xxfi_header = null_header,
	.xxfi_eoh = null_eoh,
	.xxfi_eom = null_eom,
	.xxfi_negotiate = null_negotiate,
};

/* main - listen on argv[1] and answer every message with CONTINUE */
int
main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: null_milter unix:/path\n", stderr);
		return 64;
	}
	umask(0);		/* Postfix's processes must reach the socket */
	if (smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_register(null_desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "null_milter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
