/*
 * trie.h - the subscription tree: patterns stored token by token, so a
 * publish is matched by walking at most (tokens x 3) branches instead of
 * scanning every subscription.
 *
 * Patterns are dot-separated tokens; "*" matches exactly one token, ">" (last
 * token only) matches one or more trailing tokens.  Callers validate patterns
 * and topics with proto_check_pattern()/proto_check_topic() first; the trie
 * assumes valid input.
 *
 *   pattern      matches                 does not match
 *   a.b          a.b                     a, a.b.c, a.bb
 *   a.*          a.b, a.x                a, a.b.c
 *   a.>          a.b, a.b.c              a
 *   *.b.>        x.b.c, y.b.c.d          x.b, b.c
 *   >            every topic             -
 *
 * Ownership: the trie owns its nodes; it never owns a trie_sub, which the
 * caller embeds in its own subscription record and must keep alive (and not
 * move) until trie_remove() returns for it.  No global state.
 */
#ifndef BROKERD_TRIE_H
#define BROKERD_TRIE_H

#include <stddef.h>
#include <stdint.h>

#include "qgroups.h"

/* One subscription as the trie sees it; embedded by the caller. */
struct trie_sub {
	void *owner;	    /* opaque to the trie (the broker's connection) */
	const char *queue;  /* NUL-terminated queue group name, or NULL; the
			     * caller's string until trie_add, which points
			     * it at the trie's interned copy (the name of a
			     * struct qgroup shared by every member: equal
			     * names, equal pointers); trie_remove sets it
			     * to NULL */
	uint32_t sid;	    /* the client's subscription id */
	uint32_t slot : 31; /* private to the trie: index in its node's
			     * array */
	uint32_t filtered : 1; /* not the trie's: the router asks authz.h
				* per topic before delivering (a SUB whose
				* rules allow only some of its topics);
				* a bit beside slot, so no sub grows */
};

/* The queue group of a sub in the trie (s->queue not NULL). */
static inline struct qgroup *trie_sub_group(const struct trie_sub *s)
{
	return (struct qgroup *)(void *)(s->queue -
					 offsetof(struct qgroup, name));
}

struct trie;

/* Result of a match: caller-owned storage reused across matches so the hot
 * path does not allocate once it has grown.  `plain` holds the matching
 * subscriptions without a queue group; `queued` those with one, ordered so
 * that the members of each group are adjacent (groups compare by name, and
 * a group spans every pattern that matched: the same group name on "a.*"
 * and "a.>" is one group).  group_start[i] is the index in `queued` where
 * group i begins, for i < ngroups; group i ends where i+1 begins (or at
 * nqueued); all members of a group share one trie_sub_group(), whose turn
 * the caller may use to rotate over them.  Groups come in name order
 * (strcmp); inside a group, members
 * are ordered by sid, then address, so the same members always come out in
 * the same order.  The pointers are the caller's own trie_subs, valid until
 * they are removed. */
struct trie_result {
	struct trie_sub **plain;
	size_t nplain;
	struct trie_sub **queued;
	size_t nqueued;
	size_t *group_start;
	size_t ngroups;
	size_t cap_plain, cap_queued, cap_groups; /* private */
};

/* A new, empty trie, or NULL when out of memory.  Free with trie_free. */
struct trie *trie_new(void);

/* Free the trie and all its nodes (never the trie_subs).  NULL is a no-op. */
void trie_free(struct trie *t);

/* Add s under pattern[0..len).  s is borrowed until trie_remove and must
 * not already be in the trie (one trie_sub per subscription).  Returns 1
 * when s is the first subscription on that exact pattern, 0 when the pattern
 * already had subscribers, -1 when out of memory (nothing changed). */
int trie_add(struct trie *t, const char *pattern, size_t len,
	     struct trie_sub *s);

/* Remove s from pattern[0..len) and prune nodes left empty.  Returns 1 when
 * it was the last subscription on that pattern, 0 when others remain, -1
 * when s was not there (nothing changed; s->slot is read, so a sub that was
 * never added must at least be initialised). */
int trie_remove(struct trie *t, const char *pattern, size_t len,
		struct trie_sub *s);

/* Match a publish topic; fills r (reset first).  Returns 0, or -1 when out
 * of memory (r then holds a partial result and must not be delivered). */
int trie_match(const struct trie *t, const char *topic, size_t len,
	       struct trie_result *r);

/* Zeroed result storage; free its arrays with trie_result_free. */
void trie_result_init(struct trie_result *r);
void trie_result_free(struct trie_result *r);

/* Number of subscriptions held, and of nodes including the root (for stats
 * and tests; a new or emptied trie has 1 node). */
size_t trie_count(const struct trie *t);
size_t trie_nodes(const struct trie *t);

/* Distinct queue group names among the subscriptions held (for tests). */
size_t trie_groups(const struct trie *t);

/* Distinct patterns that have subscriptions. */
size_t trie_patterns(const struct trie *t);

/* A pattern with subscriptions, for trie_visit: pattern[0..len) (and a
 * NUL after it) is in the walk's buffer and subs[0..n) in its node (both borrowed for the
 * call; the tree must not change during it).  Nonzero stops the walk. */
typedef int (*trie_visit_fn)(void *arg, const char *pattern, size_t len,
			     struct trie_sub *const *subs, size_t n);

/* Call fn for every pattern with subscriptions, depth first in the
 * tree's order (stable while the tree does not change), until fn returns
 * nonzero.  Returns that value, or 0 once every pattern was visited. */
int trie_visit(const struct trie *t, trie_visit_fn fn, void *arg);

#endif
