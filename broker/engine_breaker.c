/* engine_breaker.c - see engine_breaker.h. */
#include "config.h"

#include <stddef.h>

#include "engine_breaker.h"

void engine_breaker_init(struct breaker *b, unsigned threshold,
			 int64_t cooldown_ms)
{
	breaker_init(b, BREAKER_OPEN, threshold ? threshold : 1, cooldown_ms,
		     NULL, NULL);
	b->held = 1; /* the link is not up yet */
}

void engine_breaker_link(struct breaker *b, int up, int64_t now)
{
	b->held = !up;
	if (up)
		breaker_close(b); /* the handshake went through: the trial */
	else
		breaker_trip(b, now);
}

/* failed failures, at most the threshold (more change nothing). */
static void failures(struct breaker *b, uint64_t failed, int64_t now)
{
	for (uint64_t i = 0; i < failed && i < b->threshold; i++)
		breaker_failure(b, now);
}

void engine_breaker_record(struct breaker *b, uint64_t ok, uint64_t failed,
			   int last_ok, int64_t now)
{
	breaker_poll(b, now);
	if (last_ok) {
		failures(b, failed, now);
		if (ok)
			breaker_success(b);
	} else {
		if (ok)
			breaker_success(b);
		failures(b, failed, now);
	}
}
