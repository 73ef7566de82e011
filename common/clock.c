/* clock.c - see clock.h. */
#include "config.h"

#include <time.h>

#include "clock.h"

uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t clock_mono_ms(void)
{
	return clock_mono_ns() / 1000000u;
}

struct timeval clock_ms_tv(uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000u),
			      (suseconds_t)(ms % 1000u) * 1000 };
	return tv;
}

struct timeval clock_ns_tv(uint64_t ns)
{
	struct timeval tv = { (time_t)(ns / 1000000000u),
			      (suseconds_t)(ns % 1000000000u / 1000u) };
	return tv;
}
