/*
 * bc_conn.c - the connection: name resolution, a non-blocking connect that
 * tries each address in turn, the bufferevent, reading frames out of the
 * input buffer, queueing output, and losing the connection.
 *
 * The bufferevent exists from the start of each attempt (without a
 * socket), holding the HELLO until the socket is up.  Publishes made while
 * not connected go to the offline buffer instead (bc_offline.c), and
 * subscriptions are sent after the WELCOME, so a failed attempt loses
 * nothing.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "bc_addr.h"
#include "bc_client.h"
#include "bc_conn.h"
#include "bc_error.h"
#include "bc_frame.h"
#include "bc_guard.h"
#include "bc_offline.h"
#include "bc_pending.h"
#include "bc_reconnect.h"
#include "bc_request.h"
#include "bc_tls.h"
#include "clock.h"

/* Most bytes libevent reads or writes in one system call (its default is
 * 16 KiB, which cuts large messages into many small reads). */
#define BC_MAX_SINGLE_IO (256 * 1024)

static void try_next(bc_client *c);

/* strerror text with a lower-case first letter, for "...: reason". */
static void sys_reason(char *buf, size_t cap, int err)
{
	snprintf(buf, cap, "%s", err ? strerror(err) : "connection failed");
	buf[0] = (char)tolower((unsigned char)buf[0]);
}

static void close_sock(bc_client *c)
{
	if (c->conn.connect_ev) {
		event_free(c->conn.connect_ev);
		c->conn.connect_ev = NULL;
	}
	if (c->conn.sock >= 0) {
		close(c->conn.sock);
		c->conn.sock = -1;
	}
}

void bc_conn_free(bc_client *c)
{
	close_sock(c);
	if (c->bev) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (c->conn.deadline_ev) {
		event_free(c->conn.deadline_ev);
		c->conn.deadline_ev = NULL;
	}
	bc_frame_stop(c);
	if (c->conn.kick_ev) {
		event_free(c->conn.kick_ev);
		c->conn.kick_ev = NULL;
	}
	c->conn.tls = 0;
	c->conn.tls_up = 0;
	bc_resolve_reset(&c->conn.res);
}

void bc_conn_destroy(bc_client *c)
{
	bc_conn_free(c);
	bc_resolve_free(&c->conn.res);
	bc_tls_ctx_free(c->conn.tls_ctx);
	c->conn.tls_ctx = NULL;
}

/* Note why an attempt on the current server failed, as "address: reason"
 * (reason borrowed for the call), for bc_connect_err. */
static void set_why(bc_client *c, const char *reason)
{
	const struct bc_server *srv = &c->opts.servers[c->recon.srv_idx];
	char addr[BC_ADDR_MAX_HOST + 16];

	bc_addr_format(addr, sizeof addr, srv->host, srv->port);
	snprintf(c->conn.why, sizeof c->conn.why, "%s: %s", addr, reason);
}

/* Tell the application, unless the library is going to try again. */
static void report_loss(bc_client *c, int was_connected, int retry, int err,
			int code, const char *reason)
{
	char text[PROTO_MAX_REASON + 32];

	if (c->closing || retry)
		return;
	if (was_connected) {
		snprintf(text, sizeof text, "connection lost: %s", reason);
		bc_report_error(c, BC_ERR_CLOSED, code, text);
	} else {
		bc_report_error(c, err, code, reason);
	}
}

/* What was written to the dead connection is gone (at most once); what
 * waits in the offline buffer, and flushes whose PING was not sent yet,
 * survive unless the client gives up. */
static void fail_waits(bc_client *c, int retry)
{
	bc_pending_fail_all(c, &c->waits.pongs, BC_ERR_CLOSED);
	if (retry) {
		bc_pending_fail_upto(c, &c->waits.acks, c->wire_req_id,
				     BC_ERR_CLOSED);
		bc_request_fail_upto(c, c->wire_req_id, BC_ERR_CLOSED);
		return;
	}
	bc_offline_clear(c);
	bc_pending_fail_all(c, &c->waits.flushes, BC_ERR_CLOSED);
	bc_pending_fail_all(c, &c->waits.acks, BC_ERR_CLOSED);
	bc_request_fail_all(c, BC_ERR_CLOSED);
}

