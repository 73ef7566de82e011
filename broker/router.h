/*
 * router.h - topic routing and fan-out.
 *
 * The router owns the subscription tree (trie) and delivers a publish to
 * every matching plain subscription and to one member of each matching
 * queue group.  It does not know where a publish came from beyond a small
 * origin tag, so a second message source (e.g. a future cluster link) can
 * publish through the same entry point.  Changes of interest (first
 * subscription on a pattern, last one gone) are reported through a hook so
 * such a link can follow them.
 *
 * Subscription records (struct sub) belong to their connection; the router
 * only links them into the trie between router_subscribe and
 * router_unsubscribe.
 */
#ifndef BROKERD_ROUTER_H
#define BROKERD_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "proto.h"
#include "stats.h"
#include "subs.h"

struct router;

enum router_origin_kind {
	ROUTER_ORIGIN_CLIENT, /* a local client's PUB; id = client id */
	ROUTER_ORIGIN_LINK,   /* another message source (reserved) */
};

struct router_origin {
	enum router_origin_kind kind;
	uint64_t id;
	/* ROUTER_ORIGIN_LINK only, both NULL: every matching subscription.
	 * A copy the federation engine received through one upstream
	 * subscription is for those local subscriptions only: only_pattern,
	 * the plain subscriptions on exactly that pattern (no queue group);
	 * only_group, one member of that queue group (no plain ones).
	 * Borrowed for the call. */
	const char *only_pattern;
	const char *only_group;
};

/* Interest hook: called after a pattern gained its first subscription
 * (present = 1) or lost its last one (present = 0).  pattern is borrowed
 * for the duration of the call. */
typedef void (*router_interest_fn)(void *arg, const char *pattern, size_t len,
				   int present);

/* Link hooks (the federation engine, engine.h).  sub: every subscription
 * linked (present 1) or unlinked (present 0), with its queue group name
 * (NULL: none); the strings are borrowed for the call.  forward: a local
 * client's publish, before its local delivery; returns 1 when the link
 * took it, which makes the link responsible for queue groups (the router
 * then skips them, so one member cluster-wide gets it), 0 when it did not
 * (queue groups are served locally). */
typedef void (*router_sub_fn)(void *arg, const char *pattern, size_t len,
			      const char *queue, int present);
typedef int (*router_forward_fn)(void *arg, struct proto_str topic,
				 struct proto_str reply_to,
				 struct proto_str payload);

/* A new router, or NULL when out of memory.  lg and stats are borrowed and
 * must outlive the router. */
struct router *router_new(const struct log *lg, struct broker_stats *stats);

/* Free the router and its trie.  All subscriptions must have been removed
 * (their records are not the router's to free).  NULL is a no-op. */
void router_free(struct router *r);

/* Install the interest hook (fn NULL: none; changes are still logged at
 * debug level). */
void router_set_interest_hook(struct router *r, router_interest_fn fn,
			      void *arg);

/* Install the link hooks (both NULL: none; arg is borrowed). */
void router_set_link(struct router *r, router_sub_fn sub,
		     router_forward_fn forward, void *arg);

/* Link s (pattern already validated, s->ts.owner the subscriber's struct
 * conn) into the tree.  s is borrowed until router_unsubscribe.  0, or -1
 * when out of memory (nothing changed). */
int router_subscribe(struct router *r, struct sub *s);

/* Unlink s; afterwards the router holds no pointer to it. */
void router_unsubscribe(struct router *r, struct sub *s);

/* Set s->ts.filtered (s linked: router_subscribe counts a record linked
 * with it set, router_unsubscribe forgets it): a filtered subscription gets a
 * MSG only when authz_may_receive allows its topic.  The router counts the
 * linked ones, so while there are none a publish asks nothing. */
void router_set_filtered(struct router *r, struct sub *s, int filtered);

/* Deliver one publish (topic and reply_to already validated; reply_to.ptr
 * NULL when absent).  The arguments are borrowed for the call only: the
 * outgoing bytes are copied once into a shared tail.  Returns the number
 * of subscriptions the message was queued to, plus one when the link took
 * it (a local client's publish; receivers elsewhere are unknown), or -1
 * when out of memory (nothing delivered). */
long router_publish(struct router *r, const struct router_origin *origin,
		    struct proto_str topic, struct proto_str reply_to,
		    struct proto_str payload);

/* Subscriptions currently held. */
size_t router_count(const struct router *r);

/* The subscription tree, read-only (the monitor's /subsz walks it with
 * trie_visit and reads trie_patterns, trie_groups).  Borrowed. */
const struct trie *router_trie(const struct router *r);

#endif
