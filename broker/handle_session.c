/*
 * handle_session.c - HELLO/WELCOME, PING/PONG and the connection timer:
 * first the handshake timeout, then (after HELLO) a keepalive that sends
 * PING every ping_interval and closes a client that let max_pings_out of
 * them go unanswered.  Any frame from the client counts as an answer.
 * The timer is a deadline in c->timer_at, checked by the sweep (sweep.h);
 * the next PING is due ping_interval (as configured then) after the last.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "auth_login.h"
#include "broker.h"
#include "clock.h"
#include "conn.h"
#include "handle.h"
#include "pool.h"

static const char server_name[] = "brokerd";

void handle_session_start(struct conn *c)
{
	c->timer_at = clock_mono_ms() + c->b->conf.handshake_timeout_ms;
}

/* The deadline of the PING after the one due at `due` (0: no PINGs). */
static uint64_t next_ping(const struct conn *c, uint64_t due, uint64_t now)
{
	uint32_t every = c->b->conf.ping_interval_ms;

	if (every == 0)
		return 0;
	/* keep the cadence, but do not make up for missed ticks */
	return due + every > now ? due + every : now + every;
}

void handle_session_timer(struct conn *c, uint64_t now)
{
	uint8_t buf[8];

	if (c->state == CONN_HANDSHAKE) {
		conn_fail(c, PROTO_E_TIMEOUT, "no HELLO in time");
		return;
	}
	if (c->state != CONN_READY)
		return;
	if (c->pings_out >= c->b->conf.max_pings_out) {
		/* At notice like a slow consumer: an operator wants to see
		 * clients that vanish without closing (the close itself is
		 * an info line, as every disconnection). */
		conn_log(c, LOG_LEVEL_NOTICE,
			 "PING not answered (%u sent), "
			 "closing",
			 c->pings_out);
		conn_fail(c, PROTO_E_TIMEOUT, "PING not answered");
		return;
	}
	c->timer_at = next_ping(c, c->timer_at, now);
	c->pings_out++;
	conn_send_frame(c, buf, proto_enc_ping(buf, sizeof buf));
}

/* Keep the client's name for the monitor (only after HELLO, so an idle
 * connection pays one pointer).  Out of memory: it stays nameless. */
static void keep_name(struct conn *c, struct proto_str name)
{
	if (!name.ptr || name.len == 0 || c->name)
		return;
	c->name = malloc((size_t)name.len + 1);
	if (c->name) {
		memcpy(c->name, name.ptr, name.len);
		c->name[name.len] = 0;
	}
}

void handle_hello_welcome(struct conn *c, struct proto_str name)
{
	const struct conf *cf = &c->b->conf;
	uint8_t buf[128];
	size_t n;

	n = proto_enc_welcome(buf, sizeof buf, PROTO_VERSION,
			      proto_cstr(server_name), c->id,
			      c->b->frame_max_payload, cf->ping_interval_ms);
	conn_send_frame(c, buf, n);
	c->state = CONN_READY;
	pool_handshake_over(c);
	c->pings_out = 0;
	c->timer_at = cf->ping_interval_ms > 0
			      ? clock_mono_ms() + cf->ping_interval_ms
			      : 0;
	keep_name(c, name);
	conn_log(c, LOG_LEVEL_INFO, "HELLO, name '%.*s'",
		 name.ptr ? (int)name.len : 0, name.ptr ? name.ptr : "");
}

void handle_hello(struct conn *c, const struct proto_msg *m)
{
	if (c->state != CONN_HANDSHAKE) {
		conn_send_err(c, 0, PROTO_E_NOT_READY, "HELLO sent twice");
		return;
	}
	if (m->version != PROTO_VERSION) {
		conn_fail(c, PROTO_E_BAD_VERSION,
			  "unsupported protocol version");
		return;
	}
	if (m->name.ptr && m->name.len > 0 &&
	    proto_check_name(m->name.ptr, m->name.len, PROTO_E_BAD_NAME)) {
		conn_fail(c, PROTO_E_BAD_NAME, "invalid client name");
		return;
	}
	if (c->b->auth && c->b->auth->users) {
		auth_login(c, m); /* WELCOME now or once checked */
		return;
	}
	if (m->user.ptr || m->pass.ptr)
		conn_log(c, LOG_LEVEL_DEBUG,
			 "credentials ignored: no users_file");
	handle_hello_welcome(c, m->name);
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