void bc_conn_lost(bc_client *c, int err, int code, const char *reason)
{
	int was_connected = c->state == BC_STATE_CONNECTED;
	int retry;

	if (c->state == BC_STATE_DISCONNECTED || c->state == BC_STATE_CLOSED)
		return;
	bc_enter(c);
	bc_conn_free(c);
	c->conn.lost_err = err;
	c->recon.draining = 0;
	c->state = BC_STATE_DISCONNECTED; /* operations now fail: CLOSED */
	if (!was_connected && !c->closing) {
		set_why(c, reason);
		bc_guard_result(c, err, code);
	}
	retry = bc_reconnect_wanted(c, was_connected);
	fail_waits(c, retry);
	report_loss(c, was_connected, retry, err, code, reason);
	if (!c->closing)
		bc_set_state(c, BC_STATE_DISCONNECTED, err);
	if (retry && !c->closing && bc_reconnect_schedule(c) != BC_OK) {
		c->recon.reconnecting = 0;
		fail_waits(c, 0);
		bc_report_error(c, BC_ERR_NOMEM, 0,
				"cannot schedule reconnect");
	}
	bc_conn_drained(c); /* publishes now go to the offline buffer */
	bc_leave(c);
}

void bc_conn_garbage(bc_client *c, const char *reason)
{
	bc_conn_lost(c,
		     c->state == BC_STATE_CONNECTING ? BC_ERR_HANDSHAKE
						     : BC_ERR_PROTOCOL,
		     0, reason);
}

/* Garbage before WELCOME: most often the address is some other server
 * (NATS greets with "INFO {...", HTTP answers "HTTP/1.1 400"), whose text
 * read as a length prefix is a huge frame.  Say that, with the first bytes
 * it sent (unprintable ones as '.'), rather than "frame too large". */
static void not_broker(bc_client *c, const uint8_t *p, size_t len)
{
	char text[128], sent[25];
	size_t n = len < sizeof sent - 1 ? len : sizeof sent - 1;

	for (size_t i = 0; i < n; i++)
		sent[i] = p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"'
				  ? (char)p[i]
				  : '.';
	sent[n] = 0;
	snprintf(text, sizeof text,
		 "does not speak the brokerd protocol (it sent \"%s%s\")", sent,
		 n < len ? "..." : "");
	bc_conn_lost(c, BC_ERR_NOT_BROKER, 0, text);
}

/* Results of handle_span. */
enum span_end {
	SPAN_MORE, /* the next frame crosses the end of the span */
	SPAN_STOP, /* stop reading: break, close, loss or garbage */
};

static uint32_t max_body(const bc_client *c)
{
	return c->state == BC_STATE_CONNECTED
		       ? (uint32_t)(c->max_payload + PROTO_FRAME_OVERHEAD)
		       : PROTO_PREHELLO_MAX;
}

/* Handle the whole frames at the start of buf[0..len), one contiguous
 * piece of the input buffer, in place: no copy, payloads are passed to
 * the callbacks where they lie.  *used gets the bytes handled; *need the
 * bytes the next frame needs (header and body) on SPAN_MORE. */
static enum span_end handle_span(bc_client *c, struct bufferevent *bev,
				 const uint8_t *buf, size_t len, size_t *used,
				 size_t *need)
{
	struct proto_span s;
	struct proto_span_frame f;
	struct proto_msg m;

	proto_span_init(&s, buf, len);
	for (;;) {
		*used = s.off;
		if (len - s.off >= PROTO_HDR_LEN && c->break_req && c->in_run) {
			/* bc_break: keep the rest for the next bc_run. */
			c->input_pending = 1;
			return SPAN_STOP;
		}
		switch (proto_span_next(&s, max_body(c), &f)) {
		case PROTO_SPAN_TOO_LARGE:
			if (c->state == BC_STATE_CONNECTING)
				not_broker(c, buf + s.off, len - s.off);
			else
				bc_conn_garbage(c, "frame too large");
			return SPAN_STOP;
		case PROTO_SPAN_NEED_MORE:
			*need = f.need;
			return SPAN_MORE;
		case PROTO_SPAN_FRAME:
			break;
		}
		if (proto_decode(f.body, f.body_len, &m) != PROTO_OK_CODE) {
			bc_conn_garbage(c, "undecodable frame");
			return SPAN_STOP;
		}
		bc_frame_handle(c, &m);
		if (c->bev != bev || c->close_deferred) {
			*used = s.off;
			return SPAN_STOP;
		}
	}
}

