/*
 * bc_flush.c - flushing: a PING after everything queued, completed by the
 * broker's PONG (the broker answers in order, so every earlier frame has
 * been processed by then).  bc_flush_async is the primitive; bc_flush
 * runs the private loop until it completes.
 *
 * While not connected a flush waits in c->waits.flushes, its PING
 * unsent, and moves to the PONG queue when a connection is ready, behind
 * the offline buffer.  Only a flush whose PING went out tells the circuit
 * breaker anything about the broker.
 */
#include "config.h"

#include "bc_client.h"
#include "bc_conn.h"
#include "bc_flush.h"
#include "bc_guard.h"
#include "bc_loop.h"
#include "bc_pending.h"

static void flush_done(bc_client *c, struct bc_pending *p, int err)
{
	/* Not on the wire: nothing was learnt (this frees a trial). */
	bc_guard_result(c, p->on_wire ? err : BC_ERR_INVALID, 0);
	p->ack(c, err, p->arg);
}

/* Queue p's PING.  BC_OK or BC_ERR_NOMEM / BC_ERR_CLOSED. */
static int send_ping(bc_client *c, struct bc_pending *p)
{
	uint8_t buf[16];
	int rc = bc_conn_send(c, buf, proto_enc_ping(buf, sizeof buf));

	if (rc == BC_OK)
		p->on_wire = 1;
	return rc;
}

/* Start a flush ending in cb(arg); *pp gets its wait. */
static int flush_start(bc_client *c, int timeout_ms, bc_ack_cb cb, void *arg,
		       struct bc_pending **pp)
{
	int ready, rc = bc_guard_enter(c);
	struct bc_pending *p;

	if (rc != BC_OK)
		return rc == BC_GONE ? BC_ERR_CLOSED : rc;
	ready = bc_conn_ready(c);
	p = bc_pending_add(c, ready ? &c->waits.pongs : &c->waits.flushes, 0,
			   bc_timeout(c, timeout_ms), flush_done);
	rc = !p ? BC_ERR_NOMEM : ready ? send_ping(c, p) : BC_OK;
	if (rc != BC_OK) {
		if (p)
			bc_pending_cancel(p);
		bc_guard_result(c, BC_ERR_INVALID, 0); /* frees a trial */
		return rc;
	}
	p->ack = cb;
	p->arg = arg;
	*pp = p;
	return BC_OK;
}

int bc_flush_async(bc_client *c, int timeout_ms, bc_ack_cb cb, void *arg)
{
	struct bc_pending *p;
	int rc = bc_usable(c);

	if (rc != BC_OK)
		return rc;
	if (!cb)
		return BC_ERR_INVALID;
	return flush_start(c, timeout_ms, cb, arg, &p);
}

void bc_flush_send_waiting(bc_client *c)
{
	while (!TAILQ_EMPTY(&c->waits.flushes) &&
	       c->state == BC_STATE_CONNECTED) {
		struct bc_pending *p = TAILQ_FIRST(&c->waits.flushes);

		bc_pending_move(p, &c->waits.pongs);
		if (send_ping(c, p) != BC_OK) /* fails p with the others */
			bc_conn_lost(c, BC_ERR_NOMEM, 0, "out of memory");
	}
}

static void wait_done(bc_client *c, int err, void *arg)
{
	struct bc_waiter *w = arg;

	(void)c;
	w->done = 1;
	w->err = err;
}

int bc_flush(bc_client *c, int timeout_ms)
{
	struct bc_waiter w = { 0, 0, NULL };
	struct bc_pending *p;
	int rc;

	if ((rc = bc_usable(c)) != BC_OK)
		return rc;
	if ((rc = bc_can_block(c)) != BC_OK)
		return rc;
	if ((rc = flush_start(c, timeout_ms, wait_done, &w, &p)) != BC_OK)
		return rc;
	/* The wait's own timer ends it, so no limit here. */
	rc = bc_loop_until(c, bc_waiter_done, &w, -1);
	if (rc == BC_GONE)
		return BC_ERR_CLOSED;
	if (!w.done) { /* the loop failed: w must not outlive this call */
		bc_pending_cancel(p);
		bc_guard_result(c, BC_ERR_INVALID, 0); /* frees a trial */
		return rc;
	}
	return w.err;
}
