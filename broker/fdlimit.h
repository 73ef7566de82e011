/*
 * fdlimit.h - how many clients the file descriptor limit allows.
 *
 * At start brokerd raises its soft RLIMIT_NOFILE to the hard limit (as
 * Redis and nats-server do): the soft default (often 1024) would otherwise
 * cap the broker far below what the system grants.  max_clients then
 * defaults to that limit minus FDLIMIT_RESERVE descriptors kept for
 * everything that is not a client, and an explicit max_clients the limit
 * cannot hold is lowered to it with a warning (not refused: a broker that
 * starts with fewer slots serves its clients; one that refuses to start
 * serves none).
 *
 * Pure functions over a struct fdlimit the caller owns; only fdlimit_raise
 * touches the process.
 */
#ifndef BROKERD_FDLIMIT_H
#define BROKERD_FDLIMIT_H

#include <stddef.h>
#include <stdint.h>

/* Descriptors kept for what is not a client: stdio, the log, up to 16
 * listeners, the event base (epoll, signal pipe, timers), the spare
 * descriptor for EMFILE, the pidfile, sd_notify, the config file read on
 * reload, and connections being closed (refused or evicted) that still
 * hold theirs for a moment.  A limit under 4 x FDLIMIT_RESERVE (a test, a
 * tiny container) keeps a quarter of it instead, so it still serves. */
#define FDLIMIT_RESERVE 64u

/* Ceiling of the automatic max_clients (the largest value max_clients
 * accepts). */
#define FDLIMIT_MAX_CLIENTS 1000000u

struct fdlimit {
	uint64_t soft;	 /* the soft limit in force (after fdlimit_raise) */
	uint64_t before; /* the soft limit found at start */
};

/* Raise the soft RLIMIT_NOFILE to the hard limit (an unlimited hard limit:
 * as far as the kernel allows) and record the result in *fl.  Never
 * fails: when raising is refused the limit found is kept. */
void fdlimit_raise(struct fdlimit *fl);

/* The descriptors fl keeps for what is not a client (see
 * FDLIMIT_RESERVE). */
uint64_t fdlimit_reserve(const struct fdlimit *fl);

/* The clients fl allows: soft - fdlimit_reserve, at least 1, at most
 * FDLIMIT_MAX_CLIENTS. */
uint32_t fdlimit_clients(const struct fdlimit *fl);

enum fdlimit_verdict {
	FDLIMIT_AUTO,	 /* max_clients was 0 (not set): derived */
	FDLIMIT_AS_SET,	 /* the configured value fits */
	FDLIMIT_LOWERED, /* the configured value did not fit: lowered */
};

/* Settle *max_clients (0: not set) against fl and write one line saying
 * the figure in force and why into why[0..n) (e.g. "max_clients 19936 (fd
 * limit 20000 minus 64 reserved)"). */
enum fdlimit_verdict fdlimit_settle(const struct fdlimit *fl,
				    uint32_t *max_clients, char *why, size_t n);

#endif
