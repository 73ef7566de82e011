/*
 * bc_reconnect.c - staying connected: whether to try again after a lost
 * connection or a failed attempt, when (exponential backoff with jitter,
 * never before the circuit breaker's cool-down ends), where (the next
 * address of the options, in turn), and moving away from a broker that
 * announced lame-duck mode.
 *
 * Counting: c->recon.attempts is the number of failed attempts in a row.
 * After a lost connection it is 0 and the first attempt is immediate; attempt
 * n + 1 waits bc_backoff_delay(n).  The first connect gives up after
 * opts.connect_retries retries, later ones after opts.max_reconnect failed
 * attempts (-1: never).  An attempt blocked by an open breaker touches no
 * socket and is not counted: it is simply re-armed for the cool-down's
 * end.
 */
#include "config.h"

#include <stdio.h>

#include <event2/event.h>

#include "bc_backoff.h"
#include "bc_client.h"
#include "bc_conn.h"
#include "bc_guard.h"
#include "bc_pending.h"
#include "bc_reconnect.h"
#include "bc_request.h"
#include "clock.h"

int bc_reconnect_wanted(bc_client *c, int was_connected)
{
	int limit;

	c->recon.reconnecting = 0;
	if (c->closing || c->recon.fatal)
		return 0;
	if (was_connected)
		c->recon.attempts = 0;
	else
		c->recon.attempts++;
	if (!c->recon.ever_connected) {
		limit = c->opts.connect_retries;
		if (limit >= 0 && c->recon.attempts > limit)
			return 0;
	} else {
		limit = c->opts.max_reconnect;
		if (!c->opts.reconnect ||
		    (limit >= 0 && c->recon.attempts > limit))
			return 0;
	}
	c->recon.reconnecting = 1;
	return 1;
}

static void arm(bc_client *c, int64_t ms)
{
	struct timeval tv = clock_ms_tv(ms > 0 ? (uint64_t)ms : 0);

	evtimer_add(c->recon.retry_ev, &tv);
}

/* The retry timer: start the next attempt, unless the breaker says no. */
static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	bc_client *c = arg;
	char reason[256];
	int rc;

	(void)fd;
	(void)what;
	bc_enter(c);
	if (!c->recon.reconnecting || c->closing ||
	    c->state != BC_STATE_DISCONNECTED)
		goto out;
	if (!bc_guard_connect(c)) {
		int64_t wait = bc_guard_wait_ms(c);

		arm(c, wait > 0 ? wait : 1);
		goto out;
	}
	bc_set_state(c, BC_STATE_CONNECTING, BC_OK);
	if (c->closing)
		goto out;
	rc = bc_conn_start(c, reason, sizeof reason);
	if (rc != BC_OK)
		bc_conn_lost(c, rc, 0, reason);
out:
	bc_leave(c);
}

int bc_reconnect_schedule(bc_client *c)
{
	const struct bc_options *o = &c->opts;
	int64_t delay = 0, wait;

	if (!c->recon.retry_ev) {
		c->recon.retry_ev = evtimer_new(c->base, retry_cb, c);
		if (!c->recon.retry_ev)
			return BC_ERR_NOMEM;
	}
	c->recon.srv_idx = (c->recon.srv_idx + 1) % o->nservers;
	if (c->recon.attempts > 0)
		delay = bc_backoff_delay(c->recon.attempts,
					 o->backoff_initial_ms,
					 o->backoff_max_ms, o->backoff_mult,
					 o->jitter, &c->recon.rng);
	wait = bc_guard_wait_ms(c);
	arm(c, wait > delay ? wait : delay);
	return BC_OK;
}

void bc_reconnect_done(bc_client *c)
{
	c->recon.attempts = 0;
	c->recon.reconnecting = 0;
	c->recon.ever_connected = 1;
	if (c->recon.retry_ev)
		evtimer_del(c->recon.retry_ev);
}

/* Leave the current broker on purpose: what was sent is answered (the
 * PONG came), so nothing is failed but stragglers, and no error is
 * reported. */
static void switch_server(bc_client *c)
{
	bc_conn_free(c);
	c->recon.draining = 0;
	c->state = BC_STATE_DISCONNECTED;
	bc_pending_fail_all(c, &c->waits.pongs, BC_ERR_CLOSED);
	bc_pending_fail_upto(c, &c->waits.acks, c->wire_req_id, BC_ERR_CLOSED);
	bc_request_fail_upto(c, c->wire_req_id, BC_ERR_CLOSED);
	c->recon.attempts = 0;
	c->recon.reconnecting = 1;
	bc_set_state(c, BC_STATE_DISCONNECTED, BC_OK);
	if (!c->closing && bc_reconnect_schedule(c) != BC_OK)
		bc_conn_lost(c, BC_ERR_NOMEM, 0, "out of memory");
	bc_conn_drained(c); /* the old output is gone */
}

static void drained(bc_client *c, struct bc_pending *p, int err)
{
	(void)p;
	/* CLOSED: the connection went first; bc_conn_lost took over. */
	if (err == BC_ERR_CLOSED || !c->recon.draining ||
	    c->state != BC_STATE_CONNECTED || c->closing)
		return;
	switch_server(c);
}

void bc_reconnect_lame_duck(bc_client *c)
{
	uint8_t buf[16];
	struct bc_pending *p;

	if (!c->opts.reconnect || c->opts.nservers < 2 || c->recon.draining ||
	    c->state != BC_STATE_CONNECTED || c->closing)
		return;
	p = bc_pending_add(c, &c->waits.pongs, 0, c->opts.timeout_ms, drained);
	if (!p)
		return;
	if (bc_conn_send(c, buf, proto_enc_ping(buf, sizeof buf)) != BC_OK) {
		bc_pending_cancel(p);
		return;
	}
	c->recon.draining = 1;
}

void bc_reconnect_free(bc_client *c)
{
	if (c->recon.retry_ev)
		event_free(c->recon.retry_ev);
	c->recon.retry_ev = NULL;
}

int bc_server(const bc_client *c, const char **host, int *port)
{
	const struct bc_server *s;

	if (!c)
		return BC_ERR_INVALID;
	s = &c->opts.servers[c->recon.srv_idx];
	if (host)
		*host = s->host;
	if (port)
		*port = s->port;
	return BC_OK;
}
