/* engine_breaker.c - see engine_breaker.h. */
#include "config.h"

#include "engine_breaker.h"

void engine_breaker_init(struct engine_breaker *b, unsigned threshold,
			 int64_t cooldown_ms)
{
	b->state = ENGINE_BRK_OPEN;
	b->threshold = threshold ? threshold : 1;
	b->cooldown_ms = cooldown_ms;
	b->failures = 0;
	b->open_until = 0;
	b->link_up = 0;
	b->trial = 0;
	b->opened = 0;
}

static void trip(struct engine_breaker *b, int64_t now)
{
	if (b->state != ENGINE_BRK_OPEN)
		b->opened++;
	b->state = ENGINE_BRK_OPEN;
	b->open_until = now + b->cooldown_ms;
	b->failures = 0;
	b->trial = 0;
}

void engine_breaker_link(struct engine_breaker *b, int up, int64_t now)
{
	b->link_up = up;
	if (!up) {
		trip(b, now);
		return;
	}
	/* a connection made is the trial: the handshake went through */
	b->state = ENGINE_BRK_CLOSED;
	b->failures = 0;
	b->trial = 0;
}

enum engine_brk_state engine_breaker_state(struct engine_breaker *b,
					   int64_t now)
{
	if (b->state == ENGINE_BRK_OPEN && b->link_up && now >= b->open_until) {
		b->state = ENGINE_BRK_HALF_OPEN;
		b->trial = 0;
	}
	return b->state;
}

int engine_breaker_allow(struct engine_breaker *b, int64_t now)
{
	switch (engine_breaker_state(b, now)) {
	case ENGINE_BRK_CLOSED:
		return 1;
	case ENGINE_BRK_HALF_OPEN:
		if (b->trial)
			return 0;
		b->trial = 1;
		return 1;
	default:
		return 0;
	}
}

static void failure(struct engine_breaker *b, int64_t now)
{
	if (b->state == ENGINE_BRK_HALF_OPEN ||
	    (b->state == ENGINE_BRK_CLOSED && ++b->failures >= b->threshold))
		trip(b, now);
}

static void success(struct engine_breaker *b)
{
	if (b->state == ENGINE_BRK_HALF_OPEN)
		b->state = ENGINE_BRK_CLOSED;
	b->failures = 0;
}

void engine_breaker_record(struct engine_breaker *b, uint64_t ok,
			   uint64_t failed, int last_ok, int64_t now)
{
	engine_breaker_state(b, now);
	if (last_ok) {
		for (uint64_t i = 0; i < failed && i < b->threshold; i++)
			failure(b, now);
		if (ok)
			success(b);
	} else {
		if (ok)
			success(b);
		for (uint64_t i = 0; i < failed && i < b->threshold; i++)
			failure(b, now);
	}
}

const char *engine_breaker_name(enum engine_brk_state s)
{
	switch (s) {
	case ENGINE_BRK_CLOSED:
		return "closed";
	case ENGINE_BRK_HALF_OPEN:
		return "half-open";
	default:
		return "open";
	}
}
