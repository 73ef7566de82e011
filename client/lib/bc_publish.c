/*
 * bc_publish.c - publishing: fire-and-forget, acknowledged, and blocking
 * acknowledged, with local checks (topic syntax, payload size) and bounded
 * output buffering.  Acknowledged publishes go through the circuit
 * breaker and report their outcome to it.
 */
#include "config.h"

#include <string.h>

#include "bc_client.h"
#include "bc_conn.h"
#include "bc_guard.h"
#include "bc_loop.h"
#include "bc_pending.h"
#include "bc_publish.h"

/* Is topic valid?  Publishers mostly repeat one topic, so the last valid
 * one is remembered and a repeat costs a memcmp instead of a check. */
static int topic_ok(bc_client *c, const char *topic)
{
	struct bc_topic_cache *tc = &c->topic_cache;
	size_t len = strlen(topic);

	if (len == tc->len && memcmp(topic, tc->topic, len) == 0)
		return 1;
	if (proto_check_topic(topic, len) != PROTO_OK_CODE)
		return 0;
	memcpy(tc->topic, topic, len); /* valid: len <= PROTO_MAX_TOPIC */
	tc->len = len;
	return 1;
}

int bc_publish_check(bc_client *c, const char *topic, const void *data,
		     size_t len, const char *reply_to)
{
	int rc = bc_usable(c);

	if (rc != BC_OK)
		return rc;
	if (!topic || (!data && len) || !topic_ok(c, topic))
		return BC_ERR_INVALID;
	if (reply_to &&
	    proto_check_topic(reply_to, strlen(reply_to)) != PROTO_OK_CODE)
		return BC_ERR_INVALID;
	if (len > c->max_payload)
		return BC_ERR_TOO_LARGE;
	return BC_OK;
}

/* While not connected the offline buffer has its own limits. */
static int has_room(bc_client *c, void *arg)
{
	(void)arg;
	return !bc_conn_ready(c) || bc_conn_outbuf(c) < c->opts.max_outbuf;
}

int bc_publish_room(bc_client *c)
{
	int rc;

	if (has_room(c, NULL))
		return BC_OK;
	if (bc_can_block(c) != BC_OK) {
		bc_conn_want_drain(c); /* the drain callback tells when */
		return BC_ERR_WOULDBLOCK;
	}
	rc = bc_loop_until(c, has_room, NULL, c->opts.timeout_ms);
	if (rc == BC_GONE)
		return BC_GONE;
	return rc;
}

/* Checks, room, then the frame. */
static int publish(bc_client *c, uint64_t req_id, const char *topic,
		   const void *data, size_t len, const char *reply_to)
{
	int rc = bc_publish_check(c, topic, data, len, reply_to);

	if (rc == BC_OK)
		rc = bc_publish_room(c);
	if (rc == BC_OK)
		rc = bc_conn_send_pub(c, req_id, topic, reply_to, data, len, 0);
	return rc;
}

int bc_publish(bc_client *c, const char *topic, const void *data, size_t len)
{
	int rc = publish(c, 0, topic, data, len, NULL);

	return rc == BC_GONE ? BC_ERR_CLOSED : rc;
}

static void ack_done(bc_client *c, struct bc_pending *p, int err)
{
	/* Only a PUB that asked (bc_publish_request) gets this ERR; the
	 * broker is fine, so the breaker hears a success. */
	if (err == BC_ERR_SERVER && c->srv_err.code == PROTO_E_NO_RESPONDERS)
		err = BC_ERR_NO_RESPONDERS;
	bc_guard_result(c, err == BC_ERR_NO_RESPONDERS ? BC_OK : err,
			err == BC_ERR_SERVER ? c->srv_err.code : 0);
	p->ack(c, err, p->arg);
}

/* Publish with a wait for OK/ERR that ends in fn.  *pp gets the wait. */
static int publish_acked(bc_client *c, const char *topic, const void *data,
			 size_t len, const char *reply_to, int timeout_ms,
			 uint8_t flags, bc_pending_fn fn,
			 struct bc_pending **pp)
{
	int rc = bc_publish_check(c, topic, data, len, reply_to);
	uint64_t req_id;

	if (rc == BC_OK)
		rc = bc_publish_room(c);
	if (rc == BC_OK)
		rc = bc_guard_enter(c);
	if (rc != BC_OK)
		return rc;
	req_id = ++c->next_req_id;
	*pp = bc_pending_add(c, &c->waits.acks, req_id, timeout_ms, fn);
	rc = *pp ? bc_conn_send_pub(c, req_id, topic, reply_to, data, len,
				    flags)
		 : BC_ERR_NOMEM;
	if (rc != BC_OK) {
		if (*pp)
			bc_pending_cancel(*pp);
		bc_guard_result(c, BC_ERR_INVALID, 0); /* frees a trial */
	}
	return rc;
}

/* An acknowledged publish ending in cb(arg), with PUB flags. */
static int publish_cb(bc_client *c, const char *topic, const void *data,
		      size_t len, const char *reply_to, uint8_t flags,
		      bc_ack_cb cb, void *arg)
{
	struct bc_pending *p;
	int rc = publish_acked(c, topic, data, len, reply_to,
			       c ? c->opts.timeout_ms : 0, flags, ack_done, &p);

	if (rc != BC_OK)
		return rc == BC_GONE ? BC_ERR_CLOSED : rc;
	p->ack = cb;
	p->arg = arg;
	return BC_OK;
}

int bc_publish_ex(bc_client *c, const char *topic, const void *data, size_t len,
		  const char *reply_to, bc_ack_cb cb, void *arg)
{
	int rc;

	if (!cb) {
		rc = publish(c, 0, topic, data, len, reply_to);
		return rc == BC_GONE ? BC_ERR_CLOSED : rc;
	}
	return publish_cb(c, topic, data, len, reply_to, 0, cb, arg);
}

int bc_publish_request(bc_client *c, const char *topic, const void *data,
		       size_t len, const char *reply_to, bc_ack_cb cb,
		       void *arg)
{
	if (!cb || !reply_to)
		return BC_ERR_INVALID;
	return publish_cb(c, topic, data, len, reply_to,
			  PROTO_PUB_NO_RESPONDERS, cb, arg);
}

static void sync_done(bc_client *c, struct bc_pending *p, int err)
{
	struct bc_waiter *w = p->arg;

	bc_guard_result(c, err, err == BC_ERR_SERVER ? c->srv_err.code : 0);
	w->done = 1;
	w->err = err;
}

int bc_publish_sync(bc_client *c, const char *topic, const void *data,
		    size_t len, int timeout_ms)
{
	struct bc_waiter w = { 0, 0, NULL };
	struct bc_pending *p;
	int rc;

	if (!c)
		return BC_ERR_INVALID;
	if ((rc = bc_can_block(c)) != BC_OK)
		return rc;
	rc = publish_acked(c, topic, data, len, NULL, bc_timeout(c, timeout_ms),
			   0, sync_done, &p);
	if (rc != BC_OK)
		return rc == BC_GONE ? BC_ERR_CLOSED : rc;
	p->arg = &w;
	rc = bc_loop_until(c, bc_waiter_done, &w, -1);
	if (rc == BC_GONE)
		return BC_ERR_CLOSED;
	if (!w.done) {
		bc_pending_cancel(p);
		bc_guard_result(c, BC_ERR_CLOSED, 0); /* frees a trial */
		return rc;
	}
	return w.err;
}
