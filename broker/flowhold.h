/*
 * flowhold.h - the `block` policy's back-pressure: publishers that route
 * to a live `block` subscriber over its high-water mark are paused (not
 * read: CONN_PAUSE_BLOCK) until it drains, so nothing is dropped and
 * nothing more is buffered for it; a subscriber that makes no write
 * progress for stall_timeout is "stalled": its publishers go on and its
 * fallback (drop-newest) applies until it writes again.
 *
 * The path: outbound.c places a MSG for a block subscriber and, when
 * obpolicy_hold says it is over its mark, calls flowhold_note; handle_pub,
 * after the PUB is routed (the frame in hand is never dropped), calls
 * flowhold_after_pub, which pauses the publisher and puts it on the
 * subscriber's waiters.  As the subscriber writes (flowhold_progress) and
 * drains to obpolicy_resume, or stalls (its timer), the waiters are
 * resumed from their own events (inbound_resume_soon), never from inside
 * a write pass or a fan-out.
 *
 * Ownership: struct flowhold lives in struct conn.  The subscriber side
 * (waiters, stall timer, totals) is allocated at the first hold and freed
 * by flowhold_free; a publisher waits on one subscriber at a time
 * (borrowed pointer, unlinked by flowhold_gone of either side).  Per-PUB
 * cost when no block subscriber is involved: one pointer store and test.
 */
#ifndef BROKERD_FLOWHOLD_H
#define BROKERD_FLOWHOLD_H

#include <stdint.h>
#include <sys/queue.h>

struct conn;
struct flowhold_sub;

struct flowhold {
	struct flowhold_sub *sub; /* owned, NULL until it first held a
				      * publisher (subscriber side) */
	struct conn *waiting_on;  /* borrowed: the block subscriber this
				      * publisher waits for, NULL: none */
	TAILQ_ENTRY(conn) link;	  /* in waiting_on's waiters */
	uint64_t held_since;	  /* ms (monotonic) of the pause */
};

/* A PUB from c is about to be routed: forget any earlier note. */
void flowhold_pub_start(struct conn *c);

/* A MSG was placed for the block subscriber s, now over its mark: the
 * publisher of the frame being handled is to pause for it. */
void flowhold_note(struct conn *s);

/* c's PUB was routed: pause c if a block subscriber noted it. */
void flowhold_after_pub(struct conn *c);

/* s wrote bytes: it is live (not stalled); resume its waiters once it
 * drained enough.  Cheap no-op for connections that never held anyone. */
void flowhold_progress(struct conn *s);

/* Is s a block subscriber found stalled (its fallback applies)? */
int flowhold_stalled(const struct conn *s);

/* c is closing: stop waiting, and resume everyone waiting for it. */
void flowhold_gone(struct conn *c);

/* Free the subscriber side (conn_free; after flowhold_gone). */
void flowhold_free(struct conn *c);

#endif
