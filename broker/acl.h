/*
 * acl.h - one user's publish/subscribe rules (the users file's `allow` and
 * `deny` lines), and the three questions the broker asks them.
 *
 * A rule is (effect, action, pattern): effect allow or deny, action pub,
 * sub or all (both), pattern a subscription pattern (`*` one token, `>`
 * the tail).  Deny wins over allow; a user with no allow rule for an
 * action may do nothing of that kind.  The module is pure: no libevent, no
 * connection, no logging, so it is unit-tested on its own and the fuzzer
 * can drive it.
 *
 * Ownership: a struct acl is made by acl_new, filled by acl_add, then only
 * read; it belongs to the user record that holds it (users.c) and is freed
 * with it.  Every string argument is borrowed for the call only.
 */
#ifndef BROKERD_ACL_H
#define BROKERD_ACL_H

#include <stddef.h>

struct acl;

enum acl_effect { ACL_ALLOW, ACL_DENY };
enum acl_action { ACL_PUB = 1, ACL_SUB = 2, ACL_ALL = 3 };

/* What a SUB with a given pattern may have. */
enum acl_sub_verdict {
	ACL_SUB_NONE,	/* no topic it matches is allowed: refuse the SUB */
	ACL_SUB_ALL,	/* every topic it matches is allowed: deliver as is */
	ACL_SUB_FILTER, /* some are: check each topic at delivery */
};

/* An empty rule set (allows nothing), or NULL when out of memory.  The
 * caller owns it. */
struct acl *acl_new(void);

/* Free a and its rules.  NULL is a no-op. */
void acl_free(struct acl *a);

/* Add one rule (pattern copied).  0, or -1 when the pattern is not a valid
 * pattern (proto_check_pattern) or memory runs out (nothing added). */
int acl_add(struct acl *a, enum acl_effect effect, enum acl_action action,
	    const char *pattern, size_t len);

/* May the user publish to topic (a valid topic)?  1 yes, 0 no. */
int acl_may_pub(const struct acl *a, const char *topic, size_t len);

/* What a SUB with pattern (a valid pattern) gets; user is the
 * connection's user name, used for the private reply inbox
 * (`_INBOX.<user>.>` is always allowed to its owner). */
enum acl_sub_verdict acl_sub_verdict(const struct acl *a, const char *user,
				     size_t user_len, const char *pattern,
				     size_t len);

/* For an ACL_SUB_FILTER subscription: may topic be delivered?  1 yes. */
int acl_may_receive(const struct acl *a, const char *user, size_t user_len,
		    const char *topic, size_t len);

#endif
