/*
 * engine.h - federation: this node as a member of a cluster of brokerd
 * nodes joined through a NATS cluster (the "engine"; docs/CLUSTERING.md).
 *
 * The loop side of it: the router's link hooks (router.h) follow local
 * interest (one upstream subscription per distinct pattern, per queue
 * group for groups: engine_interest.h) and offer each local client's
 * publish to the engine (through the breaker, engine_breaker.h, into the
 * bounded outbound queue of engine_link.h); messages from the engine come
 * back through a bounded queue and a wake-up pipe, and are routed with
 * ROUTER_ORIGIN_LINK, so the same bulkhead rules apply as for any
 * publisher.  The core stays single-threaded: nothing here runs off the
 * loop.
 *
 * Ownership: struct broker owns the engine (b->engine), made by engine_new
 * when `engine` is configured and freed by engine_free after every
 * connection (their unsubscriptions go through it) and before the router.
 */
#ifndef BROKERD_ENGINE_H
#define BROKERD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

struct broker;
struct engine;

/* What $SYS, /metrics and /varz show. */
struct engine_stats {
	int up;			  /* both engine connections connected */
	const char *breaker;	  /* "closed", "open", "half-open" (static) */
	char url[256];		  /* the engine server in use, "" when none */
	uint64_t forwarded;	  /* local publishes handed to the engine */
	uint64_t dropped_breaker; /* engine-bound, refused by the breaker */
	uint64_t dropped_out;	  /* engine-bound, outbound queue full */
	uint64_t publish_failed;  /* engine-bound, libnats refused them */
	uint64_t received;	  /* messages from the engine routed here */
	uint64_t dropped_in;	  /* from the engine, inbound queue full */
	uint64_t delivered;	  /* local copies of received messages */
	uint64_t dropped_invalid; /* from the engine, refused: a topic,
				   * reply-to or size a PUB could not have */
	uint64_t reconnects, disconnects, breaker_opened;
	uint64_t sub_failed; /* upstream subscriptions refused */
	size_t interests;    /* upstream subscriptions held */
};

/* Join the engine named by b->conf.engine (not empty): install the router
 * hooks and start the link (connecting in the background).  Returns the
 * engine (owned by b), or NULL with the reason logged. */
struct engine *engine_new(struct broker *b);

/* Leave: every upstream subscription, the link, the wake-up.  NULL is a
 * no-op. */
void engine_free(struct engine *e);

/* A snapshot of the counters. */
void engine_stats(struct engine *e, struct engine_stats *st);

#endif
