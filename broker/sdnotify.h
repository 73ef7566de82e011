/*
 * sdnotify.h - the systemd notification protocol, without libsystemd: one
 * datagram per state change ("READY=1", "STOPPING=1", "RELOADING=1",
 * "WATCHDOG=1") to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or
 * an abstract name when it starts with '@').  When $NOTIFY_SOCKET is not
 * set every call is a no-op, so brokerd runs the same outside systemd.
 *
 * When $WATCHDOG_USEC is set (and $WATCHDOG_PID is unset or ours), a timer
 * sends WATCHDOG=1 every half of that interval while the loop runs.
 *
 * Ownership: the struct is embedded by its user (the broker); it owns its
 * socket and timer, released by sdnotify_free.  The log is borrowed.
 */
#ifndef BROKERD_SDNOTIFY_H
#define BROKERD_SDNOTIFY_H

#include <stdint.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"

struct event;
struct event_base;

struct sdnotify {
	int fd;	  /* valid when `open` */
	int open; /* 0: not under systemd (or zeroed) */
	struct sockaddr_un addr;
	socklen_t addr_len;
	uint64_t watchdog_usec; /* 0: no watchdog */
	struct event *watchdog; /* owned */
	struct log *log;	/* borrowed */
};

/* Read $NOTIFY_SOCKET and $WATCHDOG_USEC.  A malformed value is logged and
 * ignored.  Never fails. */
void sdnotify_init(struct sdnotify *n, struct log *lg);

/* Start the watchdog pings on base (when asked for).  0, or -1 when out of
 * memory. */
int sdnotify_watchdog_start(struct sdnotify *n, struct event_base *base);

/* Send one state string, e.g. "READY=1" (several lines allowed).  Errors
 * are logged at debug level only: the broker keeps working without. */
void sdnotify_send(const struct sdnotify *n, const char *state);

/* "RELOADING=1" with the MONOTONIC_USEC systemd wants alongside. */
void sdnotify_reloading(const struct sdnotify *n);

/* Close the socket and free the timer.  Safe on a zeroed struct. */
void sdnotify_free(struct sdnotify *n);

#endif
