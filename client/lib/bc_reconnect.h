/*
 * bc_reconnect.h - staying connected: retries, backoff, which address,
 * lame-duck switching.
 */
#ifndef BC_RECONNECT_H
#define BC_RECONNECT_H

#include <stddef.h>
#include <stdint.h>

#include "brokerclient.h"

struct event;

struct bc_reconnect {
	size_t srv_idx;		/* opts.servers[] in use or being tried */
	int ever_connected;	/* a WELCOME was seen once */
	int reconnecting;	/* lost, and going to try again */
	int attempts;		/* failed attempts in a row */
	int fatal;		/* refused for a client reason: give up */
	int draining;		/* lame duck: finishing, then switching */
	struct event *retry_ev; /* owned: next attempt */
	uint64_t rng;		/* jitter */
};

/* After a loss (was_connected) or a failed attempt: should the client try
 * again?  Counts the attempt and sets reconnecting. */
int bc_reconnect_wanted(bc_client *c, int was_connected);
/* Arm the next attempt: next address, backoff delay, not before the
 * breaker's cool-down ends.  BC_OK or BC_ERR_NOMEM. */
int bc_reconnect_schedule(bc_client *c);
/* The handshake succeeded: reset the counters. */
void bc_reconnect_done(bc_client *c);
/* NOTICE LAME_DUCK: with several addresses, drain (PING/PONG) and move to
 * the next one, without reporting an error. */
void bc_reconnect_lame_duck(bc_client *c);
/* Free the retry timer. */
void bc_reconnect_free(bc_client *c);

#endif
