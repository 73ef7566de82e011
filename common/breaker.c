/* breaker.c - the circuit breaker state machine; see breaker.h. */
#include "config.h"

#include <stddef.h>

#include "breaker.h"

static void set_state(struct breaker *b, enum breaker_state to)
{
	enum breaker_state from = b->state;

	if (from == to)
		return;
	b->state = to;
	if (b->fn)
		b->fn(b->arg, from, to);
}

void breaker_init(struct breaker *b, enum breaker_state state,
		  unsigned threshold, int64_t cooldown_ms, breaker_fn fn,
		  void *arg)
{
	b->state = state;
	b->threshold = threshold;
	b->cooldown_ms = cooldown_ms < 0 ? 0 : cooldown_ms;
	b->failures = 0;
	b->open_until = 0;
	b->trial = 0;
	b->held = 0;
	b->opened = 0;
	b->fn = fn;
	b->arg = arg;
}

enum breaker_state breaker_poll(struct breaker *b, int64_t now)
{
	if (b->state == BREAKER_OPEN && !b->held && now >= b->open_until) {
		b->trial = 0;
		set_state(b, BREAKER_HALF_OPEN);
	}
	return b->state;
}

int breaker_allow(struct breaker *b, int64_t now)
{
	switch (breaker_poll(b, now)) {
	case BREAKER_CLOSED:
		return 1;
	case BREAKER_HALF_OPEN:
		if (b->trial)
			return 0;
		b->trial = 1;
		return 1;
	default:
		return 0;
	}
}

void breaker_trip(struct breaker *b, int64_t now)
{
	if (b->state != BREAKER_OPEN)
		b->opened++;
	b->open_until = now + b->cooldown_ms;
	b->trial = 0;
	b->failures = 0;
	set_state(b, BREAKER_OPEN);
}

void breaker_close(struct breaker *b)
{
	b->failures = 0;
	b->trial = 0;
	set_state(b, BREAKER_CLOSED);
}

void breaker_failure(struct breaker *b, int64_t now)
{
	if (b->state == BREAKER_HALF_OPEN ||
	    (b->state == BREAKER_CLOSED && b->threshold &&
	     ++b->failures >= b->threshold))
		breaker_trip(b, now);
}

void breaker_success(struct breaker *b)
{
	if (b->state == BREAKER_HALF_OPEN)
		breaker_close(b);
	else
		b->failures = 0;
}

void breaker_neutral(struct breaker *b)
{
	if (b->state == BREAKER_HALF_OPEN)
		b->trial = 0;
}

int64_t breaker_wait_ms(const struct breaker *b, int64_t now)
{
	if (b->state != BREAKER_OPEN || now >= b->open_until)
		return 0;
	return b->open_until - now;
}

const char *breaker_name(enum breaker_state s)
{
	switch (s) {
	case BREAKER_CLOSED:
		return "closed";
	case BREAKER_OPEN:
		return "open";
	case BREAKER_HALF_OPEN:
		return "half-open";
	default:
		return "?";
	}
}
