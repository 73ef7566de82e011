/* sdnotify.c - see sdnotify.h. */
#include "config.h"

#include "sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"

/* $NOTIFY_SOCKET into n->addr.  0, or -1 when unusable. */
static int parse_socket(struct sdnotify *n, const char *path)
{
	size_t len = strlen(path);

	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof n->addr.sun_path)
		return -1;
	memset(&n->addr, 0, sizeof n->addr);
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, path, len);
	if (path[0] == '@')
		n->addr.sun_path[0] =
			0; /* abstract namespace, not terminated */
	n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				  (path[0] == '/'));
	return 0;
}

/* $WATCHDOG_USEC (when meant for this process) into n->watchdog_usec. */
static void parse_watchdog(struct sdnotify *n)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	char *end;
	unsigned long long v;

	if (!usec || !*usec)
		return;
	if (pid && *pid && strtol(pid, NULL, 10) != (long)getpid())
		return;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno || *end || v == 0) {
		log_msg(n->log, LOG_LEVEL_WARNING,
			"ignoring WATCHDOG_USEC='%s'", usec);
		return;
	}
	n->watchdog_usec = v;
}

void sdnotify_init(struct sdnotify *n, struct log *lg)
{
	const char *path = getenv("NOTIFY_SOCKET");

	memset(n, 0, sizeof *n);
	n->fd = -1;
	n->log = lg;
	if (!path || !*path)
		return;
	if (parse_socket(n, path) != 0) {
		log_msg(lg, LOG_LEVEL_WARNING, "ignoring NOTIFY_SOCKET='%s'",
			path);
		return;
	}
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd < 0) {
		log_msg(lg, LOG_LEVEL_WARNING, "NOTIFY_SOCKET: %s",
			strerror(errno));
		return;
	}
	n->open = 1;
	parse_watchdog(n);
}

void sdnotify_send(const struct sdnotify *n, const char *state)
{
	if (!n->open)
		return;
	if (sendto(n->fd, state, strlen(state), MSG_NOSIGNAL,
		   (const struct sockaddr *)&n->addr, n->addr_len) < 0)
		log_msg(n->log, LOG_LEVEL_DEBUG, "NOTIFY_SOCKET %s: %s", state,
			strerror(errno));
}

void sdnotify_reloading(const struct sdnotify *n)
{
	char msg[80];

	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)(clock_mono_ns() / 1000));
	sdnotify_send(n, msg);
}

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sdnotify_send(arg, "WATCHDOG=1");
}

int sdnotify_watchdog_start(struct sdnotify *n, struct event_base *base)
{
	uint64_t half = n->watchdog_usec / 2;
	struct timeval tv = clock_ns_tv(half * 1000);

	if (!n->open || n->watchdog_usec == 0)
		return 0;
	n->watchdog = event_new(base, -1, EV_PERSIST, watchdog_cb, n);
	if (!n->watchdog || event_add(n->watchdog, &tv) != 0)
		return -1;
	log_msg(n->log, LOG_LEVEL_INFO,
		"systemd watchdog: pinging every "
		"%llu ms",
		(unsigned long long)(half / 1000));
	return 0;
}

void sdnotify_free(struct sdnotify *n)
{
	if (n->watchdog)
		event_free(n->watchdog);
	n->watchdog = NULL;
	if (n->open)
		close(n->fd);
	n->open = 0;
	n->fd = -1;
}
