/* bc_breaker.c - the circuit breaker state machine; see bc_breaker.h. */
#include "config.h"

#include <stddef.h>

#include "bc_breaker.h"
#include "brokerclient.h"

_Static_assert(BC_BRK_CLOSED == BC_BREAKER_CLOSED &&
		       BC_BRK_OPEN == BC_BREAKER_OPEN &&
		       BC_BRK_HALF_OPEN == BC_BREAKER_HALF_OPEN,
	       "breaker states must match the public values");

static void set_state(struct bc_breaker *b, int to)
{
	int from = b->state;

	if (from == to)
		return;
	b->state = to;
	if (b->fn)
		b->fn(b->arg, from, to);
}

void bc_breaker_init(struct bc_breaker *b, unsigned threshold,
		     int64_t cooldown_ms, bc_breaker_fn fn, void *arg)
{
	b->state = BC_BRK_CLOSED;
	b->threshold = threshold;
	b->cooldown_ms = cooldown_ms < 0 ? 0 : cooldown_ms;
	b->failures = 0;
	b->open_until = 0;
	b->trial = 0;
	b->fn = fn;
	b->arg = arg;
}

int bc_breaker_poll(struct bc_breaker *b, int64_t now)
{
	if (b->state == BC_BRK_OPEN && now >= b->open_until) {
		b->trial = 0;
		set_state(b, BC_BRK_HALF_OPEN);
	}
	return b->state;
}

int bc_breaker_allow(struct bc_breaker *b, int64_t now)
{
	switch (bc_breaker_poll(b, now)) {
	case BC_BRK_CLOSED:
		return 1;
	case BC_BRK_HALF_OPEN:
		if (b->trial)
			return 0;
		b->trial = 1;
		return 1;
	default:
		return 0;
	}
}

static void trip(struct bc_breaker *b, int64_t now)
{
	b->open_until = now + b->cooldown_ms;
	b->trial = 0;
	b->failures = 0;
	set_state(b, BC_BRK_OPEN);
}

void bc_breaker_record(struct bc_breaker *b, enum bc_outcome o, int64_t now)
{
	if (b->threshold == 0)
		return;
	switch (o) {
	case BC_OUTCOME_SUCCESS:
		b->failures = 0;
		b->trial = 0;
		set_state(b, BC_BRK_CLOSED);
		break;
	case BC_OUTCOME_FAILURE:
		if (b->state == BC_BRK_HALF_OPEN)
			trip(b, now);
		else if (b->state == BC_BRK_CLOSED &&
			 ++b->failures >= b->threshold)
			trip(b, now);
		/* OPEN: a late result of a call made before; no change. */
		break;
	case BC_OUTCOME_NEUTRAL:
		if (b->state == BC_BRK_HALF_OPEN)
			b->trial = 0;
		break;
	}
}

int64_t bc_breaker_wait_ms(const struct bc_breaker *b, int64_t now)
{
	if (b->state != BC_BRK_OPEN || now >= b->open_until)
		return 0;
	return b->open_until - now;
}

enum bc_outcome bc_breaker_classify(int err, int server_code)
{
	switch (err) {
	case BC_OK:
		return BC_OUTCOME_SUCCESS;
	case BC_ERR_CONNECT:
	case BC_ERR_TIMEOUT:
	case BC_ERR_PROTOCOL:
	case BC_ERR_NOT_BROKER:
	case BC_ERR_TLS: /* like a failed connect */
		return BC_OUTCOME_FAILURE;
	case BC_ERR_SERVER:
	case BC_ERR_HANDSHAKE:
		if (server_code >= 100 && server_code <= 199)
			return BC_OUTCOME_FAILURE;
		/* A handshake the broker broke off without an ERR (EOF,
		 * garbage) is its failure; codes 1..99 are ours. */
		if (err == BC_ERR_HANDSHAKE && server_code == 0)
			return BC_OUTCOME_FAILURE;
		return BC_OUTCOME_NEUTRAL;
	default:
		return BC_OUTCOME_NEUTRAL;
	}
}

const char *bc_breaker_name(int state)
{
	switch (state) {
	case BC_BRK_CLOSED:
		return "closed";
	case BC_BRK_OPEN:
		return "open";
	case BC_BRK_HALF_OPEN:
		return "half-open";
	default:
		return "?";
	}
}
