/*
 * bc_subscribe.c - bc_subscribe / bc_unsubscribe: local checks, the SUB and
 * UNSUB frames, and what happens when the broker answers a SUB.
 */
#include "config.h"

#include <string.h>

#include "bc_client.h"
#include "bc_conn.h"
#include "bc_error.h"
#include "bc_loop.h"
#include "bc_pending.h"
#include "bc_sub.h"
#include "bc_subscribe.h"

static int send_unsub(bc_client *c, uint32_t sid)
{
	uint8_t buf[32];
	size_t n = proto_enc_unsub(buf, sizeof buf, 0, sid);

	if (!c->bev || c->state != BC_STATE_CONNECTED)
		return BC_OK; /* not connected: nothing to undo remotely */
	return n ? bc_conn_send(c, buf, n) : BC_ERR_INVALID;
}

/* The broker answered the SUB (or it timed out, or the link died).  A
 * rejected subscription is dropped; a timed-out one is also withdrawn at
 * the broker in case it arrives late.  When the connection dies first,
 * the subscription stays in the table (which outlives connections) and is
 * restored by the next connection; a blocking bc_subscribe then succeeds,
 * unless the client gave up reconnecting. */
static void sub_done(bc_client *c, struct bc_pending *p, int err)
{
	struct bc_waiter *w = p->arg;

	if (err == BC_ERR_CLOSED && w && c->recon.reconnecting)
		err = BC_OK;
	if (err == BC_OK || (!w && err == BC_ERR_CLOSED))
		goto out;
	if (bc_sub_remove(&c->subs, p->sid) == 0 && err == BC_ERR_TIMEOUT)
		send_unsub(c, p->sid);
	if (c->req.inbox_sid == p->sid)
		c->req.inbox_sid = 0;
	if (!w && (err == BC_ERR_SERVER || err == BC_ERR_FORBIDDEN))
		bc_report_error(c, err, c->srv_err.code, c->srv_err.reason);
	else if (!w && err == BC_ERR_TIMEOUT)
		bc_report_error(c, err, 0, "no answer to SUB");
out:
	if (w) {
		w->done = 1;
		w->err = err;
	}
}

static int check_sub_args(const bc_client *c, const char *pattern,
			  const char *queue, bc_msg_cb cb)
{
	int rc = bc_usable(c);

	if (rc != BC_OK)
		return rc;
	if (!pattern || !cb ||
	    proto_check_pattern(pattern, strlen(pattern)) != PROTO_OK_CODE)
		return BC_ERR_INVALID;
	if (queue && proto_check_name(queue, strlen(queue),
				      PROTO_E_BAD_QUEUE) != PROTO_OK_CODE)
		return BC_ERR_INVALID;
	return BC_OK;
}

/* Queue the SUB for s with a wait that ends in sub_done(w). */
static int send_sub(bc_client *c, const struct bc_sub *s, struct bc_waiter *w,
		    struct bc_pending **pp)
{
	uint8_t buf[PROTO_HDR_LEN + PROTO_MAX_TOPIC + PROTO_MAX_NAME + 160];
	uint64_t req_id = ++c->next_req_id;
	size_t n;
	int rc;

	/* Without options, the 5-element SUB every broker version knows. */
	if (s->has_opts)
		n = proto_enc_sub_opts(buf, sizeof buf, req_id, s->sid,
				       proto_cstr(s->pattern),
				       proto_cstr(s->queue), &s->opts);
	else
		n = proto_enc_sub(buf, sizeof buf, req_id, s->sid,
				  proto_cstr(s->pattern), proto_cstr(s->queue));

	if (n == 0)
		return BC_ERR_INVALID;
	c->wire_req_id = req_id;
	*pp = bc_pending_add(c, &c->waits.acks, req_id, c->opts.timeout_ms,
			     sub_done);
	if (!*pp)
		return BC_ERR_NOMEM;
	(*pp)->sid = s->sid;
	(*pp)->arg = w;
	rc = bc_conn_send(c, buf, n);
	if (rc != BC_OK)
		bc_pending_cancel(*pp);
	return rc;
}

/* Blocking mode: wait for sub_done.  Returns the outcome. */
static int wait_sub(bc_client *c, struct bc_waiter *w, struct bc_pending *p)
{
	int rc = bc_loop_until(c, bc_waiter_done, w, -1);

	if (rc == BC_GONE)
		return BC_ERR_CLOSED;
	if (!w->done) {
		uint32_t sid = p->sid;

		bc_pending_cancel(p);
		bc_sub_remove(&c->subs, sid);
		return rc;
	}
	return w->err;
}

int bc_subscribe_ex(bc_client *c, const char *pattern, const char *queue,
		    const bc_sub_options *so, bc_msg_cb cb, void *arg,
		    uint32_t *sid_out)
{
	struct bc_waiter w = { 0, 0, NULL };
	int blocking, rc = check_sub_args(c, pattern, queue, cb);
	struct bc_sub *s;
	struct bc_pending *p;
	uint32_t sid;

	if (rc != BC_OK)
		return rc;
	s = bc_sub_add(&c->subs, pattern, queue, so, cb, arg);
	if (!s)
		return BC_ERR_NOMEM;
	sid = s->sid;
	if (bc_conn_ready(c)) { /* else sent after the next WELCOME */
		blocking = bc_can_block(c) == BC_OK;
		rc = send_sub(c, s, blocking ? &w : NULL, &p);
		if (rc == BC_OK && blocking)
			rc = wait_sub(c, &w, p);
		else if (rc != BC_OK)
			bc_sub_remove(&c->subs, sid);
	}
	if (rc == BC_OK && sid_out)
		*sid_out = sid;
	return rc;
}

int bc_subscribe(bc_client *c, const char *pattern, const char *queue,
		 bc_msg_cb cb, void *arg, uint32_t *sid_out)
{
	return bc_subscribe_ex(c, pattern, queue, NULL, cb, arg, sid_out);
}

int bc_unsubscribe(bc_client *c, uint32_t sid)
{
	if (!c)
		return BC_ERR_INVALID;
	if (c->closing)
		return BC_ERR_CLOSED;
	if (bc_sub_remove(&c->subs, sid) != 0)
		return BC_ERR_NO_SUCH_SUB;
	if (sid == c->req.inbox_sid)
		c->req.inbox_sid = 0;
	return send_unsub(c, sid);
}

void bc_subscribe_revoked(bc_client *c, uint32_t sid)
{
	if (bc_sub_remove(&c->subs, sid) != 0)
		return;
	if (sid == c->req.inbox_sid)
		c->req.inbox_sid = 0; /* the next request subscribes again */
}

int bc_subscribe_async(bc_client *c, const char *pattern, bc_msg_cb cb,
		       void *arg, uint32_t *sid)
{
	struct bc_pending *p;
	struct bc_sub *s = bc_sub_add(&c->subs, pattern, NULL, NULL, cb, arg);
	int rc;

	if (!s)
		return BC_ERR_NOMEM;
	*sid = s->sid;
	if (!bc_conn_ready(c))
		return BC_OK; /* sent after the next WELCOME */
	rc = send_sub(c, s, NULL, &p);
	if (rc != BC_OK) {
		bc_sub_remove(&c->subs, *sid);
		*sid = 0;
	}
	return rc;
}

void bc_subscribe_restore(bc_client *c)
{
	struct bc_pending *p;

	for (size_t i = 0; i < c->subs.n; i++) {
		if (send_sub(c, c->subs.v[i], NULL, &p) != BC_OK) {
			bc_conn_lost(c, BC_ERR_NOMEM, 0,
				     "cannot restore subscriptions");
			return;
		}
	}
}
