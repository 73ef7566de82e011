/* connio.c - see connio.h. */
#include "config.h"

#include "connio.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "broker.h"
#include "conn.h"
#include "outbound.h"
#include "pool.h"

/* ---- the broker's flush list (circular, doubly linked) ---- */

static void flush_unlink(struct conn *c)
{
	struct broker *b = c->b;

	if (!c->fl_queued)
		return;
	if (c->fl_next == c) {
		b->flushq = NULL;
	} else {
		c->fl_prev->fl_next = c->fl_next;
		c->fl_next->fl_prev = c->fl_prev;
		if (b->flushq == c)
			b->flushq = c->fl_next;
	}
	c->fl_next = c->fl_prev = NULL;
	c->fl_queued = 0;
	b->flushq_len--;
}

static void flush_append(struct conn *c)
{
	struct broker *b = c->b;
	struct conn *head = b->flushq;

	if (!head) {
		c->fl_next = c->fl_prev = c;
		b->flushq = c;
		event_active(b->flush_ev, EV_WRITE, 1);
	} else {
		c->fl_prev = head->fl_prev;
		c->fl_next = head;
		head->fl_prev->fl_next = c;
		head->fl_prev = c;
	}
	c->fl_queued = 1;
	b->flushq_len++;
}

void conn_io_flush_soon(struct conn *c)
{
	/* a connection waiting for its write event is written by it */
	if (c->fl_queued || c->wr_waiting || c->broken)
		return;
	flush_append(c);
}

/* ---- writing ---- */

static void out_free(struct conn *c)
{
	if (c->outbuf)
		evbuffer_free(c->outbuf);
	c->outbuf = NULL;
}

static void write_cb(evutil_socket_t fd, short what, void *arg);

/* Wait for the socket to take more (1), or stop waiting (0). */
static void wait_writable(struct conn *c, int on)
{
	if (on == c->wr_waiting)
		return;
	if (on && !c->wr_ev) {
		c->wr_ev = event_new(c->b->base, c->fd, EV_WRITE | EV_PERSIST,
				     write_cb, c);
		if (!c->wr_ev) {
			conn_abort(c, "out of memory");
			return;
		}
	}
	if (on)
		event_add(c->wr_ev, NULL);
	else
		event_del(c->wr_ev);
	c->wr_waiting = (uint8_t)on;
}

/* After a write: release an empty output, account, and tell conn.c when
 * the output is at its low watermark (it may queue more). */
static void wrote(struct conn *c)
{
	size_t len = conn_io_out_len(c);

	if (len == 0)
		out_free(c);
	outbound_account(c);
	if (len <= outbound_lowmark(c))
		conn_output_drained(c);
}

/* Write c's output: up to CONN_MAX_WRITE bytes, refilled from its queue
 * as it drains.  Waits for the write event when the socket is full, comes
 * back through the flush list when the budget ran out first. */
static void write_out(struct conn *c)
{
	size_t budget = CONN_MAX_WRITE;

	while (!c->broken && conn_io_out_len(c) > 0 && budget > 0) {
		size_t want = conn_io_out_len(c);
		int n;

		if (want > budget)
			want = budget;
		n = evbuffer_write_atmost(c->outbuf, c->fd, (ev_ssize_t)want);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
			      errno == EINTR))
			break;
		if (n <= 0) {
			wait_writable(c, 0);
			conn_abort(c, "connection error");
			return;
		}
		budget -= (size_t)n;
		wrote(c);
		if ((size_t)n < want)
			break;         /* the socket took less: most likely full
					* (or the 128-iovec cap of one writev);
					* the write event says when to go on */
	}
	if (c->broken || conn_io_out_len(c) == 0)
		wait_writable(c, 0);
	else if (budget == 0)
		conn_io_flush_soon(c);
	else
		wait_writable(c, 1);
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	write_out(arg);
}

/* Write every connection that was listed when this pass began.  Those
 * that list themselves again (CONN_MAX_WRITE spent) are written by the next
 * pass, which comes after the next epoll_wait: a zero timeout, not
 * event_active, which would run it again before any socket is read. */
static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval now = { 0, 0 };
	struct broker *b = arg;
	size_t n = b->flushq_len;

	(void)fd;
	(void)what;
	while (n-- > 0 && b->flushq) {
		struct conn *c = b->flushq;

		flush_unlink(c);
		write_out(c);
	}
	if (b->flushq)
		event_add(b->flush_ev, &now);
}

/* ---- reading ---- */

/* What one read may take: CONN_MAX_READ, and at most a sixteenth of the
 * pool's per-client outbound bound, so that what a few reads fan out to a
 * reading subscriber stays far under its bound until the next write
 * (small bounds keep reads small and their pacing). */
