/*
 * log.c - where diagnostics go: stderr in the foreground, syslog otherwise.
 *
 * Owns the program identity used in every line.  Guarantees one line per
 * call, with control characters from the message replaced so a hostile
 * value can never forge a second log line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "log.h"

static const char *log_ident = "plainbounce";
static int log_stderr = 1;

void
log_init(const char *ident, int to_stderr)
{
	log_ident = ident;
	log_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* emit - format once, neutralise control characters, write one line */
static void
emit(int prio, const char *grade, const char *fmt, va_list ap)
{
	char line[2048];
	char *p;

	vsnprintf(line, sizeof(line), fmt, ap);
	for (p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (log_stderr)
		fprintf(stderr, "%s: %s%s\n", log_ident, grade, line);
	else
		syslog(prio, "%s%s", grade, line);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_ERR, "error: ", fmt, ap);
	va_end(ap);
}

void
log_fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(status);
}

void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_CRIT, "panic: ", fmt, ap);
	va_end(ap);
	abort();
}
