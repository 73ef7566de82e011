/*
 * bc_request.c - request/reply over plain publish/subscribe.  A client
 * makes one inbox subscription "_INBOX.<16 random hex>.*" the first time
 * it sends a request; request n is published with reply-to
 * "_INBOX.<hex>.<n>" and completed by the first message on that topic.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bc_backoff.h"
#include "bc_client.h"
#include "bc_conn.h"
#include "bc_guard.h"
#include "bc_loop.h"
#include "bc_msg.h"
#include "bc_pending.h"
#include "bc_publish.h"
#include "bc_reqmap.h"
#include "bc_request.h"
#include "bc_subscribe.h"
#include "clock.h"

void bc_requests_init(struct bc_requests *q)
{
	TAILQ_INIT(&q->list);
}

void bc_requests_free(struct bc_requests *q)
{
	bc_reqmap_free(&q->map);
}

static void req_unlink(bc_client *c, struct bc_req *r)
{
	bc_reqmap_remove(&c->req.map, r);
	if (r->ack) /* the PUB's wait outlives r: let it know */
		r->ack->arg = NULL;
	r->ack = NULL;
	TAILQ_REMOVE(&c->req.list, r, link);
}

/* End request r: unlink, call back, free. */
static void req_finish(bc_client *c, struct bc_req *r, int err,
		       const bc_msg *reply)
{
	req_unlink(c, r);
	if (r->timer)
		event_free(r->timer);
	bc_enter(c);
	r->cb(c, err, reply, r->arg);
	free(r);
	bc_leave(c);
}

void bc_request_fail_all(bc_client *c, int err)
{
	while (!TAILQ_EMPTY(&c->req.list))
		req_finish(c, TAILQ_FIRST(&c->req.list), err, NULL);
}

void bc_request_fail_upto(bc_client *c, uint64_t max, int err)
{
	struct bc_req *r = TAILQ_FIRST(&c->req.list);

	/* req_finish may end others through user code: restart each time. */
	while (r) {
		if (r->pub_req_id <= max) {
			req_finish(c, r, err, NULL);
			r = TAILQ_FIRST(&c->req.list);
		} else {
			r = TAILQ_NEXT(r, link);
		}
	}
}

/* A message on the inbox: the last token says which request it answers. */
static void inbox_cb(bc_client *c, const bc_msg *m, void *arg)
{
	const char *dot = strrchr(m->topic, '.');
	struct bc_req *r;
	char *end;
	uint64_t n;

	(void)arg;
	if (!dot)
		return;
	n = strtoull(dot + 1, &end, 10);
	if (*end == 0 && (r = bc_reqmap_find(&c->req.map, n)) != NULL)
		req_finish(c, r, BC_OK, m);
}

/* The user the broker gives a private inbox _INBOX.<user>.> (PROTOCOL.md,
 * request/reply): the credentials' user when it is one topic token, else
 * NULL (a plain random inbox, as without credentials). */
static const char *inbox_user(const bc_client *c)
{
	const char *u = c->opts.user;

	if (!u || !*u || strpbrk(u, ".*>"))
		return NULL;
	return u;
}

static int ensure_inbox(bc_client *c)
{
	char pattern[sizeof c->req.inbox + 2];
	uint8_t rnd[8];
	int rc;

	if (!c->req.inbox[0]) {
		const char *u = inbox_user(c);
		int at;

		bc_random_bytes(rnd, sizeof rnd);
		at = snprintf(c->req.inbox, sizeof c->req.inbox, "_INBOX.%s%s",
			      u ? u : "", u ? "." : "");
		for (size_t i = 0; i < sizeof rnd; i++)
			snprintf(c->req.inbox + at + 2 * i, 3, "%02x", rnd[i]);
	}
	if (c->req.inbox_sid)
		return BC_OK;
	snprintf(pattern, sizeof pattern, "%s.*", c->req.inbox);
	rc = bc_subscribe_async(c, pattern, inbox_cb, NULL, &c->req.inbox_sid);
	return rc;
}

static void req_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bc_req *r = arg;

	(void)fd;
	(void)what;
	req_finish(r->c, r, BC_ERR_TIMEOUT, NULL);
}

/* The broker answered the request's PUB (or did not in time): that is
 * what the circuit breaker learns from a request; a rejected PUB or one
 * never acknowledged fails the request now. */
static void req_pub_done(bc_client *c, struct bc_pending *p, int err)
{
	struct bc_req *r = p->arg; /* NULL: the request already ended */

	if (r)
		r->ack = NULL;
	if (err == BC_ERR_SERVER && c->srv_err.code == PROTO_E_NO_RESPONDERS)
		err = BC_ERR_NO_RESPONDERS; /* the broker is fine: no failure */
	bc_guard_result(c, err == BC_ERR_NO_RESPONDERS ? BC_OK : err,
			err == BC_ERR_SERVER ? c->srv_err.code : 0);
	if (r && (err == BC_ERR_SERVER || err == BC_ERR_TIMEOUT ||
		  err == BC_ERR_NO_RESPONDERS))
		req_finish(c, r, err, NULL);
}

