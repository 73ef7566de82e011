/*
 * bc_loop.c - blocking mode: running the private event loop until a
 * condition holds, and the calls built directly on that (bc_run,
 * bc_break; bc_flush is in bc_flush.c).
 */
#include "config.h"

#include <event2/event.h>

#include "bc_client.h"
#include "bc_conn.h"
#include "bc_loop.h"
#include "clock.h"

int bc_can_block(const bc_client *c)
{
	if (!c->own_base || c->depth > 0 || c->loop_depth > 0)
		return BC_ERR_WOULDBLOCK;
	return BC_OK;
}

int bc_timeout(const bc_client *c, int timeout_ms)
{
	if (timeout_ms == BC_TIMEOUT_DEFAULT)
		return c->opts.timeout_ms;
	return timeout_ms < 0 ? BC_TIMEOUT_FOREVER : timeout_ms;
}

int bc_waiter_done(bc_client *c, void *waiter)
{
	(void)c;
	return ((struct bc_waiter *)waiter)->done;
}

static void set_flag(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Connected, connecting, or waiting to reconnect. */
static int is_live(const bc_client *c)
{
	return c->state == BC_STATE_CONNECTING ||
	       c->state == BC_STATE_CONNECTED || c->recon.reconnecting;
}

int bc_loop_until(bc_client *c, bc_pred pred, void *arg, int timeout_ms)
{
	struct timeval tv = clock_ms_tv(timeout_ms < 0 ? 0
						       : (uint64_t)timeout_ms);
	struct event *timer = NULL;
	int timed_out = 0, done = 0, rc = bc_can_block(c);

	if (rc != BC_OK)
		return rc;
	if (timeout_ms >= 0) {
		timer = evtimer_new(c->base, set_flag, &timed_out);
		if (!timer || evtimer_add(timer, &tv) != 0) {
			if (timer)
				event_free(timer);
			return BC_ERR_NOMEM;
		}
	}
	c->loop_depth++;
	while (!(done = pred(c, arg)) && !timed_out && !c->close_deferred &&
	       is_live(c)) {
		if (c->input_pending && !(c->break_req && c->in_run))
			bc_conn_resume(c);
		else if (event_base_loop(c->base, EVLOOP_ONCE) != 0)
			break;
	}
	c->loop_depth--;
	if (timer)
		event_free(timer);
	if (c->close_deferred) {
		bc_destroy(c);
		return BC_GONE;
	}
	if (done)
		return BC_OK;
	return timed_out ? BC_ERR_TIMEOUT : BC_ERR_CLOSED;
}

static int break_requested(bc_client *c, void *arg)
{
	(void)arg;
	return c->break_req;
}

int bc_run(bc_client *c, int timeout_ms)
{
	int rc;

	if (!c)
		return BC_ERR_INVALID;
	if ((rc = bc_can_block(c)) != BC_OK)
		return rc;
	if ((rc = bc_usable(c)) != BC_OK)
		return rc;
	c->in_run = 1;
	rc = bc_loop_until(c, break_requested, NULL, bc_timeout(c, timeout_ms));
	if (rc == BC_GONE)
		return BC_ERR_CLOSED;
	c->in_run = 0;
	if (rc == BC_OK)
		c->break_req = 0;
	return rc == BC_ERR_TIMEOUT ? BC_OK : rc;
}

int bc_break(bc_client *c)
{
	if (!c)
		return BC_ERR_INVALID;
	if (!c->own_base)
		return BC_ERR_WOULDBLOCK;
	c->break_req = 1;
	event_base_loopbreak(c->base);
	return BC_OK;
}
