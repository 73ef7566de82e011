/*
 * handle_pub.c - PUB: validate topic, reply-to and payload size, route,
 * then acknowledge (OK means "accepted and routed"; ERR NO_RESPONDERS,
 * when the PUB asked for it, "accepted and routed to nobody"); a block
 * subscriber over its mark then pauses the publisher (flowhold.h).
 */
#include "config.h"

#include "authz.h"
#include "broker.h"
#include "conn.h"
#include "handle.h"
#include "router.h"
#include "sys_topics.h"

void handle_pub(struct conn *c, const struct proto_msg *m)
{
	const struct router_origin origin = { ROUTER_ORIGIN_CLIENT, c->id, NULL,
					      NULL };
	long receivers;

	if (proto_check_topic(m->topic.ptr, m->topic.len) != PROTO_OK_CODE) {
		conn_send_err(c, m->req_id, PROTO_E_BAD_TOPIC, "invalid topic");
		return;
	}
	if (m->reply_to.ptr &&
	    proto_check_topic(m->reply_to.ptr, m->reply_to.len) !=
		    PROTO_OK_CODE) {
		conn_send_err(c, m->req_id, PROTO_E_BAD_TOPIC,
			      "invalid reply-to topic");
		return;
	}
	if (m->payload.len > c->b->conf.max_payload) {
		conn_send_err(c, m->req_id, PROTO_E_PAYLOAD_TOO_LARGE, NULL);
		return;
	}
	if (c->user && !authz_pub(c, m->req_id, m->topic))
		return; /* ERR FORBIDDEN sent */
	if (sys_topics_pub(c->b->sys, c, m))
		return; /* $SYS.: answered or refused there */
	flowhold_pub_start(c);
	receivers = router_publish(c->b->router, &origin, m->topic, m->reply_to,
				   m->payload);
	if (receivers < 0) {
		conn_send_err(c, m->req_id, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	c->io.msgs_in++;   /* routed, like stats.published */
	if (c->b->hold_on) /* a block subscriber went over its mark */
		flowhold_after_pub(c); /* after this frame: the next waits */
	if (m->req_id == 0)
		return;
	/* A requester that asked is told now, not by its timeout. */
	if (receivers == 0 && (m->flags & PROTO_PUB_NO_RESPONDERS))
		conn_send_err(c, m->req_id, PROTO_E_NO_RESPONDERS,
			      "no responders");
	else
		conn_send_ok(c, m->req_id);
}