static size_t read_cap(const struct conn *c)
{
	uint64_t cap = (c->ob.pool ? c->ob.pool->lim.max_outbound
				   : c->b->conf.max_outbound) / 16;

	if (cap < 4096)
		cap = 4096;
	return cap < CONN_MAX_READ ? (size_t)cap : CONN_MAX_READ;
}

/* Read what the socket holds (FIONREAD), at most read_cap, into c->inbuf, so
 * the input grows only by what arrived.  1 when bytes were read, 0 when
 * none were there, -1 at the end of the stream or on an error (c is then
 * closing). */
static int read_some(struct conn *c)
{
	struct evbuffer_iovec v[2];
	struct iovec iov[2];
	int avail = 0, nv, used = 0;
	size_t want, left;
	ssize_t r;

	if (ioctl(c->fd, FIONREAD, &avail) != 0 || avail <= 0)
		avail = 1;     /* end of stream or error: read() says which */
	want = (size_t)avail < read_cap(c) ? (size_t)avail : read_cap(c);
	if (!c->inbuf && !(c->inbuf = evbuffer_new())) {
		conn_fail(c, PROTO_E_INTERNAL, "out of memory");
		return -1;
	}
	nv = evbuffer_reserve_space(c->inbuf, (ev_ssize_t)want, v, 2);
	for (int i = 0; i < nv; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len < want ? v[i].iov_len : want;
		want -= iov[i].iov_len;
	}
	r = nv > 0 ? readv(c->fd, iov, nv) : -1;
	left = r > 0 ? (size_t)r : 0;
	for (; used < nv && left > 0; used++) {
		v[used].iov_len = iov[used].iov_len < left ? iov[used].iov_len
							   : left;
		left -= v[used].iov_len;
	}
	if (nv > 0)
		evbuffer_commit_space(c->inbuf, v, used);
	if (r > 0)
		return 1;
	if (r < 0 && nv > 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
				errno == EINTR))
		return 0;
	if (r == 0)
		conn_close(c, "connection closed by client");
	else
		conn_abort(c, nv > 0 ? "connection error" : "out of memory");
	return -1;
}

/* One read (at most read_cap) per callback, then its frames: what it fans
 * out is written by the flush pass before this publisher is read again,
 * which keeps subscribers' outputs small (two reads per callback queued
 * more and measured slower), and a busy publisher cannot hold the loop. */
static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (read_some(c) > 0)
		conn_input(c);
	conn_io_in_trim(c);
}

void conn_io_in_trim(struct conn *c)
{
	if (c->inbuf && evbuffer_get_length(c->inbuf) == 0) {
		evbuffer_free(c->inbuf);
		c->inbuf = NULL;
	}
}

void conn_io_read(struct conn *c, int on)
{
	on = on != 0;
	if (on == c->reading || !c->rd_ev)
		return;
	if (on)
		event_add(c->rd_ev, NULL);
	else
		event_del(c->rd_ev);
	c->reading = (uint8_t)on;
}

/* ---- buffers and lifetime ---- */

struct evbuffer *conn_io_out(struct conn *c)
{
	if (!c->outbuf)
		c->outbuf = evbuffer_new();
	return c->outbuf;
}

size_t conn_io_out_len(const struct conn *c)
{
	return c->outbuf ? evbuffer_get_length(c->outbuf) : 0;
}

int conn_io_open(struct conn *c, evutil_socket_t fd)
{
	c->fd = fd;
	c->rd_ev = event_new(c->b->base, fd, EV_READ | EV_PERSIST, read_cb, c);
	if (!c->rd_ev)
		return -1;
	conn_io_read(c, 1);
	return 0;
}

void conn_io_close(struct conn *c)
{
	flush_unlink(c);
	if (c->rd_ev)
		event_free(c->rd_ev);
	if (c->wr_ev)
		event_free(c->wr_ev);
	c->rd_ev = c->wr_ev = NULL;
	c->reading = c->wr_waiting = 0;
	if (c->inbuf)
		evbuffer_free(c->inbuf);
	c->inbuf = NULL;
	out_free(c);
	if (c->fd >= 0)
		evutil_closesocket(c->fd);
	c->fd = -1;
}

int conn_io_setup(struct broker *b)
{
	b->flush_ev = event_new(b->base, -1, 0, flush_cb, b);
	return b->flush_ev ? 0 : -1;
}

void conn_io_teardown(struct broker *b)
{
	if (b->flush_ev)
		event_free(b->flush_ev);
	b->flush_ev = NULL;
}
