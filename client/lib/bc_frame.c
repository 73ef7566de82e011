/*
 * bc_frame.c - what the client does with each decoded frame from the
 * broker: the handshake, PING/PONG and keepalive, OK/ERR, MSG, NOTICE.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "bc_client.h"
#include "bc_conn.h"
#include "bc_error.h"
#include "bc_flush.h"
#include "bc_frame.h"
#include "bc_guard.h"
#include "bc_msg.h"
#include "bc_offline.h"
#include "bc_pending.h"
#include "bc_reconnect.h"
#include "bc_sub.h"
#include "bc_subscribe.h"
#include "clock.h"

#define BC_KEEPALIVE_MISSES 3

/* Copy a view into a NUL-terminated buffer of cap bytes; -1 if too long. */
static int view_cstr(char *dst, size_t cap, struct proto_str v)
{
	if (!v.ptr) {
		dst[0] = 0;
		return 0;
	}
	if (v.len >= cap)
		return -1;
	memcpy(dst, v.ptr, v.len);
	dst[v.len] = 0;
	return 0;
}

static void ignore_pong(bc_client *c, struct bc_pending *p, int err)
{
	(void)c;
	(void)p;
	(void)err;
}

static void send_ping(bc_client *c, bc_pending_fn fn)
{
	uint8_t buf[16];
	size_t n = proto_enc_ping(buf, sizeof buf);

	if (bc_pending_add(c, &c->waits.pongs, 0, -1, fn) &&
	    bc_conn_send(c, buf, n) != BC_OK)
		bc_pending_cancel(TAILQ_LAST(&c->waits.pongs, bc_pending_list));
}

/* Every ping interval: if nothing came from the broker, ping it; after
 * BC_KEEPALIVE_MISSES silent intervals, give up on it.  Counting intervals
 * rather than comparing clocks avoids false alarms when a blocking-mode
 * program did not run the loop for a while. */
static void keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	bc_client *c = arg;

	(void)fd;
	(void)what;
	bc_enter(c);
	if (c->last_rx_ms > c->sess.last_check_ms)
		c->sess.silent_checks = 0;
	else if (++c->sess.silent_checks >= BC_KEEPALIVE_MISSES)
		bc_conn_lost(c, BC_ERR_TIMEOUT, 0, "broker stopped answering");
	else
		send_ping(c, ignore_pong);
	c->sess.last_check_ms = clock_mono_ms();
	bc_leave(c);
}

static void start_keepalive(bc_client *c)
{
	uint64_t ms = c->sess.ping_ms;
	struct timeval tv;

	if (ms == 0)
		return;
	if (ms < 100)
		ms = 100;
	if (ms > 86400000u)
		ms = 86400000u;
	tv = clock_ms_tv(ms);
	c->sess.silent_checks = 0; /* a new connection starts afresh */
	c->sess.keepalive_ev = event_new(c->base, -1, EV_PERSIST, keepalive_cb,
					 c);
	if (c->sess.keepalive_ev)
		event_add(c->sess.keepalive_ev, &tv);
	c->sess.last_check_ms = clock_mono_ms();
}

void bc_frame_stop(bc_client *c)
{
	if (c->sess.keepalive_ev) {
		event_free(c->sess.keepalive_ev);
		c->sess.keepalive_ev = NULL;
	}
}

static void on_welcome(bc_client *c, const struct proto_msg *m)
{
	int again = c->recon.ever_connected;

	if (m->version != PROTO_VERSION) {
		c->recon.fatal = 1; /* retrying will not change the version */
		bc_conn_lost(c, BC_ERR_HANDSHAKE, 0,
			     "unsupported protocol version");
		return;
	}
	c->max_payload = m->max_payload < PROTO_ABS_MAX_PAYLOAD
				 ? m->max_payload
				 : PROTO_ABS_MAX_PAYLOAD;
	c->sess.ping_ms = m->ping_ms;
	c->sess.client_id = m->client_id;
	event_free(c->conn.deadline_ev); /* the handshake is over */
	c->conn.deadline_ev = NULL;
	start_keepalive(c);
	c->state = BC_STATE_CONNECTED;
	bc_reconnect_done(c);
	bc_guard_result(c, BC_OK, 0);
	/* Subscriptions first, then what was published meanwhile. */
	bc_subscribe_restore(c);
	if (c->state != BC_STATE_CONNECTED)
		return;
	if (bc_offline_flush(c) != BC_OK) {
		bc_conn_lost(c, BC_ERR_NOMEM, 0, "out of memory");
		return;
	}
	bc_flush_send_waiting(c); /* PINGs behind the offline buffer */
	if (c->state != BC_STATE_CONNECTED)
		return;
	bc_set_state(c, again ? BC_STATE_RECONNECTED : BC_STATE_CONNECTED,
		     BC_OK);
}

