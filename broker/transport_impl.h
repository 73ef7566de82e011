/*
 * transport_impl.h - what an implementation of transport.h (TCP, TLS)
 * shares with the common part (transport.c): the base struct it embeds
 * first, its ops table and the flush-list hooks.  Only transport*.c
 * include this.
 */
#ifndef BROKERD_TRANSPORT_IMPL_H
#define BROKERD_TRANSPORT_IMPL_H

#include <stdint.h>
#include <sys/queue.h>

#include "transport.h"

struct transport_ops {
	/* Start or stop reading (already normalised to 0/1, and different
	 * from the current state). */
	void (*read)(struct transport *t, int on);
	/* Write what the output holds, up to TRANSPORT_MAX_WRITE: called by
	 * the flush pass once per listed transport. */
	void (*write)(struct transport *t);
	/* Close the socket and free the implementation's part (events,
	 * session); the common part is released by transport_free. */
	void (*close)(struct transport *t);
};

struct transport {
	const struct transport_ops *ops;
	const struct transport_cbs *cbs; /* borrowed */
	void *ctx;			 /* borrowed */
	struct transport_loop *loop;	 /* borrowed */
	struct evbuffer *in;		 /* owned, NULL while empty */
	struct evbuffer *out;		 /* owned, NULL while empty */
	TAILQ_ENTRY(transport) fl;	 /* the loop's flush list */
	uint8_t fl_queued;		 /* in the flush list */
	uint8_t wr_waiting;		 /* its write event writes it */
	uint8_t reading;
	uint8_t abandoned; /* transport_abandon */
};

/* Fill the common part (the implementation allocated t). */
void transport_base_init(struct transport *t, const struct transport_ops *ops,
			 struct transport_loop *l,
			 const struct transport_cbs *cbs, void *ctx);

/* The loop's event base (borrowed). */
struct event_base *transport_loop_base(const struct transport_loop *l);

/* After a write moved bytes: free an emptied output and tell the owner. */
void transport_wrote(struct transport *t);

#endif