static struct bc_req *req_new(bc_client *c, int timeout_ms, bc_reply_cb cb,
			      void *arg)
{
	struct timeval tv = clock_ms_tv(timeout_ms < 0 ? 0
						       : (uint64_t)timeout_ms);
	struct bc_req *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->timer = evtimer_new(c->base, req_timeout_cb, r);
	/* The timer exists even when it is never armed (-1: no limit). */
	if (!r->timer || (timeout_ms >= 0 && evtimer_add(r->timer, &tv) != 0)) {
		if (r->timer)
			event_free(r->timer);
		free(r);
		return NULL;
	}
	r->c = c;
	r->cb = cb;
	r->arg = arg;
	r->n = ++c->req.next_n;
	if (bc_reqmap_add(&c->req.map, r) != 0) {
		event_free(r->timer);
		free(r);
		return NULL;
	}
	TAILQ_INSERT_HEAD(&c->req.list, r, link);
	return r;
}

static void req_drop(bc_client *c, struct bc_req *r)
{
	req_unlink(c, r);
	event_free(r->timer);
	free(r);
}

/* Queue the PUB of request r with an ack that can fail it early. */
static int req_send(bc_client *c, struct bc_req *r, const char *topic,
		    const void *data, size_t len, int timeout_ms)
{
	char reply[sizeof c->req.inbox + 24];
	struct bc_pending *p;
	int rc;

	snprintf(reply, sizeof reply, "%s.%" PRIu64, c->req.inbox, r->n);
	r->pub_req_id = ++c->next_req_id;
	p = bc_pending_add(c, &c->waits.acks, r->pub_req_id, timeout_ms,
			   req_pub_done);
	if (!p)
		return BC_ERR_NOMEM;
	/* Ask the broker to say at once when nobody subscribes (an old
	 * broker ignores the flag and the request times out instead). */
	rc = bc_conn_send_pub(c, r->pub_req_id, topic, reply, data, len,
			      PROTO_PUB_NO_RESPONDERS);
	if (rc != BC_OK) {
		bc_pending_cancel(p);
		return rc;
	}
	p->arg = r;
	r->ack = p;
	return BC_OK;
}

/* Inbox, request record and PUB, once the breaker said yes. */
static int request_start(bc_client *c, const char *topic, const void *data,
			 size_t len, int timeout_ms, bc_reply_cb cb, void *arg)
{
	struct bc_req *r;
	int rc = ensure_inbox(c);

	if (rc != BC_OK)
		return rc;
	r = req_new(c, timeout_ms, cb, arg);
	if (!r)
		return BC_ERR_NOMEM;
	rc = req_send(c, r, topic, data, len, timeout_ms);
	if (rc != BC_OK)
		req_drop(c, r);
	return rc;
}

int bc_request_async(bc_client *c, const char *topic, const void *data,
		     size_t len, int timeout_ms, bc_reply_cb cb, void *arg)
{
	int rc = bc_publish_check(c, topic, data, len, NULL);

	if (rc == BC_OK && !cb)
		rc = BC_ERR_INVALID;
	if (rc == BC_OK)
		rc = bc_publish_room(c);
	if (rc == BC_OK)
		rc = bc_guard_enter(c);
	if (rc == BC_GONE)
		return BC_ERR_CLOSED;
	if (rc != BC_OK)
		return rc;
	rc = request_start(c, topic, data, len, bc_timeout(c, timeout_ms), cb,
			   arg);
	if (rc != BC_OK) /* never sent: frees a half-open trial */
		bc_guard_result(c, BC_ERR_INVALID, 0);
	return rc;
}

static void sync_reply(bc_client *c, int err, const bc_msg *reply, void *arg)
{
	struct bc_waiter *w = arg;

	(void)c;
	w->done = 1;
	w->err = err;
	if (err == BC_OK) {
		w->reply = bc_msg_dup(reply);
		if (!w->reply)
			w->err = BC_ERR_NOMEM;
	}
}

int bc_request(bc_client *c, const char *topic, const void *data, size_t len,
	       int timeout_ms, bc_msg **reply)
{
	struct bc_waiter w = { 0, 0, NULL };
	int rc;

	if (!c || !reply)
		return BC_ERR_INVALID;
	*reply = NULL;
	if ((rc = bc_can_block(c)) != BC_OK)
		return rc;
	rc = bc_request_async(c, topic, data, len, timeout_ms, sync_reply, &w);
	if (rc != BC_OK)
		return rc;
	/* The request's own timer ends it, so no limit here. */
	rc = bc_loop_until(c, bc_waiter_done, &w, -1);
	if (rc == BC_GONE)
		return BC_ERR_CLOSED;
	if (!w.done) {
		/* Only a failing loop gets here; the request still points at
		 * w, so end it before w goes out of scope. */
		struct bc_req *r;

		TAILQ_FOREACH(r, &c->req.list, link)
		if (r->arg == &w)
			break;
		if (r)
			req_finish(c, r, rc, NULL);
		bc_msg_free(w.reply);
		return rc;
	}
	*reply = w.reply;
	return w.err;
}

int bc_respond(bc_client *c, const bc_msg *request, const void *data,
	       size_t len)
{
	if (!c || !request || !request->reply_to)
		return BC_ERR_INVALID;
	return bc_publish(c, request->reply_to, data, len);
}
