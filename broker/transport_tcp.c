/* transport_tcp.c - see transport.h: plain sockets (TCP and Unix). */
#include "config.h"

#include "transport_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include <event2/buffer.h>
#include <event2/event.h>

struct tcp {
	struct transport base; /* first: a struct transport * is a tcp */
	evutil_socket_t fd;    /* owned */
	struct event *rd_ev;   /* owned: persistent read event */
	struct event *wr_ev;   /* owned, made when a write first blocks */
};

static int again(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* ---- writing ---- */

static void write_cb(evutil_socket_t fd, short what, void *arg);

/* Wait for the socket to take more (1), or stop waiting (0).  -1 when the
 * write event could not be made. */
static int wait_writable(struct tcp *s, int on)
{
	struct transport *t = &s->base;

	if (on == t->wr_waiting)
		return 0;
	if (on && !s->wr_ev) {
		s->wr_ev = event_new(transport_loop_base(t->loop), s->fd,
				     EV_WRITE | EV_PERSIST, write_cb, s);
		if (!s->wr_ev)
			return -1;
	}
	if (on)
		event_add(s->wr_ev, NULL);
	else
		event_del(s->wr_ev);
	t->wr_waiting = (uint8_t)on;
	return 0;
}

/* Write the output: up to TRANSPORT_MAX_WRITE bytes, refilled by the owner
 * (written callback) as it drains.  Waits for the write event when the
 * socket is full, comes back through the flush list when the budget ran
 * out first. */
static void tcp_write(struct transport *t)
{
	struct tcp *s = (struct tcp *)t;
	size_t budget = TRANSPORT_MAX_WRITE;

	while (!t->abandoned && transport_out_len(t) > 0 && budget > 0) {
		size_t want = transport_out_len(t);
		int n;

		if (want > budget)
			want = budget;
		n = evbuffer_write_atmost(t->out, s->fd, (ev_ssize_t)want);
		if (n < 0 && again())
			break;
		if (n <= 0) {
			wait_writable(s, 0);
			t->cbs->ended(t->ctx, TRANSPORT_ERROR);
			return;
		}
		budget -= (size_t)n;
		transport_wrote(t);
		if ((size_t)n < want)
			break; /* the socket took less: most likely full
					* (or the 128-iovec cap of one writev);
					* the write event says when to go on */
	}
	if (t->abandoned || transport_out_len(t) == 0)
		wait_writable(s, 0);
	else if (budget == 0)
		transport_flush_soon(t);
	else if (wait_writable(s, 1) != 0)
		t->cbs->ended(t->ctx, TRANSPORT_NOMEM);
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tcp_write(arg);
}

/* ---- reading ---- */

/* Read what the socket holds (FIONREAD), at most the owner's read_max, into
 * the input, so the input grows only by what arrived.  1 when bytes were
 * read, 0 when none were there, -1 at the end of the stream or on an error
 * (reported to the owner). */
static int read_some(struct tcp *s)
{
	struct transport *t = &s->base;
	struct evbuffer_iovec v[2];
	struct iovec iov[2];
	int avail = 0, nv, used = 0;
	size_t want, left, cap = t->cbs->read_max(t->ctx);
	ssize_t r;

	if (ioctl(s->fd, FIONREAD, &avail) != 0 || avail <= 0)
		avail = 1; /* end of stream or error: read() says which */
	want = (size_t)avail < cap ? (size_t)avail : cap;
	if (!t->in && !(t->in = evbuffer_new())) {
		t->cbs->ended(t->ctx, TRANSPORT_NOMEM);
		return -1;
	}
	nv = evbuffer_reserve_space(t->in, (ev_ssize_t)want, v, 2);
	for (int i = 0; i < nv; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len < want ? v[i].iov_len : want;
		want -= iov[i].iov_len;
	}
	r = nv > 0 ? readv(s->fd, iov, nv) : -1;
	left = r > 0 ? (size_t)r : 0;
	for (; used < nv && left > 0; used++) {
		v[used].iov_len = iov[used].iov_len < left ? iov[used].iov_len
							   : left;
		left -= v[used].iov_len;
	}
	if (nv > 0)
		evbuffer_commit_space(t->in, v, used);
	if (r > 0)
		return 1;
	if (r < 0 && nv > 0 && again())
		return 0;
	t->cbs->ended(t->ctx, r == 0   ? TRANSPORT_EOF
			      : nv > 0 ? TRANSPORT_ERROR
				       : TRANSPORT_NOMEM);
	return -1;
}

/* One read (at most read_max) per callback, then its frames: what it fans
 * out is written by the flush pass before this peer is read again, which
 * keeps subscribers' outputs small (two reads per callback queued more and
 * measured slower), and a busy publisher cannot hold the loop. */
static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tcp *s = arg;

	(void)fd;
	(void)what;
	if (read_some(s) > 0)
		s->base.cbs->input(s->base.ctx);
	transport_in_trim(&s->base);
}

static void tcp_read(struct transport *t, int on)
{
	struct tcp *s = (struct tcp *)t;

	if (on)
		event_add(s->rd_ev, NULL);
	else
		event_del(s->rd_ev);
	t->reading = (uint8_t)on;
}

/* ---- lifetime ---- */

static void tcp_close(struct transport *t)
{
	struct tcp *s = (struct tcp *)t;

	if (s->rd_ev)
		event_free(s->rd_ev);
	if (s->wr_ev)
		event_free(s->wr_ev);
	s->rd_ev = s->wr_ev = NULL;
	if (s->fd >= 0)
		evutil_closesocket(s->fd);
	s->fd = -1;
}

static const struct transport_ops tcp_ops = {
	.read = tcp_read,
	.write = tcp_write,
	.close = tcp_close,
};

struct transport *transport_tcp_new(struct transport_loop *l,
				    evutil_socket_t fd,
				    const struct transport_cbs *cbs, void *ctx)
{
	struct tcp *s = calloc(1, sizeof *s);

	if (!s) {
		evutil_closesocket(fd);
		return NULL;
	}
	transport_base_init(&s->base, &tcp_ops, l, cbs, ctx);
	s->fd = fd;
	s->rd_ev = event_new(transport_loop_base(l), fd, EV_READ | EV_PERSIST,
			     read_cb, s);
	if (!s->rd_ev) {
		transport_free(&s->base);
		return NULL;
	}
	transport_read(&s->base, 1);
	return &s->base;
}
