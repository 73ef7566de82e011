/* inbound.c - see inbound.h. */
#include "config.h"

#include "inbound.h"

#include <stdlib.h>

#include <event2/event.h>

#include "broker.h"
#include "clock.h"
#include "conn.h"
#include "outbound.h"
#include "pool.h"
#include "ratelimit.h"
#include "transport.h"

struct inbound_limit {
	struct ratelimit rl;
	struct event *resume_ev; /* owned: end of a pause (the pause itself
				    * is c->pause's RATE or BUDGET bit) */
};

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	/* Also run early for a block resume: the gate checks the rate and
	 * the budget again for the next frame. */
	conn_unpause(c, CONN_PAUSE_RATE | CONN_PAUSE_BUDGET |
				(c->fh.waiting_on ? 0 : CONN_PAUSE_BLOCK));
}

void inbound_timeout(struct conn *c)
{
	c->in.frame_at = 0;
	OUTBOUND_COUNT(c, frame_timeouts, 1);
	conn_fail(c, PROTO_E_TIMEOUT,
		  "frame not completed within "
		  "frame_timeout");
}

int inbound_init(struct conn *c)
{
	c->in.lim = NULL;
	c->in.frame_at = 0;
	return 0;
}

void inbound_free(struct conn *c)
{
	if (c->in.lim) {
		event_free(c->in.lim->resume_ev);
		free(c->in.lim);
	}
	c->in.lim = NULL;
}

void inbound_stop(struct conn *c)
{
	if (c->in.lim)
		event_del(c->in.lim->resume_ev);
	c->in.frame_at = 0;
}

/* c's bucket and resume timer, made at the first use; NULL when out of
 * memory. */
static struct inbound_limit *limit(struct conn *c)
{
	struct inbound_limit *l = c->in.lim;

	if (l)
		return l;
	l = malloc(sizeof *l);
	if (!l)
		return NULL;
	ratelimit_init(&l->rl);
	l->resume_ev = evtimer_new(c->b->base, resume_cb, c);
	if (!l->resume_ev) {
		free(l);
		return NULL;
	}
	c->in.lim = l;
	return l;
}

int inbound_resume_prepare(struct conn *c)
{
	return limit(c) ? 0 : -1;
}

void inbound_resume_soon(struct conn *c)
{
	if (c->in.lim)
		event_active(c->in.lim->resume_ev, EV_TIMEOUT, 1);
}

/* Stop reading c for ms (why: its CONN_PAUSE_ bit); 1 (the frame waits),
 * or 1 after closing c when out of memory. */
static int pause_for(struct conn *c, unsigned why, uint64_t ms)
{
	struct inbound_limit *l = limit(c);
	struct timeval tv = clock_ms_tv(ms);

	if (!l) {
		conn_fail(c, PROTO_E_INTERNAL, "out of memory");
		return 1;
	}
	conn_pause(c, why);
	event_add(l->resume_ev, &tv);
	return 1;
}

/* Less than a tenth of the pool's outbound budget left: its publishers
 * wait, before their messages would have to be dropped for it; but not
 * longer than INBOUND_BUDGET_MAX_MS while it stays low. */
static int budget_low(struct pool *p)
{
	uint64_t total = p->lim.max_outbound_total, now;

	if (p->out_bytes + total / 10 < total) {
		p->budget_low_since = 0;
		return 0;
	}
	now = clock_mono_ms();
	if (p->budget_low_since == 0)
		p->budget_low_since = now;
	return now - p->budget_low_since < INBOUND_BUDGET_MAX_MS;
}

int inbound_gate(struct conn *c, const uint8_t *body, size_t len)
{
	unsigned op = proto_peek_op(body, len); /* 0: unknown, as a PUB */
	struct pool *p = c->ob.pool;
	struct inbound_limit *l;
	uint64_t wait;

	if (c->pause &
	    (CONN_PAUSE_RATE | CONN_PAUSE_BUDGET | CONN_PAUSE_BLOCK)) {
		transport_read(c->t, 0);
		return 1;
	}
	if (c->state != CONN_READY || (op != 0 && op != PROTO_PUB &&
				       op != PROTO_SUB && op != PROTO_UNSUB))
		return 0;
	if (op != PROTO_SUB && op != PROTO_UNSUB && budget_low(p)) {
		OUTBOUND_COUNT(c, budget_pauses, 1);
		return pause_for(c, CONN_PAUSE_BUDGET, INBOUND_BUDGET_RETRY_MS);
	}
	if (p->lim.pub_rate == 0)
		return 0; /* no limit: skip the clock read per frame */
	l = limit(c);
	if (!l) {
		conn_fail(c, PROTO_E_INTERNAL, "out of memory");
		return 1;
	}
	wait = ratelimit_wait_ms(&l->rl, p->lim.pub_rate, p->lim.pub_burst,
				 clock_mono_ms());
	if (wait > 0) {
		OUTBOUND_COUNT(c, rate_pauses, 1);
		return pause_for(c, CONN_PAUSE_RATE, wait);
	}
	ratelimit_take(&l->rl, p->lim.pub_rate);
	return 0;
}

void inbound_partial(struct conn *c, int partial)
{
	uint32_t ms = c->b->conf.frame_timeout_ms;

	if (!partial || ms == 0)
		c->in.frame_at = 0;
	else if (c->in.frame_at == 0)
		c->in.frame_at = clock_mono_ms() + ms;
}
