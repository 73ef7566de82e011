/* conn.c - see conn.h. */
#include "config.h"

#include "conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "broker.h"
#include "handle.h"
#include "msgtail.h"
#include "pool.h"
#include "sweep.h"

static void close_now(struct conn *c, const char *why);
static void format_addr(char *buf, size_t cap, const struct conn_addr *a);

void conn_log(const struct conn *c, enum log_level level, const char *fmt,
	      ...)
{
	char prefix[128], addr[64];
	va_list ap;

	if (!log_enabled(&c->b->log, level))
		return;
	format_addr(addr, sizeof addr, &c->addr);
	snprintf(prefix, sizeof prefix, "client %llu %s: ",
		 (unsigned long long)c->id, addr);
	va_start(ap, fmt);
	log_vmsg(&c->b->log, level, prefix, fmt, ap);
	va_end(ap);
}

size_t conn_out_pending(const struct conn *c)
{
	return outbound_pending(c);
}

int conn_send_frame(struct conn *c, const uint8_t *frame, size_t len)
{
	if (len == 0)
		return -1;
	return evbuffer_add(bufferevent_get_output(c->bev), frame, len);
}

void conn_send_err(struct conn *c, uint64_t req_id, enum proto_err code,
		   const char *reason)
{
	uint8_t buf[64 + PROTO_MAX_REASON];
	struct proto_str why = proto_cstr(reason ? reason
						 : proto_err_str(code));
	size_t n;

	if (why.len > PROTO_MAX_REASON)
		why.len = PROTO_MAX_REASON;
	n = proto_enc_err(buf, sizeof buf, req_id, code, why);
	c->b->stats.errors_sent++;
	conn_log(c, LOG_LEVEL_DEBUG, "ERR %d (%.*s) for request %llu",
		 (int)code, (int)why.len, why.ptr, (unsigned long long)req_id);
	conn_send_frame(c, buf, n);
}

void conn_send_ok(struct conn *c, uint64_t req_id)
{
	uint8_t buf[32];

	conn_send_frame(c, buf, proto_enc_ok(buf, sizeof buf, req_id));
}

/* Decode one frame body and hand it to its verb. */
static void dispatch(struct conn *c, const uint8_t *body, size_t len)
{
	struct proto_msg m;
	enum proto_err e;

	e = proto_decode(body, len, &m);    /* it zeroes m first */
	c->pings_out = 0; /* any frame proves the client alive */
	if (e != PROTO_OK_CODE) {
		if (c->state == CONN_HANDSHAKE)
			conn_fail(c, e, NULL);
		else
			conn_send_err(c, m.req_id, e, NULL);
		return;
	}
	if (c->state == CONN_HANDSHAKE && m.op != PROTO_HELLO) {
		conn_fail(c, PROTO_E_NOT_READY, "HELLO expected first");
		return;
	}
	switch (m.op) {
	case PROTO_HELLO: handle_hello(c, &m); break;
	case PROTO_PING: handle_ping(c); break;
	case PROTO_PONG: handle_pong(c); break;
	case PROTO_PUB: handle_pub(c, &m); break;
	case PROTO_SUB: handle_sub(c, &m); break;
	case PROTO_UNSUB: handle_unsub(c, &m); break;
	default:
		conn_send_err(c, m.req_id, PROTO_E_UNKNOWN_OP,
			      "operation not accepted from a client");
	}
}

/* Handle one complete frame (body borrowed).  0 to go on, 1 when the read
 * loop must stop before draining it (paused by inbound_gate: the frame
 * stays buffered). */
static int one_frame(struct conn *c, const uint8_t *body, uint32_t len)
{
	if (inbound_gate(c, body, len))
		return 1;
	dispatch(c, body, len);
	/* Replies to our own requests pile up when the client does not
	 * read: stop reading it until its output drains. */
	if (c->state != CONN_CLOSING &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) >
		    outbound_max_bytes(c)) {
		c->read_paused = 1;
		bufferevent_disable(c->bev, EV_READ);
	}
	return 0;
}

/* Before HELLO a frame can only be a HELLO (far smaller than this): a
 * client that never says HELLO must not make us buffer a max_payload
 * frame for handshake_timeout (1000 of them: a GiB). */
#define CONN_HELLO_MAX_BODY 4096u

