/* authz.c - see authz.h. */
#include "config.h"

#include "authz.h"

#include <stdio.h>

#include "broker.h"
#include "conn.h"
#include "router.h"
#include "subs.h"
#include "users.h"

/* len cut down to at most room bytes, not inside a UTF-8 sequence (a
 * reason must stay valid UTF-8). */
static int fit(const char *s, size_t len, size_t room)
{
	if (len <= room)
		return (int)len;
	while (room > 0 && ((unsigned char)s[room] & 0xc0) == 0x80)
		room--;
	return (int)room;
}

/* Room for a topic or pattern in a reason beside the words around it. */
#define REASON_ROOM (PROTO_MAX_REASON - 48)

/* ERR FORBIDDEN naming what was refused; counted. */
static void refuse(struct conn *c, uint64_t req_id, const char *verb,
		   const char *what, size_t len)
{
	char why[PROTO_MAX_REASON];

	snprintf(why, sizeof why, "not authorized to %s '%.*s'", verb,
		 fit(what, len, REASON_ROOM), what);
	c->b->stats.forbidden++;
	conn_log(c, LOG_LEVEL_DEBUG, "user '%s': %s", c->user->name, why);
	conn_send_err(c, req_id, PROTO_E_FORBIDDEN, why);
}

int authz_pub(struct conn *c, uint64_t req_id, struct proto_str topic)
{
	if (acl_may_pub(c->user->acl, topic.ptr, topic.len))
		return 1;
	refuse(c, req_id, "publish to", topic.ptr, topic.len);
	return 0;
}

static enum acl_sub_verdict verdict(const struct conn *c, const char *pattern,
				    size_t len)
{
	const struct user *u = c->user;

	if (!u)
		return ACL_SUB_ALL;
	return acl_sub_verdict(u->acl, u->name, u->name_len, pattern, len);
}

enum acl_sub_verdict authz_sub(struct conn *c, uint64_t req_id,
			       const char *pattern, size_t len)
{
	enum acl_sub_verdict v = verdict(c, pattern, len);

	if (v == ACL_SUB_NONE)
		refuse(c, req_id, "subscribe to", pattern, len);
	return v;
}

void authz_mark(struct conn *c, struct sub *s, enum acl_sub_verdict v)
{
	router_set_filtered(c->b->router, s, v == ACL_SUB_FILTER);
}

int authz_may_receive(const struct conn *c, struct proto_str topic)
{
	const struct user *u = c->user;

	return !u || acl_may_receive(u->acl, u->name, u->name_len, topic.ptr,
				     topic.len);
}

/* Take s out of c: unlinked, freed, the client told with NOTICE REVOKED. */
static void revoke(struct conn *c, struct sub *s)
{
	uint8_t buf[64 + PROTO_MAX_REASON];
	char why[PROTO_MAX_REASON];
	uint32_t sid = s->ts.sid;

	snprintf(why, sizeof why, "no longer authorized: '%.*s'",
		 fit(s->pattern, sub_pattern_len(s), REASON_ROOM), s->pattern);
	conn_log(c, LOG_LEVEL_NOTICE,
		 "user '%s': subscription %u on '%s' revoked by the new rules",
		 c->user ? c->user->name : "-", sid, s->pattern);
	router_unsubscribe(c->b->router, s);
	subs_take(&c->subs, sid);
	sub_free(s);
	c->b->stats.revoked++;
	conn_send_frame(c, buf,
			proto_enc_notice(buf, sizeof buf, PROTO_NOTICE_REVOKED,
					 sid, proto_cstr(why)));
}

void authz_reapply(struct conn *c)
{
	uint32_t i = 0;
	struct sub *s;

	/* in sid order; taking record i shifts the next one into place i */
	while ((s = subs_at(&c->subs, i)) != NULL) {
		enum acl_sub_verdict v = verdict(c, s->pattern,
						 sub_pattern_len(s));

		if (v == ACL_SUB_NONE) {
			revoke(c, s);
		} else {
			authz_mark(c, s, v);
			i++;
		}
	}
}
