/* inbound.c - see inbound.h. */
#include "config.h"

#include "inbound.h"

#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "broker.h"
#include "conn.h"
#include "outbound.h"
#include "pool.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct timeval ms_tv(uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
			      (suseconds_t)(ms % 1000) * 1000 };
	return tv;
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	c->in.paused = 0;
	if (c->state != CONN_CLOSING)
		conn_read_resume(c);
}

static void frame_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	OUTBOUND_COUNT(c, frame_timeouts, 1);
	conn_fail(c, PROTO_E_TIMEOUT, "frame not completed within "
		  "frame_timeout");
}

int inbound_init(struct conn *c)
{
	ratelimit_init(&c->in.rl);
	c->in.paused = 0;
	c->in.resume_ev = evtimer_new(c->b->base, resume_cb, c);
	c->in.frame_ev = evtimer_new(c->b->base, frame_cb, c);
	if (!c->in.resume_ev || !c->in.frame_ev) {
		inbound_free(c);
		return -1;
	}
	return 0;
}

void inbound_free(struct conn *c)
{
	if (c->in.resume_ev)
		event_free(c->in.resume_ev);
	if (c->in.frame_ev)
		event_free(c->in.frame_ev);
	c->in.resume_ev = c->in.frame_ev = NULL;
}

void inbound_stop(struct conn *c)
{
	event_del(c->in.resume_ev);
	event_del(c->in.frame_ev);
}

static void pause_for(struct conn *c, uint64_t ms)
{
	struct timeval tv = ms_tv(ms);

	c->in.paused = 1;
	bufferevent_disable(c->bev, EV_READ);
	event_add(c->in.resume_ev, &tv);
}

/* Less than a tenth of the pool's outbound budget left: its publishers
 * wait, before their messages would have to be dropped for it. */
static int budget_low(const struct pool *p)
{
	uint64_t total = p->lim.max_outbound_total;

	return p->out_bytes + total / 10 >= total;
}

/* The op code of a frame body when it is written the usual way (fixarray,
 * positive fixint op), else 0 (unknown: treated as a PUB). */
static unsigned peek_op(const uint8_t *body, size_t len)
{
	if (len >= 2 && (body[0] & 0xf0) == 0x90 && body[1] < 0x80)
		return body[1];
	return 0;
}

int inbound_gate(struct conn *c, const uint8_t *body, size_t len)
{
	unsigned op = peek_op(body, len);
	const struct pool *p = c->ob.pool;
	uint64_t wait;

	if (c->in.paused) {
		bufferevent_disable(c->bev, EV_READ);
		return 1;
	}
	if (c->state != CONN_READY || !p ||
	    (op != 0 && op != PROTO_PUB && op != PROTO_SUB &&
	     op != PROTO_UNSUB))
		return 0;
	if (op != PROTO_SUB && op != PROTO_UNSUB && budget_low(p)) {
		OUTBOUND_COUNT(c, budget_pauses, 1);
		pause_for(c, INBOUND_BUDGET_RETRY_MS);
		return 1;
	}
	wait = ratelimit_wait_ms(&c->in.rl, p->lim.pub_rate, p->lim.pub_burst,
				 now_ms());
	if (wait > 0) {
		OUTBOUND_COUNT(c, rate_pauses, 1);
		pause_for(c, wait);
		return 1;
	}
	ratelimit_take(&c->in.rl, p->lim.pub_rate);
	return 0;
}

void inbound_partial(struct conn *c, int partial)
{
	uint32_t ms = c->b->conf.frame_timeout_ms;

	if (!partial || ms == 0) {
		event_del(c->in.frame_ev);
	} else if (!evtimer_pending(c->in.frame_ev, NULL)) {
		struct timeval tv = ms_tv(ms);
		event_add(c->in.frame_ev, &tv);
	}
}
