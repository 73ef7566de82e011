/*
 * inbound.h - guards on what a connection sends us: the pool's rate limit
 * (PUB, SUB and UNSUB frames, a token bucket), back-pressure on PUBs while
 * less than a tenth of the pool's outbound budget is left, and the frame timeout against
 * slow-loris clients (a started frame must complete within frame_timeout).
 *
 * Back-pressure means the broker stops reading the client
 * (bufferevent_disable EV_READ, so libevent does not keep re-firing a read
 * callback that consumes nothing) and arms a timer to try again; the
 * client's frames wait in its socket, nothing is lost or buffered without
 * bound.
 */
#ifndef BROKERD_INBOUND_H
#define BROKERD_INBOUND_H

#include <stddef.h>
#include <stdint.h>

#include "ratelimit.h"

struct conn;
struct event;

/* Retry interval while the outbound budget is exhausted. */
#define INBOUND_BUDGET_RETRY_MS 10u

struct inbound {
	struct ratelimit rl;
	struct event *resume_ev;   /* owned: end of a pause */
	struct event *frame_ev;    /* owned: frame timeout */
	int paused;                /* reading stopped by this module */
};

/* Set up c->in (c->b->base exists).  0, or -1 when out of memory. */
int inbound_init(struct conn *c);
void inbound_free(struct conn *c);

/* Before handling the complete frame body[0..len) (borrowed): 0 to go on
 * (a PUB, SUB or UNSUB then took its token), 1 when reading is now paused
 * (the caller leaves the frame buffered and stops; reading resumes by
 * itself through conn_read_resume). */
int inbound_gate(struct conn *c, const uint8_t *body, size_t len);

/* The read loop stopped; partial: an incomplete frame is buffered.  Arms
 * or disarms the frame timeout. */
void inbound_partial(struct conn *c, int partial);

/* Stop everything (connection closing). */
void inbound_stop(struct conn *c);

#endif
