/* log.c - see log.h. */
#include "config.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",   [LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_NOTICE] = "notice", [LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

#define NLEVELS (sizeof level_names / sizeof level_names[0])

/* Is out the stream systemd connected to the journal?  JOURNAL_STREAM
 * ("DEV:INODE", systemd.exec(5)) is inherited by every child, so it is
 * compared with what out really is: a brokerd whose stderr a script
 * redirected to a file must not write "<N>" prefixes into that file. */
static int is_journal(FILE *out)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;
	int fd;

	if (!v || *v < '0' || *v > '9')
		return 0;
	dev = strtoull(v, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		return 0;
	ino = strtoull(end + 1, &end, 10);
	if (*end != '\0')
		return 0;
	fd = fileno(out);
	if (fd < 0 || fstat(fd, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(struct log *lg, enum log_level level, FILE *out)
{
	lg->level = level;
	lg->out = out ? out : stderr;
	lg->syslog = 0;
	lg->journal = is_journal(lg->out);
}

void log_to_syslog(struct log *lg, int facility)
{
	openlog("brokerd", LOG_PID | LOG_NDELAY, facility);
	lg->syslog = 1;
}

void log_close(struct log *lg)
{
	if (lg->syslog)
		closelog();
	lg->syslog = 0;
}

static int syslog_priority(enum log_level level)
{
	static const int prio[] = {
		[LOG_LEVEL_ERROR] = LOG_ERR,
		[LOG_LEVEL_WARNING] = LOG_WARNING,
		[LOG_LEVEL_NOTICE] = LOG_NOTICE,
		[LOG_LEVEL_INFO] = LOG_INFO,
		[LOG_LEVEL_DEBUG] = LOG_DEBUG,
	};

	return (unsigned)level < NLEVELS ? prio[level] : LOG_DEBUG;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < NLEVELS; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *log_level_name(enum log_level level)
{
	return (unsigned)level < NLEVELS ? level_names[level] : "?";
}

/* "2024-11-26T13:56:00.123Z" (UTC) into buf. */
static void format_time(char *buf, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, cap - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

void log_vmsg(const struct log *lg, enum log_level level, const char *prefix,
	      const char *fmt, va_list ap)
{
	char line[1024], when[40];
	int n;

	if (!lg || !log_enabled(lg, level))
		return;
	if (lg->syslog) {
		n = snprintf(line, sizeof line, "%s", prefix ? prefix : "");
		if (n >= 0 && (size_t)n < sizeof line)
			vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
		syslog(syslog_priority(level), "%s", line);
		return;
	}
	/* The journal stamps each line itself and reads its priority from
	 * a "<N>" prefix (sd-daemon(3)). */
	if (lg->journal)
		snprintf(when, sizeof when, "<%d>", syslog_priority(level));
	else
		format_time(when, sizeof when);
	n = snprintf(line, sizeof line, "%s%s%s: %s", when,
		     lg->journal ? "" : " ", log_level_name(level),
		     prefix ? prefix : "");
	if (n > 0 && (size_t)n < sizeof line)
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	/* The line is built first and written with one call, so lines from
	 * several processes sharing the stream do not interleave. */
	fprintf(lg->out, "%s\n", line);
}

void log_msg(const struct log *lg, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lg, level, NULL, fmt, ap);
	va_end(ap);
}
