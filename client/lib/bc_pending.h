/*
 * bc_pending.h - waits for a broker answer: OK/ERR for a req_id, or PONG
 * for a PING.  Each wait sits in one list, may have a timer, and ends
 * exactly once through its fn.
 */
#ifndef BC_PENDING_H
#define BC_PENDING_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>

#include "brokerclient.h"

struct event;
struct bc_pending;

/* Called once when the wait ends: err BC_OK, BC_ERR_SERVER (server error
 * stored in the client), BC_ERR_TIMEOUT or BC_ERR_CLOSED.  p is already
 * unlinked and is freed after fn returns. */
typedef void (*bc_pending_fn)(bc_client *c, struct bc_pending *p, int err);

struct bc_pending {
	TAILQ_ENTRY(bc_pending) link;
	uint64_t req_id;     /* 0 in the PONG list */
	struct event *timer; /* owned, NULL: no timeout */
	bc_client *c;	     /* borrowed */
	bc_pending_fn fn;
	bc_ack_cb ack;		      /* user callback, for fn's use */
	void *arg;		      /* borrowed, for fn's use */
	uint32_t sid;		      /* for fn's use */
	int on_wire;		      /* for fn's use */
	struct bc_pending_list *list; /* the list holding it */
};

TAILQ_HEAD(bc_pending_list, bc_pending);

/* The client's waits. */
struct bc_waits {
	struct bc_pending_list acks;	/* by req_id, ascending */
	struct bc_pending_list pongs;	/* FIFO */
	struct bc_pending_list flushes; /* bc_flush_async waiting for a
					 * connection: PINGs not sent yet */
	const struct timeval *ack_tv;	/* libevent's common timeout for
					 * acks (the base's), NULL: none */
};

/* Empty lists, no common timeout. */
void bc_waits_init(struct bc_waits *w);
/* Free every wait without calling its fn. */
void bc_waits_cancel_all(struct bc_waits *w);

/* Append a wait to l ending after timeout_ms (< 0: never).  The list owns
 * it; the result is borrowed.  NULL when out of memory. */
struct bc_pending *bc_pending_add(bc_client *c, struct bc_pending_list *l,
				  uint64_t req_id, int timeout_ms,
				  bc_pending_fn fn);
/* Unlink and free p without calling fn (used when its frame was not
 * sent). */
void bc_pending_cancel(struct bc_pending *p);
/* End the wait for req_id (the head for req_id 0) with err; 0 if found. */
int bc_pending_complete(bc_client *c, struct bc_pending_list *l,
			uint64_t req_id, int err);
/* End every wait in l with err. */
void bc_pending_fail_all(bc_client *c, struct bc_pending_list *l, int err);
/* End the waits of l whose req_id is <= max (l sorted by req_id). */
void bc_pending_fail_upto(bc_client *c, struct bc_pending_list *l, uint64_t max,
			  int err);
/* Move p (timer and all) to the end of list l, which then owns it. */
void bc_pending_move(struct bc_pending *p, struct bc_pending_list *l);

#endif
