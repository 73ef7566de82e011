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
#include <event2/event.h>

#include "auth_login.h"
#include "broker.h"
#include "clock.h"
#include "handle.h"
#include "msgtail.h"
#include "pool.h"
#include "transport.h"
#include "users.h"

static void format_addr(char *buf, size_t cap, const struct conn_addr *a);

void conn_log(const struct conn *c, enum log_level level, const char *fmt, ...)
{
	char prefix[128], addr[64];
	va_list ap;

	if (!log_enabled(&c->b->log, level))
		return;
	format_addr(addr, sizeof addr, &c->addr);
	snprintf(prefix, sizeof prefix,
		 "client %llu %s: ", (unsigned long long)c->id, addr);
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
	return outbound_send_ctl(c, frame, len);
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

	e = proto_decode(body, len, &m); /* it zeroes m first */
	c->pings_out = 0;		 /* any frame proves the client alive */
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
	case PROTO_HELLO:
		handle_hello(c, &m);
		break;
	case PROTO_PING:
		handle_ping(c);
		break;
	case PROTO_PONG:
		handle_pong(c);
		break;
	case PROTO_PUB:
		handle_pub(c, &m);
		break;
	case PROTO_SUB:
		handle_sub(c, &m);
		break;
	case PROTO_UNSUB:
		handle_unsub(c, &m);
		break;
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
	c->io.bytes_in += len + PROTO_HDR_LEN;
	dispatch(c, body, len);
	/* Replies to our own requests pile up when the client does not
	 * read: stop reading it until its output drains. */
	if (c->state != CONN_CLOSING &&
	    outbound_answers_pending(c) > outbound_max_bytes(c))
		conn_pause(c, CONN_PAUSE_OUTPUT);
	return 0;
}

/* The largest frame body c may send now: before HELLO only a HELLO is
 * expected, so a client that never says HELLO cannot make us buffer a
 * max_payload frame for handshake_timeout (1000 of them: a GiB). */
static uint32_t body_limit(const struct conn *c, uint32_t max_body)
{
	if (c->state == CONN_HANDSHAKE && max_body > PROTO_PREHELLO_MAX)
		return PROTO_PREHELLO_MAX;
	return max_body;
}

/* Handle the complete frames at the start of the contiguous bytes
 * p[0..len) in place.  Returns the bytes handled (to drain); *need is
 * what the next frame needs contiguous (proto_span_frame.need); *stop is
 * set when reading must end (closing, paused, bad length prefix). */
static size_t frames_in_span(struct conn *c, const uint8_t *p, size_t len,
			     uint32_t max_body, size_t *need, int *stop)
{
	struct proto_span s;
	struct proto_span_frame f = { 0, NULL, 0, 0 };

	proto_span_init(&s, p, len);
	while (c->state != CONN_CLOSING && !(c->pause & CONN_PAUSE_NOW)) {
		switch (proto_span_next(&s, body_limit(c, max_body), &f)) {
		case PROTO_SPAN_NEED_MORE:
			*need = f.need;
			return f.start;
		case PROTO_SPAN_TOO_LARGE:
			conn_fail(c, PROTO_E_FRAME_TOO_LARGE, NULL);
			*stop = 1;
			return f.start;
		case PROTO_SPAN_FRAME:
			break;
		}
		if (f.start == 0)
			inbound_partial(c, 0);
		if (one_frame(c, f.body, f.body_len)) {
			*stop = 1;
			return f.start;
		}
	}
	*stop = 1;
	return s.off;
}

/* Decode every complete frame in the input buffer, in place in its first
 * chain, and drain them at once.  A frame that straddles two chains is
 * pulled up once its prefix and then its body are all buffered: the
 * length prefix is checked before the body is, so a client can make us
 * hold at most one maximum-size frame plus one read. */
void conn_input(struct conn *c)
{
	struct evbuffer *in = transport_in(c->t);
	uint32_t max_body = c->b->frame_max_payload + PROTO_FRAME_OVERHEAD;

	while (in && c->state != CONN_CLOSING && !(c->pause & CONN_PAUSE_NOW)) {
		struct evbuffer_iovec v = { NULL, 0 };
		size_t avail, done, need = PROTO_HDR_LEN;
		int stop = 0;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			v.iov_len = 0;
		done = frames_in_span(c, v.iov_base, v.iov_len, max_body, &need,
				      &stop);
		if (done > 0)
			evbuffer_drain(in, done);
		avail = evbuffer_get_length(in);
		if (stop || avail < need) {
			if (!stop)
				inbound_partial(c, avail > 0);
			return;
		}
		if (!evbuffer_pullup(in, (ev_ssize_t)need)) {
			conn_fail(c, PROTO_E_INTERNAL, "out of memory");
			return;
		}
	}
}

