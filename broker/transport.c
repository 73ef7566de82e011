/* transport.c - see transport.h: the part every implementation shares
 * (buffers, the flush list). */
#include "config.h"

#include "transport_impl.h"

#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/event.h>

TAILQ_HEAD(flush_list, transport);

struct transport_loop {
	struct event_base *base; /* borrowed */
	struct event *flush_ev;	 /* owned: the write pass */
	struct flush_list q;	 /* transports with output to write */
	size_t len;
};

static void flush_unlink(struct transport *t)
{
	if (!t->fl_queued)
		return;
	TAILQ_REMOVE(&t->loop->q, t, fl);
	t->fl_queued = 0;
	t->loop->len--;
}

void transport_flush_soon(struct transport *t)
{
	struct transport_loop *l = t->loop;

	/* one waiting for its write event is written by it */
	if (t->fl_queued || t->wr_waiting || t->abandoned)
		return;
	if (TAILQ_EMPTY(&l->q))
		event_active(l->flush_ev, EV_WRITE, 1);
	TAILQ_INSERT_TAIL(&l->q, t, fl);
	t->fl_queued = 1;
	l->len++;
}

/* Write every transport that was listed when this pass began.  Those that
 * list themselves again (TRANSPORT_MAX_WRITE spent) are written by the next
 * pass, which comes after the next epoll_wait: a zero timeout, not
 * event_active, which would run it again before any socket is read. */
static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval now = { 0, 0 };
	struct transport_loop *l = arg;
	size_t n = l->len;
	struct transport *t;

	(void)fd;
	(void)what;
	while (n-- > 0 && (t = TAILQ_FIRST(&l->q)) != NULL) {
		flush_unlink(t);
		t->ops->write(t);
	}
	if (!TAILQ_EMPTY(&l->q))
		event_add(l->flush_ev, &now);
}

struct transport_loop *transport_loop_new(struct event_base *base)
{
	struct transport_loop *l = calloc(1, sizeof *l);

	if (!l)
		return NULL;
	l->base = base;
	TAILQ_INIT(&l->q);
	l->flush_ev = event_new(base, -1, 0, flush_cb, l);
	if (!l->flush_ev) {
		free(l);
		return NULL;
	}
	return l;
}

void transport_loop_free(struct transport_loop *l)
{
	if (!l)
		return;
	event_free(l->flush_ev);
	free(l);
}

struct event_base *transport_loop_base(const struct transport_loop *l)
{
	return l->base;
}

void transport_base_init(struct transport *t, const struct transport_ops *ops,
			 struct transport_loop *l,
			 const struct transport_cbs *cbs, void *ctx)
{
	t->ops = ops;
	t->cbs = cbs;
	t->ctx = ctx;
	t->loop = l;
	t->in = t->out = NULL;
	t->fl_queued = t->wr_waiting = t->reading = t->abandoned = 0;
}

void transport_wrote(struct transport *t)
{
	size_t left = transport_out_len(t);

	if (left == 0 && t->out) {
		evbuffer_free(t->out);
		t->out = NULL;
	}
	t->cbs->written(t->ctx, left);
}

void transport_free(struct transport *t)
{
	if (!t)
		return;
	flush_unlink(t);
	t->ops->close(t);
	if (t->in)
		evbuffer_free(t->in);
	if (t->out)
		evbuffer_free(t->out);
	free(t);
}

void transport_read(struct transport *t, int on)
{
	on = on != 0 && !t->abandoned;
	if (on != t->reading)
		t->ops->read(t, on);
}

struct evbuffer *transport_out(struct transport *t)
{
	if (!t->out && !t->abandoned)
		t->out = evbuffer_new();
	return t->out;
}

size_t transport_out_len(const struct transport *t)
{
	return t->out ? evbuffer_get_length(t->out) : 0;
}

struct evbuffer *transport_in(struct transport *t)
{
	return t->in;
}

void transport_in_trim(struct transport *t)
{
	if (t->in && evbuffer_get_length(t->in) == 0) {
		evbuffer_free(t->in);
		t->in = NULL;
	}
}

void transport_abandon(struct transport *t)
{
	transport_read(t, 0);
	flush_unlink(t);
	t->abandoned = 1;
}
