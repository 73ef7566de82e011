/* fdlimit.c - see fdlimit.h. */
#include "config.h"

#include "fdlimit.h"

#include <stdio.h>

#include <sys/resource.h>

/* Linux refuses a soft limit above fs.nr_open (1048576 by default) even
 * when the hard limit is unlimited: try that, then keep what we have. */
#define FDLIMIT_UNLIMITED_TRY (UINT64_C(1) << 20)

void fdlimit_raise(struct fdlimit *fl)
{
	struct rlimit rl;

	fl->soft = fl->before = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	fl->soft = fl->before = (uint64_t)rl.rlim_cur;
	if (rl.rlim_max == RLIM_INFINITY)
		rl.rlim_cur = (rlim_t)FDLIMIT_UNLIMITED_TRY;
	else
		rl.rlim_cur = rl.rlim_max;
	if (rl.rlim_cur > (rlim_t)fl->before &&
	    setrlimit(RLIMIT_NOFILE, &rl) == 0)
		fl->soft = (uint64_t)rl.rlim_cur;
}

uint64_t fdlimit_reserve(const struct fdlimit *fl)
{
	return fl->soft < 4 * FDLIMIT_RESERVE ? fl->soft / 4 : FDLIMIT_RESERVE;
}

uint32_t fdlimit_clients(const struct fdlimit *fl)
{
	uint64_t left = fl->soft - fdlimit_reserve(fl);

	if (left == 0)
		return 1;
	return left > FDLIMIT_MAX_CLIENTS ? FDLIMIT_MAX_CLIENTS
					  : (uint32_t)left;
}

enum fdlimit_verdict fdlimit_settle(const struct fdlimit *fl,
				    uint32_t *max_clients, char *why, size_t n)
{
	uint32_t cap = fdlimit_clients(fl);
	unsigned long long fds = (unsigned long long)fl->soft;
	unsigned long long kept = (unsigned long long)fdlimit_reserve(fl);

	if (*max_clients == 0) {
		*max_clients = cap;
		snprintf(why, n,
			 "max_clients %u (fd limit %llu minus %llu "
			 "reserved%s)",
			 cap, fds, kept,
			 cap == FDLIMIT_MAX_CLIENTS ? ", at most 1000000" : "");
		return FDLIMIT_AUTO;
	}
	if (*max_clients <= cap) {
		snprintf(why, n,
			 "max_clients %u (as configured; fd limit %llu "
			 "allows %u)",
			 *max_clients, fds, cap);
		return FDLIMIT_AS_SET;
	}
	snprintf(why, n,
		 "max_clients %u, lowered from the configured %u "
		 "(fd limit %llu minus %llu reserved; raise the hard "
		 "RLIMIT_NOFILE, e.g. LimitNOFILE= in systemd)",
		 cap, *max_clients, fds, kept);
	*max_clients = cap;
	return FDLIMIT_LOWERED;
}
