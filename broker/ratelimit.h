/*
 * ratelimit.h - a token bucket: `rate` tokens per second, at most `burst`
 * banked.  Pure arithmetic on a caller-supplied clock (milliseconds), so it
 * is testable without time passing.  No allocation, no global state.
 */
#ifndef BROKERD_RATELIMIT_H
#define BROKERD_RATELIMIT_H

#include <stdint.h>

struct ratelimit {
	uint64_t milli_tokens; /* tokens x 1000 */
	uint64_t last_ms;      /* clock at the last refill */
	int started;
};

/* A full bucket (filled at the first use). */
void ratelimit_init(struct ratelimit *rl);

/* Milliseconds until one token is available at time now_ms for a bucket of
 * rate/s (0: unlimited, always 0) and burst; 0 when one is there now. */
uint64_t ratelimit_wait_ms(struct ratelimit *rl, uint32_t rate, uint32_t burst,
			   uint64_t now_ms);

/* Take one token (call after ratelimit_wait_ms returned 0). */
void ratelimit_take(struct ratelimit *rl, uint32_t rate);

#endif
