/*
 * authz.h - authorization enforced on connections: the rules of the
 * connection's user (acl.h, c->user->acl from users.h) asked at PUB, at
 * SUB, at delivery for filtered subscriptions, and again for every live
 * subscription after a reload (authz_reapply).
 *
 * A connection without a user (c->user NULL: no users_file) is allowed
 * everything, and the callers test c->user before calling here, so that
 * path costs one pointer test per PUB or SUB and nothing per MSG.
 *
 * The semantics (protocol/PROTOCOL.md, "Authorization"):
 *   PUB to a topic the rules deny          ERR FORBIDDEN, stays open
 *   SUB whose pattern meets no allowed topic ERR FORBIDDEN
 *   SUB whose topics are all allowed       delivered as without rules
 *   SUB whose topics are partly allowed    accepted, marked filtered: each
 *                                          MSG is checked (acl_may_receive)
 *                                          and a denied one is not sent
 * So a subscriber never receives a topic its rules deny, whatever
 * wildcard it used.
 *
 * Ownership: nothing here allocates or keeps a pointer; arguments are
 * borrowed for the call.
 */
#ifndef BROKERD_AUTHZ_H
#define BROKERD_AUTHZ_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "proto.h"

struct conn;
struct sub;

/* May c (c->user set) publish to topic (valid)?  1 yes.  On no, c gets ERR
 * FORBIDDEN with req_id, and the refusal is counted and logged (debug). */
int authz_pub(struct conn *c, uint64_t req_id, struct proto_str topic);

/* What c's SUB on pattern (valid) gets: ACL_SUB_ALL when c->user is NULL.
 * On ACL_SUB_NONE, c gets ERR FORBIDDEN with req_id (counted, logged at
 * debug); the caller then drops the SUB. */
enum acl_sub_verdict authz_sub(struct conn *c, uint64_t req_id,
			       const char *pattern, size_t len);

/* Mark c's subscription s (linked in the router) filtered or not for
 * verdict v (ALL or FILTER), through router_set_filtered. */
void authz_mark(struct conn *c, struct sub *s, enum acl_sub_verdict v);

/* May c (the owner of a filtered subscription) receive topic?  1 yes.
 * Pure: no count, no log (it runs per MSG). */
int authz_may_receive(const struct conn *c, struct proto_str topic);

/* After a reload pointed c->user at its new record (or at NULL): re-ask
 * the verdict of every live subscription of c.  NONE: the subscription is
 * unlinked and freed, c gets NOTICE REVOKED (count = its sid, reason names
 * the pattern), logged at notice and counted; ALL <-> FILTER: its mark
 * changes in place.  Safe from any callback but a fan-out. */
void authz_reapply(struct conn *c);

#endif