/* The one rule for reading: not past READY, and no pause reason. */
static int may_read(const struct conn *c)
{
	return c->state <= CONN_READY && c->pause == 0;
}

void conn_pause(struct conn *c, unsigned bits)
{
	c->pause |= (uint8_t)bits;
	transport_read(c->t, 0);
}

void conn_unpause(struct conn *c, unsigned bits)
{
	c->pause &= (uint8_t)~bits;
	if (!may_read(c))
		return;
	transport_read(c->t, 1);
	conn_input(c);
	transport_in_trim(c->t);
}

void conn_output_drained(struct conn *c)
{
	if (c->state == CONN_CLOSING) {
		if (transport_out_len(c->t) == 0)
			conn_free_later(c, 0);
		return;
	}
	outbound_drained(c);
	if (c->state == CONN_DRAINING) {
		if (outq_entries(&c->ob.q) == 0)
			conn_fail(c, PROTO_E_SHUTTING_DOWN,
				  "broker shutting down");
		return;
	}
	if (c->pause & CONN_PAUSE_OUTPUT)
		conn_unpause(c, CONN_PAUSE_OUTPUT);
}

/* The deferred close event: the output is flushed or the flush timed out. */
static void close_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->pause & CONN_PAUSE_BROKEN)
		conn_log(c, LOG_LEVEL_WARNING, "closed: out of memory");
	else if (conn_out_pending(c) > 0)
		conn_log(c, LOG_LEVEL_INFO, "closed with %zu bytes unsent",
			 conn_out_pending(c));
	conn_free(c);
}

void conn_abort(struct conn *c, const char *why)
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
	pool_handshake_over(c); /* a closing connection is not evicted */
	transport_read(c->t, may_read(c));
	c->timer_at = 0;
	auth_login_cancel(c);
	inbound_stop(c);
	flowhold_gone(c);
	handle_sub_drop_all(c);
	outbound_discard(c);
	/* conn_output_drained now runs only once the output is empty */
	conn_free_later(c, conn_out_pending(c) == 0 ? 0 : ms);
}

