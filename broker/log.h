/*
 * log.h - leveled logging to a stream (stderr by default), one line per
 * event: "2024-11-26T13:56:00.123Z notice: text", or to syslog (no time
 * stamp there: syslog adds its own).  When the stream is the systemd
 * journal (JOURNAL_STREAM names it, see systemd.exec(5)), each line starts
 * with its syslog priority instead of a time stamp: "<5>notice: text", so
 * the journal records the priority (journalctl -p).
 *
 * The log context is a plain struct owned by whoever creates it (the broker)
 * and passed down; there is no global logger.  Nothing here allocates.
 */
#ifndef BROKERD_LOG_H
#define BROKERD_LOG_H

#include <stdarg.h>
#include <stdio.h>

/* Ordered from most to least severe; a message is written when its level is
 * <= the context's level.  (Not LOG_ERR & co: those are syslog's names.) */
enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

struct log {
	enum log_level level;
	FILE *out;   /* borrowed; never closed by this module */
	int syslog;  /* 1: lines go to syslog instead of out */
	int journal; /* 1: out is the journal: "<N>" prefix */
};

/* Set up lg to write messages up to `level` to out (stderr when NULL).
 * Whether out is the journal is decided here, once. */
void log_init(struct log *lg, enum log_level level, FILE *out);

/* Send lg's lines to syslog from now on, as "brokerd[PID]" with the given
 * facility (LOG_DAEMON, LOG_LOCAL0...).  (openlog's state lives in libc:
 * one syslog destination per process.) */
void log_to_syslog(struct log *lg, int facility);

/* Stop using syslog (closelog) if lg did; lines go to out again. */
void log_close(struct log *lg);

/* Parse "error", "warning", "notice", "info" or "debug".  Returns 0 and sets
 * *out, or -1 when s is not one of them. */
int log_level_parse(const char *s, enum log_level *out);

/* The name of a level ("error", ...), static storage. */
const char *log_level_name(enum log_level level);

/* Would a message at `level` be written?  Use it to skip building costly
 * arguments. */
static inline int log_enabled(const struct log *lg, enum log_level level)
{
	return level <= lg->level;
}

/* Write one line (a trailing newline is added).  lg may be NULL (no-op). */
void log_msg(const struct log *lg, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same, with a prefix written between the level and the text (e.g.
 * "client 7 127.0.0.1:51234: "); prefix may be NULL. */
void log_vmsg(const struct log *lg, enum log_level level, const char *prefix,
	      const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

#endif
