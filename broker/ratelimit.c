/* ratelimit.c - see ratelimit.h. */
#include "config.h"

#include "ratelimit.h"

void ratelimit_init(struct ratelimit *rl)
{
	rl->milli_tokens = 0;
	rl->last_ms = 0;
	rl->started = 0;
}

/* Add the tokens earned since the last refill, capped at burst. */
static void refill(struct ratelimit *rl, uint32_t rate, uint32_t burst,
		   uint64_t now_ms)
{
	uint64_t cap = (uint64_t)burst * 1000;

	if (!rl->started) {
		rl->started = 1;
		rl->milli_tokens = cap;
	} else if (now_ms > rl->last_ms) {
		/* elapsed ms x rate/s = tokens x 1000; no overflow: the
		 * bucket is capped at every call */
		rl->milli_tokens += (now_ms - rl->last_ms) * rate;
	}
	if (rl->milli_tokens > cap)
		rl->milli_tokens = cap;
	rl->last_ms = now_ms;
}

uint64_t ratelimit_wait_ms(struct ratelimit *rl, uint32_t rate, uint32_t burst,
			   uint64_t now_ms)
{
	if (rate == 0)
		return 0;
	refill(rl, rate, burst ? burst : 1, now_ms);
	if (rl->milli_tokens >= 1000)
		return 0;
	/* ceil((1000 - have) / rate) ms for the missing part of a token */
	return (1000 - rl->milli_tokens + rate - 1) / rate;
}

void ratelimit_take(struct ratelimit *rl, uint32_t rate)
{
	if (rate == 0)
		return;
	rl->milli_tokens = rl->milli_tokens >= 1000 ? rl->milli_tokens - 1000
						    : 0;
}