/* Handle every complete frame in the input buffer, a contiguous piece
 * at a time, draining once per piece.  A frame that straddles two pieces
 * of the evbuffer is pulled up (made contiguous) first. */
static void read_frames(bc_client *c, struct bufferevent *bev)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	c->input_pending = 0;
	c->last_rx_ms = clock_mono_ms();
	while (c->bev == bev && !c->close_deferred) {
		struct evbuffer_iovec v;
		size_t used = 0, need = 0;
		enum span_end end;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			return;
		end = handle_span(c, bev, v.iov_base, v.iov_len, &used, &need);
		if (c->bev != bev)
			return; /* lost while handling: buffer is gone */
		evbuffer_drain(in, used);
		if (end == SPAN_STOP || evbuffer_get_length(in) < need)
			return;
		if (!evbuffer_pullup(in, (ssize_t)need)) {
			bc_conn_lost(c, BC_ERR_NOMEM, 0, "out of memory");
			return;
		}
	}
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	bc_client *c = arg;

	bc_enter(c);
	read_frames(c, bev);
	bc_leave(c);
}

/* The output fell to the low watermark (half of max_outbuf). */
static void write_cb(struct bufferevent *bev, void *arg)
{
	bc_client *c = arg;

	(void)bev;
	if (!c->conn.want_drain)
		return;
	bc_enter(c);
	bc_conn_drained(c);
	bc_leave(c);
}

void bc_conn_want_drain(bc_client *c)
{
	c->conn.want_drain = 1;
}

void bc_conn_drained(bc_client *c)
{
	if (!c->conn.want_drain || c->closing)
		return;
	c->conn.want_drain = 0;
	if (c->opts.drain_cb)
		c->opts.drain_cb(c, c->opts.drain_arg);
}

void bc_conn_resume(bc_client *c)
{
	if (!c->input_pending || !c->bev)
		return;
	bc_enter(c);
	read_frames(c, c->bev);
	bc_leave(c);
}

/* The broker hung up.  Over TLS before WELCOME, say when: during the
 * handshake it is a TLS failure; just after it, the likely cause is a
 * client certificate the broker requires (with TLS 1.3 it checks it after
 * our side is done, and its alert can be lost in the reset). */
static void eof_reason(const bc_client *c, char *buf, size_t cap, int *tls_err)
{
	const char *when = "";

	if (c->conn.tls && c->state == BC_STATE_CONNECTING) {
		*tls_err = !c->conn.tls_up;
		when = *tls_err ? " during the TLS handshake"
				: " after the TLS handshake (does it require "
				  "a client certificate?)";
	}
	snprintf(buf, cap, "connection closed by broker%s", when);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	bc_client *c = arg;
	char reason[192];
	int err = EVUTIL_SOCKET_ERROR();
	int tls_err = 0;

	if (what & BEV_EVENT_CONNECTED) {
		c->conn.tls_up = 1; /* handshake done: the HELLO goes out */
		return;
	}
	bc_enter(c);
	if (what & BEV_EVENT_EOF)
		eof_reason(c, reason, sizeof reason, &tls_err);
	else if (!(c->conn.tls &&
		   (tls_err = bc_tls_reason(bev, reason, sizeof reason))))
		sys_reason(reason, sizeof reason, err);
	bc_conn_lost(c,
		     c->state != BC_STATE_CONNECTING ? BC_ERR_CLOSED
		     : tls_err			     ? BC_ERR_TLS
						     : BC_ERR_HANDSHAKE,
		     0, reason);
	bc_leave(c);
}

