/*
 * bc_guard.c - the client's circuit breaker: the pure state machine of
 * common/breaker.c (outcomes as bc_breaker.c says) fed with the client's
 * clock, a timer that turns an open breaker half-open when its cool-down
 * ends (so the change is visible while the loop runs), the breaker
 * callback, and the rule for which calls it guards:
 *  - connected: a guarded call asks breaker_allow (in HALF_OPEN it may
 *    be the one trial);
 *  - not connected: guarded calls go ahead only while the breaker is
 *    CLOSED; the trial of a HALF_OPEN breaker is for the connect attempt.
 */
#include "config.h"

#include <event2/event.h>

#include "bc_client.h"
#include "bc_conn.h"
#include "bc_guard.h"
#include "clock.h"

/* The breaker's clock (it takes signed milliseconds). */
static int64_t now_ms(void)
{
	return (int64_t)clock_mono_ms();
}

static void arm(bc_client *c, int64_t ms)
{
	struct timeval tv = clock_ms_tv(ms > 0 ? (uint64_t)ms : 0);

	if (c->guard.ev)
		evtimer_add(c->guard.ev, &tv);
}

/* Every transition: re-arm the cool-down timer, tell the application.
 * Callers hold bc_enter, so bc_close inside the callback is deferred. */
static void changed(void *arg, enum breaker_state from, enum breaker_state to)
{
	bc_client *c = arg;

	if (to == BREAKER_OPEN)
		arm(c, breaker_wait_ms(&c->guard.breaker, now_ms()) + 1);
	else if (c->guard.ev)
		evtimer_del(c->guard.ev);
	if (c->opts.breaker_cb && !c->closing)
		c->opts.breaker_cb(c, from, to, c->opts.breaker_arg);
}

static void cooldown_cb(evutil_socket_t fd, short what, void *arg)
{
	bc_client *c = arg;

	(void)fd;
	(void)what;
	bc_enter(c);
	if (breaker_poll(&c->guard.breaker, now_ms()) == BREAKER_OPEN)
		arm(c, breaker_wait_ms(&c->guard.breaker, now_ms()) + 1);
	bc_leave(c);
}

int bc_guard_init(bc_client *c)
{
	breaker_init(&c->guard.breaker, BREAKER_CLOSED,
		     (unsigned)c->opts.breaker_threshold,
		     c->opts.breaker_cooldown_ms, changed, c);
	c->guard.ev = evtimer_new(c->base, cooldown_cb, c);
	return c->guard.ev ? BC_OK : BC_ERR_NOMEM;
}

void bc_guard_free(bc_client *c)
{
	if (c->guard.ev)
		event_free(c->guard.ev);
	c->guard.ev = NULL;
}

int bc_guard_enter(bc_client *c)
{
	int64_t now = now_ms();
	int ok;

	bc_enter(c);
	if (bc_conn_ready(c))
		ok = breaker_allow(&c->guard.breaker, now);
	else
		ok = breaker_poll(&c->guard.breaker, now) == BREAKER_CLOSED;
	if (bc_leave(c))
		return BC_GONE;
	if (c->closing)
		return BC_ERR_CLOSED;
	return ok ? BC_OK : BC_ERR_CIRCUIT_OPEN;
}

void bc_guard_result(bc_client *c, int err, int code)
{
	bc_breaker_record(&c->guard.breaker, bc_breaker_classify(err, code),
			  now_ms());
}

int64_t bc_guard_wait_ms(const bc_client *c)
{
	return breaker_wait_ms(&c->guard.breaker, now_ms());
}

int bc_guard_connect(bc_client *c)
{
	return breaker_allow(&c->guard.breaker, now_ms());
}

int bc_breaker_state(const bc_client *c)
{
	return c ? c->guard.breaker.state : 0;
}