/* The largest frame body c may send now (max_body once it said HELLO). */
static uint32_t body_limit(const struct conn *c, uint32_t max_body)
{
	if (c->state == CONN_HANDSHAKE && max_body > CONN_HELLO_MAX_BODY)
		return CONN_HELLO_MAX_BODY;
	return max_body;
}

/* Handle the complete frames at the start of the contiguous bytes
 * p[0..len) in place.  Returns the bytes handled (to drain); *stop is set
 * when reading must end (closing, paused, bad length prefix). */
static size_t frames_in_span(struct conn *c, const uint8_t *p, size_t len,
			     uint32_t max_body, int *stop)
{
	size_t off = 0;
	uint32_t body = 0;

	while (c->state != CONN_CLOSING && !c->read_paused) {
		if (len - off < PROTO_HDR_LEN)
			return off;
		if (proto_frame_peek(p + off, PROTO_HDR_LEN,
				     body_limit(c, max_body),
				     &body) == PROTO_FRAME_BAD) {
			conn_fail(c, PROTO_E_FRAME_TOO_LARGE, NULL);
			break;
		}
		if (len - off - PROTO_HDR_LEN < body)
			return off;
		if (off == 0)
			inbound_partial(c, 0);
		if (one_frame(c, p + off + PROTO_HDR_LEN, body))
			break;
		off += PROTO_HDR_LEN + body;
	}
	*stop = 1;
	return off;
}

/* The first frame does not fit in the input's first chain: pull it up
 * alone when it is complete.  1 when it was handled (go on reading), 0
 * when reading stops (incomplete, bad prefix, paused, out of memory). */
static int straddling_frame(struct conn *c, struct evbuffer *in,
			    uint32_t max_body)
{
	uint8_t hdr[PROTO_HDR_LEN], *frame;
	uint32_t body = 0;

	evbuffer_copyout(in, hdr, sizeof hdr);
	if (proto_frame_peek(hdr, sizeof hdr, body_limit(c, max_body),
			     &body) == PROTO_FRAME_BAD) {
		conn_fail(c, PROTO_E_FRAME_TOO_LARGE, NULL);
		return 0;
	}
	if (evbuffer_get_length(in) - PROTO_HDR_LEN < body) {
		inbound_partial(c, 1);
		return 0;
	}
	frame = evbuffer_pullup(in, (ev_ssize_t)(PROTO_HDR_LEN + body));
	if (!frame) {
		conn_fail(c, PROTO_E_INTERNAL, "out of memory");
		return 0;
	}
	inbound_partial(c, 0);
	if (one_frame(c, frame + PROTO_HDR_LEN, body))
		return 0;
	evbuffer_drain(in, PROTO_HDR_LEN + body);
	return 1;
}

/* Decode every complete frame in the input buffer, in place in its first
 * chain, and drain them at once; a frame that straddles two chains is
 * pulled up alone.  The length prefix is checked before the body is
 * buffered, so a client can make us hold at most one maximum-size frame
 * plus one read. */
static void read_frames(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	uint32_t max_body = c->b->frame_max_payload + PROTO_FRAME_OVERHEAD;

	while (c->state != CONN_CLOSING && !c->read_paused) {
		struct evbuffer_iovec v;
		size_t avail = evbuffer_get_length(in), done;
		int stop = 0;

		if (avail < PROTO_HDR_LEN) {
			inbound_partial(c, avail > 0);
			return;
		}
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			return;
		done = frames_in_span(c, v.iov_base, v.iov_len, max_body,
				      &stop);
		if (done > 0)
			evbuffer_drain(in, done);
		if (stop)
			return;
		if (done == 0 && !straddling_frame(c, in, max_body))
			return;
	}
}

/* What one read may take: CONN_MAX_READ, and at most a sixteenth of the
 * pool's per-client outbound bound, so that what a few reads fan out to a
 * reading subscriber stays far under its bound until the next write
 * (small bounds keep reads near libevent's 4 KiB and their pacing). */
static size_t read_cap(const struct conn *c)
{
	uint64_t cap = (c->ob.pool ? c->ob.pool->lim.max_outbound
				   : c->b->conf.max_outbound) / 16;

	return cap < CONN_MAX_READ ? (size_t)cap : CONN_MAX_READ;
}

