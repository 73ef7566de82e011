/*
 * engine_breaker.h - the circuit breaker on the engine link (modelled on
 * the client library's, client/lib/bc_breaker.h): a pure state machine with
 * an injected clock (milliseconds of any monotonic clock), no I/O, no
 * allocation, no threads; the loop owns it.
 *
 *   CLOSED --(link lost, or threshold publish failures in a row)--> OPEN
 *   any --(link (re)connected: the handshake was the trial)--> CLOSED
 *   OPEN --(link up and cool-down over)--> HALF_OPEN
 *   HALF_OPEN: one trial message is let through; its success --> CLOSED,
 *              its failure --> OPEN (a fresh cool-down); link lost --> OPEN
 *
 * While OPEN (and in HALF_OPEN once the trial is out) engine-bound messages
 * are refused at once: the caller drops and counts them instead of piling
 * them into the link while the engine cannot take them.
 */
#ifndef BROKERD_ENGINE_BREAKER_H
#define BROKERD_ENGINE_BREAKER_H

#include <stdint.h>

enum engine_brk_state {
	ENGINE_BRK_CLOSED,
	ENGINE_BRK_OPEN,
	ENGINE_BRK_HALF_OPEN,
};

struct engine_breaker {
	enum engine_brk_state state;
	unsigned threshold;  /* publish failures in a row that open it */
	int64_t cooldown_ms; /* time OPEN before HALF_OPEN */
	unsigned failures;   /* consecutive, while CLOSED */
	int64_t open_until;  /* OPEN: end of the cool-down */
	int link_up;	     /* the link's last known state */
	int trial;	     /* HALF_OPEN: the trial is out */
	uint64_t opened;     /* times it opened */
};

/* OPEN with the link down (nothing is let through before the link is up);
 * threshold 0 is taken as 1. */
void engine_breaker_init(struct engine_breaker *b, unsigned threshold,
			 int64_t cooldown_ms);

/* The link went up (1) or down (0). */
void engine_breaker_link(struct engine_breaker *b, int up, int64_t now);

/* May one engine-bound message go now?  1 yes, 0 refuse (drop it). */
int engine_breaker_allow(struct engine_breaker *b, int64_t now);

/* Publish outcomes since the last call, in order: ok successes then
 * failed failures, or the reverse (last_ok says which came last). */
void engine_breaker_record(struct engine_breaker *b, uint64_t ok,
			   uint64_t failed, int last_ok, int64_t now);

/* The state after applying the clock. */
enum engine_brk_state engine_breaker_state(struct engine_breaker *b,
					   int64_t now);

/* "closed", "open", "half-open" (static). */
const char *engine_breaker_name(enum engine_brk_state s);

#endif
