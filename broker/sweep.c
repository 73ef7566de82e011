/* sweep.c - see sweep.h. */
#include "config.h"

#include "sweep.h"

#include <event2/event.h>

#include "broker.h"
#include "clock.h"
#include "conn.h"

/* A tenth of the shortest per-connection timeout in force, clamped. */
static uint32_t period_ms(const struct conf *cf)
{
	uint32_t t = cf->handshake_timeout_ms;

	if (cf->ping_interval_ms != 0 && cf->ping_interval_ms < t)
		t = cf->ping_interval_ms;
	if (cf->frame_timeout_ms != 0 && cf->frame_timeout_ms < t)
		t = cf->frame_timeout_ms;
	t /= 10;
	if (t < SWEEP_MIN_MS)
		t = SWEEP_MIN_MS;
	return t > SWEEP_MAX_MS ? SWEEP_MAX_MS : t;
}

static void schedule(struct broker *b)
{
	struct timeval tv = clock_ms_tv(period_ms(&b->conf));

	event_add(b->sweep, &tv);
}

/* conn_tick may free the connection it is given (never another one), so
 * the next one is taken first. */
static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct broker *b = arg;
	uint64_t now = clock_mono_ms();
	struct conn *c, *next;

	(void)fd;
	(void)what;
	for (c = TAILQ_FIRST(&b->conns); c; c = next) {
		next = TAILQ_NEXT(c, link);
		conn_tick(c, now);
	}
	qdelay_tick(&b->qdelay, b->base);
	schedule(b);
}

int sweep_start(struct broker *b)
{
	b->sweep = evtimer_new(b->base, sweep_cb, b);
	if (!b->sweep)
		return -1;
	schedule(b);
	return 0;
}

void sweep_stop(struct broker *b)
{
	if (b->sweep)
		event_free(b->sweep);
	b->sweep = NULL;
}
