/*
 * sys_topics.h - the reserved "$SYS." topic tree: the broker's own
 * counters, readable by any client.
 *
 *   $SYS.REQ.STATS            a client PUBs here with a reply_to; the broker
 *                             publishes every counter (JSON text, see
 *                             stats.h) to that reply_to.
 *   $SYS.broker.stats         published every sys_interval (0 = never):
 *                             the broker's totals;
 *   $SYS.pool.NAME.stats      ... and each pool's counters.
 *
 * Clients may subscribe to $SYS.> like any topic, but may not publish to
 * "$SYS" itself or a $SYS. topic other than $SYS.REQ.STATS (ERR BAD_TOPIC
 * "reserved").
 *
 * Ownership: the broker owns the struct sys_topics (sys_topics_new/free);
 * it keeps a borrowed pointer to the broker.
 */
#ifndef BROKERD_SYS_TOPICS_H
#define BROKERD_SYS_TOPICS_H

#include "proto.h"

#define SYS_PREFIX "$SYS."
#define SYS_REQ_STATS "$SYS.REQ.STATS"

struct broker;
struct conn;
struct sys_topics;

/* Start the periodic publisher (b->router, b->pools and b->base exist).
 * NULL when out of memory. */
struct sys_topics *sys_topics_new(struct broker *b);
void sys_topics_free(struct sys_topics *s);

/* A PUB from c: if its topic is in $SYS., handle it (answer a stats
 * request, or refuse a reserved topic with ERR BAD_TOPIC) and return 1;
 * otherwise return 0 and let it be routed. */
int sys_topics_pub(struct sys_topics *s, struct conn *c,
		   const struct proto_msg *m);

#endif
