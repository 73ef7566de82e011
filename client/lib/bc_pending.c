/*
 * bc_pending.c - waits for a broker answer: OK/ERR for a req_id, or PONG
 * for a PING.  Each wait sits in a list (acks by increasing req_id, pongs
 * in FIFO order), may have a timer, and ends exactly once through its fn.
 * An entry is unlinked before fn runs, so fn may add or end other waits.
 */
#include "config.h"

#include <stdlib.h>

#include <event2/event.h>

#include "bc_client.h"
#include "bc_pending.h"
#include "clock.h"

static void unlink_entry(struct bc_pending *p)
{
	TAILQ_REMOVE(p->list, p, link);
	p->list = NULL;
}

static void append(struct bc_pending_list *l, struct bc_pending *p)
{
	p->list = l;
	TAILQ_INSERT_TAIL(l, p, link);
}

static void entry_free(struct bc_pending *p)
{
	if (p->timer)
		event_free(p->timer);
	free(p);
}

/* Unlink, run fn, free.  User code in fn may close the client; freeing p
 * stays safe because the client is only freed once the stack unwinds. */
static void finish(bc_client *c, struct bc_pending *p, int err)
{
	unlink_entry(p);
	bc_enter(c);
	p->fn(c, p, err);
	entry_free(p);
	bc_leave(c);
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bc_pending *p = arg;

	(void)fd;
	(void)what;
	finish(p->c, p, BC_ERR_TIMEOUT);
}

static int add_timer(bc_client *c, struct bc_pending *p, int timeout_ms)
{
	struct timeval tv = clock_ms_tv((uint64_t)timeout_ms);
	const struct timeval *use = &tv;

	p->timer = evtimer_new(c->base, timeout_cb, p);
	if (!p->timer)
		return -1;
	/* All acks share one duration: libevent's common timeout queue
	 * makes adding them O(1). */
	if (timeout_ms == c->opts.timeout_ms && c->waits.ack_tv)
		use = c->waits.ack_tv;
	return evtimer_add(p->timer, use);
}

void bc_waits_init(struct bc_waits *w)
{
	TAILQ_INIT(&w->acks);
	TAILQ_INIT(&w->pongs);
	TAILQ_INIT(&w->flushes);
	w->ack_tv = NULL;
}

void bc_waits_cancel_all(struct bc_waits *w)
{
	struct bc_pending_list *lists[] = { &w->acks, &w->pongs, &w->flushes };

	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
		while (!TAILQ_EMPTY(lists[i]))
			bc_pending_cancel(TAILQ_FIRST(lists[i]));
}

struct bc_pending *bc_pending_add(bc_client *c, struct bc_pending_list *l,
				  uint64_t req_id, int timeout_ms,
				  bc_pending_fn fn)
{
	struct bc_pending *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->req_id = req_id;
	p->c = c;
	p->fn = fn;
	if (timeout_ms >= 0 && add_timer(c, p, timeout_ms) != 0) {
		entry_free(p);
		return NULL;
	}
	append(l, p);
	return p;
}

void bc_pending_cancel(struct bc_pending *p)
{
	unlink_entry(p);
	entry_free(p);
}

int bc_pending_complete(bc_client *c, struct bc_pending_list *l,
			uint64_t req_id, int err)
{
	struct bc_pending *p = TAILQ_FIRST(l);

	/* Answers come in order, so the match is nearly always the head;
	 * older entries that timed out are already gone. */
	while (p && req_id && p->req_id != req_id)
		p = TAILQ_NEXT(p, link);
	if (!p)
		return -1;
	finish(c, p, err);
	return 0;
}

void bc_pending_fail_all(bc_client *c, struct bc_pending_list *l, int err)
{
	while (!TAILQ_EMPTY(l))
		finish(c, TAILQ_FIRST(l), err);
}

void bc_pending_move(struct bc_pending *p, struct bc_pending_list *l)
{
	unlink_entry(p);
	append(l, p);
}

void bc_pending_fail_upto(bc_client *c, struct bc_pending_list *l, uint64_t max,
			  int err)
{
	while (!TAILQ_EMPTY(l) && TAILQ_FIRST(l)->req_id <= max)
		finish(c, TAILQ_FIRST(l), err);
}
