/*
 * outbound.h - a connection's outbound side: the bound on what may wait
 * for it (bytes and messages), the policy when that bound is hit
 * (drop-oldest, drop-newest, disconnect), its pool's budget, the drop
 * counters and the NOTICE DROPPED that reports every loss in-band.
 *
 * Path of a MSG: obpolicy.h decides (a pure function of the limits and
 * what is pending) and this module acts on the verdict.  If nothing is
 * queued and the connection's output is under OUTBOUND_WINDOW, the frame
 * goes straight into the output (no allocation); otherwise it waits in the
 * connection's struct outq, and outbound_drained (called as writes drain
 * the output) pumps it into the output.  Drops are counted and logged
 * here, cut-offs closed from a deferred event.
 * What counts against the bound ("pending") is the output's bytes plus the
 * queue's bytes (frame bytes + OUTQ_ENTRY_COST each).
 *
 * Limits are read live from the pool and the connection's SUB options:
 *   bound  = min(pool max_outbound, smallest max_bytes any SUB asked for)
 *   msgs   = min(pool max_outbound_msgs, smallest max_msgs asked for)
 *   policy = the policy of the last SUB that named one, else the pool's;
 *            block becomes drop-newest where the pool has allow_block no
 *            (the SUB gets NOTICE POLICY) and, while the subscriber is
 *            stalled (flowhold.h), becomes the stall_policy of the last
 *            SUB that named one, else drop-newest.
 * A SUB can only lower the pool's bounds (larger values are clamped; a
 * max_bytes under 1024 counts as 1024).
 */
#ifndef BROKERD_OUTBOUND_H
#define BROKERD_OUTBOUND_H

#include <stddef.h>
#include <stdint.h>

#include "obpolicy.h"
#include "outq.h"
#include "proto.h"

struct conn;
struct event;
struct msg_tail;
struct pool;

struct outbound {
	struct outq q;
	struct pool *pool;	     /* borrowed, never NULL: the default
				      * pool from conn_new, then pool_admit's */
	struct event *cut_ev;	     /* owned, made at the cut-off: deferred
				      * slow-consumer close; NULL before */
	uint8_t admitted;	     /* counted in pool->nconns */
	uint8_t req_policy;	     /* enum proto_policy from SUBs */
	uint8_t req_stall_policy;    /* block's fallback from SUBs, 0: none
				      * (drop-newest) */
	uint32_t req_max_msgs;	     /* smallest asked for (at most
				      * UINT32_MAX, as pools' bound), 0: none */
	uint64_t req_max_bytes;	     /* smallest asked for, 0: none */
	uint64_t accounted;	     /* our share of pool->out_bytes */
	uint64_t dropped_unreported; /* since the last NOTICE DROPPED */
	uint8_t gap;		     /* a newest/budget drop is unreported:
				      * its NOTICE goes before the next MSG */
	const char *reason;	     /* static text of the last drop */
};

/* Set up c->ob (allocates nothing). */
void outbound_init(struct conn *c);

/* Release the queue and the pool's share.  Safe on a zeroed c->ob. */
void outbound_free(struct conn *c);

/* Queue one MSG for c: head[0..hlen) (copied) then the publish's tail.
 * *tail is not changed (a message that has to wait is copied into the
 * queue's blocks when small, referenced when large: outq.h).  Applies the bound,
 * the policy and the pool budget; drops are counted and reported later.
 * Returns 0 when queued, 1 when dropped (c may be closing afterwards). */
int conn_send_msg(struct conn *c, const uint8_t *head, size_t hlen,
		  struct msg_tail **tail);

/* Send a control frame (OK, ERR, PONG, PING, WELCOME, NOTICE; copied)
 * in order with c's MSGs: straight into the output when nothing is
 * queued, else behind the queue, where it is never dropped.  0, or -1
 * when out of memory. */
int outbound_send_ctl(struct conn *c, const uint8_t *frame, size_t len);

/* Bytes of c's own answers that wait: the output (answers and MSGs
 * already in it) and the queued control frames. */
size_t outbound_answers_pending(const struct conn *c);

/* The output drained to its low watermark: send the pending NOTICE
 * DROPPED and pump queued messages. */
void outbound_drained(struct conn *c);

/* Keep c's share of its pool's out_bytes equal to outbound_pending(c);
 * call after anything changes c's output, its queue or its pool. */
void outbound_account(struct conn *c);

/* The output length at or below which outbound_drained should run: half
 * the window, 0 once c is closing. */
size_t outbound_lowmark(const struct conn *c);

/* Bytes waiting for c (output + queue). */
size_t outbound_pending(const struct conn *c);

/* block: has c drained enough for the publishers it paused to go on
 * (obpolicy_resume)? */
int outbound_block_resume(const struct conn *c);

/* c's effective byte bound. */
uint64_t outbound_max_bytes(const struct conn *c);

/* Apply a SUB's options to c (see the combination rule above). */
void outbound_sub_opts(struct conn *c, const struct proto_sub_opts *o);

/* Add n to counter `field` (offsetof a struct bulk_counters member) in
 * the broker's totals and in c's pool; see OUTBOUND_COUNT. */
void outbound_count(struct conn *c, size_t field, uint64_t n);
#define OUTBOUND_COUNT(c, f, n) \
	outbound_count((c), offsetof(struct bulk_counters, f), (n))

/* The connection is closing: discard what is still queued (counted as
 * dropped, never reported: there is no one left to tell). */
void outbound_discard(struct conn *c);

#endif
