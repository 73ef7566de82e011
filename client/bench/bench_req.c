/*
 * bench_req.c - requesters: keep --inflight requests outstanding (closed
 * loop), or send them on a fixed schedule (rate mode, open loop); each
 * reply is the echoed request, so its header gives the round-trip time
 * from the (intended) send time.
 */
#include "config.h"

#include <event2/event.h>

#include "bench_run.h"
#include "bench_stamp.h"
#include "clock.h"

/* Requests per pump call before the loop gets to read and write. */
#define REQ_BATCH 64

static void req_reply(bc_client *c, int err, const bc_msg *reply, void *arg)
{
	struct bench_client *k = arg;
	struct bench *b = k->b;

	(void)c;
	if (b->phase == BENCH_DONE)
		return;
	k->outstanding--;
	if (err != BC_OK)
		b->res->req_failed++;
	else
		bench_count_msg(k, bc_msg_data(reply), bc_msg_len(reply), 0, 1);
	if (!event_pending(k->pump, EV_TIMEOUT, NULL))
		event_active(k->pump, EV_TIMEOUT, 0);
}

/* May k send a request now? */
static enum bench_send req_state(const struct bench_client *k, uint64_t now)
{
	enum bench_send st = bench_pub_state(k, now);

	if (st == BENCH_SEND_NOW && !k->b->interval_ns &&
	    k->outstanding >= (uint64_t)k->b->cfg->inflight)
		return BENCH_SEND_LATER;
	return st;
}

static int req_one(struct bench_client *k, uint64_t now)
{
	struct bench *b = k->b;
	uint64_t when = b->interval_ns ? bench_pub_due(k) : now;
	int tmo = (int)(b->cfg->timeout * 1000.0);
	int rc;

	bench_stamp_write(k->payload, when, k->idx, k->sent);
	rc = bc_request_async(k->c, b->cfg->topic, k->payload, b->cfg->size,
			      tmo, req_reply, k);
	if (rc != BC_OK)
		return rc;
	bench_note_send(b, when, now);
	k->sent++;
	k->outstanding++;
	return BC_OK;
}

/* Closed loop: nothing to do until a reply comes (it re-activates us). */
static void req_rearm(struct bench_client *k, enum bench_send st, int rc,
		      uint64_t now)
{
	if (rc == BC_ERR_WOULDBLOCK)
		bench_pub_rearm(k, BENCH_OUTBUF, now);
	else if (st == BENCH_SEND_NOW || k->b->interval_ns)
		bench_pub_rearm(k, BENCH_FREE, now);
}

void bench_req_pump(evutil_socket_t fd, short what, void *arg)
{
	struct bench_client *k = arg;
	enum bench_send st = BENCH_SEND_NOW;
	uint64_t now = clock_mono_ns();
	int rc = BC_OK;

	(void)fd;
	(void)what;
	if (k->b->phase != BENCH_RUNNING || k->finished)
		return;
	k->blocked = BENCH_FREE;
	for (int i = 0; i < REQ_BATCH; i++, now = clock_mono_ns()) {
		if ((st = req_state(k, now)) != BENCH_SEND_NOW)
			break;
		if ((rc = req_one(k, now)) != BC_OK)
			break;
	}
	if (rc != BC_OK && rc != BC_ERR_WOULDBLOCK) {
		bench_fail(k->b, "requester %u: %s", k->idx, bc_strerror(rc));
		return;
	}
	if (st == BENCH_SEND_DONE) {
		if (k->outstanding == 0)
			bench_sender_done(k);
		return;
	}
	req_rearm(k, st, rc, now);
}
