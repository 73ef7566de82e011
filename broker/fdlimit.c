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
	if (rl.rlim_cur > (rlim_t)fl->before && setrlimit(RLIMIT_NOFILE,
							 &rl) == 0)
		fl->soft = (uint64_t)rl.rlim_cur;
}

uint32_t fdlimit_clients(const struct fdlimit *fl)
{
	if (fl->soft <= FDLIMIT_RESERVE)
		return 1;
	if (fl->soft - FDLIMIT_RESERVE > FDLIMIT_MAX_CLIENTS)
		return FDLIMIT_MAX_CLIENTS;
	return (uint32_t)(fl->soft - FDLIMIT_RESERVE);
}

enum fdlimit_verdict fdlimit_settle(const struct fdlimit *fl,
				    uint32_t *max_clients, char *why,
				    size_t n)
{
	uint32_t cap = fdlimit_clients(fl);
	unsigned long long fds = (unsigned long long)fl->soft;

	if (*max_clients == 0) {
		*max_clients = cap;
		snprintf(why, n, "max_clients %u (fd limit %llu minus %u "
			 "reserved%s)", cap, fds, FDLIMIT_RESERVE,
			 cap == FDLIMIT_MAX_CLIENTS ? ", at most 1000000" : "");
		return FDLIMIT_AUTO;
	}
	if (*max_clients <= cap) {
		snprintf(why, n, "max_clients %u (as configured; fd limit %llu "
			 "allows %u)", *max_clients, fds, cap);
		return FDLIMIT_AS_SET;
	}
	snprintf(why, n, "max_clients %u, lowered from the configured %u "
		 "(fd limit %llu minus %u reserved; raise the hard "
		 "RLIMIT_NOFILE, e.g. LimitNOFILE= in systemd)", cap,
		 *max_clients, fds, FDLIMIT_RESERVE);
	*max_clients = cap;
	return FDLIMIT_LOWERED;
}
