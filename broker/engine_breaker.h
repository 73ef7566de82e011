/*
 * engine_breaker.h - the circuit breaker on the engine link: the state
 * machine of common/breaker.h (the client library's too) with the link's
 * rules on top.  Pure, with an injected clock (milliseconds of any
 * monotonic clock); no I/O, no allocation, no threads.  The loop owns the
 * struct breaker (embedded in struct engine); these functions only
 * borrow it.
 *
 *   CLOSED --(link lost, or threshold publish failures in a row)--> OPEN
 *   any --(link (re)connected: the handshake was the trial)--> CLOSED
 *   OPEN --(link up and cool-down over)--> HALF_OPEN (held while the
 *          link is down)
 *   HALF_OPEN: one trial message is let through; its success --> CLOSED,
 *              its failure --> OPEN (a fresh cool-down); link lost --> OPEN
 *
 * While OPEN (and in HALF_OPEN once the trial is out) breaker_allow refuses
 * engine-bound messages at once: the caller drops and counts them instead
 * of piling them into the link while the engine cannot take them.
 * breaker_poll gives the state, breaker_name its name, b->opened how many
 * times it opened.
 */
#ifndef BROKERD_ENGINE_BREAKER_H
#define BROKERD_ENGINE_BREAKER_H

#include <stdint.h>

#include "breaker.h"

/* OPEN with the link down (nothing is let through before the link is up);
 * threshold 0 is taken as 1. */
void engine_breaker_init(struct breaker *b, unsigned threshold,
			 int64_t cooldown_ms);

/* The link went up (1) or down (0). */
void engine_breaker_link(struct breaker *b, int up, int64_t now);

/* Publish outcomes since the last call, in order: ok successes then
 * failed failures, or the reverse (last_ok says which came last). */
void engine_breaker_record(struct breaker *b, uint64_t ok, uint64_t failed,
			   int last_ok, int64_t now);

#endif