/* libevent 2.1's evbuffer_read takes at most 4096 bytes per call
 * (EVBUFFER_MAX_READ), whatever max_single_read says: one loop turn and
 * three syscalls per 4 KiB.  So after handling what it read, take what the
 * socket still holds ourselves, at most CONN_MAX_READ per call and no
 * more than it holds (FIONREAD), so the input grows only by what arrived.
 * 1 when bytes were read; 0 otherwise (nothing there, not reading, or an
 * error or EOF, which libevent's own next read then reports). */
static int read_more(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	struct evbuffer_iovec v[2];
	struct iovec iov[2];
	int avail = 0, nv, used = 0;
	size_t want, left;
	ssize_t r;

	if (c->state == CONN_CLOSING ||
	    !(bufferevent_get_enabled(c->bev) & EV_READ) ||
	    ioctl(fd, FIONREAD, &avail) != 0 || avail <= 0)
		return 0;
	want = (size_t)avail < read_cap(c) ? (size_t)avail : read_cap(c);
	/* the bufferevent keeps its input's end frozen outside its reads */
	evbuffer_unfreeze(in, 0);
	nv = evbuffer_reserve_space(in, (ev_ssize_t)want, v, 2);
	for (int i = 0; i < nv; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len < want ? v[i].iov_len : want;
		want -= iov[i].iov_len;
	}
	r = nv > 0 ? readv(fd, iov, nv) : -1;
	left = r > 0 ? (size_t)r : 0;
	for (; used < nv && left > 0; used++) {
		v[used].iov_len = iov[used].iov_len < left ? iov[used].iov_len
							   : left;
		left -= v[used].iov_len;
	}
	if (nv > 0)
		evbuffer_commit_space(in, v, used);
	evbuffer_freeze(in, 0);
	return used > 0;
}

/* Handle what libevent read, then read more ourselves (read_more). */
static void read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	read_frames(c);
	for (int i = 0; i < CONN_READ_ROUNDS && read_more(c); i++)
		read_frames(c);
}

void conn_read_resume(struct conn *c)
{
	if (c->state == CONN_CLOSING || c->read_paused || c->ob.cut ||
	    c->draining)
		return;
	bufferevent_enable(c->bev, EV_READ);
	read_frames(c);
}

/* Called when the output drained to the low watermark (half the outbound
 * window, see outbound.h; 0 while closing). */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_free_later(c, 0);
		return;
	}
	outbound_drained(c);
	if (c->draining) {
		if (outq_len(&c->ob.q) == 0)
			conn_fail(c, PROTO_E_SHUTTING_DOWN,
				  "broker shutting down");
		return;
	}
	if (c->read_paused) {
		c->read_paused = 0;
		bufferevent_enable(bev, EV_READ);
		read_frames(c);
	}
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_EOF) {
		conn_close(c, "connection closed by client");
		/* Nothing more to read; flush what is left (bounded). */
	} else if (what & BEV_EVENT_ERROR) {
		close_now(c, "connection error");
	}
}

/* The deferred close event: the output is flushed or the flush timed out. */
static void close_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->broken)
		conn_log(c, LOG_LEVEL_WARNING, "closed: out of memory");
	else if (conn_out_pending(c) > 0)
		conn_log(c, LOG_LEVEL_INFO, "closed with %zu bytes unsent",
			 conn_out_pending(c));
	conn_free(c);
}

/* Close without flushing (the peer is gone or the stream is broken). */
static void close_now(struct conn *c, const char *why)
{
	conn_close(c, why);
	conn_free_later(c, 0);
}

void conn_close(struct conn *c, const char *why)
{
	/* While the broker drains (SIGTERM), a client gets the whole
	 * drain_timeout to take what is queued for it. */
	uint32_t ms = c->b->stopping ? c->b->conf.drain_timeout_ms
				     : CONN_FLUSH_MS;

	if (c->state == CONN_CLOSING)
		return;
	conn_log(c, LOG_LEVEL_INFO, "closing: %s", why);
	c->state = CONN_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	c->timer_at = 0;
	inbound_stop(c);
	handle_sub_drop_all(c);
	outbound_discard(c);
	/* The write callback now fires only once the output is empty. */
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	conn_free_later(c, conn_out_pending(c) == 0 ? 0 : ms);
}

void conn_drain(struct conn *c)
{
	if (c->state == CONN_CLOSING || c->draining)
		return;
	if (outq_len(&c->ob.q) == 0) {
		conn_fail(c, PROTO_E_SHUTTING_DOWN, "broker shutting down");
		return;
	}
	c->draining = 1;
	bufferevent_disable(c->bev, EV_READ);
	inbound_stop(c);
	c->timer_at = 0;
}

