/*
 * acl.c - one user's rules and the three questions (see acl.h).
 *
 * Rules are kept in the order given and scanned in full: a user has a few
 * rules, and deny wins wherever it stands, so order never matters.  Three
 * rules stand beside the written ones:
 *   - `$SYS`: a topic whose first token is `$SYS` is granted only by an
 *     allow rule whose first token is `$SYS` written out, never by a
 *     wildcard (`allow bob sub >` does not give `$SYS.>`, as MQTT's `#`
 *     does not match `$` topics), for pub and sub alike.
 *   - `_INBOX`: the same for subscribing and receiving (not publishing):
 *     `allow bob sub >` does not give other users' reply inboxes, only an
 *     allow rule starting with `_INBOX` does; publishing a reply to an
 *     inbox follows the rules like any topic (it reaches only the inbox's
 *     owner).
 *   - the private inbox: `_INBOX.<user>.>` is allowed to subscribe and
 *     receive for its owner, as if allowed by a rule (so a deny rule still
 *     wins over it).  Only when the user name is one valid topic token:
 *     a name with a dot could otherwise reach into another user's inbox.
 * Deny rules match every topic the usual way, reserved heads included.
 * The SUB verdict is exact for NONE when the allowed topics it meets are
 * each inside one deny rule, and for ALL when one allow rule holds the
 * whole pattern; otherwise (a union of rules needed) it says FILTER, which
 * is always safe: delivery then asks acl_may_receive per topic.
 */
#include "acl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl_pattern.h"
#include "proto.h"

#define INBOX_TOKEN "_INBOX"
#define SYS_TOKEN "$SYS"

struct rule {
	char *pat;	   /* owned, NUL-terminated */
	uint16_t len;	   /* strlen(pat), at most PROTO_MAX_TOPIC */
	uint8_t effect;	   /* enum acl_effect */
	uint8_t action;	   /* enum acl_action (a bit mask) */
	uint8_t wild_head; /* first token is "*" or ">" */
};

struct acl {
	struct rule *r; /* owned array of n rules, room for cap */
	size_t n, cap;
};

struct acl *acl_new(void)
{
	return calloc(1, sizeof(struct acl));
}

void acl_free(struct acl *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->r[i].pat);
	free(a->r);
	free(a);
}

static int grow(struct acl *a)
{
	size_t cap = a->cap ? a->cap * 2 : 4;
	struct rule *r;

	if (a->n < a->cap)
		return 0;
	r = realloc(a->r, cap * sizeof(*r));
	if (!r)
		return -1;
	a->r = r;
	a->cap = cap;
	return 0;
}

int acl_add(struct acl *a, enum acl_effect effect, enum acl_action action,
	    const char *pattern, size_t len)
{
	struct rule *r;

	if ((effect != ACL_ALLOW && effect != ACL_DENY) ||
	    (action & ~ACL_ALL) || !action ||
	    proto_check_pattern(pattern, len) != PROTO_OK_CODE || grow(a) < 0)
		return -1;
	r = &a->r[a->n];
	r->pat = malloc(len + 1);
	if (!r->pat)
		return -1;
	memcpy(r->pat, pattern, len);
	r->pat[len] = '\0';
	r->len = (uint16_t)len;
	r->effect = (uint8_t)effect;
	r->action = (uint8_t)action;
	r->wild_head = (pattern[0] == '*' || pattern[0] == '>') &&
		       (len == 1 || pattern[1] == '.');
	a->n++;
	return 0;
}

static int tok_is_word(const struct acl_tok *t, const char *w, size_t len)
{
	return t->len == len && memcmp(t->p, w, len) == 0;
}

/* Is first (a topic's or pattern's first token) one that wildcard allow
 * rules do not reach for action (ACL_PUB or ACL_SUB)? */
static int reserved(const struct acl_tok *first, enum acl_action action)
{
	return tok_is_word(first, SYS_TOKEN, sizeof(SYS_TOKEN) - 1) ||
	       (action == ACL_SUB &&
		tok_is_word(first, INBOX_TOKEN, sizeof(INBOX_TOKEN) - 1));
}

/* Is user one topic token, so that _INBOX.<user>.> is its own? */
static int inbox_user(const char *user, size_t user_len)
{
	return user && user_len > 0 && !memchr(user, '.', user_len) &&
	       proto_check_topic(user, user_len) == PROTO_OK_CODE;
}

/* Is topic (at least three tokens) inside _INBOX.<user>.>? */
static int in_inbox(const char *user, size_t user_len,
		    const struct acl_pat *topic)
{
	struct acl_tok u = { user, user_len };
	const struct acl_tok *t = topic->tok;

	return topic->n >= 3 &&
	       tok_is_word(&t[0], INBOX_TOKEN, sizeof(INBOX_TOKEN) - 1) &&
	       tok_is_word(&t[1], u.p, u.len) && inbox_user(user, user_len);
}

