/*
 * obpolicy.h - the outbound policy as a pure decision: given what waits
 * for one connection (its output's bytes, its queue) and its limits (byte
 * bound, message bound, policy, the pool's budget left), where does the
 * next MSG go: straight into the output, into the queue, or is something
 * dropped, or is the connection cut off.  outbound.c acts on the verdict
 * (counts, logs, NOTICE, ERR, close); this module has no libevent, no
 * connection and no state, so every rule is unit-tested on its own
 * (tests/test_outbound.c).
 *
 * The rules, in order, for a message costing `cost` bytes
 * (outq_cost: frame bytes + OUTQ_ENTRY_COST), pending = output + queue:
 *   1. over the bound (something pending and pending + cost > max_bytes,
 *      or max_msgs messages already queued):
 *        disconnect  -> CUT
 *        drop-oldest -> DROP_OLDEST while the queue has some (then the
 *                       caller asks again), else DROP_NEW
 *        drop-newest -> DROP_NEW
 *   2. something pending and cost > the pool's budget left -> DROP_BUDGET
 *   3. nothing queued and the output under the window -> DIRECT
 *   4. else QUEUE.
 * A lone message larger than the bound still goes (nothing pending), so a
 * bound never makes a message undeliverable.
 *
 * block (a live subscriber; outbound.c passes drop-newest instead once it
 * is stalled): nothing is dropped, rules 1 and 2 do not apply; the message
 * goes by rules 3-4, and obpolicy_hold says whether the publisher must
 * then pause (over the high-water mark: half the byte or message bound)
 * and obpolicy_resume when the paused publishers may go on (under a
 * quarter of both: the gap keeps them from flapping per message).
 */
#ifndef BROKERD_OBPOLICY_H
#define BROKERD_OBPOLICY_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* Bytes of MSGs kept in a connection's output at most (beyond that they
 * wait in the queue, where drop-oldest can still discard them); half the
 * bound when that is smaller.  Large enough that what one read of a
 * publisher (CONN_MAX_READ) fans out to a reading subscriber goes straight
 * into its output: queueing costs a heap copy of the tail per publish. */
#define OUTBOUND_WINDOW (512u * 1024u)

enum ob_verdict {
	OB_DIRECT,	/* append to the output now */
	OB_QUEUE,	/* append to the queue (pumped as the output drains) */
	OB_DROP_NEW,	/* drop this message: over the bound */
	OB_DROP_OLDEST, /* drop the oldest queued message, then ask again */
	OB_DROP_BUDGET, /* drop this message: the pool's budget is spent */
	OB_CUT,		/* policy disconnect: discard everything, cut off */
};

struct ob_limits {
	uint64_t max_bytes;   /* effective byte bound */
	uint64_t max_msgs;    /* effective bound on queued messages */
	uint64_t budget_left; /* the pool's max_outbound_total minus its
				 * out_bytes (0 when over) */
	uint8_t policy;	      /* enum proto_policy, never NONE */
};

struct ob_load {
	uint64_t out_len; /* bytes in the transport's output */
	uint64_t q_bytes; /* bytes in the queue (outq_bytes) */
	uint64_t q_len;	  /* messages in the queue */
};

/* block: after this message is placed, is the subscriber over its
 * high-water mark, so that its publishers must pause? */
int obpolicy_hold(const struct ob_limits *lim, const struct ob_load *load,
		  uint64_t cost);

/* block: is the subscriber drained enough for its paused publishers to
 * go on? */
int obpolicy_resume(const struct ob_limits *lim, const struct ob_load *load);

/* The output's window for a byte bound: min(max_bytes / 2,
 * OUTBOUND_WINDOW). */
static inline uint64_t obpolicy_window(uint64_t max_bytes)
{
	uint64_t half = max_bytes / 2;

	return half < OUTBOUND_WINDOW ? half : OUTBOUND_WINDOW;
}

/* The verdict for one message costing cost bytes.  Inline, not in
 * obpolicy.c: it runs once per MSG per subscriber, and the call across
 * files (no LTO) cost about 5% of the broker's instructions on small
 * messages (callgrind). */
static inline enum ob_verdict obpolicy_decide(const struct ob_limits *lim,
					      const struct ob_load *ld,
					      uint64_t cost)
{
	uint64_t pending = ld->out_len + ld->q_bytes;
	int over = (pending > 0 && pending + cost > lim->max_bytes) ||
		   ld->q_len >= lim->max_msgs;

	if (lim->policy != PROTO_POLICY_BLOCK && over) {
		if (lim->policy == PROTO_POLICY_DISCONNECT)
			return OB_CUT;
		if (lim->policy == PROTO_POLICY_DROP_OLDEST && ld->q_len > 0)
			return OB_DROP_OLDEST;
		return OB_DROP_NEW;
	}
	if (lim->policy != PROTO_POLICY_BLOCK && pending > 0 &&
	    cost > lim->budget_left)
		return OB_DROP_BUDGET;
	/* block is never dropped: the publisher waits instead */
	if (ld->q_len == 0 && ld->out_len < obpolicy_window(lim->max_bytes))
		return OB_DIRECT;
	return OB_QUEUE;
}

#endif