static void on_handshake_frame(bc_client *c, const struct proto_msg *m)
{
	char text[PROTO_MAX_REASON + 1];

	if (m->op == PROTO_WELCOME) {
		on_welcome(c, m);
	} else if (m->op == PROTO_ERR) {
		bc_set_server_error(c, (int)m->code, m->reason);
		/* Codes 1..99 are ours (bad name, version, credentials): do
		 * not retry. */
		if (m->code >= 1 && m->code <= 99)
			c->recon.fatal = 1;
		bc_conn_lost(c,
			     m->code == PROTO_E_AUTH_FAILED ? BC_ERR_AUTH
							    : BC_ERR_HANDSHAKE,
			     (int)m->code, c->srv_err.reason);
	} else {
		snprintf(text, sizeof text, "unexpected %s before WELCOME",
			 proto_op_str(m->op));
		bc_conn_garbage(c, text);
	}
}

static void on_err(bc_client *c, const struct proto_msg *m)
{
	int err = m->code == PROTO_E_FORBIDDEN ? BC_ERR_FORBIDDEN
					       : BC_ERR_SERVER;

	bc_set_server_error(c, (int)m->code, m->reason);
	if (m->req_id &&
	    bc_pending_complete(c, &c->waits.acks, m->req_id, err) == 0)
		return;
	bc_report_error(c, err, (int)m->code, c->srv_err.reason);
}

static void on_msg(bc_client *c, const struct proto_msg *m)
{
	char topic[PROTO_MAX_TOPIC + 1], reply[PROTO_MAX_TOPIC + 1];
	struct bc_msg msg = { .sid = (uint32_t)m->sid };

	if (m->sid > UINT32_MAX || view_cstr(topic, sizeof topic, m->topic) ||
	    view_cstr(reply, sizeof reply, m->reply_to)) {
		bc_conn_garbage(c, "bad MSG frame");
		return;
	}
	if (c->closing)
		return;
	msg.topic = topic;
	msg.reply_to = m->reply_to.ptr ? reply : NULL;
	msg.data = m->payload.ptr ? m->payload.ptr : "";
	msg.len = m->payload.len;
	bc_sub_dispatch(c, &c->subs, &msg);
}

static void on_notice(bc_client *c, const struct proto_msg *m)
{
	char reason[PROTO_MAX_REASON + 1];

	if (view_cstr(reason, sizeof reason, m->reason) != 0)
		reason[0] = 0;
	/* Forgotten before the application hears of it, so that
	 * bc_unsubscribe(sid) in its callback returns BC_ERR_NO_SUCH_SUB
	 * instead of sending an UNSUB the broker would refuse. */
	if (m->code == PROTO_NOTICE_REVOKED && m->count <= UINT32_MAX)
		bc_subscribe_revoked(c, (uint32_t)m->count);
	if (c->opts.notice_cb && !c->closing)
		c->opts.notice_cb(c, (int)m->code, m->count, reason,
				  c->opts.notice_arg);
	if (m->code == PROTO_NOTICE_LAME_DUCK)
		bc_reconnect_lame_duck(c);
}

static void send_pong(bc_client *c)
{
	uint8_t buf[16];
	size_t n = proto_enc_pong(buf, sizeof buf);

	bc_conn_send(c, buf, n);
}

void bc_frame_handle(bc_client *c, const struct proto_msg *m)
{
	if (c->state == BC_STATE_CONNECTING) {
		on_handshake_frame(c, m);
		return;
	}
	switch (m->op) {
	case PROTO_PING:
		send_pong(c);
		break;
	case PROTO_PONG:
		bc_pending_complete(c, &c->waits.pongs, 0, BC_OK);
		break;
	case PROTO_OK:
		bc_pending_complete(c, &c->waits.acks, m->req_id, BC_OK);
		break;
	case PROTO_ERR:
		on_err(c, m);
		break;
	case PROTO_MSG:
		on_msg(c, m);
		break;
	case PROTO_NOTICE:
		on_notice(c, m);
		break;
	default:
		bc_conn_garbage(c, "unexpected frame from broker");
		break;
	}
}
