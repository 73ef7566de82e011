/*
 * handle_session.c - HELLO/WELCOME, PING/PONG and the connection timer:
 * first the handshake timeout, then (after HELLO) a keepalive that sends
 * PING every ping_interval and closes a client that let max_pings_out of
 * them go unanswered.  Any frame from the client counts as an answer.
 */
#include "config.h"

#include <string.h>

#include <event2/event.h>

#include "broker.h"
#include "conn.h"
#include "handle.h"

static const char server_name[] = "brokerd";

static struct timeval ms_to_tv(uint32_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	return tv;
}

void handle_session_start(struct conn *c)
{
	struct timeval tv = ms_to_tv(c->b->conf.handshake_timeout_ms);

	event_add(c->timer, &tv);
}

void handle_session_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	uint8_t buf[8];

	(void)fd;
	(void)what;
	if (c->state == CONN_HANDSHAKE) {
		conn_fail(c, PROTO_E_TIMEOUT, "no HELLO in time");
		return;
	}
	if (c->state != CONN_READY)
		return;
	if (c->pings_out >= c->b->conf.max_pings_out) {
		conn_fail(c, PROTO_E_TIMEOUT, "PING not answered");
		return;
	}
	c->pings_out++;
	conn_send_frame(c, buf, proto_enc_ping(buf, sizeof buf));
}

void handle_hello(struct conn *c, const struct proto_msg *m)
{
	const struct conf *cf = &c->b->conf;
	uint8_t buf[128];
	struct timeval tv = ms_to_tv(cf->ping_interval_ms);
	size_t n;

	if (c->state != CONN_HANDSHAKE) {
		conn_send_err(c, 0, PROTO_E_NOT_READY, "HELLO sent twice");
		return;
	}
	if (m->version != PROTO_VERSION) {
		conn_fail(c, PROTO_E_BAD_VERSION, "unsupported protocol version");
		return;
	}
	if (m->name.ptr && m->name.len > 0 &&
	    proto_check_name(m->name.ptr, m->name.len, PROTO_E_BAD_NAME)) {
		conn_fail(c, PROTO_E_BAD_NAME, "invalid client name");
		return;
	}
	if (m->name.ptr) {
		memcpy(c->name, m->name.ptr, m->name.len);
		c->name[m->name.len] = 0;
	}
	n = proto_enc_welcome(buf, sizeof buf, PROTO_VERSION,
			      proto_cstr(server_name), c->id, cf->max_payload,
			      cf->ping_interval_ms);
	conn_send_frame(c, buf, n);
	c->state = CONN_READY;
	c->pings_out = 0;
	event_del(c->timer);
	if (cf->ping_interval_ms > 0)
		event_add(c->timer, &tv);
	conn_log(c, LOG_LEVEL_INFO, "HELLO, name '%s'", c->name);
}

void handle_ping(struct conn *c)
{
	uint8_t buf[8];

	conn_send_frame(c, buf, proto_enc_pong(buf, sizeof buf));
}

void handle_pong(struct conn *c)
{
	/* The read path already reset pings_out for any frame. */
	c->pings_out = 0;
}