void conn_fail(struct conn *c, enum proto_err code, const char *reason)
{
	const char *why = reason ? reason : proto_err_str(code);

	if (c->state == CONN_CLOSING)
		return;
	conn_send_err(c, 0, code, why);
	conn_close(c, why);
}

static void store_addr(struct conn_addr *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		memcpy(a->ip, &in->sin_addr, 4);
		a->port = ntohs(in->sin_port);
		a->family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		memcpy(a->ip, &in6->sin6_addr, 16);
		a->port = ntohs(in6->sin6_port);
		a->family = AF_INET6;
	} else if (sa->sa_family == AF_UNIX) {
		a->family = AF_UNIX;
	}
}

/* "127.0.0.1:51234", "[::1]:51234", "unix" or "?". */
static void format_addr(char *buf, size_t cap, const struct conn_addr *a)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family == AF_INET) {
		inet_ntop(AF_INET, a->ip, ip, sizeof ip);
		snprintf(buf, cap, "%s:%u", ip, (unsigned)a->port);
	} else if (a->family == AF_INET6) {
		inet_ntop(AF_INET6, a->ip, ip, sizeof ip);
		snprintf(buf, cap, "[%s]:%u", ip, (unsigned)a->port);
	} else if (a->family == AF_UNIX) {
		snprintf(buf, cap, "unix");
	} else {
		snprintf(buf, cap, "?");
	}
}

int conn_same_host(const struct conn *a, const struct conn *b)
{
	size_t len = a->addr.family == AF_INET	  ? 4
		     : a->addr.family == AF_INET6 ? 16
						  : 0;

	return len > 0 && a->addr.family == b->addr.family &&
	       memcmp(a->addr.ip, b->addr.ip, len) == 0;
}

void conn_free_later(struct conn *c, uint32_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
			      (suseconds_t)(ms % 1000) * 1000 };

	if (!c->close_ev)
		c->close_ev = event_new(c->b->base, -1, 0, close_cb, c);
	if (!c->close_ev) {
		/* out of memory: the sweep frees c (sweep.h) */
		c->timer_at = sweep_now_ms() + ms;
		return;
	}
	c->timer_at = 0;
	if (ms == 0)
		event_active(c->close_ev, EV_TIMEOUT, 1);
	else
		event_add(c->close_ev, &tv);
}

void conn_tick(struct conn *c, uint64_t now)
{
	if (c->state == CONN_CLOSING || c->broken) {
		if (c->timer_at != 0 && now >= c->timer_at)
			conn_free(c);
		return;
	}
	if (c->in.frame_at != 0 && now >= c->in.frame_at)
		inbound_timeout(c);
	if (c->state != CONN_CLOSING && c->timer_at != 0 &&
	    now >= c->timer_at)
		handle_session_timer(c, now);
}

/* Free what conn_new made (any part may be missing). */
static void conn_free_parts(struct conn *c)
{
	if (c->bev)
		outbound_free(c);
	inbound_free(c);
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->close_ev)
		event_free(c->close_ev);
	subs_free(&c->subs);
	free(c);
}

struct conn *conn_new(struct broker *b, evutil_socket_t fd,
		      const struct sockaddr *sa, int socklen, uint64_t id,
		      int counted)
{
	struct conn *c = calloc(1, sizeof *c);

	(void)socklen;
	if (!c) {
		evutil_closesocket(fd);
		return NULL;
	}
	c->b = b;
	c->id = id;
	c->counted = counted;
	subs_init(&c->subs);
	store_addr(&c->addr, sa);
	c->bev = bufferevent_socket_new(b->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		evutil_closesocket(fd);
		conn_free_parts(c);
		return NULL;
	}
	if (outbound_init(c) != 0 || inbound_init(c) != 0) {
		conn_free_parts(c);
		return NULL;
	}
	/* libevent reads and writes 4-16 KiB per call by default: one
	 * syscall and one loop turn per handful of small frames. */
	bufferevent_set_max_single_read(c->bev, CONN_MAX_READ);
	bufferevent_set_max_single_write(c->bev, CONN_MAX_WRITE);
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	handle_session_start(c);
	return c;
}

void conn_free(struct conn *c)
{
	if (c->state != CONN_CLOSING)
		handle_sub_drop_all(c);
	broker_detach(c->b, c);
	pool_leave(c);
	conn_free_parts(c);
}
