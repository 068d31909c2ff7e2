/*
 * log.h - graded diagnostics for every plainbounce program.
 *
 * Grades follow Postfix's msg(3): info and warn report; fatal is for bad
 * configuration or start-up failure and exits with EX_CONFIG or 1; panic is
 * for a broken invariant (a bug) and aborts.  With log_init(.., 1) lines go
 * to stderr (foreground, as tests read them); otherwise to syslog under the
 * program's own name, with facility LOG_DAEMON so the watcher never reads
 * its own lines back from the mail log.
 */
#ifndef PB_LOG_H
#define PB_LOG_H

void log_init(const char *ident, int to_stderr);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_fatal(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void log_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
