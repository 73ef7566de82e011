/*
 * inbound.h - guards on what a connection sends us: the pool's rate limit
 * (PUB, SUB and UNSUB frames, a token bucket), back-pressure on PUBs while
 * less than a tenth of the pool's outbound budget is left, and the frame timeout against
 * slow-loris clients (a started frame must complete within frame_timeout).
 *
 * Back-pressure means the broker stops reading the client
 * (transport_read off, so libevent does not keep re-firing a read callback
 * that consumes nothing) and arms a timer to try again; the
 * client's frames wait in its socket, nothing is lost or buffered without
 * bound.
 *
 * Memory: an idle connection holds no timer and no bucket here.  The frame
 * timeout is a deadline checked by the broker's sweep (sweep.h); the token
 * bucket and the resume timer are allocated at the first frame a rate limit
 * applies to, or at the first pause.  Whether reading is paused is
 * conn.h's pause mask (CONN_PAUSE_RATE, CONN_PAUSE_BUDGET).
 */
#ifndef BROKERD_INBOUND_H
#define BROKERD_INBOUND_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct inbound_limit;

/* Retry interval while the outbound budget is exhausted. */
#define INBOUND_BUDGET_RETRY_MS 10u
/* Longest stretch a pool's publishers are held back for its budget: after
 * it they are read again and what does not fit is dropped (counted,
 * NOTICE DROPPED), so subscribers that stall for good cannot stop every
 * publisher of the pool for good. */
#define INBOUND_BUDGET_MAX_MS 1000u

struct inbound {
	struct inbound_limit *lim; /* owned, NULL until needed: the token
				    * bucket and the resume timer */
	uint64_t frame_at;	   /* frame timeout deadline (sweep.h's
				    * clock), 0: no frame started */
};

/* Set up c->in (allocates nothing).  0 (kept for symmetry: -1 would mean
 * out of memory). */
int inbound_init(struct conn *c);
void inbound_free(struct conn *c);

/* Before handling the complete frame body[0..len) (borrowed): 0 to go on
 * (a PUB, SUB or UNSUB then took its token), 1 when reading is now paused
 * (the caller leaves the frame buffered and stops; reading resumes by
 * itself through conn_unpause). */
int inbound_gate(struct conn *c, const uint8_t *body, size_t len);

/* The read loop stopped; partial: an incomplete frame is buffered.  Arms
 * or disarms the frame timeout. */
void inbound_partial(struct conn *c, int partial);

/* Make sure c can be resumed by inbound_resume_soon (its resume event
 * exists).  0, or -1 when out of memory. */
int inbound_resume_prepare(struct conn *c);

/* Read c again soon, from its own event (never inside the caller): the
 * end of a CONN_PAUSE_BLOCK (flowhold.h). */
void inbound_resume_soon(struct conn *c);

/* Stop everything (connection closing). */
void inbound_stop(struct conn *c);

/* c->in.frame_at passed (called by the sweep): count it, send ERR TIMEOUT
 * and close c. */
void inbound_timeout(struct conn *c);

#endif
