/*
 * bc_loop.c - blocking mode: running the private event loop until a
 * condition holds, and the calls built directly on that (bc_run,
 * bc_break, bc_flush).
 */
#include "config.h"

#include <event2/event.h>

#include "bc_internal.h"

int bc_can_block(const bc_client *c)
{
	if (!c->own_base || c->depth > 0 || c->loop_depth > 0)
		return BC_ERR_WOULDBLOCK;
	return BC_OK;
}

int bc_timeout(const bc_client *c, int timeout_ms)
{
	return timeout_ms < 0 ? c->opts.timeout_ms : timeout_ms;
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
	       c->state == BC_STATE_CONNECTED || c->reconnecting;
}

int bc_loop_until(bc_client *c, bc_pred pred, void *arg, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
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
	rc = bc_loop_until(c, break_requested, NULL, timeout_ms);
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

static void flush_done(bc_client *c, struct bc_pending *p, int err)
{
	struct bc_waiter *w = p->arg;

	bc_guard_result(c, err, 0);
	w->done = 1;
	w->err = err;
}

static int is_ready(bc_client *c, void *arg)
{
	(void)arg;
	return bc_conn_ready(c);
}

/* PING, then wait for its PONG (the pending's own timer bounds it). */
static int ping_and_wait(bc_client *c, int timeout_ms)
{
	struct bc_waiter w = { 0, 0, NULL };
	uint8_t buf[16];
	struct bc_pending *p;
	int rc;

	p = bc_pending_add(c, &c->pongs, 0, timeout_ms, flush_done);
	if (!p)
		return BC_ERR_NOMEM;
	p->arg = &w;
	rc = bc_conn_send(c, buf, proto_enc_ping(buf, sizeof buf));
	if (rc != BC_OK) {
		bc_pending_cancel(p);
		return rc;
	}
	rc = bc_loop_until(c, bc_waiter_done, &w, -1);
	if (rc == BC_GONE)
		return BC_GONE;
	if (!w.done) {  /* the loop failed: w must not outlive this call */
		bc_pending_cancel(p);
		return rc;
	}
	return w.err;
}

int bc_flush(bc_client *c, int timeout_ms)
{
	int64_t deadline;
	int rc, ms;

	if ((rc = bc_usable(c)) != BC_OK)
		return rc;
	if ((rc = bc_can_block(c)) != BC_OK)
		return rc;
	ms = bc_timeout(c, timeout_ms);
	deadline = bc_now_ms() + ms;
	rc = bc_guard_enter(c);
	if (rc == BC_OK && !bc_conn_ready(c))  /* reconnecting: wait */
		rc = bc_loop_until(c, is_ready, NULL, ms);
	if (rc == BC_OK) {
		ms = (int)(deadline - bc_now_ms());
		rc = ping_and_wait(c, ms > 0 ? ms : 0);
	} else if (rc != BC_ERR_CIRCUIT_OPEN && rc != BC_GONE) {
		bc_guard_result(c, BC_ERR_INVALID, 0);  /* frees a trial */
	}
	return rc == BC_GONE ? BC_ERR_CLOSED : rc;
}
