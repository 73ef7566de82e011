/*
 * handle_sub.c - SUB and UNSUB, and dropping all of a connection's
 * subscriptions when it closes.
 *
 * Patterns (checked by proto_check_pattern; see trie.h for matching):
 *   valid:    a.b   a.*   a.>   *.b.>   *   >
 *   invalid:  ""  a..b  .a  a.  a*  a.>.b  (">" not last)  a.b*
 */
#include "config.h"

#include "authz.h"
#include "broker.h"
#include "conn.h"
#include "handle.h"
#include "pool.h"
#include "router.h"

void handle_sub(struct conn *c, const struct proto_msg *m)
{
	uint32_t sid = (uint32_t)m->sid;
	enum acl_sub_verdict v = ACL_SUB_ALL;
	struct sub *s;

	if (proto_check_pattern(m->topic.ptr, m->topic.len) != PROTO_OK_CODE) {
		conn_send_err(c, m->req_id, PROTO_E_BAD_PATTERN, NULL);
		return;
	}
	if (m->queue.ptr &&
	    proto_check_name(m->queue.ptr, m->queue.len, PROTO_E_BAD_QUEUE)) {
		conn_send_err(c, m->req_id, PROTO_E_BAD_QUEUE, NULL);
		return;
	}
	if (c->user && (v = authz_sub(c, m->req_id, m->topic.ptr,
				      m->topic.len)) == ACL_SUB_NONE)
		return; /* ERR FORBIDDEN sent */
	if (subs_get(&c->subs, sid)) {
		conn_send_err(c, m->req_id, PROTO_E_SID_IN_USE, NULL);
		return;
	}
	if (subs_count(&c->subs) >= c->ob.pool->lim.max_subs) {
		conn_send_err(c, m->req_id, PROTO_E_TOO_MANY_SUBS, NULL);
		return;
	}
	s = sub_new(c, sid, m->topic.ptr, m->topic.len, m->queue.ptr,
		    m->queue.len);
	if (!s || subs_insert(&c->subs, s) != 0) {
		sub_free(s);
		conn_send_err(c, m->req_id, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	if (router_subscribe(c->b->router, s) != 0) {
		subs_take(&c->subs, sid);
		sub_free(s);
		conn_send_err(c, m->req_id, PROTO_E_INTERNAL, "out of memory");
		return;
	}
	if (v == ACL_SUB_FILTER)
		authz_mark(c, s, v);
	outbound_sub_opts(c, &m->opts);
	conn_log(c, LOG_LEVEL_DEBUG, "SUB %u '%s'%s%s", sid, s->pattern,
		 s->ts.queue ? " queue " : "", s->ts.queue ? s->ts.queue : "");
	if (m->req_id != 0)
		conn_send_ok(c, m->req_id);
}

void handle_unsub(struct conn *c, const struct proto_msg *m)
{
	struct sub *s = subs_take(&c->subs, (uint32_t)m->sid);

	if (!s) {
		conn_send_err(c, m->req_id, PROTO_E_NO_SUCH_SID, NULL);
		return;
	}
	conn_log(c, LOG_LEVEL_DEBUG, "UNSUB %u", s->ts.sid);
	router_unsubscribe(c->b->router, s);
	sub_free(s);
	if (m->req_id != 0)
		conn_send_ok(c, m->req_id);
}

void handle_sub_drop_all(struct conn *c)
{
	struct sub *s;

	while ((s = subs_take_last(&c->subs)) != NULL) {
		router_unsubscribe(c->b->router, s);
		sub_free(s);
	}
}
