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
};

/* Interest hook: called after a pattern gained its first subscription
 * (present = 1) or lost its last one (present = 0).  pattern is borrowed
 * for the duration of the call. */
typedef void (*router_interest_fn)(void *arg, const char *pattern, size_t len,
				   int present);

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
 * of subscriptions the message was queued to, or -1 when out of memory
 * (nothing delivered). */
long router_publish(struct router *r, const struct router_origin *origin,
		    struct proto_str topic, struct proto_str reply_to,
		    struct proto_str payload);

/* Subscriptions currently held. */
size_t router_count(const struct router *r);

#endif