/* The callbacks and limits of a connection's bufferevent. */
static void setup_bev(bc_client *c, struct bufferevent *bev)
{
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, c);
	bufferevent_setwatermark(bev, EV_WRITE, c->opts.max_outbuf / 2, 0);
	bufferevent_set_max_single_read(bev, BC_MAX_SINGLE_IO);
	bufferevent_set_max_single_write(bev, BC_MAX_SINGLE_IO);
}

/* Put a TLS bufferevent over the socket in place of the placeholder,
 * taking over the queued HELLO.  0, or -1 after bc_conn_lost. */
static int start_tls(bc_client *c)
{
	const struct bc_server *srv = &c->opts.servers[c->recon.srv_idx];
	char reason[128];
	struct bufferevent *tb;
	struct evbuffer *out;
	unsigned char *hello;

	tb = bc_tls_bev_new(c->base, c->conn.tls_ctx, c->conn.sock, srv->host,
			    &c->opts, reason, sizeof reason);
	if (!tb) {
		bc_conn_lost(c, BC_ERR_TLS, 0, reason);
		return -1;
	}
	c->conn.sock = -1; /* tb owns it now */
	/* Copied, not moved: the placeholder's output is frozen (it never
	 * had a socket). */
	out = bufferevent_get_output(c->bev);
	hello = evbuffer_pullup(out, -1);
	if (!hello ||
	    bufferevent_write(tb, hello, evbuffer_get_length(out)) != 0) {
		bufferevent_free(tb);
		bc_conn_lost(c, BC_ERR_NOMEM, 0, "out of memory");
		return -1;
	}
	bufferevent_free(c->bev);
	c->bev = tb;
	c->conn.tls = 1;
	setup_bev(c, tb);
	return 0;
}

/* The TCP connection is up: hand the socket to the bufferevent. */
static void connected(bc_client *c)
{
	int one = 1;

	setsockopt(c->conn.sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	event_free(c->conn.connect_ev);
	c->conn.connect_ev = NULL;
	if (bc_tls_wanted(&c->opts, &c->opts.servers[c->recon.srv_idx])) {
		if (start_tls(c) != 0)
			return;
	} else if (bufferevent_setfd(c->bev, c->conn.sock) != 0) {
		bc_conn_lost(c, BC_ERR_CONNECT, 0, "cannot set up the socket");
		return;
	}
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0) {
		bc_conn_lost(c, BC_ERR_CONNECT, 0, "cannot set up the socket");
		return;
	}
	c->conn.sock = -1; /* the bufferevent owns it now */
	bc_resolve_reset(&c->conn.res);
}

static void connect_cb(evutil_socket_t fd, short what, void *arg)
{
	bc_client *c = arg;
	int err = 0;
	socklen_t len = sizeof err;

	(void)what;
	bc_enter(c);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err == 0) {
		connected(c);
	} else {
		c->conn.sys_err = err;
		close_sock(c);
		try_next(c);
	}
	bc_leave(c);
}

/* Start a non-blocking connect to one address: 1 pending, 0 failed. */
static int attempt(bc_client *c, const struct bc_sockaddr *a)
{
	c->conn.sock = socket(a->ss.ss_family,
			      SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->conn.sock < 0) {
		c->conn.sys_err = errno;
		return 0;
	}
	if (connect(c->conn.sock, (const struct sockaddr *)&a->ss, a->len) !=
		    0 &&
	    errno != EINPROGRESS) {
		c->conn.sys_err = errno;
		close_sock(c);
		return 0;
	}
	c->conn.connect_ev = event_new(c->base, c->conn.sock, EV_WRITE,
				       connect_cb, c);
	if (!c->conn.connect_ev || event_add(c->conn.connect_ev, NULL) != 0) {
		c->conn.sys_err = ENOMEM;
		close_sock(c);
		return 0;
	}
	return 1;
}

