/* monitor_guard.c - see monitor_guard.h. */
#include "config.h"

#include "monitor_guard.h"

#include <stdlib.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "clock.h"

struct guarded {
	struct bufferevent *bev; /* one reference ours */
	uint64_t deadline_ms;	 /* monotonic */
	TAILQ_ENTRY(guarded) link;
};

TAILQ_HEAD(guarded_list, guarded);

struct monitor_guard {
	struct evconnlistener *listener; /* borrowed (evhttp's) */
	struct event *sweep;		 /* owned */
	struct guarded_list conns;	 /* owned */
	unsigned n;
	int paused; /* listener off: at the cap */
};

static void cap(struct monitor_guard *g)
{
	int full = g->n >= MONITOR_MAX_CONNS;

	if (full == g->paused)
		return;
	g->paused = full;
	if (full)
		evconnlistener_disable(g->listener);
	else
		evconnlistener_enable(g->listener);
}

/* evhttp is done with a bufferevent once bufferevent_free cleared its
 * callbacks; our reference kept it (and its socket) until now. */
static int finished(struct bufferevent *bev)
{
	bufferevent_data_cb rd;

	bufferevent_getcb(bev, &rd, NULL, NULL, NULL);
	return rd == NULL;
}

static void drop(struct monitor_guard *g, struct guarded *c)
{
	TAILQ_REMOVE(&g->conns, c, link);
	bufferevent_decref(c->bev);
	free(c);
	g->n--;
}

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct monitor_guard *g = arg;
	struct guarded *c, *next;
	uint64_t now = clock_mono_ms();

	(void)fd;
	(void)what;
	for (c = TAILQ_FIRST(&g->conns); c; c = next) {
		next = TAILQ_NEXT(c, link);
		if (finished(c->bev))
			drop(g, c);
		else if (now >= c->deadline_ms &&
			 bufferevent_getfd(c->bev) >= 0)
			/* evhttp reads the end and frees it; the next sweep
			 * drops our reference. */
			shutdown(bufferevent_getfd(c->bev), SHUT_RDWR);
	}
	cap(g);
}

/* evhttp's bevcb: one new connection (evhttp sets its socket next). */
static struct bufferevent *bev_cb(struct event_base *base, void *arg)
{
	struct monitor_guard *g = arg;
	struct guarded *c = malloc(sizeof *c);
	struct bufferevent *bev = bufferevent_socket_new(base, -1,
							 BEV_OPT_CLOSE_ON_FREE);

	if (!c || !bev) {
		free(c);
		return bev; /* NULL: evhttp makes its own, unguarded */
	}
	bufferevent_incref(bev);
	c->bev = bev;
	c->deadline_ms = clock_mono_ms() + MONITOR_CONN_MAX_S * 1000u;
	TAILQ_INSERT_TAIL(&g->conns, c, link);
	g->n++;
	cap(g);
	return bev;
}

struct monitor_guard *monitor_guard_new(struct event_base *base,
					struct evhttp *http,
					struct evhttp_bound_socket *bound)
{
	struct monitor_guard *g = calloc(1, sizeof *g);
	struct timeval tv = clock_ms_tv(MONITOR_SWEEP_MS);

	if (!g)
		return NULL;
	g->listener = evhttp_bound_socket_get_listener(bound);
	TAILQ_INIT(&g->conns);
	g->sweep = event_new(base, -1, EV_PERSIST, sweep_cb, g);
	if (!g->sweep || event_add(g->sweep, &tv) != 0) {
		monitor_guard_free(g);
		return NULL;
	}
	evhttp_set_bevcb(http, bev_cb, g);
	return g;
}

void monitor_guard_free(struct monitor_guard *g)
{
	if (!g)
		return;
	while (!TAILQ_EMPTY(&g->conns))
		drop(g, TAILQ_FIRST(&g->conns));
	if (g->sweep)
		event_free(g->sweep);
	free(g);
}
