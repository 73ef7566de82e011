/* conn.c - see conn.h. */
#include "config.h"

#include "conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "broker.h"
#include "handle.h"
#include "msgtail.h"
#include "pool.h"

static void close_now(struct conn *c, const char *why);

void conn_log(const struct conn *c, enum log_level level, const char *fmt,
	      ...)
{
	char prefix[128];
	va_list ap;

	if (!log_enabled(&c->b->log, level))
		return;
	snprintf(prefix, sizeof prefix, "client %llu %s: ",
		 (unsigned long long)c->id, c->addr);
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

	memset(&m, 0, sizeof m);
	e = proto_decode(body, len, &m);
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

/* Decode every complete frame in the input buffer.  The length prefix is
 * checked before the body is buffered, so a client can make us hold at
 * most one maximum-size frame plus one read. */
static void read_frames(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	uint32_t max_body = c->b->conf.max_payload + PROTO_FRAME_OVERHEAD;

	while (c->state != CONN_CLOSING && !c->read_paused) {
		uint8_t hdr[PROTO_HDR_LEN], *frame;
		size_t avail = evbuffer_get_length(in);
		uint32_t body = 0;

		if (avail < PROTO_HDR_LEN) {
			inbound_partial(c, avail > 0);
			return;
		}
		evbuffer_copyout(in, hdr, sizeof hdr);
		if (proto_frame_peek(hdr, sizeof hdr, max_body, &body) ==
		    PROTO_FRAME_BAD) {
			conn_fail(c, PROTO_E_FRAME_TOO_LARGE, NULL);
			return;
		}
		if (avail - PROTO_HDR_LEN < body) {
			inbound_partial(c, 1);
			return;
		}
		frame = evbuffer_pullup(in, (ev_ssize_t)(PROTO_HDR_LEN + body));
		if (!frame) {
			conn_fail(c, PROTO_E_INTERNAL, "out of memory");
			return;
		}
		inbound_partial(c, 0);
		if (inbound_gate(c, frame + PROTO_HDR_LEN, body))
			return;   /* paused: the frame stays buffered */
		dispatch(c, frame + PROTO_HDR_LEN, body);
		evbuffer_drain(in, PROTO_HDR_LEN + body);
		/* Replies to our own requests pile up when the client does not
		 * read: stop reading it until its output drains. */
		if (c->state != CONN_CLOSING &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) >
			    outbound_max_bytes(c)) {
			c->read_paused = 1;
			bufferevent_disable(c->bev, EV_READ);
		}
	}
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	read_frames(arg);
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
			event_active(c->close_ev, EV_TIMEOUT, 1);
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
	event_active(c->close_ev, EV_TIMEOUT, 1);
}

void conn_close(struct conn *c, const char *why)
{
	/* While the broker drains (SIGTERM), a client gets the whole
	 * drain_timeout to take what is queued for it. */
	uint32_t ms = c->b->stopping ? c->b->conf.drain_timeout_ms
				     : CONN_FLUSH_MS;
	struct timeval flush = { (time_t)(ms / 1000),
				 (suseconds_t)(ms % 1000) * 1000 };

	if (c->state == CONN_CLOSING)
		return;
	conn_log(c, LOG_LEVEL_INFO, "closing: %s", why);
	c->state = CONN_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	event_del(c->timer);
	inbound_stop(c);
	handle_sub_drop_all(c);
	outbound_discard(c);
	/* The write callback now fires only once the output is empty. */
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	if (conn_out_pending(c) == 0)
		event_active(c->close_ev, EV_TIMEOUT, 1);
	else
		event_add(c->close_ev, &flush);
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
	event_del(c->timer);
}

void conn_fail(struct conn *c, enum proto_err code, const char *reason)
{
	const char *why = reason ? reason : proto_err_str(code);

	if (c->state == CONN_CLOSING)
		return;
	conn_send_err(c, 0, code, why);
	conn_close(c, why);
}

static void format_addr(char *buf, size_t cap, const struct sockaddr *sa)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
		snprintf(buf, cap, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		snprintf(buf, cap, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else if (sa->sa_family == AF_UNIX) {
		snprintf(buf, cap, "unix");
	} else {
		snprintf(buf, cap, "?");
	}
}

/* Free what conn_new made (any part may be missing). */
static void conn_free_parts(struct conn *c)
{
	if (c->bev)
		outbound_free(c);
	inbound_free(c);
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->timer)
		event_free(c->timer);
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
	format_addr(c->addr, sizeof c->addr, sa);
	c->bev = bufferevent_socket_new(b->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev)
		evutil_closesocket(fd);
	c->timer = event_new(b->base, -1, EV_PERSIST, handle_session_timer, c);
	c->close_ev = event_new(b->base, -1, 0, close_cb, c);
	if (!c->bev || !c->timer || !c->close_ev) {
		conn_free_parts(c);
		return NULL;
	}
	if (outbound_init(c) != 0 || inbound_init(c) != 0) {
		conn_free_parts(c);
		return NULL;
	}
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
