/*
 * lameduck.h - SIGUSR2: lame-duck mode, as nats-server has it.  The broker
 * stops accepting, tells every connected client NOTICE LAME_DUCK (count =
 * milliseconds until the last one is closed) so it can move elsewhere,
 * waits lame_duck_grace, then closes the clients spread evenly over
 * lame_duck_duration (each gets ERR SHUTTING_DOWN, its queued output
 * flushed), and finally stops like SIGTERM does (exit status 0).
 *
 * Ownership: the struct is owned by the caller (main); the broker is
 * borrowed and must outlive it.
 */
#ifndef BROKERD_LAMEDUCK_H
#define BROKERD_LAMEDUCK_H

#include <stdint.h>

struct broker;
struct event;

struct lameduck {
	struct broker *b;	/* borrowed */
	struct event *sigusr2;	/* owned */
	struct event *tick;	/* owned: grace, then one close batch */
	int64_t close_start_ms; /* monotonic; 0 until the grace is over */
	unsigned total;		/* clients open when closing began */
	uint32_t tick_ms;
	int active;
};

/* Install the SIGUSR2 handler on b's loop.  0, or -1 when out of memory. */
int lameduck_init(struct lameduck *ld, struct broker *b);

/* Enter lame-duck mode now (what SIGUSR2 does); ignored when already in
 * it or stopping. */
void lameduck_start(struct lameduck *ld);

/* Remove the handler and timer.  Safe on a zeroed struct. */
void lameduck_free(struct lameduck *ld);

#endif