static void try_next(bc_client *c)
{
	struct bc_resolver *res = &c->conn.res;
	char reason[160];

	while (res->next < res->n)
		if (attempt(c, &res->addrs[res->next++]))
			return;
	if (res->n == 0 && res->err[0])
		snprintf(reason, sizeof reason, "%s", res->err);
	else
		sys_reason(reason, sizeof reason, c->conn.sys_err);
	bc_conn_lost(c, BC_ERR_CONNECT, 0, reason);
}

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
	bc_client *c = arg;

	(void)fd;
	(void)what;
	bc_enter(c);
	try_next(c);
	bc_leave(c);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	bc_client *c = arg;

	(void)fd;
	(void)what;
	if (c->state == BC_STATE_CONNECTING)
		bc_conn_lost(c, BC_ERR_TIMEOUT, 0,
			     c->conn.res.lookup	 ? "name lookup timed out"
			     : c->conn.res.addrs ? "connect timed out"
						 : "no answer to HELLO");
}

/* The addresses are known (or the lookup failed): attempt from the loop,
 * so even an immediate "connection refused" goes through the callbacks. */
static void resolved(void *arg)
{
	static const struct timeval now = { 0, 0 };
	bc_client *c = arg;

	if (evtimer_add(c->conn.kick_ev, &now) != 0)
		snprintf(c->conn.res.err, sizeof c->conn.res.err,
			 "out of memory"); /* the deadline reports it */
}

/* Blocking mode owns its loop, so a blocking getaddrinfo stalls nobody
 * else; base mode must not stall the caller's loop. */
static int resolve(bc_client *c)
{
	const struct bc_server *srv = &c->opts.servers[c->recon.srv_idx];

	if (bc_resolve_start(&c->conn.res, c->own_base ? NULL : c->base,
			     srv->host, srv->port, resolved, c) != 0)
		return BC_ERR_NOMEM;
	return BC_OK;
}

/* HELLO, with the credentials map when there are credentials (the
 * copy on the stack is wiped; the bufferevent's goes with its memory). */
static int queue_hello(bc_client *c)
{
	uint8_t buf[PROTO_HDR_LEN + PROTO_MAX_NAME + BC_MAX_USER + BC_MAX_PASS +
		    64];
	size_t n;
	int rc;

	if (c->opts.user)
		n = proto_enc_hello_auth(buf, sizeof buf, PROTO_VERSION,
					 proto_cstr(c->opts.name),
					 proto_cstr(c->opts.user),
					 proto_cstr(c->opts.pass));
	else
		n = proto_enc_hello(buf, sizeof buf, PROTO_VERSION,
				    proto_cstr(c->opts.name));
	rc = n == 0 ? BC_ERR_INVALID : bc_conn_send(c, buf, n);
	explicit_bzero(buf, sizeof buf);
	return rc;
}

/* The TLS context, once per client (reconnects reuse it). */
static int make_tls_ctx(bc_client *c, char *reason, size_t cap)
{
	if (c->conn.tls_ctx || !bc_tls_any(&c->opts))
		return BC_OK;
	return bc_tls_ctx_new(&c->conn.tls_ctx, &c->opts, reason, cap);
}

int bc_conn_start(bc_client *c, char *reason, size_t cap)
{
	struct timeval tv = clock_ms_tv((uint64_t)c->opts.connect_timeout_ms);
	int rc;

	c->conn.why[0] = 0;
	rc = make_tls_ctx(c, reason, cap);
	if (rc != BC_OK)
		return rc;
	snprintf(reason, cap, "out of memory");
	c->bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
	c->conn.deadline_ev = evtimer_new(c->base, deadline_cb, c);
	c->conn.kick_ev = evtimer_new(c->base, kick_cb, c);
	if (!c->bev || !c->conn.deadline_ev || !c->conn.kick_ev)
		return BC_ERR_NOMEM;
	setup_bev(c, c->bev);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE); /* no socket yet */
	rc = queue_hello(c);
	if (rc != BC_OK)
		return rc;
	if (evtimer_add(c->conn.deadline_ev, &tv))
		return BC_ERR_NOMEM;
	c->state = BC_STATE_CONNECTING;
	return resolve(c);
}

int bc_conn_send(bc_client *c, const void *buf, size_t len)
{
	if (!c->bev)
		return BC_ERR_CLOSED;
	if (bufferevent_write(c->bev, buf, len) != 0)
		return BC_ERR_NOMEM;
	return BC_OK;
}