/* The rules' answer for one topic and one action (ACL_PUB or ACL_SUB);
 * inbox: the topic is the user's own inbox (an implicit allow). */
static int permitted(const struct acl *a, enum acl_action action,
		     const struct acl_pat *topic, int inbox)
{
	int allowed = inbox, rsv = reserved(&topic->tok[0], action);

	for (size_t i = 0; i < a->n; i++) {
		const struct rule *r = &a->r[i];

		if (!(r->action & action) ||
		    !acl_pat_match(r->pat, r->len, topic))
			continue;
		if (r->effect == ACL_DENY)
			return 0;
		if (!rsv || !r->wild_head)
			allowed = 1;
	}
	return allowed;
}

int acl_may_pub(const struct acl *a, const char *topic, size_t len)
{
	struct acl_pat t;

	acl_pat_split(topic, len, &t);
	return permitted(a, ACL_PUB, &t, 0);
}

int acl_may_receive(const struct acl *a, const char *user, size_t user_len,
		    const char *topic, size_t len)
{
	struct acl_pat t;

	acl_pat_split(topic, len, &t);
	return permitted(a, ACL_SUB, &t, in_inbox(user, user_len, &t));
}

/* One allow pattern (split) as the verdict sees it. */
struct grant {
	struct acl_pat p;
	int wild_head;
};

/* Is x inside one deny rule for SUB? */
static int denied_whole(const struct acl *a, const struct acl_pat *x)
{
	struct acl_pat d;

	for (size_t i = 0; i < a->n; i++) {
		const struct rule *r = &a->r[i];

		if (r->effect != ACL_DENY || !(r->action & ACL_SUB))
			continue;
		acl_pat_split(r->pat, r->len, &d);
		if (acl_pat_contains(&d, x))
			return 1;
	}
	return 0;
}

/* Does a deny rule for SUB share a topic with p? */
static int denied_some(const struct acl *a, const struct acl_pat *p)
{
	struct acl_pat d, x;

	for (size_t i = 0; i < a->n; i++) {
		const struct rule *r = &a->r[i];

		if (r->effect != ACL_DENY || !(r->action & ACL_SUB))
			continue;
		acl_pat_split(r->pat, r->len, &d);
		if (acl_pat_intersect(&d, p, &x))
			return 1;
	}
	return 0;
}

/* Verdict bits of one grant g for the SUB pattern p. */
#define GRANT_SOME 1  /* some topic of p is allowed by g and not denied */
#define GRANT_WHOLE 2 /* every topic of p is allowed by g */

static unsigned weigh(const struct acl *a, const struct grant *g,
		      const struct acl_pat *p)
{
	struct acl_pat x;
	const struct acl_tok *head = &p->tok[0];
	unsigned bits = 0;

	/* a wildcard grant gives no reserved topic; a wildcard head in p may
	 * mean reserved topics g does not give */
	if (reserved(head, ACL_SUB) && g->wild_head)
		return 0;
	if (acl_pat_intersect(&g->p, p, &x) && !denied_whole(a, &x))
		bits |= GRANT_SOME;
	if (!acl_tok_wild(head) && acl_pat_contains(&g->p, p))
		bits |= GRANT_WHOLE;
	return bits;
}

/* The private inbox _INBOX.<user>.> as a grant; 0 when the user has none. */
static int inbox_grant(const char *user, size_t user_len, struct grant *g)
{
	static const char tail[] = ">";

	if (!inbox_user(user, user_len))
		return 0;
	g->p.n = 3;
	g->p.tok[0] = (struct acl_tok){ INBOX_TOKEN, sizeof(INBOX_TOKEN) - 1 };
	g->p.tok[1] = (struct acl_tok){ user, user_len };
	g->p.tok[2] = (struct acl_tok){ tail, 1 };
	g->wild_head = 0;
	return 1;
}

enum acl_sub_verdict acl_sub_verdict(const struct acl *a, const char *user,
				     size_t user_len, const char *pattern,
				     size_t len)
{
	struct acl_pat p;
	struct grant g;
	unsigned bits = 0;

	acl_pat_split(pattern, len, &p);
	if (inbox_grant(user, user_len, &g))
		bits |= weigh(a, &g, &p);
	for (size_t i = 0; i < a->n; i++) {
		const struct rule *r = &a->r[i];

		if (r->effect != ACL_ALLOW || !(r->action & ACL_SUB))
			continue;
		acl_pat_split(r->pat, r->len, &g.p);
		g.wild_head = r->wild_head;
		bits |= weigh(a, &g, &p);
	}
	if (!(bits & GRANT_SOME))
		return ACL_SUB_NONE;
	if ((bits & GRANT_WHOLE) && !denied_some(a, &p))
		return ACL_SUB_ALL;
	return ACL_SUB_FILTER;
}