void conn_drain(struct conn *c)
{
	if (c->state >= CONN_DRAINING)
		return;
	if (outq_entries(&c->ob.q) == 0) {
		conn_fail(c, PROTO_E_SHUTTING_DOWN, "broker shutting down");
		return;
	}
	c->state = CONN_DRAINING;
	transport_read(c->t, may_read(c));
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
	struct timeval tv = clock_ms_tv(ms);

	if (!c->close_ev)
		c->close_ev = event_new(c->b->base, -1, 0, close_cb, c);
	if (!c->close_ev) {
		/* out of memory: the sweep frees c (sweep.h) */
		c->timer_at = clock_mono_ms() + ms;
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
	if (c->state == CONN_CLOSING || (c->pause & CONN_PAUSE_BROKEN)) {
		if (c->timer_at != 0 && now >= c->timer_at)
			conn_free(c);
		return;
	}
	if (c->in.frame_at != 0 && now >= c->in.frame_at)
		inbound_timeout(c);
	if (c->state != CONN_CLOSING && c->timer_at != 0 && now >= c->timer_at)
		handle_session_timer(c, now);
}

/* ---- the transport's callbacks ---- */

static void on_input(void *ctx)
{
	conn_input(ctx);
}

/* Of the bytes queued to c (io.bytes_out), how many are written: those
 * not still in its output or its queue (frames, not OUTQ_ENTRY_COST). */
static uint64_t io_written(const struct conn *c)
{
	uint64_t pending = transport_out_len(c->t) + outq_bytes(&c->ob.q) -
			   outq_entries(&c->ob.q) * OUTQ_ENTRY_COST;

	return pending < c->io.bytes_out ? c->io.bytes_out - pending : 0;
}

/* After every write: account the output, and pump or finish once it is at
 * its low watermark (0 once closing: then only when empty). */
static void on_written(void *ctx, size_t left)
{
	struct conn *c = ctx;

	if (c == c->b->qdelay.conn) /* its timed MSG may have left */
		qdelay_written(&c->b->qdelay, c->b->base, c, io_written(c));
	outbound_account(c);
	flowhold_progress(c);
	if (left <= outbound_lowmark(c))
		conn_output_drained(c);
}

static void on_ended(void *ctx, enum transport_end why)
{
	struct conn *c = ctx;

	if (why == TRANSPORT_EOF)
		conn_close(c, "connection closed by client");
	else if (why == TRANSPORT_HANDSHAKE)
		conn_abort(c, "TLS handshake failed");
	else
		conn_abort(c, why == TRANSPORT_NOMEM ? "out of memory"
						     : "connection error");
}

/* What one read may take: CONN_MAX_READ, and at most a sixteenth of the
 * pool's per-client outbound bound, so that what a few reads fan out to a
 * reading subscriber stays far under its bound until the next write
 * (small bounds keep reads small and their pacing). */
static size_t on_read_max(void *ctx)
{
	const struct conn *c = ctx;
	uint64_t cap = c->ob.pool->lim.max_outbound / 16;

	if (cap < 4096)
		cap = 4096;
	/* Before WELCOME only a HELLO is wanted, and while its login is
	 * checked (auth_login.h) what was read waits in the input: keep that
	 * to a HELLO's worth, not a read's (unauthenticated connections stay
	 * small, whatever they pipeline). */
	if (c->state == CONN_HANDSHAKE && cap > CONN_HANDSHAKE_READ)
		cap = CONN_HANDSHAKE_READ;
	return cap < CONN_MAX_READ ? (size_t)cap : CONN_MAX_READ;
}

static const struct transport_cbs transport_cbs = {
	.input = on_input,
	.written = on_written,
	.ended = on_ended,
	.read_max = on_read_max,
};

/* Free what conn_new made (any part may be missing). */
static void conn_free_parts(struct conn *c)
{
	auth_login_cancel(c);
	user_unref(c->user);
	flowhold_free(c);
	outbound_free(c);
	inbound_free(c);
	transport_free(c->t);
	if (c->close_ev)
		event_free(c->close_ev);
	subs_free(&c->subs);
	free(c->name);
	free(c);
}

/* The loop's cached wall clock in ms (no clock call). */
static int64_t wall_ms(const struct broker *b)
{
	struct timeval tv = { 0, 0 };

	event_base_gettimeofday_cached(b->base, &tv);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

struct conn *conn_new(struct broker *b, evutil_socket_t fd,
		      const struct sockaddr *sa, int socklen, uint64_t id,
		      int counted, struct ssl_ctx_st *tls)
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
	c->tls = tls != NULL;
	c->since_ms = wall_ms(b);
	subs_init(&c->subs);
	store_addr(&c->addr, sa);
	outbound_init(c);
	c->ob.pool = b->pools->v[0]; /* "default", until pool_admit */
	c->t = tls ? transport_tls_new(b->transports, fd, tls, &transport_cbs,
				       c)
		   : transport_tcp_new(b->transports, fd, &transport_cbs, c);
	if (inbound_init(c) != 0 || !c->t) {
		conn_free_parts(c);
		return NULL;
	}
	handle_session_start(c);
	return c;
}

/* Add c's traffic to its pool's and the broker's counters, once, as it
 * goes (the monitor adds the live connections' at scrape time). */
static void fold_io(struct conn *c)
{
	struct bulk_counters *p = &c->ob.pool->st, *t = &c->b->stats.bulk;

	p->msgs_in += c->io.msgs_in;
	t->msgs_in += c->io.msgs_in;
	p->bytes_in += c->io.bytes_in;
	t->bytes_in += c->io.bytes_in;
	p->bytes_out += c->io.bytes_out;
	t->bytes_out += c->io.bytes_out;
}

void conn_free(struct conn *c)
{
	qdelay_forget(&c->b->qdelay, c);
	fold_io(c);
	if (c->state != CONN_CLOSING)
		handle_sub_drop_all(c);
	broker_detach(c->b, c);
	pool_leave(c);
	conn_free_parts(c);
}