/* Not connected: the whole frame goes to the offline buffer. */
static int offline_pub(bc_client *c, uint64_t req_id, const char *topic,
		       const char *reply_to, const void *data, size_t len)
{
	uint8_t head[PROTO_MAX_HEAD];
	size_t n = proto_enc_pub_head(head, sizeof head, req_id,
				      proto_cstr(topic), proto_cstr(reply_to),
				      (uint32_t)len);

	if (n == 0)
		return BC_ERR_INVALID;
	return bc_offline_add(c, head, n, data, len);
}

/* Output chains for publishing: a fresh one of BC_PUB_CHAIN bytes once
 * less than BC_PUB_CHAIN_LOW is left in the current one. */
#define BC_PUB_CHAIN (16 * 1024)
#define BC_PUB_CHAIN_LOW 512

int bc_conn_send_pub(bc_client *c, uint64_t req_id, const char *topic,
		     const char *reply_to, const void *data, size_t len,
		     uint8_t flags)
{
	struct evbuffer_iovec v;
	struct evbuffer *out;
	size_t cap, n, room;

	/* Offline, the flags are dropped: the offline buffer holds plain
	 * PUBs, and a request without them just waits for its timeout. */
	if (!bc_conn_ready(c))
		return offline_pub(c, req_id, topic, reply_to, data, len);
	cap = proto_pub_head_size(req_id, strlen(topic), reply_to == NULL,
				  reply_to ? strlen(reply_to) : 0, len);
	if (cap == 0)
		return BC_ERR_INVALID; /* over a protocol limit */
	out = bufferevent_get_output(c->bev);
	/* One contiguous reservation for head and payload: the head is
	 * encoded in place and a frame is never half queued. */
	if (evbuffer_reserve_space(out, (ev_ssize_t)(cap + len + 1), &v, 1) !=
	    1)
		return BC_ERR_NOMEM;
	n = proto_enc_pub_head_flags(v.iov_base, cap, req_id, proto_cstr(topic),
				     proto_cstr(reply_to), (uint32_t)len,
				     flags);
	if (n == 0)
		return BC_ERR_INVALID; /* nothing committed */
	if (len)
		memcpy((uint8_t *)v.iov_base + n, data, len);
	if (flags) /* the 6th element, after the payload */
		((uint8_t *)v.iov_base)[n + len] = flags;
	room = v.iov_len; /* all the contiguous space libevent had */
	v.iov_len = n + len + (flags ? 1 : 0);
	if (evbuffer_commit_space(out, &v, 1) != 0)
		return BC_ERR_NOMEM;
	if (req_id > c->wire_req_id)
		c->wire_req_id = req_id;
	/* libevent sizes a new chain to the request (about 1 KiB for a
	 * small frame): when this one is nearly full, make the next one
	 * large, so small messages cost one malloc per hundred, not per
	 * six.  Only an optimisation: a failure changes nothing. */
	if (room - v.iov_len < BC_PUB_CHAIN_LOW)
		evbuffer_expand(out, BC_PUB_CHAIN);
	return BC_OK;
}

int bc_conn_ready(const bc_client *c)
{
	return c->bev && c->state == BC_STATE_CONNECTED && !c->recon.draining;
}

size_t bc_conn_outbuf(const bc_client *c)
{
	return c->bev ? evbuffer_get_length(bufferevent_get_output(c->bev)) : 0;
}

size_t bc_outbuf_len(const bc_client *c)
{
	return c && c->state == BC_STATE_CONNECTED ? bc_conn_outbuf(c) : 0;
}

void bc_conn_write_now(bc_client *c)
{
	evutil_socket_t fd;

	if (!c->bev || c->state != BC_STATE_CONNECTED)
		return;
	if (c->conn.tls) {
		bc_tls_write_now(c->bev);
		return;
	}
	fd = bufferevent_getfd(c->bev);
	if (fd >= 0)
		evbuffer_write(bufferevent_get_output(c->bev), fd);
}
