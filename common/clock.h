/*
 * clock.h - time helpers shared by the broker, the library, the tools and
 * the tests: a monotonic clock and milliseconds as a struct timeval (what
 * libevent's timers take).  Pure functions, no state, nothing allocated.
 */
#ifndef BROKER_COMMON_CLOCK_H
#define BROKER_COMMON_CLOCK_H

#include <stdint.h>
#include <sys/time.h>

/* CLOCK_MONOTONIC in nanoseconds / milliseconds (0 when it fails). */
uint64_t clock_mono_ns(void);
uint64_t clock_mono_ms(void);

/* ms milliseconds as a struct timeval. */
struct timeval clock_ms_tv(uint64_t ms);

/* ns nanoseconds as a struct timeval (rounded down to microseconds). */
struct timeval clock_ns_tv(uint64_t ns);

#endif
