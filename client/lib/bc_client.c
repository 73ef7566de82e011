/*
 * bc_client.c - the client handle: creating it in blocking or base mode,
 * closing it (also from inside callbacks), and the bookkeeping that makes
 * deferred freeing safe.
 *
 * c->depth counts library frames that may call user code (libevent
 * callbacks and completions); c->loop_depth is 1 while a blocking call
 * runs the private loop.  bc_close inside either only marks the client;
 * whoever unwinds last frees it (bc_leave or bc_loop_until).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "bc_backoff.h"
#include "bc_client.h"
#include "bc_conn.h"
#include "bc_error.h"
#include "bc_guard.h"
#include "bc_loop.h"
#include "bc_offline.h"
#include "bc_options.h"
#include "bc_pending.h"
#include "bc_reconnect.h"
#include "bc_request.h"
#include "bc_sub.h"
#include "clock.h"

void bc_enter(bc_client *c)
{
	c->depth++;
}

int bc_leave(bc_client *c)
{
	if (--c->depth == 0 && c->close_deferred && c->loop_depth == 0) {
		bc_destroy(c);
		return 1;
	}
	return 0;
}

void bc_set_state(bc_client *c, int state, int err)
{
	c->state = state == BC_STATE_RECONNECTED ? BC_STATE_CONNECTED : state;
	if (c->opts.state_cb)
		c->opts.state_cb(c, state, err, c->opts.state_arg);
}

int bc_usable(const bc_client *c)
{
	if (!c)
		return BC_ERR_INVALID;
	if (c->closing ||
	    (c->state != BC_STATE_CONNECTING &&
	     c->state != BC_STATE_CONNECTED && !c->recon.reconnecting))
		return BC_ERR_CLOSED;
	return BC_OK;
}

void bc_destroy(bc_client *c)
{
	bc_conn_destroy(c);
	bc_reconnect_free(c);
	bc_guard_free(c);
	bc_offline_free(c);
	bc_sub_table_free(&c->subs);
	bc_waits_cancel_all(&c->waits);
	bc_requests_free(&c->req);
	bc_options_clear(&c->opts);
	if (c->own_base)
		event_base_free(c->base);
	free(c);
}

static int client_new(bc_client **out, const bc_options *opts,
		      struct event_base *base)
{
	bc_client *c = calloc(1, sizeof *c);
	struct timeval tv;

	if (!c)
		return BC_ERR_NOMEM;
	bc_waits_init(&c->waits);
	bc_requests_init(&c->req);
	c->conn.sock = -1;
	c->max_payload = PROTO_ABS_MAX_PAYLOAD;
	if (bc_options_copy(&c->opts, opts) != BC_OK) {
		free(c);
		return BC_ERR_NOMEM;
	}
	c->own_base = base == NULL;
	c->base = base ? base : event_base_new();
	if (!c->base) {
		bc_options_clear(&c->opts);
		free(c);
		return BC_ERR_NOMEM;
	}
	tv = clock_ms_tv((uint64_t)c->opts.timeout_ms);
	c->waits.ack_tv = event_base_init_common_timeout(c->base, &tv);
	bc_random_bytes((uint8_t *)&c->recon.rng, sizeof c->recon.rng);
	if (bc_guard_init(c) != BC_OK || bc_offline_init(c) != BC_OK) {
		bc_destroy(c);
		return BC_ERR_NOMEM;
	}
	*out = c;
	return BC_OK;
}

/* Create and start; on failure report it (c valid only during the error
 * callback, where bc_close is ignored), copy its text to why[0..cap) (the
 * caller's; NULL: not wanted) and free c. */
static int client_start(bc_client **out, const bc_options *opts,
			struct event_base *base, char *why, size_t cap)
{
	char reason[BC_CONN_WHY_MAX];
	bc_client *c;
	int rc;

	*out = NULL;
	rc = client_new(&c, opts, base);
	if (rc != BC_OK)
		return rc;
	rc = bc_conn_start(c, reason, sizeof reason);
	if (rc != BC_OK) {
		c->no_handle = 1;
		bc_report_error(c, rc, 0, reason);
		if (why && cap)
			snprintf(why, cap, "%s", reason);
		bc_destroy(c);
		return rc;
	}
	*out = c;
	return BC_OK;
}

static int is_connected(bc_client *c, void *arg)
{
	(void)arg;
	return c->state == BC_STATE_CONNECTED;
}

/* The text for bc_connect_err: the attempt's "address: reason", else
 * the code's. */
static void set_why(char *why, size_t cap, const char *text, int rc)
{
	if (why && cap)
		snprintf(why, cap, "%s",
			 rc == BC_OK	 ? ""
			 : text && *text ? text
					 : bc_strerror(rc));
}

int bc_connect_err(bc_client **out, const bc_options *opts, char *why,
		   size_t cap)
{
	bc_client *c;
	int rc;

	set_why(why, cap, "", BC_OK);
	if (!out) {
		set_why(why, cap, "", BC_ERR_INVALID);
		return BC_ERR_INVALID;
	}
	*out = NULL;
	rc = client_start(&c, opts, NULL, why, cap);
	if (rc != BC_OK) {
		if (why && cap && !*why)
			set_why(why, cap, "", rc);
		return rc;
	}
	c->no_handle = 1;
	/* No timeout here: the connect deadline ends CONNECTING. */
	rc = bc_loop_until(c, is_connected, NULL, -1);
	c->no_handle = 0;
	if (rc != BC_OK) {
		rc = c->conn.lost_err ? c->conn.lost_err : BC_ERR_CONNECT;
		set_why(why, cap, c->conn.why, rc);
		bc_destroy(c);
		return rc;
	}
	*out = c;
	return BC_OK;
}

int bc_connect(bc_client **out, const bc_options *opts)
{
	return bc_connect_err(out, opts, NULL, 0);
}

int bc_connect_base(bc_client **out, const bc_options *opts,
		    struct event_base *base)
{
	if (!out || !base) {
		if (out)
			*out = NULL;
		return BC_ERR_INVALID;
	}
	return client_start(out, opts, base, NULL, 0);
}

static int output_written(bc_client *c, void *arg)
{
	(void)arg;
	return bc_conn_outbuf(c) == 0;
}

void bc_close(bc_client *c)
{
	if (!c || c->closing || c->no_handle)
		return;
	c->closing = 1;
	if (c->state == BC_STATE_CONNECTED) {
		if (bc_can_block(c) == BC_OK)
			bc_loop_until(c, output_written, NULL,
				      c->opts.close_timeout_ms);
		else if (!c->own_base)
			bc_conn_write_now(c);
	}
	bc_enter(c);
	c->recon.reconnecting = 0;
	bc_offline_clear(c);
	bc_pending_fail_all(c, &c->waits.acks, BC_ERR_CLOSED);
	bc_pending_fail_all(c, &c->waits.pongs, BC_ERR_CLOSED);
	bc_pending_fail_all(c, &c->waits.flushes, BC_ERR_CLOSED);
	bc_request_fail_all(c, BC_ERR_CLOSED);
	bc_set_state(c, BC_STATE_CLOSED, BC_OK);
	c->close_deferred = 1;
	bc_leave(c);
}

int bc_state(const bc_client *c)
{
	return c ? c->state : 0;
}

size_t bc_max_payload(const bc_client *c)
{
	return c ? (size_t)c->max_payload : 0;
}
